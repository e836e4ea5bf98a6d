package chart

import (
	"math"
	"slices"

	"github.com/deardiary/deardiary-go/core"
)

// dotBit maps a dot inside a braille cell (column, row from the top) to its
// bit in U+2800+bits. Braille numbers its dots column by column, with the
// bottom row added last (dots 7 and 8), hence the jump to 0x40 and 0x80.
var dotBit = [2][4]uint8{
	{0x01, 0x02, 0x04, 0x40},
	{0x08, 0x10, 0x20, 0x80},
}

// canvas is the plot area: w×h cells of 2×4 dots each. Dots are addressed
// with y growing upwards (0 is the bottom dot row) because that is how values
// grow; the flip to terminal rows happens only in set.
type canvas struct {
	w, h   int // cells
	dw, dh int // dots
	bits   []uint8
	// owner is the series that last put a dot into a cell (-1: none); a cell
	// has one colour, and the series drawn last is on top.
	owner []int32
	cur   int32
	// pattern leaves out the dot columns a broken line skips.
	pattern int
}

func newCanvas(w, h int) *canvas {
	c := &canvas{w: w, h: h, dw: 2 * w, dh: 4 * h, bits: make([]uint8, w*h), owner: make([]int32, w*h)}
	for i := range c.owner {
		c.owner[i] = -1
	}
	return c
}

func (c *canvas) set(x, y int) {
	if x < 0 || y < 0 || x >= c.dw || y >= c.dh || (c.pattern != 0 && !patternOn(c.pattern, x)) {
		return
	}
	row := c.dh - 1 - y
	i := (row>>2)*c.w + x>>1
	c.bits[i] |= dotBit[x&1][row&3]
	c.owner[i] = c.cur
}

// line draws from (x0,y0) to (x1,y1) in dots with Bresenham, so that steep
// segments stay connected instead of leaving gaps between dots.
func (c *canvas) line(x0, y0, x1, y1 int) {
	dx := abs(x1 - x0)
	dy := -abs(y1 - y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	err := dx + dy
	for {
		c.set(x0, y0)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

// clippedLine draws a segment given in fractional dot coordinates after
// clipping it to the plot's vertical extent, so that a curve leaving a fixed
// y range runs into the frame at the right slope instead of being squashed
// onto it or spilling outside. x needs no clipping: the x range always covers
// the data.
func (c *canvas) clippedLine(x0, y0, x1, y1 float64) {
	top := float64(c.dh - 1)
	if (y0 < 0 && y1 < 0) || (y0 > top && y1 > top) {
		return
	}
	clip := func(xa, ya, xb, yb float64) (float64, float64) {
		// Moves (xa,ya) along the segment onto the nearest edge it is beyond.
		edge := ya
		switch {
		case ya < 0:
			edge = 0
		case ya > top:
			edge = top
		default:
			return xa, ya
		}
		t := (edge - ya) / (yb - ya)
		return xa + t*(xb-xa), edge
	}
	ax, ay := clip(x0, y0, x1, y1)
	bx, by := clip(x1, y1, x0, y0)
	c.line(round(ax), round(ay), round(bx), round(by))
}

// span draws a vertical run of dots in column x between two fractional
// heights, clipped to the plot.
func (c *canvas) span(x int, ya, yb float64) {
	top := float64(c.dh - 1)
	if ya > yb {
		ya, yb = yb, ya
	}
	if yb < 0 || ya > top {
		return
	}
	for y := round(max(ya, 0)); y <= round(min(yb, top)); y++ {
		c.set(x, y)
	}
}

// columns is one series reduced to the plot's dot columns. Keeping the first,
// last, lowest and highest value of each column (M4 aggregation) draws exactly
// the same line as plotting every point, at a cost of four floats per column
// instead of anything per point.
type columns struct {
	first, last, lo, hi []float64
	has, brk            []bool
}

func newColumns(n int) *columns {
	return &columns{
		first: make([]float64, n), last: make([]float64, n),
		lo: make([]float64, n), hi: make([]float64, n),
		has: make([]bool, n), brk: make([]bool, n),
	}
}

func (cl *columns) reset() {
	clear(cl.has)
	clear(cl.brk)
}

// frame maps data to dot coordinates; the scales are computed once per chart
// so that the per-point work is a multiply and an add.
type frame struct {
	xlo, xhi int64
	ylo, yhi float64
	xscale   float64 // dots per step
	yscale   float64 // dots per value unit
}

func (f *frame) y(v float64) float64 { return (v - f.ylo) * f.yscale }

// drawSeries reduces pts to columns and rasterises them onto c.
func (c *canvas) drawSeries(pts []core.Point, f *frame, cl *columns) {
	cl.reset()
	gap := gapThreshold(pts)
	last := c.dw - 1
	centre := c.dw / 2
	var prevStep int64
	havePrev := false
	for i := range pts {
		p := &pts[i]
		v := p.Value
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		col := centre
		if f.xhi > f.xlo {
			col = int(float64(p.Step-f.xlo)*f.xscale + 0.5)
			if col < 0 {
				col = 0
			} else if col > last {
				col = last
			}
		}
		if !cl.has[col] {
			cl.has[col] = true
			cl.first[col], cl.last[col], cl.lo[col], cl.hi[col] = v, v, v, v
			if gap > 0 && havePrev && p.Step-prevStep > gap {
				cl.brk[col] = true
			}
		} else {
			cl.last[col] = v
			if v < cl.lo[col] {
				cl.lo[col] = v
			}
			if v > cl.hi[col] {
				cl.hi[col] = v
			}
		}
		prevStep, havePrev = p.Step, true
	}

	prev := -1
	for x := range c.dw {
		if !cl.has[x] {
			continue
		}
		if prev >= 0 && !cl.brk[x] {
			c.clippedLine(float64(prev), f.y(cl.last[prev]), float64(x), f.y(cl.first[x]))
		}
		c.span(x, f.y(cl.lo[x]), f.y(cl.hi[x]))
		prev = x
	}
}

// gapThreshold is the step gap beyond which a series is not connected: ten
// times its median gap, so that a run resumed much later shows as a break
// rather than as a straight line claiming values that were never logged. The
// median comes from an evenly spread sample of gaps, which needs no memory
// per point and is as good as the exact median for telling a gap from the
// usual logging interval. Zero disables the check (too few points, or a
// median gap of zero from repeated steps).
func gapThreshold(pts []core.Point) int64 {
	n := len(pts) - 1 // gaps
	if n < 2 {
		return 0
	}
	var buf [255]int64
	k := min(n, len(buf))
	sample := buf[:k]
	for i := range k {
		j := int(int64(i) * int64(n) / int64(k))
		sample[i] = pts[j+1].Step - pts[j].Step
	}
	slices.Sort(sample)
	med := sample[(k-1)/2]
	if med <= 0 {
		return 0
	}
	return 10 * med
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// round rounds a non-negative dot coordinate; clipping guarantees the sign.
func round(v float64) int { return int(v + 0.5) }
