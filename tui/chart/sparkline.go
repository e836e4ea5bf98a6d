package chart

import (
	"math"
	"strings"
)

var sparkLevels = []rune("▁▂▃▄▅▆▇█")

// Sparkline renders values as a one-line sparkline of exactly width cells
// using ▁▂▃▄▅▆▇█. With more values than cells each cell shows the average of
// its share of the values: a table cell only needs the trend, and averaging
// needs no allocation per value. With fewer values than cells each value gets
// one cell and the rest is padded with spaces on the right, so that a short
// history looks short instead of being stretched. Non-finite values are
// skipped; empty input (or only non-finite values) gives spaces.
func Sparkline(values []float64, width int) string {
	if width <= 0 {
		return ""
	}
	cells := min(len(values), width)
	avg := make([]float64, cells)
	ok := make([]bool, cells)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range cells {
		start := i * len(values) / cells
		end := (i + 1) * len(values) / cells
		sum, n := 0.0, 0
		for _, v := range values[start:end] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			sum += v
			n++
		}
		if n == 0 {
			continue
		}
		a := sum / float64(n)
		avg[i], ok[i] = a, true
		lo, hi = min(lo, a), max(hi, a)
	}

	var b strings.Builder
	b.Grow(width * 3)
	top := float64(len(sparkLevels) - 1)
	for i := range cells {
		if !ok[i] {
			b.WriteByte(' ')
			continue
		}
		level := (len(sparkLevels) - 1) / 2 // a constant series sits in the middle, as in Render
		if hi > lo {
			level = int((avg[i]-lo)/(hi-lo)*top + 0.5)
		}
		b.WriteRune(sparkLevels[level])
	}
	for range width - cells {
		b.WriteByte(' ')
	}
	return b.String()
}
