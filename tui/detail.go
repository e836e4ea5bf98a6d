package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/chart"
)

// detailScreen shows one run: overview, parameters, metrics with a chart,
// tags, the experiment's resources, and the captured environment. While
// the run runs, it follows it: new points, the status, the end.
type detailScreen struct {
	base
	experiment *core.Experiment
	row        *runRow
	parent     string // the parent as the run table names it
	tab        int

	params    []*core.Parameter
	tags      []*core.Tag
	resources []*core.Resource
	snap      *core.Snapshot
	inherited bool // the snapshot is the driver's
	snapErr   error
	loaded    bool

	keys    []string // metric keys, in table order
	keyCur  cursor
	plotted map[string]bool
	history map[string]core.Series
	chart   chartView
	// follow shows the newest window points of each curve, read whole
	// from the end of the series, as tail -f shows a log.
	follow bool
	window int
	// refreshing is set while a refresh is out, so live ticks do not pile
	// loads up behind a slow server.
	refreshing bool

	scroll [6]cursor // the tabs that scroll as a whole
	resCur cursor
	envCur cursor
	filter filterField
}

var detailTabs = []string{"Overview", "Parameters", "Metrics", "Tags", "Resources", "Environment"}

const (
	tabOverview = iota
	tabParams
	tabMetrics
	tabTags
	tabResources
	tabEnvironment
)

type detailLoaded struct {
	params    []*core.Parameter
	tags      []*core.Tag
	resources []*core.Resource
	snap      *core.Snapshot
	inherited bool
	snapErr   error
	err       error
}

type historyLoaded struct {
	series []core.Series
	err    error
}

// runRefreshed is a run as it stands now: its status and end, its
// metric summaries and the histories on show.
type runRefreshed struct {
	it     *core.Iteration
	sums   []core.MetricSummary
	series []core.Series
	err    error
}

func newDetail(ctx *Context, e *core.Experiment, r *runRow, parent string) *detailScreen {
	d := &detailScreen{base: newBase(ctx), experiment: e, row: r, parent: parent, keys: orderMetrics(keysOf(r.metrics)),
		plotted: map[string]bool{}, history: map[string]core.Series{}, chart: newChartView(),
		filter: newFilterField("part of a parameter, metric key, tag, resource or file name")}
	if len(d.keys) > 0 {
		d.plotted[d.keys[0]] = true
	}
	return d
}

func keysOf[V any](m map[string]V) map[string]bool {
	set := map[string]bool{}
	for k := range m {
		set[k] = true
	}
	return set
}

func (d *detailScreen) Title() string   { return runName(d.row.ordinal, d.row.it.ID) }
func (d *detailScreen) Capturing() bool { return d.filter.typing }

func (d *detailScreen) Init() tea.Cmd { return tea.Batch(d.fetchDetails(), d.fetchHistory(false)) }

// fetchDetails loads what does not change while a run runs, or rarely:
// parameters, tags, resources, the snapshot.
func (d *detailScreen) fetchDetails() tea.Cmd {
	t, it, exp := d.ctx.Store, d.row.it, d.experiment.ID
	return d.load(func(ctx context.Context) tea.Msg {
		var msg detailLoaded
		msg.params, _, msg.err = t.ListParameters(ctx, core.ParameterFilter{IterationID: it.ID})
		if msg.err == nil {
			msg.tags, msg.err = t.ListTags(ctx, core.KindIteration, it.ID)
		}
		if msg.err == nil {
			msg.resources, _, msg.err = t.ListResources(ctx, core.ResourceFilter{ExperimentID: exp})
		}
		msg.snap, msg.inherited, msg.snapErr = snapshotOf(ctx, t, it)
		return msg
	})
}

// snapshotOf returns a run's snapshot, or its driver's: children inherit the
// environment of the run that started them.
func snapshotOf(ctx context.Context, t Store, it *core.Iteration) (*core.Snapshot, bool, error) {
	snap, err := t.GetSnapshot(ctx, it.ID)
	if core.IsNotFound(err) && it.ParentID != "" {
		if parent, perr := t.GetIteration(ctx, it.ParentID); perr == nil {
			if ps, _, perr := snapshotOf(ctx, t, parent); perr == nil {
				return ps, true, nil
			}
		}
	}
	return snap, false, err
}

// shownKeys are the keys whose curves are on show: the plotted ones, or
// the grid's page, or the enlarged one.
func (d *detailScreen) shownKeys() []string {
	if d.chart.grid {
		keys := d.filteredKeys()
		if len(keys) == 0 {
			return nil
		}
		if d.chart.enlarged {
			return keys[min(d.chart.focus.pos, len(keys)-1):][:1]
		}
		per := d.gridPage()
		first := d.chart.focus.pos / per * per
		return keys[min(first, len(keys)):min(first+per, len(keys))]
	}
	var out []string
	for _, k := range d.keys {
		if d.plotted[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// fetchHistory loads the curves on show that are not loaded yet, or all
// of them again.
func (d *detailScreen) fetchHistory(again bool) tea.Cmd {
	var want []string
	for _, k := range d.shownKeys() {
		if _, have := d.history[k]; again || !have {
			want = append(want, k)
		}
	}
	if len(want) == 0 {
		return nil
	}
	read := d.historyReader()
	counts := map[string]int64{}
	for k, m := range d.row.metrics {
		counts[k] = m.Count
	}
	return d.load(func(ctx context.Context) tea.Msg {
		series, err := read(ctx, want, counts)
		return historyLoaded{series, err}
	})
}

// historyReader returns how the curves are read: downsampled to the
// chart's width, or in follow mode the newest points whole, from the end
// of the series (whose length counts gives).
func (d *detailScreen) historyReader() func(ctx context.Context, keys []string, counts map[string]int64) ([]core.Series, error) {
	t, id, points, follow, window := d.ctx.Store, d.row.it.ID, max(d.ctx.Width*2, 200), d.follow, d.followWindow()
	return func(ctx context.Context, keys []string, counts map[string]int64) ([]core.Series, error) {
		var out []core.Series
		for _, k := range keys {
			if !follow {
				s, err := t.MetricHistory(ctx, core.HistoryQuery{Key: k, IterationIDs: []string{id}, MaxPoints: points})
				if err != nil {
					return nil, err
				}
				out = append(out, s...)
				continue
			}
			offset := max(int(counts[k])-window, 0)
			ms, _, err := t.ListMetrics(ctx, core.MetricFilter{IterationID: id, Key: k, Page: core.Page{Offset: offset, Limit: window}})
			if err != nil {
				return nil, err
			}
			s := core.Series{IterationID: id, Key: k, Points: make([]core.Point, len(ms))}
			for i, m := range ms {
				s.Points[i] = core.Point{Step: m.Step, Value: m.Value, RecordedAt: m.RecordedAt}
			}
			out = append(out, s)
		}
		return out, nil
	}
}

// followWindow is how many of the newest points follow mode shows: by
// default about one per dot column of the chart.
func (d *detailScreen) followWindow() int {
	if d.window > 0 {
		return d.window
	}
	return max(2*(d.width-10), 40)
}

// refresh reads the run as it stands now: status and end, summaries, and
// the curves on show, all in one load.
func (d *detailScreen) refresh() tea.Cmd {
	if d.refreshing {
		return nil
	}
	d.refreshing = true
	t, id, keys, read := d.ctx.Store, d.row.it.ID, d.shownKeys(), d.historyReader()
	return d.load(func(ctx context.Context) tea.Msg {
		it, err := t.GetIteration(ctx, id)
		if err != nil {
			return runRefreshed{err: err}
		}
		sums, err := t.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{id}})
		if err != nil {
			return runRefreshed{err: err}
		}
		counts := map[string]int64{}
		for _, m := range sums {
			counts[m.Key] = m.Count
		}
		series, err := read(ctx, keys, counts)
		return runRefreshed{it: it, sums: sums, series: series, err: err}
	})
}

// reload is r: everything again.
func (d *detailScreen) reload() tea.Cmd { return tea.Batch(d.fetchDetails(), d.refresh()) }

// then runs f after every binding's own action, for actions that change
// which curves show.
func then(bs []binding, f func() tea.Cmd) []binding {
	for i := range bs {
		run := bs[i].run
		bs[i].run = func() tea.Cmd { return tea.Batch(run(), f()) }
	}
	return bs
}

func (d *detailScreen) Bindings() []binding {
	changed := func() { d.clampAll() }
	b, slash := d.filter.bindings("keys, parameters, files", changed)
	if d.filter.typing {
		return b
	}
	// The tab's own keys first: the footer shows them before the rest.
	switch d.tab {
	case tabMetrics:
		if !d.chart.grid {
			b = append(b, binding{keys: []string{"space"}, label: "space", help: "plot or unplot the key", footer: true, run: d.togglePlot})
		}
		b = append(b, binding{keys: []string{"f"}, label: "f", help: "follow: the newest steps, as they come", footer: true, run: d.toggleFollow})
		if d.follow {
			b = append(b,
				binding{keys: []string{"+", "="}, label: "+ -", help: "follow more / fewer of the newest points", run: func() tea.Cmd { return d.zoom(2) }},
				binding{keys: []string{"-"}, run: func() tea.Cmd { return d.zoom(0.5) }})
		}
		b = append(b, then(d.chart.bindings("grid of every metric / list and chart", func() int { return len(d.filteredKeys()) }, d.gridPage), func() tea.Cmd { return d.fetchHistory(false) })...)
		if !d.chart.grid {
			b = append(b, d.keyCur.keys("move", func() int { return len(d.filteredKeys()) }, d.keyRows)...)
		}
	case tabEnvironment:
		if d.envViewable() {
			b = append(b, binding{keys: []string{"enter"}, label: "enter", help: "view the file or diff", footer: true, run: d.openFile})
		}
		b = append(b, d.envCur.keys("move", func() int { return len(d.envEntries()) }, d.envRows)...)
	case tabResources:
		b = append(b, d.resCur.keys("move", func() int { return len(d.filteredResources()) }, d.resRows)...)
	default:
		sc := &d.scroll[d.tab]
		b = append(b, sc.keys("scroll", d.scrollPositions, d.tabHeight)...)
	}
	b = append(b, nav(
		binding{keys: []string{"tab", "right", "l"}, label: "tab", help: "next tab", footer: true, run: func() tea.Cmd { return d.showTab(d.tab + 1) }},
		binding{keys: []string{"shift+tab", "left", "h"}, label: "shift+tab", help: "previous tab", run: func() tea.Cmd { return d.showTab(d.tab - 1) }},
	)...)
	b = append(b, tabKeys(len(detailTabs), d.showTab)...)
	b = append(b,
		binding{keys: []string{"R"}, label: "R", help: "restore this run's environment", footer: true, run: func() tea.Cmd { return d.ctx.push(newRestore(d.ctx, d.row)) }},
		binding{keys: []string{"y"}, label: "y", help: "copy the run's id (a resource's, on Resources)", run: d.copyID},
		binding{keys: []string{"Y"}, label: "Y", help: "copy a ddd restore command for the run", run: func() tea.Cmd {
			return copyText(restoreCommand(d.ctx, d.row.it.ID), "the restore command")
		}},
		binding{keys: []string{"r"}, label: "r", help: "reload", run: d.reload},
	)
	b = append(b, slash...)
	return b
}

// showTab switches to a tab, counting round from either end.
func (d *detailScreen) showTab(tab int) tea.Cmd {
	d.tab = (tab + len(detailTabs)) % len(detailTabs)
	return nil
}

func (d *detailScreen) copyID() tea.Cmd {
	if d.tab == tabResources {
		if rs := d.filteredResources(); d.resCur.pos < len(rs) {
			r := rs[d.resCur.pos]
			return copyText(r.ID, "resource "+clean(r.Name)+"'s id")
		}
	}
	return copyText(d.row.it.ID, "run #"+itoa(d.row.ordinal)+"'s id")
}

func (d *detailScreen) togglePlot() tea.Cmd {
	keys := d.filteredKeys()
	if d.keyCur.pos >= len(keys) {
		return nil
	}
	k := keys[d.keyCur.pos]
	if d.plotted[k] && len(d.plotted) > 1 {
		delete(d.plotted, k)
		return nil
	}
	d.plotted[k] = true
	return d.fetchHistory(false)
}

func (d *detailScreen) toggleFollow() tea.Cmd {
	d.follow = !d.follow
	msg := "follow off: the whole run"
	if d.follow {
		msg = fmt.Sprintf("following the newest %d points", d.followWindow())
		if d.row.it.Status != core.IterationRunning {
			msg += "; the run has ended, so they stay"
		}
	}
	return tea.Batch(d.fetchHistory(true), status(msg))
}

func (d *detailScreen) zoom(by float64) tea.Cmd {
	d.window = min(max(int(float64(d.followWindow())*by), 10), 1_000_000)
	return tea.Batch(d.fetchHistory(true), status(fmt.Sprintf("following the newest %d points", d.window)))
}

// filteredKeys are the metric keys the filter lets through.
func (d *detailScreen) filteredKeys() []string {
	if !d.filter.active() {
		return d.keys
	}
	var out []string
	for _, k := range d.keys {
		if d.filter.match(k) {
			out = append(out, k)
		}
	}
	return out
}

func (d *detailScreen) filteredParams() []*core.Parameter {
	var out []*core.Parameter
	for _, p := range d.params {
		if d.filter.match(p.Key, p.Value) {
			out = append(out, p)
		}
	}
	return out
}

func (d *detailScreen) filteredResources() []*core.Resource {
	var out []*core.Resource
	for _, r := range d.resources {
		if d.filter.match(r.Name, r.Description) {
			out = append(out, r)
		}
	}
	return out
}

// envEntry is a row of the environment tab: a file (index into the
// snapshot's files) or the diff (-1).
type envEntry struct {
	name string
	file int
}

// envEntries are the environment tab's rows the filter lets through: the
// files, then the diff.
func (d *detailScreen) envEntries() []envEntry {
	if d.snap == nil {
		return nil
	}
	var out []envEntry
	for i, f := range d.snap.Files {
		if d.filter.match(f.Path, f.Ecosystem) {
			out = append(out, envEntry{f.Path, i})
		}
	}
	if len(d.snap.Git.Diff) > 0 && d.filter.match("uncommitted changes git diff") {
		out = append(out, envEntry{"uncommitted changes (git diff)", -1})
	}
	return out
}

// envViewable reports whether enter has something to show.
func (d *detailScreen) envViewable() bool { return d.envCur.pos < len(d.envEntries()) }

func (d *detailScreen) openFile() tea.Cmd {
	entries := d.envEntries()
	if d.envCur.pos >= len(entries) {
		return nil
	}
	e := entries[d.envCur.pos]
	if e.file < 0 {
		return d.ctx.push(newViewer(d.ctx, "uncommitted changes", string(d.snap.Git.Diff), true))
	}
	f := d.snap.Files[e.file]
	if f.Skipped != "" {
		return status(clean(f.Path) + " was not kept: " + clean(f.Skipped))
	}
	return d.ctx.push(newViewer(d.ctx, clean(f.Path), string(f.Content), false))
}

func (d *detailScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	if cmd, ok := d.filter.update(msg, d.clampAll); ok {
		return d, cmd
	}
	switch msg := msg.(type) {
	case detailLoaded:
		if msg.err != nil {
			return d, failed(msg.err)
		}
		d.params, d.tags, d.resources, d.snap, d.inherited, d.snapErr, d.loaded = msg.params, msg.tags, msg.resources, msg.snap, msg.inherited, msg.snapErr, true
		d.clampAll()
	case historyLoaded:
		if msg.err != nil {
			return d, failed(msg.err)
		}
		for _, s := range msg.series {
			d.history[s.Key] = s
		}
	case runRefreshed:
		d.refreshing = false
		if msg.err != nil {
			return d, failed(msg.err)
		}
		return d, d.apply(msg)
	case refreshMsg, revealedMsg:
		if d.row.it.Status == core.IterationRunning {
			return d, d.refresh()
		}
	case tea.WindowSizeMsg:
		d.resize(msg)
		d.clampAll()
	case tea.MouseWheelMsg:
		switch d.tab {
		case tabMetrics:
			d.keyCur.wheel(msg, len(d.filteredKeys()), d.keyRows())
		case tabEnvironment:
			d.envCur.wheel(msg, len(d.envEntries()), d.envRows())
		case tabResources:
			d.resCur.wheel(msg, len(d.filteredResources()), d.resRows())
		default:
			d.scroll[d.tab].wheel(msg, d.scrollPositions(), d.tabHeight())
		}
	}
	return d, nil
}

// apply takes a refreshed run in, keeping the cursor on its key, the
// plotted keys, the chart's settings and every scroll position.
func (d *detailScreen) apply(msg runRefreshed) tea.Cmd {
	was := d.row.it.Status
	keep := ""
	if keys := d.filteredKeys(); d.keyCur.pos < len(keys) {
		keep = keys[d.keyCur.pos]
	}
	row := *d.row
	row.it = msg.it
	row.metrics = map[string]core.MetricSummary{}
	for _, m := range msg.sums {
		row.metrics[m.Key] = m
	}
	d.row = &row
	d.keys = orderMetrics(keysOf(row.metrics))
	if i := slices.Index(d.filteredKeys(), keep); i >= 0 {
		d.keyCur.pos = i
	}
	if len(d.plotted) == 0 && len(d.keys) > 0 {
		d.plotted[d.keys[0]] = true
	}
	// Curves not on show now are read again when they show.
	d.history = map[string]core.Series{}
	for _, s := range msg.series {
		d.history[s.Key] = s
	}
	d.clampAll()
	var cmds []tea.Cmd
	cmds = append(cmds, d.fetchHistory(false))
	if was == core.IterationRunning && msg.it.Status != core.IterationRunning {
		cmds = append(cmds, status(fmt.Sprintf("run #%d ended: %s", d.row.ordinal, msg.it.Status)))
	}
	return tea.Batch(cmds...)
}

func (d *detailScreen) clampAll() {
	d.keyCur.clamp(len(d.filteredKeys()), d.keyRows())
	d.envCur.clamp(len(d.envEntries()), d.envRows())
	d.resCur.clamp(len(d.filteredResources()), d.resRows())
	d.chart.focus.clamp(len(d.filteredKeys()), d.gridPage())
	for tab := range d.scroll {
		if tab != tabMetrics && tab != tabEnvironment && tab != tabResources {
			d.scroll[tab].clamp(d.positionsOf(tab), d.tabHeight())
		}
	}
}

// tabHeight is the height under the tab bar and its blank line, less the
// filter's line.
func (d *detailScreen) tabHeight() int {
	h := d.height - 2
	if d.filter.line(d.ctx.Styles) != "" {
		h--
	}
	return max(h, 1)
}

// keyRows is how many metric keys the metrics tab lists at once: a third
// of the tab, the rest is the chart.
func (d *detailScreen) keyRows() int { return min(len(d.filteredKeys()), max(d.tabHeight()/3, 3)) }

// gridPage is how many charts the grid shows at once.
func (d *detailScreen) gridPage() int {
	return gridPage(len(d.filteredKeys()), d.width, d.tabHeight()-1)
}

// envRows is how many files the environment tab lists under its fields.
func (d *detailScreen) envRows() int { return max(d.tabHeight()-len(d.envFields()), 1) }

// resRows is how many resources the resources tab lists under its heading.
func (d *detailScreen) resRows() int { return max(d.tabHeight()-3, 1) }

// scrollPositions is how many first lines the shown tab can start at.
func (d *detailScreen) scrollPositions() int { return d.positionsOf(d.tab) }

func (d *detailScreen) positionsOf(tab int) int {
	var n int
	switch tab {
	case tabOverview:
		n = len(d.overview())
	case tabParams:
		n = len(d.paramsLines())
	case tabTags:
		n = len(d.tagsLines())
	}
	return max(n-d.tabHeight()+1, 1)
}

func (d *detailScreen) View() string {
	st, w := d.ctx.Styles, d.width
	tabs := tabBar(st, detailTabs, d.tab, w)
	var lines []string
	switch d.tab {
	case tabOverview:
		lines = d.overview()
	case tabParams:
		lines = d.paramsLines()
	case tabMetrics:
		lines = []string{d.metricsView(w, d.tabHeight())}
	case tabTags:
		lines = d.tagsLines()
	case tabResources:
		lines = []string{d.resourcesView(w)}
	case tabEnvironment:
		lines = []string{d.environmentView(w)}
	}
	if !d.loaded && d.tab != tabMetrics && d.tab != tabOverview {
		lines = []string{st.Faint.Render("loading…")}
	}
	if d.tab != tabMetrics && d.tab != tabEnvironment && d.tab != tabResources {
		from := min(d.scroll[d.tab].pos, max(len(lines)-1, 0))
		to := min(from+d.tabHeight(), len(lines))
		tabs = scrolled(st, tabs, from, to, len(lines), w)
		lines = lines[from:to]
	}
	head := tabs + "\n"
	if f := d.filter.line(st); f != "" {
		head += f + "\n"
	}
	return head + "\n" + strings.Join(lines, "\n")
}

// field is one "label  value" line of a description.
func (d *detailScreen) field(label, value string) string {
	return d.ctx.Styles.Faint.Render(padRight(label, 14)) + value
}

func (d *detailScreen) overview() []string {
	it, now := d.row.it, d.ctx.Now()
	end := it.EndDate
	ended := timestamp(it.EndDate)
	if end.IsZero() {
		end = now
		if it.Status == core.IterationRunning {
			ended = "– (running)"
		}
	}
	lines := []string{
		d.field("status", statusText(it.Status)),
		d.field("run", fmt.Sprintf("#%d of experiment %q", d.row.ordinal, clean(d.experiment.Name))),
		d.field("id", clean(it.ID)),
		d.field("created", timestamp(it.CreatedDate)+"  ("+ago(it.CreatedDate, now)+")"),
		d.field("ended", ended),
		d.field("duration", duration(end.Sub(it.CreatedDate))),
	}
	if it.ParentID != "" {
		lines = append(lines, d.field("parent", d.parent))
	}
	if last := d.lastStep(); last >= 0 {
		lines = append(lines, d.field("last step", fmt.Sprintf("%d (%s logged)", last, plural(len(d.keys), "metric"))))
	}
	if it.Notes != "" {
		for i, l := range cleanLines(it.Notes) {
			label := "notes"
			if i > 0 {
				label = ""
			}
			lines = append(lines, d.field(label, l))
		}
	}
	if len(d.tags) > 0 {
		var vs []string
		for _, t := range d.tags {
			vs = append(vs, clean(t.Value))
		}
		lines = append(lines, d.field("tags", strings.Join(vs, ", ")))
	}
	if it.ErrorMessage != "" {
		lines = append(lines, "", d.ctx.Styles.Error.Render("error"))
		for _, l := range cleanLines(it.ErrorMessage) {
			lines = append(lines, "  "+l)
		}
	}
	return lines
}

// lastStep is the largest step of any metric, -1 without metrics.
func (d *detailScreen) lastStep() int64 {
	last := int64(-1)
	for _, m := range d.row.metrics {
		last = max(last, m.LastStep)
	}
	return last
}

func (d *detailScreen) paramsLines() []string {
	if len(d.params) == 0 {
		return []string{"No parameters recorded."}
	}
	shown := d.filteredParams()
	if len(shown) == 0 {
		return []string{d.ctx.Styles.Faint.Render("no parameter matches the filter (esc clears it)")}
	}
	width := 0
	for _, p := range shown {
		width = max(width, len(clean(p.Key)))
	}
	width = min(width, max(d.width/2, 12))
	var lines []string
	for _, p := range shown {
		lines = append(lines, d.ctx.Styles.Faint.Render(padRight(clean(p.Key), width+2))+clean(p.Value))
	}
	return lines
}

func (d *detailScreen) metricsView(w, h int) string {
	st := d.ctx.Styles
	if len(d.keys) == 0 {
		return "No metrics recorded."
	}
	keys := d.filteredKeys()
	if len(keys) == 0 {
		return st.Faint.Render("no metric key matches the filter (esc clears it)")
	}
	mode := ""
	if d.follow {
		mode = fmt.Sprintf(" · following the newest %d points (f stops, + - more or fewer)", d.followWindow())
	}
	if d.chart.logY {
		mode += " · log scale"
	}
	if d.chart.grid {
		from := d.chart.focus.pos / d.gridPage() * d.gridPage()
		head := st.Faint.Render(fmt.Sprintf("%s · charts %d-%d · enter enlarges, v lists", plural(len(keys), "metric"), from+1, min(from+d.gridPage(), len(keys))) + mode)
		panels := make([]panel, len(keys))
		for i, k := range keys {
			panels[i] = panel{title: k}
			if s, ok := d.history[k]; ok {
				panels[i].series = []chart.Series{{Name: k, Points: s.Points, Color: chart.Color(0)}}
			}
		}
		return head + "\n" + d.chart.renderGrid(st, panels, w, h-1)
	}
	listHeight := d.keyRows()
	lines := []string{st.Faint.Render(padRight("  key", 24) + padLeft("last", 11) + padLeft("step", 8) + padLeft("min", 11) + padLeft("max", 11) + padLeft("points", 8))}
	from, to := d.keyCur.window(len(keys), listHeight)
	for i := from; i < to; i++ {
		k := keys[i]
		m := d.row.metrics[k]
		mark := "  "
		if d.plotted[k] {
			mark = "● "
		}
		line := mark + padRight(clean(k), 22) + padLeft(numberIn(m.Last, 10), 11) + padLeft(fmt.Sprint(m.LastStep), 8) + padLeft(numberIn(m.Min, 10), 11) +
			padLeft(numberIn(m.Max, 10), 11) + padLeft(fmt.Sprint(m.Count), 8)
		if i == d.keyCur.pos {
			line = st.Selected.Render(pad(ansiStrip(line), min(w, 75)))
		}
		lines = append(lines, line)
	}
	if len(keys) > listHeight {
		lines = append(lines, st.Faint.Render(fmt.Sprintf("  keys %d-%d of %d", from+1, to, len(keys))))
	}
	var series []chart.Series
	for i, k := range d.shownKeys() {
		if s, ok := d.history[k]; ok {
			series = append(series, chart.Series{Name: k, Points: s.Points, Color: chart.Color(i), Pattern: d.pattern(i)})
		}
	}
	series = chart.SplitAxes(series, d.chart.logY)
	lines = append(lines, st.Faint.Render(strings.TrimPrefix(mode, " · ")))
	if r := d.chart.readout(st, series, w); r != "" {
		lines[len(lines)-1] = r
	}
	chartHeight := h - len(lines)
	if chartHeight >= 5 {
		lines = append(lines, chart.Render(series, d.chart.options(series, w, chartHeight)))
	}
	return strings.Join(lines, "\n")
}

// pattern is the i-th curve's dot pattern: all solid in colour, each its
// own without.
func (d *detailScreen) pattern(i int) int {
	if d.ctx.Mono {
		return i
	}
	return 0
}

func (d *detailScreen) tagsLines() []string {
	if len(d.tags) == 0 {
		return []string{"No tags."}
	}
	var vs []string
	for _, t := range d.tags {
		if d.filter.match(t.Value) {
			vs = append(vs, "• "+clean(t.Value))
		}
	}
	if len(vs) == 0 {
		return []string{d.ctx.Styles.Faint.Render("no tag matches the filter (esc clears it)")}
	}
	return vs
}

func (d *detailScreen) resourcesView(w int) string {
	st := d.ctx.Styles
	if len(d.resources) == 0 {
		return "No resources in this experiment."
	}
	shown := d.filteredResources()
	lines := []string{st.Faint.Render("Resources belong to the experiment, not to one run."), "",
		st.Faint.Render(padRight("  name", 30) + padLeft("size", 10) + "  " + padRight("backend", 11) + padRight("sha256", 14) + "description")}
	from, to := d.resCur.window(len(shown), d.resRows())
	for i := from; i < to; i++ {
		r := shown[i]
		line := pad("  "+padRight(clean(r.Name), 28)+padLeft(core.FormatBytes(r.SizeBytes), 10)+"  "+padRight(clean(r.Backend), 11)+
			padRight(clean(r.ContentHash[:min(12, len(r.ContentHash))]), 14)+clean(r.Description), w)
		if i == d.resCur.pos {
			line = st.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	if len(shown) == 0 {
		lines = append(lines, st.Faint.Render("no resource matches the filter (esc clears it)"))
	}
	return strings.Join(lines, "\n")
}

func (d *detailScreen) environmentView(w int) string {
	st := d.ctx.Styles
	if d.snap == nil {
		if d.snapErr != nil && !core.IsNotFound(d.snapErr) {
			return st.Error.Render(clean(core.ErrorMessageOrText(d.snapErr)))
		}
		return "No environment captured for this run (drivers capture theirs when they start)."
	}
	s := d.snap
	lines := d.envFields()
	entries := d.envEntries()
	from, to := d.envCur.window(len(entries), d.envRows())
	for i := from; i < to; i++ {
		e := entries[i]
		line := "  " + padRight(clean(e.name), 32)
		if e.file >= 0 {
			f := s.Files[e.file]
			line += padRight(clean(f.Ecosystem), 11) + padLeft(core.FormatBytes(f.Size), 10) + "  " + clean(f.SHA256[:min(12, len(f.SHA256))])
			if f.Skipped != "" {
				line += "  " + st.Changed.Render("not captured: "+clean(f.Skipped))
			}
		} else {
			line += padRight("git", 11) + padLeft(core.FormatBytes(int64(len(s.Git.Diff))), 10)
		}
		if i == d.envCur.pos {
			line = st.Selected.Render(pad(ansiStrip(line), w))
		}
		lines = append(lines, line)
	}
	if len(entries) == 0 {
		if len(s.Files) == 0 && len(s.Git.Diff) == 0 {
			lines = append(lines, st.Faint.Render("  no files were captured"))
		} else {
			lines = append(lines, st.Faint.Render("  no file matches the filter (esc clears it)"))
		}
	}
	return strings.Join(lines, "\n")
}

// envFields are the environment tab's lines above its list of files: what
// was captured, and the list's heading.
func (d *detailScreen) envFields() []string {
	st, s := d.ctx.Styles, d.snap
	if s == nil {
		return nil
	}
	commit := clean(s.Git.Commit)
	if commit == "" {
		commit = "–"
	}
	if s.Git.Dirty {
		commit += st.Changed.Render("  (dirty: uncommitted changes)")
	}
	var runtimes []string
	for _, r := range s.Runtimes {
		runtimes = append(runtimes, clean(strings.TrimSpace(r.Name+" "+r.Version)))
	}
	lines := []string{}
	if d.inherited {
		lines = append(lines, st.Faint.Render("Inherited from the driver run."), "")
	}
	lines = append(lines,
		d.field("runtime", clean(strings.TrimSpace(s.Runtime+" "+s.RuntimeVersion))),
		d.field("toolchains", strings.Join(runtimes, ", ")),
		d.field("commit", commit),
		d.field("branch", orDash(clean(s.Git.Branch))),
		d.field("remote", orDash(clean(s.Git.Remote))),
		d.field("entrypoint", orDash(clean(s.Entrypoint))),
		d.field("captured", timestamp(s.CapturedAt)),
	)
	if n := len(s.Git.Untracked); n > 0 {
		names := make([]string, n)
		for i, u := range s.Git.Untracked {
			names[i] = clean(u)
		}
		lines = append(lines, d.field("untracked", plural(n, "file")+": "+strings.Join(names, ", ")))
	}
	for _, n := range s.Notes {
		lines = append(lines, d.field("note", clean(n)))
	}
	return append(lines, "", st.Faint.Render(padRight("  file", 34)+padRight("ecosystem", 11)+padLeft("size", 10)+"  sha256"))
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
