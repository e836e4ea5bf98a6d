package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// Enter pressed twice before the first screen was drawn opens it once:
// the second enter reaches the new screen, which has nothing to open yet.
// Esc then goes back to a loaded list, not to "loading…".
func TestEnterTwiceOpensOnce(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := newDriver(t, s, 120, 40)
	gate := s.Hold("ListExperiments")
	// Both keys arrive before any command runs.
	_, first := d.m.Update(keyMsg("enter"))
	_, second := d.m.Update(keyMsg("enter"))
	d.start(first)
	d.start(second)
	d.settle()
	if len(d.m.stack) != 2 {
		t.Fatalf("%d screens on the stack after enter enter", len(d.m.stack))
	}
	gate.Release()
	d.settle()
	d.expect("Projects › vision", "2 experiments in vision")
	d.lacks("vision › vision")
	d.keys("esc")
	d.expect("3 projects")
	d.lacks("loading")
}

// Two esc keys arriving together read as alt+esc: that is esc.
func TestAltEscIsEsc(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 120, 40)
	d.keys("enter")
	d.expect("Projects › vision")
	d.send(tea.KeyPressMsg(tea.Key{Code: tea.KeyEscape, Mod: tea.ModAlt}))
	d.expect("3 projects")
	d.lacks("Projects ›")
}

// Help lists movement too, in sections, and scrolls when the terminal is
// short; esc closes it.
func TestHelpScrollsInSections(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 80, 14)
	d.keys("enter", "enter", "?")
	d.expect("Navigation", "↑/k ↓/j", "lines 1-")
	first := d.screen()
	d.keys("G")
	last := d.screen()
	if first == last || !strings.Contains(last, "General") || !strings.Contains(last, "quit") {
		t.Fatalf("help did not scroll to its end:\n%s", last)
	}
	d.fitsIn(80, 14)
	d.keys("esc")
	d.lacks("Navigation")
	d.expect("runs")
}

// The breadcrumb keeps its last part, and the tab bar its active tab, at
// 60 columns; the run table still shows a metric column.
func TestNarrowTerminal(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 60, 24)
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("resnet18")
	d.keys("enter")
	d.expect("› resnet18", "loss", "columns 1-")
	d.fitsIn(60, 24)
	d.selectRow("#3 ")
	d.keys("enter", "6")
	d.expect("› #3 ion-", "6 Environment")
	d.fitsIn(60, 24)
	d.keys("3")
	d.expect("3 Metrics")
	d.fitsIn(60, 24)
	// The footer keeps going back and help, whatever else gives way.
	if footer := ansiStrip(d.m.footer()); !strings.Contains(footer, "esc back") || !strings.Contains(footer, "? help") {
		t.Fatalf("footer %q", footer)
	}
	d.keys("esc")
	d.selectRow("#2 ")
	d.keys("space")
	d.selectRow("#3 ")
	d.keys("space", "c", "2")
	d.fitsIn(60, 24)
	// Headers of the runs' columns never run together.
	for _, line := range strings.Split(d.screen(), "\n") {
		if strings.Contains(line, "#2 ") && strings.Contains(line, "#3 ") {
			if strings.Contains(line, "…#") || strings.Contains(line, "-0003#") {
				t.Fatalf("headers run together: %q", line)
			}
		}
	}
}

func TestNumbersGiveUpDigitsNotThemselves(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v    float64
		w    int
		want string
	}{
		{8.52e-4, 9, "8.52e-4"}, {8.523e-4, 7, "8.52e-4"}, {8.523e-4, 6, "8.5e-4"}, {8.523e-4, 4, "9e-4"},
		{0.123456, 9, "0.1235"}, {1234567, 9, "1.235e6"}, {1234567, 5, "1.2e6"}, {-0.5, 4, "-0.5"}, {2, 3, "2"},
	} {
		if got := numberIn(c.v, c.w); got != c.want {
			t.Errorf("numberIn(%v, %d) = %q, want %q", c.v, c.w, got, c.want)
		}
	}
	if got := number(8.52e-4); got != "8.52e-4" {
		t.Errorf("number(8.52e-4) = %q", got)
	}
}

// A tab taller than the window says which of its lines show.
func TestScrollPositionShows(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 100, 11)
	toSweep(d)
	d.selectRow("#2 ")
	d.keys("space")
	d.selectRow("#3 ")
	d.keys("space", "c")
	d.expect("lines 1-")
	d.keys("G")
	d.expect(" of 7") // two heading lines, the header, four parameters
	d.fitsIn(100, 11)
}
