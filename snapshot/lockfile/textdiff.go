package lockfile

import (
	"math"
	"strconv"
	"strings"
)

// Line is one line of a text diff.
//
// Lines are split at "\n" only: a "\r" before it stays in Text, so a file
// whose line endings changed from LF to CRLF shows every line as changed
// (which is true of its bytes), and callers must sanitise control characters
// before drawing Text on a terminal, as they must for any file content. A
// missing newline at the end of a file is not reported.
type Line struct {
	Op   byte   // ' ' unchanged, '-' only in a, '+' only in b, '~' hidden unchanged lines
	Text string // without the newline
}

const (
	// exactLimit is the number of lines (a and b together, after the common
	// prefix and suffix and the lines found on one side only are set aside)
	// up to which TextDiff runs plain Myers and so returns a minimal diff;
	// Myers takes time proportional to size times differences, which beyond
	// this can reach seconds.
	exactLimit = 20000
	// largeBudget bounds the work (comparisons, roughly) spent on inputs
	// over exactLimit, about a tenth of a second. What is left when it runs
	// out is shown as deleted and inserted wholesale: correct, not minimal.
	largeBudget = 20_000_000
	// Over exactLimit, stretches of at most anchorMin lines go to Myers
	// directly; longer ones are first cut at lines found once on each side.
	anchorMin = 2000
	// maxAnchorDepth bounds the recursion of the cutting.
	maxAnchorDepth = 48
)

// TextDiff returns a line diff of a and b, for the files Parse does not
// understand and for users who want to see the bytes.
//
// The diff is minimal (Myers) when the part that needs comparing, once the
// common first and last lines and the lines found on one side only are set
// aside, is at most 20,000 lines. Beyond that Myers could take seconds, so
// the inputs are cut at lines that occur once in each (patience diff) and the
// pieces diffed with Myers within a work budget: time and memory stay near
// linear (a few hundred milliseconds for two 9 MiB files), and the result is
// always a correct edit script, though possibly not a minimal one.
//
// Only context unchanged lines are kept before and after each change; a
// longer run of unchanged lines is replaced by one Line{Op: '~', Text: "… N
// unchanged lines"}, so the user sees where and how much was skipped.
// Identical inputs give a single such marker (or nothing when both are
// empty): there is no change to show context around.
func TextDiff(a, b []byte, context int) []Line {
	al, bl := splitLines(a), splitLines(b)
	ca, cb := diffLines(al, bl, exactLimit, largeBudget)
	slide(al, bl, ca, cb)
	return render(al, bl, ca, cb, max(context, 0))
}

// splitLines splits at "\n"; the lines share one copy of s.
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	out := make([]string, 0, strings.Count(s, "\n")+1)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
	return out
}

// diffLines marks the lines of a and b that are not part of the common
// subsequence it finds. Lines left unmarked pair up in order.
func diffLines(a, b []string, limit, budget int) (ca, cb []bool) {
	ca, cb = make([]bool, len(a)), make([]bool, len(b))
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	a, b = a[pre:len(a)-suf], b[pre:len(b)-suf]
	mca, mcb := ca[pre:len(ca)-suf], cb[pre:len(cb)-suf]
	if len(a) == 0 || len(b) == 0 {
		fill(mca)
		fill(mcb)
		return ca, cb
	}

	// Compare small integers instead of strings.
	ids := make(map[string]int, len(a)/2)
	intern := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, s := range lines {
			id, ok := ids[s]
			if !ok {
				id = len(ids)
				ids[s] = id
			}
			out[i] = id
		}
		return out
	}
	ia, ib := intern(a), intern(b)
	n := len(ids)

	// A line that the other side does not have at all can only be a
	// change. Setting such lines aside keeps the common subsequence (hence
	// minimality) and makes unrelated files cheap to diff.
	inA, inB := make([]bool, n), make([]bool, n)
	for _, id := range ia {
		inA[id] = true
	}
	for _, id := range ib {
		inB[id] = true
	}
	keep := func(seq []int, other []bool, marks []bool) (kept, index []int) {
		kept, index = make([]int, 0, len(seq)), make([]int, 0, len(seq))
		for i, id := range seq {
			if other[id] {
				kept = append(kept, id)
				index = append(index, i)
			} else {
				marks[i] = true
			}
		}
		return kept, index
	}
	fa, fai := keep(ia, inB, mca)
	fb, fbi := keep(ib, inA, mcb)

	d := &differ{a: fa, b: fb, ca: make([]bool, len(fa)), cb: make([]bool, len(fb))}
	if len(fa)+len(fb) <= limit {
		d.budget = math.MaxInt
		d.seq(0, len(fa), 0, len(fb))
	} else {
		d.budget = budget
		d.count, d.posB = make([]int32, 2*n), make([]int, n)
		d.anchored(0, len(fa), 0, len(fb), 0)
	}
	for k, i := range fai {
		mca[i] = mca[i] || d.ca[k]
	}
	for k, j := range fbi {
		mcb[j] = mcb[j] || d.cb[k]
	}
	return ca, cb
}

func fill(marks []bool) {
	for i := range marks {
		marks[i] = true
	}
}

// differ computes which elements of a and b are changed, into ca and cb.
type differ struct {
	a, b   []int
	ca, cb []bool
	budget int // work left; when negative, what remains is marked changed wholesale

	v     []int   // Myers' frontier vectors, reused
	count []int32 // occurrences per line id in a (even index) and b (odd), for anchoring
	posB  []int   // where a line id last occurs in b, for anchoring
}

func (d *differ) markAll(a0, a1, b0, b1 int) {
	fill(d.ca[a0:a1])
	fill(d.cb[b0:b1])
}

// trim strips the common prefix and suffix of a[a0:a1] and b[b0:b1].
func (d *differ) trim(a0, a1, b0, b1 int) (int, int, int, int) {
	for a0 < a1 && b0 < b1 && d.a[a0] == d.b[b0] {
		a0++
		b0++
	}
	for a0 < a1 && b0 < b1 && d.a[a1-1] == d.b[b1-1] {
		a1--
		b1--
	}
	return a0, a1, b0, b1
}

// seq diffs a[a0:a1] and b[b0:b1] by Myers' linear-space divide and conquer.
func (d *differ) seq(a0, a1, b0, b1 int) {
	for {
		a0, a1, b0, b1 = d.trim(a0, a1, b0, b1)
		if a0 == a1 || b0 == b1 {
			d.markAll(a0, a1, b0, b1)
			return
		}
		x, y, ok := d.bisect(a0, a1, b0, b1)
		// The split lies strictly inside the box when the search worked;
		// anything else would recurse forever, so it is treated as failure.
		if !ok || x < a0 || x > a1 || y < b0 || y > b1 || (x == a0 && y == b0) || (x == a1 && y == b1) {
			d.markAll(a0, a1, b0, b1)
			return
		}
		d.seq(a0, x, b0, y)
		a0, b0 = x, y
	}
}

// bisect finds the middle snake of a[a0:a1] and b[b0:b1] (both non-empty,
// first and last elements differing) and returns a point on an optimal edit
// path strictly inside the box. ok is false when the two have nothing in
// common or the budget ran out. This follows diff-match-patch's bisect.
func (d *differ) bisect(a0, a1, b0, b1 int) (x, y int, ok bool) {
	if d.budget < 0 {
		return 0, 0, false
	}
	A, B := d.a[a0:a1], d.b[b0:b1]
	n, m := len(A), len(B)
	maxD := (n + m + 1) / 2
	off, vlen := maxD, 2*maxD+2 // the slack keeps k±1 in range for the smallest inputs
	if cap(d.v) < 2*vlen {
		d.v = make([]int, 2*vlen)
	}
	v1, v2 := d.v[:vlen], d.v[vlen:2*vlen]
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	d.budget -= vlen
	delta := n - m
	front := delta%2 != 0 // the forward pass detects the overlap when delta is odd
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	for dd := 0; dd < maxD; dd++ {
		if d.budget < 0 {
			return 0, 0, false
		}
		for k1 := -dd + k1start; k1 <= dd-k1end; k1 += 2 {
			k1o := off + k1
			var x1 int
			if k1 == -dd || (k1 != dd && v1[k1o-1] < v1[k1o+1]) {
				x1 = v1[k1o+1]
			} else {
				x1 = v1[k1o-1] + 1
			}
			y1 := x1 - k1
			s := x1
			for uint(x1) < uint(n) && uint(y1) < uint(m) && A[x1] == B[y1] {
				x1++
				y1++
			}
			d.budget -= 1 + x1 - s
			v1[k1o] = x1
			switch {
			case x1 > n:
				k1end += 2 // ran off the right
			case y1 > m:
				k1start += 2 // ran off the bottom
			case front:
				if k2o := off + delta - k1; k2o >= 0 && k2o < vlen && v2[k2o] != -1 {
					if x1 >= n-v2[k2o] {
						return a0 + x1, b0 + y1, true
					}
				}
			}
		}
		for k2 := -dd + k2start; k2 <= dd-k2end; k2 += 2 {
			k2o := off + k2
			var x2 int
			if k2 == -dd || (k2 != dd && v2[k2o-1] < v2[k2o+1]) {
				x2 = v2[k2o+1]
			} else {
				x2 = v2[k2o-1] + 1
			}
			y2 := x2 - k2
			s := x2
			for uint(x2) < uint(n) && uint(y2) < uint(m) && A[n-x2-1] == B[m-y2-1] {
				x2++
				y2++
			}
			d.budget -= 1 + x2 - s
			v2[k2o] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				if k1o := off + delta - k2; k1o >= 0 && k1o < vlen && v1[k1o] != -1 {
					x1 := v1[k1o]
					y1 := off + x1 - k1o
					if x1 >= n-x2 {
						return a0 + x1, b0 + y1, true
					}
				}
			}
		}
	}
	return 0, 0, false
}

// anchored diffs a[a0:a1] and b[b0:b1] for inputs too large for plain
// Myers: it matches the longest increasing run of lines that occur exactly
// once on each side (patience diff) and recurses between them, down to
// pieces small enough for Myers.
func (d *differ) anchored(a0, a1, b0, b1, depth int) {
	a0, a1, b0, b1 = d.trim(a0, a1, b0, b1)
	switch {
	case a0 == a1 || b0 == b1 || d.budget < 0:
		d.markAll(a0, a1, b0, b1)
		return
	case (a1-a0)+(b1-b0) <= anchorMin || depth >= maxAnchorDepth:
		d.seq(a0, a1, b0, b1)
		return
	}
	for _, id := range d.a[a0:a1] {
		d.count[2*id]++
	}
	for j := b0; j < b1; j++ {
		id := d.b[j]
		d.count[2*id+1]++
		d.posB[id] = j
	}
	var anchors []match
	for i := a0; i < a1; i++ {
		if id := d.a[i]; d.count[2*id] == 1 && d.count[2*id+1] == 1 {
			anchors = append(anchors, match{i, d.posB[id]})
		}
	}
	for _, id := range d.a[a0:a1] {
		d.count[2*id] = 0
	}
	for _, id := range d.b[b0:b1] {
		d.count[2*id+1] = 0
	}
	d.budget -= 2 * ((a1 - a0) + (b1 - b0))
	if len(anchors) == 0 {
		d.seq(a0, a1, b0, b1)
		return
	}
	for _, p := range increasing(anchors) {
		d.anchored(a0, p.a, b0, p.b, depth+1)
		a0, b0 = p.a+1, p.b+1
	}
	d.anchored(a0, a1, b0, b1, depth+1)
}

type match struct{ a, b int }

// increasing returns a longest subsequence of ms (sorted by a) whose b
// increase too, by patience sorting.
func increasing(ms []match) []match {
	tails := make([]int, 0, 16) // tails[k]: index of the smallest last b of a run of length k+1
	prev := make([]int, len(ms))
	for i, p := range ms {
		lo, hi := 0, len(tails)
		for lo < hi {
			mid := int(uint(lo+hi) >> 1)
			if ms[tails[mid]].b < p.b {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		prev[i] = -1
		if lo > 0 {
			prev[i] = tails[lo-1]
		}
		if lo == len(tails) {
			tails = append(tails, i)
		} else {
			tails[lo] = i
		}
	}
	out := make([]match, len(tails))
	for k, i := len(out)-1, tails[len(tails)-1]; k >= 0; k, i = k-1, prev[i] {
		out[k] = ms[i]
	}
	return out
}

// slide moves each pure insertion or deletion to where it reads best. Where
// lines repeat, the same edit can be placed several ways, and Myers picks
// one arbitrarily: adding a [[package]] table between two others may show
// as "+name … +(blank) +[[package]]" instead of the table itself. Among the
// equivalent places this picks the last one where the block ends with a
// blank line, so whole blank-separated entries move as a unit, and otherwise
// the lowest one, as git does. The number of changed lines is unchanged.
func slide(a, b []string, ca, cb []bool) {
	i, j := 0, 0
	for {
		eq := 0 // unchanged pairs before the block
		for i < len(a) && j < len(b) && !ca[i] && !cb[j] {
			i, j, eq = i+1, j+1, eq+1
		}
		i0, j0 := i, j
		for i < len(a) && ca[i] {
			i++
		}
		for j < len(b) && cb[j] {
			j++
		}
		if i == i0 && j == j0 {
			return
		}
		if i != i0 && j != j0 {
			continue // a replacement has nowhere to slide to
		}
		lines, marks, start, end := a, ca, i0, i
		if i == i0 {
			lines, marks, start, end = b, cb, j0, j
		}
		after := 0 // unchanged pairs after the block
		for i+after < len(a) && j+after < len(b) && !ca[i+after] && !cb[j+after] {
			after++
		}
		up, down := 0, 0
		for up < eq && lines[start-1-up] == lines[end-1-up] {
			up++
		}
		for down < after && lines[start+down] == lines[end+down] {
			down++
		}
		best := down
		for o := down; o >= -up; o-- {
			if strings.TrimSpace(lines[end-1+o]) == "" {
				best = o
				break
			}
		}
		if best == 0 {
			continue
		}
		clear(marks[start:end])
		fill(marks[start+best : end+best])
		// Go on after the block where it now is; the other side's position
		// moves along with it.
		i, j = i+best, j+best
	}
}

// render turns the change marks into the lines to show, keeping context
// unchanged lines next to each change and folding longer unchanged runs.
func render(a, b []string, ca, cb []bool, context int) []Line {
	changes := 0
	for _, m := range [][]bool{ca, cb} {
		for _, c := range m {
			if c {
				changes++
			}
		}
	}
	// Each change can bring up to 2·context lines and a marker along.
	out := make([]Line, 0, changes+min(len(a), changes*(2*min(context, len(a))+1)+1))
	i, j := 0, 0
	changed := false
	for {
		start := i
		for i < len(a) && j < len(b) && !ca[i] && !cb[j] {
			i++
			j++
		}
		end := i == len(a) && j == len(b)
		out = appendUnchanged(out, a[start:i], !changed, end, context)
		if end {
			return out
		}
		progressed := false
		for ; i < len(a) && ca[i]; i++ {
			out = append(out, Line{Op: '-', Text: a[i]})
			progressed = true
		}
		for ; j < len(b) && cb[j]; j++ {
			out = append(out, Line{Op: '+', Text: b[j]})
			progressed = true
		}
		if !progressed {
			// Unbalanced marks cannot come from diffLines; should they
			// ever, show the rest as changed rather than loop or lie.
			for ; i < len(a); i++ {
				out = append(out, Line{Op: '-', Text: a[i]})
			}
			for ; j < len(b); j++ {
				out = append(out, Line{Op: '+', Text: b[j]})
			}
			return out
		}
		changed = true
	}
}

// appendUnchanged appends a run of unchanged lines, keeping context lines
// after the previous change (unless first) and before the next one (unless
// last) and folding the rest into one marker.
func appendUnchanged(out []Line, run []string, first, last bool, context int) []Line {
	head, tail := min(context, len(run)), min(context, len(run))
	if first {
		head = 0
	}
	if last {
		tail = 0
	}
	if head+tail >= len(run) {
		for _, s := range run {
			out = append(out, Line{Op: ' ', Text: s})
		}
		return out
	}
	for _, s := range run[:head] {
		out = append(out, Line{Op: ' ', Text: s})
	}
	out = append(out, Line{Op: '~', Text: "… " + strconv.Itoa(len(run)-head-tail) + " unchanged lines"})
	for _, s := range run[len(run)-tail:] {
		out = append(out, Line{Op: ' ', Text: s})
	}
	return out
}
