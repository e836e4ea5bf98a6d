package daemon_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/snapshot"
)

// fileJSON is one file of a snapshot upload, as the wire has it.
func fileJSON(path string, content []byte) map[string]any {
	return map[string]any{"path": path, "ecosystem": "", "size_bytes": len(content), "sha256": core.SHA256Hex(content),
		"content": base64.StdEncoding.EncodeToString(content)}
}

func snapshotBody(commit string, files ...map[string]any) map[string]any {
	if files == nil {
		files = []map[string]any{fileJSON("go.mod", []byte("module x\n"))}
	}
	return map[string]any{"runtime": "go", "git": map[string]any{"commit": commit}, "files": files}
}

// TestSnapshotUploadsRestoreOrAreRefused: an upload a restore could not
// write back safely and as captured is refused with 422 and a message saying
// why, and leaves no snapshot behind.
func TestSnapshotUploadsRestoreOrAreRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	_, _, it := s.API.Seed()
	wrongSum := fileJSON("uv.lock", []byte("version = 1\n"))
	wrongSum["sha256"] = core.SHA256Hex([]byte("version = 2\n"))
	for _, c := range []struct {
		name string
		body map[string]any
		say  string
	}{
		{"a repository's config", snapshotBody("", fileJSON(".git/config", []byte("[core]\n\tfsmonitor = \"touch /tmp/x\"\n")), fileJSON(".git/HEAD", []byte("ref: refs/heads/main\n"))), ".git"},
		{"a repository in any case", snapshotBody("", fileJSON(".GIT/config", []byte("[core]\n"))), ".git"},
		{"a nested repository", snapshotBody("", fileJSON("sub/.git/hooks/x", []byte("#!/bin/sh\n"))), ".git"},
		{"a backslash", snapshotBody("", fileJSON(`.git\config`, []byte("[core]\n"))), `.git\\config`},
		{"a command for a commit", snapshotBody("deadbeef; touch /tmp/x #"), "7 to 64 hex digits"},
		{"a short commit", snapshotBody("abc"), "7 to 64 hex digits"},
		{"content that is not its sha256", snapshotBody("", wrongSum), "sha256"},
		{"a file and a file under it", snapshotBody("", fileJSON("a", []byte("1")), fileJSON("a/b", []byte("2"))), `"a/b"`},
		{"a name too long", snapshotBody("", fileJSON("dir/"+strings.Repeat("x", 256), []byte("1"))), "255 bytes"},
		{"a newline", snapshotBody("", fileJSON("requirements.txt\nNext: rm -rf ~", []byte("1"))), "control character"},
		{"an escape", snapshotBody("", fileJSON("x\x1b]0;owned\x07.txt", []byte("1"))), "control character"},
	} {
		a := s.API.Do("PUT", "/snapshot/iteration/"+it, c.body)
		if a.Status != 422 || a.Str("code") != core.EInvalid || !strings.Contains(a.Str("message"), c.say) {
			t.Errorf("%s: %d %s, want 422 saying %q", c.name, a.Status, a.Body, c.say)
		}
	}
	s.API.Expect(s.API.Do("GET", "/snapshot/iteration/"+it, nil), 404, core.ENotFound)
	s.API.Expect(s.API.Do("PUT", "/snapshot/iteration/"+it, snapshotBody(strings.Repeat("a", 40))), 200, "")
}

// TestUpstreamSnapshotRouteChecksTheCommit: DearDiary.jl's route sets the
// git_sha column that restores print; it takes a commit id or nothing.
func TestUpstreamSnapshotRouteChecksTheCommit(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	_, _, it := s.API.Seed()
	env := func(sha string) map[string]any {
		return map[string]any{"julia_version": "1.11.5", "git_sha": sha, "git_dirty": false, "entrypoint": "train.jl",
			"project_toml": "[deps]\n", "manifest_toml": "julia_version = \"1.11.5\"\n"}
	}
	a := s.API.Do("POST", "/iteration/"+it+"/snapshot", env("deadbeef; touch /tmp/x #"))
	if a.Status != 422 || a.Str("code") != core.EInvalid || !strings.Contains(a.Str("message"), "7 to 64 hex digits") {
		t.Errorf("a command for git_sha: %d %s, want 422", a.Status, a.Body)
	}
	if got := s.API.Expect(s.API.Do("GET", "/iteration/"+it, nil), 200, "").Str("git_sha"); got != "" {
		t.Errorf("git_sha = %q after a refused upload", got)
	}
	for _, sha := range []string{"", strings.Repeat("b", 40)} {
		s.API.Expect(s.API.Do("POST", "/iteration/"+it+"/snapshot", env(sha)), 200, "")
	}
}

// FuzzSnapshotUpload uploads snapshots of two files at arbitrary paths,
// with an arbitrary commit and, when wrong is set, a wrong sha256. An upload
// is refused with 422 exactly when core.CheckSnapshot refuses it, and one
// that is stored restores, byte for byte.
func FuzzSnapshotUpload(f *testing.F) {
	for _, seed := range []struct {
		first, second, commit string
		wrong                 bool
	}{
		{"go.mod", "sub/go.sum", strings.Repeat("ab", 20), false}, {"uv.lock", "pyproject.toml", "", true},
		{".git/config", "x", "", false}, {"a", "a/b", "", false}, {"a\nb", "c", "", false}, {"ok", "ok2", "deadbeef; touch x #", false},
		{strings.Repeat("n", 256), "m", "", false}, {strings.Repeat("d/", 600) + "x", "y", "", false}, {"é/ü.toml", "GIT~1/x", "", false},
	} {
		f.Add(seed.first, seed.second, seed.commit, []byte("content\r\n"), seed.wrong)
	}
	s := startServer(f, nil)
	api := s.API
	_, _, it := api.Seed()
	f.Fuzz(func(t *testing.T, first, second, commit string, content []byte, wrong bool) {
		if !utf8.ValidString(first) || !utf8.ValidString(second) || !utf8.ValidString(commit) {
			return // JSON carries text; encoding/json would change these (each alone: "0\xc5" and "\x90" are text together)
		}
		api := api
		api.T = t
		files := []map[string]any{fileJSON(first, append([]byte{1}, content...)), fileJSON(second, append([]byte{2}, content...))}
		if wrong {
			files[1]["sha256"] = core.SHA256Hex(content)
		}
		body := snapshotBody(commit, files...)
		want := core.CheckSnapshot(snapshotOf(body))
		a := api.Do("PUT", "/snapshot/iteration/"+it, body)
		switch {
		case a.Status == 422 && want != nil:
			return
		case a.Status != 200 || want != nil:
			t.Fatalf("upload of %q, %q, commit %q: %d %s; core.CheckSnapshot says %v", first, second, commit, a.Status, a.Body, want)
		}
		c, err := daemon.Connect(context.Background(), s.URL, daemon.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := snapshot.RestoreIteration(context.Background(), c, it, t.TempDir(), snapshot.RestoreOptions{})
		if err != nil {
			t.Fatalf("stored %q and %q, but the restore fails: %v", first, second, err)
		}
		for i, p := range []string{first, second} {
			if got, err := os.ReadFile(filepath.Join(res.Dir, filepath.FromSlash(p))); err != nil || !bytes.Equal(got, append([]byte{byte(i + 1)}, content...)) {
				t.Fatalf("%q restored as %q, %v", p, got, err)
			}
		}
	})
}

// snapshotOf reads an upload body as the daemon does.
func snapshotOf(body map[string]any) *core.Snapshot {
	var snap core.Snapshot
	snap.Git.Commit = body["git"].(map[string]any)["commit"].(string)
	for _, f := range body["files"].([]map[string]any) {
		content, _ := base64.StdEncoding.DecodeString(f["content"].(string))
		snap.Files = append(snap.Files, core.SnapshotFile{Path: f["path"].(string), Size: int64(f["size_bytes"].(int)), SHA256: f["sha256"].(string), Content: content})
	}
	return &snap
}
