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
// tags, the experiment's resources, and the captured environment.
type detailScreen struct {
	base
	experiment *core.Experiment
	row        *runRow
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

	envCur cursor
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

func newDetail(ctx *Context, e *core.Experiment, r *runRow) *detailScreen {
	d := &detailScreen{base: newBase(ctx), experiment: e, row: r, keys: orderMetrics(keysOf(r.metrics)), plotted: map[string]bool{}, history: map[string]core.Series{}}
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

func (d *detailScreen) Title() string {
	return fmt.Sprintf("#%d %s", d.row.ordinal, short(d.row.it.ID))
}
func (d *detailScreen) Capturing() bool { return false }

func (d *detailScreen) Init() tea.Cmd {
	t, it, exp := d.ctx.Store, d.row.it, d.experiment.ID
	return tea.Batch(d.load(func(ctx context.Context) tea.Msg {
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
	}), d.fetchHistory())
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

// fetchHistory loads the plotted keys' histories, downsampled to the chart.
func (d *detailScreen) fetchHistory() tea.Cmd {
	var want []string
	for _, k := range d.keys {
		if d.plotted[k] {
			if _, have := d.history[k]; !have {
				want = append(want, k)
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	t, id, points := d.ctx.Store, d.row.it.ID, max(d.ctx.Width*2, 200)
	return d.load(func(ctx context.Context) tea.Msg {
		var out []core.Series
		for _, k := range want {
			s, err := t.MetricHistory(ctx, core.HistoryQuery{Key: k, IterationIDs: []string{id}, MaxPoints: points})
			if err != nil {
				return historyLoaded{err: err}
			}
			out = append(out, s...)
		}
		return historyLoaded{series: out}
	})
}

func (d *detailScreen) Bindings() []binding {
	b := []binding{
		{keys: []string{"tab", "right", "l"}, label: "tab", help: "next tab", footer: true, run: func() tea.Cmd { return d.showTab(d.tab + 1) }},
		{keys: []string{"shift+tab", "left", "h"}, label: "shift+tab", help: "previous tab", run: func() tea.Cmd { return d.showTab(d.tab - 1) }},
	}
	b = append(b, tabKeys(len(detailTabs), d.showTab)...)
	b = append(b, binding{keys: []string{"R"}, label: "R", help: "restore this run's environment", footer: true, run: func() tea.Cmd { return push(newRestore(d.ctx, d.row)) }})
	switch d.tab {
	case tabMetrics:
		b = append(b, binding{keys: []string{"space"}, label: "space", help: "plot or unplot the key", footer: true, run: d.togglePlot})
		b = append(b, d.keyCur.keys("move", func() int { return len(d.keys) }, d.keyRows)...)
	case tabEnvironment:
		b = append(b, binding{keys: []string{"enter"}, label: "enter", help: "view the file or diff", footer: true, run: d.openFile})
		b = append(b, d.envCur.keys("move", func() int { return len(d.envEntries()) }, d.envRows)...)
	}
	return b
}

// showTab switches to a tab, counting round from either end.
func (d *detailScreen) showTab(tab int) tea.Cmd {
	d.tab = (tab + len(detailTabs)) % len(detailTabs)
	return nil
}

func (d *detailScreen) togglePlot() tea.Cmd {
	if d.keyCur.pos >= len(d.keys) {
		return nil
	}
	k := d.keys[d.keyCur.pos]
	if d.plotted[k] && len(d.plotted) > 1 {
		delete(d.plotted, k)
		return nil
	}
	d.plotted[k] = true
	return d.fetchHistory()
}

// envEntries are the environment tab's rows: the files, then the diff.
func (d *detailScreen) envEntries() []string {
	if d.snap == nil {
		return nil
	}
	var out []string
	for _, f := range d.snap.Files {
		out = append(out, f.Path)
	}
	if len(d.snap.Git.Diff) > 0 {
		out = append(out, "uncommitted changes (git diff)")
	}
	return out
}

func (d *detailScreen) openFile() tea.Cmd {
	entries := d.envEntries()
	if d.envCur.pos >= len(entries) {
		return nil
	}
	if d.envCur.pos < len(d.snap.Files) {
		f := d.snap.Files[d.envCur.pos]
		if f.Skipped != "" {
			return func() tea.Msg { return statusMsg{text: f.Path + " was not kept: " + f.Skipped} }
		}
		return push(newViewer(d.ctx, f.Path, string(f.Content), false))
	}
	return push(newViewer(d.ctx, "uncommitted changes", string(d.snap.Git.Diff), true))
}

func (d *detailScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case detailLoaded:
		if msg.err != nil {
			return d, func() tea.Msg { return fail(msg.err) }
		}
		d.params, d.tags, d.resources, d.snap, d.inherited, d.snapErr, d.loaded = msg.params, msg.tags, msg.resources, msg.snap, msg.inherited, msg.snapErr, true
		d.envCur.clamp(len(d.envEntries()), d.envRows())
	case historyLoaded:
		if msg.err != nil {
			return d, func() tea.Msg { return fail(msg.err) }
		}
		for _, s := range msg.series {
			d.history[s.Key] = s
		}
	case tea.WindowSizeMsg:
		d.resize(msg)
		d.keyCur.clamp(len(d.keys), d.keyRows())
		d.envCur.clamp(len(d.envEntries()), d.envRows())
	case tea.MouseWheelMsg:
		switch d.tab {
		case tabMetrics:
			d.keyCur.wheel(msg, len(d.keys), d.keyRows())
		case tabEnvironment:
			d.envCur.wheel(msg, len(d.envEntries()), d.envRows())
		}
	}
	return d, nil
}

// tabHeight is the height under the tab bar and its blank line.
func (d *detailScreen) tabHeight() int { return d.height - 2 }

// keyRows is how many metric keys the metrics tab lists at once: a third
// of the tab, the rest is the chart.
func (d *detailScreen) keyRows() int { return min(len(d.keys), max(d.tabHeight()/3, 3)) }

// envRows is how many files the environment tab lists under its fields.
func (d *detailScreen) envRows() int { return max(d.tabHeight()-len(d.envFields()), 1) }

func (d *detailScreen) View() string {
	st, w := d.ctx.Styles, d.width
	tabs := tabBar(st, detailTabs, d.tab)
	body := ""
	switch d.tab {
	case tabOverview:
		body = d.overview()
	case tabParams:
		body = d.paramsView()
	case tabMetrics:
		body = d.metricsView(w, d.tabHeight())
	case tabTags:
		body = d.tagsView()
	case tabResources:
		body = d.resourcesView(w)
	case tabEnvironment:
		body = d.environmentView(w)
	}
	if !d.loaded && d.tab != tabMetrics && d.tab != tabOverview {
		body = st.Faint.Render("loading…")
	}
	return tabs + "\n\n" + body
}

// field is one "label  value" line of a description.
func (d *detailScreen) field(label, value string) string {
	return d.ctx.Styles.Faint.Render(padRight(label, 14)) + value
}

func (d *detailScreen) overview() string {
	it, now := d.row.it, d.ctx.Now()
	end := it.EndDate
	if end.IsZero() {
		end = now
	}
	lines := []string{
		d.field("status", statusText(it.Status)),
		d.field("run", fmt.Sprintf("#%d of experiment %q", d.row.ordinal, d.experiment.Name)),
		d.field("id", it.ID),
		d.field("created", timestamp(it.CreatedDate)+"  ("+ago(it.CreatedDate, now)+")"),
		d.field("ended", timestamp(it.EndDate)),
		d.field("duration", duration(end.Sub(it.CreatedDate))),
	}
	if it.ParentID != "" {
		lines = append(lines, d.field("parent", it.ParentID))
	}
	if it.Notes != "" {
		lines = append(lines, d.field("notes", it.Notes))
	}
	if len(d.tags) > 0 {
		var vs []string
		for _, t := range d.tags {
			vs = append(vs, t.Value)
		}
		lines = append(lines, d.field("tags", strings.Join(vs, ", ")))
	}
	if it.ErrorMessage != "" {
		lines = append(lines, "", d.ctx.Styles.Error.Render("error"))
		for l := range strings.SplitSeq(it.ErrorMessage, "\n") {
			lines = append(lines, "  "+l)
		}
	}
	return strings.Join(lines, "\n")
}

func (d *detailScreen) paramsView() string {
	if len(d.params) == 0 {
		return "No parameters recorded."
	}
	width := 0
	for _, p := range d.params {
		width = max(width, len(p.Key))
	}
	var lines []string
	for _, p := range d.params {
		lines = append(lines, d.ctx.Styles.Faint.Render(padRight(p.Key, width+2))+p.Value)
	}
	return strings.Join(lines, "\n")
}

func (d *detailScreen) metricsView(w, h int) string {
	st := d.ctx.Styles
	if len(d.keys) == 0 {
		return "No metrics recorded."
	}
	listHeight := d.keyRows()
	lines := []string{st.Faint.Render(padRight("  key", 24) + padLeft("last", 11) + padLeft("step", 8) + padLeft("min", 11) + padLeft("max", 11) + padLeft("points", 8))}
	from, to := d.keyCur.window(len(d.keys), listHeight)
	for i := from; i < to; i++ {
		k := d.keys[i]
		m := d.row.metrics[k]
		mark := "  "
		if d.plotted[k] {
			mark = "● "
		}
		line := mark + padRight(k, 22) + padLeft(number(m.Last), 11) + padLeft(fmt.Sprint(m.LastStep), 8) + padLeft(number(m.Min), 11) +
			padLeft(number(m.Max), 11) + padLeft(fmt.Sprint(m.Count), 8)
		if i == d.keyCur.pos {
			line = st.Selected.Render(pad(ansiStrip(line), min(w, 75)))
		}
		lines = append(lines, line)
	}
	var series []chart.Series
	var names []string
	for _, k := range d.keys {
		if d.plotted[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for i, k := range names {
		if s, ok := d.history[k]; ok {
			series = append(series, chart.Series{Name: k, Points: s.Points, Color: chart.Color(i)})
		}
	}
	chartHeight := h - len(lines) - 1
	lines = append(lines, "")
	if chartHeight >= 5 {
		lines = append(lines, chart.Render(series, chart.Options{Width: w, Height: chartHeight, XLabel: "step"}))
	}
	return strings.Join(lines, "\n")
}

func (d *detailScreen) tagsView() string {
	if len(d.tags) == 0 {
		return "No tags."
	}
	var vs []string
	for _, t := range d.tags {
		vs = append(vs, "• "+t.Value)
	}
	return strings.Join(vs, "\n")
}

func (d *detailScreen) resourcesView(w int) string {
	st := d.ctx.Styles
	if len(d.resources) == 0 {
		return "No resources in this experiment."
	}
	lines := []string{st.Faint.Render("Resources belong to the experiment, not to one run."), "",
		st.Faint.Render(padRight("name", 28) + padLeft("size", 10) + "  " + padRight("backend", 11) + padRight("sha256", 14) + "description")}
	for _, r := range d.resources {
		lines = append(lines, pad(padRight(r.Name, 28)+padLeft(core.FormatBytes(r.SizeBytes), 10)+"  "+padRight(r.Backend, 11)+padRight(r.ContentHash[:min(12, len(r.ContentHash))], 14)+r.Description, w))
	}
	return strings.Join(lines, "\n")
}

func (d *detailScreen) environmentView(w int) string {
	st := d.ctx.Styles
	if d.snap == nil {
		if d.snapErr != nil && !core.IsNotFound(d.snapErr) {
			return st.Error.Render(core.ErrorMessageOrText(d.snapErr))
		}
		return "No environment captured for this run (drivers capture theirs when they start)."
	}
	s := d.snap
	lines := d.envFields()
	entries := d.envEntries()
	from, to := d.envCur.window(len(entries), d.envRows())
	for i := from; i < to; i++ {
		line := "  " + padRight(entries[i], 32)
		if i < len(s.Files) {
			f := s.Files[i]
			line += padRight(f.Ecosystem, 11) + padLeft(core.FormatBytes(f.Size), 10) + "  " + f.SHA256[:min(12, len(f.SHA256))]
			if f.Skipped != "" {
				line += "  " + st.Changed.Render("skipped: "+f.Skipped)
			}
		} else {
			line += padRight("git", 11) + padLeft(core.FormatBytes(int64(len(s.Git.Diff))), 10)
		}
		if i == d.envCur.pos {
			line = st.Selected.Render(pad(ansiStrip(line), w))
		}
		lines = append(lines, line)
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
	commit := s.Git.Commit
	if commit == "" {
		commit = "–"
	}
	if s.Git.Dirty {
		commit += st.Changed.Render("  (dirty: uncommitted changes)")
	}
	var runtimes []string
	for _, r := range s.Runtimes {
		runtimes = append(runtimes, strings.TrimSpace(r.Name+" "+r.Version))
	}
	lines := []string{}
	if d.inherited {
		lines = append(lines, st.Faint.Render("Inherited from the driver run."), "")
	}
	lines = append(lines,
		d.field("runtime", strings.TrimSpace(s.Runtime+" "+s.RuntimeVersion)),
		d.field("toolchains", strings.Join(runtimes, ", ")),
		d.field("commit", commit),
		d.field("branch", orDash(s.Git.Branch)),
		d.field("remote", orDash(s.Git.Remote)),
		d.field("entrypoint", orDash(s.Entrypoint)),
		d.field("captured", timestamp(s.CapturedAt)),
	)
	if len(s.Git.Untracked) > 0 {
		lines = append(lines, d.field("untracked", fmt.Sprintf("%d files: %s", len(s.Git.Untracked), strings.Join(s.Git.Untracked, ", "))))
	}
	for _, n := range s.Notes {
		lines = append(lines, d.field("note", n))
	}
	return append(lines, "", st.Faint.Render(padRight("  file", 34)+padRight("ecosystem", 11)+padLeft("size", 10)+"  sha256"))
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
