package snapshot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A restore's next steps are meant to be pasted into a POSIX shell, and most
// of what they hold (the commit, file names, the entrypoint) is text the
// snapshot's uploader chose. Every argument is therefore quoted, and an
// entrypoint is printed as a command only when it reads as plain words.

// quote makes s one word of a POSIX shell command: as it is when it holds
// only characters no shell treats specially, in single quotes otherwise.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plainRune(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quotePath quotes a path so that it also cannot read as an option.
func quotePath(p string) string {
	if strings.HasPrefix(p, "-") {
		p = "./" + p
	}
	return quote(p)
}

// plainRune reports a character that means itself anywhere in an unquoted
// word. '=' is one but for a command's first word, where it would make an
// assignment (see commandLine).
func plainRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-=:,+@%", r)
}

// shellWord is a word of a command line, unquoted; assign marks a leading
// NAME=value word, which a shell reads as a variable for the command.
type shellWord struct {
	text   string
	assign bool
}

// commandLine quotes words into a command line that a POSIX shell reads back
// as the same words.
func commandLine(words []shellWord) string {
	out := make([]string, len(words))
	first := true
	for i, w := range words {
		switch name, value, _ := strings.Cut(w.text, "="); {
		case w.assign:
			out[i] = name + "=" + quote(value)
		case first && strings.Contains(w.text, "="):
			out[i] = "'" + strings.ReplaceAll(w.text, "'", `'\''`) + "'"
		default:
			out[i] = quote(w.text)
		}
		first = first && w.assign
	}
	return strings.Join(out, " ")
}

// argvLine is commandLine for a program and its arguments.
func argvLine(argv []string) string {
	words := make([]shellWord, len(argv))
	for i, a := range argv {
		words[i] = shellWord{text: a}
	}
	return commandLine(words)
}

// splitPlain reads line as a POSIX shell would when it is nothing but words:
// unquoted plain characters, single quotes, double quotes without
// substitutions, backslash escapes, and leading NAME=value assignments. It
// reports false for anything else (operators such as ; | & > <, $, backquotes,
// globs, ~, #, control characters), which a shell would not take as plain
// words and which requoting would change.
func splitPlain(line string) ([]shellWord, bool) {
	if !utf8.ValidString(line) || strings.IndexFunc(line, func(r rune) bool { return r != '\t' && (unicode.IsControl(r) || invisible(r)) }) >= 0 {
		return nil, false
	}
	var (
		words  []shellWord
		cur    strings.Builder
		inWord bool
		quoted = -1 // where the word's first quoted or escaped character is
	)
	end := func() {
		if !inWord {
			return
		}
		w := shellWord{text: cur.String()}
		if eq := strings.IndexByte(w.text, '='); eq > 0 && (quoted < 0 || eq < quoted) && isName(w.text[:eq]) &&
			(len(words) == 0 || words[len(words)-1].assign) {
			w.assign = true
		}
		words = append(words, w)
		cur.Reset()
		inWord, quoted = false, -1
	}
	markQuoted := func() {
		inWord = true
		if quoted < 0 {
			quoted = cur.Len()
		}
	}
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == ' ' || r == '\t':
			end()
			i++
		case r == '\'':
			closing := strings.IndexByte(line[i+1:], '\'')
			if closing < 0 {
				return nil, false
			}
			markQuoted()
			cur.WriteString(line[i+1 : i+1+closing])
			i += closing + 2
		case r == '"':
			markQuoted()
			for i++; ; {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '"':
					i++
				case c == '$' || c == '`':
					return nil, false
				case c == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0:
					cur.WriteByte(line[i+1])
					i += 2
					continue
				default:
					cur.WriteByte(c)
					i++
					continue
				}
				break
			}
		case r == '\\':
			if i+1 >= len(line) {
				return nil, false
			}
			markQuoted()
			_, n := utf8.DecodeRuneInString(line[i+1:])
			cur.WriteString(line[i+1 : i+1+n])
			i += 1 + n
		case plainRune(r) || r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)):
			inWord = true
			cur.WriteString(line[i : i+size])
			i += size
		default:
			return nil, false
		}
	}
	end()
	return words, len(words) > 0
}

// isName reports a shell variable name.
func isName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// invisible reports the zero-width and direction-changing code points, which
// a terminal does not show as themselves.
func invisible(r rune) bool {
	return r >= 0x200b && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0xfeff
}
