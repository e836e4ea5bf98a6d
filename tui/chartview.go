package tui

import (
	"math"
	"sort"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/chart"
)

// chartView is how a screen draws its charts: one chart or a grid of them
// with one in focus (enlarged on demand), the y scale, and a cursor whose
// step the values are read out at.
type chartView struct {
	logY     bool
	grid     bool
	focus    cursor // the panel in focus, in grid mode
	enlarged bool
	// cursorAt is where the read-out cursor stands, as a fraction of the
	// step range; negative hides it.
	cursorAt float64
}

func newChartView() chartView { return chartView{cursorAt: -1} }

// bindings are the chart keys; panels counts the grid's panels and page
// how many show at once.
func (v *chartView) bindings(gridHelp string, panels, page func() int) []binding {
	move := func(by float64) func() tea.Cmd {
		return func() tea.Cmd {
			if v.cursorAt < 0 {
				v.cursorAt = 0.5
			} else {
				v.cursorAt = min(max(v.cursorAt+by, 0), 1)
			}
			return nil
		}
	}
	b := []binding{
		{keys: []string{"v"}, label: "v", help: gridHelp, footer: true, run: func() tea.Cmd {
			v.grid, v.enlarged = !v.grid, false
			v.focus.clamp(panels(), page())
			return nil
		}},
		{keys: []string{"L"}, label: "L", help: "logarithmic / linear y scale", run: func() tea.Cmd { v.logY = !v.logY; return nil }},
		{keys: []string{"["}, label: "[ ]", help: "move the read-out cursor by a little", run: move(-1.0 / 100)},
		{keys: []string{"]"}, run: move(1.0 / 100)},
		{keys: []string{"{"}, label: "{ }", help: "move the read-out cursor by a tenth", run: move(-0.1)},
		{keys: []string{"}"}, run: move(0.1)},
	}
	if v.cursorAt >= 0 {
		b = append(b, binding{keys: []string{"x"}, label: "x", help: "hide the read-out cursor", run: func() tea.Cmd { v.cursorAt = -1; return nil }})
	}
	if v.grid {
		b = append(b, binding{keys: []string{"enter", "z"}, label: "enter", help: "enlarge the chart in focus / back to the grid", footer: true, run: func() tea.Cmd {
			v.enlarged = !v.enlarged
			return nil
		}})
		if !v.enlarged {
			b = append(b, v.focus.keys("move the focus", panels, page)...)
		}
	}
	return b
}

// options are the chart options of a chart w x h cells, with the cursor
// placed in the series' step range.
func (v *chartView) options(series []chart.Series, w, h int) chart.Options {
	opts := chart.Options{Width: w, Height: h, XLabel: "step", LogY: v.logY}
	if step, ok := v.cursorStep(series); ok {
		opts.Cursor = &step
	}
	return opts
}

// cursorStep is the step the cursor stands at.
func (v *chartView) cursorStep(series []chart.Series) (int64, bool) {
	if v.cursorAt < 0 {
		return 0, false
	}
	lo, hi, ok := stepRange(series)
	if !ok {
		return 0, false
	}
	return lo + int64(math.Round(v.cursorAt*float64(hi-lo))), true
}

// readout is the value of every series at the cursor's step: the point at
// or before it.
func (v *chartView) readout(st Styles, series []chart.Series, w int) string {
	step, ok := v.cursorStep(series)
	if !ok {
		return ""
	}
	parts := []string{"step " + itoa(int(step))}
	for _, s := range series {
		i := sort.Search(len(s.Points), func(i int) bool { return s.Points[i].Step > step })
		value := "–"
		if i > 0 {
			value = number(s.Points[i-1].Value)
		}
		parts = append(parts, clean(s.Name)+" "+value)
	}
	return fit(st.Key.Render("│ ")+strings.Join(parts, " · "), w)
}

func stepRange(series []chart.Series) (lo, hi int64, ok bool) {
	for _, s := range series {
		if len(s.Points) == 0 {
			continue
		}
		a, b := s.Points[0].Step, s.Points[len(s.Points)-1].Step
		if !ok {
			lo, hi, ok = a, b, true
		}
		lo, hi = min(lo, a), max(hi, b)
	}
	return lo, hi, ok
}

// panel is one chart of a grid.
type panel struct {
	title  string
	series []chart.Series
	// yMin and yMax share one y range between panels, to compare them.
	yMin, yMax *float64
}

// gridShape is how a grid of n panels fits w x h cells: columns, rows of
// a page, and each panel's size.
func gridShape(n, w, h int) (cols, rows, pw, ph int) {
	cols = min(max(w/38, 1), max(n, 1))
	// Panels at least 10 lines high; fewer panels than a page fill it.
	rows = max(min(h/10, (n+cols-1)/cols), 1)
	return cols, rows, w / cols, h / rows
}

// renderGrid draws the page of panels that holds the one in focus.
func (v *chartView) renderGrid(st Styles, panels []panel, w, h int) string {
	if len(panels) == 0 {
		return ""
	}
	if v.enlarged {
		p := panels[min(v.focus.pos, len(panels)-1)]
		opts := v.options(p.series, w, max(h-2, 5))
		opts.YMin, opts.YMax = p.yMin, p.yMax
		lines := []string{st.TabActive.Render(clean(p.title)), v.readout(st, p.series, w), chart.Render(p.series, opts)}
		return strings.Join(lines, "\n")
	}
	cols, rows, pw, ph := gridShape(len(panels), w, h)
	per := cols * rows
	first := v.focus.pos / per * per
	var out []string
	for r := 0; r < rows && first+r*cols < len(panels); r++ {
		cells := make([][]string, 0, cols)
		for c := range cols {
			i := first + r*cols + c
			if i >= len(panels) {
				cells = append(cells, strings.Split(strings.Repeat(strings.Repeat(" ", pw)+"\n", ph-1)+strings.Repeat(" ", pw), "\n"))
				continue
			}
			p := panels[i]
			title := pad(clean(p.title), pw-1)
			if i == v.focus.pos {
				title = st.TabActive.UnsetPadding().Render(title)
			} else {
				title = st.Title.UnsetUnderline().Render(title)
			}
			opts := v.options(p.series, pw-1, ph-1)
			opts.NoLegend = len(p.series) < 2
			opts.YMin, opts.YMax = p.yMin, p.yMax
			body := strings.Split(chart.Render(p.series, opts), "\n")
			cell := []string{title + " "}
			for _, l := range body {
				cell = append(cell, l+" ")
			}
			cells = append(cells, cell)
		}
		for line := range ph {
			var b strings.Builder
			for _, cell := range cells {
				if line < len(cell) {
					b.WriteString(cell[line])
				}
			}
			out = append(out, b.String())
		}
	}
	return strings.Join(out, "\n")
}

// gridPage is how many panels show at once.
func gridPage(n, w, h int) int {
	cols, rows, _, _ := gridShape(n, w, h)
	return cols * rows
}

// seriesRange is the y range of all series' points, for panels sharing
// one; logY leaves out values a log scale cannot show, and gives the
// range in decades as the chart draws it.
func seriesRange(series []core.Series, logY bool) (lo, hi *float64) {
	a, b := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			v := p.Value
			if logY {
				if v <= 0 {
					continue
				}
				v = math.Log10(v)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			a, b = min(a, v), max(b, v)
		}
	}
	if !(a < b) {
		return nil, nil
	}
	pad := (b - a) * 0.03
	a, b = a-pad, b+pad
	return &a, &b
}
