package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// fit cuts s (styled text allowed) to at most w cells, marking the cut.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad fits s to exactly w cells.
func pad(s string, w int) string {
	s = fit(s, w)
	if gap := w - lipgloss.Width(s); gap > 0 {
		s += strings.Repeat(" ", gap)
	}
	return s
}

// padRight pads plain text to w cells, cutting it if longer.
func padRight(s string, w int) string { return pad(s, w) }

// padLeft right-aligns plain text in w cells.
func padLeft(s string, w int) string {
	s = fit(s, w)
	if gap := w - lipgloss.Width(s); gap > 0 {
		s = strings.Repeat(" ", gap) + s
	}
	return s
}

// box fits a block of lines to exactly w x h cells.
func box(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = pad(l, w)
	}
	return strings.Join(lines, "\n")
}

// number renders a metric value compactly: 4 significant digits.
func number(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 1e6 || a < 1e-3:
		return strconv.FormatFloat(v, 'e', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

// duration renders a run's length as upstream's UI does: "500 ms", "1.06s",
// "1m 30s", "1h 1m".
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "–"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'g', 3, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm %ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// ago renders a time relative to now: "just now", "5m ago", "3h ago",
// "2d ago", then "Mar 5" or "Nov 1, 2025".
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "–"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	case d < 7*24*time.Hour:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	case t.Year() == now.Year():
		return t.Format("Jan 2")
	}
	return t.Format("Jan 2, 2006")
}

// shortCommit is a git commit id abbreviated as git abbreviates it: by its
// first characters, which git accepts wherever the whole id goes.
func shortCommit(id string) string { return id[:min(len(id), 8)] }

// short is the last eight characters of an id, enough to tell runs apart
// (the first ones of a time-ordered id are its time).
func short(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[len(id)-8:]
}

// timestamp is a full time, in the local zone of the viewer.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// ansiStrip removes styling, for rows drawn in reverse video.
func ansiStrip(s string) string { return ansi.Strip(s) }

func itoa(n int) string { return strconv.Itoa(n) }

// maxLineBytes bounds the text of one drawn line. No terminal is that wide,
// and measuring a line of many megabytes (a minified file, a one-line data
// dump) on every frame would freeze the screen.
const maxLineBytes = 4096

// printable makes a line of arbitrary text safe to draw: control characters
// (a stray carriage return, escape sequences in a captured file) that would
// garble the terminal become '·', and past maxLineBytes it is cut with "…".
func printable(s string) string {
	if len(s) > maxLineBytes {
		cut := maxLineBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return r
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			return '·'
		}
		return r
	}, s)
}
