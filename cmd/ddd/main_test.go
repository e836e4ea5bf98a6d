package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
	"github.com/deardiary/deardiary-go/daemon"
)

// The test binary doubles as the real ddd (DDD_MAIN=1) and as a training
// command that logs metrics over REST (DDD_CHILD=log), so the end-to-end
// tests below run actual processes without building anything first.
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("DDD_MAIN") == "1":
		os.Unsetenv("DDD_MAIN")
		main()
	case os.Getenv("DDD_CHILD") == "log":
		os.Exit(logMetrics())
	case serveChild():
		os.Exit(0)
	}
	// A throwaway PostgreSQL cluster for the tests of ddd on PostgreSQL.
	pgtest.Main(m, os.Getenv)
}

// logMetrics is a training command: it logs three points of "loss" to the
// iteration ddd run made, with nothing but the variables it was given.
func logMetrics() int {
	for step := range 3 {
		body := fmt.Sprintf(`{"key": "loss", "value": %g, "step": %d}`, 1/float64(step+1), step)
		req, _ := http.NewRequest("POST", os.Getenv("DEARDIARY_URL")+"/metric/iteration/"+os.Getenv("DEARDIARY_ITERATION_ID"), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+os.Getenv("DEARDIARY_TOKEN"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			fmt.Fprintln(os.Stderr, "status", resp.Status)
			return 1
		}
	}
	fmt.Println("logged 3 points")
	return 0
}

type result struct {
	stdout, stderr string
	code           int
}

// ddd runs the ddd binary (this test binary) with args in dir.
func ddd(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := dddCommand(dir, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatal(err)
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

func dddCommand(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), append(env, "DDD_MAIN=1")...)
	return cmd
}

// cleanEnv is the test's environment without DEARDIARY_ variables, so a
// developer's settings cannot leak into the runs.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DEARDIARY_") })
}

// self is how a command line names this binary in its child role.
func self() string { return os.Args[0] }

// openDB reads what the runs stored.
func openDB(t *testing.T, path string) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(path, duckdb.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// iterationIn finds the iteration ddd run announced on stderr.
func iterationIn(t *testing.T, stderr string) string {
	t.Helper()
	for line := range strings.SplitSeq(stderr, "\n") {
		if _, rest, ok := strings.Cut(line, ": iteration "); ok && strings.HasPrefix(line, "ddd run: ") {
			return strings.Fields(rest)[0]
		}
	}
	t.Fatalf("no iteration announced in:\n%s", stderr)
	return ""
}

func TestRunOnALocalFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	writeFiles(t, dir, map[string]string{"pyproject.toml": "[project]\nname = \"demo\"\n", "uv.lock": "version = 1\r\n"})
	base := []string{"run", "--db", db, "--project", "vision", "--experiment", "baseline"}

	ok := ddd(t, dir, []string{"DDD_CHILD=log"}, append(base, "--param", "lr=1e-3", "--param", "optimizer=adam", "--tag", "smoke", "--", self())...)
	if ok.code != 0 || !strings.Contains(ok.stdout, "logged 3 points") {
		t.Fatalf("logging run: exit %d\nstdout: %s\nstderr: %s", ok.code, ok.stdout, ok.stderr)
	}
	failed := ddd(t, dir, nil, append(base, "--", "sh", "-c", "echo step 1; echo 'CUDA out of memory' >&2; exit 3")...)
	if failed.code != 3 {
		t.Fatalf("failing run: exit %d, want the command's 3\n%s", failed.code, failed.stderr)
	}
	missing := ddd(t, dir, nil, append(base, "--", "no-such-command-here")...)
	if missing.code != ExitNotFound {
		t.Fatalf("missing command: exit %d, want %d\n%s", missing.code, ExitNotFound, missing.stderr)
	}

	s := openDB(t, db)
	ctx := context.Background()
	it, err := s.GetIteration(ctx, iterationIn(t, ok.stderr))
	if err != nil {
		t.Fatal(err)
	}
	if it.Status != core.IterationSucceeded || it.EndDate.IsZero() {
		t.Errorf("logging run is %s, ended %v", it.Status, it.EndDate)
	}
	params, _, _ := s.ListParameters(ctx, core.ParameterFilter{IterationID: it.ID})
	got := map[string]string{}
	for _, p := range params {
		got[p.Key] = p.Value
	}
	if got["lr"] != "1e-3" || got["optimizer"] != "adam" {
		t.Errorf("parameters %v", got)
	}
	if tags, _ := s.ListTags(ctx, core.KindIteration, it.ID); len(tags) != 1 || tags[0].Value != "smoke" {
		t.Errorf("tags %v", tags)
	}
	if points, _, _ := s.ListMetrics(ctx, core.MetricFilter{IterationID: it.ID, Key: "loss"}); len(points) != 3 {
		t.Errorf("%d points logged over REST, want 3", len(points))
	}
	snap, err := s.GetSnapshot(ctx, it.ID)
	if err != nil || len(snap.Files) != 2 || !strings.Contains(snap.Entrypoint, filepath.Base(self())) {
		t.Errorf("snapshot %+v, %v", snap, err)
	}

	it, _ = s.GetIteration(ctx, iterationIn(t, failed.stderr))
	if it.Status != core.IterationFailed || !strings.Contains(it.ErrorMessage, "status 3") || !strings.Contains(it.ErrorMessage, "CUDA out of memory") {
		t.Errorf("failing run: %s, %q", it.Status, it.ErrorMessage)
	}
	it, _ = s.GetIteration(ctx, iterationIn(t, missing.stderr))
	if it.Status != core.IterationFailed || !strings.Contains(it.ErrorMessage, "no-such-command-here") {
		t.Errorf("missing command: %s, %q", it.Status, it.ErrorMessage)
	}
	projects, _ := s.ListProjects(ctx, core.ProjectFilter{})
	if len(projects) != 1 || projects[0].Name != "vision" {
		t.Fatalf("projects %v: one, reused by every run", projects)
	}
	exps, _, _ := s.ListExperiments(ctx, core.ExperimentFilter{ProjectID: projects[0].ID})
	if len(exps) != 1 || exps[0].Status != core.ExperimentInProgress {
		t.Errorf("experiments %v: one, in progress, reused by every run", exps)
	}
}

func TestRunForwardsSIGTERM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	cmd := dddCommand(dir, nil, "run", "--db", db, "--project", "p", "--experiment", "e", "--grace", "20s", "--",
		"sh", "-c", `trap 'echo saving checkpoint; kill $!; exit 0' TERM; echo ready; sleep 30 >/dev/null 2>&1 & wait`)
	stdout, stderr := startUntil(t, cmd, "ready")
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := io.ReadAll(stdout)
	cmd.Wait()
	if !strings.Contains(string(rest), "saving checkpoint") {
		t.Errorf("the command did not get SIGTERM: %q", rest)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit %d, want the command's 0", code)
	}
	it, err := openDB(t, db).GetIteration(context.Background(), iterationIn(t, stderr.String()))
	if err != nil {
		t.Fatal(err)
	}
	if it.Status != core.IterationKilled || !strings.Contains(it.ErrorMessage, "SIGTERM") {
		t.Errorf("iteration %s, %q; want KILLED by SIGTERM", it.Status, it.ErrorMessage)
	}
}

func TestRunRefusesBadStarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	touch := []string{"--", "touch", marker}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", []string{"run", "--db", "x.db", "--project", "p", "--experiment", "e"}, "name the command to run after --"},
		{"no project", append([]string{"run", "--db", "x.db", "--experiment", "e"}, touch...), "--project NAME"},
		{"daemon away", append([]string{"run", "--server", "http://127.0.0.1:1", "--project", "p", "--experiment", "e"}, touch...), "is ddd running there?"},
		{"unknown parent", append([]string{"run", "--db", "x.db", "--project", "p", "--experiment", "e", "--parent", "nope"}, touch...), `no iteration "nope"`},
		{"both", append([]string{"run", "--db", "x.db", "--server", "http://127.0.0.1:1", "--project", "p", "--experiment", "e"}, touch...), "not both"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ddd(t, dir, nil, c.args...)
			if r.code != ExitRunError || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, ExitRunError, c.want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the command ran")
			}
		})
	}
}

// startMain runs ddd on port 0 with a temporary database (filesystem
// artifacts beside it) until the test ends; configure may change its
// configuration first.
func startMain(t testing.TB, configure func(*Config)) *Main {
	t.Helper()
	dir := t.TempDir()
	m := NewMain(io.Discard)
	m.Config.Port = 0
	m.Config.DBFile = filepath.Join(dir, "deardiary.db")
	m.Config.Server.ArtifactBackend = core.BackendFilesystem
	m.Config.ArtifactFSRoot = filepath.Join(dir, "artifacts")
	m.BcryptCost = bcrypt.MinCost
	if configure != nil {
		configure(&m.Config)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("closing ddd: %v", err)
		}
	})
	return m
}

// startDaemon runs the real server on port 0 with auth on.
func startDaemon(t *testing.T, db string, port int) *Main {
	t.Helper()
	m := NewMain(io.Discard)
	m.Config.Port, m.Config.DBFile = port, db
	m.Config.Server.EnableAuth, m.Config.Server.JWTSecret = true, "a test secret that is not the default"
	m.BcryptCost = bcrypt.MinCost
	m.ShutdownTimeout = time.Second
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRunThroughTheDaemon(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := startDaemon(t, filepath.Join(dir, "served.db"), 0)
	defer m.Close()
	env := []string{"DEARDIARY_URL=" + m.URL, "DEARDIARY_USER=default", "DEARDIARY_PASSWORD=default"}

	// The driver logs metrics and starts a nested ddd run, which becomes its
	// child through DEARDIARY_PARENT_ITERATION_ID.
	r := ddd(t, dir, append(env, "DDD_CHILD=log"), "run", "--project", "p", "--experiment", "sweep", "--",
		"sh", "-c", `"$0" && DDD_MAIN=1 DEARDIARY_USER= "$0" run --project p --experiment sweep -- true`, self())
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	c, err := daemon.Connect(context.Background(), m.URL, daemon.Options{Username: "default", Password: "default"})
	if err != nil {
		t.Fatal(err)
	}
	driver := iterationIn(t, r.stderr)
	children, err := c.ChildIterations(context.Background(), driver)
	if err != nil || len(children) != 1 || children[0].Status != core.IterationSucceeded {
		t.Fatalf("children of the driver: %v, %v", children, err)
	}
	if _, err := c.GetSnapshot(context.Background(), children[0].ID); !core.IsNotFound(err) {
		t.Errorf("a child is not captured by default: %v", err)
	}
	points, _, _ := c.ListMetrics(context.Background(), core.MetricFilter{IterationID: driver})
	if len(points) != 3 {
		t.Errorf("%d points, want 3", len(points))
	}
}

// TestRunOutlivesADaemonRestart stops the daemon while the command runs: the
// command carries on, and the end is recorded once the daemon is back.
func TestRunOutlivesADaemonRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "served.db")
	m := startDaemon(t, db, 0)
	port, _ := strconv.Atoi(m.URL[strings.LastIndex(m.URL, ":")+1:])
	goOn := filepath.Join(dir, "go-on")
	cmd := dddCommand(dir, []string{"DEARDIARY_URL=" + m.URL, "DEARDIARY_USER=default", "DEARDIARY_PASSWORD=default"},
		"run", "--project", "p", "--experiment", "e", "--", "sh", "-c", `echo started; while [ ! -e go-on ]; do sleep 0.05; done; echo done`)
	stdout, stderr := startUntil(t, cmd, "started")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(goOn, nil, 0o644) // the command ends while the daemon is away
	time.Sleep(time.Second)
	m = startDaemon(t, db, port)
	defer m.Close()
	io.ReadAll(stdout)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	c, err := daemon.Connect(context.Background(), m.URL, daemon.Options{Username: "default", Password: "default"})
	if err != nil {
		t.Fatal(err)
	}
	it, err := c.GetIteration(context.Background(), iterationIn(t, stderr.String()))
	if err != nil || it.Status != core.IterationSucceeded {
		t.Fatalf("iteration %+v, %v; want SUCCEEDED, recorded after the restart\n%s", it, err, stderr.String())
	}
}

// TestSnapshotAndRestore captures a Python and a Julia project with ddd run
// and ddd snapshot, and restores both byte for byte with ddd restore.
func TestSnapshotAndRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	python := map[string]string{
		"pyproject.toml": "[project]\nname = \"train\"\ndependencies = [\"numpy>=2\"]\n",
		"uv.lock":        "version = 1\r\nrequires-python = \">=3.11\"\r\n\r\n[[package]]\r\nname = \"numpy\"\r\nversion = \"2.1.3\"", // CRLF, no final newline
	}
	julia := map[string]string{
		"Project.toml":  "name = \"Train\"\n[deps]\nFlux = \"587475ba-b771-5e3f-ad9e-33799f191a9c\"\n",
		"Manifest.toml": "\ufeff# This file is machine-generated\njulia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n[[deps.Flux]]\nversion = \"0.14.25\"\n",
	}
	pyDir, jlDir := filepath.Join(dir, "py"), filepath.Join(dir, "jl")
	writeFiles(t, pyDir, python)
	writeFiles(t, jlDir, julia)

	py := ddd(t, pyDir, nil, "run", "--db", db, "--project", "p", "--experiment", "e", "--", "sh", "-c", "true")
	jl := ddd(t, dir, nil, "run", "--db", db, "--project", "p", "--experiment", "e", "--dir", jlDir, "--", "sh", "-c", "true")
	// A run without a capture of its own, whose command records a directory
	// with ddd snapshot, through the variables it was given.
	inner := ddd(t, pyDir, nil, "run", "--db", db, "--project", "p", "--experiment", "e", "--no-snapshot", "--",
		"sh", "-c", `DDD_MAIN=1 "$0" snapshot --iteration "$DEARDIARY_ITERATION_ID" --dir "$1" --entrypoint "julia --project train.jl"`, self(), jlDir)
	if inner.code != 0 || !strings.Contains(inner.stdout, "Captured 2 files") {
		t.Fatalf("ddd snapshot inside a run: exit %d\n%s\n%s", inner.code, inner.stdout, inner.stderr)
	}
	for _, c := range []struct {
		run   result
		files map[string]string
		next  string
	}{{py, python, "uv sync --frozen"}, {jl, julia, "Pkg.instantiate()"}, {inner, julia, "julia --project train.jl"}} {
		id := iterationIn(t, c.run.stderr)
		r := ddd(t, dir, nil, "restore", id, "--db", db, "--dir", "depot")
		if r.code != 0 || !strings.Contains(r.stdout, c.next) {
			t.Fatalf("restore: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		for name, want := range c.files {
			got, err := os.ReadFile(filepath.Join(dir, "depot", "iteration_"+id, name))
			if err != nil || string(got) != want {
				t.Errorf("restored %s = %q, %v; want %q", name, got, err, want)
			}
		}
		again := ddd(t, dir, nil, "restore", "--db", db, id, "--dir", "depot")
		if again.code != 1 || !strings.Contains(again.stderr, "not empty") {
			t.Errorf("restoring over the first restore: exit %d, %q", again.code, again.stderr)
		}
	}
	ended := ddd(t, dir, nil, "snapshot", "--db", db, "--iteration", iterationIn(t, py.stderr), "--dir", jlDir)
	if ended.code != 1 || !strings.Contains(ended.stderr, "has ended") {
		t.Errorf("snapshot of an ended iteration: exit %d, %q", ended.code, ended.stderr)
	}
	unknown := ddd(t, dir, nil, "restore", "--db", db, "nope")
	if unknown.code != 1 || !strings.Contains(unknown.stderr, `no iteration "nope"`) {
		t.Errorf("restore of an unknown iteration: exit %d, %q", unknown.code, unknown.stderr)
	}
}

// startUntil starts ddd and waits for the command's first line of output,
// which must be want; the rest of stdout and all of stderr stay readable.
func startUntil(t *testing.T, cmd *exec.Cmd, want string) (io.Reader, *bytes.Buffer) {
	t.Helper()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(stdout)
	if line, _ := lines.ReadString('\n'); line != want+"\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the command did not start: %q\n%s", line, stderr.String())
	}
	return lines, &stderr
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// longTests reports whether DEARDIARY_TEST_LONG asks for the long versions
// of the heaviest tests (more crash rounds, larger bodies), as CI does; a
// plain go test runs short ones.
func longTests() bool { return os.Getenv("DEARDIARY_TEST_LONG") != "" }
