package core

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// show renders an expression in a fully parenthesised form for comparison.
func show(e FilterExpr) string {
	switch x := e.(type) {
	case *FilterLogic:
		parts := make([]string, len(x.Operands))
		for i, o := range x.Operands {
			parts[i] = show(o)
		}
		if x.Op == "not" {
			return "(not " + parts[0] + ")"
		}
		return "(" + strings.Join(parts, " "+x.Op+" ") + ")"
	case *FilterComparison:
		vals := make([]string, len(x.Values))
		for i, v := range x.Values {
			vals[i] = v.Text
			if !v.IsNumber {
				vals[i] = "'" + v.Text + "'"
			}
		}
		return fmt.Sprintf("%s:%s %s %s", x.Kind, x.Key, x.Op, strings.Join(vals, ","))
	}
	return "?"
}

func TestParseFilter(t *testing.T) {
	cases := map[string]string{
		`metrics.accuracy > 0.9 and params.optimizer = 'adam' or status = 'FAILED'`:   `((metric:accuracy > 0.9 and param:optimizer = 'adam') or attribute:status = 'FAILED')`,
		`metrics.accuracy > 0.9 and (params.optimizer = "adam" or status = 'failed')`: `(metric:accuracy > 0.9 and (param:optimizer = 'adam' or attribute:status = 'failed'))`,
		`not tags = 'baseline'`:                             `(not tag: = 'baseline')`,
		"metrics.`val/loss` <= 1e-3":                        `metric:val/loss <= 1e-3`,
		`params.lr in (0.1, 0.01, .001)`:                    `param:lr in 0.1,0.01,.001`,
		`status NOT IN ('RUNNING')`:                         `attribute:status not in 'RUNNING'`,
		`notes LIKE '%warmup%' AND created >= '2026-01-01'`: `(attribute:notes like '%warmup%' and attribute:created >= '2026-01-01')`,
		`metrics.loss <> -2.5`:                              `metric:loss != -2.5`,
		`params.batch-size == 32`:                           `param:batch-size = 32`,
	}
	for in, want := range cases {
		e, err := ParseFilter(in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", in, err)
			continue
		}
		if got := show(e); got != want {
			t.Errorf("ParseFilter(%q) = %s, want %s", in, got, want)
		}
	}
	if e, err := ParseFilter("   "); e != nil || err != nil {
		t.Errorf("blank filter = %v, %v", e, err)
	}
}

func TestParseFilterErrors(t *testing.T) {
	for in, part := range map[string]string{
		`metrics.accuracy >`:          "expected a value",
		`metrics.accuracy > 'high'`:   "compares with numbers",
		`params.lr = 0.1 and`:         "expected a field",
		`weight > 3`:                  "unknown field",
		`status = 'DONE'`:             "not one of",
		`(status = 'FAILED'`:          "missing )",
		`params.x = 'unclosed`:        "unclosed",
		`metrics > 1`:                 "expected metrics.<key>",
		`status = 'FAILED' status`:    "unexpected",
		`created > 'yesterday'`:       "compares with a time",
		`tags < 'a'`:                  "tags take",
		`params.lr ! 3`:               "lone !",
		`params.lr in (1, 2`:          "expected , or )",
		`metrics.loss like '%x'`:      "like does not apply",
		`params.a = 1 ; drop table x`: "unexpected",
	} {
		_, err := ParseFilter(in)
		if ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), part) {
			t.Errorf("ParseFilter(%q) error = %v, want one mentioning %q", in, err, part)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`metrics.accuracy > 0.9 and params.optimizer = 'adam' or status = 'FAILED'`,
		`not (tags in ('a', "b"))`, "metrics.`x y` <= -1e-3", `created >= '2026-01-01T00:00:00Z'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseFilter(s)
		if err != nil && ErrorCode(err) != EInvalid {
			t.Fatalf("error of the wrong kind: %v", err)
		}
		if err == nil && e == nil && strings.TrimFunc(s, unicode.IsSpace) != "" {
			t.Fatalf("%q parsed to nothing", s)
		}
	})
}

// TestFilterLimits: expressions past the limits are refused with a clear
// EInvalid before anything runs, those within them parse.
func TestFilterLimits(t *testing.T) {
	terms := func(n int, join string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("metrics.m%d > %d", i, i)
		}
		return strings.Join(parts, join)
	}
	values := func(n int) string {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint(i)
		}
		return "metrics.loss in (" + strings.Join(v, ", ") + ")"
	}
	for filter, refused := range map[string]string{
		terms(MaxFilterTerms, " or "):                                  "",
		terms(MaxFilterTerms+1, " or "):                                "comparisons",
		terms(300, " or "):                                             "comparisons",
		values(MaxFilterTerms - 1):                                     "",
		values(MaxFilterTerms + 5):                                     "listed values",
		strings.Repeat("not ", MaxFilterDepth-1) + "status = 'FAILED'": "",
		strings.Repeat("not ", 1000) + "status = 'FAILED'":             "nested",
		strings.Repeat("(", MaxFilterDepth+1) + "status = 'FAILED'" + strings.Repeat(")", MaxFilterDepth+1): "nested",
		strings.Repeat("not ", 50000) + "status = 'FAILED'":                                                 "bytes long",
	} {
		_, err := ParseFilter(filter)
		switch {
		case refused == "" && err != nil:
			t.Errorf("%.60s…: %v", filter, err)
		case refused != "" && (ErrorCode(err) != EInvalid || !strings.Contains(err.Error(), refused)):
			t.Errorf("%.60s…: %v, want EInvalid saying %q", filter, err, refused)
		}
	}
}
