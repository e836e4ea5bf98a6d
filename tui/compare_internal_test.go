package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/deardiary/deardiary-go/core"
)

// TestEnvDiffOfBinaryAndLongTextFiles: bytes are not diffed as text, and a
// text diff stops after maxTextDiffLines with how much more there is.
func TestEnvDiffOfBinaryAndLongTextFiles(t *testing.T) {
	t.Parallel()
	var textA, textB strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&textA, "line %d\n", i)
		fmt.Fprintf(&textB, "line %d changed\n", i)
	}
	snap := func(bin, text string) *core.Snapshot {
		return &core.Snapshot{Files: []core.SnapshotFile{
			core.NewSnapshotFile("model.bin", "", []byte(bin)), core.NewSnapshotFile("notes.txt", "", []byte(text))}}
	}
	lines := envDiff(DefaultStyles(), snap("\x00\x01weights", textA.String()), snap("\x00\x02weights!", textB.String()))
	out := ansi.Strip(strings.Join(envTexts(lines), "\n"))
	for _, want := range []string{"~ model.bin", "binary content differs (9 B vs 10 B)", "~ notes.txt", "- line 0",
		"more lines of difference; restore the runs to see them all"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if len(lines) > maxTextDiffLines+10 {
		t.Errorf("%d lines drawn, want at most about %d", len(lines), maxTextDiffLines)
	}
}

func envTexts(lines []envLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}
