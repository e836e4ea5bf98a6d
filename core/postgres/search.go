package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// SearchIterations implements core.IterationService. The filter becomes a
// WHERE clause in which every value is a bound parameter and every operator
// comes from a fixed list; a metric compares by its series' last value,
// read from metric_summary.
func (s *Store) SearchIterations(ctx context.Context, q core.IterationSearch) ([]*core.Iteration, int, error) {
	if len(q.ExperimentIDs) == 0 {
		return nil, 0, core.Invalid("name the experiments to search")
	}
	expr, err := core.ParseFilter(q.Filter)
	if err != nil {
		return nil, 0, err
	}
	experiments := slices.DeleteFunc(slices.Clone(q.ExperimentIDs), func(id string) bool { return !storable(id) })
	b := whereBuilder{args: []any{experiments}}
	cond := "true"
	if expr != nil {
		cond = b.expr(expr)
	}
	if b.err != nil {
		return nil, 0, b.err
	}
	bounded, cancel := context.WithTimeout(ctx, searchTimeout)
	defer cancel()
	its, total, err := listPage(bounded, s.pool, scanIteration, iterationColumns, `iteration i WHERE i.experiment_id = ANY($1) AND `+cond,
		`created_date, id`, q.Page, b.args...)
	if err != nil && ctx.Err() == nil && bounded.Err() != nil {
		return nil, 0, core.Invalid("the filter took longer than %s to evaluate; narrow it (fewer experiments or comparisons)", searchTimeout)
	}
	return its, total, err
}

// searchTimeout bounds the time one search may take, whatever its filter,
// as in core/duckdb.
const searchTimeout = 10 * time.Second

type whereBuilder struct {
	args []any
	err  error
}

// arg binds v and returns its placeholder.
func (b *whereBuilder) arg(v any) string {
	if s, ok := v.(string); ok && !storable(s) && b.err == nil {
		b.err = core.Invalid("filter: %q holds a NUL character, which no stored text has", s)
	}
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
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
	val := func(v core.FilterValue) string {
		if numeric {
			return b.arg(v.Number) + "::DOUBLE PRECISION"
		}
		return b.arg(v.Text) + "::TEXT"
	}
	if op == "in" || op == "not in" {
		list := make([]string, len(values))
		for i, v := range values {
			list[i] = val(v)
		}
		return column + " " + strings.ToUpper(op) + " (" + strings.Join(list, ", ") + ")"
	}
	return column + " " + sqlOps[op] + " " + val(values[0])
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
		last := "(SELECT last_value FROM metric_summary WHERE iteration_id = i.id AND key = " + b.arg(c.Key) + " AND count > 0)"
		return b.compare(last, c.Op, c.Values, true)
	case "param":
		key := b.arg(c.Key)
		column := "p.value"
		numeric := allNumbers(c.Values) && c.Op != "like"
		if numeric {
			column = "deardiary_try_float8(p.value)"
		}
		return "EXISTS (SELECT 1 FROM parameter p WHERE p.iteration_id = i.id AND p.key = " + key + " AND " +
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
	column := map[string]string{"id": "i.id", "parent": "COALESCE(i.parent_iteration_id, '')",
		"notes": "COALESCE(i.notes, '')", "error": "COALESCE(i.error_message, '')"}[c.Key]
	return b.compare(column, c.Op, c.Values, false)
}
