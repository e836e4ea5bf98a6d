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
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/tui/demo"
)

// demoStore is the demo history in memory.
func demoStore(t *testing.T) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(":memory:", duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := demo.Build(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// driver steps the app message by message, running each command to its
// result as Bubble Tea would.
type driver struct {
	t *testing.T
	m *Model
}

func newDriver(t *testing.T, tracker Store, w, h int) *driver {
	t.Helper()
	d := &driver{t: t, m: New(&Context{Tracker: tracker, Source: "test.db", NoTicks: true, RestoreDir: t.TempDir()})}
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.run(d.m.Init())
	return d
}

func (d *driver) run(cmd tea.Cmd) {
	d.t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg:
			return
		default:
			_, next := d.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

// keyMsg builds the message of a key as the terminal would send it.
func keyMsg(name string) tea.KeyPressMsg {
	special := map[string]tea.Key{
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "space": {Code: tea.KeySpace, Text: " "},
		"tab": {Code: tea.KeyTab}, "shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "down": {Code: tea.KeyDown},
		"up": {Code: tea.KeyUp}, "left": {Code: tea.KeyLeft}, "right": {Code: tea.KeyRight}, "backspace": {Code: tea.KeyBackspace},
		"ctrl+u": {Code: 'u', Mod: tea.ModCtrl},
	}
	if k, ok := special[name]; ok {
		return tea.KeyPressMsg(k)
	}
	r := []rune(name)[0]
	return tea.KeyPressMsg(tea.Key{Code: r, Text: name})
}

// keys presses keys one by one.
func (d *driver) keys(names ...string) {
	d.t.Helper()
	for _, n := range names {
		d.send(keyMsg(n))
	}
}

// typeText types text into a focused field.
func (d *driver) typeText(s string) {
	for _, r := range s {
		d.send(tea.KeyPressMsg(tea.Key{Code: r, Text: string(r)}))
	}
}

// screen is what the terminal shows, without styling.
func (d *driver) screen() string { return ansi.Strip(d.m.render()) }

// expect fails unless every part is on screen.
func (d *driver) expect(parts ...string) {
	d.t.Helper()
	s := d.screen()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			d.t.Fatalf("screen lacks %q:\n%s", p, s)
		}
	}
}

// selectRow moves the cursor to the first row containing text.
func (d *driver) selectRow(text string) {
	d.t.Helper()
	d.keys("ctrl+u", "ctrl+u", "ctrl+u")
	for range 60 {
		for _, line := range strings.Split(d.screen(), "\n") {
			if strings.Contains(line, text) && d.m.ctx.Styles.Selected.GetReverse() && strings.Contains(d.m.render(), "\x1b[7m") {
				if sel := d.selectedLine(); strings.Contains(sel, text) {
					return
				}
			}
		}
		d.keys("down")
	}
	d.t.Fatalf("no row with %q:\n%s", text, d.screen())
}

// selectedLine is the line drawn in reverse video.
func (d *driver) selectedLine() string {
	for _, line := range strings.Split(d.m.render(), "\n") {
		if strings.Contains(line, "\x1b[7m") {
			return ansi.Strip(line)
		}
	}
	return ""
}

// fitsIn checks that every line of the screen fits the terminal.
func (d *driver) fitsIn(w, h int) {
	d.t.Helper()
	lines := strings.Split(d.m.render(), "\n")
	if len(lines) != h {
		d.t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			d.t.Fatalf("line %d is %d cells wide, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

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
	shown, err := store.GetSnapshot(context.Background(), d.m.stack[len(d.m.stack)-1].(*restoreScreen).row.it.ID)
	if err != nil {
		t.Fatal(err)
	}
	d.expect("commit " + shown.Git.Commit[:8]) // abbreviated as git does, by its start
	target := filepath.Join(t.TempDir(), "restored")
	d.keys("ctrl+u")
	d.typeText(target)
	d.keys("enter")
	d.expect("Restored 3 files", "Next", "git checkout", "git apply", "uv sync --frozen")
	snap, err := store.GetSnapshot(context.Background(), d.m.stack[len(d.m.stack)-1].(*restoreScreen).row.it.ID)
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
	store := demoStore(t)
	d := newDriver(t, store, 140, 45)
	d.m.ctx.Live = true
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("resnet18")
	d.keys("enter")
	d.selectRow("#3 ")
	d.keys("space")
	d.selectRow("▶ RUNNING")
	before := d.selectedLine()
	it := d.m.stack[len(d.m.stack)-1].(*iterationsScreen).selected().it
	if _, err := store.LogMetric(context.Background(), it.ID, core.MetricInput{Key: "loss", Value: 0.0123}); err != nil {
		t.Fatal(err)
	}
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
	d := &driver{t: t, m: New(&Context{Tracker: demoStore(t), Source: "test.db", NoTicks: true, Notice: notice})}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 30})
	d.run(d.m.Init())
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
