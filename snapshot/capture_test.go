package snapshot

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

// repo makes a git repository in a temp dir holding files, committed unless
// commit is false.
func repo(t *testing.T, files map[string]string, commit bool) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "config", "user.email", "ada@example.com")
	git(t, dir, "config", "user.name", "Ada")
	write(t, dir, files)
	if commit {
		git(t, dir, "add", "-A")
		git(t, dir, "commit", "-q", "-m", "first")
	}
	return dir
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func paths(s *core.Snapshot) []string {
	var out []string
	for _, f := range s.Files {
		out = append(out, f.Path)
	}
	return out
}

func hasNote(s *core.Snapshot, part string) bool {
	return slices.ContainsFunc(s.Notes, func(n string) bool { return strings.Contains(n, part) })
}

func TestCaptureCleanRepository(t *testing.T) {
	t.Parallel()
	dir := repo(t, map[string]string{"go.mod": "module x\n\ngo 1.26\n", "go.sum": "", "main.go": "package main\n"}, true)
	git(t, dir, "remote", "add", "origin", "https://ada:ghp_secret@github.com/ada/iris.git")
	s := Capture(context.Background(), filepath.Join(dir), Options{Entrypoint: "main.go"})
	head := git(t, dir, "rev-parse", "HEAD")
	if s.Git.Commit != head || len(s.Git.Commit) != 40 || s.Git.Dirty || len(s.Git.Diff) != 0 {
		t.Fatalf("git = %+v, want clean at %s", s.Git, head)
	}
	if s.Git.Branch != "main" || s.Git.Remote != "https://github.com/ada/iris.git" {
		t.Fatalf("branch %q, remote %q (credentials must go)", s.Git.Branch, s.Git.Remote)
	}
	if !slices.Equal(paths(s), []string{"go.mod", "go.sum"}) {
		t.Fatalf("files = %v", paths(s))
	}
	if s.Runtime != "go" || s.RuntimeVersion != goVersion() || s.Entrypoint != "main.go" {
		t.Fatalf("runtime %s %s, entrypoint %q", s.Runtime, s.RuntimeVersion, s.Entrypoint)
	}
	resolved, _ := filepath.EvalSymlinks(dir)
	if s.Root != resolved && s.Root != dir {
		t.Fatalf("root = %s, want %s", s.Root, dir)
	}
}

func TestCaptureFromSubdirectoryUsesGitRoot(t *testing.T) {
	t.Parallel()
	dir := repo(t, map[string]string{"Cargo.toml": "[package]\n", "Cargo.lock": "version = 4\n", "py/pyproject.toml": "[project]\n", "py/x.py": ""}, true)
	s := Capture(context.Background(), filepath.Join(dir, "py"), Options{})
	if !slices.Equal(paths(s), []string{"Cargo.lock", "Cargo.toml", "py/pyproject.toml"}) {
		t.Fatalf("files = %v", paths(s))
	}
	for _, f := range s.Files {
		if want := map[string]string{"Cargo.lock": "rust", "Cargo.toml": "rust", "py/pyproject.toml": "python"}[f.Path]; f.Ecosystem != want {
			t.Errorf("%s: ecosystem %q, want %q", f.Path, f.Ecosystem, want)
		}
	}
}

func TestCaptureDirtyRepository(t *testing.T) {
	t.Parallel()
	dir := repo(t, map[string]string{"train.py": "lr = 0.1\n", "weights.bin": "\x00\x01\x02", "old.txt": "gone soon\n"}, true)
	write(t, dir, map[string]string{"train.py": "lr = 0.01\n", "weights.bin": "\x00\xff\x02\x03", "notes.md": "untracked\n", "added.py": "x = 1\n"})
	git(t, dir, "add", "added.py")
	os.Remove(filepath.Join(dir, "old.txt"))
	s := Capture(context.Background(), dir, Options{})
	if !s.Git.Dirty || len(s.Git.Diff) == 0 {
		t.Fatalf("a changed tree reads as clean: %+v", s.Git)
	}
	if !slices.Equal(s.Git.Untracked, []string{"notes.md"}) {
		t.Fatalf("untracked = %v", s.Git.Untracked)
	}
	if !bytes.Contains(s.Git.Diff, []byte("GIT binary patch")) {
		t.Fatal("the binary change is not in the diff")
	}
}

func TestUntrackedFilesDoNotMakeDirty(t *testing.T) {
	t.Parallel()
	dir := repo(t, map[string]string{"a.txt": "a\n"}, true)
	write(t, dir, map[string]string{"scratch.txt": "x\n"})
	s := Capture(context.Background(), dir, Options{})
	if s.Git.Dirty || !slices.Equal(s.Git.Untracked, []string{"scratch.txt"}) {
		t.Fatalf("git = %+v", s.Git)
	}
}

func TestCaptureWithoutRepository(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"requirements.txt": "numpy==2.1.3\n"})
	s := Capture(context.Background(), dir, Options{Entrypoint: "train.py"})
	if s.Git.Commit != "" || !hasNote(s, "not in a git repository") {
		t.Fatalf("git %+v, notes %v", s.Git, s.Notes)
	}
	if s.Root != dir || !slices.Equal(paths(s), []string{"requirements.txt"}) || s.Runtime != "python" {
		t.Fatalf("root %s, files %v, runtime %s", s.Root, paths(s), s.Runtime)
	}
}

func TestCaptureUnbornHead(t *testing.T) {
	t.Parallel()
	dir := repo(t, map[string]string{"Project.toml": "[deps]\n"}, false)
	git(t, dir, "add", "Project.toml")
	s := Capture(context.Background(), dir, Options{})
	if s.Git.Commit != "" || !hasNote(s, "no commits yet") || s.Git.Branch != "main" {
		t.Fatalf("git %+v, notes %v", s.Git, s.Notes)
	}
}

func TestCaptureWithoutTools(t *testing.T) {
	dir := repo(t, map[string]string{"package.json": "{}\n"}, true)
	t.Setenv("PATH", t.TempDir()) // no git, no node
	s := Capture(context.Background(), dir, Options{})
	if s.Git.Commit != "" || !hasNote(s, "git not found") || !hasNote(s, "node not found") {
		t.Fatalf("git %+v, notes %v", s.Git, s.Notes)
	}
	if !slices.Equal(paths(s), []string{"package.json"}) || s.Runtime != "node" || s.RuntimeVersion != "" {
		t.Fatalf("files %v, runtime %q %q", paths(s), s.Runtime, s.RuntimeVersion)
	}
}

func TestCaptureEcosystemFixtures(t *testing.T) {
	t.Parallel()
	cases := map[string][]string{
		"julia":  {"Manifest.toml", "Project.toml"},
		"go":     {"go.mod", "go.sum"},
		"python": {"pyproject.toml", "requirements-dev.txt", "requirements.txt", "uv.lock"},
		"rust":   {"Cargo.lock", "Cargo.toml"},
		"node":   {"package-lock.json", "package.json"},
	}
	for eco, want := range cases {
		fixture := filepath.Join("..", "testdata", "snapshot", eco)
		dir := t.TempDir()
		entries, err := os.ReadDir(fixture)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(fixture, e.Name()))
			os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
		}
		s := Capture(context.Background(), dir, Options{})
		if !slices.Equal(paths(s), want) {
			t.Errorf("%s: files %v, want %v", eco, paths(s), want)
		}
		if s.Runtime != eco || len(s.Runtimes) != 1 {
			t.Errorf("%s: runtime %q, runtimes %v", eco, s.Runtime, s.Runtimes)
		}
		for _, f := range s.Files {
			b, _ := os.ReadFile(filepath.Join(dir, f.Path))
			if !bytes.Equal(b, f.Content) || f.SHA256 != core.SHA256Hex(b) || f.Ecosystem != eco {
				t.Errorf("%s/%s not captured verbatim", eco, f.Path)
			}
		}
	}
}

func TestJuliaVersionFromManifest(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"Project.toml": "[deps]\n", "Manifest.toml": "julia_version = \"1.11.5\"\nmanifest_format = \"2.0\"\n"})
	t.Setenv("PATH", t.TempDir()) // no julia
	s := Capture(context.Background(), dir, Options{})
	if s.Runtime != "julia" || s.RuntimeVersion != "1.11.5" {
		t.Fatalf("runtime %q %q, notes %v", s.Runtime, s.RuntimeVersion, s.Notes)
	}
	if env := s.Upstream(); env.JuliaVersion != "1.11.5" || env.ManifestTOML == "" || env.ProjectTOML != "[deps]\n" {
		t.Fatalf("upstream columns = %+v", env)
	}
}

func TestLargeFilesAreListedNotKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := strings.Repeat("x", 5000)
	write(t, dir, map[string]string{"uv.lock": big, "pyproject.toml": "[project]\n"})
	s := Capture(context.Background(), dir, Options{MaxFileSize: 4096})
	f := s.File("uv.lock")
	if f == nil || f.Content != nil || f.Size != 5000 || f.SHA256 != core.SHA256Hex([]byte(big)) || !strings.Contains(f.Skipped, "too large") {
		t.Fatalf("large file = %+v", f)
	}
	if s.File("pyproject.toml").Skipped != "" {
		t.Fatal("a small file was skipped")
	}
}

func TestStripCredentials(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://ada:tok@github.com/a/b.git":   "https://github.com/a/b.git",
		"https://ghp_token@github.com/a/b.git": "https://github.com/a/b.git",
		"ssh://git:pw@host:2222/a/b.git":       "ssh://git@host:2222/a/b.git",
		"git@github.com:a/b.git":               "git@github.com:a/b.git",
		"/srv/git/b.git":                       "/srv/git/b.git",
	} {
		if got := StripCredentials(in); got != want {
			t.Errorf("StripCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommandOptions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		argv                []string
		entrypoint, runtime string
	}{
		{[]string{"python3.12", "train.py", "--lr", "0.1"}, "python3.12 train.py --lr 0.1", "python"},
		{[]string{"sh", "-c", "julia --project run.jl"}, "sh -c 'julia --project run.jl'", "julia"},
		{[]string{"./train.jl", "it's"}, `./train.jl 'it'\''s'`, "julia"},
		{[]string{"cargo", "run", "--release"}, "cargo run --release", "rust"},
		{[]string{"/usr/bin/node", "main.mjs"}, "/usr/bin/node main.mjs", "node"},
	} {
		got := CommandOptions(c.argv)
		if got.Entrypoint != c.entrypoint || got.Runtime != c.runtime {
			t.Errorf("CommandOptions(%q) = %q, %q; want %q, %q", c.argv, got.Entrypoint, got.Runtime, c.entrypoint, c.runtime)
		}
	}
}
