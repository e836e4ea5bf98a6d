package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// The flows below run the real Bubble Tea program headless, at a fixed size
// and colour profile, typing keys as a person would.

func startProgram(t *testing.T, ctx *Context) *teatest.TestModel {
	t.Helper()
	ctx.NoTicks = true
	return teatest.NewTestModel(t, New(ctx), teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
}

// waitFor waits until the screen shows every part.
func waitFor(t *testing.T, tm *teatest.TestModel, parts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		s := ansi.Strip(string(b))
		for _, p := range parts {
			if !bytes.Contains([]byte(s), []byte(p)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func press(tm *teatest.TestModel, names ...string) {
	for _, n := range names {
		tm.Send(keyMsg(n))
	}
}

func TestFlowBrowseToDetail(t *testing.T) {
	t.Parallel()
	tm := startProgram(t, &Context{Store: demoStore(t), Source: "demo.db"})
	waitFor(t, tm, "3 projects", "vision")
	press(tm, "enter")
	waitFor(t, tm, "resnet18 learning-rate sweep")
	press(tm, "enter")
	waitFor(t, tm, "7 of 7 runs")
	press(tm, "enter")
	waitFor(t, tm, "1 Overview", "SUCCEEDED")
	press(tm, "6")
	waitFor(t, tm, "uv.lock", "python 3.11.7")
	press(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestFlowCompareTwoRuns(t *testing.T) {
	t.Parallel()
	tm := startProgram(t, &Context{Store: newSample(), Source: "sample", Now: sampleClock})
	waitFor(t, tm, "3 projects")
	press(tm, "enter")
	waitFor(t, tm, "augmentation ablation")
	press(tm, "down", "enter")
	waitFor(t, tm, "4 of 4 runs")
	press(tm, "space", "down", "down", "space", "c")
	waitFor(t, tm, "compare 2 runs", "augmentation")
	press(tm, "4")
	waitFor(t, tm, "~ torch 2.4.1 → 2.5.1")
	press(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestFlowRestore(t *testing.T) {
	t.Parallel()
	store := demoStore(t)
	dir := t.TempDir()
	tm := startProgram(t, &Context{Store: store, Source: "demo.db", RestoreDir: dir})
	waitFor(t, tm, "3 projects")
	press(tm, "down", "enter")
	waitFor(t, tm, "tokenizer sweep")
	press(tm, "enter")
	waitFor(t, tm, "4 of 4 runs")
	press(tm, "R")
	waitFor(t, tm, "Restore the environment of run #1", "Manifest.toml")
	press(tm, "enter")
	waitFor(t, tm, "Restored 2 files", "julia --project=")
	press(tm, "q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	r := final.top().(*restoreScreen)
	snap, err := store.GetSnapshot(context.Background(), r.row.it.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range snap.Files {
		got, err := os.ReadFile(filepath.Join(dir, "iteration_"+r.row.it.ID, f.Path))
		if err != nil || !bytes.Equal(got, f.Content) {
			t.Fatalf("%s differs after the restore: %v", f.Path, err)
		}
	}
}
