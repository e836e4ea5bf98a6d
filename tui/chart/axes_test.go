package chart

import (
	"math"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/deardiary/deardiary-go/core"
)

// exact checks a chart's size, as Render promises it.
func exact(t *testing.T, what, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("%s: %d lines, want %d", what, len(lines), h)
	}
	for i, l := range lines {
		if got := lipgloss.Width(l); got != w {
			t.Fatalf("%s: line %d is %d wide, want %d: %q", what, i, got, w, stripANSI(l))
		}
	}
}

// A learning rate next to a loss gets an axis of its own, on the right,
// and fills the plot's height there instead of lying flat on the bottom.
func TestSplitAxesGivesFlattenedSeriesTheirOwnAxis(t *testing.T) {
	t.Parallel()
	loss := Series{Name: "loss", Points: line(0, 300, 2.3, 0.2, 300)}
	acc := Series{Name: "accuracy", Points: line(0, 300, 0.1, 0.9, 300)}
	lr := Series{Name: "lr", Points: line(0, 300, 0.1, 0.001, 30)}
	split := SplitAxes([]Series{loss, acc, lr}, false)
	if split[0].Right || split[1].Right || !split[2].Right {
		t.Fatalf("right axis: %v %v %v, want only lr", split[0].Right, split[1].Right, split[2].Right)
	}
	if same := SplitAxes([]Series{loss, acc}, false); same[0].Right || same[1].Right {
		t.Fatal("series of one magnitude were split")
	}
	for _, sz := range [][2]int{{60, 12}, {120, 30}, {20, 5}, {24, 6}} {
		out := Render(split, Options{Width: sz[0], Height: sz[1], XLabel: "step"})
		exact(t, "split", out, sz[0], sz[1])
	}
	out := stripANSI(Render(split, Options{Width: 80, Height: 20, XLabel: "step"}))
	if !strings.Contains(out, "lr (right)") || !strings.Contains(out, "┘") || !strings.Contains(out, "├0.1") {
		t.Fatalf("no right axis for lr:\n%s", out)
	}
	// On its own axis, lr reaches the top row.
	top := strings.Split(out, "\n")[0]
	if !strings.ContainsAny(top, "⠁⠂⠄⡀⢀⠈⠐⠠⣀⠉⠒⠤⣤⠛") {
		t.Fatalf("lr does not reach the top row on its axis:\n%s", out)
	}
}

func TestLogScale(t *testing.T) {
	t.Parallel()
	pts := make([]core.Point, 0, 100)
	for i := range 100 {
		pts = append(pts, core.Point{Step: int64(i), Value: math.Pow(10, -float64(i)/20)})
	}
	pts = append(pts, core.Point{Step: 100, Value: 0}, core.Point{Step: 101, Value: -1}) // left out
	s := []Series{{Name: "loss", Points: pts}}
	out := Render(s, Options{Width: 60, Height: 15, LogY: true})
	exact(t, "log", out, 60, 15)
	plain := stripANSI(out)
	// The ticks read as values, a decade-spanning range as powers of ten.
	if !strings.Contains(plain, "1┤") && !strings.Contains(plain, "1.") {
		t.Fatalf("log ticks:\n%s", plain)
	}
	if !strings.Contains(plain, "e-05") && !strings.Contains(plain, "1e-05") && !strings.Contains(plain, "1.1e-05") && !strings.Contains(plain, "e-0") {
		t.Fatalf("log scale does not reach 1e-5:\n%s", plain)
	}
	// An exponential decay is a straight line on a log scale: every plot
	// row has dots.
	for i, row := range plotArea(t, out, Options{Width: 60, Height: 15}) {
		n := 0
		for _, c := range row {
			if c != 0 {
				n++
			}
		}
		if n == 0 {
			t.Fatalf("row %d empty on a log scale:\n%s", i, plain)
		}
	}
	if got := stripANSI(Render([]Series{{Name: "neg", Points: line(0, 10, -5, -1, 10)}}, Options{Width: 30, Height: 6, LogY: true})); !strings.Contains(got, "no data") {
		t.Fatalf("only negative values on a log scale:\n%s", got)
	}
}

func TestCursorLine(t *testing.T) {
	t.Parallel()
	step := int64(50)
	s := []Series{{Name: "a", Points: line(0, 100, 1, 1, 101)}}
	with := Render(s, Options{Width: 40, Height: 10, Cursor: &step})
	without := Render(s, Options{Width: 40, Height: 10})
	exact(t, "cursor", with, 40, 10)
	if countDots(plotArea(t, with, Options{Width: 40, Height: 10})) <= countDots(plotArea(t, without, Options{Width: 40, Height: 10})) {
		t.Fatal("the cursor drew no line")
	}
}

// Without colour, series differ by their dots' pattern, and the legend
// shows each pattern.
func TestPatterns(t *testing.T) {
	t.Parallel()
	var ss []Series
	for i := range Patterns {
		ss = append(ss, Series{Name: "run" + string(rune('a'+i)), Points: line(0, 100, float64(i), float64(i), 101), Pattern: i})
	}
	out := stripANSI(Render(ss, Options{Width: 60, Height: 12}))
	for _, m := range patternMarker {
		if !strings.Contains(out, m) {
			t.Fatalf("legend lacks %q:\n%s", m, out)
		}
	}
	solid := countDots(plotArea(t, Render(ss[:1], Options{Width: 60, Height: 12}), Options{Width: 60, Height: 12}))
	for i := 1; i < Patterns; i++ {
		one := ss[i]
		one.Points = ss[0].Points
		if n := countDots(plotArea(t, Render([]Series{one}, Options{Width: 60, Height: 12}), Options{Width: 60, Height: 12})); n >= solid {
			t.Errorf("pattern %d draws %d dots, solid %d", i, n, solid)
		}
	}
}
