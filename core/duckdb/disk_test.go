//go:build linux

package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/duckdb/disktest"
)

// The disk tests put the database on a small tmpfs of their own
// (disktest.Small), which fills up or turns read-only on demand.

// fillBatch is batch i of 1,000 points, steps [i*1000, i*1000+1000).
func fillBatch(i int) core.MetricBatch {
	var b core.MetricBatch
	for j := range 1000 {
		step := int64(i*1000 + j)
		b.Metrics = append(b.Metrics, core.MetricInput{Key: "fill", Value: float64(step), Step: &step})
	}
	return b
}

// TestDiskFull writes until the disk is full: the failing write gets a
// storage error that says so and keeps nothing, reads go on or say why not,
// writes work again once there is room, and every acknowledged point is in
// the file.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir, remount := disktest.Small(t, "6m")
	path := filepath.Join(dir, "full.db")
	s, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	ctx := context.Background()
	p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "p"})
	e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	acked := 0
	for ; ; acked++ {
		if acked > 10_000 {
			t.Fatal("the disk never filled")
		}
		_, err = s.LogMetrics(ctx, it, fillBatch(acked))
		if err != nil {
			break
		}
	}
	if core.ErrorCode(err) != core.EStorage || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("after %d batches: %v (code %s), want a storage error saying the disk is full", acked, err, core.ErrorCode(err))
	}
	history := func(s *duckdb.Store) (int, error) {
		h, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "fill", IterationIDs: []string{it}})
		if err != nil || len(h) == 0 {
			return 0, err
		}
		return len(h[0].Points), nil
	}
	points := func(s *duckdb.Store) int {
		t.Helper()
		n, err := history(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// On the full disk, the points the journal holds cannot reach the
	// database: reads go on, showing what the database has; the rest show
	// once there is room.
	if n, err := history(s); err != nil || n > acked*1000 {
		t.Fatalf("reading points on the full disk: %d points, %v; want a read of at most the %d acknowledged", n, err, acked*1000)
	}
	if _, err := s.GetIteration(ctx, it); err != nil {
		t.Fatalf("reading an iteration on the full disk: %v", err)
	}
	remount("size=64m")
	if n := points(s); n != acked*1000 {
		t.Fatalf("%d points readable with room again, want the %d acknowledged", n, acked*1000)
	}
	if _, err := s.LogMetrics(ctx, it, fillBatch(acked)); err != nil {
		t.Fatalf("with room again: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s, err = duckdb.Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if n := points(s); n != (acked+1)*1000 {
		t.Fatalf("%d points after reopening, want %d", n, (acked+1)*1000)
	}
}

// TestReadOnlyDisk opens a database whose file system is read-only: for
// writing it fails at once and says why, read-only (as ddtui opens) it
// works, and a new database there cannot be made.
func TestReadOnlyDisk(t *testing.T) {
	t.Parallel()
	dir, remount := disktest.Small(t, "8m")
	path := filepath.Join(dir, "ro.db")
	s, err := duckdb.Open(path, duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	remount("ro")
	if _, err := duckdb.Open(path); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("opening for writing: %v, want an error saying the file system is read-only", err)
	}
	for _, name := range []string{"new.db", "sub/new.db"} {
		if _, err := duckdb.Open(filepath.Join(dir, name)); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Fatalf("creating %s: %v, want an error saying the file system is read-only", name, err)
		}
	}
	ro, err := duckdb.Open(path, duckdb.ReadOnly())
	if err != nil {
		t.Fatalf("opening read-only: %v", err)
	}
	defer ro.Close()
	if got, err := ro.GetProject(ctx, p); err != nil || got.Name != "kept" {
		t.Fatalf("reading: %+v, %v", got, err)
	}
}

// TestFullDiskAtOpen creates a database on a disk with no room left.
func TestFullDiskAtOpen(t *testing.T) {
	t.Parallel()
	dir, _ := disktest.Small(t, "1m")
	if err := os.WriteFile(filepath.Join(dir, "filler"), make([]byte, 2<<20), 0o644); err == nil {
		t.Fatal("the filler fitted")
	}
	_, err := duckdb.Open(filepath.Join(dir, "new.db"))
	if err == nil || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("%v, want an error saying the disk is full", err)
	}
}
