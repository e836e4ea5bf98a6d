package core

import (
	"strings"
	"testing"
)

// TestCheckSnapshotPathRefusesGitDirectories: a restore must never plant a
// repository (its config can name commands git runs), whatever spelling a
// file system would read as .git: any case, NTFS's trailing dots, spaces and
// short name, HFS+'s ignored code points.
func TestCheckSnapshotPathRefusesGitDirectories(t *testing.T) {
	t.Parallel()
	for _, p := range []string{
		".git", ".git/config", ".GIT/config", ".Git/HEAD", "sub/.git/hooks/x", "a/b/.git", `.git\config`,
		".git./config", ".git /config", ".git. . /config", "git~1/config", "GIT~1/config", ".git::$INDEX_ALLOCATION/config",
		".g\u200cit/config", "\ufeff.git/config", ".gi\u200dt/config",
	} {
		if err := CheckSnapshotPath(p); ErrorCode(err) != EInvalid {
			t.Errorf("CheckSnapshotPath(%q) = %v, want EInvalid", p, err)
		} else if !strings.Contains(err.Error(), ".git") && !strings.Contains(p, `\`) {
			t.Errorf("CheckSnapshotPath(%q) = %v, want it to name .git", p, err)
		}
	}
	for _, p := range []string{".gitignore", ".github/workflows/ci.yml", "a.git/x", "git/config", ".gitmodules", "x.git", ".git-blame-ignore-revs", "git~10"} {
		if err := CheckSnapshotPath(p); err != nil {
			t.Errorf("CheckSnapshotPath(%q) = %v, want nil", p, err)
		}
	}
}

// TestCheckCommit: a recorded commit is printed as `git checkout COMMIT`, so
// it must be a commit id and nothing else.
func TestCheckCommit(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"", "deadbee", strings.Repeat("c0ffee", 6) + "0123", strings.Repeat("a", 64), "DEADBEEF"} {
		if err := CheckCommit(c); err != nil {
			t.Errorf("CheckCommit(%q) = %v", c, err)
		}
	}
	for _, c := range []string{"deadbeef; touch /tmp/x #", "abc123", strings.Repeat("a", 65), strings.Repeat("g", 40), "-deadbeef", "HEAD", "main", "deadbeef\n", " deadbeef"} {
		if err := CheckCommit(c); ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), "hex") {
			t.Errorf("CheckCommit(%q) = %v, want EInvalid saying it must be hex", c, err)
		}
	}
	if err := CheckSnapshot(&Snapshot{Git: GitState{Commit: "deadbeef; touch /tmp/x #"}}); ErrorCode(err) != EInvalid {
		t.Errorf("CheckSnapshot of a snapshot with a shell command for a commit = %v", err)
	}
}
