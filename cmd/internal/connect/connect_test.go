package connect

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact/s3test"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
)

func parse(t *testing.T, env map[string]string, args ...string) *Flags {
	t.Helper()
	var f Flags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f.Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &f
}

func TestWhichTrackerOpens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "a.db")
	opts := Options{StoreOptions: []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}}

	c, err := parse(t, map[string]string{"DEARDIARY_DB_FILE": file}).Open(ctx, opts)
	if err != nil || c.Client != nil || c.Source != file {
		t.Fatalf("DEARDIARY_DB_FILE: %+v, %v", c, err)
	}
	c.Close()

	if _, err := parse(t, nil, "--server", "http://x", "--db", file).Open(ctx, opts); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both named: %v", err)
	}
	if _, err := parse(t, nil).Open(ctx, opts); err == nil || !strings.Contains(err.Error(), "--server URL") {
		t.Fatalf("neither named: %v", err)
	}
	// A file flag overrides a daemon named in the environment.
	c, err = parse(t, map[string]string{"DEARDIARY_URL": "http://127.0.0.1:1"}, "--db", file).Open(ctx, opts)
	if err != nil || c.Client != nil {
		t.Fatalf("--db over DEARDIARY_URL: %+v, %v", c, err)
	}
	c.Close()
	withDefault := opts
	withDefault.DefaultDB = file
	c, err = parse(t, nil).Open(ctx, withDefault)
	if err != nil || c.Source != file {
		t.Fatalf("default file: %+v, %v", c, err)
	}
	c.Close()
}

func TestHintsSayWhatWentWrong(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "held.db")
	store, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := daemon.DefaultConfig()
	cfg.EnableAuth, cfg.JWTSecret = true, "a secret for the connect tests"
	srv := httptest.NewServer(daemon.NewServer(store, cfg, nil))
	defer srv.Close()

	for _, tc := range []struct {
		what   string
		open   func() error
		say    string
		notSay string
	}{
		{"nothing answers", func() error {
			_, err := Daemon(ctx, "http://127.0.0.1:1", daemon.Options{})
			return err
		}, "is ddd running there?", "",
		},
		{"a wrong password", func() error {
			_, err := Daemon(ctx, srv.URL, daemon.Options{Username: "default", Password: "wrong"})
			return err
		}, "", "is ddd running",
		},
		{"a file ddd holds", func() error {
			_, err := File(path, Options{}) // in one process, a second writer is what finds it locked
			return err
		}, "--server http://", "",
		},
		{"a missing file", func() error {
			_, err := File(filepath.Join(dir, "none.db"), Options{ReadOnly: true, MissingHint: "try ddtui --demo"})
			return err
		}, "there is no database at " + filepath.Join(dir, "none.db") + "\n(try ddtui --demo)", "",
		},
	} {
		err := tc.open()
		if err == nil || !strings.Contains(err.Error(), tc.say) || (tc.notSay != "" && strings.Contains(err.Error(), tc.notSay)) {
			t.Errorf("%s: %v, want it to say %q and not %q", tc.what, err, tc.say, tc.notSay)
		}
	}
}

// TestArtifactSettingsReachAFile: ddd run --db puts resource bytes where
// DEARDIARY_ARTIFACT_BACKEND says, as ddd would.
func TestArtifactSettingsReachAFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	root := filepath.Join(dir, "artifacts")
	c, err := parse(t, map[string]string{"DEARDIARY_ARTIFACT_BACKEND": "filesystem", "DEARDIARY_ARTIFACT_FS_ROOT": root},
		"--db", filepath.Join(dir, "a.db")).Open(ctx, Options{StoreOptions: []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, _ := c.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, _ := c.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	id, err := c.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "weights"}, strings.NewReader("bytes"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.GetResource(ctx, id)
	if err != nil || r.Backend != core.BackendFilesystem || !strings.Contains(r.URI, root) {
		t.Fatalf("resource %+v, %v: want its bytes under %s", r, err, root)
	}
}

// TestS3SettingsReachAFile: the DEARDIARY_ARTIFACT_S3_ settings reach a
// file opened in-process: ddd run --db uploads to the bucket, and a
// read-only open (ddtui's) reads the bytes back from it.
func TestS3SettingsReachAFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	db := filepath.Join(t.TempDir(), "a.db")
	env := map[string]string{
		"DEARDIARY_ARTIFACT_S3_BUCKET":     bucket,
		"DEARDIARY_ARTIFACT_S3_ENDPOINT":   g.Endpoint,
		"DEARDIARY_ARTIFACT_S3_ACCESS_KEY": g.AccessKey,
		"DEARDIARY_ARTIFACT_S3_SECRET_KEY": g.SecretKey,
	}
	env["DEARDIARY_ARTIFACT_BACKEND"] = "s3"
	c, err := parse(t, env, "--db", db).Open(ctx, Options{StoreOptions: []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := c.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, _ := c.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	id, err := c.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "weights"}, strings.NewReader("bytes in S3"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.GetResource(ctx, id)
	c.Close()
	if err != nil || r.Backend != core.BackendS3 || !strings.HasPrefix(r.URI, "s3://"+bucket+"/") || len(g.Objects(t, bucket)) != 1 {
		t.Fatalf("resource %+v, %v: want its bytes in bucket %s", r, err, bucket)
	}
	delete(env, "DEARDIARY_ARTIFACT_BACKEND")
	ro, err := parse(t, env, "--db", db).Open(ctx, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	body, err := ro.OpenResource(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if b, err := io.ReadAll(body); err != nil || string(b) != "bytes in S3" {
		t.Fatalf("read back %q, %v", b, err)
	}
}

// TestHeldFileNamesWhereTheHolderServes: ddtui opening a file that another
// process holds is told the address that process listens on, read from
// its socket (ddd --port 0 included).
func TestHeldFileNamesWhereTheHolderServes(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	path := filepath.Join(t.TempDir(), "held.db")
	child := exec.Command(os.Args[0], "-test.run=^TestHelperHoldAndServe$")
	child.Env = append(os.Environ(), "CONNECT_HOLD="+path)
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); child.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the child said %q: %v", line, err)
	}
	port := strings.TrimSpace(line)
	_, err = File(path, Options{ReadOnly: true})
	if err == nil || !strings.Contains(err.Error(), "--server http://127.0.0.1:"+port) {
		t.Fatalf("the hint does not name port %s: %v", port, err)
	}
	if got := servedAddress(os.Getpid() + 1<<22); got != "" { // no such process
		t.Fatalf("an address for no process: %q", got)
	}
}

// TestHelperHoldAndServe is not a test: the child of
// TestHeldFileNamesWhereTheHolderServes, holding a file and listening as
// ddd does until its stdin closes.
func TestHelperHoldAndServe(t *testing.T) {
	path := os.Getenv("CONNECT_HOLD")
	if path == "" {
		t.Skip("helper only")
	}
	store, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	io.Copy(io.Discard, os.Stdin)
}
