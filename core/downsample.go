package core

import "math"

// Downsample reduces points (ordered by step) to at most n with
// Largest-Triangle-Three-Buckets: the first and last points stay, and from
// each bucket between them the point that spans the largest triangle with its
// neighbours is kept, which preserves peaks and the curve's shape far better
// than taking every k-th point. n = 1 keeps the last point and n = 2 the
// first and last; n <= 0 or a short series returns points as is.
func Downsample(points []Point, n int) []Point {
	switch {
	case n <= 0 || len(points) <= n:
		return points
	case n == 1:
		return points[len(points)-1:]
	case n == 2:
		return []Point{points[0], points[len(points)-1]}
	}
	out := make([]Point, 0, n)
	out = append(out, points[0])
	bucket := float64(len(points)-2) / float64(n-2)
	prev := points[0]
	for i := range n - 2 {
		start := int(float64(i)*bucket) + 1
		end := int(float64(i+1)*bucket) + 1
		// The next bucket's average is the third corner of the triangle.
		nextStart, nextEnd := end, min(int(float64(i+2)*bucket)+1, len(points))
		if i == n-3 {
			nextStart, nextEnd = len(points)-1, len(points)
		}
		var avgX, avgY float64
		for _, p := range points[nextStart:nextEnd] {
			avgX += float64(p.Step)
			avgY += p.Value
		}
		cnt := float64(nextEnd - nextStart)
		avgX, avgY = avgX/cnt, avgY/cnt
		best, bestArea := start, -1.0
		for j := start; j < end; j++ {
			p := points[j]
			area := math.Abs((float64(prev.Step)-avgX)*(p.Value-prev.Value) - (float64(prev.Step)-float64(p.Step))*(avgY-prev.Value))
			if area > bestArea {
				best, bestArea = j, area
			}
		}
		prev = points[best]
		out = append(out, prev)
	}
	return append(out, points[len(points)-1])
}
