package artifact_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
)

// TestInline: DearDiary.jl's acceptance case AC-ART-2.
func TestInline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := artifact.New(ctx, artifact.Config{})
	if err != nil || s.Backend() != core.BackendInline {
		t.Fatalf("default store %v, %v", s, err)
	}
	w, err := s.Write(ctx, strings.NewReader("hello"))
	if err != nil || w.Backend != core.BackendInline || w.URI != "" || w.Size != 5 ||
		w.Hash != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" || string(w.Data()) != "hello" {
		t.Fatalf("written %+v, %v", w, err)
	}
	for _, backend := range []string{core.BackendInline, "sqlite", ""} {
		if got := readAll(t, s, artifact.Written{Backend: backend, Inline: []byte("row bytes")}); string(got) != "row bytes" {
			t.Fatalf("%q row reads %q", backend, got)
		}
	}
	if err := s.Delete(ctx, core.BackendInline, ""); err != nil {
		t.Fatal(err)
	}
	if w, err := s.Write(ctx, strings.NewReader("")); err != nil || w.Data() == nil || len(w.Data()) != 0 {
		t.Fatalf("empty body: %+v, %v", w, err)
	}
}

// TestFilesystem: AC-ART-5.
func TestFilesystem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "not yet made")
	s, err := artifact.New(ctx, artifact.Config{Backend: core.BackendFilesystem, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Write(ctx, strings.NewReader("weights"))
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(w.URI, "file://")
	if w.Backend != core.BackendFilesystem || !strings.HasPrefix(w.URI, "file:///") || w.Size != 7 || w.Inline != nil ||
		len(filepath.Base(filepath.Dir(path))) != 2 || filepath.Dir(filepath.Dir(path)) != root {
		t.Fatalf("written %+v: want file://<root>/<aa>/<name>", w)
	}
	if got := readAll(t, s, w); string(got) != "weights" {
		t.Fatalf("read %q", got)
	}
	if err := s.Delete(ctx, w.Backend, w.URI); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file after delete: %v", err)
	}
	if err := s.Delete(ctx, w.Backend, w.URI); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Open(ctx, w.Backend, w.URI, nil); core.ErrorCode(err) != core.ENotFound {
		t.Fatalf("reading a deleted file: %v", err)
	}
	if _, err := s.Open(ctx, core.BackendFilesystem, "s3://bucket/key", nil); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("a non-file uri: %v", err)
	}
	if _, err := s.Write(ctx, &breaking{n: 100, err: errors.New("connection reset")}); err == nil {
		t.Fatal("a broken upload succeeded")
	}
	if entries, _ := filepath.Glob(filepath.Join(root, "*", "*")); len(entries) != 0 {
		t.Fatalf("a broken upload left %v", entries)
	}
}
