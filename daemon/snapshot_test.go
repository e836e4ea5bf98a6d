package daemon_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
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
