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

// A lock file kept without its content (too large at capture) is not read
// as an empty one, which would list every package as removed.
func TestEnvDiffOfALockFileNotCaptured(t *testing.T) {
	t.Parallel()
	lock := func(torch string) core.SnapshotFile {
		return core.NewSnapshotFile("uv.lock", "python", []byte("version = 1\n\n[[package]]\nname = \"torch\"\nversion = \""+torch+"\"\n"))
	}
	kept := lock("2.4.1")
	skipped := lock("2.5.1")
	skipped.Content, skipped.Skipped = nil, "too large (20.0 MiB > 16 MiB)"
	lines := envDiff(DefaultStyles(), &core.Snapshot{Files: []core.SnapshotFile{kept}}, &core.Snapshot{Files: []core.SnapshotFile{skipped}})
	out := ansi.Strip(strings.Join(envTexts(lines), "\n"))
	if !strings.Contains(out, "~ uv.lock") || !strings.Contains(out, "not captured in the second run (too large") || strings.Contains(out, "- torch") {
		t.Fatalf("the diff of a lock file not captured:\n%s", out)
	}
}
