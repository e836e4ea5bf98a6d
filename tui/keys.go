package tui

import tea "charm.land/bubbletea/v2"

// binding is one key of a screen: the keys that trigger it, how help shows
// it, and what it does. The same table drives dispatch, the footer and the
// ? help, so they cannot disagree.
type binding struct {
	keys   []string
	label  string // as shown, e.g. "enter" or "↑/k"
	help   string
	footer bool // shown in the one-line footer
	run    func() tea.Cmd
}

// globalBindings are handled by the app for every screen.
var globalBindings = []binding{
	{keys: []string{"esc", "backspace"}, label: "esc", help: "back"},
	{keys: []string{"?"}, label: "?", help: "this help"},
	{keys: []string{"q", "ctrl+c"}, label: "q / ctrl+c", help: "quit"},
}

// dispatch runs the binding of a key press, reporting whether one matched.
func dispatch(bindings []binding, msg tea.KeyPressMsg) (tea.Cmd, bool) {
	key := msg.String()
	for _, b := range bindings {
		for _, k := range b.keys {
			if k == key && b.run != nil {
				return b.run(), true
			}
		}
	}
	return nil, false
}
