package tui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestKeyTables checks every screen's table on a tour: each binding does
// something, no key is bound twice, no screen takes the app's own keys, and
// the help (where ? opens it) lists every labelled binding.
func TestKeyTables(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 120, 60)
	check := func(where string) {
		t.Helper()
		first, _ := d.m.appKeys()
		var appKeys []string
		for _, b := range first {
			appKeys = append(appKeys, b.keys...)
		}
		seen := map[string]bool{}
		for _, b := range d.top().Bindings() {
			if b.run == nil || len(b.keys) == 0 {
				t.Errorf("%s: binding %q does nothing", where, b.label)
			}
			for _, k := range b.keys {
				if seen[k] || slices.Contains(appKeys, k) {
					t.Errorf("%s: %q is bound twice", where, k)
				}
				seen[k] = true
			}
		}
		if d.top().Capturing() {
			return // ? types into the field
		}
		d.keys("?")
		// The help scrolls: read it page by page.
		help := d.screen()
		for range 20 {
			d.keys("pgdown")
			help += d.screen()
		}
		for _, b := range d.m.helpKeys() {
			if b.label != "" && (!strings.Contains(help, b.label) || !strings.Contains(help, b.help)) {
				t.Errorf("%s: help lacks %q %q:\n%s", where, b.label, b.help, help)
			}
		}
		for _, section := range []string{"Navigation", "General"} {
			if !strings.Contains(help, section) {
				t.Errorf("%s: help lacks the %s section", where, section)
			}
		}
		d.keys("esc")
		if d.m.help {
			t.Fatalf("%s: esc did not close the help", where)
		}
	}
	check("projects")
	d.keys("enter")
	check("experiments")
	d.keys("enter")
	check("runs")
	d.keys("/")
	check("runs, filtering")
	d.keys("esc", "enter")
	for _, tab := range []string{"1", "2", "3", "4", "5", "6"} {
		d.keys(tab)
		check("run, tab " + tab)
	}
	d.keys("enter")
	check("viewer")
	d.keys("esc", "R")
	check("restore")
	d.keys("esc", "esc", "space", "down", "space", "c")
	for _, tab := range []string{"1", "2", "3", "4"} {
		d.keys(tab)
		check("compare, tab " + tab)
	}
}

// While a text field has the keyboard, the app's keys type into it, except
// ctrl+c.
func TestTypingTakesTheAppsKeys(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newSample(), 120, 40)
	d.keys("enter", "enter", "/", "q", "?", "h")
	if d.quit || !strings.Contains(d.screen(), "/ q?h") {
		t.Fatalf("q ? h did not type into the filter:\n%s", d.screen())
	}
	d.expect("enter apply the filter", "esc clear the filter")
	d.lacks("q quit")
	d.keys("ctrl+c")
	if !d.quit {
		t.Fatal("ctrl+c did not quit while typing")
	}
}

// Page down in the file viewer moves a page, and the end key shows the last.
func TestViewerPages(t *testing.T) {
	t.Parallel()
	s := newSample()
	long := make([]string, 100)
	for i := range long {
		long[i] = "line " + itoa(i+1)
	}
	snap := pythonSnapshot("2.5.1", "2.1.3", 9, false)
	snap.Files = append(snap.Files, coreFile("notes.txt", strings.Join(long, "\n")))
	s.SetSnapshot(s.augment[0], snap)
	d := newDriver(t, s, 80, 24)
	d.keys("enter", "down", "enter", "enter", "6")
	d.selectRow("notes.txt")
	d.keys("enter")
	d.expect("lines 1-20 of 100")
	d.keys("pgdown")
	d.expect("lines 20-39 of 100")
	d.keys("end")
	d.expect("lines 81-100 of 100", "line 100")
	d.keys("g")
	d.expect("lines 1-20 of 100")
	if got := ansi.Strip(d.m.footer()); !strings.Contains(got, "esc back") {
		t.Fatalf("footer %q", got)
	}
}
