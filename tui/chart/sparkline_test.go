package chart

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSparkline(t *testing.T) {
	increasing := make([]float64, 1000)
	for i := range increasing {
		increasing[i] = float64(i)
	}
	tests := []struct {
		name        string
		values      []float64
		width       int
		first, last rune // 0: not checked
		want        string
	}{
		{"increasing, downsampled", increasing, 20, '▁', '█', ""},
		{"increasing, one per cell", []float64{1, 2, 3, 4, 5, 6, 7, 8}, 8, 0, 0, "▁▂▃▄▅▆▇█"},
		{"decreasing", []float64{8, 7, 6, 5, 4, 3, 2, 1}, 8, '█', '▁', ""},
		{"fewer values than cells", []float64{1, 2}, 5, 0, 0, "▁█   "},
		{"empty", nil, 6, 0, 0, "      "},
		{"constant", []float64{3, 3, 3}, 3, 0, 0, "▄▄▄"},
		{"non-finite skipped", []float64{1, math.NaN(), 2}, 3, 0, 0, "▁ █"},
		{"zero width", []float64{1, 2}, 0, 0, 0, ""},
	}
	for _, tt := range tests {
		got := Sparkline(tt.values, tt.width)
		if n := utf8.RuneCountInString(got); n != max(tt.width, 0) {
			t.Errorf("%s: %d cells, want %d: %q", tt.name, n, tt.width, got)
		}
		if tt.want != "" || tt.width == 0 {
			if got != tt.want {
				t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			}
		}
		rs := []rune(got)
		if tt.first != 0 && (rs[0] != tt.first || rs[len(rs)-1] != tt.last) {
			t.Errorf("%s: %q, want it to run from %q to %q", tt.name, got, tt.first, tt.last)
		}
		if strings.Contains(got, "\x1b") {
			t.Errorf("%s: unexpected escape codes", tt.name)
		}
	}
}
