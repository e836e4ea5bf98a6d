package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

func TestBrowseToARunAndItsTabs(t *testing.T) {
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

func TestCompareRuns(t *testing.T) {
	d := newDriver(t, newSample(), 150, 50)
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("augmentation ablation")
	d.keys("enter")
	d.keys("c")
	d.expect("mark two or more runs")
	d.selectRow("#1 ")
	d.keys("space")
	d.selectRow("#4 ")
	d.keys("space")
	d.expect("2 marked")
	d.keys("c")
	d.expect("compare 2 runs", "1 Parameters", "augmentation", "none", "randaugment")
	d.keys("d")
	d.expect("only those that differ")
	d.keys("2")
	d.expect("★", "val_loss", "last value per key")
	d.keys("m")
	d.expect("min value per key")
	d.keys("3")
	d.expect("loss", "#1", "#4", "━")
	d.keys("right")
	d.expect("2 of 5 keys")
	d.keys("4")
	d.expect("uv.lock", "~ torch 2.4.1 → 2.5.1", "~ numpy 1.26.4 → 2.1.3", "dirty", "uncommitted changes differ")
	d.fitsIn(150, 50)
}

func TestRestoreWritesTheFiles(t *testing.T) {
	store := demoStore(t)
	d := newDriver(t, store, 120, 40)
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("augmentation ablation")
	d.keys("enter")
	d.selectRow("#4 ")
	d.keys("R")
	d.expect("Restore the environment of run #4", "uv.lock", "pyproject.toml", "uncommitted.patch", "target directory")
	shown, err := store.GetSnapshot(context.Background(), d.top().(*restoreScreen).row.it.ID)
	if err != nil {
		t.Fatal(err)
	}
	d.expect("commit " + shown.Git.Commit[:8]) // abbreviated as git does, by its start
	target := filepath.Join(t.TempDir(), "restored")
	d.keys("ctrl+u")
	d.typeText(target)
	d.keys("enter")
	d.expect("Restored 3 files", "Next", "git checkout", "git apply", "uv sync --frozen")
	snap, err := store.GetSnapshot(context.Background(), d.top().(*restoreScreen).row.it.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range snap.Files {
		got, err := os.ReadFile(filepath.Join(target, f.Path))
		if err != nil || !bytes.Equal(got, f.Content) {
			t.Fatalf("%s differs after the restore", f.Path)
		}
	}
	// Restoring again into the same place stays in the dialog with the error.
	d.keys("esc")
	d.keys("R", "ctrl+u")
	d.typeText(target)
	d.keys("enter")
	d.expect("already exists and is not empty", "change the directory")
}

func TestRestoreWithoutSnapshot(t *testing.T) {
	d := newDriver(t, demoStore(t), 120, 40)
	d.selectRow("forecasting")
	d.keys("enter")
	d.selectRow("gradient boosting")
	d.keys("enter")
	d.selectRow("#2 ")
	d.keys("R")
	d.expect("has no captured environment")
}

func TestLiveRefreshKeepsCursorAndMarks(t *testing.T) {
	s := newSample()
	d := newDriver(t, s, 140, 45)
	d.m.ctx.Live = true
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("resnet18")
	d.keys("enter")
	d.selectRow("#3 ")
	d.keys("space")
	d.selectRow("▶ RUNNING")
	before := d.selectedLine()
	s.Log(s.running, "loss", 0.0123)
	d.send(liveTickMsg{})
	after := d.selectedLine()
	if !strings.Contains(after, "RUNNING") || !strings.Contains(after, "0.0123") || after == before {
		t.Fatalf("after a refresh the cursor row is %q (was %q)", after, before)
	}
	d.expect("1 marked")
}

func TestSizesAndHelp(t *testing.T) {
	store := demoStore(t)
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		d := newDriver(t, store, size[0], size[1])
		d.fitsIn(size[0], size[1])
		d.selectRow("vision")
		d.keys("enter")
		d.fitsIn(size[0], size[1])
		d.selectRow("resnet18")
		d.keys("enter")
		d.fitsIn(size[0], size[1])
		d.keys("enter")
		for _, tab := range []string{"1", "2", "3", "4", "5", "6"} {
			d.keys(tab)
			d.fitsIn(size[0], size[1])
		}
		d.keys("?")
		d.expect("Keys:", "next tab", "quit")
		d.keys("x")
		d.expect("1 Overview")
		d.send(tea.WindowSizeMsg{Width: 100, Height: 30})
		d.fitsIn(100, 30)
	}
}

func TestNoticeShowsUntilAKey(t *testing.T) {
	const notice = "12 points from before the last writer stopped are only in test.db.journal"
	d := startDriver(t, &Context{Tracker: newSample(), Source: "test.db", NoTicks: true, Notice: notice}, 120, 30)
	d.expect(notice, "projects")
	d.keys("down")
	if strings.Contains(d.screen(), notice) {
		t.Fatal("the notice stayed after a key")
	}
}

func TestQuit(t *testing.T) {
	d := newDriver(t, demoStore(t), 80, 24)
	_, cmd := d.m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q did nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
}

var _ = time.Second
