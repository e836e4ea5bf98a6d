// Package termtext makes text that others wrote safe to print to a
// terminal. A snapshot's entrypoint, a directory's name or a daemon's error
// message may hold escape sequences that retitle the window, clear the
// screen, colour what follows, plant a hyperlink or move the cursor to
// overwrite what was printed; the commands of ddd print them through here.
package termtext

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s for one line of a terminal: escape sequences and control
// characters removed (newlines and tabs become spaces), bytes that are not
// UTF-8 replaced with U+FFFD, and the code points that reorder or hide text
// (bidirectional overrides, zero-width characters) removed.
func Line(s string) string { return clean(s, false) }

// Text is Line for a message of several lines: newlines and tabs stay.
func Text(s string) string { return clean(s, true) }

func clean(s string, lines bool) string {
	if isPlain(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\x1b' || r >= 0x80 && r <= 0x9f:
			i += escapeLength(s[i:])
			continue
		case r == '\n' || r == '\t':
			if lines {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case unicode.IsControl(r) || hidden(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPlain reports printable ASCII, the usual case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// escapeLength is the length of the escape sequence s starts with (ESC, or
// a C1 control): a CSI sequence up to its final byte; an OSC, DCS, SOS, PM
// or APC string up to its terminator (BEL or ST), or to the end when it has
// none; else ESC with its intermediate bytes and final byte.
func escapeLength(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	kind := r
	if r == '\x1b' {
		if len(s) < 2 {
			return n
		}
		if c1, ok := map[byte]rune{'[': 0x9b, ']': 0x9d, 'P': 0x90, 'X': 0x98, '^': 0x9e, '_': 0x9f}[s[1]]; ok {
			kind = c1
			n++
		}
	}
	switch kind {
	case 0x9b: // CSI: parameters and intermediates, then one final byte
		for n < len(s) {
			c := s[n]
			n++
			if c >= 0x40 && c <= 0x7e || c < 0x20 {
				break
			}
		}
		return n
	case 0x9d, 0x90, 0x98, 0x9e, 0x9f: // a string, up to BEL or ST
		for n < len(s) {
			switch {
			case s[n] == '\a':
				return n + 1
			case strings.HasPrefix(s[n:], "\x1b\\"):
				return n + 2
			case strings.HasPrefix(s[n:], "\u009c"):
				return n + len("\u009c")
			}
			n++
		}
		return n
	case '\x1b': // ESC, intermediates, a final byte
		for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
			n++
		}
		return n
	}
	return n // another C1 control, alone
}

// hidden reports code points a terminal does not show as themselves:
// bidirectional embeddings, overrides and isolates, zero-width characters
// and the byte-order mark.
func hidden(r rune) bool {
	return r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2060 && r <= 0x2069 || r == 0xfeff
}

// NewWriter returns a writer that passes each write to w as Text. It suits
// writers that get whole messages in one write, as the flag package's
// output does; an escape sequence split across writes is not seen as one.
func NewWriter(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (w writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, Text(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
