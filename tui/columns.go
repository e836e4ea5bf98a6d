package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// columnsScreen chooses which metric and parameter columns a run table
// shows, and sorts it by any column. It changes the table it came from.
type columnsScreen struct {
	base
	runs *iterationsScreen
	cur  cursor
}

func newColumns(ctx *Context, runs *iterationsScreen) *columnsScreen {
	return &columnsScreen{base: newBase(ctx), runs: runs}
}

func (c *columnsScreen) Title() string   { return "columns" }
func (c *columnsScreen) Capturing() bool { return false }
func (c *columnsScreen) Init() tea.Cmd   { return nil }

func (c *columnsScreen) columns() []string { return c.runs.table.columns() }

func (c *columnsScreen) Bindings() []binding {
	return append([]binding{
		{keys: []string{"space"}, label: "space", help: "show or hide the column", footer: true, run: c.toggle},
		{keys: []string{"s", "enter"}, label: "s/enter", help: "sort the runs by the column", footer: true, run: c.sort},
		{keys: []string{"S"}, label: "S", help: "sort by the column, descending", run: c.sortDesc},
		{keys: []string{"a"}, label: "a", help: "show every column", run: c.showAll},
		{keys: []string{"n"}, label: "n", help: "hide every metric and parameter column", run: c.hideAll},
	}, c.cur.keys("move", func() int { return len(c.columns()) }, c.rows)...)
}

func (c *columnsScreen) selected() string {
	cols := c.columns()
	if c.cur.pos < len(cols) {
		return cols[c.cur.pos]
	}
	return ""
}

func (c *columnsScreen) toggle() tea.Cmd {
	col := c.selected()
	if c.cur.pos < fixedColumns || col == "" {
		return status(col + " always shows")
	}
	t := &c.runs.table
	if t.hidden[col] {
		delete(t.hidden, col)
	} else {
		t.hidden[col] = true
	}
	c.runs.colOff = min(c.runs.colOff, max(len(t.optional())-1, 0))
	c.cur.pos++
	c.cur.clamp(len(c.columns()), c.rows())
	return nil
}

func (c *columnsScreen) sort() tea.Cmd {
	if col := c.selected(); col != "" {
		c.runs.table.sortBy(col)
		c.runs.arrange()
		return status("sorted by " + clean(col))
	}
	return nil
}

func (c *columnsScreen) sortDesc() tea.Cmd {
	if col := c.selected(); col != "" {
		c.runs.table.sortBy(col)
		c.runs.table.reverseSort()
		c.runs.arrange()
		return status("sorted by " + clean(col) + ", descending")
	}
	return nil
}

func (c *columnsScreen) showAll() tea.Cmd {
	clear(c.runs.table.hidden)
	return nil
}

func (c *columnsScreen) hideAll() tea.Cmd {
	for _, col := range c.columns()[fixedColumns:] {
		c.runs.table.hidden[col] = true
	}
	c.runs.colOff = 0
	return nil
}

func (c *columnsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		c.resize(msg)
		c.cur.clamp(len(c.columns()), c.rows())
	case tea.MouseWheelMsg:
		c.cur.wheel(msg, len(c.columns()), c.rows())
	}
	return c, nil
}

// rows is how many columns fit under the heading lines.
func (c *columnsScreen) rows() int { return max(c.height-2, 1) }

func (c *columnsScreen) View() string {
	st, t := c.ctx.Styles, &c.runs.table
	cols := c.columns()
	from, to := c.cur.window(len(cols), c.rows())
	lines := []string{st.Faint.Render(plural(len(cols), "column") + ", " + itoa(len(t.hidden)) + " hidden" + position(from, to, len(cols))), ""}
	sorted := t.sortColumn()
	for i := from; i < to; i++ {
		col := cols[i]
		box := "[x]"
		switch {
		case i < fixedColumns:
			box = "[•]"
		case t.hidden[col]:
			box = "[ ]"
		}
		kind := "metric"
		switch {
		case i < fixedColumns:
			kind = "always shown"
		case strings.HasPrefix(col, "params."):
			kind = "parameter"
		}
		line := box + " " + padRight(clean(col), 32) + " " + st.Faint.Render(padRight(kind, 14))
		if col == sorted {
			dir := "sorted ▲"
			if t.sortDesc {
				dir = "sorted ▼"
			}
			line += dir
		}
		lines = append(lines, rowStyle(st, i == c.cur.pos, false).Render(pad(ansiStrip(line), c.width)))
	}
	return strings.Join(lines, "\n")
}
