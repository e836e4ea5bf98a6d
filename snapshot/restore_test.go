package snapshot_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/snapshot"
)

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func store(t *testing.T) (*duckdb.Store, string) {
	t.Helper()
	s, err := duckdb.Open(":memory:", duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	if err != nil {
		t.Fatal(err)
	}
	return s, e
}

// awkward are files that break naive text handling.
var awkward = map[string][]byte{
	"Project.toml":     []byte("\ufeff[deps]\r\nFlux = \"587475ba-b771-5e3f-ad9e-33799f191a9c\"\r\n"),
	"requirements.txt": []byte("numpy==2.1.3\nlatin1-caf\xe9==1.0"), // not UTF-8, no trailing newline
	"pyproject.toml":   {},
	"go.mod":           []byte("module x\n\ngo 1.26\n"),
}

// TestRoundTripThroughStore captures a dirty repository, stores the snapshot,
// reads it back and restores it: every file comes back byte for byte, and the
// patch applied to the commit reproduces the working tree exactly.
func TestRoundTripThroughStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	run(t, dir, "git", "init", "-q", "-b", "main")
	run(t, dir, "git", "config", "user.email", "a@example.com")
	run(t, dir, "git", "config", "user.name", "A")
	manifest := bytes.Repeat([]byte("[[deps.Flux]]\r\nversion = \"0.14.25\"\n"), 10<<20/36) // about 10 MB
	files := map[string][]byte{"Manifest.toml": manifest, "train.jl": []byte("lr = 0.1\n"), "model.bin": {0, 1, 2, 3, 255}}
	for k, v := range awkward {
		files[k] = v
	}
	writeFiles(t, dir, files)
	run(t, dir, "git", "add", "-A")
	run(t, dir, "git", "commit", "-q", "-m", "baseline")
	commit := strings.TrimSpace(run(t, dir, "git", "rev-parse", "HEAD"))
	// Uncommitted work: text and binary changes, a deletion, a staged file.
	writeFiles(t, dir, map[string][]byte{"train.jl": []byte("lr = 0.01\nepochs = 3\n"), "model.bin": {9, 9, 9},
		"Manifest.toml": append(manifest, "# edited\n"...), "data/new.csv": []byte("a,b\n1,2\n")})
	os.Remove(filepath.Join(dir, "go.mod"))
	run(t, dir, "git", "add", "data/new.csv")

	s, e := store(t)
	it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	if err := (snapshot.Capturer{Dir: dir, Options: snapshot.Options{Entrypoint: "train.jl"}}).CaptureIteration(ctx, s, it); err != nil {
		t.Fatal(err)
	}
	depot := t.TempDir()
	res, err := snapshot.RestoreIteration(ctx, s, it, depot, snapshot.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Dir != filepath.Join(depot, "iteration_"+it) || res.Commit != commit || !res.Dirty || res.Entrypoint != "train.jl" || res.Runtime != "julia" {
		t.Fatalf("result = %+v", res)
	}
	for _, name := range []string{"Project.toml", "requirements.txt", "pyproject.toml", "Manifest.toml"} {
		got, err := os.ReadFile(filepath.Join(res.Dir, name))
		want, _ := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs after the round trip (%d bytes, want %d)", name, len(got), len(want))
		}
	}
	if _, err := os.Stat(filepath.Join(res.Dir, "go.mod")); err == nil {
		t.Error("go.mod was deleted before the capture, yet restored")
	}

	// A clone at the commit plus the patch is the dirty tree, file for file.
	clone := t.TempDir()
	run(t, clone, "git", "clone", "-q", dir, ".")
	run(t, clone, "git", "checkout", "-q", res.Commit)
	run(t, clone, "git", "apply", res.Patch)
	for _, name := range []string{"train.jl", "model.bin", "Manifest.toml", "data/new.csv", "Project.toml"} {
		got, _ := os.ReadFile(filepath.Join(clone, name))
		want, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(got, want) {
			t.Errorf("%s after git apply differs from the captured working tree", name)
		}
	}
	if _, err := os.Stat(filepath.Join(clone, "go.mod")); !errors.Is(err, os.ErrNotExist) {
		t.Error("the deletion of go.mod was not re-applied")
	}
	var commands []string
	for _, step := range res.Next {
		commands = append(commands, step.Command)
	}
	joined := strings.Join(commands, "\n")
	for _, want := range []string{"git checkout " + commit, "git apply " + res.Patch, "julia --project=" + res.Dir,
		"pip install -r " + filepath.Join(res.Dir, "requirements.txt"), "train.jl"} {
		if !strings.Contains(joined, want) {
			t.Errorf("next steps lack %q:\n%s", want, joined)
		}
	}
}

func sample(id string, files ...core.SnapshotFile) *core.Snapshot {
	return &core.Snapshot{IterationID: id, Runtime: "python", Files: files}
}

func TestRestoreRefusesEscapes(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"../evil.txt", "/etc/evil", "a/../../evil", "C:/evil", "a\\..\\evil"} {
		depot := t.TempDir()
		_, err := snapshot.Restore(sample("1", core.NewSnapshotFile("ok.txt", "", []byte("x")), core.NewSnapshotFile(p, "", []byte("x"))),
			depot, snapshot.RestoreOptions{Force: true})
		if core.ErrorCode(err) != core.EInvalid {
			t.Fatalf("path %q: error %v", p, err)
		}
		if entries, _ := os.ReadDir(depot); len(entries) != 0 {
			t.Fatalf("path %q: something was written", p)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(depot), "evil.txt")); err == nil {
			t.Fatal("a file escaped the depot")
		}
	}
	if _, err := snapshot.Restore(sample("../x", core.NewSnapshotFile("a", "", nil)), t.TempDir(), snapshot.RestoreOptions{}); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("an iteration id with a slash: %v", err)
	}
}

func TestRestoreRefusesSymlinks(t *testing.T) {
	t.Parallel()
	depot, outside := t.TempDir(), t.TempDir()
	target := filepath.Join(depot, "iteration_1")
	os.MkdirAll(target, 0o755)
	if err := os.Symlink(outside, filepath.Join(target, "lib")); err != nil {
		t.Fatal(err)
	}
	_, err := snapshot.Restore(sample("1", core.NewSnapshotFile("lib/requirements.txt", "python", []byte("x"))), depot, snapshot.RestoreOptions{Force: true})
	if core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("restore through a symlink: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatal("a file was written through the symlink")
	}
	os.Remove(filepath.Join(target, "lib"))
	os.Remove(target)
	os.Symlink(outside, target)
	if _, err := snapshot.Restore(sample("1", core.NewSnapshotFile("a.txt", "", []byte("x"))), depot, snapshot.RestoreOptions{Force: true}); err == nil {
		t.Fatal("restored into a target that is a symlink")
	}
}

func TestRestoreRefusesExistingUnlessForced(t *testing.T) {
	t.Parallel()
	depot := t.TempDir()
	snap := sample("7", core.NewSnapshotFile("requirements.txt", "python", []byte("numpy==2\n")))
	if _, err := snapshot.Restore(snap, depot, snapshot.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := snapshot.Restore(snap, depot, snapshot.RestoreOptions{})
	if core.ErrorCode(err) != core.EConflict {
		t.Fatalf("second restore: %v", err)
	}
	os.WriteFile(filepath.Join(depot, "iteration_7", "requirements.txt"), []byte("edited"), 0o644)
	if _, err := snapshot.Restore(snap, depot, snapshot.RestoreOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(depot, "iteration_7", "requirements.txt")); string(b) != "numpy==2\n" {
		t.Fatalf("forced restore left %q", b)
	}
	if entries, _ := os.ReadDir(depot); len(entries) != 1 {
		t.Fatalf("depot holds %d entries, want only the iteration directory", len(entries))
	}
}

func TestRestoreLeavesNothingOnError(t *testing.T) {
	t.Parallel()
	depot := t.TempDir()
	bad := core.NewSnapshotFile("uv.lock", "python", []byte("version = 1\n"))
	bad.SHA256 = strings.Repeat("0", 64)
	_, err := snapshot.Restore(sample("3", core.NewSnapshotFile("pyproject.toml", "python", []byte("[project]\n")), bad), depot, snapshot.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("corrupt file: %v", err)
	}
	if entries, _ := os.ReadDir(depot); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestRestoreUpstreamCapture(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, e := store(t)
	it, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	bare, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	env := core.EnvironmentSnapshot{JuliaVersion: "1.10.4", GitSHA: strings.Repeat("b", 40), Entrypoint: "train.jl",
		ProjectTOML: "[deps]\r\n", ManifestTOML: "julia_version = \"1.10.4\"\n"}
	if err := s.SetIterationEnvironment(ctx, it, env); err != nil {
		t.Fatal(err)
	}
	res, err := snapshot.RestoreIteration(ctx, s, it, t.TempDir(), snapshot.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"Project.toml": env.ProjectTOML, "Manifest.toml": env.ManifestTOML} {
		if b, _ := os.ReadFile(filepath.Join(res.Dir, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
	if res.RuntimeVersion != "1.10.4" || res.Entrypoint != "train.jl" || res.Commit != env.GitSHA {
		t.Fatalf("result = %+v", res)
	}
	_, err = snapshot.RestoreIteration(ctx, s, bare, t.TempDir(), snapshot.RestoreOptions{})
	if core.ErrorCode(err) != core.ENotFound || !strings.Contains(err.Error(), "no captured environment") {
		t.Fatalf("restore without a snapshot: %v", err)
	}
}

func TestWithIterationCapturesDrivers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"go.mod": []byte("module x\n"), "go.sum": nil})
	t.Chdir(dir)
	s, e := store(t)
	var driver, child, skipped string
	err := core.WithIteration(ctx, s, e, func(ctx context.Context, it *core.Iteration) error {
		driver = it.ID
		return core.WithIteration(ctx, s, e, func(ctx context.Context, c *core.Iteration) error {
			child = c.ID
			return nil
		}, core.WithParent(it.ID), snapshot.CaptureWorkingDir())
	}, snapshot.CaptureWorkingDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := core.WithIteration(ctx, s, e, func(ctx context.Context, it *core.Iteration) error {
		skipped = it.ID
		return nil
	}, snapshot.CaptureWorkingDir(), core.WithSnapshot(false)); err != nil {
		t.Fatal(err)
	}
	snap, err := s.GetSnapshot(ctx, driver)
	if err != nil || snap.Runtime != "go" || snap.File("go.mod") == nil {
		t.Fatalf("driver snapshot = %+v, %v", snap, err)
	}
	for _, id := range []string{child, skipped} {
		if _, err := s.GetSnapshot(ctx, id); core.ErrorCode(err) != core.ENotFound {
			t.Fatalf("iteration %s was captured: %v", id, err)
		}
	}
}

func TestRestoreIntoAChosenDirectory(t *testing.T) {
	t.Parallel()
	target := filepath.Join(t.TempDir(), "runs", "best one")
	res, err := snapshot.Restore(sample("9", core.NewSnapshotFile("uv.lock", "python", []byte("version = 1\n"))), "", snapshot.RestoreOptions{Dir: target})
	if err != nil || res.Dir != target {
		t.Fatalf("restore = %+v, %v", res, err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "uv.lock")); string(b) != "version = 1\n" {
		t.Fatalf("uv.lock = %q", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) != 1 {
		t.Fatalf("staging left behind: %v", entries)
	}
}

// plantedRepository is a snapshot whose files make a git repository with a
// command in its config: git status there would run it.
func plantedRepository(gitDir, marker string) *core.Snapshot {
	return sample("9",
		core.NewSnapshotFile("requirements.txt", "python", []byte("numpy==2\n")),
		core.NewSnapshotFile(gitDir+"/config", "", []byte("[core]\n\trepositoryformatversion = 0\n\tfsmonitor = \"touch "+marker+"; false\"\n")),
		core.NewSnapshotFile(gitDir+"/HEAD", "", []byte("ref: refs/heads/main\n")),
		core.NewSnapshotFile(gitDir+"/objects/info/packs", "", nil),
		core.NewSnapshotFile(gitDir+"/refs/heads/.keep", "", nil),
	)
}

// TestRestoreRefusesGitDirectories: a snapshot stored before uploads were
// checked may hold a .git directory. Restore refuses it, into a fresh
// directory and over a clone with Force, so git never runs its commands and
// the clone keeps its own config.
func TestRestoreRefusesGitDirectories(t *testing.T) {
	t.Parallel()
	for _, gitDir := range []string{".git", ".GIT", "sub/.git"} {
		marker := filepath.Join(t.TempDir(), "ran")
		depot := t.TempDir()
		res, err := snapshot.Restore(plantedRepository(gitDir, marker), depot, snapshot.RestoreOptions{})
		if res != nil {
			exec.Command("git", "-C", filepath.Join(res.Dir, filepath.Dir(gitDir)), "status").Run()
		}
		if _, statErr := os.Stat(marker); statErr == nil {
			t.Fatalf("%s: git status in the restored directory ran the snapshot's command", gitDir)
		}
		if core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), ".git") {
			t.Errorf("%s: restore = %v, want EInvalid naming .git", gitDir, err)
		}
		if entries, _ := os.ReadDir(depot); len(entries) != 0 {
			t.Errorf("%s: restore wrote %v", gitDir, entries)
		}
	}

	clone := t.TempDir()
	run(t, clone, "git", "init", "-q")
	config, _ := os.ReadFile(filepath.Join(clone, ".git", "config"))
	marker := filepath.Join(t.TempDir(), "ran")
	_, err := snapshot.Restore(plantedRepository(".git", marker), "", snapshot.RestoreOptions{Dir: clone, Force: true})
	if core.ErrorCode(err) != core.EInvalid {
		t.Errorf("restore over a clone: %v, want EInvalid", err)
	}
	if after, _ := os.ReadFile(filepath.Join(clone, ".git", "config")); !bytes.Equal(after, config) {
		t.Errorf("the clone's .git/config was overwritten:\n%s", after)
	}
	exec.Command("git", "-C", clone, "status").Run()
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("git status in the clone ran the snapshot's command")
	}
}

// fakeTools makes a directory of stand-ins for the programs next steps run:
// each appends its name and arguments, one per line, to log.
func fakeTools(t *testing.T, log string) string {
	t.Helper()
	bin := t.TempDir()
	script := "#!/bin/sh\n{ printf '%s\\n' \"${0##*/}\"; for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done; } >> '" + log + "'\n"
	for _, name := range []string{"git", "julia", "uv", "pip", "conda", "go", "cargo", "npm", "python", "poetry", "pipenv", "yarn", "pnpm"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// TestNextStepsAreShellSafe: what a snapshot records is the uploader's text.
// Pasted into a shell, every printed step runs only the program it names,
// with the arguments the restore meant, whatever the commit, file names,
// directory and entrypoint hold.
func TestNextStepsAreShellSafe(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	marker := filepath.Join(work, "pwned")
	log := filepath.Join(work, "log")
	bin := fakeTools(t, log)
	inject := "; touch " + marker + " #"
	npmLast := []string{"npm", "[ci]"} // the entrypoint is shown, not run
	// A file name's command would run in work, where the steps run.
	for _, c := range []struct {
		name, commit, entrypoint string
		want                     []string // the last lines the fake tools log
	}{
		{"a command for a commit", "deadbeef" + inject, "python train.py", []string{"python", "[train.py]"}},
		{"arguments with spaces", strings.Repeat("a", 40), `python 'my file.py' --lr=0.1 "it's"`, []string{"python", "[my file.py]", "[--lr=0.1]", "[it's]"}},
		{"a command after the entrypoint", "", "python train.py" + inject, npmLast},
		{"a substitution in the entrypoint", "", `python "$(touch ` + marker + `)"`, npmLast},
		{"backquotes in the entrypoint", "", "python `touch " + marker + "`", npmLast},
		{"a newline in the entrypoint", "", "python train.py\ntouch " + marker, npmLast},
		{"a redirection in the entrypoint", "", "python train.py > " + marker, npmLast},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(log)
			dir := filepath.Join(t.TempDir(), "it's $(touch "+marker+") dir")
			snap := sample("1", core.NewSnapshotFile("requirements; touch pwned #.txt", "python", []byte("numpy==2\n")),
				core.NewSnapshotFile("Project.toml", "julia", []byte("[deps]\n")),
				core.NewSnapshotFile("environment.yml", "python", nil), core.NewSnapshotFile("go.mod", "go", nil),
				core.NewSnapshotFile("Cargo.lock", "rust", nil), core.NewSnapshotFile("package-lock.json", "node", nil))
			snap.Git = core.GitState{Commit: c.commit, Dirty: true, Diff: []byte("diff\n"), Remote: "https://x/$(touch " + marker + ")"}
			snap.Entrypoint = c.entrypoint
			res, err := snapshot.Restore(snap, "", snapshot.RestoreOptions{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range res.Next {
				if strings.ContainsAny(step.Command, "\n\r") {
					t.Errorf("step %q spans lines", step.Command)
				}
				cmd := exec.Command("sh", "-c", step.Command)
				cmd.Dir, cmd.Env = work, append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
				cmd.Run()
			}
			if _, err := os.Stat(marker); err == nil {
				os.Remove(marker)
				t.Fatalf("a printed step ran the snapshot's command:\n%s", commandsOf(res))
			}
			b, _ := os.ReadFile(log)
			got := strings.Split(strings.TrimSpace(string(b)), "\n")
			if want := strings.Join(c.want, "\n"); !strings.HasSuffix(strings.Join(got, "\n"), want) {
				t.Errorf("the steps ran:\n%s\nwant them to end with:\n%s\nsteps:\n%s", b, want, commandsOf(res))
			}
			if !strings.Contains(string(b), "pip\n[install]\n[-r]\n["+filepath.Join(dir, "requirements; touch pwned #.txt")+"]\n") {
				t.Errorf("pip was not given the restored requirements file:\n%s", b)
			}
		})
	}
}

func commandsOf(res *snapshot.Result) string {
	var lines []string
	for _, s := range res.Next {
		lines = append(lines, s.Command)
	}
	return strings.Join(lines, "\n")
}

// longDir is a directory path of about 3,300 bytes under root: any file
// path a snapshot may hold (up to 1,024 bytes) is restorable, but one of
// 900 bytes no longer fits under it with a staging directory in between
// (Linux's PATH_MAX is 4,096), so only writing it fails.
func longDir(root string) string {
	parts := []string{root, "new"}
	for range 13 {
		parts = append(parts, strings.Repeat("d", 250))
	}
	return filepath.Join(parts...)
}

// deepFile is a file of 900 bytes of path.
func deepFile() core.SnapshotFile {
	var parts []string
	for range 4 {
		parts = append(parts, strings.Repeat("f", 220))
	}
	return core.NewSnapshotFile(strings.Join(parts, "/")+"/requirements.txt", "python", []byte("numpy==2\n"))
}

// TestFailedRestoreLeavesNoFolderBehind: a restore that fails removes the
// directories it made (the staging directory, the target and the depot
// above it), and leaves a target that was there before as it was.
func TestFailedRestoreLeavesNoFolderBehind(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	snap := sample("5", core.NewSnapshotFile("pyproject.toml", "python", []byte("[project]\n")), deepFile())
	for _, c := range []struct {
		depot string
		opts  snapshot.RestoreOptions
	}{
		{longDir(root), snapshot.RestoreOptions{}},
		{"", snapshot.RestoreOptions{Dir: filepath.Join(longDir(root), "deeper", "target")}},
	} {
		if _, err := snapshot.Restore(snap, c.depot, c.opts); err == nil {
			t.Fatal("a path past PATH_MAX was restored")
		}
		if entries, _ := os.ReadDir(root); len(entries) != 0 {
			t.Errorf("restore into %.80s%.80s... failed and left %v behind", c.depot, c.opts.Dir, entries)
		}
	}

	// An existing target with a file the restore would replace, and then a
	// directory where the snapshot has a file.
	target := filepath.Join(longDir(t.TempDir()), "existing")
	writeFiles(t, target, map[string][]byte{"pyproject.toml": []byte("old\n"), "z/inside.txt": []byte("kept\n")})
	for _, s := range []*core.Snapshot{snap, sample("5", core.NewSnapshotFile("pyproject.toml", "python", []byte("new\n")), core.NewSnapshotFile("z", "", []byte("file\n")))} {
		if _, err := snapshot.Restore(s, "", snapshot.RestoreOptions{Dir: target, Force: true}); err == nil {
			t.Fatal("the restore did not fail")
		}
		if b, _ := os.ReadFile(filepath.Join(target, "pyproject.toml")); string(b) != "old\n" {
			t.Errorf("a failed restore replaced pyproject.toml with %q", b)
		}
		if entries, _ := os.ReadDir(target); len(entries) != 2 {
			t.Errorf("a failed restore left %v in the target", entries)
		}
	}
}
