// Package chart draws metric curves (value against step) for the terminal UI
// with Unicode braille characters, which give every cell 2×4 dots and so four
// times the vertical resolution of block characters.
package chart

import (
	"image/color"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"github.com/deardiary/deardiary-go/core"
)

// Series is one curve.
type Series struct {
	Name   string
	Points []core.Point // ordered by Step
	Color  color.Color  // nil means the terminal's default colour
	// Right draws the series against a second y axis on the right, for a
	// series of another magnitude (see SplitAxes).
	Right bool
	// Pattern draws the curve's dots solid (0) or broken in one of a few
	// ways, for terminals without colour: Patterns tells them apart.
	Pattern int
}

// Patterns is how many dot patterns there are; a series' Pattern wraps.
const Patterns = 4

// patternOn reports whether a pattern draws dot column x.
func patternOn(pattern, x int) bool {
	switch pattern % Patterns {
	case 1: // dashed: four dots on, three off
		return x%7 < 4
	case 2: // dotted
		return x%3 == 0
	case 3: // dash and dot
		return x%8 < 3 || x%8 == 5
	}
	return true
}

// patternMarker is a pattern's sample in the legend.
var patternMarker = [Patterns]string{"━", "╍", "┄", "┉"}

// Options tune a chart.
type Options struct {
	Width, Height  int    // the whole chart in cells, axes and legend included
	XLabel, YLabel string // optional, e.g. "step", "loss"
	NoLegend       bool
	// YMin/YMax fix the y range when both are set (e.g. 0..1 for accuracy); otherwise the range
	// covers the data with a little padding. They apply to the left axis.
	YMin, YMax *float64
	// LogY draws values on a logarithmic scale; values that are not
	// positive cannot be placed there and are left out.
	LogY bool
	// Cursor marks a step with a vertical line, for a read-out of the
	// values there.
	Cursor *int64
}

const (
	minWidth, minHeight = 20, 5
	// minPlotWidth keeps room for a curve however long the y tick labels get.
	minPlotWidth = 8
	// maxYLabelWidth bounds how much plot width a long y label may take away.
	maxYLabelWidth = 12
	// minLegendName is the shortest cut name worth showing: shorter ones
	// ("run…") no longer tell series apart, so the legend drops series
	// instead.
	minLegendName = 6
)

// Render draws the series into exactly opts.Height lines of exactly opts.Width display cells each
// (measure with lipgloss.Width: ANSI colour codes do not count), joined with "\n" (no trailing newline).
// Too small a size (Width < 20 or Height < 5) or no points at all renders a short centred message
// such as "no data" / "too small" padded to the same dimensions.
//
// Exact dimensions let callers place the chart in a layout without
// measuring it. Every series is reduced to the plot's dot columns before
// drawing, so the cost grows with the number of points only through one
// cheap pass over them. Non-finite values are skipped. A fixed y range that
// is empty or inverted is ignored in favour of the data's range.
func Render(series []Series, opts Options) string {
	w, h := max(opts.Width, 0), opts.Height
	if h <= 0 {
		return ""
	}
	if w < minWidth || h < minHeight {
		return message("too small", w, h)
	}
	if opts.LogY {
		series = logSeries(series)
	}
	var left, right []Series
	for _, s := range series {
		if s.Right {
			right = append(right, s)
		} else {
			left = append(left, s)
		}
	}
	if len(left) == 0 {
		left, right = right, nil
	}
	f, ok := dataFrame(left, opts)
	if !ok {
		return message("no data", w, h)
	}
	var rf frame
	hasRight := false
	if len(right) > 0 {
		ropts := opts
		ropts.YMin, ropts.YMax = nil, nil
		rf, hasRight = dataFrame(right, ropts)
		if hasRight {
			// One step axis for both.
			f.xlo, f.xhi = min(f.xlo, rf.xlo), max(f.xhi, rf.xhi)
			rf.xlo, rf.xhi = f.xlo, f.xhi
		}
	}

	legendH := 1
	if opts.NoLegend {
		legendH = 0
	}
	plotH := h - 2 - legendH // the x axis line and its labels take two rows
	gutterMax := w - 1 - minPlotWidth
	if hasRight {
		gutterMax = (w - 2 - minPlotWidth) / 2
	}

	// Y ticks: the top, middle and bottom rows, labelled with the range's
	// ends and centre (the middle row is within half a cell of the centre).
	tickRows := []int{0, plotH - 1}
	midRow := -1
	if plotH >= 3 {
		midRow = (plotH - 1) / 2
		tickRows = []int{0, midRow, plotH - 1}
	}
	ticks := func(f frame) []string {
		vals := []float64{f.yhi, f.ylo}
		if midRow >= 0 {
			vals = []float64{f.yhi, (f.ylo + f.yhi) / 2, f.ylo}
		}
		if opts.LogY {
			for i, v := range vals {
				vals[i] = math.Pow(10, v)
			}
			return valueLabels(vals, vals[0]-vals[len(vals)-1], gutterMax)
		}
		return valueLabels(vals, f.yhi-f.ylo, gutterMax)
	}
	tickLabels := ticks(f)
	gw := 0
	for _, l := range tickLabels {
		gw = max(gw, lipgloss.Width(l))
	}
	yLabel, yLabelRow := sanitize(opts.YLabel), -1
	if yLabel != "" && plotH >= 5 { // needs a free row between the top and middle ticks
		yLabelRow = midRow / 2
		gw = max(gw, min(lipgloss.Width(yLabel), max(gw, maxYLabelWidth)))
	}
	gw = min(gw, gutterMax)
	rowLabels := make([]string, plotH)
	for i, r := range tickRows {
		rowLabels[r] = truncate(tickLabels[i], gw)
	}
	if yLabelRow >= 0 {
		rowLabels[yLabelRow] = truncate(yLabel, gw)
	}
	rgw := 0
	var rightLabels []string
	if hasRight {
		rt := ticks(rf)
		for _, l := range rt {
			rgw = max(rgw, lipgloss.Width(l))
		}
		rgw = min(rgw, gutterMax)
		rightLabels = make([]string, plotH)
		for i, r := range tickRows {
			rightLabels[r] = truncate(rt[i], rgw)
		}
	}
	plotW := w - gw - 1
	if hasRight {
		plotW -= rgw + 1
	}

	c := newCanvas(plotW, plotH)
	scale := func(f *frame) {
		if f.xhi > f.xlo {
			f.xscale = float64(c.dw-1) / float64(f.xhi-f.xlo)
		}
		f.yscale = float64(c.dh-1) / (f.yhi - f.ylo)
	}
	scale(&f)
	scale(&rf)
	cols := newColumns(c.dw)
	// The cursor goes under the curves; its painter follows theirs.
	painters := make([]painter, len(series)+1)
	painters[len(series)] = painter{style: lipgloss.NewStyle().Faint(true), on: true}
	if opts.Cursor != nil && f.xhi > f.xlo && *opts.Cursor >= f.xlo && *opts.Cursor <= f.xhi {
		c.cur = int32(len(series))
		x := int(float64(*opts.Cursor-f.xlo)*f.xscale + 0.5)
		for y := 0; y < c.dh; y += 2 {
			c.set(x, y)
		}
	}
	for i, s := range series {
		painters[i] = newPainter(s.Color)
		c.cur = int32(i)
		c.pattern = s.Pattern
		if s.Right && hasRight {
			c.drawSeries(s.Points, &rf, cols)
		} else {
			c.drawSeries(s.Points, &f, cols)
		}
	}
	c.pattern = 0

	var b strings.Builder
	b.Grow(h * (w*3 + 64))
	var run []byte
	for r := range plotH {
		padLeft(&b, rowLabels[r], gw)
		if isTickRow(tickRows, r) {
			b.WriteString("┤")
		} else {
			b.WriteString("│")
		}
		run = writeCells(&b, c, r, painters, run)
		if hasRight {
			if isTickRow(tickRows, r) {
				b.WriteString("├")
			} else {
				b.WriteString("│")
			}
			b.WriteString(rightLabels[r])
			b.WriteString(strings.Repeat(" ", rgw-lipgloss.Width(rightLabels[r])))
		}
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat(" ", gw))
	b.WriteString("└")
	b.WriteString(strings.Repeat("─", plotW))
	if hasRight {
		b.WriteString("┘")
		b.WriteString(strings.Repeat(" ", rgw))
	}
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", gw+1))
	b.WriteString(stepLabels(f.xlo, f.xhi, plotW, sanitize(opts.XLabel)))
	if hasRight {
		b.WriteString(strings.Repeat(" ", rgw+1))
	}
	if legendH > 0 {
		b.WriteByte('\n')
		b.WriteString(legend(series, painters, w, gw+1, hasRight))
	}
	return b.String()
}

// logSeries is the series on a log10 scale, without the values a log
// scale cannot show.
func logSeries(series []Series) []Series {
	out := make([]Series, len(series))
	for i, s := range series {
		out[i] = s
		pts := make([]core.Point, 0, len(s.Points))
		for _, p := range s.Points {
			if p.Value > 0 && !math.IsInf(p.Value, 0) {
				p.Value = math.Log10(p.Value)
				pts = append(pts, p)
			}
		}
		out[i].Points = pts
	}
	return out
}

// SplitAxes puts on a right-hand axis the series that one axis for all
// would flatten: those whose range is under a tenth of the widest range
// (a learning rate of 1e-3 next to a loss of 2.3). The rest keep the left
// axis. With logY the ranges are compared in decades. Series that all
// share a magnitude come back unchanged.
func SplitAxes(series []Series, logY bool) []Series {
	spans := make([]float64, len(series))
	widest := 0.0
	for i, s := range series {
		lo, hi := math.Inf(1), math.Inf(-1)
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
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi >= lo {
			// A constant series counts by its magnitude, as its padding does.
			spans[i] = max(hi-lo, math.Abs(hi)*0.2)
			widest = max(widest, spans[i])
		}
	}
	out := make([]Series, len(series))
	copy(out, series)
	for i := range out {
		out[i].Right = widest > 0 && spans[i] > 0 && spans[i] < widest/10
	}
	return out
}

// dataFrame finds the range of the finite points; ok is false when there are
// none.
func dataFrame(series []Series, opts Options) (f frame, ok bool) {
	for _, s := range series {
		for i := range s.Points {
			p := &s.Points[i]
			v := p.Value
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if !ok {
				f.xlo, f.xhi, f.ylo, f.yhi, ok = p.Step, p.Step, v, v, true
				continue
			}
			if p.Step < f.xlo {
				f.xlo = p.Step
			} else if p.Step > f.xhi {
				f.xhi = p.Step
			}
			if v < f.ylo {
				f.ylo = v
			} else if v > f.yhi {
				f.yhi = v
			}
		}
	}
	if !ok {
		return f, false
	}
	switch {
	case opts.YMin != nil && opts.YMax != nil && *opts.YMin < *opts.YMax:
		f.ylo, f.yhi = *opts.YMin, *opts.YMax
	case f.ylo == f.yhi:
		// Symmetric padding puts a constant series on the middle row, where it
		// reads as "flat" rather than as sitting on an axis.
		pad := math.Abs(f.ylo) * 0.1
		if pad == 0 {
			pad = 1
		}
		f.ylo, f.yhi = f.ylo-pad, f.yhi+pad
	default:
		// The padding keeps the extremes off the frame, where they would be
		// hard to see, but never crosses zero: a loss axis starting at -0.004
		// suggests values that cannot occur. Rounding the ends outward to a
		// 1-2-5 multiple of at most 1/40 of the span then gives tick labels
		// like 3.25 instead of 3.237 while wasting at most 2.5% per side.
		dlo, dhi := f.ylo, f.yhi
		pad := (dhi - dlo) * 0.03
		lo, hi := dlo-pad, dhi+pad
		if dlo >= 0 && lo < 0 {
			lo = 0
		}
		if dhi <= 0 && hi > 0 {
			hi = 0
		}
		q := niceFloor((hi - lo) / 40)
		lo = math.Floor(lo/q+1e-9) * q
		hi = math.Ceil(hi/q-1e-9) * q
		// Rounding can only widen the range; the guard is for spans so large
		// or so small that q stops being representable.
		if lo <= dlo && hi >= dhi && hi > lo {
			f.ylo, f.yhi = lo, hi
		} else {
			f.ylo, f.yhi = dlo-pad, dhi+pad
		}
	}
	return f, true
}

// niceFloor is the largest 1, 2 or 5 times a power of ten not above v.
func niceFloor(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	switch m := v / p; {
	case m >= 5:
		return 5 * p
	case m >= 2:
		return 2 * p
	}
	return p
}

func isTickRow(rows []int, r int) bool {
	for _, t := range rows {
		if t == r {
			return true
		}
	}
	return false
}

// painter colours text in one series' colour, or leaves it alone so that a
// nil colour really means the terminal's default (no escape codes at all).
type painter struct {
	style lipgloss.Style
	on    bool
}

func newPainter(c color.Color) painter {
	if c == nil {
		return painter{}
	}
	return painter{style: lipgloss.NewStyle().Foreground(c), on: true}
}

func (p painter) paint(s string) string {
	if !p.on {
		return s
	}
	return p.style.Render(s)
}

// writeCells writes one row of the canvas. Neighbouring cells of the same
// series, and the blanks between them, share one colour escape: styling cell
// by cell would multiply the output and the time spent in lipgloss. run is a
// scratch buffer handed back for reuse.
func writeCells(b *strings.Builder, c *canvas, r int, painters []painter, run []byte) []byte {
	owner := int32(-1)
	pending := 0
	flush := func() {
		if len(run) > 0 {
			b.WriteString(painters[owner].paint(string(run)))
			run = run[:0]
		}
	}
	for x := range c.w {
		i := r*c.w + x
		bits := c.bits[i]
		if bits == 0 {
			pending++
			continue
		}
		if o := c.owner[i]; o != owner || len(run) == 0 {
			flush()
			b.WriteString(strings.Repeat(" ", pending))
			owner = o
		} else {
			for range pending {
				run = append(run, ' ')
			}
		}
		pending = 0
		run = utf8.AppendRune(run, rune(0x2800+int(bits)))
	}
	flush()
	b.WriteString(strings.Repeat(" ", pending))
	return run
}

// stepLabels is the row under the x axis: the first and last step at the
// ends, the middle step and the x label where they fit. Exactly plotW cells.
func stepLabels(xlo, xhi int64, plotW int, xLabel string) string {
	type place struct {
		at, w int
		s     string
	}
	var places []place
	add := func(s string, at int) {
		places = append(places, place{at: at, w: lipgloss.Width(s), s: s})
	}
	if xlo == xhi {
		s := formatStep(xlo)
		add(s, max(0, min(plotW/2-len(s)/2, plotW-len(s))))
	} else {
		first, last := formatStep(xlo), formatStep(xhi)
		add(first, 0)
		if len(first)+1+len(last) <= plotW {
			lastAt := plotW - len(last)
			mid := formatStep(xlo + (xhi-xlo)/2)
			if at := (plotW-1)/2 - len(mid)/2; at >= len(first)+2 && at+len(mid)+2 <= lastAt {
				add(mid, at)
			}
			add(last, lastAt)
		}
	}

	if xLabel != "" {
		// Centre the label in the widest free stretch, two cells clear of any
		// step label so that it cannot be read as part of a number.
		bestAt, bestW := 0, -1
		prevEnd := 0
		for i := 0; i <= len(places); i++ {
			start, end := prevEnd, plotW
			if i > 0 {
				start += 2
			}
			if i < len(places) {
				end = places[i].at - 2
				prevEnd = places[i].at + places[i].w
			}
			if end-start > bestW {
				bestAt, bestW = start, end-start
			}
		}
		if lw := lipgloss.Width(xLabel); lw <= bestW {
			at := bestAt + (bestW-lw)/2
			i := 0
			for i < len(places) && places[i].at < at {
				i++
			}
			places = append(places[:i], append([]place{{at: at, w: lw, s: xLabel}}, places[i:]...)...)
		}
	}

	var b strings.Builder
	col := 0
	for _, p := range places {
		if p.at < col || p.at+p.w > plotW {
			continue
		}
		b.WriteString(strings.Repeat(" ", p.at-col))
		b.WriteString(p.s)
		col = p.at + p.w
	}
	b.WriteString(strings.Repeat(" ", plotW-col))
	return b.String()
}

// legend is the bottom row: a coloured marker and the name of each series.
// It lines up with the plot when there is room, uses the full width when not,
// and beyond that shortens the longest names first (a name is most
// recognisable by its start) and finally drops series, saying how many.
func legend(series []Series, painters []painter, w, indent int, marked bool) string {
	const sep = "  "
	n := len(series)
	names := make([]string, n)
	widths := make([]int, n)
	total := 0
	for i, s := range series {
		names[i] = sanitize(s.Name)
		if names[i] == "" {
			names[i] = "series " + strconv.Itoa(i+1)
		}
		if marked && s.Right {
			names[i] += " (right)"
		}
		widths[i] = lipgloss.Width(names[i])
		total += widths[i]
	}
	fixed := func(k int) int { return k*2 + (k-1)*2 } // markers and separators

	shown, limit, suffix := n, math.MaxInt, ""
	if n > 0 && total+fixed(n) > w {
		indent = 0
		// Without a fit (thousands of series) only the count is shown.
		shown, suffix = 0, truncate(strconv.Itoa(n)+" series", w)
		for k := n; k >= 1; k-- {
			more := ""
			if k < n {
				more = sep + "+" + strconv.Itoa(n-k)
			}
			budget := w - fixed(k) - len(more)
			if l, ok := capWidth(widths[:k], budget); ok && (l >= minLegendName || k == 1) {
				shown, limit, suffix = k, l, more
				break
			}
		}
	} else if total+fixed(n) > w-indent {
		indent = 0
	}

	var b strings.Builder
	b.WriteString(strings.Repeat(" ", indent))
	for i := range shown {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(painters[i].paint(patternMarker[series[i].Pattern%Patterns]))
		b.WriteString(" ")
		b.WriteString(truncate(names[i], limit))
	}
	b.WriteString(suffix)
	line := b.String()
	return line + strings.Repeat(" ", max(0, w-lipgloss.Width(line)))
}

// capWidth finds the largest name width l such that names cut to l fit in
// budget; ok is false when not even one cell per name fits.
func capWidth(widths []int, budget int) (l int, ok bool) {
	sum := func(l int) int {
		t := 0
		for _, w := range widths {
			t += min(w, l)
		}
		return t
	}
	longest := 0
	for _, w := range widths {
		longest = max(longest, w)
	}
	if sum(1) > budget {
		return 0, false
	}
	lo, hi := 1, longest
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sum(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, true
}

// valueLabels formats the y ticks with %.4g, adding digits while two ticks
// would read the same (a narrow range far from zero, say 1000.01..1000.02),
// as long as they still fit in maxW cells.
func valueLabels(vals []float64, span float64, maxW int) []string {
	var labels []string
	for prec := 4; prec <= 10; prec++ {
		next := make([]string, len(vals))
		wide := false
		for i, v := range vals {
			if math.Abs(v) < span*1e-12 {
				v = 0 // rounding noise where the range straddles zero; avoids "-2.776e-17"
			}
			next[i] = strconv.FormatFloat(v, 'g', prec, 64)
			wide = wide || len(next[i]) > maxW
		}
		if wide && labels != nil {
			break
		}
		labels = next
		if distinct(labels) {
			break
		}
	}
	return labels
}

func distinct(labels []string) bool {
	for i := 1; i < len(labels); i++ {
		if labels[i] == labels[i-1] {
			return false
		}
	}
	return true
}

// formatStep writes steps compactly (12.35k, 1.5M) because ML step counts
// run into the millions and the labels share one row.
func formatStep(s int64) string {
	a := s
	if a < 0 {
		a = -a
	}
	if a < 10000 {
		return strconv.FormatInt(s, 10)
	}
	units := []struct {
		div    float64
		suffix string
	}{{1e3, "k"}, {1e6, "M"}, {1e9, "G"}, {1e12, "T"}, {1e15, "P"}, {1e18, "E"}}
	u := 0
	for u+1 < len(units) && float64(a) >= units[u+1].div {
		u++
	}
	v := float64(s) / units[u].div
	// 999999 would otherwise print as "1000k".
	if math.Abs(v) >= 999.95 && u+1 < len(units) {
		u++
		v = float64(s) / units[u].div
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + units[u].suffix
}

// message fills the chart's area with a centred note, so that a caller's
// layout does not jump when data arrives or the window grows.
func message(msg string, w, h int) string {
	msg = truncate(msg, w)
	mw := lipgloss.Width(msg)
	blank := strings.Repeat(" ", w)
	lines := make([]string, h)
	for i := range lines {
		lines[i] = blank
	}
	left := (w - mw) / 2
	lines[(h-1)/2] = strings.Repeat(" ", left) + msg + strings.Repeat(" ", w-mw-left)
	return strings.Join(lines, "\n")
}

// sanitize turns control characters (newlines, tabs, stray escape codes) in
// user-supplied names into spaces: they would break the fixed layout.
func sanitize(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// truncate cuts s to at most w cells, marking the cut with "…".
func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		rw := lipgloss.Width(string(r))
		if used+rw > w-1 {
			break
		}
		b.WriteRune(r)
		used += rw
	}
	b.WriteString("…")
	return b.String()
}

// padLeft writes s right-aligned in w cells.
func padLeft(b *strings.Builder, s string, w int) {
	if sw := lipgloss.Width(s); sw < w {
		b.WriteString(strings.Repeat(" ", w-sw))
	}
	b.WriteString(s)
}
