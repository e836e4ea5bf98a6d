package tui

import tea "charm.land/bubbletea/v2"

// binding is one entry of a key table: the keys that trigger it, how help
// shows it, and what it does. The app looks every key press up in one
// table (its own keys, then the screen's), and the footer and the ? help
// are drawn from the same table, so they cannot disagree.
type binding struct {
	keys []string
	// label is the key as shown, e.g. "enter" or "↑/k ↓/j". Empty keeps
	// the binding out of help and footer: the second of a pair whose first
	// describes both.
	label  string
	help   string
	footer bool // shown in the one-line footer
	// section groups the binding in help: sectionNav for moving about,
	// sectionApp for the app's own keys, empty for the screen's actions.
	section string
	run     func() tea.Cmd
}

// Help's sections, in their order; a screen's own keys come between.
const (
	sectionNav = "Navigation"
	sectionApp = "General"
)

// nav marks bindings as moving about, for help's Navigation section.
func nav(bs ...binding) []binding {
	for i := range bs {
		bs[i].section = sectionNav
	}
	return bs
}

// keyName is a key press as the tables name it. Two esc keys arriving
// together read as alt+esc: that is esc, as the user meant.
func keyName(msg tea.KeyPressMsg) string {
	if k := msg.String(); k != "alt+esc" {
		return k
	}
	return "esc"
}

// dispatch runs the first binding of a key press, reporting whether one
// matched.
func dispatch(bindings []binding, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	key := keyName(msg)
	for _, b := range bindings {
		for _, k := range b.keys {
			if k == key && b.run != nil {
				return b.run(), true
			}
		}
	}
	return nil, false
}

// tabKeys are the digit keys that go straight to one of n tabs; help shows
// them as one line.
func tabKeys(n int, show func(tab int) tea.Cmd) []binding {
	out := make([]binding, n)
	for i := range out {
		out[i] = binding{keys: []string{string(rune('1' + i))}, run: func() tea.Cmd { return show(i) }}
	}
	out[0].label, out[0].help = "1-"+itoa(n), "go to a tab"
	return nav(out...)
}
