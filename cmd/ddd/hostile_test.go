package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
	"github.com/deardiary/deardiary-go/snapshot"
	"github.com/deardiary/deardiary-go/snapshot/snapshottest"
)

// TestHostileSnapshotSize sends ddd a snapshot of 16 MB of files (100 MB
// in the long tests without the race detector): it is stored, served back
// whole, and restores byte for byte, with ddd alive throughout; one over the upload limit, or
// with a file over the per-file limit, is refused and nothing kept.
func TestHostileSnapshotSize(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("moves 100 MB snapshots")
	}
	size, limit := 16<<20, 64<<20
	if longTests() && !raceEnabled {
		size, limit = 100<<20, 200<<20
	}
	srv := startChild(t, "ddd", filepath.Join(t.TempDir(), "big.db"), "DEARDIARY_MAX_SNAPSHOT_BYTES="+strconv.Itoa(limit))
	defer func() {
		srv.stdin.Close()
		srv.cmd.Wait()
	}()
	c := daemontest.API{T: t, Base: "http://" + srv.addr}
	_, e, it := c.Seed()
	ctx := context.Background()
	client, err := daemon.Connect(ctx, c.Base, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := snapshottest.Hostile(size, 1)
	if err := client.SaveSnapshot(ctx, it, want); err != nil {
		t.Fatalf("saving %s: %v", core.FormatBytes(int64(size)), err)
	}
	got, err := client.GetSnapshot(ctx, it)
	if err != nil {
		t.Fatalf("reading it back: %v", err)
	}
	if len(got.Files) != len(want.Files) || !bytes.Equal(got.Git.Diff, want.Git.Diff) {
		t.Fatalf("%d files back of %d, diff equal %v", len(got.Files), len(want.Files), bytes.Equal(got.Git.Diff, want.Git.Diff))
	}
	res, err := snapshot.Restore(got, filepath.Join(t.TempDir(), "restored"), snapshot.RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range want.Files {
		if b, err := os.ReadFile(filepath.Join(res.Dir, f.Path)); err != nil || !bytes.Equal(b, f.Content) {
			t.Fatalf("%s does not restore byte for byte: %v", f.Path, err)
		}
	}
	t.Logf("ddd peak resident memory after a %s snapshot in and out: %.0f MiB", core.FormatBytes(int64(size)), peakRSSMiB(srv.cmd.Process.Pid))

	// Past the limits, the upload's or one file's: refused with a message
	// that says which, and the iteration still has no snapshot.
	other := c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil), 201, "").Str("iteration_id")
	oneBigFile := &core.Snapshot{Runtime: "go", Files: []core.SnapshotFile{core.NewSnapshotFile("model.bin", "", make([]byte, core.MaxSnapshotFileSize+1<<20))}}
	tenFiles := &core.Snapshot{Runtime: "go"} // base64 makes it 5/3 of the limit
	for i := range 10 {
		tenFiles.Files = append(tenFiles.Files, core.NewSnapshotFile(fmt.Sprintf("part%d.bin", i), "", make([]byte, limit/8)))
	}
	for _, tc := range []struct {
		what   string
		snap   *core.Snapshot
		code   string
		saying string
	}{
		{"past the upload limit", tenFiles, "PAYLOAD_TOO_LARGE", "too large"},
		{"one file past the per-file limit", oneBigFile, core.EInvalid, "at most 32.0 MiB"},
	} {
		err = client.SaveSnapshot(ctx, other, tc.snap)
		if core.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.saying) {
			t.Errorf("%s: %v (code %s), want %s saying %q", tc.what, err, core.ErrorCode(err), tc.code, tc.saying)
		}
		if _, err := client.GetSnapshot(ctx, other); core.ErrorCode(err) != core.ENotFound {
			t.Fatalf("after the refusal: %v, want no snapshot", err)
		}
	}
	c.Expect(c.Do("GET", "/health", nil), 200, "")
}
