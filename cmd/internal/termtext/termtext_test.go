package termtext

import (
	"strings"
	"testing"
	"unicode"
)

func TestLineAndText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, line, text string }{
		{"plain text", "plain text", "plain text"},
		{"a\nb\tc", "a b c", "a\nb\tc"},
		{"title\x1b]0;owned\x07 after", "title after", "title after"},
		{"title\x1b]0;owned\x1b\\ after", "title after", "title after"},
		{"\x1b[2J\x1b[1;31mred\x1b[0m", "red", "red"},
		{"\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link", "link"},
		{"over\rwrite\b\a", "overwrite", "overwrite"},
		{"\x1bcreset \x1b(0line", "reset line", "reset line"},
		{"c1 \u009b31mcsi \u009d0;t\u009c osc", "c1 csi  osc", "c1 csi  osc"},
		{"bad \x9b31m byte", "bad \uFFFD31m byte", "bad \uFFFD31m byte"},
		{"rtl \u202eexe.txt\u202c zw\u200bj", "rtl exe.txt zwj", "rtl exe.txt zwj"},
		{"unterminated \x1b]0;title", "unterminated ", "unterminated "},
		{"trailing \x1b", "trailing ", "trailing "},
		{"ünïcode ✓", "ünïcode ✓", "ünïcode ✓"},
	} {
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"a\x1b[31mb", "\x1b]0;x\x07", "\u009b1m", "\xff\xfe", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Text(s)} {
			if i := strings.IndexFunc(out, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' || hidden(r) }); i >= 0 {
				t.Fatalf("%q cleaned to %q, which holds %q", s, out, out[i:])
			}
		}
		if strings.ContainsAny(Line(s), "\n\t") {
			t.Fatalf("Line(%q) = %q spans lines", s, Line(s))
		}
		if Text(Text(s)) != Text(s) || Line(Line(s)) != Line(s) {
			t.Fatalf("cleaning %q twice changes it", s)
		}
	})
}
