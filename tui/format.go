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

// number renders a metric value compactly: 4 significant digits, in
// scientific notation below 0.001 and from a million on, exponents without
// padding ("8.52e-4", "1.5e6").
func number(v float64) string { return numberDigits(v, 4) }

// numberIn renders a value in at most w cells, giving up digits rather than
// cutting it: "8.52e-4", then "8.5e-4", then "9e-4"; only a value that no
// precision fits is cut.
func numberIn(v float64, w int) string {
	for digits := 4; digits >= 1; digits-- {
		if s := numberDigits(v, digits); len(s) <= w {
			return s
		}
	}
	return fit(numberDigits(v, 1), w)
}

func numberDigits(v float64, digits int) string {
	if math.IsNaN(v) {
		return "–"
	}
	var s string
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case a >= 1e6 || a < 1e-3:
		s = strconv.FormatFloat(v, 'e', digits-1, 64)
	default:
		s = strconv.FormatFloat(v, 'g', digits, 64)
	}
	// Go writes exponents as e+06 and e-04; people write e6 and e-4.
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		sign := ""
		if exp[0] == '-' {
			sign = "-"
		}
		exp = strings.TrimLeft(exp[1:], "0")
		if exp == "" {
			return mant
		}
		s = mant + "e" + sign + exp
	}
	return s
}

// plural counts a noun: "1 project", "3 projects".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
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
	id = clean(id)
	if len(id) <= 8 {
		return id
	}
	return id[len(id)-8:]
}

// runName names a run as the run table numbers it, with its id: "#3
// f48c3923" for a UUID, "#3 id 17" for DearDiary.jl 0.9.1's integer ids,
// which would read as a second number otherwise.
func runName(ordinal int, id string) string {
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		return "#" + itoa(ordinal) + " id " + id
	}
	return "#" + itoa(ordinal) + " " + short(id)
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

// clean makes text that came from data safe to draw on one line: terminal
// escape sequences (which could move the cursor, retitle the window or
// write the clipboard) and bidirectional overrides are removed, and other
// control characters (newlines, tabs) become spaces.
func clean(s string) string {
	if !needsCleaning(s) {
		return s
	}
	s = ansi.Strip(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s)
}

// cleanLines is clean for text of several lines, such as an error's.
func cleanLines(s string) []string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return lines
}

func needsCleaning(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			return true
		}
	}
	return false
}

// shellQuote makes one argument safe to paste into a POSIX shell: words of
// plain characters stay as they are, anything else goes in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r == '=' || r == ':' || r == ',' || r == '+' || r == '@' ||
			r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin quotes every argument and joins them into one command line.
func shellJoin(args ...string) string {
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}
