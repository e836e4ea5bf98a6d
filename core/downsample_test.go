package core

import (
	"math"
	"testing"
)

func series(n int, f func(i int) float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{Step: int64(i), Value: f(i)}
	}
	return pts
}

func TestDownsampleKeepsEndsAndPeaks(t *testing.T) {
	pts := series(10_000, func(i int) float64 { return math.Sin(float64(i) / 500) })
	pts[4321].Value = 50 // a spike must survive
	got := Downsample(pts, 200)
	if len(got) != 200 {
		t.Fatalf("len = %d, want 200", len(got))
	}
	if got[0] != pts[0] || got[len(got)-1] != pts[len(pts)-1] {
		t.Fatal("first and last points must be kept")
	}
	found := false
	for i, p := range got {
		if p.Value == 50 {
			found = true
		}
		if i > 0 && p.Step <= got[i-1].Step {
			t.Fatalf("steps not increasing at %d", i)
		}
	}
	if !found {
		t.Fatal("the spike at step 4321 was dropped")
	}
}

func TestDownsampleShortSeriesUnchanged(t *testing.T) {
	pts := series(5, func(i int) float64 { return float64(i) })
	if got := Downsample(pts, 10); len(got) != 5 {
		t.Fatalf("len = %d", len(got))
	}
	if got := Downsample(pts, 0); len(got) != 5 {
		t.Fatalf("n=0 should return the input, got %d points", len(got))
	}
	if got := Downsample(pts, 2); len(got) != 2 || got[0].Step != 0 || got[1].Step != 4 {
		t.Fatalf("n=2 should keep the first and last, got %+v", got)
	}
	if got := Downsample(pts, 1); len(got) != 1 || got[0].Step != 4 {
		t.Fatalf("n=1 should keep the last, got %+v", got)
	}
	if got := Downsample(pts, 3); len(got) != 3 || got[0].Step != 0 || got[2].Step != 4 {
		t.Fatalf("n=3 got %+v", got)
	}
}
