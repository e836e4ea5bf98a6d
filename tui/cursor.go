package tui

import tea "charm.land/bubbletea/v2"

// cursor is a selection in a scrolling list of n rows, shown height rows at
// a time.
type cursor struct {
	pos, top int
}

// move handles the navigation keys and the mouse wheel, reporting whether
// msg was one of them.
func (c *cursor) move(msg tea.Msg, n, height int) bool {
	step := 0
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch msg.String() {
		case "up", "k":
			step = -1
		case "down", "j":
			step = 1
		case "pgup", "ctrl+b", "ctrl+u":
			step = -max(height-1, 1)
		case "pgdown", "ctrl+f", "ctrl+d":
			step = max(height-1, 1)
		case "home", "g":
			step = -n
		case "end", "G":
			step = n
		default:
			return false
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			step = -3
		case tea.MouseWheelDown:
			step = 3
		default:
			return false
		}
	default:
		return false
	}
	c.pos += step
	c.clamp(n, height)
	return true
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
