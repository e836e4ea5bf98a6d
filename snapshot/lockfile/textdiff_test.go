package lockfile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// refLines splits like TextDiff is documented to, independently of splitLines.
func refLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// checkDiff verifies that lines is a correct diff of a and b: walking it
// consumes exactly the lines of a (' ', '-', markers) and of b (' ', '+',
// markers), markers stand for lines equal on both sides, and no more than
// context unchanged lines are shown in a row next to a change.
func checkDiff(a, b string, context int, lines []Line) error {
	al, bl := refLines(a), refLines(b)
	i, j := 0, 0
	shown := 0         // unchanged lines shown in a row
	edgeBefore := true // the run started at the beginning or after a marker
	for k, l := range lines {
		if l.Op != ' ' {
			limit := 2 * context
			if edgeBefore || l.Op == '~' {
				limit = context
			}
			if shown > limit {
				return fmt.Errorf("line %d: %d unchanged lines shown in a row, context %d", k, shown, context)
			}
			shown, edgeBefore = 0, l.Op == '~'
		}
		switch l.Op {
		case ' ':
			if i >= len(al) || j >= len(bl) || al[i] != l.Text || bl[j] != l.Text {
				return fmt.Errorf("line %d: unchanged %q is not a[%d] and b[%d]", k, l.Text, i, j)
			}
			i, j, shown = i+1, j+1, shown+1
		case '-':
			if i >= len(al) || al[i] != l.Text {
				return fmt.Errorf("line %d: removed %q is not a[%d]", k, l.Text, i)
			}
			i++
		case '+':
			if j >= len(bl) || bl[j] != l.Text {
				return fmt.Errorf("line %d: added %q is not b[%d]", k, l.Text, j)
			}
			j++
		case '~':
			var n int
			if _, err := fmt.Sscanf(l.Text, "… %d unchanged lines", &n); err != nil || n <= 0 {
				return fmt.Errorf("line %d: bad marker %q", k, l.Text)
			}
			if k > 0 && lines[k-1].Op == '~' {
				return fmt.Errorf("line %d: two markers in a row", k)
			}
			if i+n > len(al) || j+n > len(bl) || !slices.Equal(al[i:i+n], bl[j:j+n]) {
				return fmt.Errorf("line %d: marker hides %d lines that are not unchanged at a[%d], b[%d]", k, n, i, j)
			}
			i, j = i+n, j+n
		default:
			return fmt.Errorf("line %d: bad op %q", k, l.Op)
		}
	}
	if shown > context {
		return fmt.Errorf("%d unchanged lines shown at the end, context %d", shown, context)
	}
	if i != len(al) || j != len(bl) {
		return fmt.Errorf("diff covers %d of %d lines of a and %d of %d of b", i, len(al), j, len(bl))
	}
	return nil
}

func numbered(n int, change map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := change[i]; ok {
			b.WriteString(s)
		} else {
			fmt.Fprintf(&b, "line %d", i)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestTextDiff(t *testing.T) {
	hundred := numbered(100, nil)
	tests := []struct {
		name    string
		a, b    string
		context int
		want    []Line
	}{
		{name: "both empty", want: nil},
		{name: "identical", a: hundred, b: hundred, context: 3, want: []Line{{'~', "… 100 unchanged lines"}}},
		{
			name: "one change in the middle", a: hundred, b: numbered(100, map[int]string{50: "LINE 50"}), context: 2,
			want: []Line{
				{'~', "… 47 unchanged lines"},
				{' ', "line 48"}, {' ', "line 49"},
				{'-', "line 50"}, {'+', "LINE 50"},
				{' ', "line 51"}, {' ', "line 52"},
				{'~', "… 48 unchanged lines"},
			},
		},
		{
			name: "two changes close together share their context", a: numbered(10, nil), b: numbered(10, map[int]string{3: "x", 7: "y"}), context: 2,
			want: []Line{
				{' ', "line 1"}, {' ', "line 2"}, {'-', "line 3"}, {'+', "x"},
				{' ', "line 4"}, {' ', "line 5"}, {' ', "line 6"}, {'-', "line 7"}, {'+', "y"},
				{' ', "line 8"}, {' ', "line 9"},
				{'~', "… 1 unchanged lines"},
			},
		},
		{name: "from nothing", a: "", b: "a\nb\n", context: 3, want: []Line{{'+', "a"}, {'+', "b"}}},
		{name: "to nothing", a: "a\nb", b: "", context: 3, want: []Line{{'-', "a"}, {'-', "b"}}},
		{name: "missing final newline is not a change", a: "a\nb\n", b: "a\nb", context: 1, want: []Line{{'~', "… 2 unchanged lines"}}},
		{name: "empty line added at the end", a: "a\n", b: "a\n\n", context: 1, want: []Line{{' ', "a"}, {'+', ""}}},
		{name: "context 0", a: "a\nb\nc\n", b: "a\nB\nc\n", context: 0, want: []Line{{'~', "… 1 unchanged lines"}, {'-', "b"}, {'+', "B"}, {'~', "… 1 unchanged lines"}}},
		{name: "negative context is 0", a: "a\nb\nc\n", b: "a\nB\nc\n", context: -5, want: []Line{{'~', "… 1 unchanged lines"}, {'-', "b"}, {'+', "B"}, {'~', "… 1 unchanged lines"}}},
		{
			// Lines are split at "\n" only, so the "\r" of a CRLF line is
			// part of its text and every line differs.
			name: "CRLF against LF", a: "a\r\nb\r\n", b: "a\nb\n", context: 3,
			want: []Line{{'-', "a\r"}, {'-', "b\r"}, {'+', "a"}, {'+', "b"}},
		},
		{
			name: "insertion keeps the rest unchanged", a: "[[package]]\nname = \"a\"\n\n[[package]]\nname = \"c\"\n",
			b: "[[package]]\nname = \"a\"\n\n[[package]]\nname = \"b\"\n\n[[package]]\nname = \"c\"\n", context: 9,
			want: []Line{{' ', "[[package]]"}, {' ', "name = \"a\""}, {' ', ""}, {'+', "[[package]]"}, {'+', "name = \"b\""}, {'+', ""}, {' ', "[[package]]"}, {' ', "name = \"c\""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TextDiff([]byte(tt.a), []byte(tt.b), tt.context)
			if !slices.Equal(got, tt.want) {
				t.Errorf("TextDiff:\n got %s\nwant %s", showLines(got), showLines(tt.want))
			}
			if err := checkDiff(tt.a, tt.b, max(tt.context, 0), got); err != nil {
				t.Error(err)
			}
		})
	}
}

func showLines(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "\n    %c%q", l.Op, l.Text)
	}
	return b.String()
}

// The diff up to exactSize lines must be minimal: as many changed lines as
// the longest common subsequence leaves.
func TestTextDiffMinimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 3000 {
		a, b := randomText(rng, rng.IntN(exactSize/2+1), 1+n%6), randomText(rng, rng.IntN(exactSize/2+1), 1+n%6)
		got := TextDiff([]byte(a), []byte(b), 1000)
		if err := checkDiff(a, b, 1000, got); err != nil {
			t.Fatalf("TextDiff(%q, %q): %v", a, b, err)
		}
		if edits, want := countEdits(got), minEdits(refLines(a), refLines(b)); edits != want {
			t.Fatalf("TextDiff(%q, %q): %d edits, want the minimum %d%s", a, b, edits, want, showLines(got))
		}
	}
}

// Inputs over exactSize are cut at unique lines first; the pieces must
// still add up to a correct diff, whatever the mix of repeated and unique
// lines.
func TestTextDiffAnchored(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 3000 {
		a := randomText(rng, 60+rng.IntN(300), 2+n%40)
		b := mutate(rng, a)
		if err := checkDiff(a, b, 2, TextDiff([]byte(a), []byte(b), 2)); err != nil {
			t.Fatalf("TextDiff(%q, %q): %v", a, b, err)
		}
	}
}

func randomText(rng *rand.Rand, lines, alphabet int) string {
	var b strings.Builder
	for range lines {
		fmt.Fprintf(&b, "%c\n", 'a'+rng.IntN(alphabet))
	}
	return b.String()
}

// mutate applies a few random line edits.
func mutate(rng *rand.Rand, s string) string {
	lines := refLines(s)
	for range rng.IntN(6) {
		i := rng.IntN(len(lines) + 1)
		switch rng.IntN(3) {
		case 0:
			lines = slices.Insert(lines, i, fmt.Sprint("new ", rng.IntN(1000)))
		case 1:
			if i < len(lines) {
				lines = slices.Delete(lines, i, i+1)
			}
		default:
			if i < len(lines) {
				lines[i] = fmt.Sprint("changed ", rng.IntN(1000))
			}
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

func countEdits(lines []Line) int {
	n := 0
	for _, l := range lines {
		if l.Op == '-' || l.Op == '+' {
			n++
		}
	}
	return n
}

// minEdits is len(a)+len(b)-2·LCS by dynamic programming.
func minEdits(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return len(a) + len(b) - 2*prev[len(b)]
}

func bigText(lines int, change map[int]string) string {
	var b strings.Builder
	for i := range lines {
		if s, ok := change[i]; ok {
			b.WriteString(s)
		} else {
			// Repeated lines, as in real lock files, next to unique ones.
			switch i % 4 {
			case 0:
				fmt.Fprintf(&b, "[[package]] # %d", i)
			case 1:
				fmt.Fprintf(&b, "name = \"pkg%d\"", i)
			case 2:
				b.WriteString("version = \"1.0.0\"")
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestTextDiffLarge(t *testing.T) {
	change := map[int]string{10: "inserted?", 12345: "version = \"2.0.0\"", 30001: "name = \"renamed\"", 49990: "last"}
	a, b := bigText(50000, nil), bigText(50000, change)
	got := TextDiff([]byte(a), []byte(b), 3)
	if err := checkDiff(a, b, 3, got); err != nil {
		t.Fatal(err)
	}
	for i, s := range change {
		old := refLines(a)[i]
		if !slices.Contains(got, Line{'-', old}) || !slices.Contains(got, Line{'+', s}) {
			t.Errorf("change of line %d from %q to %q missing", i, old, s)
		}
	}
	if edits := countEdits(got); edits != 2*len(change) {
		t.Errorf("%d changed lines, want %d:%s", edits, 2*len(change), showLines(got))
	}

	// Unrelated large files, and shuffled ones, must come back quickly too.
	c := strings.ReplaceAll(b, "pkg", "other")
	if err := checkDiff(a, c, 3, TextDiff([]byte(a), []byte(c), 3)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	shuffled := refLines(a)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	d := strings.Join(shuffled, "\n") + "\n"
	if err := checkDiff(a, d, 3, TextDiff([]byte(a), []byte(d), 3)); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkTextDiff(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	base := bigText(200000, nil)
	shuffled := refLines(base)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, bc := range []struct {
		name string
		a, b string
	}{
		{"few changes", base, bigText(200000, map[int]string{5: "x", 100000: "y", 150001: "z"})},
		{"many changes", base, mutateEvery(base, 50)},
		{"shuffled", base, strings.Join(shuffled, "\n")},
		{"small, all different", randomText(rng, 10000, 3), randomText(rng, 10000, 3)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.a) + len(bc.b)))
			for b.Loop() {
				TextDiff([]byte(bc.a), []byte(bc.b), 3)
			}
		})
	}
}

func mutateEvery(s string, n int) string {
	lines := refLines(s)
	for i := 0; i < len(lines); i += n {
		lines[i] = "changed"
	}
	return strings.Join(lines, "\n") + "\n"
}
