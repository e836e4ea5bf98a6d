package duckdb_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

func bytesOf(t *testing.T, s *duckdb.Store, id string) string {
	t.Helper()
	r, err := s.OpenResource(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	return string(b)
}

// failingReader gives some bytes, then an error: an upload that breaks off.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 3 {
		return 0, errors.New("connection reset")
	}
	f.n++
	return copy(p, "chunk"), nil
}

func TestFilesystemArtifacts(t *testing.T) {
	t.Parallel()
	ctx, dir := context.Background(), t.TempDir()
	root := filepath.Join(dir, "artifacts")
	s := openFile(t, filepath.Join(dir, "deardiary.db"), duckdb.WithArtifacts(core.BackendFilesystem, root))
	e, _ := run(t, s)
	id := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "ckpt"}, strings.NewReader("weights v1")))
	r, err := s.GetResource(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	stored := files(t, root)
	if r.Backend != core.BackendFilesystem || len(stored) != 1 || r.URI != "file://"+stored[0] {
		t.Fatalf("resource %+v, files %v", r, stored)
	}
	if shard := filepath.Base(filepath.Dir(stored[0])); len(shard) != 2 || filepath.Dir(filepath.Dir(stored[0])) != root {
		t.Fatalf("file %s is not in a two-character shard directly under the root", stored[0])
	}
	if b, _ := os.ReadFile(stored[0]); string(b) != "weights v1" {
		t.Fatalf("file holds %q", b)
	}

	if err := s.UpdateResource(ctx, id, core.ResourceUpdate{Data: strings.NewReader("weights v2")}); err != nil {
		t.Fatal(err)
	}
	if now := files(t, root); len(now) != 1 || now[0] == stored[0] {
		t.Fatalf("after replacing the bytes: %v (old file %s should be gone)", now, stored[0])
	}
	if got := bytesOf(t, s, id); got != "weights v2" {
		t.Fatalf("bytes = %q", got)
	}

	if _, err := s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "broken"}, &failingReader{}); err == nil {
		t.Fatal("a broken upload succeeded")
	}
	if n := len(files(t, root)); n != 1 {
		t.Fatalf("a broken upload left files behind: %d files", n)
	}
	if _, err := s.CreateResource(ctx, core.ResourceCreate{ExperimentID: "9999", Name: "x"}, strings.NewReader("x")); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("upload to an unknown experiment: %v", err)
	}
	if n := len(files(t, root)); n != 1 {
		t.Fatalf("a refused upload left files behind: %d files", n)
	}

	// Switching the backend: old rows are read from where they were written.
	onDisk := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "x"}, strings.NewReader("kept on disk")))
	s.Close()
	s = openFile(t, filepath.Join(dir, "deardiary.db"))
	defer s.Close()
	inRow := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "y"}, strings.NewReader("kept inline")))
	if bytesOf(t, s, onDisk) != "kept on disk" || bytesOf(t, s, inRow) != "kept inline" {
		t.Fatal("reads did not follow each row's backend")
	}
	if err := s.DeleteExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	if left := files(t, root); len(left) != 0 {
		t.Fatalf("deleting the experiment left %v", left)
	}
}

func TestMigrateArtifacts(t *testing.T) {
	t.Parallel()
	ctx, dir := context.Background(), t.TempDir()
	path, root := filepath.Join(dir, "deardiary.db"), filepath.Join(dir, "artifacts")
	s := openFile(t, path)
	e, _ := run(t, s)
	payloads := map[string][]byte{}
	for _, p := range [][]byte{[]byte("alpha"), bytes.Repeat([]byte{0, 255}, 1000)} {
		payloads[must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "r"}, bytes.NewReader(p)))] = p
	}
	if _, err := s.MigrateArtifacts(ctx); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("migrating to inline: %v", err)
	}
	s.Close()
	s = openFile(t, path, duckdb.WithArtifacts(core.BackendFilesystem, root))
	defer s.Close()
	res, err := s.MigrateArtifacts(ctx)
	if err != nil || res != (duckdb.MigrateResult{Migrated: 2}) {
		t.Fatalf("migration = %+v, %v", res, err)
	}
	for id, want := range payloads {
		r, err := s.GetResource(ctx, id)
		if err != nil || r.Backend != core.BackendFilesystem || !strings.HasPrefix(r.URI, "file://") || r.SizeBytes != int64(len(want)) {
			t.Fatalf("migrated resource %+v, %v", r, err)
		}
		if got := bytesOf(t, s, id); got != string(want) {
			t.Fatalf("bytes after migration differ")
		}
	}
	if res, err := s.MigrateArtifacts(ctx); err != nil || res != (duckdb.MigrateResult{}) {
		t.Fatalf("second pass = %+v, %v", res, err)
	}
	if n := len(files(t, root)); n != 2 {
		t.Fatalf("%d files after two passes, want 2", n)
	}
}

// TestArtifactBackendIsAnOption: the backend is what Open is given, never
// what the environment says (only cmd/ reads DEARDIARY_* variables).
func TestArtifactBackendIsAnOption(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DEARDIARY_ARTIFACT_BACKEND", "filesystem")
	t.Setenv("DEARDIARY_ARTIFACT_FS_ROOT", filepath.Join(dir, "env-root"))
	s := openFile(t, filepath.Join(dir, "a.db"))
	e, _ := run(t, s)
	id := must[string](t)(s.CreateResource(context.Background(), core.ResourceCreate{ExperimentID: e, Name: "r"}, strings.NewReader("x")))
	if r, err := s.GetResource(context.Background(), id); err != nil || r.Backend != core.BackendInline {
		t.Fatalf("resource %+v, %v: want inline, the default", r, err)
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, "env-root")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the store wrote under the root named in the environment: %v", err)
	}
	if _, err := duckdb.Open(filepath.Join(dir, "b.db"), duckdb.WithArtifacts("ftp", "")); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("unknown backend: %v", err)
	}
}
