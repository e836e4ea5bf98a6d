package duckdb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// SearchIterations implements core.IterationService. The filter becomes a
// WHERE clause in which every value is a bound parameter and every operator
// comes from a fixed list.
func (s *Store) SearchIterations(ctx context.Context, q core.IterationSearch) ([]*core.Iteration, int, error) {
	if len(q.ExperimentIDs) == 0 {
		return nil, 0, core.Invalid("name the experiments to search")
	}
	expr, err := core.ParseFilter(q.Filter)
	if err != nil {
		return nil, 0, err
	}
	b := whereBuilder{summaries: s.summaries}
	cond := "true"
	if expr != nil {
		cond = b.expr(expr)
	}
	if b.err != nil {
		return nil, 0, b.err
	}
	if err := s.sync(ctx); err != nil { // a condition on metrics reads them
		return nil, 0, err
	}
	from := `(SELECT * FROM iteration WHERE experiment_id IN (` + placeholders(len(q.ExperimentIDs)) + `)) AS i WHERE ` + cond
	bounded, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	its, total, err := listPage(bounded, s, scanIteration, iterationColumns, from, `created_date, id`, q.Page,
		append(anySlice(q.ExperimentIDs), b.args...)...)
	if err != nil && ctx.Err() == nil && bounded.Err() != nil {
		return nil, 0, core.Invalid("the filter took longer than %s to evaluate; narrow it (fewer experiments or comparisons)", searchTimeout)
	}
	return its, total, err
}

// searchTimeout bounds the time one search may take, whatever its filter.
const searchTimeout = 10 * time.Second

type whereBuilder struct {
	args      []any
	err       error
	summaries bool // read last values from the summary tables
}

var sqlOps = map[string]string{"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "like": "LIKE"}

func (b *whereBuilder) expr(e core.FilterExpr) string {
	switch x := e.(type) {
	case *core.FilterLogic:
		parts := make([]string, len(x.Operands))
		for i, o := range x.Operands {
			parts[i] = b.expr(o)
		}
		if x.Op == "not" {
			return "(NOT " + parts[0] + ")"
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(x.Op)+" ") + ")"
	case *core.FilterComparison:
		return b.comparison(x)
	}
	b.err = fmt.Errorf("unknown filter node %T", e)
	return "false"
}

// compare renders `column op value(s)`; numeric tells whether the values are
// compared as numbers.
func (b *whereBuilder) compare(column, op string, values []core.FilterValue, numeric bool) string {
	val := func(v core.FilterValue) any {
		if numeric {
			return v.Number
		}
		return v.Text
	}
	if op == "in" || op == "not in" {
		for _, v := range values {
			b.args = append(b.args, val(v))
		}
		return column + " " + strings.ToUpper(op) + " (" + placeholders(len(values)) + ")"
	}
	b.args = append(b.args, val(values[0]))
	return column + " " + sqlOps[op] + " ?"
}

func allNumbers(values []core.FilterValue) bool {
	for _, v := range values {
		if !v.IsNumber {
			return false
		}
	}
	return true
}

func (b *whereBuilder) comparison(c *core.FilterComparison) string {
	switch c.Kind {
	case "metric":
		// The series' last value; no such series compares as NULL: false.
		last := "(SELECT arg_max(value, (step, recorded_at, rowid)) FROM metric WHERE iteration_id = i.id AND key = ?)"
		b.args = append(b.args, c.Key)
		if b.summaries {
			last = "(SELECT arg_max(last_value, (last_step, last_recorded_at, last_seq)) FROM (" +
				"SELECT " + summaryList + " FROM metric_summary WHERE iteration_id = i.id AND key = ? " +
				"UNION ALL SELECT " + summaryList + " FROM metric_summary_delta WHERE iteration_id = i.id AND key = ?))"
			b.args = append(b.args, c.Key)
		}
		return b.compare(last, c.Op, c.Values, true)
	case "param":
		b.args = append(b.args, c.Key)
		column := "p.value"
		numeric := allNumbers(c.Values) && c.Op != "like"
		if numeric {
			column = "TRY_CAST(p.value AS DOUBLE)"
		}
		return "EXISTS (SELECT 1 FROM parameter p WHERE p.iteration_id = i.id AND p.key = ? AND " +
			b.compare(column, c.Op, c.Values, numeric) + ")"
	case "tag":
		op, negate := c.Op, ""
		switch c.Op {
		case "!=":
			op, negate = "=", "NOT "
		case "not in":
			op, negate = "in", "NOT "
		}
		return negate + "EXISTS (SELECT 1 FROM iteration_tag a JOIN tag t ON t.id = a.tag_id WHERE a.iteration_id = i.id AND " +
			b.compare("t.value", op, c.Values, false) + ")"
	}
	switch c.Key {
	case "status":
		values := make([]core.FilterValue, len(c.Values))
		for i, v := range c.Values {
			st, _ := core.ParseIterationStatus(v.Text) // checked by the parser
			values[i] = core.FilterValue{Number: float64(st), IsNumber: true}
		}
		return b.compare("i.status_id", c.Op, values, true)
	case "created", "ended":
		values := make([]core.FilterValue, len(c.Values))
		for i, v := range c.Values {
			t, _ := core.ParseTime(v.Text) // checked by the parser
			values[i] = core.FilterValue{Text: core.FormatTime(t)}
		}
		column := map[string]string{"created": "i.created_date", "ended": "NULLIF(i.end_date, '')"}[c.Key]
		return b.compare(column, c.Op, values, false)
	}
	column := map[string]string{"id": "i.id::VARCHAR", "parent": "COALESCE(i.parent_iteration_id::VARCHAR, '')",
		"notes": "COALESCE(i.notes, '')", "error": "COALESCE(i.error_message, '')"}[c.Key]
	return b.compare(column, c.Op, c.Values, false)
}
