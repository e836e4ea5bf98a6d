package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/tuitest"
)

// The chart keys: log scale, a read-out cursor, a grid of every metric
// with one enlarged.
func TestChartKeys(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 140, 45)
	toSweep(d)
	d.selectRow("#3 ")
	d.keys("enter", "3", "L")
	d.expect("log scale")
	d.keys("]")
	d.expect("│ step ", "loss ")
	d.keys("x")
	d.lacks("│ step ")
	d.keys("v")
	d.expect("5 metrics · charts 1-5", "val_accuracy", "lr")
	d.fitsIn(140, 45)
	d.keys("down", "enter")
	d.expect("val_loss")
	if n := strings.Count(d.screen(), "┤"); n < 3 {
		t.Fatalf("the enlarged chart:\n%s", d.screen())
	}
	d.keys("enter", "v")
	d.expect("● loss")
}

// lr plotted next to loss gets an axis of its own.
func TestSeparateAxes(t *testing.T) {
	t.Parallel()
	s := newSample()
	// A learning rate of another magnitude than the loss.
	s.Log(s.trials[1], "lr", 0.001, 0.0009, 0.0008)
	d := newDriver(t, s, 140, 45)
	toSweep(d)
	d.selectRow("#3 ")
	d.keys("enter", "3", "G", "space")
	d.expect("lr (right)", "┘")
}

// Compare's curves as a grid: one chart per run, on one y range.
func TestCompareGrid(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 140, 45)
	toSweep(d)
	d.selectRow("#2 ")
	d.keys("space")
	d.selectRow("#3 ")
	d.keys("space", "c", "3", "v")
	d.expect("#2 ion-", "#3 ion-", "✓")
	d.fitsIn(140, 45)
	d.keys("enter")
	d.expect("#2 ion-")
	d.fitsIn(140, 45)
}

// A wide run table scrolls sideways, chooses its columns and sorts by any.
func TestRunTableColumnsScrollAndChoose(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 80, 24)
	toSweep(d)
	d.expect("columns 1-3 of 11", "loss")
	head := lineWith(d.screen(), "status")
	d.keys(">")
	d.expect("columns 2-4 of 11")
	if lineWith(d.screen(), "status") == head {
		t.Fatal("> did not scroll the columns")
	}
	d.keys("<", "C")
	d.expect("columns", "[x] loss", "parameter")
	d.selectRow("[x] loss")
	d.keys("space")
	d.selectRow("learning_rate")
	d.keys("s", "esc")
	d.expect("sorted by learning_rate ▲")
	d.lacks(" loss ")
	if shown := d.top().(*iterationsScreen).shown; shown[1].ordinal != 4 || shown[len(shown)-1].ordinal != 6 { // 0.01 first, 1.0 last
		t.Fatal("not sorted by learning rate")
	}
}

// / narrows a run's lists and a compare's rows.
func TestFiltersInsideARunAndACompare(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 140, 45)
	toSweep(d)
	d.selectRow("#3 ")
	d.keys("enter", "3", "/")
	d.typeText("val")
	d.expect("val_loss", "val_accuracy")
	d.lacks("  accuracy ", "  lr ")
	d.keys("enter", "2")
	d.expect("filter: val")
	d.lacks("momentum")
	d.keys("esc") // clears the filter, stays
	d.expect("momentum", "2 Parameters")
	d.keys("/")
	d.typeText("mom")
	d.keys("enter")
	d.expect("momentum")
	d.lacks("learning_rate")
	d.keys("6", "/", "ctrl+u")
	d.typeText("uv")
	d.keys("enter")
	d.expect("uv.lock")
	d.lacks("pyproject.toml")
	d.keys("esc", "esc")
	d.expect("7 runs")
	d.selectRow("#2 ")
	d.keys("space")
	d.selectRow("#3 ")
	d.keys("space", "c", "2", "/")
	d.typeText("acc")
	d.keys("enter")
	d.expect("↑ accuracy", "↑ val_accuracy")
	d.lacks("↓ loss")
	d.keys("1")
	d.lacks("momentum")
}

// The run table's filter errors show, with where the expression broke;
// esc takes a filter off before it leaves the screen.
func TestRunFilterErrorsAndEsc(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 120, 40)
	toSweep(d)
	d.keys("/")
	d.typeText("params.optimizer = 'adam")
	d.keys("enter")
	d.expect("unclosed ' at position 20", "^")
	d.keys("ctrl+u")
	d.typeText("FAILED")
	d.keys("enter")
	d.expect("2 of 7 runs", "filter: FAILED")
	d.keys("esc")
	d.expect("7 of 7 runs")
	d.lacks("· filter:")
	d.keys("esc")
	d.expect("2 experiments in vision")
}

// y copies the id in focus, Y a ddd restore command, through OSC 52.
func TestCopy(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := newDriver(t, s, 140, 45)
	d.m.ctx.Reach = []string{"--db", "/data/my runs.db"}
	d.keys("y")
	d.expect("copied project vision's id: " + s.vision.ID)
	toSweep(d)
	d.selectRow("#3 ")
	d.keys("y")
	d.expect("copied run #3's id: " + s.trials[1].ID)
	d.keys("Y")
	d.expect("ddd restore --db '/data/my runs.db' " + s.trials[1].ID)
	d.keys("enter", "5", "y")
	d.expect("copied resource confusion.png's id")
	_, cmd := d.m.Update(keyMsg("y"))
	if !clipboard(cmd, nil) {
		t.Fatal("y sets no clipboard")
	}
}

// clipboard reports whether a command sets the clipboard (through a batch).
func clipboard(cmd tea.Cmd, _ any) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			if clipboard(c, nil) {
				return true
			}
		}
	default:
		return strings.Contains(strings.ToLower(typeName(msg)), "clipboard")
	}
	return false
}

// Without colour: differing parameters keep a marker, curves their own
// dot patterns, the best value its star.
func TestNoColour(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 140, 45)
	d.send(tea.ColorProfileMsg{Profile: colorprofile.Ascii})
	toSweep(d)
	d.selectRow("#2 ")
	d.keys("space")
	d.selectRow("#4 ")
	d.keys("space", "c")
	d.expect("≠ learning_rate", "≠ seed")
	d.lacks("≠ batch_size")
	d.keys("2")
	d.expect("★")
	d.keys("3")
	d.expect("━ #2", "╍ #4")
}

// Stars mark the best by the metric's direction, every run on a tie.
func TestBestByDirectionAndTies(t *testing.T) {
	t.Parallel()
	nan := func() float64 { var z float64; return z / z }()
	for _, c := range []struct {
		values []float64
		lower  bool
		want   string
	}{
		{[]float64{0.3, 0.1, 0.2}, true, "1"},
		{[]float64{0.3, 0.1, 0.2}, false, "0"},
		{[]float64{0.1, 0.1, 0.2}, true, "01"},
		{[]float64{nan, 0.5, nan}, true, ""}, // one value is no contest
	} {
		got := ""
		stars := best(c.values, c.lower)
		for i := range c.values {
			if stars[i] {
				got += itoa(i)
			}
		}
		if got != c.want {
			t.Errorf("best(%v, lower %v) = %q, want %q", c.values, c.lower, got, c.want)
		}
	}
	if !neutralMetric("lr") || !neutralMetric("train/epoch") || neutralMetric("accuracy") || neutralMetric("lr_loss") {
		t.Error("which metrics are settings, not results")
	}
	dir := LowerIsBetterKeys([]string{"perplexity_gain", "+loss_reduction", "cost"})
	for key, want := range map[string]bool{"loss": true, "accuracy": false, "cost": true, "loss_reduction": false, "perplexity_gain": true} {
		if dir(key) != want {
			t.Errorf("lower is better for %s: %v", key, !want)
		}
	}
}

// Small things: the parent by its number, plurals, no "view the file"
// without files.
func TestSmallThings(t *testing.T) {
	t.Parallel()
	s := newSample()
	d := newDriver(t, s, 140, 45)
	toSweep(d)
	d.selectRow("#3 ")
	d.keys("enter")
	d.expect("parent        #1 ion-")
	d.keys("esc", "esc")
	d.selectRow("gradient boosting"[:0] + "augmentation")
	d.keys("esc")
	d.selectRow("forecasting")
	d.keys("enter")
	d.selectRow("gradient")
	d.keys("enter", "enter", "6")
	d.expect("No environment captured")
	if strings.Contains(ansiStrip(d.m.footer()), "view the file") {
		t.Fatal("enter offers to view a file that is not there")
	}
	if got := runName(3, "17"); got != "#3 id 17" {
		t.Fatalf("integer id: %q", got)
	}
	if plural(1, "file") != "1 file" || plural(2, "file") != "2 files" || matches(1) != "1 run matches" {
		t.Fatal("plurals")
	}
}

// Text from the data cannot drive the terminal: escape sequences and
// control characters in names, notes, errors and paths are stripped.
func TestDataCannotDriveTheTerminal(t *testing.T) {
	t.Parallel()
	s := tuitest.New(sampleStart)
	evil := "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b]0;owned\x07"
	p := s.AddProject("p"+evil, "d"+evil, "t"+evil)
	e := s.AddExperiment(p, "e"+evil, "x"+evil)
	it := s.AddIteration(e, tuitest.Run{Status: core.IterationFailed, Notes: "n" + evil, Error: "boom" + evil + "\nline\r2", Params: map[string]string{"k" + evil: "v" + evil}})
	s.Log(it, "loss"+evil, 1, 2)
	snap := pythonSnapshot("1", "2", 0, false)
	snap.Entrypoint = "train.py" + evil
	snap.Notes = []string{"note" + evil}
	snap.Files = append(snap.Files, coreFile("f"+evil+".txt", "x"))
	s.SetSnapshot(it, snap)
	d := newDriver(t, s, 140, 45)
	check := func(where string) {
		t.Helper()
		out := d.m.render()
		if strings.Contains(out, "\x1b]") || strings.Contains(out, "\x1b[2J") || strings.Contains(out, "\x07") || strings.Contains(out, "\r") {
			t.Fatalf("%s: an escape from the data reached the screen: %q", where, ansi.Strip(out))
		}
	}
	check("projects")
	d.keys("enter")
	check("experiments")
	d.keys("enter")
	check("runs")
	d.keys("enter")
	for _, tab := range []string{"1", "2", "3", "4", "5", "6"} {
		d.keys(tab)
		check("tab " + tab)
	}
	d.expect("ftxt"[:1])
}

func typeName(v any) string { return strings.TrimPrefix(fmtType(v), "*") }

func fmtType(v any) string { return fmt.Sprintf("%T", v) }
