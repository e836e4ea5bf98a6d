package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestCompareRuns(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	store := newSample()
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
	t.Parallel()
	d := newDriver(t, newSample(), 120, 40)
	d.selectRow("forecasting")
	d.keys("enter")
	d.selectRow("gradient boosting")
	d.keys("enter")
	d.selectRow("#2 ")
	d.keys("R")
	d.expect("has no captured environment")
}

func TestLiveRefreshKeepsCursorAndMarks(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	for _, size := range [][2]int{{80, 24}, {200, 60}} {
		d := newDriver(t, newSample(), size[0], size[1])
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
		d.expect("Keys", "next tab", "Navigation")
		d.keys("esc")
		d.expect("1 Overview")
		d.send(tea.WindowSizeMsg{Width: 100, Height: 30})
		d.fitsIn(100, 30)
		// The screens under the top learnt the new size too.
		d.keys("esc")
		d.fitsIn(100, 30)
		d.keys("esc", "esc")
		d.fitsIn(100, 30)
	}
}

func TestNoticeShowsUntilAKey(t *testing.T) {
	t.Parallel()
	const notice = "12 points from before the last writer stopped are only in test.db.journal"
	d := startDriver(t, &Context{Store: newSample(), Source: "test.db", NoTicks: true, Notice: notice}, 120, 30)
	d.expect(notice, "projects")
	d.keys("down")
	if strings.Contains(d.screen(), notice) {
		t.Fatal("the notice stayed after a key")
	}
}

func TestQuit(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 80, 24)
	_, cmd := d.m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q did nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
}
