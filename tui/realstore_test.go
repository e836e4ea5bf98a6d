package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// These tests browse the demo database on the real store: what the fake
// cannot stand in for, such as counting runs by status and filter
// expressions, goes through DuckDB here.

func TestBrowseToARunAndItsTabs(t *testing.T) {
	t.Parallel()
	d := newDriver(t, demoStore(t), 140, 45)
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
	d := newDriver(t, demoStore(t), 140, 45)
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
	// What does not parse as an expression is searched for as text.
	d.keys("/")
	d.typeText("metrics.loss >")
	d.keys("enter")
	d.expect("0 of 7 runs", "no run matches the filter")
}
