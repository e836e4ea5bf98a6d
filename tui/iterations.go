package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/deardiary/deardiary-go/core"
)

// iterationsScreen is the run table of an experiment: the iteration tree
// with status, times, the last value of metrics and the parameters, sortable
// and filterable, with marks for comparing.
type iterationsScreen struct {
	base
	experiment *core.Experiment
	table      runTable
	shown      []*runRow // table.rows(), kept until the table changes
	marks      map[string]bool
	cur        cursor
	loaded     bool
	reloading  bool

	filter    textinput.Model
	filtering bool
}

type iterationsLoaded struct {
	its     []*core.Iteration
	sums    []core.MetricSummary
	params  []*core.Parameter
	err     error
	refresh bool
}

type searchDone struct {
	text string
	ids  map[string]bool
	err  error
}

func newIterations(ctx *Context, e *core.Experiment) *iterationsScreen {
	ti := newInput("/ ", "text, or metrics.accuracy > 0.9 and params.optimizer = 'adam'")
	return &iterationsScreen{base: newBase(ctx), experiment: e, table: runTable{now: ctx.Now}, marks: map[string]bool{}, filter: ti}
}

func (s *iterationsScreen) Title() string   { return s.experiment.Name }
func (s *iterationsScreen) Capturing() bool { return s.filtering }

func (s *iterationsScreen) Init() tea.Cmd { return s.fetch(false) }

// fetch loads the iterations, their summaries and parameters: three calls,
// whatever the number of runs.
func (s *iterationsScreen) fetch(refresh bool) tea.Cmd {
	t, id := s.ctx.Store, s.experiment.ID
	s.reloading = true
	return s.load(func(ctx context.Context) tea.Msg {
		its, _, err := t.ListIterations(ctx, core.IterationFilter{ExperimentID: id})
		if err != nil {
			return iterationsLoaded{err: err, refresh: refresh}
		}
		sums, err := t.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: id})
		if err != nil {
			return iterationsLoaded{err: err, refresh: refresh}
		}
		params, _, err := t.ListParameters(ctx, core.ParameterFilter{ExperimentID: id})
		return iterationsLoaded{its: its, sums: sums, params: params, err: err, refresh: refresh}
	})
}

func (s *iterationsScreen) Bindings() []binding {
	if s.filtering {
		return []binding{
			{keys: []string{"enter"}, label: "enter", help: "apply the filter", footer: true, run: s.applyFilter},
			{keys: []string{"esc"}, label: "esc", help: "clear the filter", footer: true, run: s.clearFilter},
		}
	}
	return append([]binding{
		{keys: []string{"enter", "right", "l"}, label: "enter", help: "open run", footer: true, run: s.open},
		{keys: []string{"space"}, label: "space", help: "mark for compare", footer: true, run: s.toggleMark},
		{keys: []string{"c"}, label: "c", help: "compare marked runs", footer: true, run: s.compare},
		{keys: []string{"/"}, label: "/", help: "filter: text or an expression", footer: true, run: s.startFilter},
		{keys: []string{"s"}, label: "s", help: "sort by the next column", footer: true, run: s.nextSort},
		{keys: []string{"S"}, label: "S", help: "reverse the sort", run: s.reverseSort},
		{keys: []string{"R"}, label: "R", help: "restore the run's environment", footer: true, run: s.restore},
		{keys: []string{"u"}, label: "u", help: "clear marks", run: func() tea.Cmd { clear(s.marks); return nil }},
		{keys: []string{"r"}, label: "r", help: "reload", run: func() tea.Cmd { return s.fetch(true) }},
	}, s.cur.keys("move", func() int { return len(s.shown) }, s.page)...)
}

func (s *iterationsScreen) selected() *runRow {
	if s.cur.pos < len(s.shown) {
		return s.shown[s.cur.pos]
	}
	return nil
}

func (s *iterationsScreen) open() tea.Cmd {
	if r := s.selected(); r != nil {
		return push(newDetail(s.ctx, s.experiment, r))
	}
	return nil
}

func (s *iterationsScreen) toggleMark() tea.Cmd {
	if r := s.selected(); r != nil {
		if s.marks[r.it.ID] {
			delete(s.marks, r.it.ID)
		} else {
			s.marks[r.it.ID] = true
		}
		s.cur.pos++
		s.cur.clamp(len(s.shown), s.page())
	}
	return nil
}

func (s *iterationsScreen) compare() tea.Cmd {
	var rows []*runRow
	for _, r := range s.table.all {
		if s.marks[r.it.ID] {
			rows = append(rows, r)
		}
	}
	if len(rows) < 2 {
		return func() tea.Msg { return statusMsg{text: "mark two or more runs with space, then press c"} }
	}
	return push(newCompare(s.ctx, rows))
}

func (s *iterationsScreen) restore() tea.Cmd {
	if r := s.selected(); r != nil {
		return push(newRestore(s.ctx, r))
	}
	return nil
}

func (s *iterationsScreen) startFilter() tea.Cmd {
	s.filtering = true
	s.filter.SetValue(s.table.filter)
	return s.filter.Focus()
}

func (s *iterationsScreen) nextSort() tea.Cmd {
	s.table.nextSort()
	s.arrange()
	col := s.table.sortColumn()
	return func() tea.Msg { return statusMsg{text: "sorted by " + col} }
}

func (s *iterationsScreen) reverseSort() tea.Cmd {
	s.table.reverseSort()
	s.arrange()
	return nil
}

func (s *iterationsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case iterationsLoaded:
		s.reloading = false
		if msg.err != nil {
			return s, func() tea.Msg { return fail(msg.err) }
		}
		s.build(msg)
		return s, nil
	case searchDone:
		if msg.err != nil {
			return s, func() tea.Msg { return fail(msg.err) }
		}
		s.table.filterMatches(msg.text, msg.ids)
		s.arrange()
		return s, func() tea.Msg { return statusMsg{text: fmt.Sprintf("%d runs match", len(msg.ids))} }
	case liveTickMsg:
		if s.ctx.Live && s.loaded && !s.reloading && s.table.anyRunning() {
			return s, s.fetch(true)
		}
		return s, nil
	case tea.WindowSizeMsg:
		s.resize(msg)
		s.filter.SetWidth(max(s.width-3, 1))
		s.cur.clamp(len(s.shown), s.page())
	case tea.KeyPressMsg, tea.PasteMsg:
		// Keys bound nowhere: while filtering, they edit the filter.
		if s.filtering {
			var cmd tea.Cmd
			s.filter, cmd = s.filter.Update(msg)
			return s, cmd
		}
	case tea.MouseWheelMsg:
		s.cur.wheel(msg, len(s.shown), s.page())
	}
	return s, nil
}

// page is how many runs fit under the two heading lines.
func (s *iterationsScreen) page() int { return max(s.height-2, 1) }

// clearFilter leaves the filter field and shows every run.
func (s *iterationsScreen) clearFilter() tea.Cmd {
	s.filtering = false
	s.table.filterText("")
	s.filter.Blur()
	s.arrange()
	return nil
}

// applyFilter leaves the filter field and filters by what it holds: an
// expression goes to the store, anything else is text to look for.
func (s *iterationsScreen) applyFilter() tea.Cmd {
	s.filtering = false
	s.filter.Blur()
	text := strings.TrimSpace(s.filter.Value())
	if isExpression(text) {
		t, id := s.ctx.Store, s.experiment.ID
		return s.load(func(ctx context.Context) tea.Msg {
			its, _, err := t.SearchIterations(ctx, core.IterationSearch{ExperimentIDs: []string{id}, Filter: text})
			ids := map[string]bool{}
			for _, it := range its {
				ids[it.ID] = true
			}
			return searchDone{text: text, ids: ids, err: err}
		})
	}
	s.table.filterText(text)
	s.arrange()
	return nil
}

// isExpression tells a filter expression from plain text to look for: it
// must parse and compare something.
func isExpression(text string) bool {
	if _, err := core.ParseFilter(text); err != nil || text == "" {
		return false
	}
	return strings.ContainsAny(text, "=<>") || strings.Contains(strings.ToLower(text), " like ") || strings.Contains(strings.ToLower(text), " in (")
}

// build turns loaded data into rows, keeping the cursor on the same run.
func (s *iterationsScreen) build(msg iterationsLoaded) {
	keep := ""
	if r := s.selected(); r != nil {
		keep = r.it.ID
	}
	s.table.load(msg.its, msg.sums, msg.params)
	s.loaded = true
	s.arrange()
	for i, r := range s.shown {
		if r.it.ID == keep {
			s.cur.pos = i
		}
	}
	s.cur.clamp(len(s.shown), s.page())
}

// arrange takes the rows to show from the table after it changed.
func (s *iterationsScreen) arrange() {
	s.shown = s.table.rows()
	s.cur.clamp(len(s.shown), s.page())
}

// Column widths.
const (
	metricWidth = 10
	paramWidth  = 12
)

func (s *iterationsScreen) View() string {
	st, w := s.ctx.Styles, s.width
	if !s.loaded {
		return st.Faint.Render("loading runs…")
	}
	t := &s.table
	if len(t.all) == 0 {
		return "This experiment has no iterations yet."
	}
	// Fixed columns take 48 cells; metrics and parameters share the rest.
	room := w - 48
	nm := min(len(t.metricKeys), max(room/2/metricWidth, min(room/metricWidth, 1)))
	np := min(len(t.paramKeys), max((room-nm*metricWidth)/paramWidth, 0))
	nm = min(len(t.metricKeys), nm+max((room-nm*metricWidth-np*paramWidth)/metricWidth, 0))
	sortName := t.sortColumn()
	arrow := "▲"
	if t.sortDesc {
		arrow = "▼"
	}
	title := func(name string, width int, right bool) string {
		label := name
		if name == sortName || "params."+name == sortName {
			label = arrow + label
		}
		if right {
			return padLeft(label, width)
		}
		return padRight(label, width)
	}
	head := "  " + title("status", 11, false) + " " + title("#", 22, false) + " " + title("created", 9, false) + title("duration", 9, true)
	for _, k := range t.metricKeys[:nm] {
		head += " " + title(k, metricWidth-1, true)
	}
	for _, k := range t.paramKeys[:np] {
		head += " " + title(k, paramWidth-1, false)
	}
	summary := fmt.Sprintf("%d of %d runs", len(s.shown), len(t.all))
	if n := len(s.marks); n > 0 {
		summary += fmt.Sprintf(" · %d marked", n)
	}
	if t.filter != "" && !s.filtering {
		summary += " · filter: " + t.filter
	}
	hidden := len(t.metricKeys) - nm + len(t.paramKeys) - np
	if hidden > 0 {
		summary += fmt.Sprintf(" · %d more columns in a wider window", hidden)
	}
	top := st.Faint.Render(summary)
	if s.filtering {
		top = s.filter.View()
	}
	lines := []string{top, st.Faint.Render(pad(head, w))}
	from, to := s.cur.window(len(s.shown), s.page())
	for i := from; i < to; i++ {
		lines = append(lines, s.renderRow(s.shown[i], i == s.cur.pos, w, nm, np))
	}
	if len(s.shown) == 0 {
		lines = append(lines, st.Faint.Render("no run matches the filter (esc clears it)"))
	}
	return strings.Join(lines, "\n")
}

func (s *iterationsScreen) renderRow(r *runRow, selected bool, w, nm, np int) string {
	st, t := s.ctx.Styles, &s.table
	mark := " "
	if s.marks[r.it.ID] {
		mark = "●"
	}
	indent := ""
	if r.depth > 0 {
		indent = strings.Repeat("  ", r.depth-1) + "└ "
	}
	name := indent + "#" + strconv.Itoa(r.ordinal) + " " + st.Faint.Render(short(r.it.ID))
	dur := duration(t.runTime(r))
	if r.it.Status == core.IterationRunning {
		dur += "…"
	}
	line := mark + " " + pad(statusText(r.it.Status), 11) + " " + pad(name, 22) + " " + padRight(ago(r.it.CreatedDate, s.ctx.Now()), 9) + padLeft(dur, 9)
	for _, k := range t.metricKeys[:nm] {
		v := "–"
		if m, ok := r.metrics[k]; ok {
			v = number(m.Last)
		}
		line += " " + padLeft(v, metricWidth-1)
	}
	for _, k := range t.paramKeys[:np] {
		v, ok := r.params[k]
		if !ok {
			v = "–"
		}
		line += " " + padRight(v, paramWidth-1)
	}
	switch {
	case selected:
		return st.Selected.Render(pad(ansiStrip(line), w))
	case s.marks[r.it.ID]:
		return lipgloss.NewStyle().Bold(true).Render(pad(line, w))
	}
	return pad(line, w)
}
