package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// runs is a table's test data: iterations by name ("a", "b" child of "a",
// ...), created a minute apart in the order given.
type runs struct {
	its    []*core.Iteration
	sums   []core.MetricSummary
	params []*core.Parameter
}

var tableStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (r *runs) add(id, parent string, status core.IterationStatus, took time.Duration) *runs {
	it := &core.Iteration{ID: id, ParentID: parent, Status: status, CreatedDate: tableStart.Add(time.Duration(len(r.its)) * time.Minute)}
	if took > 0 {
		it.EndDate = it.CreatedDate.Add(took)
	}
	r.its = append(r.its, it)
	return r
}

func (r *runs) metric(id, key string, last float64) *runs {
	r.sums = append(r.sums, core.MetricSummary{IterationID: id, Key: key, Last: last, Min: last, Max: last, Count: 1})
	return r
}

func (r *runs) param(id, key, value string) *runs {
	r.params = append(r.params, &core.Parameter{IterationID: id, Key: key, Value: value})
	return r
}

func (r *runs) table() *runTable {
	t := &runTable{now: func() time.Time { return tableStart.Add(time.Hour) }}
	t.load(r.its, r.sums, r.params)
	return t
}

// shown names the rows a table shows, each indented by its depth.
func shown(t *runTable) string {
	var out []string
	for _, r := range t.rows() {
		out = append(out, strings.Repeat(".", r.depth)+r.it.ID)
	}
	return strings.Join(out, " ")
}

func TestRunTableTreeOrder(t *testing.T) {
	t.Parallel()
	r := (&runs{}).add("a", "", core.IterationSucceeded, time.Minute).add("b", "a", core.IterationSucceeded, time.Minute).
		add("c", "", core.IterationSucceeded, time.Minute).add("d", "b", core.IterationSucceeded, time.Minute).
		add("e", "gone", core.IterationSucceeded, time.Minute).add("f", "a", core.IterationSucceeded, time.Minute)
	table := r.table()
	if got, want := shown(table), "a .b ..d .f c e"; got != want {
		t.Fatalf("tree order %q, want %q", got, want)
	}
	for _, row := range table.all {
		if want := slices.IndexFunc(r.its, func(it *core.Iteration) bool { return it.ID == row.it.ID }) + 1; row.ordinal != want {
			t.Errorf("%s is #%d, want #%d by creation", row.it.ID, row.ordinal, want)
		}
	}
}

func TestRunTableSortsSiblingsAmongThemselves(t *testing.T) {
	t.Parallel()
	r := (&runs{}).add("a", "", core.IterationSucceeded, time.Minute).add("a1", "a", core.IterationSucceeded, time.Minute).
		add("a2", "a", core.IterationSucceeded, time.Minute).add("a3", "a", core.IterationSucceeded, time.Minute).
		add("b", "", core.IterationSucceeded, time.Minute).
		metric("a", "loss", 0.5).metric("a1", "loss", 0.3).metric("a2", "loss", 0.1).metric("b", "loss", 0.2)
	table := r.table()
	for table.sortColumn() != "loss" {
		table.nextSort()
	}
	// a3 has no loss: missing values sort last.
	if got, want := shown(table), "b a .a2 .a1 .a3"; got != want {
		t.Fatalf("by loss %q, want %q", got, want)
	}
	table.reverseSort()
	if got := shown(table); !strings.HasPrefix(got, "a ") || !strings.Contains(got, ".a1 .a2") || !strings.HasSuffix(got, " b") {
		t.Fatalf("by loss, descending: %q", got)
	}
}

func TestRunTableSortsParametersAsNumbersWhenTheyAre(t *testing.T) {
	t.Parallel()
	r := (&runs{}).add("a", "", core.IterationSucceeded, time.Minute).add("b", "", core.IterationSucceeded, time.Minute).
		add("c", "", core.IterationSucceeded, time.Minute).add("d", "", core.IterationSucceeded, time.Minute).
		param("a", "batch", "10").param("b", "batch", "9").param("c", "batch", "128").
		param("a", "opt", "sgd").param("b", "opt", "adam").param("c", "opt", "adamw").param("d", "opt", "Lion")
	table := r.table()
	for table.sortColumn() != "params.batch" {
		table.nextSort()
	}
	if got, want := shown(table), "b a c d"; got != want {
		t.Fatalf("by batch %q, want %q", got, want)
	}
	table.nextSort()
	if table.sortColumn() != "params.opt" {
		t.Fatalf("after batch comes %q", table.sortColumn())
	}
	if got, want := shown(table), "d b c a"; got != want { // as strings: "Lion" < "adam"
		t.Fatalf("by opt %q, want %q", got, want)
	}
}

func TestRunTableSortsRunningRunsByTheirTimeSoFar(t *testing.T) {
	t.Parallel()
	r := (&runs{}).add("long", "", core.IterationSucceeded, 40*time.Minute).add("running", "", core.IterationRunning, 0).
		add("short", "", core.IterationSucceeded, time.Minute)
	table := r.table()
	for table.sortColumn() != "duration" {
		table.nextSort()
	}
	// running started a minute after the first and runs until now, an hour
	// after it: 59 minutes so far.
	if got, want := shown(table), "short long running"; got != want {
		t.Fatalf("by duration %q, want %q", got, want)
	}
	if !table.anyRunning() {
		t.Fatal("a running run went unnoticed")
	}
}

func TestRunTableColumns(t *testing.T) {
	t.Parallel()
	r := (&runs{}).add("a", "", core.IterationSucceeded, time.Minute).add("b", "", core.IterationSucceeded, time.Minute).
		metric("a", "lr", 1).metric("a", "val_accuracy", 1).metric("a", "accuracy", 1).metric("a", "val_loss", 1).metric("b", "loss", 1).
		param("a", "model", "resnet").param("b", "model", "resnet").param("a", "seed", "1").param("b", "seed", "2").param("a", "depth", "3")
	want := []string{"#", "status", "created", "duration", "loss", "val_loss", "accuracy", "val_accuracy", "lr",
		"params.seed", "params.depth", "params.model"} // seed differs between runs
	if got := r.table().columns(); !slices.Equal(got, want) {
		t.Fatalf("columns %q, want %q", got, want)
	}
}

func TestRunTableFilters(t *testing.T) {
	t.Parallel()
	r := (&runs{}).add("driver", "", core.IterationSucceeded, time.Minute).add("adam", "driver", core.IterationSucceeded, time.Minute).
		add("sgd", "driver", core.IterationFailed, time.Minute).add("alone", "", core.IterationSucceeded, time.Minute).
		param("adam", "optimizer", "Adam").param("sgd", "optimizer", "sgd")
	table := r.table()
	for _, c := range []struct{ text, want string }{
		{"", "driver .adam .sgd alone"},
		{"optimizer=adam", "driver .adam"}, // a matching child shows under its driver, in any case
		{"FAILED", "driver .sgd"},
		{"#4", "alone"},
		{"nothing like it", ""},
	} {
		table.filterText(c.text)
		if got := shown(table); got != c.want {
			t.Errorf("filter %q shows %q, want %q", c.text, got, c.want)
		}
	}
	table.filterMatches("status = 'FAILED'", map[string]bool{"sgd": true})
	if got := shown(table); got != "driver .sgd" || table.filter != "status = 'FAILED'" {
		t.Errorf("expression shows %q", got)
	}
	table.filterMatches("metrics.loss > 9", nil)
	if got := shown(table); got != "" {
		t.Errorf("an expression that matched nothing shows %q", got)
	}
	// New data keeps the filter and the sort.
	table.filterText("adam")
	table.nextSort()
	r.add("adam2", "driver", core.IterationSucceeded, time.Minute).param("adam2", "optimizer", "adam")
	table.load(r.its, r.sums, r.params)
	if got := shown(table); got != "driver .adam .adam2" || table.sortColumn() != "status" {
		t.Errorf("after a reload: %q sorted by %s", got, table.sortColumn())
	}
}
