package tui

import (
	"fmt"
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/deardiary/deardiary-go/core"
)

// Styles are the app's looks. Colours are a hint only: status also shows as
// a glyph, so the app reads the same with NO_COLOR.
type Styles struct {
	Header, Crumb, Title, Faint, Key, Error, Info, Selected, Marked, Best, Added, Removed, Changed, TabActive, Tab, Border lipgloss.Style
}

// DefaultStyles suit dark and light terminals.
func DefaultStyles() Styles {
	return Styles{
		Header:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#1a1a1a")).Background(lipgloss.Color("#7aa2f7")),
		Crumb:     lipgloss.NewStyle().Bold(true),
		Title:     lipgloss.NewStyle().Bold(true).Underline(true),
		Faint:     lipgloss.NewStyle().Faint(true),
		Key:       lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#7aa2f7")),
		Error:     lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#f7768e")),
		Info:      lipgloss.NewStyle().Foreground(lipgloss.Color("#9ece6a")),
		Selected:  lipgloss.NewStyle().Reverse(true),
		Marked:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#e0af68")),
		Best:      lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#9ece6a")),
		Added:     lipgloss.NewStyle().Foreground(lipgloss.Color("#9ece6a")),
		Removed:   lipgloss.NewStyle().Foreground(lipgloss.Color("#f7768e")),
		Changed:   lipgloss.NewStyle().Foreground(lipgloss.Color("#e0af68")),
		TabActive: lipgloss.NewStyle().Bold(true).Reverse(true).Padding(0, 1),
		Tab:       lipgloss.NewStyle().Padding(0, 1),
		Border:    lipgloss.NewStyle().Faint(true),
	}
}

// statusColor is the colour of an iteration status, as upstream's UI.
var statusColor = map[core.IterationStatus]color.Color{
	core.IterationRunning:   lipgloss.Color("#e0af68"),
	core.IterationSucceeded: lipgloss.Color("#9ece6a"),
	core.IterationFailed:    lipgloss.Color("#f7768e"),
	core.IterationKilled:    lipgloss.Color("#bb9af7"),
}

// glyph is an iteration status as one character, as upstream's UI.
func glyph(s core.IterationStatus) string {
	switch s {
	case core.IterationRunning:
		return "▶"
	case core.IterationSucceeded:
		return "✓"
	case core.IterationFailed:
		return "✗"
	case core.IterationKilled:
		return "⊘"
	}
	return "?"
}

// statusText is a status's glyph and name in its colour.
func statusText(s core.IterationStatus) string {
	return lipgloss.NewStyle().Foreground(statusColor[s]).Render(glyph(s) + " " + s.String())
}

// tabBar draws numbered tab names, the active one highlighted, in w
// cells: when the names do not fit, the other tabs shrink to their
// numbers, so that the active one always shows whole.
func tabBar(st Styles, names []string, active, w int) string {
	render := func(short bool) string {
		tabs := make([]string, len(names))
		for i, name := range names {
			style, text := st.Tab, fmt.Sprintf("%d %s", i+1, name)
			if i == active {
				style = st.TabActive
			} else if short {
				text = fmt.Sprint(i + 1)
			}
			tabs[i] = style.Render(text)
		}
		return strings.Join(tabs, " ")
	}
	if bar := render(false); lipgloss.Width(bar) <= w {
		return bar
	}
	return fit(render(true), w)
}
