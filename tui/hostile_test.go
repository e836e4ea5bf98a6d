package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/snapshot/snapshottest"
	"github.com/deardiary/deardiary-go/tui/tuitest"
)

// TestHostileSnapshots drives every screen that reads a snapshot through
// two runs with 100 MB snapshots each (16 MB under the race detector): lock
// files of many thousand packages, a file that is one 16 MB line, binary
// bytes and a long diff. Each step must draw a screen that fits, and the
// restore must write every byte; the log says how long each step took,
// drawing included. The snapshots come from the fake store: what the TUI
// does with them is under test here; storing and serving them whole is
// tested in daemon and core/duckdb.
func TestHostileSnapshots(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds 200 MB of snapshots")
	}
	size := 100 << 20
	if raceEnabled {
		size = 16 << 20
	}
	store := tuitest.New(sampleStart)
	e := store.AddExperiment(store.AddProject("hostile", ""), "huge snapshots", "")
	for variant := 1; variant <= 2; variant++ {
		store.SetSnapshot(store.AddIteration(e, tuitest.Run{Status: core.IterationSucceeded}), snapshottest.Hostile(size, variant))
	}
	d := newDriver(t, store, 120, 40)
	step := func(what string, keys ...string) {
		t.Helper()
		start := time.Now()
		d.keys(keys...)
		d.m.render()
		t.Logf("%-40s %v", what, time.Since(start).Round(time.Millisecond))
		d.fitsIn(120, 40)
	}
	d.selectRow("hostile")
	d.keys("enter")
	d.selectRow("huge snapshots")
	step("open the experiment", "enter")
	d.expect("2 of 2 runs")
	d.selectRow("#1 ")
	step("open a run", "enter")
	step("its environment tab", "6")
	d.expect("go.sum", "Manifest.toml", "uv.lock", "one-line.txt", "weights.bin", "uncommitted changes")
	// The environment's entries in their order, each opened in the viewer.
	for i, f := range []struct{ row, shows string }{
		{"Manifest.toml", "[[deps.Pkg000000]]"}, {"weights.bin", "lines 1-"}, {"go.sum", "example.com/mod000000"},
		{"one-line.txt", "token0=0; token1=1;"}, {"uv.lock", "name = \"pkg000000\""}, {"uncommitted changes", "diff --git a/gen0.go"},
	} {
		if i > 0 {
			d.keys("down")
		}
		step("view "+f.row, "enter")
		d.expect(f.row, f.shows)
		step("  scroll to its end", "end")
		step("  and back", "esc")
	}
	d.keys("esc")
	d.keys("space", "down", "space")
	step("compare the two runs", "c")
	step("their environments", "4")
	d.expect("~ Manifest.toml", "~ Pkg000000 1.1.0 → 1.2.0")
	step("scroll to the end", "end")
	d.expect("~ uncommitted changes differ")
	d.keys("esc")
	d.selectRow("#1 ")
	step("restore dialog", "R")
	target := t.TempDir() + "/restored"
	d.keys("ctrl+u")
	d.typeText(target)
	restored := d.top().(*restoreScreen).row.it.ID
	step("restore", "enter")
	d.expect("Restored 6 files") // five files and the diff
	snap, err := store.GetSnapshot(context.Background(), restored)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range snap.Files {
		if got, err := os.ReadFile(filepath.Join(target, f.Path)); err != nil || !bytes.Equal(got, f.Content) {
			t.Fatalf("%s differs after the restore: %v", f.Path, err)
		}
	}
}
