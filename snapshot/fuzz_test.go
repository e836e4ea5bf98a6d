package snapshot_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/snapshot"
)

// FuzzRestorePaths restores a snapshot holding two files at arbitrary
// paths. Whatever the paths, a restore either refuses, leaving nothing
// behind (not even the depot it made), or writes exactly those bytes inside
// its directory and nothing elsewhere.
func FuzzRestorePaths(f *testing.F) {
	for _, seed := range [][2]string{
		{"Manifest.toml", "sub/go.sum"}, {"../escape", "ok"}, {"/etc/passwd", "a"}, {"a/../../b", "c"},
		{"a//b", "c"}, {"./a", "b"}, {"C:/x", "y"}, {`a\..\b`, "c"}, {"a", "a"}, {"a", "a/b"}, {"uncommitted.patch", "x"},
		{"dir/", "x"}, {"\x00", "y"}, {"é/ü.toml", "ok"},
		{"a\nb", "x"}, {"x\x1b[2J", "y"}, {strings.Repeat("n", 256), "y"}, {"uncommitted.patch/x", "y"}, {"a/b/c", "a/b"},
		{strings.Repeat(strings.Repeat("d", 250)+"/", 20) + "past-PATH_MAX", "y"},
		{".git/config", "ok"}, {".GIT/HEAD", "x"}, {"sub/.git/hooks/pre-commit", "y"}, {".git./config", "z"}, {"git~1/config", "z"},
	} {
		f.Add(seed[0], seed[1], []byte("content\r\n"))
	}
	f.Fuzz(func(t *testing.T, first, second string, content []byte) {
		depot := filepath.Join(t.TempDir(), "depot") // made by the restore
		snap := &core.Snapshot{IterationID: "it"}
		for i, p := range []string{first, second} {
			data := append([]byte{byte(i)}, content...)
			snap.Files = append(snap.Files, core.SnapshotFile{Path: p, Size: int64(len(data)), SHA256: core.SHA256Hex(data), Content: data})
		}
		res, err := snapshot.Restore(snap, depot, snapshot.RestoreOptions{})
		written := filesUnder(t, depot)
		if err != nil {
			if _, statErr := os.Lstat(depot); len(written) > 0 || statErr == nil {
				t.Fatalf("refused (%v) but left %s behind, holding %v", err, depot, written)
			}
			return
		}
		for i, p := range []string{first, second} {
			if core.CheckSnapshotPath(p) != nil {
				t.Fatalf("restored the unsafe path %q", p)
			}
			for part := range strings.SplitSeq(strings.ToLower(p), "/") {
				if strings.TrimRight(part, ". ") == ".git" {
					t.Fatalf("restored %q, inside a repository directory", p)
				}
			}
			got, err := os.ReadFile(filepath.Join(res.Dir, filepath.FromSlash(p)))
			if err != nil || !bytes.Equal(got, append([]byte{byte(i)}, content...)) {
				t.Fatalf("%s: %q, %v", p, got, err)
			}
		}
		inside := filepath.Clean(res.Dir) + string(filepath.Separator)
		for _, w := range written {
			if !strings.HasPrefix(w, inside) {
				t.Fatalf("wrote %s outside %s", w, res.Dir)
			}
		}
	})
}

// filesUnder lists the regular files below dir.
func filesUnder(t *testing.T, dir string) []string {
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	return files
}
