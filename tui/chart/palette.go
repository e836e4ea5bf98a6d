package chart

import "image/color"

// Palette is the default series colours: matplotlib's tab10 (Tableau 10), so
// that a run has the colour its users already know from notebooks and
// dashboards, and because its mid-tone colours stay readable on dark and light
// terminal backgrounds alike. Color(i) cycles through it; replacing the slice
// changes the colours of every chart that asks Color for them.
var Palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, // orange
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}, // brown
	color.RGBA{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, // pink
	color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, // grey
	color.RGBA{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, // olive
	color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}, // cyan
}

// Color returns the i-th default series colour, wrapping around so that any
// number of series gets a colour; a negative i wraps too rather than panicking,
// and an emptied Palette yields nil (the terminal's default colour).
func Color(i int) color.Color {
	n := len(Palette)
	if n == 0 {
		return nil
	}
	i %= n
	if i < 0 {
		i += n
	}
	return Palette[i]
}
