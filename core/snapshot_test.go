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

// TestCheckSnapshotPathRefusesNamesNoRestoreCanWrite: a part over 255 bytes
// is too long for any common file system, a path over 1,024 bytes leaves no
// room for the directory restored into, and control characters, newlines
// first, make names that break lines and terminals.
func TestCheckSnapshotPathRefusesNamesNoRestoreCanWrite(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"a\nb", "requirements.txt\n", "a\rb", "a\tb", "x\x1b[2J.txt", "a/\x7f", "a\u0085b", "a\u009bb",
		"dir/" + strings.Repeat("x", 256), strings.Repeat("é", 128) + "/go.mod", strings.Repeat("d/", 510) + "go.mod"} {
		if err := CheckSnapshotPath(p); ErrorCode(err) != EInvalid {
			t.Errorf("CheckSnapshotPath(%q) = %v, want EInvalid", p, err)
		}
	}
	for _, p := range []string{"dir/" + strings.Repeat("x", 255), strings.Repeat("é", 127) + "/go.mod", "a b/c d.txt", "ünïcode/✓.toml",
		strings.Repeat("d/", 509) + "go.mod"} {
		if err := CheckSnapshotPath(p); err != nil {
			t.Errorf("CheckSnapshotPath(%q) = %v, want nil", p, err)
		}
	}
}

// TestCheckSnapshotRefusesWhatCannotBeRestored: content that is not what
// its sha256 says, a file with another file under it, a path twice.
func TestCheckSnapshotRefusesWhatCannotBeRestored(t *testing.T) {
	t.Parallel()
	file := func(path, content string) SnapshotFile { return NewSnapshotFile(path, "", []byte(content)) }
	wrongSum := file("uv.lock", "version = 1\n")
	wrongSum.SHA256 = SHA256Hex([]byte("something else"))
	wrongSize := file("uv.lock", "version = 1\n")
	wrongSize.Size++
	skipped := SnapshotFile{Path: "big.bin", Size: 20 << 20, SHA256: strings.Repeat("ab", 32), Skipped: "too large"}
	for name, c := range map[string]struct {
		files []SnapshotFile
		say   string
	}{
		"a wrong sha256":       {[]SnapshotFile{file("go.mod", "x"), wrongSum}, "sha256"},
		"a wrong size":         {[]SnapshotFile{wrongSize}, "size"},
		"a file and one below": {[]SnapshotFile{file("a", "1"), file("a/b", "2")}, `"a/b"`},
		"one below and a file": {[]SnapshotFile{file("a/b/c", "2"), file("x", ""), file("a/b", "1")}, `"a/b/c"`},
		"a skipped file above": {[]SnapshotFile{skipped, file("big.bin/x", "1")}, `"big.bin/x"`},
		"a path twice":         {[]SnapshotFile{file("go.mod", "1"), file("go.mod", "1")}, "twice"},
		"an unsafe path":       {[]SnapshotFile{file("../x", "1")}, "clean relative path"},
	} {
		if err := CheckSnapshot(&Snapshot{Files: c.files}); ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), c.say) {
			t.Errorf("%s: %v, want EInvalid saying %q", name, err, c.say)
		}
	}
	ok := []SnapshotFile{file("a", "1"), file("ab", "2"), file("a.d/b", "3"), file("c/d", "4"), file("c/e", "5"), skipped, file("empty", "")}
	if err := CheckSnapshot(&Snapshot{Files: ok, Git: GitState{Commit: strings.Repeat("f", 40)}}); err != nil {
		t.Errorf("a snapshot a restore can write: %v", err)
	}
}
