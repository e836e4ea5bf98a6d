package tui

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/snapshot/lockfile"
	"github.com/deardiary/deardiary-go/tui/chart"
)

// compareScreen puts two or more runs side by side: parameters, metric
// summaries with the best marked, overlaid curves, and what changed in their
// environments, down to the package versions of each lock file. While any
// of the runs runs, it follows them.
type compareScreen struct {
	base
	rows []*runRow
	tab  int

	onlyDiff bool
	stat     int // 0 last, 1 min, 2 max
	keys     []string
	key      string // the curve shown
	history  map[string][]core.Series
	chart    chartView
	snaps    []*core.Snapshot
	snapsErr error
	// snapsLoading is true from the environment tab's first opening until
	// its snapshots arrive.
	snapsLoading bool
	envLines     []envLine // drawn with the snapshots, off the UI loop
	// scroll is the body's first line shown, in the tabs that scroll.
	scroll     cursor
	filter     filterField
	refreshing bool
}

var compareTabs = []string{"Parameters", "Metrics", "Curves", "Environment"}

const (
	compareParams = iota
	compareMetrics
	compareCurves
	compareEnv
)

// compareSnaps brings the runs' snapshots and their differences, drawn off
// the UI loop: two lock files of a hundred thousand packages take a while.
type compareSnaps struct {
	snaps    []*core.Snapshot
	envLines []envLine
	err      error
}

type compareHistory struct {
	key    string
	series []core.Series
	err    error
}

// compareRefreshed is the runs as they stand now, with the curve on show.
type compareRefreshed struct {
	its    map[string]*core.Iteration
	sums   []core.MetricSummary
	key    string
	series []core.Series
	err    error
}

func newCompare(ctx *Context, rows []*runRow) *compareScreen {
	c := &compareScreen{base: newBase(ctx), rows: rows, history: map[string][]core.Series{}, chart: newChartView(),
		filter: newFilterField("part of a parameter, metric key or file name")}
	c.keys = c.metricKeys()
	if len(c.keys) > 0 {
		c.key = c.keys[0]
	}
	return c
}

func (c *compareScreen) metricKeys() []string {
	keys := map[string]bool{}
	for _, r := range c.rows {
		for k := range r.metrics {
			keys[k] = true
		}
	}
	return orderMetrics(keys)
}

func (c *compareScreen) Title() string   { return fmt.Sprintf("compare %d runs", len(c.rows)) }
func (c *compareScreen) Capturing() bool { return c.filter.typing }

// Init loads the curves, the heaviest tab, at once; the environments wait
// until their tab is opened, so they do not compete with the curves.
func (c *compareScreen) Init() tea.Cmd { return c.fetchCurve() }

// fetchTab loads what the shown tab needs and does not have yet.
func (c *compareScreen) fetchTab() tea.Cmd {
	if c.tab == compareEnv {
		return c.fetchSnaps()
	}
	return c.fetchCurve()
}

// fetchSnaps loads every run's snapshot (its driver's, for a run without
// one) and draws their differences, once.
func (c *compareScreen) fetchSnaps() tea.Cmd {
	if c.snaps != nil || c.snapsErr != nil || c.snapsLoading {
		return nil
	}
	c.snapsLoading = true
	t, st, rows := c.ctx.Store, c.ctx.Styles, c.rows
	return c.load(func(ctx context.Context) tea.Msg {
		snaps := make([]*core.Snapshot, len(rows))
		for i, r := range rows {
			snap, _, err := snapshotOf(ctx, t, r.it)
			if err != nil && !core.IsNotFound(err) {
				return compareSnaps{err: err}
			}
			snaps[i] = snap
		}
		return compareSnaps{snaps: snaps, envLines: environmentDiff(st, rows, snaps)}
	})
}

func (c *compareScreen) ids() []string {
	ids := make([]string, len(c.rows))
	for i, r := range c.rows {
		ids[i] = r.it.ID
	}
	return ids
}

// fetchCurve loads the shown key's history for every run at once.
func (c *compareScreen) fetchCurve() tea.Cmd {
	key := c.key
	if key == "" {
		return nil
	}
	if _, have := c.history[key]; have {
		return nil
	}
	t, ids, points := c.ctx.Store, c.ids(), max(c.ctx.Width*2, 200)
	return c.load(func(ctx context.Context) tea.Msg {
		series, err := t.MetricHistory(ctx, core.HistoryQuery{Key: key, IterationIDs: ids, MaxPoints: points})
		return compareHistory{key, series, err}
	})
}

// running reports whether any of the runs is still running.
func (c *compareScreen) running() bool {
	return slices.ContainsFunc(c.rows, func(r *runRow) bool { return r.it.Status == core.IterationRunning })
}

// refresh reads the runs again: their status, summaries and the curve on
// show.
func (c *compareScreen) refresh() tea.Cmd {
	if c.refreshing {
		return nil
	}
	c.refreshing = true
	t, ids, key, points := c.ctx.Store, c.ids(), c.key, max(c.ctx.Width*2, 200)
	var running []string
	for _, r := range c.rows {
		if r.it.Status == core.IterationRunning {
			running = append(running, r.it.ID)
		}
	}
	return c.load(func(ctx context.Context) tea.Msg {
		msg := compareRefreshed{its: map[string]*core.Iteration{}, key: key}
		for _, id := range running {
			it, err := t.GetIteration(ctx, id)
			if err != nil {
				return compareRefreshed{err: err}
			}
			msg.its[id] = it
		}
		if msg.sums, msg.err = t.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: ids}); msg.err != nil {
			return msg
		}
		if key != "" {
			msg.series, msg.err = t.MetricHistory(ctx, core.HistoryQuery{Key: key, IterationIDs: ids, MaxPoints: points})
		}
		return msg
	})
}

// reload is r: the runs, and the environments when they were read.
func (c *compareScreen) reload() tea.Cmd {
	if c.snaps != nil || c.snapsErr != nil {
		c.snaps, c.snapsErr, c.envLines = nil, nil, nil
	}
	cmds := []tea.Cmd{c.refresh()}
	if c.tab == compareEnv {
		cmds = append(cmds, c.fetchSnaps())
	}
	return tea.Batch(cmds...)
}

// visibleKeys are the metric keys the filter lets through.
func (c *compareScreen) visibleKeys() []string {
	var out []string
	for _, k := range c.keys {
		if c.filter.match(k) {
			out = append(out, k)
		}
	}
	return out
}

// stepKey shows the next or previous metric among those the filter lets
// through.
func (c *compareScreen) stepKey(by int) tea.Cmd {
	keys := c.visibleKeys()
	if len(keys) == 0 {
		return nil
	}
	i := slices.Index(keys, c.key)
	if i < 0 {
		i = 0
	} else {
		i = (i + by + len(keys)) % len(keys)
	}
	c.key = keys[i]
	return c.fetchCurve()
}

func (c *compareScreen) Bindings() []binding {
	changed := func() {
		// The curve shown is one the filter lets through.
		if keys := c.visibleKeys(); len(keys) > 0 && !slices.Contains(keys, c.key) {
			c.key = keys[0]
		}
		c.clampScroll()
	}
	b, slash := c.filter.bindings("parameters, keys, files", changed)
	if c.filter.typing {
		return b
	}
	b = then(b, c.fetchCurve)
	// The tab's own keys first: the footer shows them before the rest.
	switch c.tab {
	case compareParams:
		b = append(b, binding{keys: []string{"d"}, label: "d", help: "only parameters that differ / all", footer: true, run: func() tea.Cmd { c.onlyDiff = !c.onlyDiff; c.clampScroll(); return nil }})
	case compareMetrics:
		b = append(b, binding{keys: []string{"m"}, label: "m", help: "show last / min / max", footer: true, run: func() tea.Cmd { c.stat = (c.stat + 1) % 3; return nil }})
	case compareCurves:
		b = append(b,
			binding{keys: []string{"right", "l", "n"}, label: "→ ←", help: "next / previous metric", footer: true, run: func() tea.Cmd { return c.stepKey(1) }},
			binding{keys: []string{"left", "h", "p"}, run: func() tea.Cmd { return c.stepKey(-1) }})
		b = append(b, c.chart.bindings("a chart per run / all runs in one", func() int { return len(c.rows) }, c.gridPage)...)
	}
	if c.tab != compareCurves {
		b = append(b, c.scroll.keys("scroll", c.scrollPositions, c.bodyRows)...)
	}
	b = append(b, nav(
		binding{keys: []string{"tab"}, label: "tab", help: "next tab", footer: true, run: func() tea.Cmd { return c.showTab(c.tab + 1) }},
		binding{keys: []string{"shift+tab"}, label: "shift+tab", help: "previous tab", run: func() tea.Cmd { return c.showTab(c.tab - 1) }},
	)...)
	b = append(b, tabKeys(len(compareTabs), c.showTab)...)
	b = append(b,
		binding{keys: []string{"y"}, label: "y", help: "copy the runs' ids", run: func() tea.Cmd { return copyText(strings.Join(c.ids(), " "), "the runs' ids") }},
		binding{keys: []string{"r"}, label: "r", help: "reload", run: c.reload},
	)
	b = append(b, slash...)
	return b
}

// showTab switches to a tab, counting round from either end, scrolled to
// its top, and loads what it needs.
func (c *compareScreen) showTab(tab int) tea.Cmd {
	c.tab, c.scroll = (tab+len(compareTabs))%len(compareTabs), cursor{}
	return c.fetchTab()
}

func (c *compareScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	if cmd, ok := c.filter.update(msg, func() {
		if keys := c.visibleKeys(); len(keys) > 0 && !slices.Contains(keys, c.key) {
			c.key = keys[0]
		}
		c.clampScroll()
	}); ok {
		return c, tea.Batch(cmd, c.fetchCurve())
	}
	switch msg := msg.(type) {
	case compareSnaps:
		c.snaps, c.envLines, c.snapsErr, c.snapsLoading = msg.snaps, msg.envLines, msg.err, false
		c.clampScroll()
	case compareHistory:
		if msg.err != nil {
			return c, failed(msg.err)
		}
		c.history[msg.key] = msg.series
	case compareRefreshed:
		c.refreshing = false
		if msg.err != nil {
			return c, failed(msg.err)
		}
		return c, c.apply(msg)
	case refreshMsg, revealedMsg:
		if c.running() {
			return c, c.refresh()
		}
	case tea.WindowSizeMsg:
		c.resize(msg)
		c.clampScroll()
		c.chart.focus.clamp(len(c.rows), c.gridPage())
	case tea.MouseWheelMsg:
		c.scroll.wheel(msg, c.scrollPositions(), c.bodyRows())
	}
	return c, nil
}

// apply takes refreshed runs in, keeping the tab, the scroll, the curve
// shown and the chart's settings.
func (c *compareScreen) apply(msg compareRefreshed) tea.Cmd {
	sums := map[string]map[string]core.MetricSummary{}
	for _, m := range msg.sums {
		if sums[m.IterationID] == nil {
			sums[m.IterationID] = map[string]core.MetricSummary{}
		}
		sums[m.IterationID][m.Key] = m
	}
	var ended []string
	for i, r := range c.rows {
		row := *r
		if it := msg.its[r.it.ID]; it != nil {
			if r.it.Status == core.IterationRunning && it.Status != core.IterationRunning {
				ended = append(ended, fmt.Sprintf("#%d %s", r.ordinal, it.Status))
			}
			row.it = it
		}
		row.metrics = sums[r.it.ID]
		if row.metrics == nil {
			row.metrics = map[string]core.MetricSummary{}
		}
		c.rows[i] = &row
	}
	c.keys = c.metricKeys()
	if c.key == "" && len(c.keys) > 0 {
		c.key = c.keys[0]
	}
	// Other curves are read again when they show.
	c.history = map[string][]core.Series{}
	if msg.key != "" {
		c.history[msg.key] = msg.series
	}
	c.clampScroll()
	cmds := []tea.Cmd{c.fetchCurve()}
	if len(ended) > 0 {
		cmds = append(cmds, status("ended: "+strings.Join(ended, ", ")))
	}
	return tea.Batch(cmds...)
}

// bodyRows is the height under the tab bar and its blank line, less the
// filter's line.
func (c *compareScreen) bodyRows() int {
	h := c.height - 2
	if c.filter.line(c.ctx.Styles) != "" {
		h--
	}
	return max(h, 1)
}

// gridPage is how many runs' charts the grid shows at once.
func (c *compareScreen) gridPage() int { return gridPage(len(c.rows), c.width, c.bodyRows()-1) }

// body is the shown tab's lines, for the tabs that scroll as a whole.
func (c *compareScreen) body() []string {
	switch c.tab {
	case compareParams:
		return c.paramsLines(c.width)
	case compareMetrics:
		return c.metricLines(c.width)
	case compareEnv:
		return c.environmentLines()
	}
	return nil
}

// scrollPositions is how many first lines the body can be shown from: one
// per line that a full page can start at.
func (c *compareScreen) scrollPositions() int { return max(len(c.body())-c.bodyRows()+1, 1) }

// clampScroll keeps the body's last page the furthest it scrolls, as the
// body shrinks or the window grows.
func (c *compareScreen) clampScroll() { c.scroll.clamp(c.scrollPositions(), c.bodyRows()) }

// label names a run in column headers and legends.
func label(r *runRow) string { return runName(r.ordinal, r.it.ID) }

func (c *compareScreen) View() string {
	st := c.ctx.Styles
	head := tabBar(st, compareTabs, c.tab, c.width) + "\n"
	if f := c.filter.line(st); f != "" {
		head += f + "\n"
	}
	if c.tab == compareCurves {
		return head + "\n" + c.curvesView(c.width, c.bodyRows())
	}
	// The body scrolls as a whole: the cursor is its first line.
	body, room := c.body(), c.bodyRows()
	from := min(c.scroll.pos, max(len(body)-room, 0))
	to := min(from+room, len(body))
	return scrolled(st, head, from, to, len(body), c.width) + "\n" + strings.Join(body[from:to], "\n")
}

// columnWidth shares the width between a name column and one per run.
func (c *compareScreen) columnWidth(w, first int) int {
	return max((w-first)/len(c.rows), 8)
}

// cell fits text into a column, keeping a blank between columns so that
// neighbours never run together.
func cell(text string, col int) string { return pad(fit(text, col-1), col) }

func (c *compareScreen) header(first string, firstWidth, col int) string {
	line := cell(first, firstWidth)
	for _, r := range c.rows {
		line += cell(label(r), col)
	}
	return c.ctx.Styles.Faint.Render(line)
}

func (c *compareScreen) paramsLines(w int) []string {
	st := c.ctx.Styles
	keys := map[string]bool{}
	for _, r := range c.rows {
		for k := range r.params {
			keys[k] = true
		}
	}
	if len(keys) == 0 {
		return []string{"None of these runs logged parameters."}
	}
	sorted := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	first := 24
	col := c.columnWidth(w, first)
	lines := []string{c.header("  parameter", first, col)}
	differing, shown := 0, 0
	for _, k := range sorted {
		values := map[string]bool{}
		var texts []string
		for _, r := range c.rows {
			v, ok := r.params[k]
			if !ok {
				v = "\x00missing"
			}
			values[v] = true
			texts = append(texts, v)
		}
		differs := len(values) > 1
		if differs {
			differing++
		}
		if (c.onlyDiff && !differs) || !c.filter.match(append(texts, k)...) {
			continue
		}
		shown++
		// The ≠ marks a differing row also where colour does not show.
		mark := "  "
		if differs {
			mark = "≠ "
		}
		line := cell(mark+clean(k), first)
		for _, r := range c.rows {
			v, ok := r.params[k]
			if !ok {
				v = "–"
			}
			line += cell(clean(v), col)
		}
		if differs {
			line = st.Changed.Render(line)
		}
		lines = append(lines, line)
	}
	if shown == 0 {
		lines = append(lines, st.Faint.Render("  no parameter matches"))
	}
	mode := "all parameters"
	if c.onlyDiff {
		mode = "only those that differ"
	}
	return append([]string{st.Faint.Render(fmt.Sprintf("%s, %d differ (≠) · showing %s (d toggles)", plural(len(sorted), "parameter"), differing, mode)), ""}, lines...)
}

// neutralMetric reports whether a metric is a setting logged over time
// (learning rate, epoch, step) rather than a result: no run is best at it.
func neutralMetric(key string) bool {
	k := strings.ToLower(key)
	for _, name := range []string{"lr", "learning_rate", "epoch", "step", "global_step", "batch_size", "momentum"} {
		if k == name || strings.HasSuffix(k, "/"+name) || strings.HasSuffix(k, "."+name) || strings.HasSuffix(k, "_"+name) {
			return true
		}
	}
	return false
}

// LowerIsBetter guesses a metric's direction from its name: losses,
// errors, perplexities and times are best when lowest.
func LowerIsBetter(key string) bool {
	k := strings.ToLower(key)
	for _, word := range []string{"loss", "error", "err", "mse", "mae", "rmse", "perplexity", "time", "latency", "wer", "cer"} {
		if strings.Contains(k, word) {
			return true
		}
	}
	return false
}

// LowerIsBetterKeys is a LowerIsBetter that also counts the keys
// containing any of the words given (case-insensitive) as best when
// lowest, and those containing a word given with a leading + as best when
// highest, whatever their name suggests.
func LowerIsBetterKeys(words []string) func(string) bool {
	return func(key string) bool {
		k := strings.ToLower(key)
		for _, w := range words {
			w = strings.ToLower(strings.TrimSpace(w))
			if higher, ok := strings.CutPrefix(w, "+"); ok && higher != "" && strings.Contains(k, higher) {
				return false
			}
		}
		for _, w := range words {
			w = strings.ToLower(strings.TrimSpace(w))
			if w != "" && !strings.HasPrefix(w, "+") && strings.Contains(k, w) {
				return true
			}
		}
		return LowerIsBetter(key)
	}
}

// best returns which of values (NaN for none) are the best: the lowest or
// the highest, every one of them on a tie; none when fewer than two runs
// have a value.
func best(values []float64, lower bool) map[int]bool {
	target, n := math.NaN(), 0
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		n++
		if math.IsNaN(target) || (lower && v < target) || (!lower && v > target) {
			target = v
		}
	}
	out := map[int]bool{}
	if n < 2 {
		return out
	}
	for i, v := range values {
		if v == target {
			out[i] = true
		}
	}
	return out
}

func (c *compareScreen) metricLines(w int) []string {
	st := c.ctx.Styles
	if len(c.keys) == 0 {
		return []string{"None of these runs logged metrics."}
	}
	statName := []string{"last", "min", "max"}[c.stat]
	first := 24
	col := c.columnWidth(w, first)
	lines := []string{st.Faint.Render(fmt.Sprintf("%s value per key; ★ the best: ↓ lowest (losses, errors, times), ↑ highest; ties share it · m: last/min/max", statName)), "",
		c.header("  metric", first, col)}
	for _, k := range c.visibleKeys() {
		values := make([]float64, len(c.rows))
		for i, r := range c.rows {
			m, ok := r.metrics[k]
			if !ok {
				values[i] = math.NaN()
				continue
			}
			values[i] = []float64{m.Last, m.Min, m.Max}[c.stat]
		}
		lower := c.ctx.lowerIsBetter(k)
		stars := best(values, lower)
		dir := "↑ "
		switch {
		case neutralMetric(k):
			// A learning rate or an epoch is not better high or low.
			stars, dir = nil, "  "
		case lower:
			dir = "↓ "
		}
		line := cell(dir+clean(k), first)
		for i, v := range values {
			text := numberIn(v, col-3)
			if stars[i] {
				line += st.Best.Render(cell("★ "+text, col))
			} else {
				line += cell("  "+text, col)
			}
		}
		lines = append(lines, line)
	}
	if len(c.visibleKeys()) == 0 {
		lines = append(lines, st.Faint.Render("  no metric key matches"))
	}
	return lines
}

func (c *compareScreen) curvesView(w, h int) string {
	st := c.ctx.Styles
	if len(c.keys) == 0 {
		return "None of these runs logged metrics."
	}
	keys := c.visibleKeys()
	if len(keys) == 0 {
		return st.Faint.Render("no metric key matches the filter (esc clears it)")
	}
	key := c.key
	series, ok := c.history[key]
	mode := ""
	if c.chart.logY {
		mode = " · log scale"
	}
	title := st.Title.Render(clean(key)) + st.Faint.Render(fmt.Sprintf("  (%d of %s · ←/→ for others%s)", slices.Index(keys, key)+1, plural(len(keys), "key"), mode))
	if !ok {
		return title + "\n" + st.Faint.Render("loading…")
	}
	byID := map[string]core.Series{}
	for _, s := range series {
		byID[s.IterationID] = s
	}
	var cs []chart.Series
	for i, r := range c.rows {
		pattern := 0
		if c.ctx.Mono {
			pattern = i
		}
		cs = append(cs, chart.Series{Name: label(r), Points: byID[r.it.ID].Points, Color: chart.Color(i), Pattern: pattern})
	}
	if c.chart.grid {
		// One chart per run, on one y range so that they compare.
		lo, hi := seriesRange(series, c.chart.logY)
		panels := make([]panel, len(c.rows))
		for i, r := range c.rows {
			s := cs[i]
			s.Pattern = 0
			panels[i] = panel{title: label(r) + " " + glyph(r.it.Status), series: []chart.Series{s}, yMin: lo, yMax: hi}
		}
		return title + "\n" + c.chart.renderGrid(st, panels, w, max(h-1, 5))
	}
	lines := []string{title}
	if r := c.chart.readout(st, cs, w); r != "" {
		lines = append(lines, r)
	}
	opts := c.chart.options(cs, w, max(h-len(lines), 5))
	opts.YLabel = clean(key)
	return strings.Join(append(lines, chart.Render(cs, opts)), "\n")
}

// environmentLines compares each run's environment with the first run's,
// the files the filter lets through.
func (c *compareScreen) environmentLines() []string {
	st := c.ctx.Styles
	if c.snapsErr != nil {
		return []string{st.Error.Render(clean(core.ErrorMessageOrText(c.snapsErr)))}
	}
	if c.snaps == nil {
		return []string{st.Faint.Render("loading and comparing environments…")}
	}
	var out []string
	for _, l := range c.envLines {
		if l.file == "" || c.filter.match(l.file) {
			out = append(out, l.text)
		}
	}
	return out
}

// envLine is a line of the environment comparison, with the file it is
// about ("" for the lines about the whole environment).
type envLine struct {
	text, file string
}

// environmentDiff draws each run's environment against the first run's.
func environmentDiff(st Styles, rows []*runRow, snaps []*core.Snapshot) []envLine {
	lines := []envLine{{text: st.Faint.Render("Each run against " + label(rows[0]) + "; runs without their own snapshot use their driver's.")}, {}}
	for i := 1; i < len(rows); i++ {
		lines = append(lines, envLine{text: st.Title.Render(label(rows[0]) + "  →  " + label(rows[i]))})
		lines = append(lines, envDiff(st, snaps[0], snaps[i])...)
		lines = append(lines, envLine{})
	}
	return lines
}

// maxTextDiffLines bounds the text diff shown for one file that is not a
// lock file: past it, the files are better read whole.
const maxTextDiffLines = 1000

// binary reports whether content looks like bytes rather than text: a NUL
// in its first 8 KiB, as git decides.
func binary(content []byte) bool {
	return bytes.IndexByte(content[:min(len(content), 8<<10)], 0) >= 0
}

// envDiff lists what differs between two environments: toolchains, commit,
// and each lock file, package by package where the format is known.
func envDiff(st Styles, a, b *core.Snapshot) []envLine {
	switch {
	case a == nil && b == nil:
		return []envLine{{text: "  neither run captured its environment"}}
	case a == nil || b == nil:
		return []envLine{{text: "  only one of the runs captured its environment"}}
	}
	var lines []envLine
	same := true
	note := func(what, x, y string) {
		if x != y {
			same = false
			lines = append(lines, envLine{text: fmt.Sprintf("  %s %s → %s", st.Changed.Render(padRight(what, 12)), orDash(clean(x)), orDash(clean(y)))})
		}
	}
	note("runtime", strings.TrimSpace(a.Runtime+" "+a.RuntimeVersion), strings.TrimSpace(b.Runtime+" "+b.RuntimeVersion))
	note("commit", shortCommit(a.Git.Commit), shortCommit(b.Git.Commit))
	note("dirty", fmt.Sprint(a.Git.Dirty), fmt.Sprint(b.Git.Dirty))
	note("entrypoint", a.Entrypoint, b.Entrypoint)
	paths := map[string]bool{}
	for _, f := range a.Files {
		paths[f.Path] = true
	}
	for _, f := range b.Files {
		paths[f.Path] = true
	}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for k := range paths {
			if !yield(k) {
				return
			}
		}
	}) {
		fa, fb := a.File(p), b.File(p)
		name := clean(p)
		add := func(text string) { lines = append(lines, envLine{text: text, file: p}) }
		switch {
		case fa == nil:
			same = false
			add("  " + st.Added.Render("+ "+name) + st.Faint.Render(" only in the second run"))
			continue
		case fb == nil:
			same = false
			add("  " + st.Removed.Render("- "+name) + st.Faint.Render(" only in the first run"))
			continue
		case fa.SHA256 == fb.SHA256:
			continue
		}
		same = false
		add("  " + st.Changed.Render("~ "+name))
		// A file kept without its content (too large) is not an empty
		// one: reading it as such would list every package as removed.
		if fa.Skipped != "" || fb.Skipped != "" {
			which, why := "first", fa.Skipped
			if fa.Skipped == "" {
				which, why = "second", fb.Skipped
			} else if fb.Skipped != "" {
				which = "either"
			}
			add("      " + st.Faint.Render(fmt.Sprintf("not captured in the %s run (%s), so its packages cannot be compared; the files differ (%s vs %s)",
				which, clean(why), core.FormatBytes(fa.Size), core.FormatBytes(fb.Size))))
			continue
		}
		va, okA := lockfile.Parse(p, fa.Content)
		vb, okB := lockfile.Parse(p, fb.Content)
		if okA && okB {
			changes := lockfile.Diff(va, vb)
			for _, ch := range changes {
				switch ch.Kind() {
				case "added":
					add("      " + st.Added.Render("+ "+clean(ch.Name)+" "+clean(ch.New)))
				case "removed":
					add("      " + st.Removed.Render("- "+clean(ch.Name)+" "+clean(ch.Old)))
				default:
					add("      " + st.Changed.Render("~ "+clean(ch.Name)+" "+clean(ch.Old)+" → "+clean(ch.New)))
				}
			}
			if len(changes) == 0 {
				add("      " + st.Faint.Render("same packages and versions; other lines differ"))
			}
			continue
		}
		if binary(fa.Content) || binary(fb.Content) {
			add("      " + st.Faint.Render(fmt.Sprintf("binary content differs (%s vs %s)", core.FormatBytes(fa.Size), core.FormatBytes(fb.Size))))
			continue
		}
		diff := lockfile.TextDiff(fa.Content, fb.Content, 2)
		if len(diff) > maxTextDiffLines {
			more := len(diff) - maxTextDiffLines
			diff = append(diff[:maxTextDiffLines:maxTextDiffLines], lockfile.Line{Op: '~', Text: fmt.Sprintf("… %d more lines of difference; restore the runs to see them all", more)})
		}
		for _, l := range diff {
			text := "      " + string(l.Op) + " " + printable(l.Text)
			switch l.Op {
			case '+':
				text = st.Added.Render(text)
			case '-':
				text = st.Removed.Render(text)
			case '~':
				text = st.Faint.Render("      " + l.Text)
			}
			add(text)
		}
	}
	if len(a.Git.Diff) > 0 || len(b.Git.Diff) > 0 {
		if string(a.Git.Diff) != string(b.Git.Diff) {
			same = false
			lines = append(lines, envLine{text: "  " + st.Changed.Render("~ uncommitted changes differ") + st.Faint.Render(fmt.Sprintf(" (%s vs %s of diff)", core.FormatBytes(int64(len(a.Git.Diff))), core.FormatBytes(int64(len(b.Git.Diff))))), file: "uncommitted changes"})
		}
	}
	if same {
		lines = append(lines, envLine{text: "  " + st.Faint.Render("same environment")})
	}
	return lines
}

// scrolled adds to a screen's head line which lines of a body taller than
// the window show: "lines 21-40 of 90" at its right end.
func scrolled(st Styles, head string, from, to, n, w int) string {
	rest := ""
	if i := strings.Index(head, "\n"); i >= 0 {
		head, rest = head[:i], head[i:]
	}
	if from > 0 || to < n {
		mark := st.Faint.Render("lines " + itoa(from+1) + "-" + itoa(to) + " of " + itoa(n))
		if lipgloss.Width(head)+2+lipgloss.Width(mark) <= w {
			head = pad(head, w-lipgloss.Width(mark)) + mark
		}
	}
	return head + rest
}
