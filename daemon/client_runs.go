package daemon

import (
	"context"
	"net/url"
	"strconv"

	"github.com/deardiary/deardiary-go/core"
)

// The client's side of handlers_runs.go: experiments, iterations, their
// snapshots, and batches.

// GetExperiment reads GET /experiment/{id}.
func (c *Client) GetExperiment(ctx context.Context, id string) (*core.Experiment, error) {
	return fetch(ctx, c, "/experiment/"+esc(id), experimentJSON.core)
}

// ListExperiments reads the pages of GET /experiment/project/{id}: f.Page's
// rows, or every row when f.Page.Limit is zero, in requests of 200.
func (c *Client) ListExperiments(ctx context.Context, f core.ExperimentFilter) ([]*core.Experiment, int, error) {
	query := url.Values{}
	if f.Name != "" {
		query.Set("name", f.Name)
	}
	return listAll(ctx, c, "/experiment/project/"+esc(f.ProjectID), query, f.Page, experimentJSON.core)
}

// CreateExperiment sends POST /experiment/project/{id} and returns the
// experiment's id. A zero status is sent as IN_PROGRESS, which DearDiary.jl
// requires.
func (c *Client) CreateExperiment(ctx context.Context, in core.ExperimentCreate) (string, error) {
	status := in.Status
	if status == 0 {
		status = core.ExperimentInProgress
	}
	return c.createdID(ctx, "/experiment/project/"+esc(in.ProjectID), nil, experimentCreateJSON{&status, &in.Name, &in.Description}, "experiment_id")
}

// UpdateExperiment sends PATCH /experiment/{id} with the fields upd sets.
func (c *Client) UpdateExperiment(ctx context.Context, id string, upd core.ExperimentUpdate) error {
	return c.do(ctx, "PATCH", "/experiment/"+esc(id), nil, experimentUpdateJSON{upd.Status, upd.Name, upd.Description, timeField(upd.EndDate)}, nil)
}

// DeleteExperiment sends DELETE /experiment/{id}.
func (c *Client) DeleteExperiment(ctx context.Context, id string) error {
	return c.remove(ctx, "/experiment/"+esc(id))
}

// GetIteration reads GET /iteration/{id}.
func (c *Client) GetIteration(ctx context.Context, id string) (*core.Iteration, error) {
	return fetch(ctx, c, "/iteration/"+esc(id), iterationJSON.core)
}

// ListIterations reads the pages of GET /iteration/experiment/{id}: f.Page's
// rows, or every row when f.Page.Limit is zero, in requests of 200.
func (c *Client) ListIterations(ctx context.Context, f core.IterationFilter) ([]*core.Iteration, int, error) {
	query := url.Values{}
	if f.Status != 0 {
		query.Set("status", strconv.Itoa(int(f.Status)))
	}
	return listAll(ctx, c, "/iteration/experiment/"+esc(f.ExperimentID), query, f.Page, iterationJSON.core)
}

// SearchIterations reads the pages of ddd's GET
// /iteration/search?experiment_id=...&filter=, paged as ListIterations. It
// needs read permission in the project of every experiment named.
func (c *Client) SearchIterations(ctx context.Context, q core.IterationSearch) ([]*core.Iteration, int, error) {
	if len(q.ExperimentIDs) == 0 {
		return nil, 0, core.Invalid("name the experiments to search")
	}
	query := url.Values{"experiment_id": q.ExperimentIDs, "filter": {q.Filter}}
	return listAll(ctx, c, "/iteration/search", query, q.Page, iterationJSON.core)
}

// ChildIterations reads GET /iteration/{id}/children.
func (c *Client) ChildIterations(ctx context.Context, parentID string) ([]*core.Iteration, error) {
	return fetchList(ctx, c, "/iteration/"+esc(parentID)+"/children", nil, iterationJSON.core)
}

// CreateIteration sends POST /iteration/experiment/{id}, the parent as
// upstream's ?parent_iteration_id= and the notes in ddd's optional body, and
// returns the iteration's id.
func (c *Client) CreateIteration(ctx context.Context, in core.IterationCreate) (string, error) {
	query := url.Values{}
	if in.ParentID != "" {
		query.Set("parent_iteration_id", in.ParentID)
	}
	return c.createdID(ctx, "/iteration/experiment/"+esc(in.ExperimentID), query, iterationCreateJSON{&in.Notes}, "iteration_id")
}

// UpdateIteration sends PATCH /iteration/{id} with the fields upd sets. A
// refusal because the iteration ended wraps core.ErrIterationLocked.
func (c *Client) UpdateIteration(ctx context.Context, id string, upd core.IterationUpdate) error {
	return c.do(ctx, "PATCH", "/iteration/"+esc(id), nil, iterationUpdateJSON{upd.Notes, timeField(upd.EndDate), upd.Status, upd.ErrorMessage}, nil)
}

// SetIterationEnvironment sends upstream's POST /iteration/{id}/snapshot
// with all six fields.
func (c *Client) SetIterationEnvironment(ctx context.Context, id string, env core.EnvironmentSnapshot) error {
	return c.do(ctx, "POST", "/iteration/"+esc(id)+"/snapshot", nil, environmentSetJSON{&env.JuliaVersion, &env.GitSHA, &env.GitDirty,
		&env.Entrypoint, &env.ProjectTOML, &env.ManifestTOML}, nil)
}

// DeleteIteration sends DELETE /iteration/{id}.
func (c *Client) DeleteIteration(ctx context.Context, id string) error {
	return c.remove(ctx, "/iteration/"+esc(id))
}

// SaveSnapshot sends ddd's PUT /snapshot/iteration/{id}, files and diff as
// base64; the daemon refuses one over its snapshot limit (PAYLOAD_TOO_LARGE)
// before reading it.
func (c *Client) SaveSnapshot(ctx context.Context, iterationID string, s *core.Snapshot) error {
	if s == nil {
		return core.Invalid("no snapshot given")
	}
	return c.do(ctx, "PUT", "/snapshot/iteration/"+esc(iterationID), nil, toSnapshotJSON(s), nil)
}

// GetSnapshot reads ddd's GET /snapshot/iteration/{id}.
func (c *Client) GetSnapshot(ctx context.Context, iterationID string) (*core.Snapshot, error) {
	return fetch(ctx, c, "/snapshot/iteration/"+esc(iterationID), snapshotJSON.core)
}

// LogBatch sends ddd's POST /iteration/{id}/batch: one request, one
// transaction. Parameter values go as the text the store keeps; the daemon
// takes at most MaxBatchMetrics, MaxBatchParams and MaxBatchTags per call.
func (c *Client) LogBatch(ctx context.Context, iterationID string, b core.Batch) (*core.BatchResult, error) {
	metrics, err := toMetricBatchIn(b.Metrics)
	if err != nil {
		return nil, err
	}
	body := batchJSON{Params: make([]paramIn, len(b.Params)), metricBatchIn: metrics, Tags: b.Tags}
	for i, p := range b.Params {
		text, err := core.FormatParamValue(p.Value)
		if err != nil {
			return nil, core.Invalid("parameter %q: %s", p.Key, core.ErrorMessage(err))
		}
		body.Params[i] = paramIn{&p.Key, paramValue{text}}
	}
	var out struct {
		ParameterIDs wireIDs `json:"parameter_ids"`
		MetricIDs    wireIDs `json:"metric_ids"`
		TagIDs       wireIDs `json:"tag_ids"`
	}
	if err := c.do(ctx, "POST", "/iteration/"+esc(iterationID)+"/batch", nil, body, &out); err != nil {
		return nil, err
	}
	return &core.BatchResult{ParameterIDs: out.ParameterIDs, MetricIDs: out.MetricIDs, TagIDs: out.TagIDs}, nil
}
