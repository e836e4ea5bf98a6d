package tui

import "charm.land/bubbles/v2/textinput"

// newInput is a one-line text field with a steady cursor: a blinking one
// would wake the app twice a second for nothing.
func newInput(prompt, placeholder string) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	styles := ti.Styles()
	styles.Cursor.Blink = false
	ti.SetStyles(styles)
	return ti
}
