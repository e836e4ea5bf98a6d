package core

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A filter expression selects iterations, as in MLflow's search:
//
//	metrics.accuracy > 0.9 and params.optimizer = 'adam' or status = 'FAILED'
//
// Fields are metrics.<key> (the series' last value), params.<key>, tags, and
// the attributes status, id, parent, notes, error, created and ended. Keys
// with other characters go in backquotes: metrics.`val/loss`. Operators are
// = != < <= > >= like, plus "in (...)" and "not in (...)"; "not", "and" (binds
// tighter) and "or" combine comparisons, with parentheses. Words are case
// insensitive, strings take single or double quotes.

// FilterExpr is a parsed filter expression: a *FilterComparison, or a
// *FilterLogic combining others.
type FilterExpr interface{ filterExpr() }

// FilterLogic combines expressions: Op is "and", "or" or "not" (one operand).
type FilterLogic struct {
	Op       string
	Operands []FilterExpr
}

// FilterComparison compares one field with values.
type FilterComparison struct {
	Kind   string // "metric", "param", "tag" or "attribute"
	Key    string // the metric or parameter key, or the attribute name
	Op     string // = != < <= > >= like in "not in"
	Values []FilterValue
}

// FilterValue is a literal: a number or a string.
type FilterValue struct {
	Text     string
	Number   float64
	IsNumber bool
}

func (*FilterLogic) filterExpr()      {}
func (*FilterComparison) filterExpr() {}

// FilterAttributes are the iteration fields a filter can name.
var FilterAttributes = []string{"status", "id", "parent", "notes", "error", "created", "ended"}

// Limits on a filter, so that one expression cannot take a server's memory
// or time: its length, its comparisons plus the values of its "in" lists,
// and how deep "not" and parentheses nest. A person's filter stays far
// below them; a deeper one is refused with EInvalid before any query runs.
const (
	MaxFilterLength = 16 << 10
	MaxFilterTerms  = 100
	MaxFilterDepth  = 16
)

// ParseFilter parses a filter expression. An empty expression is nil (no
// filter). Errors are EInvalid and say where the expression went wrong.
func ParseFilter(s string) (FilterExpr, error) {
	if len(s) > MaxFilterLength {
		return nil, Invalid("filter: %d bytes long; at most %d", len(s), MaxFilterLength)
	}
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, nil
	}
	p := &filterParser{toks: toks, src: s}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, p.fail("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

type tokenKind int

const (
	tokWord tokenKind = iota
	tokString
	tokNumber
	tokOp
	tokPunct // ( ) , .
)

type token struct {
	kind tokenKind
	text string
	at   int
}

func lexFilter(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, Invalid("filter: invalid UTF-8 at position %d", i+1)
		case unicode.IsSpace(r):
			i += size
		case r == '\'' || r == '"' || r == '`':
			end := strings.IndexByte(s[i+1:], s[i])
			if end < 0 {
				return nil, Invalid("filter: unclosed %c at position %d", r, i+1)
			}
			kind := tokString
			if r == '`' {
				kind = tokWord
			}
			toks = append(toks, token{kind, s[i+1 : i+1+end], i})
			i += end + 2
		case strings.ContainsRune("(),.", r) && !(r == '.' && i+1 < len(s) && isDigit(s[i+1]) && (len(toks) == 0 || toks[len(toks)-1].kind != tokWord)):
			toks = append(toks, token{tokPunct, string(r), i})
			i++
		case strings.ContainsRune("=!<>", r):
			j := i + 1
			if j < len(s) && (s[j] == '=' || (r == '<' && s[j] == '>')) {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, Invalid("filter: lone ! at position %d (use != or not)", i+1)
			}
			if op == "==" {
				op = "="
			}
			if op == "<>" {
				op = "!="
			}
			toks = append(toks, token{tokOp, op, i})
			i = j
		case isDigit(s[i]) || r == '-' || r == '+' || r == '.':
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || strings.ContainsRune(".eE", rune(s[j])) || ((s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			toks = append(toks, token{tokNumber, s[i:j], i})
			i = j
		case r == '_' || unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if r != '_' && r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					break
				}
				j += size
			}
			toks = append(toks, token{tokWord, s[i:j], i})
			i = j
		default:
			return nil, Invalid("filter: unexpected %q at position %d", string(r), i+1)
		}
	}
	return toks, nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

type filterParser struct {
	toks  []token
	pos   int
	src   string
	terms int // comparisons and listed values so far
	depth int // of "not" and parentheses around the current position
}

// enter goes one level deeper, failing past MaxFilterDepth.
func (p *filterParser) enter() error {
	if p.depth++; p.depth > MaxFilterDepth {
		return p.fail("nested more than %d deep (not, parentheses)", MaxFilterDepth)
	}
	return nil
}

func (p *filterParser) fail(format string, args ...any) error {
	at := len(p.src)
	if p.pos < len(p.toks) {
		at = p.toks[p.pos].at
	}
	return Invalid("filter: %s at position %d of %q", fmt.Sprintf(format, args...), at+1, p.src)
}

// word reports whether the next token is the keyword w, and consumes it.
func (p *filterParser) word(w string) bool {
	if p.pos < len(p.toks) && p.toks[p.pos].kind == tokWord && strings.EqualFold(p.toks[p.pos].text, w) {
		p.pos++
		return true
	}
	return false
}

func (p *filterParser) punct(c string) bool {
	if p.pos < len(p.toks) && p.toks[p.pos].kind == tokPunct && p.toks[p.pos].text == c {
		p.pos++
		return true
	}
	return false
}

func (p *filterParser) or() (FilterExpr, error) {
	return p.chain("or", p.and)
}

func (p *filterParser) and() (FilterExpr, error) {
	return p.chain("and", p.not)
}

func (p *filterParser) chain(op string, next func() (FilterExpr, error)) (FilterExpr, error) {
	first, err := next()
	if err != nil {
		return nil, err
	}
	operands := []FilterExpr{first}
	for p.word(op) {
		e, err := next()
		if err != nil {
			return nil, err
		}
		operands = append(operands, e)
	}
	if len(operands) == 1 {
		return first, nil
	}
	return &FilterLogic{Op: op, Operands: operands}, nil
}

func (p *filterParser) not() (FilterExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.word("not") {
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return &FilterLogic{Op: "not", Operands: []FilterExpr{e}}, nil
	}
	if p.punct("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.punct(")") {
			return nil, p.fail("missing )")
		}
		return e, nil
	}
	return p.comparison()
}

func (p *filterParser) comparison() (FilterExpr, error) {
	if p.terms++; p.terms > MaxFilterTerms {
		return nil, p.fail("more than %d comparisons and listed values", MaxFilterTerms)
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != tokWord {
		return nil, p.fail("expected a field such as metrics.loss, params.lr, tags or status")
	}
	c := &FilterComparison{}
	head := strings.ToLower(p.toks[p.pos].text)
	p.pos++
	switch head {
	case "metrics", "metric", "params", "param", "parameters":
		c.Kind = "metric"
		if strings.HasPrefix(head, "param") {
			c.Kind = "param"
		}
		if !p.punct(".") || p.pos >= len(p.toks) || p.toks[p.pos].kind != tokWord {
			return nil, p.fail("expected %s.<key>", head)
		}
		c.Key = p.toks[p.pos].text
		p.pos++
	case "tags", "tag":
		c.Kind = "tag"
	default:
		if !containsFold(FilterAttributes, head) {
			return nil, p.fail("unknown field %q (use metrics.<key>, params.<key>, tags, or one of %s)", head, strings.Join(FilterAttributes, ", "))
		}
		c.Kind, c.Key = "attribute", head
	}
	switch {
	case p.pos < len(p.toks) && p.toks[p.pos].kind == tokOp:
		c.Op = p.toks[p.pos].text
		p.pos++
	case p.word("like"):
		c.Op = "like"
	case p.word("in"):
		c.Op = "in"
	case p.word("not"):
		if !p.word("in") {
			return nil, p.fail("expected in after not")
		}
		c.Op = "not in"
	default:
		return nil, p.fail("expected an operator (= != < <= > >= like in)")
	}
	if c.Op == "in" || c.Op == "not in" {
		if !p.punct("(") {
			return nil, p.fail("expected ( after %s", c.Op)
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			c.Values = append(c.Values, v)
			if p.terms++; p.terms > MaxFilterTerms {
				return nil, p.fail("more than %d comparisons and listed values", MaxFilterTerms)
			}
			if p.punct(")") {
				break
			}
			if !p.punct(",") {
				return nil, p.fail("expected , or )")
			}
		}
	} else {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		c.Values = []FilterValue{v}
	}
	return c, c.check()
}

func (p *filterParser) value() (FilterValue, error) {
	if p.pos >= len(p.toks) {
		return FilterValue{}, p.fail("expected a value")
	}
	t := p.toks[p.pos]
	switch t.kind {
	case tokString:
		p.pos++
		return FilterValue{Text: t.text}, nil
	case tokNumber:
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return FilterValue{}, p.fail("%q is not a number", t.text)
		}
		p.pos++
		return FilterValue{Text: t.text, Number: n, IsNumber: true}, nil
	}
	return FilterValue{}, p.fail("expected a number or a quoted string, not %q", t.text)
}

// check refuses comparisons that cannot mean anything.
func (c *FilterComparison) check() error {
	switch {
	case c.Kind == "metric" && c.Op != "like":
		for _, v := range c.Values {
			if !v.IsNumber {
				return Invalid("filter: metrics.%s compares with numbers, not %q", c.Key, v.Text)
			}
		}
	case c.Kind == "metric":
		return Invalid("filter: like does not apply to metrics.%s", c.Key)
	case c.Kind == "tag" && !containsFold([]string{"=", "!=", "in", "not in", "like"}, c.Op):
		return Invalid("filter: tags take = != like in, not %s", c.Op)
	case c.Kind == "attribute" && c.Key == "status":
		for _, v := range c.Values {
			if _, err := ParseIterationStatus(v.Text); err != nil {
				return Invalid("filter: status %q is not one of RUNNING, SUCCEEDED, FAILED, KILLED", v.Text)
			}
		}
		if !containsFold([]string{"=", "!=", "in", "not in"}, c.Op) {
			return Invalid("filter: status takes = != in, not %s", c.Op)
		}
	case c.Kind == "attribute" && (c.Key == "created" || c.Key == "ended"):
		for _, v := range c.Values {
			if _, err := ParseTime(v.Text); err != nil || v.IsNumber {
				return Invalid("filter: %s compares with a time such as '2026-01-31T12:00:00', not %q", c.Key, v.Text)
			}
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
