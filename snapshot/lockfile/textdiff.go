package lockfile

import (
	"strconv"
	"strings"

	"github.com/aymanbagabas/go-udiff/lcs"
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

// go-udiff's Myers search (golang.org/x/tools' internal diff) gives up after
// about 100 edits and then returns a correct but far from minimal script: it
// keeps the common stretches it found from each end and replaces everything
// between. Measured against the minimal number of changed lines, it gives
// 5,393 for the uv.lock pair of testdata/lockfiles (minimal 1,739), 767 for
// the go.sum pair (535) and 64,700 for two 2.7 MB go.sum files whose every
// 50th module moved (1,392), so a text diff of a lock file would show most of
// it as removed and added again. Cutting the inputs first at lines that
// occur once on each side (patience diff) leaves pieces small enough for it:
// 1,749, 535 and 1,392 on the same inputs.
const (
	// exactSize is the size (lines of a and b together) up to which a piece
	// goes to go-udiff as it is: no piece that small needs more edits than
	// its search allows, so the result is minimal.
	exactSize = 100
	// maxAnchorDepth bounds the recursion of the cutting.
	maxAnchorDepth = 48
)

// TextDiff returns a line diff of a and b, for the files Parse does not
// understand and for users who want to see the bytes.
//
// The diff is minimal when a and b, less their common first and last lines,
// add up to at most 100 lines. Larger inputs are first cut at lines that
// occur once in each (patience diff), and the pieces diffed with go-udiff:
// time stays near linear and the result is always a correct edit script,
// close to minimal on lock files but not always minimal.
//
// Only context unchanged lines are kept before and after each change; a
// longer run of unchanged lines is replaced by one Line{Op: '~', Text: "… N
// unchanged lines"}, so the user sees where and how much was skipped.
// Identical inputs give a single such marker (or nothing when both are
// empty): there is no change to show context around.
func TextDiff(a, b []byte, context int) []Line {
	al, bl := splitLines(a), splitLines(b)
	ca, cb := diffLines(al, bl)
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
func diffLines(a, b []string) (ca, cb []bool) {
	ca, cb = make([]bool, len(a)), make([]bool, len(b))
	// The common ends, most of a lock file that changed in a few places,
	// need no interning.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	a, b = a[pre:len(a)-suf], b[pre:len(b)-suf]
	d := differ{a: a, b: b, ca: ca[pre : len(ca)-suf], cb: cb[pre : len(cb)-suf]}
	// Lines become small integers so that counting them is indexing.
	ids := make(map[string]int, len(a))
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
	d.ia, d.ib = intern(a), intern(b)
	d.count = make([]int32, 2*len(ids))
	d.posB = make([]int, len(ids))
	d.anchored(0, len(a), 0, len(b), 0)
	return ca, cb
}

type differ struct {
	a, b   []string
	ia, ib []int // line ids
	ca, cb []bool

	count []int32 // occurrences per line id in a (even index) and b (odd)
	posB  []int   // where a line id last occurs in b
}

// anchored diffs a[a0:a1] and b[b0:b1]: pieces up to exactSize lines, or
// without a line that occurs once on each side, go to go-udiff; larger ones
// are cut at the longest increasing run of such lines, and the stretches
// between them diffed the same way.
func (d *differ) anchored(a0, a1, b0, b1, depth int) {
	for a0 < a1 && b0 < b1 && d.ia[a0] == d.ib[b0] {
		a0, b0 = a0+1, b0+1
	}
	for a0 < a1 && b0 < b1 && d.ia[a1-1] == d.ib[b1-1] {
		a1, b1 = a1-1, b1-1
	}
	if a0 == a1 || b0 == b1 {
		fill(d.ca[a0:a1])
		fill(d.cb[b0:b1])
		return
	}
	var anchors []match
	if (a1-a0)+(b1-b0) > exactSize && depth < maxAnchorDepth {
		anchors = d.unique(a0, a1, b0, b1)
	}
	if len(anchors) == 0 {
		for _, e := range lcs.DiffLines(d.a[a0:a1], d.b[b0:b1]) {
			fill(d.ca[a0+e.Start : a0+e.End])
			fill(d.cb[b0+e.ReplStart : b0+e.ReplEnd])
		}
		return
	}
	for _, p := range increasing(anchors) {
		d.anchored(a0, p.a, b0, p.b, depth+1)
		a0, b0 = p.a+1, p.b+1
	}
	d.anchored(a0, a1, b0, b1, depth+1)
}

// unique returns the lines that occur exactly once in a[a0:a1] and once in
// b[b0:b1], in a's order, paired with their place in b.
func (d *differ) unique(a0, a1, b0, b1 int) []match {
	for _, id := range d.ia[a0:a1] {
		d.count[2*id]++
	}
	for j := b0; j < b1; j++ {
		id := d.ib[j]
		d.count[2*id+1]++
		d.posB[id] = j
	}
	var out []match
	for i := a0; i < a1; i++ {
		if id := d.ia[i]; d.count[2*id] == 1 && d.count[2*id+1] == 1 {
			out = append(out, match{i, d.posB[id]})
		}
	}
	for _, id := range d.ia[a0:a1] {
		d.count[2*id] = 0
	}
	for _, id := range d.ib[b0:b1] {
		d.count[2*id+1] = 0
	}
	return out
}

func fill(marks []bool) {
	for i := range marks {
		marks[i] = true
	}
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
