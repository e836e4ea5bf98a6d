package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/deardiary/deardiary-go/core"
)

// checkJSON refuses, with EInvalid, what encoding/json would read loosely
// into dst: text that is not UTF-8 (a string with such bytes, or a \u escape
// that is half of a surrogate pair, which it reads as U+FFFD), a field given
// twice in one object at any depth (it keeps the last), a field named like
// one of dst's only when case is ignored ({"Name": ...}, which it takes for
// "name"), and a string where dst holds a json.Number ("0.5" for a metric's
// value, which it takes for 0.5). Unknown fields stay allowed, as upstream.
//
// It checks only the first JSON value of data and leaves whatever is not
// JSON to encoding/json, which words that error; it reads data in place,
// allocating little more than the field names, so a snapshot of hundreds of
// megabytes costs one pass.
func checkJSON(data []byte, dst any) error {
	w := jsonWalker{data: data}
	w.space()
	if w.i == len(w.data) {
		return nil
	}
	err := w.value(shapeOf(reflect.TypeOf(dst)))
	if !errors.Is(err, errNotJSON) {
		return err
	}
	// The walker gave up. If encoding/json takes what it gave up on, the
	// checks above were skipped: refuse rather than let it through.
	var first json.RawMessage
	if json.NewDecoder(bytes.NewReader(data)).Decode(&first) == nil {
		return core.Invalid("the request body is JSON that ddd cannot check; send plain JSON")
	}
	return nil
}

// decodeStrict reads data, a whole request body, into dst as decodeBody
// does, after checkJSON.
func decodeStrict(data []byte, dst any, limit int64) error {
	if err := checkJSON(data, dst); err != nil {
		return err
	}
	return decodeBody(bytes.NewReader(data), dst, limit)
}

// errNotJSON stops the walk at what is not JSON.
var errNotJSON = errors.New("not JSON")

// maxJSONDepth is encoding/json's own nesting limit.
const maxJSONDepth = 10000

// shape is what a destination type expects of a JSON value, as far as
// checkJSON's rules go.
type shape struct {
	kind shapeKind
	// fields are a struct's JSON field names, exactly as encoding/json
	// matches them first, each with its own shape.
	fields map[string]*shape
	// elem is the shape of a list's elements or a map's values.
	elem *shape
}

type shapeKind uint8

const (
	anyShape    shapeKind = iota // any value: only the rules for all JSON
	structShape                  // an object with known fields
	mapShape                     // an object of any fields, values of elem
	listShape                    // an array of elem
	numberShape                  // a json.Number: a number or null, never a string
)

var (
	anyValue        = &shape{kind: anyShape}
	numberType      = reflect.TypeFor[json.Number]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	// shapes caches each destination type's shape.
	shapes sync.Map // reflect.Type -> *shape
)

func shapeOf(t reflect.Type) *shape {
	if t == nil {
		return anyValue
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s, _ := shapes.LoadOrStore(t, buildShape(t, map[reflect.Type]*shape{}))
	return s.(*shape)
}

// buildShape follows encoding/json's reading of t; building holds the
// struct, map and list shapes under construction, for recursive types.
func buildShape(t reflect.Type, building map[reflect.Type]*shape) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := building[t]; ok {
		return s
	}
	switch {
	case t == numberType:
		return &shape{kind: numberShape}
	case reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType):
		return anyValue // its own UnmarshalJSON decides what it takes
	}
	switch t.Kind() {
	case reflect.Struct:
		s := &shape{kind: structShape, fields: map[string]*shape{}}
		building[t] = s
		addFields(s, t, building)
		return s
	case reflect.Map:
		s := &shape{kind: mapShape}
		building[t] = s
		s.elem = buildShape(t.Elem(), building)
		return s
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return anyValue // []byte is base64 text
		}
		s := &shape{kind: listShape}
		building[t] = s
		s.elem = buildShape(t.Elem(), building)
		return s
	}
	return anyValue
}

// addFields adds t's JSON fields to s: its own first, then those of the
// structs it embeds without a name, which it does not shadow.
func addFields(s *shape, t reflect.Type, building map[reflect.Type]*shape) {
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			embedded = append(embedded, ft)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, taken := s.fields[name]; taken {
			continue
		}
		if strings.Contains(","+opts+",", ",string,") {
			s.fields[name] = anyValue // a number or bool quoted as a string
			continue
		}
		s.fields[name] = buildShape(f.Type, building)
	}
	for _, e := range embedded {
		inner := &shape{kind: structShape, fields: map[string]*shape{}}
		addFields(inner, e, building)
		for name, fs := range inner.fields {
			if _, taken := s.fields[name]; !taken {
				s.fields[name] = fs
			}
		}
	}
}

// foldedField is the field of s that name matches only when case is
// ignored, as encoding/json would match it, or "".
func (s *shape) foldedField(name string) string {
	for known := range s.fields {
		if strings.EqualFold(known, name) {
			return known
		}
	}
	return ""
}

// jsonWalker reads one JSON value at a time from data, checking it against
// a shape.
type jsonWalker struct {
	data  []byte
	i     int
	depth int
	// path is where the walk is, for messages: a field name, or an index
	// when key is empty and index is not -1.
	path []pathStep
}

type pathStep struct {
	key   string
	index int
}

// refuse is the error for the value at the walker's path.
func (w *jsonWalker) refuse(format string, args ...any) error {
	var b strings.Builder
	for _, p := range w.path {
		if p.index >= 0 {
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.key)
	}
	where := b.String()
	if where == "" {
		where = "the request body"
	}
	return core.Invalid("%s: %s", where, fmt.Sprintf(format, args...))
}

func (w *jsonWalker) space() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

func (w *jsonWalker) value(s *shape) error {
	w.space()
	if w.i >= len(w.data) {
		return errNotJSON
	}
	switch c := w.data[w.i]; {
	case c == '{':
		return w.object(s)
	case c == '[':
		return w.array(s)
	case c == '"':
		if s.kind == numberShape {
			// Check the text first: its bytes are the worse problem.
			start := w.i
			if _, err := w.str(false); err != nil {
				return err
			}
			return w.refuse("want a JSON number, not the string %s", clip(w.data[start:w.i]))
		}
		_, err := w.str(false)
		return err
	case c == 't':
		return w.literal("true")
	case c == 'f':
		return w.literal("false")
	case c == 'n':
		return w.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return w.number()
	}
	return errNotJSON
}

// clip is a piece of JSON for a message, cut short when long.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

func (w *jsonWalker) literal(word string) error {
	if !bytes.HasPrefix(w.data[w.i:], []byte(word)) {
		return errNotJSON
	}
	w.i += len(word)
	return nil
}

func (w *jsonWalker) number() error {
	digits := func() bool {
		start := w.i
		for w.i < len(w.data) && w.data[w.i] >= '0' && w.data[w.i] <= '9' {
			w.i++
		}
		return w.i > start
	}
	if w.data[w.i] == '-' {
		w.i++
	}
	switch {
	case w.i < len(w.data) && w.data[w.i] == '0':
		w.i++
	case !digits():
		return errNotJSON
	}
	if w.i < len(w.data) && w.data[w.i] == '.' {
		w.i++
		if !digits() {
			return errNotJSON
		}
	}
	if w.i < len(w.data) && (w.data[w.i] == 'e' || w.data[w.i] == 'E') {
		w.i++
		if w.i < len(w.data) && (w.data[w.i] == '+' || w.data[w.i] == '-') {
			w.i++
		}
		if !digits() {
			return errNotJSON
		}
	}
	return nil
}

func (w *jsonWalker) enter() error {
	if w.depth++; w.depth > maxJSONDepth {
		return errNotJSON // encoding/json refuses it too
	}
	return nil
}

func (w *jsonWalker) object(s *shape) error {
	if err := w.enter(); err != nil {
		return err
	}
	w.i++ // {
	// An object has few fields, compared in a list; a map takes over for many.
	var seen []string
	var seenMap map[string]bool
	w.space()
	if w.i < len(w.data) && w.data[w.i] == '}' {
		w.i++
		w.depth--
		return nil
	}
	for {
		w.space()
		if w.i >= len(w.data) || w.data[w.i] != '"' {
			return errNotJSON
		}
		name, err := w.str(true)
		if err != nil {
			return err
		}
		w.space()
		if w.i >= len(w.data) || w.data[w.i] != ':' {
			return errNotJSON
		}
		w.i++
		child := anyValue
		switch s.kind {
		case structShape:
			if f, ok := s.fields[name]; ok {
				child = f
			} else if known := s.foldedField(name); known != "" {
				return w.refuse("the field %q is spelled %q; ddd reads field names only as they are written", name, known)
			}
		case mapShape:
			child = s.elem
		}
		switch {
		case seenMap != nil:
			if seenMap[name] {
				return w.refuse("the field %q is given twice", name)
			}
			seenMap[name] = true
		default:
			for _, n := range seen {
				if n == name {
					return w.refuse("the field %q is given twice", name)
				}
			}
			if seen = append(seen, name); len(seen) > 16 {
				seenMap = map[string]bool{}
				for _, n := range seen {
					seenMap[n] = true
				}
			}
		}
		w.path = append(w.path, pathStep{key: name, index: -1})
		if err := w.value(child); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		w.space()
		if w.i >= len(w.data) {
			return errNotJSON
		}
		switch w.data[w.i] {
		case ',':
			w.i++
		case '}':
			w.i++
			w.depth--
			return nil
		default:
			return errNotJSON
		}
	}
}

func (w *jsonWalker) array(s *shape) error {
	if err := w.enter(); err != nil {
		return err
	}
	w.i++ // [
	elem := anyValue
	if s.kind == listShape {
		elem = s.elem
	}
	w.space()
	if w.i < len(w.data) && w.data[w.i] == ']' {
		w.i++
		w.depth--
		return nil
	}
	w.path = append(w.path, pathStep{index: 0})
	for n := 0; ; n++ {
		w.path[len(w.path)-1].index = n
		if err := w.value(elem); err != nil {
			return err
		}
		w.space()
		if w.i >= len(w.data) {
			return errNotJSON
		}
		switch w.data[w.i] {
		case ',':
			w.i++
		case ']':
			w.i++
			w.depth--
			w.path = w.path[:len(w.path)-1]
			return nil
		default:
			return errNotJSON
		}
	}
}

// plainByte marks the bytes a string may hold as they are: printable ASCII
// but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string, refusing text that is not UTF-8 or names half of a
// surrogate pair; it returns the text when decode is set.
func (w *jsonWalker) str(decode bool) (string, error) {
	w.i++ // "
	start, escaped := w.i, false
	for w.i < len(w.data) {
		for w.i < len(w.data) && plainByte[w.data[w.i]] {
			w.i++
		}
		if w.i >= len(w.data) {
			break
		}
		switch c := w.data[w.i]; {
		case c == '"':
			raw := w.data[start-1 : w.i+1]
			w.i++
			switch {
			case !decode:
				return "", nil
			case !escaped:
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", errNotJSON
			}
			return s, nil
		case c == '\\':
			escaped = true
			if err := w.escape(); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", errNotJSON
		default:
			r, size := utf8.DecodeRune(w.data[w.i:])
			if r == utf8.RuneError && size <= 1 {
				return "", w.refuse("a string holds bytes that are not UTF-8 text")
			}
			w.i += size
		}
	}
	return "", errNotJSON
}

// escape reads one escape sequence; a \u escape of a surrogate must be the
// first half of a pair whose second half follows.
func (w *jsonWalker) escape() error {
	w.i++ // \
	if w.i >= len(w.data) {
		return errNotJSON
	}
	switch w.data[w.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		w.i++
		return nil
	case 'u':
	default:
		return errNotJSON
	}
	r, ok := hex4(w.data[w.i+1:])
	if !ok {
		return errNotJSON
	}
	w.i += 5
	switch {
	case r < 0xd800 || r > 0xdfff:
		return nil
	case r <= 0xdbff && bytes.HasPrefix(w.data[w.i:], []byte(`\u`)):
		if low, ok := hex4(w.data[w.i+2:]); ok && low >= 0xdc00 && low <= 0xdfff {
			w.i += 6
			return nil
		}
	}
	return w.refuse("a string holds \\u%04x, half of a UTF-16 surrogate pair, which is no character", r)
}

// hex4 reads the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
