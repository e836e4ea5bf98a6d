package tui

import tea "charm.land/bubbletea/v2"

// cursor is a selection in a scrolling list of n rows, shown page rows at
// a time. Panes that scroll as a whole use it too, pos being the first line
// shown and n the number of lines a page can start at.
type cursor struct {
	pos, top int
}

// keys are the bindings that move the cursor: help calls the move verb
// ("move", "scroll"). n and page are read as a key arrives, since the list
// and the window change.
func (c *cursor) keys(verb string, n, page func() int) []binding {
	by := func(step func(n, page int) int) func() tea.Cmd {
		return func() tea.Cmd {
			n, page := n(), page()
			c.pos += step(n, page)
			c.clamp(n, page)
			return nil
		}
	}
	return nav(
		binding{keys: []string{"up", "k"}, label: "↑/k ↓/j", help: verb, run: by(func(int, int) int { return -1 })},
		binding{keys: []string{"down", "j"}, run: by(func(int, int) int { return 1 })},
		binding{keys: []string{"pgup", "ctrl+b", "ctrl+u"}, label: "pgup/pgdn", help: verb + " a page", run: by(func(_, page int) int { return -max(page-1, 1) })},
		binding{keys: []string{"pgdown", "ctrl+f", "ctrl+d"}, run: by(func(_, page int) int { return max(page-1, 1) })},
		binding{keys: []string{"home", "g"}, label: "g/G", help: "to the first / the last", run: by(func(n, _ int) int { return -n })},
		binding{keys: []string{"end", "G"}, run: by(func(n, _ int) int { return n })},
	)
}

// wheel moves the cursor three rows a notch of the mouse wheel.
func (c *cursor) wheel(msg tea.MouseWheelMsg, n, page int) {
	switch msg.Button {
	case tea.MouseWheelUp:
		c.pos -= 3
	case tea.MouseWheelDown:
		c.pos += 3
	default:
		return
	}
	c.clamp(n, page)
}

// clamp keeps the cursor on a row and the row in view.
func (c *cursor) clamp(n, height int) {
	c.pos = min(max(c.pos, 0), max(n-1, 0))
	height = max(height, 1)
	if c.pos < c.top {
		c.top = c.pos
	}
	if c.pos >= c.top+height {
		c.top = c.pos - height + 1
	}
	c.top = min(max(c.top, 0), max(n-height, 0))
}

// window returns the rows [from, to) to draw. Update keeps the cursor
// clamped; window clamps a copy, so drawing never moves it.
func (c cursor) window(n, height int) (int, int) {
	c.clamp(n, height)
	return c.top, min(c.top+height, n)
}
