package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

// TestForcedRestoreUndoesAFailedMove: when moving a file into an existing
// target fails (a disk error, say), the files already moved go back out and
// the ones they replaced come back, whichever move it is. Not parallel: it
// replaces rename.
func TestForcedRestoreUndoesAFailedMove(t *testing.T) {
	defer func(r func(string, string) error) { rename = r }(rename)
	snap := &core.Snapshot{IterationID: "1", Git: core.GitState{Dirty: true, Diff: []byte("diff\n")}, Files: []core.SnapshotFile{
		core.NewSnapshotFile("a.txt", "", []byte("new a\n")), core.NewSnapshotFile("b.txt", "", []byte("new b\n")),
		core.NewSnapshotFile("c/d/new.txt", "", []byte("new\n")),
	}}
	old := map[string]string{"a.txt": "old a\n", "b.txt": "old b\n", "keep/x": "x\n"}
	for fail := 1; ; fail++ {
		target := t.TempDir()
		for name, content := range old {
			os.MkdirAll(filepath.Dir(filepath.Join(target, name)), 0o755)
			os.WriteFile(filepath.Join(target, name), []byte(content), 0o644)
		}
		calls := 0
		rename = func(from, to string) error {
			if calls++; calls == fail {
				return errors.New("disk error")
			}
			return os.Rename(from, to)
		}
		_, err := Restore(snap, "", RestoreOptions{Dir: target, Force: true})
		if err == nil {
			if fail == 1 {
				t.Fatal("no rename failed")
			}
			return // every move has failed once
		}
		got := map[string]string{}
		filepath.WalkDir(target, func(p string, d os.DirEntry, err error) error {
			if rel, _ := filepath.Rel(target, p); err == nil && rel != "." {
				b, _ := os.ReadFile(p)
				got[filepath.ToSlash(rel)] = string(b)
				if d.IsDir() {
					got[filepath.ToSlash(rel)] = "(dir)"
				}
			}
			return nil
		})
		if want := map[string]string{"a.txt": "old a\n", "b.txt": "old b\n", "keep": "(dir)", "keep/x": "x\n"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("rename %d failed (%v); the target holds %q, want it as it was", fail, err, got)
		}
	}
}
