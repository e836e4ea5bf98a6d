package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/duckdb/upstreamtest"
)

// These tests browse the demo database on the real store: what the fake
// cannot stand in for, such as counting runs by status and filter
// expressions, goes through DuckDB here.

func TestBrowseToARunAndItsTabs(t *testing.T) {
	t.Parallel()
	for _, ids := range []string{"uuid", "integer"} {
		t.Run(ids, func(t *testing.T) {
			t.Parallel()
			browseToARun(t, demoStoreWith(t, ids))
		})
	}
}

func browseToARun(t *testing.T, store *duckdb.Store) {
	d := newDriver(t, store, 140, 45)
	d.expect("Projects", "vision", "nlp", "forecasting", "3 projects")
	d.selectRow("vision")
	d.keys("enter")
	d.expect("resnet18 learning-rate sweep", "augmentation ablation", "RUNNING"[:0])
	// runs, running and failed, counted concurrently
	for name, counts := range map[string][]string{"resnet18 learning-rate sweep": {"7", "1", "1"}, "augmentation ablation": {"4", "0", "0"}} {
		d.selectRow(name)
		_, rest, _ := strings.Cut(ansi.Strip(d.selectedLine()), name)
		if got := strings.Fields(rest); len(got) < 4 || !slices.Equal(got[1:4], counts) {
			t.Errorf("%s: runs, running, failed = %v, want %v", name, got, counts)
		}
	}
	d.selectRow("resnet18 learning-rate sweep")
	d.keys("enter")
	d.expect("7 of 7 runs", "loss", "accuracy", "learning_r", "└", "✗ FAILED", "▶ RUNNING")
	d.fitsIn(140, 45)

	d.selectRow("✗ FAILED")
	d.keys("enter")
	d.expect("1 Overview", "FloatingPointError: loss became inf at step 87", "error")
	d.keys("2")
	d.expect("learning_rate", "1.0")
	d.keys("3")
	d.expect("val_accuracy", "points", "step", "⣀"[:0])
	if !strings.ContainsAny(d.screen(), "⠁⠂⠄⡀⢀⠈⠐⠠⣀⣤") {
		t.Fatalf("no chart drawn:\n%s", d.screen())
	}
	d.keys("6")
	d.expect("Inherited from the driver run", "uv.lock", "pyproject.toml", "python 3.11.7")
	d.keys("enter")
	d.expect("pyproject.toml", "lines 1-10 of 10", "\"torch==2.5.1\",")
	d.keys("esc", "down", "enter")
	d.expect("uv.lock", "[[package]]", "typing-extensions")
	d.keys("esc", "esc")
	d.expect("7 of 7 runs")
	d.keys("esc", "esc")
	d.expect("3 projects")
}

func TestFilterAndSort(t *testing.T) {
	t.Parallel()
	for _, ids := range []string{"uuid", "integer"} {
		t.Run(ids, func(t *testing.T) {
			t.Parallel()
			filterAndSort(t, demoStoreWith(t, ids))
		})
	}
}

func filterAndSort(t *testing.T, store *duckdb.Store) {
	d := newDriver(t, store, 140, 45)
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("resnet18")
	d.keys("enter")
	d.keys("/")
	d.typeText("params.learning_rate >= 0.05 or status = 'FAILED'")
	d.keys("enter")
	// Three trials match (0.1, 0.05 twice, 1.0 failed is one of them) plus
	// their driver shown for context.
	d.expect("runs match", "filter: params.learning_rate")
	if !strings.Contains(d.screen(), "5 of 7 runs") {
		t.Fatalf("expression filter:\n%s", d.screen())
	}
	d.keys("/", "ctrl+u")
	d.send(keyMsg("esc"))
	d.expect("7 of 7 runs")
	d.keys("/")
	d.typeText("momentum=0.95")
	d.keys("enter")
	d.expect("2 of 7 runs") // the trial and its driver
	d.keys("/", "esc")
	for range 4 { // #, status, created, duration, then loss
		d.keys("s")
	}
	d.expect("▲loss")
	d.keys("S")
	d.expect("▼loss")
	// Plain text is searched for in the rows.
	d.keys("/")
	d.typeText("no such thing")
	d.keys("enter")
	d.expect("0 of 7 runs", "no run matches the filter")
	// An expression that does not parse says why and where, and stays
	// open to be fixed.
	d.keys("esc", "/")
	d.typeText("metrics.loss >")
	d.keys("enter")
	d.expect("expected a value at position 15", "                ^")
	if !d.top().Capturing() {
		t.Fatal("the filter closed on an error")
	}
	d.typeText(" 1")
	d.keys("enter")
	d.expect("1 run matches", "filter: metrics.loss > 1")
}

// TestRestoreOnIntegerIDs: on a file with DearDiary.jl 0.9.1's integer ids
// a run restores into iteration_<id>, as upstream's restore names it, and
// compare draws the marked runs.
func TestRestoreOnIntegerIDs(t *testing.T) {
	t.Parallel()
	store := demoStoreWith(t, "integer")
	d := newDriver(t, store, 140, 45)
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("resnet18 learning-rate sweep")
	d.keys("enter")
	d.selectRow("✗ FAILED")
	d.keys("space", "down", "space", "c")
	d.expect("compare 2 runs", "learning_rate")
	d.keys("esc")
	d.selectRow("✗ FAILED")
	d.keys("R")
	id := d.top().(*restoreScreen).row.it.ID
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		t.Fatalf("run id %q is not an integer", id)
	}
	want := filepath.Join(d.m.ctx.RestoreDir, "iteration_"+id)
	d.expect(want)
	d.keys("enter")
	d.expect("Restored", "Next")
	if _, err := os.Stat(filepath.Join(want, "uv.lock")); err != nil {
		t.Fatalf("the restore did not write %s: %v", want, err)
	}
}

// TestReleasedFileReadOnly browses a file DearDiary.jl 0.9.1 wrote (integer
// ids), opened read-only as ddtui opens it: nothing migrated, summaries
// from the points.
func TestReleasedFileReadOnly(t *testing.T) {
	t.Parallel()
	path, _ := upstreamtest.File(t, upstreamtest.Released)
	store, err := duckdb.Open(path, duckdb.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	d := newDriver(t, store, 120, 40)
	d.expect("Iris", "1 project")
	d.keys("enter")
	d.expect("IrisClassifier")
	d.keys("enter")
	d.expect("3 of 3 runs", "loss", "0.25", "└", "✗ FAILED")
	d.selectRow("└")
	d.keys("enter")
	d.expect("1 Overview", "id            2", "parent        #1 id 1", "baseline")
	d.keys("2")
	d.expect("learning_rate", "0.01")
	d.keys("3")
	d.expect("● loss", "0.25", "0.9", "points")
}
