package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/tuitest"
)

// toRestore opens the restore dialog of the ablation's run #n.
func toRestore(t *testing.T, d *driver, n string) {
	t.Helper()
	d.selectRow("vision")
	d.keys("enter")
	d.selectRow("augmentation ablation")
	d.keys("enter")
	d.selectRow("#" + n + " ")
	d.keys("R")
}

// ~ is the home directory. Not parallel: it sets HOME.
func TestRestoreExpandsHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	d := newDriver(t, newSample(), 120, 40)
	toRestore(t, d, "4")
	d.keys("ctrl+u")
	d.typeText("~/restored")
	d.keys("enter")
	want := filepath.Join(home, "restored")
	d.expect("Restored 3 files into "+want, "git apply "+filepath.Join(want, "uncommitted.patch"))
	if _, err := os.Stat(filepath.Join(want, "uv.lock")); err != nil {
		t.Fatal(err)
	}
}

// A relative directory is restored where ddtui runs, and the commands
// printed next name it absolutely, so they work from the clone.
func TestRestoreCommandsUseAbsolutePaths(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 160, 40)
	rel, err := filepath.Rel(mustGetwd(t), filepath.Join(t.TempDir(), "it"))
	if err != nil {
		t.Fatal(err)
	}
	toRestore(t, d, "4")
	d.keys("ctrl+u")
	d.typeText(rel)
	d.keys("enter")
	abs, _ := filepath.Abs(rel)
	d.expect("into "+abs, "git apply "+filepath.Join(abs, "uncommitted.patch"), "cd "+abs+" && uv sync --frozen")
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// A directory that is not empty is offered for overwriting, explicitly;
// o writes into it, keeping the other files there.
func TestRestoreOffersToOverwrite(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 120, 40)
	target := t.TempDir()
	other := filepath.Join(target, "keep.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	toRestore(t, d, "2")
	d.keys("ctrl+u")
	d.typeText(target)
	d.keys("enter")
	d.expect("already exists and is not empty", "Press o to write into it anyway")
	d.lacks("or force")
	if footer := ansiStrip(d.m.footer()); !strings.Contains(footer, "o write into it anyway") || strings.Contains(footer, "enter restore") {
		t.Fatalf("footer %q", footer)
	}
	d.keys("o")
	d.expect("Restored 2 files into " + target)
	if b, err := os.ReadFile(other); err != nil || string(b) != "mine" {
		t.Fatalf("the other file: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(target, "uv.lock")); err != nil {
		t.Fatal(err)
	}
	// e goes back to the field instead.
	d.keys("esc", "R", "ctrl+u")
	d.typeText(target)
	d.keys("enter", "e")
	if !d.top().Capturing() {
		t.Fatal("e did not give the field the keyboard")
	}
}

// The restore dialog's footer shows only keys that work in its state.
func TestRestoreFooterShowsWhatWorks(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 120, 40)
	toRestore(t, d, "1")
	footer := ansiStrip(d.m.footer())
	if !strings.Contains(footer, "enter restore here") || !strings.Contains(footer, "esc cancel") || strings.Contains(footer, "q quit") {
		t.Fatalf("editing: footer %q", footer)
	}
	d.keys("esc")
	d.selectRow("#1 ")
	d.m.ctx.Store.(*sample).Hold("GetSnapshot")
	d.keys("R")
	if footer := ansiStrip(d.m.footer()); strings.Contains(footer, "enter") {
		t.Fatalf("reading the snapshot: footer %q", footer)
	}
}

// The next steps the dialog prints run nothing the data slipped in: the
// commit and the entrypoint of a hostile snapshot are quoted or shown as
// comments, and control characters do not reach the terminal.
func TestNextStepsRunNothingFromTheData(t *testing.T) {
	t.Parallel()
	s := tuitest.New(sampleStart)
	e := s.AddExperiment(s.AddProject("p", ""), "e", "")
	it := s.AddIteration(e, tuitest.Run{Status: core.IterationSucceeded})
	snap := pythonSnapshot("1", "2", 0, false)
	snap.Git.Commit = "abc$(touch x)"
	snap.Entrypoint = "train.py; rm -rf ~\x1b[2J"
	s.SetSnapshot(it, snap)
	d := newDriver(t, s, 160, 40)
	d.keys("enter", "enter", "R", "ctrl+u")
	d.typeText(filepath.Join(t.TempDir(), "r"))
	d.keys("enter")
	d.expect("Restored 2 files", "# commit \"abc$(touch x)\"", "# \"train.py; rm -rf ~")
	d.lacks("git checkout abc")
	if strings.Contains(d.m.render(), "\x1b[2J") {
		t.Fatal("a control sequence from the entrypoint reached the screen")
	}
}
