package daemon

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

// TestWriteSnapshotMatchesMarshal: the streamed snapshot daemontest.Answer is byte for
// byte what marshalling it whole gives, whatever its files hold.
func TestWriteSnapshotMatchesMarshal(t *testing.T) {
	t.Parallel()
	binary := make([]byte, 70_000)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	for name, snap := range map[string]*core.Snapshot{
		"empty": {IterationID: "it"},
		"full": {IterationID: "it", Runtime: "go", Git: core.GitState{Commit: "abc", Dirty: true, Diff: []byte("diff --git a b\n")},
			Files: []core.SnapshotFile{
				core.NewSnapshotFile("go.sum", "go", []byte("x v1 h1:=\n")),
				core.NewSnapshotFile("empty.txt", "", []byte{}),
				{Path: "big.bin", Size: 99, SHA256: "00", Skipped: "too large"},
				core.NewSnapshotFile("weights.bin", "", binary),
				core.NewSnapshotFile("AAAAAAAAAAAAAAAAAAAAAAAA", "", []byte("AAAAAAAAAAAAAAAAAA")),
			}},
	} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSON(want, 200, toSnapshotJSON(snap))
		if err := writeSnapshot(got, snap); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%s: streamed\n%.300s\nmarshalled\n%.300s", name, got.Body, want.Body)
		}
	}
}
