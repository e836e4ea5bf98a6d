package tui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// filterField is the / filter of a run's and a compare's tabs: it narrows
// their lists (metric keys, parameters, files) as it is typed.
type filterField struct {
	input  textinput.Model
	typing bool
}

func newFilterField(placeholder string) filterField {
	return filterField{input: newInput("/ ", placeholder)}
}

// text is the filter in force, "" for none.
func (f *filterField) text() string { return strings.TrimSpace(f.input.Value()) }

// active reports whether the filter narrows anything.
func (f *filterField) active() bool { return f.text() != "" }

// match reports whether any of the texts contains the filter, in any case.
func (f *filterField) match(texts ...string) bool {
	needle := strings.ToLower(f.text())
	if needle == "" {
		return true
	}
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), needle) {
			return true
		}
	}
	return false
}

// bindings are the filter's keys: while typing, enter keeps the filter
// and esc clears it; otherwise / starts it and, while one is in force, esc
// clears it before esc can leave the screen (first goes before the
// screen's keys, slash after). changed runs after every change, for the
// screen to clamp its cursors.
func (f *filterField) bindings(what string, changed func()) (first, slash []binding) {
	clearIt := func() tea.Cmd {
		f.typing = false
		f.input.SetValue("")
		f.input.Blur()
		changed()
		return nil
	}
	if f.typing {
		return []binding{
			{keys: []string{"enter"}, label: "enter", help: "keep the filter", footer: true, run: func() tea.Cmd {
				f.typing = false
				f.input.Blur()
				return nil
			}},
			{keys: []string{"esc"}, label: "esc", help: "clear the filter", footer: true, run: clearIt},
		}, nil
	}
	slash = []binding{{keys: []string{"/"}, label: "/", help: "filter " + what, footer: true, run: func() tea.Cmd {
		f.typing = true
		f.input.CursorEnd()
		return f.input.Focus()
	}}}
	if f.active() {
		first = []binding{{keys: []string{"esc"}, label: "esc", help: "clear the filter", footer: true, run: clearIt}}
	}
	return first, slash
}

// update types into the field while it has the keyboard, reporting
// whether the message was for it.
func (f *filterField) update(msg tea.Msg, changed func()) (tea.Cmd, bool) {
	if !f.typing {
		return nil, false
	}
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		before := f.input.Value()
		var cmd tea.Cmd
		f.input, cmd = f.input.Update(msg)
		if f.input.Value() != before {
			changed()
		}
		return cmd, true
	}
	return nil, false
}

// line is the filter as shown above a list: the field while typing, the
// filter in force otherwise, "" for none.
func (f *filterField) line(st Styles) string {
	switch {
	case f.typing:
		return f.input.View()
	case f.active():
		return st.Faint.Render("filter: " + clean(f.text()) + " (/ changes, esc clears)")
	}
	return ""
}
