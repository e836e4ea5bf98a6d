package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// runTable is the logic of an experiment's run table, apart from the
// screen that draws it: the iteration tree, its columns, and which rows
// show in what order for a sort and a filter.
type runTable struct {
	all        []*runRow // in tree order
	metricKeys []string
	paramKeys  []string // keys whose values differ first

	sortCol  int // index into columns(); 0 keeps creation order
	sortDesc bool
	// hidden are the metric and parameter columns the column chooser
	// took out, by their name in columns().
	hidden map[string]bool

	filter  string          // what the rows are filtered by, "" for none
	matches map[string]bool // ids an expression matched; nil: filter is text to look for

	now func() time.Time // for the duration of running runs
}

// runRow is one iteration with what the table shows of it.
type runRow struct {
	it      *core.Iteration
	ordinal int // 1-based by creation, as upstream's UI numbers runs
	depth   int
	metrics map[string]core.MetricSummary
	params  map[string]string
}

// load replaces the rows with an experiment's iterations (oldest first),
// their metric summaries and parameters. The sort and the filter stay.
func (t *runTable) load(its []*core.Iteration, sums []core.MetricSummary, params []*core.Parameter) {
	sorted := t.sortColumn()
	defer func() {
		// New keys move the columns: the sort stays on its column by name.
		if i := slices.Index(t.columns(), sorted); i >= 0 {
			t.sortCol = i
		}
	}()
	rows := map[string]*runRow{}
	for i, it := range its {
		rows[it.ID] = &runRow{it: it, ordinal: i + 1, metrics: map[string]core.MetricSummary{}, params: map[string]string{}}
	}
	metricSet := map[string]bool{}
	for _, m := range sums {
		if r := rows[m.IterationID]; r != nil {
			r.metrics[m.Key] = m
			metricSet[m.Key] = true
		}
	}
	values := map[string]map[string]bool{}
	for _, p := range params {
		if r := rows[p.IterationID]; r != nil {
			r.params[p.Key] = p.Value
			if values[p.Key] == nil {
				values[p.Key] = map[string]bool{}
			}
			values[p.Key][p.Value] = true
		}
	}
	t.metricKeys = orderMetrics(metricSet)
	t.paramKeys = t.paramKeys[:0]
	for k := range values {
		t.paramKeys = append(t.paramKeys, k)
	}
	// Parameters that vary tell runs apart: they come first.
	varies := func(k string) int { return boolInt(len(values[k]) > 1) }
	slices.SortFunc(t.paramKeys, func(a, b string) int { return cmp.Or(varies(b)-varies(a), strings.Compare(a, b)) })
	t.all = treeOrder(its, rows)
}

// columns are the sortable columns: the fixed ones, then metrics, then
// parameters.
func (t *runTable) columns() []string {
	cols := []string{"#", "status", "created", "duration"}
	cols = append(cols, t.metricKeys...)
	for _, k := range t.paramKeys {
		cols = append(cols, "params."+k)
	}
	return cols
}

// sortColumn is the column the rows are sorted by.
func (t *runTable) sortColumn() string {
	cols := t.columns()
	return cols[min(t.sortCol, len(cols)-1)]
}

// sortBy sorts by the named column, ascending; a reload keeps it.
func (t *runTable) sortBy(col string) {
	if i := slices.Index(t.columns(), col); i >= 0 {
		t.sortCol, t.sortDesc = i, false
	}
}

// optional are the metric and parameter columns the table can show, in
// their order, without the hidden ones.
func (t *runTable) optional() []string {
	var out []string
	for _, c := range t.columns()[fixedColumns:] {
		if !t.hidden[c] {
			out = append(out, c)
		}
	}
	return out
}

// fixedColumns is how many of columns() always show: #, status, created,
// duration.
const fixedColumns = 4

// nextSort sorts by the next column, ascending.
func (t *runTable) nextSort() {
	t.sortCol = (t.sortCol + 1) % len(t.columns())
	t.sortDesc = false
}

// reverseSort flips the sort's direction.
func (t *runTable) reverseSort() { t.sortDesc = !t.sortDesc }

// filterText keeps the runs whose text contains text, in any case; ""
// keeps every run.
func (t *runTable) filterText(text string) { t.filter, t.matches = text, nil }

// filterMatches keeps the runs an expression matched.
func (t *runTable) filterMatches(expression string, ids map[string]bool) {
	t.filter, t.matches = expression, ids
	if t.matches == nil {
		t.matches = map[string]bool{}
	}
}

// anyRunning reports whether a run is still running.
func (t *runTable) anyRunning() bool {
	return slices.ContainsFunc(t.all, func(r *runRow) bool { return r.it.Status == core.IterationRunning })
}

// rows returns the rows to show: the filter's matches, with their
// ancestors so a matching child shows in place, sorted among siblings so
// children stay under their driver.
func (t *runTable) rows() []*runRow {
	keep := map[string]bool{}
	needle := strings.ToLower(t.filter)
	byID := map[string]*runRow{}
	for _, r := range t.all {
		byID[r.it.ID] = r
	}
	for _, r := range t.all {
		match := true
		switch {
		case t.matches != nil:
			match = t.matches[r.it.ID]
		case needle != "":
			match = strings.Contains(strings.ToLower(t.rowText(r)), needle)
		}
		if match {
			for id := r.it.ID; id != "" && byID[id] != nil && !keep[id]; id = byID[id].it.ParentID {
				keep[id] = true
			}
		}
	}
	col := t.sortColumn()
	order := func(a, b *runRow) int {
		c := t.compareBy(col, a, b)
		if t.sortDesc {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.ordinal, b.ordinal))
	}
	children := map[string][]*runRow{}
	var roots []*runRow
	for _, r := range t.all {
		if !keep[r.it.ID] {
			continue
		}
		if p := r.it.ParentID; p != "" && keep[p] {
			children[p] = append(children[p], r)
		} else {
			roots = append(roots, r)
		}
	}
	var shown []*runRow
	var walk func(rs []*runRow)
	walk = func(rs []*runRow) {
		slices.SortStableFunc(rs, order)
		for _, r := range rs {
			shown = append(shown, r)
			walk(children[r.it.ID])
		}
	}
	walk(roots)
	return shown
}

// compareBy orders two rows by a column; missing values sort last.
func (t *runTable) compareBy(col string, a, b *runRow) int {
	switch col {
	case "#":
		return cmp.Compare(a.ordinal, b.ordinal)
	case "status":
		return cmp.Compare(a.it.Status, b.it.Status)
	case "created":
		return a.it.CreatedDate.Compare(b.it.CreatedDate)
	case "duration":
		return cmp.Compare(t.runTime(a), t.runTime(b))
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
func (t *runTable) runTime(r *runRow) time.Duration {
	end := r.it.EndDate
	if end.IsZero() {
		end = t.now()
	}
	return end.Sub(r.it.CreatedDate)
}

// rowText is what a text filter searches in a row.
func (t *runTable) rowText(r *runRow) string {
	parts := []string{"#" + strconv.Itoa(r.ordinal), r.it.ID, r.it.Status.String(), r.it.Notes, r.it.ErrorMessage}
	for k, v := range r.params {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
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
// (and theirs), with their depth; runs whose parent is missing count as
// drivers.
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
