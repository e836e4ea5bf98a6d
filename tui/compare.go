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
// environments, down to the package versions of each lock file.
type compareScreen struct {
	base
	rows []*runRow
	tab  int

	onlyDiff bool
	stat     int // 0 last, 1 min, 2 max
	keys     []string
	key      int // the curve shown
	history  map[string][]core.Series
	snaps    []*core.Snapshot
	snapsErr error
	// snapsLoading is true from the environment tab's first opening until
	// its snapshots arrive.
	snapsLoading bool
	envLines     []string // drawn with the snapshots, off the UI loop
	// scroll is the body's first line shown, in the tabs that scroll.
	scroll cursor
}

var compareTabs = []string{"Parameters", "Metrics", "Curves", "Environment"}

// compareSnaps brings the runs' snapshots and their differences, drawn off
// the UI loop: two lock files of a hundred thousand packages take a while.
type compareSnaps struct {
	snaps    []*core.Snapshot
	envLines []string
	err      error
}

type compareHistory struct {
	key    string
	series []core.Series
	err    error
}

func newCompare(ctx *Context, rows []*runRow) *compareScreen {
	keys := map[string]bool{}
	for _, r := range rows {
		for k := range r.metrics {
			keys[k] = true
		}
	}
	return &compareScreen{base: newBase(ctx), rows: rows, keys: orderMetrics(keys), history: map[string][]core.Series{}}
}

func (c *compareScreen) Title() string   { return fmt.Sprintf("compare %d runs", len(c.rows)) }
func (c *compareScreen) Capturing() bool { return false }

// Init loads the curves, the heaviest tab, at once; the environments wait
// until their tab is opened, so they do not compete with the curves.
func (c *compareScreen) Init() tea.Cmd { return c.fetchCurve() }

// fetchTab loads what the shown tab needs and does not have yet.
func (c *compareScreen) fetchTab() tea.Cmd {
	if c.tab == 3 {
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

// fetchCurve loads the shown key's history for every run at once.
func (c *compareScreen) fetchCurve() tea.Cmd {
	if len(c.keys) == 0 {
		return nil
	}
	key := c.keys[c.key]
	if _, have := c.history[key]; have {
		return nil
	}
	ids := make([]string, len(c.rows))
	for i, r := range c.rows {
		ids[i] = r.it.ID
	}
	t, points := c.ctx.Store, max(c.ctx.Width*2, 200)
	return c.load(func(ctx context.Context) tea.Msg {
		series, err := t.MetricHistory(ctx, core.HistoryQuery{Key: key, IterationIDs: ids, MaxPoints: points})
		return compareHistory{key, series, err}
	})
}

func (c *compareScreen) Bindings() []binding {
	b := []binding{
		{keys: []string{"tab"}, label: "tab", help: "next tab", footer: true, run: func() tea.Cmd { return c.showTab(c.tab + 1) }},
		{keys: []string{"shift+tab"}, label: "shift+tab", help: "previous tab", run: func() tea.Cmd { return c.showTab(c.tab - 1) }},
	}
	b = append(b, tabKeys(len(compareTabs), c.showTab)...)
	switch c.tab {
	case 0:
		b = append(b, binding{keys: []string{"d"}, label: "d", help: "only parameters that differ / all", footer: true, run: func() tea.Cmd { c.onlyDiff = !c.onlyDiff; c.clampScroll(); return nil }})
	case 1:
		b = append(b, binding{keys: []string{"m"}, label: "m", help: "show last / min / max", footer: true, run: func() tea.Cmd { c.stat = (c.stat + 1) % 3; return nil }})
	case 2:
		b = append(b,
			binding{keys: []string{"right", "l", "n"}, label: "→", help: "next metric", footer: true, run: func() tea.Cmd { c.key = (c.key + 1) % max(len(c.keys), 1); return c.fetchCurve() }},
			binding{keys: []string{"left", "h", "p"}, label: "←", help: "previous metric", footer: true, run: func() tea.Cmd {
				c.key = (c.key + max(len(c.keys), 1) - 1) % max(len(c.keys), 1)
				return c.fetchCurve()
			}})
	}
	if c.tab != 2 {
		b = append(b, c.scroll.keys("scroll", c.scrollPositions, c.bodyRows)...)
	}
	return b
}

// showTab switches to a tab, counting round from either end, scrolled to
// its top, and loads what it needs.
func (c *compareScreen) showTab(tab int) tea.Cmd {
	c.tab, c.scroll = (tab+len(compareTabs))%len(compareTabs), cursor{}
	return c.fetchTab()
}

func (c *compareScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case compareSnaps:
		c.snaps, c.envLines, c.snapsErr, c.snapsLoading = msg.snaps, msg.envLines, msg.err, false
		c.clampScroll()
	case compareHistory:
		if msg.err != nil {
			return c, func() tea.Msg { return fail(msg.err) }
		}
		c.history[msg.key] = msg.series
	case tea.WindowSizeMsg:
		c.resize(msg)
		c.clampScroll()
	case tea.MouseWheelMsg:
		c.scroll.wheel(msg, c.scrollPositions(), c.bodyRows())
	}
	return c, nil
}

// bodyRows is the height under the tab bar and its blank line.
func (c *compareScreen) bodyRows() int { return max(c.height-2, 1) }

// body is the shown tab's lines, for the tabs that scroll as a whole.
func (c *compareScreen) body() []string {
	switch c.tab {
	case 0:
		return c.paramsLines(c.width)
	case 1:
		return c.metricLines(c.width)
	case 3:
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
func label(r *runRow) string { return fmt.Sprintf("#%d %s", r.ordinal, short(r.it.ID)) }

func (c *compareScreen) View() string {
	tabs := tabBar(c.ctx.Styles, compareTabs, c.tab)
	if c.tab == 2 {
		return tabs + "\n\n" + c.curvesView(c.width, c.bodyRows())
	}
	// The body scrolls as a whole: the cursor is its first line.
	body, room := c.body(), c.bodyRows()
	from := min(c.scroll.pos, max(len(body)-room, 0))
	return tabs + "\n\n" + strings.Join(body[from:min(from+room, len(body))], "\n")
}

// columnWidth shares the width between a name column and one per run.
func (c *compareScreen) columnWidth(w, first int) int {
	return max((w-first)/len(c.rows), 8)
}

func (c *compareScreen) header(first string, firstWidth, col int) string {
	line := padRight(first, firstWidth)
	for _, r := range c.rows {
		line += padRight(label(r), col)
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
	sorted := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	first := 22
	col := c.columnWidth(w, first)
	lines := []string{c.header("parameter", first, col)}
	differing := 0
	for _, k := range sorted {
		values := map[string]bool{}
		for _, r := range c.rows {
			v, ok := r.params[k]
			if !ok {
				v = "\x00missing"
			}
			values[v] = true
		}
		differs := len(values) > 1
		if differs {
			differing++
		}
		if c.onlyDiff && !differs {
			continue
		}
		line := padRight(k, first)
		for _, r := range c.rows {
			v, ok := r.params[k]
			if !ok {
				v = "–"
			}
			line += padRight(v, col)
		}
		if differs {
			line = st.Changed.Render(line)
		}
		lines = append(lines, line)
	}
	if len(sorted) == 0 {
		return []string{"None of these runs logged parameters."}
	}
	mode := "all parameters"
	if c.onlyDiff {
		mode = "only those that differ"
	}
	return append([]string{st.Faint.Render(fmt.Sprintf("%d parameters, %d differ · showing %s (d toggles)", len(sorted), differing, mode)), ""}, lines...)
}

// lowerIsBetter guesses a metric's direction from its name.
func lowerIsBetter(key string) bool {
	k := strings.ToLower(key)
	for _, word := range []string{"loss", "error", "err", "mse", "mae", "rmse", "perplexity", "time", "latency"} {
		if strings.Contains(k, word) {
			return true
		}
	}
	return false
}

func (c *compareScreen) metricLines(w int) []string {
	st := c.ctx.Styles
	if len(c.keys) == 0 {
		return []string{"None of these runs logged metrics."}
	}
	statName := []string{"last", "min", "max"}[c.stat]
	first := 22
	col := c.columnWidth(w, first)
	lines := []string{st.Faint.Render(fmt.Sprintf("%s value per key; the best run in each row is marked ★ (lower is better for losses and errors) · m switches last/min/max", statName)), "",
		c.header("metric", first, col)}
	for _, k := range c.keys {
		values := make([]float64, len(c.rows))
		best := -1
		for i, r := range c.rows {
			m, ok := r.metrics[k]
			if !ok {
				values[i] = math.NaN()
				continue
			}
			values[i] = []float64{m.Last, m.Min, m.Max}[c.stat]
			if best < 0 || (lowerIsBetter(k) && values[i] < values[best]) || (!lowerIsBetter(k) && values[i] > values[best]) {
				best = i
			}
		}
		line := padRight(k, first)
		for i, v := range values {
			cell := number(v)
			if i == best && len(c.rows) > 1 {
				cell = st.Best.Render(padRight("★ "+cell, col))
			} else {
				cell = padRight("  "+cell, col)
			}
			line += cell
		}
		lines = append(lines, line)
	}
	return lines
}

func (c *compareScreen) curvesView(w, h int) string {
	st := c.ctx.Styles
	if len(c.keys) == 0 {
		return "None of these runs logged metrics."
	}
	key := c.keys[c.key]
	series, ok := c.history[key]
	title := st.Title.Render(key) + st.Faint.Render(fmt.Sprintf("  (%d of %d keys · ←/→ for others)", c.key+1, len(c.keys)))
	if !ok {
		return title + "\n" + st.Faint.Render("loading…")
	}
	byID := map[string]core.Series{}
	for _, s := range series {
		byID[s.IterationID] = s
	}
	var cs []chart.Series
	for i, r := range c.rows {
		cs = append(cs, chart.Series{Name: label(r), Points: byID[r.it.ID].Points, Color: chart.Color(i)})
	}
	return title + "\n" + chart.Render(cs, chart.Options{Width: w, Height: max(h-1, 5), XLabel: "step", YLabel: key})
}

// environmentLines compares each run's environment with the first run's.
func (c *compareScreen) environmentLines() []string {
	st := c.ctx.Styles
	if c.snapsErr != nil {
		return []string{st.Error.Render(core.ErrorMessageOrText(c.snapsErr))}
	}
	if c.snaps == nil {
		return []string{st.Faint.Render("loading and comparing environments…")}
	}
	return c.envLines
}

// environmentDiff draws each run's environment against the first run's.
func environmentDiff(st Styles, rows []*runRow, snaps []*core.Snapshot) []string {
	lines := []string{st.Faint.Render("Each run against " + label(rows[0]) + "; runs without their own snapshot use their driver's."), ""}
	for i := 1; i < len(rows); i++ {
		lines = append(lines, st.Title.Render(label(rows[0])+"  →  "+label(rows[i])))
		lines = append(lines, envDiff(st, snaps[0], snaps[i])...)
		lines = append(lines, "")
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
func envDiff(st Styles, a, b *core.Snapshot) []string {
	switch {
	case a == nil && b == nil:
		return []string{"  neither run captured its environment"}
	case a == nil || b == nil:
		return []string{"  only one of the runs captured its environment"}
	}
	var lines []string
	same := true
	note := func(what, x, y string) {
		if x != y {
			same = false
			lines = append(lines, fmt.Sprintf("  %s %s → %s", st.Changed.Render(padRight(what, 12)), orDash(x), orDash(y)))
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
		switch {
		case fa == nil:
			same = false
			lines = append(lines, "  "+st.Added.Render("+ "+p)+st.Faint.Render(" only in the second run"))
			continue
		case fb == nil:
			same = false
			lines = append(lines, "  "+st.Removed.Render("- "+p)+st.Faint.Render(" only in the first run"))
			continue
		case fa.SHA256 == fb.SHA256:
			continue
		}
		same = false
		lines = append(lines, "  "+st.Changed.Render("~ "+p))
		va, okA := lockfile.Parse(p, fa.Content)
		vb, okB := lockfile.Parse(p, fb.Content)
		if okA && okB {
			changes := lockfile.Diff(va, vb)
			for _, ch := range changes {
				switch ch.Kind() {
				case "added":
					lines = append(lines, "      "+st.Added.Render("+ "+ch.Name+" "+ch.New))
				case "removed":
					lines = append(lines, "      "+st.Removed.Render("- "+ch.Name+" "+ch.Old))
				default:
					lines = append(lines, "      "+st.Changed.Render("~ "+ch.Name+" "+ch.Old+" → "+ch.New))
				}
			}
			if len(changes) == 0 {
				lines = append(lines, "      "+st.Faint.Render("same packages and versions; other lines differ"))
			}
			continue
		}
		if binary(fa.Content) || binary(fb.Content) {
			lines = append(lines, "      "+st.Faint.Render(fmt.Sprintf("binary content differs (%s vs %s)", core.FormatBytes(fa.Size), core.FormatBytes(fb.Size))))
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
			lines = append(lines, text)
		}
	}
	if len(a.Git.Diff) > 0 || len(b.Git.Diff) > 0 {
		if string(a.Git.Diff) != string(b.Git.Diff) {
			same = false
			lines = append(lines, "  "+st.Changed.Render("~ uncommitted changes differ")+st.Faint.Render(fmt.Sprintf(" (%s vs %s of diff)", core.FormatBytes(int64(len(a.Git.Diff))), core.FormatBytes(int64(len(b.Git.Diff))))))
		}
	}
	if same {
		lines = append(lines, "  "+lipgloss.NewStyle().Faint(true).Render("same environment"))
	}
	return lines
}
