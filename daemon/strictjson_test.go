package daemon

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/deardiary/deardiary-go/core"
)

// looseJSON is a second reading of checkJSON's rules for all JSON, made
// differently: encoding/json's own tokens, with each string's text judged
// by unicode/utf16. It reports whether data's first value holds a field
// given twice in one object or a string that is not UTF-8 text, and ok
// when that value is JSON at all.
func looseJSON(data []byte) (loose, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object, wantName bool
		names            map[string]bool
	}
	var stack []*frame
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantName = true
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return false, false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, wantName: true, names: map[string]bool{}})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			raw := data[start:dec.InputOffset()]
			raw = raw[bytes.IndexByte(raw, '"') : bytes.LastIndexByte(raw, '"')+1]
			if looseString(raw) {
				loose = true
			}
			if top := len(stack) - 1; top >= 0 && stack[top].object && stack[top].wantName {
				if stack[top].names[v] {
					loose = true
				}
				stack[top].names[v], stack[top].wantName = true, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			return loose, true
		}
	}
}

// looseString reports whether a JSON string, quotes included, holds bytes
// that are not UTF-8 or \u escapes that do not pair up into characters.
func looseString(raw []byte) bool {
	if !utf8.Valid(raw) {
		return true
	}
	var units []uint16
	unpaired := func() bool {
		defer func() { units = units[:0] }()
		want := 0
		for _, u := range units {
			if u == utf8.RuneError {
				want++
			}
		}
		got := 0
		for _, r := range utf16.Decode(units) {
			if r == utf8.RuneError {
				got++
			}
		}
		return got > want
	}
	for i := 1; i < len(raw)-1; {
		if raw[i] == '\\' && raw[i+1] == 'u' {
			var u uint16
			for _, c := range raw[i+2 : i+6] {
				u = u<<4 | uint16(strings.IndexByte("0123456789abcdef", byte(c|0x20)))
			}
			units = append(units, u)
			i += 6
			continue
		}
		if unpaired() {
			return true
		}
		if raw[i] == '\\' {
			i += 2
		} else {
			i++
		}
	}
	return unpaired()
}

var strictSeeds = []string{
	`{"name":"p","description":"d"}`, `{"name":"a","name":"b"}`, `{"a":{"b":[{"c":1,"c":2}]}}`,
	`{"n\u0061me":"x","name":"y"}`, `["\ud83d\ude00","\ud800","\udc00x","\ud800\ud800\udc00"]`,
	"{\"k\":\"caf\xe9\"}", "\"\xed\xa0\x80\"", `{"metrics":[{"key":"a","value":"0.5"}]}`,
	`{"Metrics":[],"STEP":1}`, `[1,-0.5e+3,true,false,null,{},[]]`, `{"a":1} {"a":1,"a":2}`,
	`{"a":1,}`, `{"a" 1}`, `"\u00e9\\u0000\/"`, `[[[[[[[[[[]]]]]]]]]]`, `{"x":"\ufffd","y":"\uFFFD"}`, ``, ` `, `nul`,
}

// FuzzCheckJSON holds checkJSON's rules for all JSON to looseJSON: it
// refuses a value exactly when that finds a field given twice or text that
// is not UTF-8; it never refuses anything with another code, and never
// panics.
//
//	go test ./daemon/ -run '^$' -fuzz FuzzCheckJSON -fuzztime 1m
func FuzzCheckJSON(f *testing.F) {
	for _, s := range strictSeeds {
		f.Add([]byte(s))
	}
	f.Add(batchBody(4))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		err := checkJSON(data, &v)
		if err != nil && core.ErrorCode(err) != core.EInvalid {
			t.Fatalf("%q: %v, want EInvalid", data, err)
		}
		// The shaped checks must not panic either.
		_ = checkJSON(data, &metricBatchIn{})
		_ = checkJSON(data, &batchJSON{})
		_ = checkJSON(data, &snapshotJSON{})
		loose, ok := looseJSON(data)
		if !ok {
			return // not JSON: encoding/json refuses it, with or without checkJSON
		}
		if loose != (err != nil) {
			t.Fatalf("%q: checkJSON says %v; a field twice or text that is not UTF-8: %v", data, err, loose)
		}
	})
}

func TestCheckJSONSeeds(t *testing.T) {
	t.Parallel()
	want := map[string]bool{ // loose, for the seeds that are JSON
		`{"name":"a","name":"b"}`: true, `{"a":{"b":[{"c":1,"c":2}]}}`: true, `{"n\u0061me":"x","name":"y"}`: true,
		`["\ud83d\ude00","\ud800","\udc00x","\ud800\ud800\udc00"]`: true, "{\"k\":\"caf\xe9\"}": true, "\"\xed\xa0\x80\"": true,
		`{"a":1} {"a":1,"a":2}`: false, `{"x":"\ufffd","y":"\uFFFD"}`: false, `"\u00e9\\u0000\/"`: false,
	}
	for _, s := range strictSeeds {
		loose, ok := looseJSON([]byte(s))
		if w, listed := want[s]; listed && (loose != w || !ok) {
			t.Errorf("looseJSON(%q) = %v, %v; want %v", s, loose, ok, w)
		}
		var v any
		if err := checkJSON([]byte(s), &v); ok && (err != nil) != loose {
			t.Errorf("checkJSON(%q) = %v, looseJSON %v", s, err, loose)
		}
	}
}

// TestShapesFollowEncodingJSON: the field names checkJSON knows for each
// request body are those encoding/json fills, embedded structs included.
func TestShapesFollowEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		dst    any
		fields string
	}{
		{&batchJSON{}, "metrics params recorded_at step tags"},
		{&metricIn{}, "key recorded_at step value"},
		{&projectCreateJSON{}, "description name user_id"},
		{&snapshotJSON{}, "captured_at entrypoint files git iteration_id notes root runtime runtime_version runtimes"},
	} {
		s := shapeOf(reflect.TypeOf(c.dst))
		var names []string
		for n := range s.fields {
			names = append(names, n)
		}
		slices.Sort(names)
		if got := strings.Join(names, " "); got != c.fields {
			t.Errorf("%T: fields %s, want %s", c.dst, got, c.fields)
		}
	}
	if k := shapeOf(reflect.TypeFor[*metricBatchIn]()).fields["metrics"].elem.fields["value"].kind; k != numberShape {
		t.Errorf("a point's value has shape kind %d, want a number", k)
	}
	if k := shapeOf(reflect.TypeFor[*batchJSON]()).fields["params"].elem.fields["value"].kind; k != anyShape {
		t.Errorf("a parameter's value (its own UnmarshalJSON) has shape kind %d, want any", k)
	}
}
