package lockfile

import (
	"bytes"
	"unicode/utf8"
)

// parseJuliaManifest reads both manifest formats at once: format 2 keeps
// packages in [[deps.Name]] tables, format 1 in top-level [[Name]] tables, and
// neither writes the other's shape, so no format sniffing is needed. The name
// comes from the header; sub-tables such as [deps.Name.extensions] end the
// entry so their keys are not mistaken for the package's.
func parseJuliaManifest(s []byte) Versions {
	c := newCollector()
	var (
		active  bool
		name    string
		version []byte
	)
	flush := func() {
		if active {
			c.add(name, string(version))
		}
		active, version = false, nil
	}
	scanTOML(s, func(path [][]byte, array bool) {
		flush()
		if !array {
			return
		}
		switch {
		case len(path) == 2 && string(path[0]) == "deps":
			name, active = string(path[1]), true
		case len(path) == 1:
			name, active = string(path[0]), true
		}
	}, func(key [][]byte, val []byte, str bool) {
		if active && str && len(key) == 1 && string(key[0]) == "version" {
			version = val
		}
	})
	flush()
	return c.result()
}

// parsePackageTables reads the [[package]] tables that Cargo.lock, uv.lock
// and poetry.lock share. Only keys directly in the table count: sub-tables
// ([package.extras], [package.metadata], [[package.wheels]]) and values
// nested in arrays or inline tables (uv's dependencies = [{ name = ... }])
// name other packages, not this one.
func parsePackageTables(s []byte) Versions {
	c := newCollector()
	var (
		in, named     bool
		name, version []byte
	)
	flush := func() {
		if in && named {
			c.add(string(name), string(version))
		}
		in, named, name, version = false, false, nil, nil
	}
	scanTOML(s, func(path [][]byte, array bool) {
		flush()
		in = array && len(path) == 1 && string(path[0]) == "package"
	}, func(key [][]byte, val []byte, str bool) {
		if !in || !str || len(key) != 1 {
			return
		}
		switch string(key[0]) {
		case "name":
			name, named = val, true
		case "version":
			version = val
		}
	})
	flush()
	return c.result()
}

// scanTOML walks the statements of a TOML document and reports table headers
// and key/value pairs. It is not a TOML parser: it decodes only strings, skips
// every other value (including multi-line arrays and inline tables, whose
// contents are never reported), and on a malformed line skips to the next
// one instead of failing, so a damaged lock file still yields its readable
// entries. The slices it passes are valid until the callback returns unless
// they point into s.
//
// A header it cannot read is reported with a nil path, so keys after it are
// not credited to the previous table.
func scanTOML(s []byte, table func(path [][]byte, array bool), pair func(key [][]byte, val []byte, str bool)) {
	t := tomlScanner{s: s}
	for t.i < len(t.s) {
		switch t.s[t.i] {
		case ' ', '\t', '\r', '\n':
			t.i++
		case '#':
			t.skipLine()
		case '[':
			t.header(table)
		default:
			t.keyValue(pair)
		}
	}
}

type tomlScanner struct {
	s   []byte
	i   int
	key [][]byte // reused between statements
}

func (t *tomlScanner) header(table func([][]byte, bool)) {
	t.i++
	array := t.consume('[')
	ok := t.keyPath()
	if ok {
		t.skipSpace()
		ok = t.consume(']') && (!array || t.consume(']'))
	}
	if ok {
		table(t.key, array)
	} else {
		table(nil, false)
	}
	t.skipLine()
}

func (t *tomlScanner) keyValue(pair func([][]byte, []byte, bool)) {
	if t.keyPath() {
		t.skipSpace()
		if t.consume('=') {
			t.skipSpace()
			if val, str, ok := t.value(); ok {
				pair(t.key, val, str)
			}
		}
	}
	t.skipLine()
}

// keyPath reads a possibly dotted, possibly quoted key into t.key.
func (t *tomlScanner) keyPath() bool {
	t.key = t.key[:0]
	for {
		t.skipSpace()
		if t.i >= len(t.s) {
			return false
		}
		var seg []byte
		if c := t.s[t.i]; c == '"' || c == '\'' {
			v, ok := t.str(false)
			if !ok {
				return false
			}
			seg = v
		} else {
			start := t.i
			for t.i < len(t.s) && isBareKeyByte(t.s[t.i]) {
				t.i++
			}
			if t.i == start {
				return false
			}
			seg = t.s[start:t.i]
		}
		t.key = append(t.key, seg)
		t.skipSpace()
		if !t.consume('.') {
			return true
		}
	}
}

// isBareKeyByte is wider than TOML's A-Za-z0-9_- so that keys written by
// tools with looser rules (or TOML 1.1's Unicode bare keys) still read.
func isBareKeyByte(c byte) bool {
	if c <= ' ' || c == 0x7f {
		return false
	}
	switch c {
	case '=', '.', '[', ']', '#', '"', '\'', '{', '}', ',':
		return false
	}
	return true
}

// value consumes a value. Strings are decoded; anything else is skipped and
// reported with str false. ok is false for an unterminated string.
func (t *tomlScanner) value() (val []byte, str, ok bool) {
	if t.i >= len(t.s) {
		return nil, false, false
	}
	switch t.s[t.i] {
	case '"', '\'':
		v, ok := t.str(true)
		return v, true, ok
	case '[', '{':
		t.skipNested()
	}
	// Scalars (numbers, booleans, dates) end with the line, which the
	// caller skips.
	return nil, false, true
}

// skipNested skips a bracketed value, which may span lines and hold strings
// with brackets in them and comments. An unbalanced value runs to the end of
// the input; there is no better guess at where it was meant to end.
func (t *tomlScanner) skipNested() {
	depth := 0
	for t.i < len(t.s) {
		switch t.s[t.i] {
		case '[', '{':
			depth++
			t.i++
		case ']', '}':
			depth--
			t.i++
			if depth <= 0 {
				return
			}
		case '"', '\'':
			t.str(true) // always advances; an unterminated one stops at its line's end
		case '#':
			if j := bytes.IndexByte(t.s[t.i:], '\n'); j >= 0 {
				t.i += j
			} else {
				t.i = len(t.s)
			}
		default:
			t.i++
		}
	}
}

// str reads the string starting at t.i (a quote). Multi-line forms are only
// allowed for values, as in TOML.
func (t *tomlScanner) str(multi bool) ([]byte, bool) {
	q := t.s[t.i]
	if multi && t.i+2 < len(t.s) && t.s[t.i+1] == q && t.s[t.i+2] == q {
		t.i += 3
		if q == '"' {
			return t.multiBasic()
		}
		return t.multiLiteral()
	}
	t.i++
	if q == '"' {
		return t.basic()
	}
	start := t.i
	for t.i < len(t.s) {
		switch t.s[t.i] {
		case '\'':
			t.i++
			return t.s[start : t.i-1], true
		case '\n':
			return nil, false
		}
		t.i++
	}
	return nil, false
}

// basic reads a single-line basic string; without escapes the result points
// into the input, which keeps the common case allocation-free.
func (t *tomlScanner) basic() ([]byte, bool) {
	start := t.i
	for t.i < len(t.s) {
		switch t.s[t.i] {
		case '"':
			t.i++
			return t.s[start : t.i-1], true
		case '\n':
			return nil, false
		case '\\':
			buf := append([]byte(nil), t.s[start:t.i]...)
			for t.i < len(t.s) {
				switch c := t.s[t.i]; c {
				case '"':
					t.i++
					return buf, true
				case '\n':
					return nil, false
				case '\\':
					buf = t.escape(buf)
				default:
					buf = append(buf, c)
					t.i++
				}
			}
			return nil, false
		}
		t.i++
	}
	return nil, false
}

func (t *tomlScanner) multiBasic() ([]byte, bool) {
	t.skipNewline()
	var buf []byte
	for t.i < len(t.s) {
		switch c := t.s[t.i]; c {
		case '"':
			n := t.run('"')
			if n >= 3 { // up to two quotes may end the content
				buf = append(buf, t.s[t.i:t.i+n-3]...)
				t.i += n
				return buf, true
			}
			buf = append(buf, t.s[t.i:t.i+n]...)
			t.i += n
		case '\\':
			j := t.i + 1
			for j < len(t.s) && (t.s[j] == ' ' || t.s[j] == '\t' || t.s[j] == '\r') {
				j++
			}
			if j < len(t.s) && t.s[j] == '\n' { // line-ending backslash trims the whitespace that follows
				t.i = j
				for t.i < len(t.s) && (t.s[t.i] == ' ' || t.s[t.i] == '\t' || t.s[t.i] == '\r' || t.s[t.i] == '\n') {
					t.i++
				}
				continue
			}
			buf = t.escape(buf)
		default:
			buf = append(buf, c)
			t.i++
		}
	}
	return nil, false
}

func (t *tomlScanner) multiLiteral() ([]byte, bool) {
	t.skipNewline()
	start := t.i
	for {
		j := bytes.IndexByte(t.s[t.i:], '\'')
		if j < 0 {
			t.i = len(t.s)
			return nil, false
		}
		t.i += j
		n := t.run('\'')
		if n >= 3 {
			v := t.s[start : t.i+n-3]
			t.i += n
			return v, true
		}
		t.i += n
	}
}

// escape decodes the escape sequence at t.i (a backslash). Unknown or
// malformed escapes are kept verbatim rather than failing the string; a
// backslash before a newline is left for the caller, which ends a
// single-line string there.
func (t *tomlScanner) escape(buf []byte) []byte {
	t.i++
	if t.i >= len(t.s) || t.s[t.i] == '\n' {
		return append(buf, '\\')
	}
	c := t.s[t.i]
	t.i++
	switch c {
	case 'b':
		return append(buf, '\b')
	case 't':
		return append(buf, '\t')
	case 'n':
		return append(buf, '\n')
	case 'f':
		return append(buf, '\f')
	case 'r':
		return append(buf, '\r')
	case 'e':
		return append(buf, 0x1b)
	case '"', '\\':
		return append(buf, c)
	case 'x':
		return t.hexRune(buf, c, 2)
	case 'u':
		return t.hexRune(buf, c, 4)
	case 'U':
		return t.hexRune(buf, c, 8)
	}
	return append(buf, '\\', c)
}

func (t *tomlScanner) hexRune(buf []byte, c byte, n int) []byte {
	if t.i+n > len(t.s) {
		return append(buf, '\\', c)
	}
	var r rune
	for _, h := range t.s[t.i : t.i+n] {
		var d byte
		switch {
		case '0' <= h && h <= '9':
			d = h - '0'
		case 'a' <= h && h <= 'f':
			d = h - 'a' + 10
		case 'A' <= h && h <= 'F':
			d = h - 'A' + 10
		default:
			return append(buf, '\\', c)
		}
		r = r<<4 | rune(d)
	}
	t.i += n
	if r < 0 || !utf8.ValidRune(r) {
		r = utf8.RuneError
	}
	return utf8.AppendRune(buf, r)
}

// run counts the consecutive bytes equal to q from t.i.
func (t *tomlScanner) run(q byte) int {
	n := 0
	for t.i+n < len(t.s) && t.s[t.i+n] == q {
		n++
	}
	return n
}

func (t *tomlScanner) consume(c byte) bool {
	if t.i < len(t.s) && t.s[t.i] == c {
		t.i++
		return true
	}
	return false
}

func (t *tomlScanner) skipSpace() {
	for t.i < len(t.s) && (t.s[t.i] == ' ' || t.s[t.i] == '\t') {
		t.i++
	}
}

// skipNewline drops the newline TOML trims right after a multi-line string's
// opening delimiter.
func (t *tomlScanner) skipNewline() {
	if t.consume('\n') {
		return
	}
	if t.i+1 < len(t.s) && t.s[t.i] == '\r' && t.s[t.i+1] == '\n' {
		t.i += 2
	}
}

// skipLine moves past the next newline (or to the end), which is how every
// statement, valid or not, ends.
func (t *tomlScanner) skipLine() {
	if j := bytes.IndexByte(t.s[t.i:], '\n'); j >= 0 {
		t.i += j + 1
	} else {
		t.i = len(t.s)
	}
}
