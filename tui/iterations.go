package tui

import (
	"context"
	"fmt"
	"regexp"
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
	// colOff is the first metric or parameter column shown: the table
	// scrolls sideways past the fixed columns.
	colOff    int
	loaded    bool
	reloading bool

	filter    textinput.Model
	filtering bool
	// filterErr is why the expression typed does not parse, shown under
	// the field until it changes.
	filterErr string
}

type iterationsLoaded struct {
	its    []*core.Iteration
	sums   []core.MetricSummary
	params []*core.Parameter
	// matched are the runs the expression in force matches now, nil
	// without one: new runs may match it too.
	matched map[string]bool
	err     error
}

type searchDone struct {
	text string
	ids  map[string]bool
	err  error
}

func newIterations(ctx *Context, e *core.Experiment) *iterationsScreen {
	ti := newInput("/ ", "text, or metrics.accuracy > 0.9 and params.optimizer = 'adam'")
	return &iterationsScreen{base: newBase(ctx), experiment: e, table: runTable{now: ctx.Now, hidden: map[string]bool{}}, marks: map[string]bool{}, filter: ti}
}

func (s *iterationsScreen) Title() string   { return clean(s.experiment.Name) }
func (s *iterationsScreen) Capturing() bool { return s.filtering }

func (s *iterationsScreen) Init() tea.Cmd { return s.fetch() }

// fetch loads the iterations, their summaries and parameters: three calls,
// whatever the number of runs.
func (s *iterationsScreen) fetch() tea.Cmd {
	t, id := s.ctx.Store, s.experiment.ID
	s.reloading = true
	expression := ""
	if s.table.matches != nil {
		expression = s.table.filter
	}
	return s.load(func(ctx context.Context) tea.Msg {
		its, _, err := t.ListIterations(ctx, core.IterationFilter{ExperimentID: id})
		if err != nil {
			return iterationsLoaded{err: err}
		}
		sums, err := t.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: id})
		if err != nil {
			return iterationsLoaded{err: err}
		}
		params, _, err := t.ListParameters(ctx, core.ParameterFilter{ExperimentID: id})
		msg := iterationsLoaded{its: its, sums: sums, params: params, err: err}
		if expression != "" && err == nil {
			msg.matched, msg.err = search(ctx, t, id, expression)
		}
		return msg
	})
}

// search returns the ids of an experiment's runs an expression matches.
func search(ctx context.Context, t Store, experiment, expression string) (map[string]bool, error) {
	its, _, err := t.SearchIterations(ctx, core.IterationSearch{ExperimentIDs: []string{experiment}, Filter: expression})
	ids := map[string]bool{}
	for _, it := range its {
		ids[it.ID] = true
	}
	return ids, err
}

func (s *iterationsScreen) Bindings() []binding {
	if s.filtering {
		return []binding{
			{keys: []string{"enter"}, label: "enter", help: "apply the filter", footer: true, run: s.applyFilter},
			{keys: []string{"esc"}, label: "esc", help: "clear the filter", footer: true, run: s.clearFilter},
		}
	}
	var b []binding
	if s.table.filter != "" {
		// esc takes the filter off before it leaves the screen.
		b = append(b, binding{keys: []string{"esc"}, label: "esc", help: "clear the filter", footer: true, run: s.clearFilter})
	}
	b = append(b, []binding{
		{keys: []string{"enter", "right", "l"}, label: "enter", help: "open run", footer: true, run: s.open},
		{keys: []string{"space"}, label: "space", help: "mark for compare", footer: true, run: s.toggleMark},
		{keys: []string{"c"}, label: "c", help: "compare marked runs", footer: true, run: s.compare},
		{keys: []string{"/"}, label: "/", help: "filter: text or an expression", footer: true, run: s.startFilter},
		{keys: []string{"s"}, label: "s", help: "sort by the next column", footer: true, run: s.nextSort},
		{keys: []string{"S"}, label: "S", help: "reverse the sort", run: s.reverseSort},
		{keys: []string{"C"}, label: "C", help: "choose and sort columns", footer: true, run: s.chooseColumns},
		{keys: []string{"R"}, label: "R", help: "restore the run's environment", footer: true, run: s.restore},
		{keys: []string{"y"}, label: "y", help: "copy the run's id", run: s.copyID},
		{keys: []string{"Y"}, label: "Y", help: "copy a ddd restore command for the run", run: s.copyRestore},
		{keys: []string{"u"}, label: "u", help: "clear marks", run: func() tea.Cmd { clear(s.marks); return nil }},
		{keys: []string{"r"}, label: "r", help: "reload", run: s.fetch},
	}...)
	b = append(b, nav(
		binding{keys: []string{">", "shift+right", "L"}, label: "> <", help: "scroll the columns right / left", run: func() tea.Cmd { return s.scrollColumns(1) }},
		binding{keys: []string{"<", "shift+left", "H"}, run: func() tea.Cmd { return s.scrollColumns(-1) }},
	)...)
	return append(b, s.cur.keys("move", func() int { return len(s.shown) }, s.page)...)
}

func (s *iterationsScreen) selected() *runRow {
	if s.cur.pos < len(s.shown) {
		return s.shown[s.cur.pos]
	}
	return nil
}

func (s *iterationsScreen) open() tea.Cmd {
	if r := s.selected(); r != nil {
		return s.ctx.push(newDetail(s.ctx, s.experiment, r, s.parentName(r)))
	}
	return nil
}

// parentName names a run's parent as the table numbers it.
func (s *iterationsScreen) parentName(r *runRow) string {
	if r.it.ParentID == "" {
		return ""
	}
	for _, p := range s.table.all {
		if p.it.ID == r.it.ParentID {
			return runName(p.ordinal, p.it.ID)
		}
	}
	return clean(r.it.ParentID)
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
		return status("mark two or more runs with space, then press c")
	}
	return s.ctx.push(newCompare(s.ctx, rows))
}

func (s *iterationsScreen) restore() tea.Cmd {
	if r := s.selected(); r != nil {
		return s.ctx.push(newRestore(s.ctx, r))
	}
	return nil
}

func (s *iterationsScreen) copyID() tea.Cmd {
	if r := s.selected(); r != nil {
		return copyText(r.it.ID, "run #"+itoa(r.ordinal)+"'s id")
	}
	return nil
}

func (s *iterationsScreen) copyRestore() tea.Cmd {
	if r := s.selected(); r != nil {
		return copyText(restoreCommand(s.ctx, r.it.ID), "the restore command")
	}
	return nil
}

// restoreCommand is the ddd command that restores a run's environment,
// reaching the data as ddtui does.
func restoreCommand(ctx *Context, id string) string {
	args := append([]string{"ddd", "restore"}, ctx.Reach...)
	return shellJoin(append(args, id)...)
}

func (s *iterationsScreen) chooseColumns() tea.Cmd {
	return s.ctx.push(newColumns(s.ctx, s))
}

func (s *iterationsScreen) startFilter() tea.Cmd {
	s.filtering = true
	s.filter.SetValue(s.table.filter)
	s.filter.CursorEnd()
	return s.filter.Focus()
}

func (s *iterationsScreen) nextSort() tea.Cmd {
	s.table.nextSort()
	s.arrange()
	return status("sorted by " + clean(s.table.sortColumn()) + " (C sorts by any column)")
}

func (s *iterationsScreen) reverseSort() tea.Cmd {
	s.table.reverseSort()
	s.arrange()
	return nil
}

// scrollColumns moves the metric and parameter columns by one.
func (s *iterationsScreen) scrollColumns(by int) tea.Cmd {
	s.colOff = min(max(s.colOff+by, 0), max(len(s.table.optional())-1, 0))
	return nil
}

func (s *iterationsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case iterationsLoaded:
		s.reloading = false
		if msg.err != nil {
			return s, failed(msg.err)
		}
		s.build(msg)
		return s, nil
	case searchDone:
		if msg.err != nil {
			return s, failed(msg.err)
		}
		s.table.filterMatches(msg.text, msg.ids)
		s.arrange()
		return s, status(matches(len(msg.ids)))
	case refreshMsg:
		// Running runs change every tick; new runs can start any time, so
		// a table with none running looks again every fifth tick.
		if s.loaded && !s.reloading && (s.table.anyRunning() || msg.tick%5 == 0) {
			return s, s.fetch()
		}
		return s, nil
	case revealedMsg:
		if s.loaded && !s.reloading {
			return s, s.fetch()
		}
	case tea.WindowSizeMsg:
		s.resize(msg)
		s.filter.SetWidth(max(s.width-3, 1))
		s.cur.clamp(len(s.shown), s.page())
	case tea.KeyPressMsg, tea.PasteMsg:
		// Keys bound nowhere: while filtering, they edit the filter.
		if s.filtering {
			var cmd tea.Cmd
			before := s.filter.Value()
			s.filter, cmd = s.filter.Update(msg)
			if s.filter.Value() != before {
				s.filterErr = ""
			}
			return s, cmd
		}
	case tea.MouseWheelMsg:
		s.cur.wheel(msg, len(s.shown), s.page())
	}
	return s, nil
}

// matches says how many runs an expression matched.
func matches(n int) string {
	if n == 1 {
		return "1 run matches"
	}
	return itoa(n) + " runs match"
}

// page is how many runs fit under the heading lines.
func (s *iterationsScreen) page() int {
	if s.filtering && s.filterErr != "" {
		return max(s.height-4, 1)
	}
	return max(s.height-2, 1)
}

// clearFilter leaves the filter field and shows every run.
func (s *iterationsScreen) clearFilter() tea.Cmd {
	s.filtering, s.filterErr = false, ""
	s.table.filterText("")
	s.filter.Blur()
	s.arrange()
	return nil
}

// applyFilter filters by what the field holds: an expression goes to the
// store, anything else is text to look for. An expression that does not
// parse keeps the field open with the reason and where it went wrong.
func (s *iterationsScreen) applyFilter() tea.Cmd {
	text := strings.TrimSpace(s.filter.Value())
	expression, err := filterExpression(text)
	if err != nil {
		s.filterErr = core.ErrorMessageOrText(err)
		s.cur.clamp(len(s.shown), s.page())
		return nil
	}
	s.filtering, s.filterErr = false, ""
	s.filter.Blur()
	if expression {
		t, id := s.ctx.Store, s.experiment.ID
		return s.load(func(ctx context.Context) tea.Msg {
			ids, err := search(ctx, t, id, text)
			return searchDone{text: text, ids: ids, err: err}
		})
	}
	s.table.filterText(text)
	s.arrange()
	return nil
}

// filterExpression tells a filter expression from plain text to look for,
// returning the parse error of what is meant as an expression: text that
// names a field (metrics.x, params.x, status =, ...), has quotes or
// parentheses, or parses as a comparison. Other text ("resnet",
// "momentum=0.95", "FAILED") is searched for in the rows.
func filterExpression(text string) (bool, error) {
	if text == "" {
		return false, nil
	}
	_, err := core.ParseFilter(text)
	if meantAsExpression(text) {
		return true, err
	}
	return err == nil && strings.ContainsAny(text, "=<>"), nil
}

var fieldStart = regexp.MustCompile(`(?i)^\s*(\(|not\s|(metrics|params|tags)\b|(` + strings.Join(core.FilterAttributes, "|") + `)\s*(=|!=|<|>|\s+(not\s+)?(like|in)\b))`)

func meantAsExpression(text string) bool {
	return strings.ContainsAny(text, "'\"`") || fieldStart.MatchString(text)
}

// filterPosition is where a filter error points, 1-based, or 0.
var filterPosition = regexp.MustCompile(`at position (\d+)`)

// build turns loaded data into rows, keeping the cursor on the same run.
func (s *iterationsScreen) build(msg iterationsLoaded) {
	keep := ""
	if r := s.selected(); r != nil {
		keep = r.it.ID
	}
	s.table.load(msg.its, msg.sums, msg.params)
	if msg.matched != nil && s.table.matches != nil {
		s.table.matches = msg.matched
	}
	s.loaded = true
	s.arrange()
	for i, r := range s.shown {
		if r.it.ID == keep {
			s.cur.pos = i
		}
	}
	s.cur.clamp(len(s.shown), s.page())
	s.colOff = min(s.colOff, max(len(s.table.optional())-1, 0))
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
	// createdWidth is the created column's, which narrow windows go
	// without.
	createdWidth = 9
)

// fixedWidth is the width of the mark, status, run, created and duration
// columns.
func (s *iterationsScreen) fixedWidth() int {
	if s.showCreated() {
		return 55
	}
	return 55 - createdWidth
}

// showCreated reports whether the window is wide enough for the created
// column as well as a few metrics.
func (s *iterationsScreen) showCreated() bool { return s.width >= 100 }

// columnWidth is the width of an optional column, its separator included.
func columnWidth(col string) int {
	if strings.HasPrefix(col, "params.") {
		return paramWidth
	}
	return metricWidth
}

// visibleColumns are the optional columns that fit from colOff on.
func (s *iterationsScreen) visibleColumns() []string {
	room := s.width - s.fixedWidth()
	var out []string
	for _, c := range s.table.optional()[min(s.colOff, len(s.table.optional())):] {
		if room < columnWidth(c) {
			break
		}
		room -= columnWidth(c)
		out = append(out, c)
	}
	return out
}

func (s *iterationsScreen) View() string {
	st, w := s.ctx.Styles, s.width
	if !s.loaded {
		return st.Faint.Render("loading runs…")
	}
	t := &s.table
	if len(t.all) == 0 {
		return "This experiment has no iterations yet."
	}
	cols := s.visibleColumns()
	sortName := t.sortColumn()
	arrow := "▲"
	if t.sortDesc {
		arrow = "▼"
	}
	title := func(name string, width int, right bool) string {
		label := clean(strings.TrimPrefix(name, "params."))
		if name == sortName {
			label = arrow + label
		}
		if right {
			return padLeft(label, width)
		}
		return padRight(label, width)
	}
	head := "  " + title("status", 11, false) + " " + title("#", 22, false) + " "
	if s.showCreated() {
		head += title("created", createdWidth, false)
	}
	head += title("duration", 9, true)
	for _, c := range cols {
		head += " " + title(c, columnWidth(c)-1, !strings.HasPrefix(c, "params."))
	}
	from, to := s.cur.window(len(s.shown), s.page())
	summary := fmt.Sprintf("%d of %s", len(s.shown), plural(len(t.all), "run")) + position(from, to, len(s.shown))
	if n := len(s.marks); n > 0 {
		summary += fmt.Sprintf(" · %d marked", n)
	}
	if sortName != "#" || t.sortDesc {
		summary += " · sorted by " + clean(strings.TrimPrefix(sortName, "params.")) + " " + arrow
	}
	if t.filter != "" && !s.filtering {
		summary += " · filter: " + clean(t.filter) + " (esc clears)"
	}
	if all := len(t.optional()); len(cols) < all {
		first := min(s.colOff, all)
		summary += fmt.Sprintf(" · columns %d-%d of %d (< > scroll, C chooses)", first+1, first+len(cols), all)
	} else if len(t.hidden) > 0 {
		summary += fmt.Sprintf(" · %d columns hidden (C)", len(t.hidden))
	}
	top := []string{st.Faint.Render(summary)}
	if s.filtering {
		top = []string{s.filter.View()}
		if s.filterErr != "" {
			caret := ""
			if m := filterPosition.FindStringSubmatch(s.filterErr); m != nil {
				at, _ := strconv.Atoi(m[1])
				caret = strings.Repeat(" ", lipgloss.Width(s.filter.Prompt)+max(at-1, 0)) + "^"
			}
			top = append(top, st.Error.Render(caret), st.Error.Render(clean(s.filterErr)))
		}
	}
	lines := append(top, st.Faint.Render(pad(head, w)))
	for i := from; i < to; i++ {
		lines = append(lines, s.renderRow(s.shown[i], i == s.cur.pos, w, cols))
	}
	if len(s.shown) == 0 {
		lines = append(lines, st.Faint.Render("no run matches the filter (esc clears it)"))
	}
	return strings.Join(lines, "\n")
}

func (s *iterationsScreen) renderRow(r *runRow, selected bool, w int, cols []string) string {
	st, t := s.ctx.Styles, &s.table
	mark := " "
	if s.marks[r.it.ID] {
		mark = "●"
	}
	indent := ""
	if r.depth > 0 {
		indent = strings.Repeat("  ", r.depth-1) + "└ "
	}
	ordinal, id, _ := strings.Cut(runName(r.ordinal, r.it.ID), " ")
	name := indent + ordinal + " " + st.Faint.Render(id)
	dur := duration(t.runTime(r))
	if r.it.Status == core.IterationRunning {
		dur += "…"
	}
	line := mark + " " + pad(statusText(r.it.Status), 11) + " " + pad(name, 22) + " "
	if s.showCreated() {
		line += padRight(ago(r.it.CreatedDate, s.ctx.Now()), createdWidth)
	}
	line += padLeft(dur, 9)
	for _, c := range cols {
		if key, ok := strings.CutPrefix(c, "params."); ok {
			v, ok := r.params[key]
			if !ok {
				v = "–"
			}
			line += " " + padRight(clean(v), paramWidth-1)
			continue
		}
		v := "–"
		if m, ok := r.metrics[c]; ok {
			v = numberIn(m.Last, metricWidth-1)
		}
		line += " " + padLeft(v, metricWidth-1)
	}
	switch {
	case selected:
		return st.Selected.Render(pad(ansiStrip(line), w))
	case s.marks[r.it.ID]:
		return lipgloss.NewStyle().Bold(true).Render(pad(line, w))
	}
	return pad(line, w)
}
