package tui

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/tuitest"
)

// liveDriver is a driver whose ticks refresh the screen on top.
func liveDriver(t *testing.T, s Store, w, h int) *driver {
	t.Helper()
	d := newDriver(t, s, w, h)
	d.m.ctx.Live = true
	return d
}

func toSweep(d *driver) {
	d.t.Helper()
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("resnet18")
	d.keys("enter")
}

// The run detail follows a running run: new points in the metrics table
// and the chart, the cursor and the plotted keys kept; then its end, in
// the overview, without leaving the screen.
func TestDetailFollowsARunningRun(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := liveDriver(t, s, 140, 45)
	toSweep(d)
	d.selectRow("▶ RUNNING")
	d.keys("enter", "3", "down", "down", "space") // plot accuracy too
	before := d.selectedLine()
	s.Log(s.running, "loss", 0.0123)
	s.Log(s.running, "grad_norm", 3.5) // a new key
	d.send(liveTickMsg{})
	d.expect("0.0123", "grad_norm", "● accuracy")
	if after := d.selectedLine(); !strings.Contains(after, "accuracy") || strings.Contains(before, "accuracy") != strings.Contains(after, "accuracy") {
		t.Fatalf("the cursor moved: %q, was %q", after, before)
	}
	if !strings.Contains(d.screen(), "180") { // the new step, 180, on the chart's axis or table
		t.Fatalf("new step not shown:\n%s", d.screen())
	}
	d.keys("1")
	d.expect("▶ RUNNING", "– (running)")
	end := sampleClock().Add(-time.Hour)
	s.Update(s.running, func(it *core.Iteration) { it.Status, it.EndDate = core.IterationSucceeded, end })
	d.send(liveTickMsg{})
	d.expect("✓ SUCCEEDED", timestamp(end), "run #7 ended: SUCCEEDED")
	// An ended run is not read again.
	calls := s.Calls("GetIteration")
	d.send(liveTickMsg{})
	if s.Calls("GetIteration") != calls {
		t.Fatal("an ended run is still refreshed")
	}
}

// Compare follows its running runs: summaries, stars and the curve.
func TestCompareFollowsRunningRuns(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := liveDriver(t, s, 140, 45)
	toSweep(d)
	d.selectRow("#4 ")
	d.keys("space")
	d.selectRow("▶ RUNNING")
	d.keys("space", "c", "2")
	if line := lineWith(d.screen(), "↓ loss"); strings.Count(line, "★") != 1 || strings.Index(line, "★") > strings.Index(line, "0.") {
		t.Fatalf("before: %q", line)
	}
	s.Log(s.running, "loss", 0.001)
	d.send(liveTickMsg{})
	line := lineWith(d.screen(), "↓ loss")
	if !strings.Contains(line, "★ 0.001") {
		t.Fatalf("the running run's new best is not starred: %q", line)
	}
	d.keys("3")
	d.expect("#7 ion-")
	calls := s.Calls("MetricHistory")
	s.Log(s.running, "loss", 0.002)
	d.send(liveTickMsg{})
	if s.Calls("MetricHistory") == calls {
		t.Fatal("the curve was not read again")
	}
}

func lineWith(screen, part string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, part) {
			return l
		}
	}
	return ""
}

// The experiments screen counts runs as they start, keeping its cursor.
func TestExperimentsFollowRunCounts(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := liveDriver(t, s, 140, 45)
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("augmentation ablation")
	s.AddIteration(s.ablation, tuitest.Run{})
	d.send(liveTickMsg{})
	if got := strings.Fields(lineWith(d.selectedLine(), "augmentation ablation")); len(got) < 5 || got[3] != "5" || got[4] != "1" {
		t.Fatalf("runs and running after a new run: %v", got)
	}
}

// r reloads every screen that reads the store.
func TestReloadEverywhere(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := newDriver(t, s, 140, 45)
	count := func(method string, keys ...string) {
		t.Helper()
		before := s.Calls(method)
		d.keys(keys...)
		if s.Calls(method) == before {
			t.Fatalf("%v did not call %s again", keys, method)
		}
	}
	count("ListProjects", "r")
	d.selectRow("vision")
	d.keys("enter")
	count("ListExperiments", "r")
	d.selectRow("resnet18")
	d.keys("enter")
	count("ListIterations", "r")
	d.selectRow("#3 ")
	d.keys("enter")
	count("GetIteration", "r")
	count("ListParameters", "r")
	d.keys("esc", "space", "down", "space", "c")
	count("MetricSummaries", "r")
}

// Screens under the top refresh when they show again: a run the user
// watched end shows as ended in the table they go back to.
func TestRevealedScreenRefreshes(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := liveDriver(t, s, 140, 45)
	toSweep(d)
	d.selectRow("▶ RUNNING")
	d.keys("enter")
	s.Update(s.running, func(it *core.Iteration) { it.Status, it.EndDate = core.IterationKilled, sampleClock() })
	d.keys("esc")
	d.expect("⊘ KILLED")
	d.lacks("▶ RUNNING")
}

// Follow mode shows the newest points of a running run, read whole from
// the series' end.
func TestFollowShowsTheNewestSteps(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := liveDriver(t, s, 140, 45)
	toSweep(d)
	d.selectRow("▶ RUNNING")
	d.keys("enter", "3", "f", "-", "-")
	d.expect("following the newest 65 points")
	if s.Calls("ListMetrics") == 0 {
		t.Fatal("follow did not read the series' end")
	}
	chart := d.screen()[strings.Index(d.screen(), "└"):]
	if strings.Contains(lineWith(chart, "step"), " 0 ") {
		t.Fatalf("follow still shows step 0:\n%s", d.screen())
	}
	s.Log(s.running, "loss", 0.5, 0.4, 0.3)
	d.send(liveTickMsg{})
	d.expect("182") // the newest step on the axis
	d.keys("f")
	d.lacks("following the newest")
}

// A run table filtered by an expression asks again as it refreshes: a new
// run that matches shows.
func TestExpressionFilterFollowsNewRuns(t *testing.T) {
	t.Parallel()
	s := newSample()
	s.Search = func(q core.IterationSearch) ([]*core.Iteration, error) {
		var out []*core.Iteration
		its, _, _ := s.ListIterations(context.Background(), core.IterationFilter{ExperimentID: s.sweep.ID})
		for _, it := range its {
			if it.Status == core.IterationFailed {
				out = append(out, it)
			}
		}
		return out, nil
	}
	d := liveDriver(t, s, 140, 45)
	toSweep(d)
	d.keys("/")
	d.typeText("status = 'FAILED'")
	d.keys("enter")
	d.expect("2 of 7 runs")
	s.AddIteration(s.sweep, tuitest.Run{Parent: s.driver, Status: core.IterationFailed, Error: "out of memory"})
	d.send(liveTickMsg{})
	d.expect("3 of 8 runs", "#8 ")
}

// A refresh that takes long spaces the next ones out, so that refreshing
// keeps to a small share of a core on a large store.
func TestSlowRefreshesAreSpacedOut(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := liveDriver(t, s, 140, 45)
	d.selectRow("vision")
	d.keys("enter")
	// A refresh that took half a second at a 2 s interval: the ticks of the
	// next 25 times its time, for each thread that may have worked on it,
	// pass it by.
	d.send(loadedMsg{screen: d.top().id(), refresh: true, took: 500 * time.Millisecond})
	before := s.Calls("ListExperiments")
	for range 25 * min(runtime.NumCPU(), 4) / 4 {
		d.send(liveTickMsg{})
	}
	if s.Calls("ListExperiments") != before {
		t.Fatal("a tick refreshed within the pause")
	}
	d.send(liveTickMsg{})
	if s.Calls("ListExperiments") == before {
		t.Fatal("the refresh did not resume")
	}
}
