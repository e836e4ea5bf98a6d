package daemon

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// parseMetricBatch reads the body of a metric batch without reflection:
// {"metrics": [{"key": "loss", "value": 0.5, "step": 3}, ...]}, with
// "step" and "recorded_at" allowed on the batch and "recorded_at" on each
// point. Decoding a 1,000-point batch with encoding/json took a sixth of
// ddd's CPU under batch load.
//
// It accepts only a plain subset of JSON, and reports false for anything
// else: a string with an escape or bytes that are not UTF-8, another field
// (one spelled in another case too), a field given twice, a null, a value
// or step given as a string, a step that is not an integer in range,
// trailing data. Such a body goes to checkJSON and encoding/json, which
// decide what it means and word any error, so the two always agree
// (FuzzParseMetricBatch).
func parseMetricBatch(data []byte, out *metricBatchIn) bool {
	var b metricBatchIn // out is left alone unless the whole body parses
	p := batchParser{data: data, interned: map[string]string{}}
	if !p.batch(&b) {
		return false
	}
	*out = b
	return true
}

// parseMetric reads the body of a single point as parseMetricBatch reads
// each point of a batch.
func parseMetric(data []byte, out *metricIn) bool {
	p := batchParser{data: data, interned: map[string]string{}}
	p.space()
	var steps []int64
	m, step, ok := p.point(&steps)
	if !ok {
		return false
	}
	if p.space(); p.i != len(p.data) {
		return false
	}
	if step >= 0 {
		m.Step = &steps[step]
	}
	*out = m
	return true
}

func (p *batchParser) batch(out *metricBatchIn) bool {
	p.space()
	if !p.byte('{') {
		return false
	}
	var seenSteps, seenAt, seenMetrics bool
	for first := true; ; first = false {
		p.space()
		if p.byte('}') {
			break
		}
		if !first && (!p.byte(',') || !p.spaced()) {
			return false
		}
		name, ok := p.name()
		if !ok {
			return false
		}
		switch {
		case string(name) == "metrics" && !seenMetrics:
			seenMetrics = true
			if out.Metrics, ok = p.points(); !ok {
				return false
			}
		case string(name) == "step" && !seenSteps:
			seenSteps = true
			step, ok := p.integer()
			if !ok {
				return false
			}
			out.Step = &step
		case string(name) == "recorded_at" && !seenAt:
			seenAt = true
			at, ok := p.string()
			if !ok {
				return false
			}
			out.RecordedAt = &at
		default:
			return false
		}
	}
	p.space()
	return p.i == len(p.data)
}

type batchParser struct {
	data []byte
	i    int
	// interned shares the text of repeated keys and times: a batch names a
	// few series a thousand times.
	interned map[string]string
}

func (p *batchParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// spaced skips white space and reports true, for use in conditions.
func (p *batchParser) spaced() bool {
	p.space()
	return true
}

func (p *batchParser) byte(c byte) bool {
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// name reads a member's name and the colon after it. The name's bytes
// are compared with string(name) == "...", which does not allocate.
func (p *batchParser) name() ([]byte, bool) {
	raw, ok := p.rawString()
	if !ok {
		return nil, false
	}
	p.space()
	if !p.byte(':') {
		return nil, false
	}
	p.space()
	return raw, true
}

// rawString reads a string without escapes, and returns its bytes.
func (p *batchParser) rawString() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	ascii := true
	for ; p.i < len(p.data); p.i++ {
		c := p.data[p.i]
		switch {
		case c == '"':
			raw := p.data[start:p.i]
			p.i++
			return raw, ascii || utf8.Valid(raw)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (p *batchParser) string() (string, bool) {
	raw, ok := p.rawString()
	if !ok {
		return "", false
	}
	if s, ok := p.interned[string(raw)]; ok {
		return s, true
	}
	s := string(raw)
	if len(p.interned) < 64 {
		p.interned[s] = s
	}
	return s, true
}

// number reads a number as JSON writes it, and returns its text.
func (p *batchParser) number() ([]byte, bool) {
	start := p.i
	p.byte('-')
	switch {
	case p.byte('0'):
	case p.digitFrom('1'):
		for p.digit() {
		}
	default:
		return nil, false
	}
	if p.byte('.') {
		if !p.digit() {
			return nil, false
		}
		for p.digit() {
		}
	}
	if p.byte('e') || p.byte('E') {
		if !p.byte('+') {
			p.byte('-')
		}
		if !p.digit() {
			return nil, false
		}
		for p.digit() {
		}
	}
	return p.data[start:p.i], true
}

func (p *batchParser) digit() bool { return p.digitFrom('0') }

// digitFrom reads one digit from lo to 9.
func (p *batchParser) digitFrom(lo byte) bool {
	if p.i < len(p.data) && p.data[p.i] >= lo && p.data[p.i] <= '9' {
		p.i++
		return true
	}
	return false
}

// integer reads a number that encoding/json would store in an int64.
func (p *batchParser) integer() (int64, bool) {
	raw, ok := p.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// points reads the array of points.
func (p *batchParser) points() ([]metricIn, bool) {
	if !p.byte('[') {
		return nil, false
	}
	out := []metricIn{}
	var steps []int64 // one allocation for the steps of many points
	for first := true; ; first = false {
		p.space()
		if p.byte(']') {
			return out, true
		}
		if !first && (!p.byte(',') || !p.spaced()) {
			return nil, false
		}
		if len(steps) == cap(steps) {
			steps = make([]int64, 0, 256)
		}
		m, step, ok := p.point(&steps)
		if !ok {
			return nil, false
		}
		if step >= 0 {
			m.Step = &steps[step]
		}
		out = append(out, m)
	}
}

// point reads one point; its step, if it has one, is appended to steps and
// its index returned (-1 without).
func (p *batchParser) point(steps *[]int64) (m metricIn, step int, ok bool) {
	step = -1
	if !p.byte('{') {
		return m, step, false
	}
	var seenKey, seenValue, seenAt bool
	for first := true; ; first = false {
		p.space()
		if p.byte('}') {
			return m, step, true
		}
		if !first && (!p.byte(',') || !p.spaced()) {
			return m, step, false
		}
		name, ok := p.name()
		if !ok {
			return m, step, false
		}
		switch {
		case string(name) == "key" && !seenKey:
			seenKey = true
			if m.Key, ok = p.string(); !ok {
				return m, step, false
			}
		case string(name) == "value" && !seenValue:
			seenValue = true
			raw, ok := p.number()
			if !ok {
				return m, step, false
			}
			m.Value = json.Number(raw)
		case string(name) == "step" && step < 0:
			n, ok := p.integer()
			if !ok {
				return m, step, false
			}
			*steps = append(*steps, n)
			step = len(*steps) - 1
		case string(name) == "recorded_at" && !seenAt:
			seenAt = true
			at, ok := p.string()
			if !ok {
				return m, step, false
			}
			m.RecordedAt = &at
		default:
			return m, step, false
		}
	}
}

// appendWireID appends id as wireID writes it: a JSON number for an integer
// id, else a JSON string, byte for byte what encoding/json writes for it.
func appendWireID(b []byte, id string) []byte {
	switch {
	case integerID(id):
		return append(b, id...)
	case plainText(id):
		b = append(b, '"')
		b = append(b, id...)
		return append(b, '"')
	}
	text, _ := json.Marshal(id) // cannot fail for a string
	return append(b, text...)
}

// appendWireIDs appends ids as a JSON array, [] when there are none.
func appendWireIDs(b []byte, ids []string) []byte {
	n := 2
	for _, id := range ids {
		n += len(id) + 3
	}
	b = append(slices.Grow(b, n), '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendWireID(b, id)
	}
	return append(b, ']')
}

// plainText reports whether encoding/json writes s between quotes as it is:
// printable ASCII without quotes, backslashes or the HTML characters it
// escapes.
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
