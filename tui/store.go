package tui

import (
	"context"

	"github.com/deardiary/deardiary-go/core"
)

// Store is what the TUI reads: the few core.Tracker methods its screens
// call, and nothing that writes. A local file, a daemon client and the
// in-memory fake of tests (tui/tuitest) all satisfy it.
type Store interface {
	ListProjects(ctx context.Context, f core.ProjectFilter) ([]*core.Project, error)
	ListTags(ctx context.Context, kind core.Kind, id string) ([]*core.Tag, error)
	ListExperiments(ctx context.Context, f core.ExperimentFilter) ([]*core.Experiment, int, error)
	GetIteration(ctx context.Context, id string) (*core.Iteration, error)
	ListIterations(ctx context.Context, f core.IterationFilter) ([]*core.Iteration, int, error)
	SearchIterations(ctx context.Context, q core.IterationSearch) ([]*core.Iteration, int, error)
	ListParameters(ctx context.Context, f core.ParameterFilter) ([]*core.Parameter, int, error)
	MetricSummaries(ctx context.Context, f core.SummaryFilter) ([]core.MetricSummary, error)
	MetricHistory(ctx context.Context, q core.HistoryQuery) ([]core.Series, error)
	// ListMetrics reads the newest points of a series whole, for follow
	// mode: a page from its end.
	ListMetrics(ctx context.Context, f core.MetricFilter) ([]*core.Metric, int, error)
	ListResources(ctx context.Context, f core.ResourceFilter) ([]*core.Resource, int, error)
	GetSnapshot(ctx context.Context, iterationID string) (*core.Snapshot, error)
}

// Every tracker, local or remote, can be browsed.
var _ Store = core.Tracker(nil)

// FileMemoryLimit caps DuckDB's buffers for a file ddtui opens read-only
// (cmd/ddtui passes it as duckdb.WithMemoryLimit): the screens read
// summaries and downsampled histories, and left alone DuckDB keeps far
// more of a large file cached than they need. See docs/PERFORMANCE.md.
const FileMemoryLimit = "32MB"

// GoMemoryLimit is the soft limit cmd/ddtui gives the Go runtime
// (debug.SetMemoryLimit) unless GOMEMLIMIT says otherwise: the screens
// keep about 10 MiB live, and without it the heap grows to twice that
// between collections. Collecting more often costs no measurable CPU.
const GoMemoryLimit = 20 << 20
