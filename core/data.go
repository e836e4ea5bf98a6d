package core

import (
	"context"
	"time"
)

// Parameter is a key and a text value logged for an iteration. A key may be
// logged more than once.
type Parameter struct {
	ID          string
	IterationID string
	Key         string
	Value       string
}

// ParameterUpdate changes the non-nil fields of a parameter. Value takes the
// same types as CreateParameter.
type ParameterUpdate struct {
	Key   *string
	Value any
}

// ParameterFilter selects parameters in logging order: those of an
// iteration, or of every iteration of an experiment (what a run table needs,
// in one call).
type ParameterFilter struct {
	IterationID  string
	ExperimentID string
	Page
}

// ParameterService manages parameters.
type ParameterService interface {
	// GetParameter returns a parameter or ENotFound.
	GetParameter(ctx context.Context, id string) (*Parameter, error)
	// ListParameters returns a page of an iteration's parameters and the total.
	ListParameters(ctx context.Context, f ParameterFilter) ([]*Parameter, int, error)
	// CreateParameter logs a parameter and returns its id. The value is a
	// string, bool, integer or float, stored as FormatParamValue renders it.
	// EInvalid for an unknown or ended iteration, an empty key or value.
	CreateParameter(ctx context.Context, iterationID, key string, value any) (string, error)
	// UpdateParameter changes a parameter of a running iteration.
	UpdateParameter(ctx context.Context, id string, upd ParameterUpdate) error
	// DeleteParameter removes a parameter of a running iteration.
	DeleteParameter(ctx context.Context, id string) error
}

// Metric is one point of a series: the value of a key at a step.
type Metric struct {
	ID          string
	IterationID string
	Key         string
	Value       float64
	Step        int64
	RecordedAt  time.Time
}

// MetricInput is one point to log. A nil Step continues the key's series
// (one past its largest step, 0 for a new key); a nil RecordedAt means now.
type MetricInput struct {
	Key        string
	Value      float64
	Step       *int64
	RecordedAt *time.Time
}

// MetricBatch is a list of points logged in one transaction, in order. Step
// and RecordedAt, when set, apply to every point that does not set its own.
type MetricBatch struct {
	Step       *int64
	RecordedAt *time.Time
	Metrics    []MetricInput
}

// MetricUpdate changes the non-nil fields of a metric point.
type MetricUpdate struct {
	Key        *string
	Value      *float64
	Step       *int64
	RecordedAt *time.Time
}

// MetricFilter selects the points of an iteration ordered by step, then time.
type MetricFilter struct {
	IterationID string
	// Key, when set, keeps only that series.
	Key string
	Page
}

// Point is one step of a series.
type Point struct {
	Step       int64
	Value      float64
	RecordedAt time.Time
}

// Series is the history of one key in one iteration, ordered by step.
type Series struct {
	IterationID string
	Key         string
	Points      []Point
}

// HistoryQuery asks for the history of one key in several iterations.
type HistoryQuery struct {
	Key          string
	IterationIDs []string
	// MaxPoints, when positive, downsamples each series to at most this many
	// points, keeping its first and last points and the shape in between.
	// A store may reduce a long series before it reads it, to the extremes
	// of MaxPoints step ranges; such points have no RecordedAt.
	MaxPoints int
}

// HistoryStreamer is a Tracker that can hand a whole history point by
// point, series after series in the order asked and each in step order,
// without holding it: a server answers a history of any length through it
// in constant memory. q.MaxPoints is ignored: it is for whole series.
type HistoryStreamer interface {
	StreamHistory(ctx context.Context, q HistoryQuery, each func(iterationID string, p Point) error) error
}

// MetricSummary describes one series without reading it: what a run table
// shows for each iteration and key.
type MetricSummary struct {
	IterationID string
	Key         string
	Last        float64 // value at the largest step (latest time among equals)
	FirstStep   int64   // the smallest step
	LastStep    int64
	Min         float64
	Max         float64
	Count       int64
}

// SummaryFilter selects the iterations to summarise: every iteration of an
// experiment, or the listed ones, or both.
type SummaryFilter struct {
	ExperimentID string
	IterationIDs []string
}

// ParamInput is one parameter of a Batch.
type ParamInput struct {
	Key   string
	Value any
}

// Batch is what LogBatch records for an iteration in one transaction.
type Batch struct {
	Params  []ParamInput
	Metrics MetricBatch
	// Tags are attached to the iteration; ones already attached are fine.
	Tags []string
}

// BatchResult holds the ids LogBatch made, in input order: parameters,
// metric points, and tag attachments.
type BatchResult struct {
	ParameterIDs []string
	MetricIDs    []string
	TagIDs       []string
}

// MetricService logs and reads metric series.
type MetricService interface {
	// GetMetric returns a metric point or ENotFound.
	GetMetric(ctx context.Context, id string) (*Metric, error)
	// ListMetrics returns a page of an iteration's points and the total.
	ListMetrics(ctx context.Context, f MetricFilter) ([]*Metric, int, error)
	// LogMetric logs one point and returns its id. EInvalid for an unknown or
	// ended iteration, an empty key or a value that is not finite.
	LogMetric(ctx context.Context, iterationID string, m MetricInput) (string, error)
	// LogMetrics logs a batch atomically and returns the ids in input order.
	// Points of the same key without a step take consecutive steps.
	LogMetrics(ctx context.Context, iterationID string, b MetricBatch) ([]string, error)
	// LogBatch records parameters, metric points and tags of a running
	// iteration atomically: all of them or, on any error, none. A parameter
	// key given twice in one batch is EInvalid.
	LogBatch(ctx context.Context, iterationID string, b Batch) (*BatchResult, error)
	// UpdateMetric changes a point of a running iteration.
	UpdateMetric(ctx context.Context, id string, upd MetricUpdate) error
	// DeleteMetric removes a point of a running iteration.
	DeleteMetric(ctx context.Context, id string) error
	// MetricHistory returns the series of one key for each listed iteration
	// that has it, in the order of q.IterationIDs.
	MetricHistory(ctx context.Context, q HistoryQuery) ([]Series, error)
	// MetricSummaries returns one summary per iteration and key, ordered by
	// iteration then key.
	MetricSummaries(ctx context.Context, f SummaryFilter) ([]MetricSummary, error)
}
