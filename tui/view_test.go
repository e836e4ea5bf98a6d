package tui

import (
	"slices"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestViewChangesNothing tours every screen twice, drawing after each key
// on one app and never on the other: if drawing settled anything (a page
// height, a clamped cursor, a field's width), the two would part ways.
func TestViewChangesNothing(t *testing.T) {
	t.Parallel()
	tour := []string{
		"down", "down", "up", "up", "enter", // the vision project
		"enter", "pgdown", "G", "g", "down", "down", // the sweep's runs
		"enter", "3", "down", "space", "pgdown", "]", "L", "f", "v", "down", "enter", "v", "6", "G", // a run's metrics and environment
		"enter", "pgdown", "G", "up", "esc", // a file
		"esc", "space", "down", "space", "c", // compare two runs
		"1", "d", "pgdown", "2", "m", "3", "right", "4", "G", "up",
		"esc", "/", "m", "o", "m", "enter", "s", "s", // filter and sort
		">", "C", "down", "space", "G", "esc", // columns
	}
	for stop := 1; stop <= len(tour); stop++ {
		// Compare after the keys whose effect depends on the size (a later
		// g or G would hide what a page key did), and at the end.
		if !slices.Contains([]string{"pgdown", "G", "space", "enter", "c", "v", "f"}, tour[stop-1]) && stop < len(tour) {
			continue
		}
		watched := newDriver(t, newSample(), 100, 24)
		unwatched := newDriver(t, newSample(), 100, 24)
		for _, k := range tour[:stop] {
			watched.keys(k)
			watched.m.View()
			unwatched.keys(k)
		}
		// Styled, as the cursor shows only as reverse video.
		if got, want := unwatched.m.render(), watched.m.render(); got != want {
			t.Fatalf("after %v the undrawn app shows\n%s\nand the drawn one\n%s", tour[:stop], ansi.Strip(got), ansi.Strip(want))
		}
	}
}
