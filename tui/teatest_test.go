package tui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/tuitest"
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

// waitHeld waits until n calls wait at a gate.
func waitHeld(t *testing.T, g interface{ Held() []tuitest.Call }, n int) []tuitest.Call {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if held := g.Held(); len(held) >= n {
			return held
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d calls arrived at the gate", n)
	return nil
}

// A slow server answers for the restore dialog and the project the user
// left only after they opened the next ones; the real program shows the
// right run and the right project.
func TestFlowLateResultsKeepToTheirScreen(t *testing.T) {
	t.Parallel()
	s := newSample()
	s.AnswerCancelled = true // the late answers arrive as data
	tm := startProgram(t, &Context{Store: s, Source: "sample", Now: sampleClock, RestoreDir: t.TempDir()})
	waitFor(t, tm, "3 projects")

	experiments := s.Hold("ListExperiments")
	press(tm, "enter") // vision: its experiments are asked for
	waitHeld(t, experiments, 1)
	press(tm, "esc", "down", "enter") // back, nlp
	waitHeld(t, experiments, 2)
	experiments.Release()
	// The renderer writes only what changed: wait for what only nlp has.
	waitFor(t, tm, "tokenizer sweep")

	press(tm, "esc", "up", "enter")
	waitFor(t, tm, "augmentation ablation")
	press(tm, "down", "enter")
	waitFor(t, tm, "4 of 4 runs")
	snaps := s.Hold("GetSnapshot")
	press(tm, "R") // #1
	waitHeld(t, snaps, 1)
	press(tm, "esc", "down", "down", "R") // back, #3
	held := waitHeld(t, snaps, 2)
	if held[0].Arg != s.augment[0].ID || held[1].Arg != s.augment[2].ID {
		t.Fatalf("held %+v", held)
	}
	snaps.Release()
	waitFor(t, tm, "commit "+commit(2)[:8])
	press(tm, "ctrl+c") // the dialog's field takes q
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	r, ok := final.top().(*restoreScreen)
	if !ok || r.row.ordinal != 3 || r.snap == nil || r.snap.Git.Commit != commit(2) {
		t.Fatalf("ended on %q with %+v", final.crumbs(200), final.top())
	}
	if got := final.crumbs(200); got != "Projects › vision › augmentation ablation › restore #3" {
		t.Fatalf("ended on %q", got)
	}
	if strings.Contains(ansi.Strip(final.render()), commit(0)[:8]) {
		t.Fatal("#1's snapshot landed in #3's dialog")
	}
}

// The screens people watch during training follow it, with no key
// pressed: the run's metrics and chart, then its end.
func TestFlowLiveRefresh(t *testing.T) {
	t.Parallel()
	s := newSample()
	ctx := &Context{Store: s, Source: "sample", Now: sampleClock, Live: true, Refresh: 50 * time.Millisecond}
	tm := teatest.NewTestModel(t, New(ctx), teatest.WithInitialTermSize(120, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	waitFor(t, tm, "3 projects")
	press(tm, "enter")
	waitFor(t, tm, "resnet18 learning-rate sweep")
	press(tm, "enter")
	waitFor(t, tm, "7 of 7 runs")
	press(tm, "G", "enter", "3")
	waitFor(t, tm, "● loss", "0.3558")
	s.Log(s.running, "loss", 0.0424)
	waitFor(t, tm, "0.0424", "180") // the new value and its step, no key pressed
	s.Update(s.running, func(it *core.Iteration) { it.Status, it.EndDate = core.IterationSucceeded, sampleClock() })
	press(tm, "1")
	waitFor(t, tm, "✓ SUCCEEDED", "run #7 ended")
	press(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
