package chart

import (
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/deardiary/deardiary-go/core"
)

// stripANSI removes CSI escape sequences (colours) so that tests can look at
// the characters alone.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// plotArea decodes the braille cells of a rendered chart: one []uint8 of dot
// bits per plot row (0 for a blank cell). The plot starts after the y axis
// character.
func plotArea(t *testing.T, out string, opts Options) [][]uint8 {
	t.Helper()
	lines := strings.Split(stripANSI(out), "\n")
	rows := opts.Height - 2
	if !opts.NoLegend {
		rows--
	}
	var area [][]uint8
	for _, line := range lines[:rows] {
		rs := []rune(line)
		start := -1
		for i, r := range rs {
			if r == '┤' || r == '│' {
				start = i + 1
				break
			}
		}
		if start < 0 {
			t.Fatalf("no y axis in %q", line)
		}
		var cells []uint8
		for _, r := range rs[start:] {
			switch {
			case r == ' ':
				cells = append(cells, 0)
			case r >= 0x2800 && r <= 0x28ff:
				cells = append(cells, uint8(r-0x2800))
			default:
				t.Fatalf("unexpected rune %q in plot row %q", r, line)
			}
		}
		area = append(area, cells)
	}
	return area
}

func line(from, to int64, v0, v1 float64, n int) []core.Point {
	pts := make([]core.Point, n)
	for i := range pts {
		f := float64(i) / float64(n-1)
		pts[i] = core.Point{Step: from + int64(f*float64(to-from)), Value: v0 + f*(v1-v0)}
	}
	return pts
}

func ptr(v float64) *float64 { return &v }

func countDots(area [][]uint8) int {
	n := 0
	for _, row := range area {
		for _, c := range row {
			for ; c != 0; c &= c - 1 {
				n++
			}
		}
	}
	return n
}

func TestRenderDimensions(t *testing.T) {
	sizes := []struct{ w, h int }{{20, 5}, {80, 20}, {200, 60}, {19, 5}, {20, 4}, {1, 1}, {0, 3}}
	inputs := map[string][]Series{
		"empty":     nil,
		"no points": {{Name: "a"}},
		"one point": {{Name: "a", Points: []core.Point{{Step: 7, Value: 3}}}},
		"constant":  {{Name: "c", Points: line(0, 100, 0.5, 0.5, 50)}},
		"two series": {
			{Name: "train/loss", Points: line(0, 1000, 2, 0.1, 300), Color: Color(0)},
			{Name: "val/loss", Points: line(0, 1000, 2.2, 0.3, 30), Color: Color(1)},
		},
		"negative":      {{Name: "n", Points: line(-50, 50, -3e6, -2e6, 100), Color: Color(2)}},
		"huge range":    {{Name: "h", Points: line(0, 10, 1e-8, 1e8, 11)}},
		"late start":    {{Name: "l", Points: line(1_000_000, 2_500_000, 1, 2, 100)}},
		"non-finite":    {{Name: "x", Points: []core.Point{{Step: 1, Value: math.NaN()}, {Step: 2, Value: math.Inf(1)}}}},
		"long names":    {{Name: strings.Repeat("very long name ", 10), Points: line(0, 1, 0, 1, 2)}, {Name: "b\tc\nd", Points: line(0, 1, 1, 0, 2)}},
		"many series":   manySeries(40),
		"wide ticks":    {{Name: "w", Points: line(0, 1, -1.23456789e-100, -1.2e-100, 2)}},
		"narrow values": {{Name: "n", Points: line(0, 9, 1000.0001, 1000.0002, 10)}},
	}
	for name, series := range inputs {
		for _, sz := range sizes {
			for _, noLegend := range []bool{false, true} {
				opts := Options{Width: sz.w, Height: sz.h, XLabel: "step", YLabel: "value", NoLegend: noLegend}
				out := Render(series, opts)
				lines := strings.Split(out, "\n")
				if len(lines) != sz.h {
					t.Errorf("%s %dx%d: %d lines, want %d", name, sz.w, sz.h, len(lines), sz.h)
					continue
				}
				for i, l := range lines {
					if got := lipgloss.Width(l); got != sz.w {
						t.Errorf("%s %dx%d legend=%v: line %d is %d wide, want %d: %q", name, sz.w, sz.h, !noLegend, i, got, sz.w, stripANSI(l))
					}
				}
			}
		}
	}
}

func manySeries(n int) []Series {
	s := make([]Series, n)
	for i := range s {
		s[i] = Series{Name: "run-" + strings.Repeat("x", i%7), Points: line(0, 100, float64(i), float64(2*i), 20), Color: Color(i)}
	}
	return s
}

func TestRenderMessages(t *testing.T) {
	tests := []struct {
		name   string
		series []Series
		w, h   int
		want   string
	}{
		{"no data", nil, 40, 10, "no data"},
		{"only NaN", []Series{{Points: []core.Point{{Value: math.NaN()}}}}, 40, 10, "no data"},
		{"too narrow", []Series{{Points: line(0, 1, 0, 1, 2)}}, 19, 10, "too small"},
		{"too short", []Series{{Points: line(0, 1, 0, 1, 2)}}, 40, 4, "too small"},
	}
	for _, tt := range tests {
		out := Render(tt.series, Options{Width: tt.w, Height: tt.h})
		if !strings.Contains(out, tt.want) {
			t.Errorf("%s: want %q in\n%s", tt.name, tt.want, out)
		}
	}
}

func TestRenderRisingLine(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"fixed range", Options{Width: 80, Height: 20, YMin: ptr(0), YMax: ptr(1)}},
		{"auto range", Options{Width: 80, Height: 20}},
		{"no legend", Options{Width: 40, Height: 10, NoLegend: true, YMin: ptr(0), YMax: ptr(1)}},
		{"smallest", Options{Width: 20, Height: 5, YMin: ptr(0), YMax: ptr(1)}},
	}
	for _, tt := range tests {
		for _, n := range []int{2, 1000, 100_000} { // sparse points need connecting, dense ones reducing
			out := Render([]Series{{Name: "up", Points: line(100, 5000, 0, 1, n)}}, tt.opts)
			area := plotArea(t, out, tt.opts)
			bottom, top := area[len(area)-1], area[0]
			last := len(top) - 1
			if bottom[0] == 0 || top[last] == 0 {
				t.Errorf("%s n=%d: want dots bottom-left and top-right:\n%s", tt.name, n, stripANSI(out))
			}
			if top[0] != 0 || bottom[last] != 0 {
				t.Errorf("%s n=%d: want top-left and bottom-right empty:\n%s", tt.name, n, stripANSI(out))
			}
			if tt.opts.YMin != nil && (bottom[0]&0x40 == 0 || top[last]&0x08 == 0) {
				t.Errorf("%s n=%d: the line should start in the corner dots: %08b %08b", tt.name, n, bottom[0], top[last])
			}
			// A connected line has a dot in every dot column.
			for x := range 2 * len(top) {
				found := false
				for _, row := range area {
					if row[x/2]&dotBit[x%2][0]|row[x/2]&dotBit[x%2][1]|row[x/2]&dotBit[x%2][2]|row[x/2]&dotBit[x%2][3] != 0 {
						found = true
					}
				}
				if !found {
					t.Errorf("%s n=%d: dot column %d is empty", tt.name, n, x)
					break
				}
			}
		}
	}
}

func TestRenderShapes(t *testing.T) {
	opts := Options{Width: 60, Height: 15}
	tests := []struct {
		name   string
		points []core.Point
		check  func(t *testing.T, area [][]uint8)
	}{
		{"single point is one dot", []core.Point{{Step: 42, Value: -7}}, func(t *testing.T, area [][]uint8) {
			if n := countDots(area); n != 1 {
				t.Errorf("%d dots, want 1", n)
			}
		}},
		{"constant is a flat line in the middle", line(10, 20, 3, 3, 100), func(t *testing.T, area [][]uint8) {
			rows := map[int]bool{}
			for r, row := range area {
				for _, c := range row {
					if c != 0 {
						rows[r] = true
					}
				}
			}
			mid := (len(area) - 1) / 2
			if len(rows) != 1 || !(rows[mid] || rows[mid+1]) {
				t.Errorf("dots in rows %v, want only the middle row %d", rows, mid)
			}
			for _, c := range area[mid] {
				if c == 0 {
					t.Error("the flat line has holes")
					break
				}
			}
		}},
		{"gap is not connected", append(line(0, 99, 1, 2, 100), line(1000, 1099, 2, 1, 100)...), func(t *testing.T, area [][]uint8) {
			w := len(area[0])
			for _, row := range area {
				if row[w/2] != 0 {
					t.Errorf("a dot in the middle of the gap")
					return
				}
			}
		}},
		{"negative and huge range", []core.Point{{Step: -5, Value: -1e8}, {Step: 0, Value: 1e-8}, {Step: 5, Value: 1e8}}, func(t *testing.T, area [][]uint8) {
			if countDots(area) < len(area) {
				t.Error("the line is missing")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Render([]Series{{Name: "s", Points: tt.points}}, opts)
			tt.check(t, plotArea(t, out, opts))
		})
	}
}

func TestRenderColours(t *testing.T) {
	points := line(0, 100, 0, 1, 50)
	tests := []struct {
		name     string
		a, b     color.Color
		wantANSI bool
	}{
		{"palette", Color(0), Color(1), true},
		{"hex", lipgloss.Color("#ff0000"), lipgloss.Color("#00ff00"), true},
		{"nil", nil, nil, false},
	}
	var plain string
	for _, tt := range tests {
		series := []Series{
			{Name: "a", Points: points, Color: tt.a},
			{Name: "b", Points: line(0, 100, 1, 0, 50), Color: tt.b},
		}
		out := Render(series, Options{Width: 60, Height: 15, XLabel: "step", YLabel: "loss"})
		if got := strings.Contains(out, "\x1b["); got != tt.wantANSI {
			t.Errorf("%s: ANSI codes present = %v, want %v", tt.name, got, tt.wantANSI)
		}
		if plain == "" {
			plain = stripANSI(out)
		} else if stripANSI(out) != plain {
			t.Errorf("%s: colours changed the layout", tt.name)
		}
	}
}

func TestRenderLegend(t *testing.T) {
	tests := []struct {
		name     string
		names    []string
		width    int
		want     []string
		noLegend bool
	}{
		{"names", []string{"train/loss", "val/loss"}, 60, []string{"━ train/loss", "━ val/loss"}, false},
		{"truncated", []string{"a-rather-long-series-name", "another-long-series-name"}, 30, []string{"━ a-rather", "━ another", "…"}, false},
		{"too many", []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}, 20, []string{"━ alpha", "+"}, false},
		{"unnamed", []string{""}, 40, []string{"━ series 1"}, false},
		{"hidden", []string{"train/loss"}, 60, nil, true},
	}
	for _, tt := range tests {
		var series []Series
		for i, n := range tt.names {
			series = append(series, Series{Name: n, Points: line(0, 10, 0, float64(i+1), 11), Color: Color(i)})
		}
		out := stripANSI(Render(series, Options{Width: tt.width, Height: 10, NoLegend: tt.noLegend}))
		lines := strings.Split(out, "\n")
		last := lines[len(lines)-1]
		for _, w := range tt.want {
			if !strings.Contains(last, w) {
				t.Errorf("%s: legend %q lacks %q", tt.name, last, w)
			}
		}
		if tt.noLegend && strings.Contains(out, "━") {
			t.Errorf("%s: legend drawn with NoLegend:\n%s", tt.name, out)
		}
	}
}

func TestRenderYRangeClamp(t *testing.T) {
	opts := Options{Width: 60, Height: 15, YMin: ptr(0), YMax: ptr(1)}
	var wave []core.Point
	for i := range 500 {
		wave = append(wave, core.Point{Step: int64(i), Value: 0.5 + 3*math.Sin(float64(i)/40)})
	}
	tests := []struct {
		name      string
		points    []core.Point
		wantEmpty bool
	}{
		{"leaves and re-enters", wave, false},
		{"all above", line(0, 10, 5, 6, 11), true},
		{"all below", line(0, 10, -6, -5, 11), true},
	}
	for _, tt := range tests {
		out := Render([]Series{{Name: "s", Points: tt.points}}, opts)
		area := plotArea(t, out, opts)
		if n := countDots(area); (n == 0) != tt.wantEmpty {
			t.Errorf("%s: %d dots, want empty = %v", tt.name, n, tt.wantEmpty)
		}
		lines := strings.Split(stripANSI(out), "\n")
		if !strings.HasPrefix(strings.TrimLeft(lines[0], " "), "1┤") || !strings.HasPrefix(strings.TrimLeft(lines[len(area)-1], " "), "0┤") {
			t.Errorf("%s: want ticks 1 and 0, got %q and %q", tt.name, lines[0], lines[len(area)-1])
		}
		axis := lines[len(area)]
		if strings.Trim(axis, " └─") != "" {
			t.Errorf("%s: something drawn over the x axis: %q", tt.name, axis)
		}
		if tt.wantEmpty {
			continue
		}
		// The curve runs into both edges and is cut there.
		if countDots(area[:1]) == 0 || countDots(area[len(area)-1:]) == 0 {
			t.Errorf("%s: want the clipped curve to reach the top and bottom rows:\n%s", tt.name, stripANSI(out))
		}
	}
}

func TestFormatStep(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"}, {9999, "9999"}, {-42, "-42"}, {12345, "12.35k"}, {100_000, "100k"},
		{999_999, "1M"}, {2_500_000, "2.5M"}, {-3_000_000_000, "-3G"},
	}
	for _, tt := range tests {
		if got := formatStep(tt.in); got != tt.want {
			t.Errorf("formatStep(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestColor(t *testing.T) {
	if len(Palette) != 10 {
		t.Fatalf("%d palette colours, want 10", len(Palette))
	}
	tests := []struct{ i, want int }{{0, 0}, {9, 9}, {10, 0}, {23, 3}, {-1, 9}}
	for _, tt := range tests {
		if Color(tt.i) != Palette[tt.want] {
			t.Errorf("Color(%d) is not Palette[%d]", tt.i, tt.want)
		}
	}
	seen := map[color.Color]bool{}
	for _, c := range Palette {
		if seen[c] {
			t.Errorf("colour %v repeated", c)
		}
		seen[c] = true
	}
}

func BenchmarkRender10x100k(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	series := make([]Series, 10)
	for i := range series {
		pts := make([]core.Point, 100_000)
		v := 1.0 + float64(i)
		for j := range pts {
			v += r.NormFloat64() * 0.01
			pts[j] = core.Point{Step: int64(j), Value: v}
		}
		series[i] = Series{Name: "run-" + string(rune('a'+i)), Points: pts, Color: Color(i)}
	}
	opts := Options{Width: 120, Height: 30, XLabel: "step", YLabel: "loss"}
	b.ReportAllocs()
	for b.Loop() {
		Render(series, opts)
	}
}
