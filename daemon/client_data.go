package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/url"
	"strconv"

	"github.com/deardiary/deardiary-go/core"
)

// The client's side of handlers_data.go: parameters, metrics and resources.

// GetParameter reads GET /parameter/{id}.
func (c *Client) GetParameter(ctx context.Context, id string) (*core.Parameter, error) {
	return fetch(ctx, c, "/parameter/"+esc(id), parameterJSON.core)
}

// ListParameters reads the pages of GET /parameter/iteration/{id}, or of
// ddd's GET /parameter/experiment/{id} when f names only an experiment:
// f.Page's rows, or every row when f.Page.Limit is zero, in requests of 200.
func (c *Client) ListParameters(ctx context.Context, f core.ParameterFilter) ([]*core.Parameter, int, error) {
	if f.ExperimentID != "" && f.IterationID == "" {
		return listAll(ctx, c, "/parameter/experiment/"+esc(f.ExperimentID), nil, f.Page, parameterJSON.core)
	}
	return listAll(ctx, c, "/parameter/iteration/"+esc(f.IterationID), nil, f.Page, parameterJSON.core)
}

// CreateParameter sends POST /parameter/iteration/{id} and returns the
// parameter's id. The value goes as the text the store would keep, so both
// modes store the same.
func (c *Client) CreateParameter(ctx context.Context, iterationID, key string, value any) (string, error) {
	text, err := core.FormatParamValue(value)
	if err != nil {
		return "", err
	}
	return c.createdID(ctx, "/parameter/iteration/"+esc(iterationID), nil, parameterInJSON{&key, &paramValue{text}}, "parameter_id")
}

// UpdateParameter sends PATCH /parameter/{id} with the fields upd sets, the
// value as text as CreateParameter sends it.
func (c *Client) UpdateParameter(ctx context.Context, id string, upd core.ParameterUpdate) error {
	body := parameterInJSON{Key: upd.Key}
	if upd.Value != nil {
		text, err := core.FormatParamValue(upd.Value)
		if err != nil {
			return err
		}
		body.Value = &paramValue{text}
	}
	return c.do(ctx, "PATCH", "/parameter/"+esc(id), nil, body, nil)
}

// DeleteParameter sends DELETE /parameter/{id}.
func (c *Client) DeleteParameter(ctx context.Context, id string) error {
	return c.remove(ctx, "/parameter/"+esc(id))
}

// GetMetric reads GET /metric/{id}.
func (c *Client) GetMetric(ctx context.Context, id string) (*core.Metric, error) {
	return fetch(ctx, c, "/metric/"+esc(id), metricJSON.core)
}

// ListMetrics reads the pages of GET /metric/iteration/{id}, one series with
// ddd's ?key=: f.Page's rows, or every row when f.Page.Limit is zero, in
// requests of 200 (MetricHistory reads a series in one).
func (c *Client) ListMetrics(ctx context.Context, f core.MetricFilter) ([]*core.Metric, int, error) {
	query := url.Values{}
	if f.Key != "" {
		query.Set("key", f.Key)
	}
	return listAll(ctx, c, "/metric/iteration/"+esc(f.IterationID), query, f.Page, metricJSON.core)
}

// LogMetric sends POST /metric/iteration/{id} and returns the point's id. A
// value JSON cannot carry (NaN, ±Inf) is refused before sending.
func (c *Client) LogMetric(ctx context.Context, iterationID string, m core.MetricInput) (string, error) {
	body, err := toMetricIn(m)
	if err != nil {
		return "", err
	}
	return c.createdID(ctx, "/metric/iteration/"+esc(iterationID), nil, body, "metric_id")
}

// LogMetrics sends POST /metric/iteration/{id}/batch and returns the ids in
// input order. ddd takes at most MaxBatchMetrics points a request, each
// request one transaction; a larger batch goes as several in order, so over
// the wire it is atomic per MaxBatchMetrics points, not as a whole: if a
// later part fails, the earlier parts stay logged and the error says how
// many.
func (c *Client) LogMetrics(ctx context.Context, iterationID string, b core.MetricBatch) ([]string, error) {
	body, err := toMetricBatchIn(b)
	if err != nil {
		return nil, err
	}
	all := body.Metrics
	ids := make([]string, 0, len(all))
	for start := 0; start == 0 || start < len(all); start += MaxBatchMetrics {
		body.Metrics = all[start:min(start+MaxBatchMetrics, len(all))]
		var out struct {
			IDs wireIDs `json:"metric_ids"`
		}
		if err := c.do(ctx, "POST", "/metric/iteration/"+esc(iterationID)+"/batch", nil, body, &out); err != nil {
			if start > 0 {
				return ids, fmt.Errorf("the first %d points were logged, the rest were not: %w", start, err)
			}
			return nil, err
		}
		ids = append(ids, out.IDs...)
	}
	return ids, nil
}

// UpdateMetric sends PATCH /metric/{id} with the fields upd sets.
func (c *Client) UpdateMetric(ctx context.Context, id string, upd core.MetricUpdate) error {
	body := metricUpdateJSON{Key: upd.Key, Step: upd.Step, RecordedAt: timeField(upd.RecordedAt)}
	if upd.Value != nil {
		v, err := jsonNumber("value", *upd.Value)
		if err != nil {
			return err
		}
		body.Value = &v
	}
	return c.do(ctx, "PATCH", "/metric/"+esc(id), nil, body, nil)
}

// DeleteMetric sends DELETE /metric/{id}.
func (c *Client) DeleteMetric(ctx context.Context, id string) error {
	return c.remove(ctx, "/metric/"+esc(id))
}

// MetricHistory reads ddd's GET /metric/history?key=&iteration_id=...: one
// request, downsampled by the daemon when q.MaxPoints is set.
func (c *Client) MetricHistory(ctx context.Context, q core.HistoryQuery) ([]core.Series, error) {
	query := url.Values{"key": {q.Key}, "iteration_id": q.IterationIDs}
	if q.MaxPoints > 0 {
		query.Set("max_points", strconv.Itoa(q.MaxPoints))
	}
	return fetchList(ctx, c, "/metric/history", query, seriesJSON.core)
}

// MetricSummaries reads ddd's GET /metric/summary?experiment_id=&iteration_id=...
func (c *Client) MetricSummaries(ctx context.Context, f core.SummaryFilter) ([]core.MetricSummary, error) {
	query := url.Values{"iteration_id": f.IterationIDs}
	if f.ExperimentID != "" {
		query.Set("experiment_id", f.ExperimentID)
	}
	return fetchList(ctx, c, "/metric/summary", query, summaryJSON.core)
}

// toMetricIn is m as the client sends it.
func toMetricIn(m core.MetricInput) (metricIn, error) {
	v, err := jsonNumber(m.Key, m.Value)
	return metricIn{m.Key, v, m.Step, timeField(m.RecordedAt)}, err
}

func toMetricBatchIn(b core.MetricBatch) (metricBatchIn, error) {
	out := metricBatchIn{Step: b.Step, RecordedAt: timeField(b.RecordedAt), Metrics: make([]metricIn, len(b.Metrics))}
	for i, m := range b.Metrics {
		var err error
		if out.Metrics[i], err = toMetricIn(m); err != nil {
			return out, err
		}
	}
	return out, nil
}

// jsonNumber is v as JSON text. It refuses what JSON cannot carry, with the
// store's message.
func jsonNumber(key string, v float64) (json.Number, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "", core.Invalid("metric %q: value %v is not a finite number", key, v)
	}
	return json.Number(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

// GetResource reads GET /resource/{id}: the metadata, without the bytes.
func (c *Client) GetResource(ctx context.Context, id string) (*core.Resource, error) {
	return fetch(ctx, c, "/resource/"+esc(id), resourceJSON.core)
}

// ListResources reads the pages of GET /resource/experiment/{id}: f.Page's
// rows, or every row when f.Page.Limit is zero, in requests of 200.
func (c *Client) ListResources(ctx context.Context, f core.ResourceFilter) ([]*core.Resource, int, error) {
	return listAll(ctx, c, "/resource/experiment/"+esc(f.ExperimentID), nil, f.Page, resourceJSON.core)
}

// CreateResource streams data to POST /resource/experiment/{id} as upstream's
// multipart body and returns the resource's id. A body over the daemon's
// upload limit is refused with PAYLOAD_TOO_LARGE, whose message says the
// limit.
func (c *Client) CreateResource(ctx context.Context, in core.ResourceCreate, data io.Reader) (string, error) {
	if data == nil {
		return "", core.Invalid("resource %q has no data", in.Name)
	}
	var out map[string]wireID
	if err := c.upload(ctx, "POST", "/resource/experiment/"+esc(in.ExperimentID),
		map[string]*string{"name": &in.Name, "description": &in.Description}, data, &out); err != nil {
		return "", err
	}
	if out["resource_id"] == "" {
		return "", errNoID
	}
	return string(out["resource_id"]), nil
}

// UpdateResource streams PATCH /resource/{id} with the fields upd sets, and
// the new bytes when upd.Data is set.
func (c *Client) UpdateResource(ctx context.Context, id string, upd core.ResourceUpdate) error {
	return c.upload(ctx, "PATCH", "/resource/"+esc(id), map[string]*string{"name": upd.Name, "description": upd.Description}, upd.Data, nil)
}

// DeleteResource sends DELETE /resource/{id}.
func (c *Client) DeleteResource(ctx context.Context, id string) error {
	return c.remove(ctx, "/resource/"+esc(id))
}

// OpenResource streams the bytes of GET /resource/{id}/data; the caller
// closes the reader. An error answer arrives here, before any bytes.
func (c *Client) OpenResource(ctx context.Context, id string) (io.ReadCloser, error) {
	c.fresh(ctx)
	resp, err := c.send(ctx, "GET", "/resource/"+esc(id)+"/data", nil, nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// upload streams a multipart body: the text fields first, then the data, so
// the daemon can pass the bytes on without holding them.
func (c *Client) upload(ctx context.Context, method, path string, fields map[string]*string, data io.Reader, out any) error {
	for name, v := range fields {
		if v != nil {
			if err := checkUTF8(reflectValue(*v)); err != nil {
				return core.Invalid("%s: %s", name, core.ErrorMessage(err))
			}
		}
	}
	c.fresh(ctx)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for _, name := range []string{"name", "description"} {
				if v := fields[name]; v != nil {
					if err := mw.WriteField(name, *v); err != nil {
						return err
					}
				}
			}
			if data != nil {
				part, err := mw.CreateFormFile("data", "data")
				if err != nil {
					return err
				}
				if _, err := io.Copy(part, data); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	resp, err := c.send(ctx, method, path, nil, pr, mw.FormDataContentType())
	pr.CloseWithError(fmt.Errorf("request done"))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return decodeJSON(resp.Body, out)
}
