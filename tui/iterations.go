package tui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
	all        []*runRow // in tree order
	metricKeys []string
	paramKeys  []string // keys whose values differ first
	shown      []*runRow
	marks      map[string]bool
	cur        cursor
	loaded     bool
	reloading  bool

	sortCol  int // index into columns(); 0 keeps creation order
	sortDesc bool

	filter     textinput.Model
	filtering  bool
	filterText string
	matches    map[string]bool // ids a filter expression matched; nil: no expression
}

// runRow is one iteration with what the table shows of it.
type runRow struct {
	it      *core.Iteration
	ordinal int // 1-based by creation, as upstream's UI numbers runs
	depth   int
	metrics map[string]core.MetricSummary
	params  map[string]string
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
	return &iterationsScreen{base: newBase(ctx), experiment: e, marks: map[string]bool{}, filter: ti}
}

func (s *iterationsScreen) Title() string   { return s.experiment.Name }
func (s *iterationsScreen) Capturing() bool { return s.filtering }

func (s *iterationsScreen) Init() tea.Cmd { return s.fetch(false) }

// fetch loads the iterations, their summaries and parameters: three calls,
// whatever the number of runs.
func (s *iterationsScreen) fetch(refresh bool) tea.Cmd {
	t, id := s.ctx.Tracker, s.experiment.ID
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
	for _, r := range s.all {
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
	s.filter.SetValue(s.filterText)
	return s.filter.Focus()
}

// columns are the sortable columns: the fixed ones, then metrics, then
// parameters.
func (s *iterationsScreen) columns() []string {
	cols := []string{"#", "status", "created", "duration"}
	for _, k := range s.metricKeys {
		cols = append(cols, k)
	}
	for _, k := range s.paramKeys {
		cols = append(cols, "params."+k)
	}
	return cols
}

func (s *iterationsScreen) nextSort() tea.Cmd {
	s.sortCol = (s.sortCol + 1) % len(s.columns())
	s.sortDesc = false
	s.arrange()
	return func() tea.Msg { return statusMsg{text: "sorted by " + s.columns()[s.sortCol]} }
}

func (s *iterationsScreen) reverseSort() tea.Cmd {
	s.sortDesc = !s.sortDesc
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
		s.filterText, s.matches = msg.text, msg.ids
		s.arrange()
		return s, func() tea.Msg { return statusMsg{text: fmt.Sprintf("%d runs match", len(msg.ids))} }
	case liveTickMsg:
		if s.ctx.Live && s.loaded && !s.reloading && s.anyRunning() {
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

func (s *iterationsScreen) anyRunning() bool {
	for _, r := range s.all {
		if r.it.Status == core.IterationRunning {
			return true
		}
	}
	return false
}

// clearFilter leaves the filter field and shows every run.
func (s *iterationsScreen) clearFilter() tea.Cmd {
	s.filtering, s.filterText, s.matches = false, "", nil
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
		t, id := s.ctx.Tracker, s.experiment.ID
		return s.load(func(ctx context.Context) tea.Msg {
			its, _, err := t.SearchIterations(ctx, core.IterationSearch{ExperimentIDs: []string{id}, Filter: text})
			ids := map[string]bool{}
			for _, it := range its {
				ids[it.ID] = true
			}
			return searchDone{text: text, ids: ids, err: err}
		})
	}
	s.filterText, s.matches = text, nil
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
	rows := map[string]*runRow{}
	for i, it := range msg.its {
		rows[it.ID] = &runRow{it: it, ordinal: i + 1, metrics: map[string]core.MetricSummary{}, params: map[string]string{}}
	}
	metricSet := map[string]bool{}
	for _, m := range msg.sums {
		if r := rows[m.IterationID]; r != nil {
			r.metrics[m.Key] = m
			metricSet[m.Key] = true
		}
	}
	values := map[string]map[string]bool{}
	for _, p := range msg.params {
		if r := rows[p.IterationID]; r != nil {
			r.params[p.Key] = p.Value
			if values[p.Key] == nil {
				values[p.Key] = map[string]bool{}
			}
			values[p.Key][p.Value] = true
		}
	}
	s.metricKeys = orderMetrics(metricSet)
	s.paramKeys = s.paramKeys[:0]
	for k := range values {
		s.paramKeys = append(s.paramKeys, k)
	}
	// Parameters that vary tell runs apart: they come first.
	varies := func(k string) int { return boolInt(len(values[k]) > 1) }
	slices.SortFunc(s.paramKeys, func(a, b string) int { return cmp.Or(varies(b)-varies(a), strings.Compare(a, b)) })
	s.all = treeOrder(msg.its, rows)
	s.loaded = true
	s.arrange()
	for i, r := range s.shown {
		if r.it.ID == keep {
			s.cur.pos = i
		}
	}
	s.cur.clamp(len(s.shown), s.page())
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// orderMetrics puts the usual keys first: losses, then accuracies, then the
// rest by name.
func orderMetrics(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch {
		case k == "loss":
			return 0
		case strings.Contains(k, "loss"):
			return 1
		case k == "accuracy":
			return 2
		case strings.Contains(k, "acc"):
			return 3
		}
		return 4
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b)) })
	return keys
}

// treeOrder lists drivers in creation order, each followed by its children
// (and theirs); runs whose parent is missing count as drivers.
func treeOrder(its []*core.Iteration, rows map[string]*runRow) []*runRow {
	children := map[string][]*core.Iteration{}
	var roots []*core.Iteration
	for _, it := range its {
		if it.ParentID != "" && rows[it.ParentID] != nil {
			children[it.ParentID] = append(children[it.ParentID], it)
		} else {
			roots = append(roots, it)
		}
	}
	var out []*runRow
	var walk func(it *core.Iteration, depth int)
	walk = func(it *core.Iteration, depth int) {
		r := rows[it.ID]
		r.depth = depth
		out = append(out, r)
		for _, c := range children[it.ID] {
			walk(c, depth+1)
		}
	}
	for _, it := range roots {
		walk(it, 0)
	}
	return out
}

// arrange applies the filter and the sort to the tree, siblings sorted among
// themselves so children stay under their driver.
func (s *iterationsScreen) arrange() {
	keep := map[string]bool{}
	needle := strings.ToLower(s.filterText)
	byID := map[string]*runRow{}
	for _, r := range s.all {
		byID[r.it.ID] = r
	}
	for _, r := range s.all {
		match := true
		switch {
		case s.matches != nil:
			match = s.matches[r.it.ID]
		case needle != "":
			match = strings.Contains(strings.ToLower(s.rowText(r)), needle)
		}
		if match {
			// Keep the ancestors too, so a matching child shows in place.
			for id := r.it.ID; id != "" && byID[id] != nil && !keep[id]; id = byID[id].it.ParentID {
				keep[id] = true
			}
		}
	}
	col := s.columns()[min(s.sortCol, len(s.columns())-1)]
	less := func(a, b *runRow) int {
		c := s.compareBy(col, a, b)
		if s.sortDesc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.ordinal, b.ordinal))
	}
	children := map[string][]*runRow{}
	var roots []*runRow
	for _, r := range s.all {
		if !keep[r.it.ID] {
			continue
		}
		if p := r.it.ParentID; p != "" && byID[p] != nil && keep[p] {
			children[p] = append(children[p], r)
		} else {
			roots = append(roots, r)
		}
	}
	s.shown = s.shown[:0]
	var walk func(rs []*runRow)
	walk = func(rs []*runRow) {
		slices.SortStableFunc(rs, less)
		for _, r := range rs {
			s.shown = append(s.shown, r)
			walk(children[r.it.ID])
		}
	}
	walk(roots)
	s.cur.clamp(len(s.shown), s.page())
}

// compareBy orders two rows by a column; missing values sort last.
func (s *iterationsScreen) compareBy(col string, a, b *runRow) int {
	switch col {
	case "#":
		return cmp.Compare(a.ordinal, b.ordinal)
	case "status":
		return cmp.Compare(a.it.Status, b.it.Status)
	case "created":
		return a.it.CreatedDate.Compare(b.it.CreatedDate)
	case "duration":
		return cmp.Compare(s.runTime(a), s.runTime(b))
	}
	if key, ok := strings.CutPrefix(col, "params."); ok {
		av, aok := a.params[key]
		bv, bok := b.params[key]
		if aok != bok {
			return boolInt(bok) - boolInt(aok)
		}
		af, aerr := strconv.ParseFloat(av, 64)
		bf, berr := strconv.ParseFloat(bv, 64)
		if aerr == nil && berr == nil {
			return cmp.Compare(af, bf)
		}
		return strings.Compare(av, bv)
	}
	am, aok := a.metrics[col]
	bm, bok := b.metrics[col]
	if aok != bok {
		return boolInt(bok) - boolInt(aok)
	}
	return cmp.Compare(am.Last, bm.Last)
}

// runTime is how long a run took, or has been running.
func (s *iterationsScreen) runTime(r *runRow) int64 {
	end := r.it.EndDate
	if end.IsZero() {
		end = s.ctx.Now()
	}
	return int64(end.Sub(r.it.CreatedDate))
}

// rowText is what a text filter searches in a row.
func (s *iterationsScreen) rowText(r *runRow) string {
	parts := []string{"#" + strconv.Itoa(r.ordinal), r.it.ID, r.it.Status.String(), r.it.Notes, r.it.ErrorMessage}
	for k, v := range r.params {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
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
	if len(s.all) == 0 {
		return "This experiment has no iterations yet."
	}
	// Fixed columns take 48 cells; metrics and parameters share the rest.
	room := w - 48
	nm := min(len(s.metricKeys), max(room/2/metricWidth, min(room/metricWidth, 1)))
	np := min(len(s.paramKeys), max((room-nm*metricWidth)/paramWidth, 0))
	nm = min(len(s.metricKeys), nm+max((room-nm*metricWidth-np*paramWidth)/metricWidth, 0))
	sortName := s.columns()[min(s.sortCol, len(s.columns())-1)]
	arrow := "▲"
	if s.sortDesc {
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
	for _, k := range s.metricKeys[:nm] {
		head += " " + title(k, metricWidth-1, true)
	}
	for _, k := range s.paramKeys[:np] {
		head += " " + title(k, paramWidth-1, false)
	}
	summary := fmt.Sprintf("%d of %d runs", len(s.shown), len(s.all))
	if n := len(s.marks); n > 0 {
		summary += fmt.Sprintf(" · %d marked", n)
	}
	if s.filterText != "" && !s.filtering {
		summary += " · filter: " + s.filterText
	}
	hidden := len(s.metricKeys) - nm + len(s.paramKeys) - np
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
	st := s.ctx.Styles
	mark := " "
	if s.marks[r.it.ID] {
		mark = "●"
	}
	indent := ""
	if r.depth > 0 {
		indent = strings.Repeat("  ", r.depth-1) + "└ "
	}
	name := indent + "#" + strconv.Itoa(r.ordinal) + " " + st.Faint.Render(short(r.it.ID))
	dur := duration(timeDuration(s.runTime(r)))
	if r.it.Status == core.IterationRunning {
		dur += "…"
	}
	line := mark + " " + pad(statusText(r.it.Status), 11) + " " + pad(name, 22) + " " + padRight(ago(r.it.CreatedDate, s.ctx.Now()), 9) + padLeft(dur, 9)
	for _, k := range s.metricKeys[:nm] {
		v := "–"
		if m, ok := r.metrics[k]; ok {
			v = number(m.Last)
		}
		line += " " + padLeft(v, metricWidth-1)
	}
	for _, k := range s.paramKeys[:np] {
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
