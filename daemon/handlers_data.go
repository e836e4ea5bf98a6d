package daemon

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"

	"github.com/deardiary/deardiary-go/core"
)

func (s *Server) listParameters(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	items, total, err := s.t.ListParameters(r.Context(), core.ParameterFilter{IterationID: pathVar(r, "iteration_id"),
		ExperimentID: pathVar(r, "experiment_id"), Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toParameterJSON)
}

func (s *Server) createParameter(w http.ResponseWriter, r *http.Request) error {
	var in parameterInJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Key == nil || in.Value == nil {
		return core.Invalid("key and value are required")
	}
	id, err := s.t.CreateParameter(r.Context(), pathVar(r, "iteration_id"), *in.Key, in.Value.V)
	if err != nil {
		return err
	}
	return created(w, "parameter_id", id)
}

func (s *Server) updateParameter(w http.ResponseWriter, r *http.Request) error {
	var in parameterInJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	upd := core.ParameterUpdate{Key: in.Key}
	if in.Value != nil {
		upd.Value = in.Value.V
	}
	if err := s.t.UpdateParameter(r.Context(), pathVar(r, "id"), upd); err != nil {
		return err
	}
	return updated(w)
}

// listMetrics takes ?key= (new) to page through one series.
func (s *Server) listMetrics(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	items, total, err := s.t.ListMetrics(r.Context(), core.MetricFilter{IterationID: pathVar(r, "iteration_id"),
		Key: r.URL.Query().Get("key"), Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toMetricJSON)
}

func (s *Server) createMetric(w http.ResponseWriter, r *http.Request) error {
	var in metricIn
	if err := s.decodeFast(w, r, &in, func(b []byte) bool { return parseMetric(b, &in) }); err != nil {
		return err
	}
	m, err := in.core(-1)
	if err != nil {
		return err
	}
	id, err := s.t.LogMetric(r.Context(), pathVar(r, "iteration_id"), m)
	if err != nil {
		return err
	}
	return created(w, "metric_id", id)
}

// createMetrics logs a batch atomically and in request order (upstream
// collapsed duplicate keys and stopped half-way).
func (s *Server) createMetrics(w http.ResponseWriter, r *http.Request) error {
	var in metricBatchIn
	if err := s.decodeFast(w, r, &in, func(b []byte) bool { return parseMetricBatch(b, &in) }); err != nil {
		return err
	}
	if in.Metrics == nil {
		return core.Invalid("metrics is required")
	}
	if len(in.Metrics) > MaxBatchMetrics {
		return core.Invalid("the batch has %d points; at most %d per request", len(in.Metrics), MaxBatchMetrics)
	}
	b, err := in.core()
	if err != nil {
		return err
	}
	ids, err := s.t.LogMetrics(r.Context(), pathVar(r, "iteration_id"), b)
	if err != nil {
		return err
	}
	return createdIDs(w, "metric_ids", ids)
}

func (s *Server) updateMetric(w http.ResponseWriter, r *http.Request) error {
	var in metricUpdateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	upd := core.MetricUpdate{Key: in.Key, Step: in.Step}
	if in.Value != nil {
		v, err := in.Value.Float64()
		if err != nil {
			return core.Invalid("value %s is not a number", *in.Value)
		}
		upd.Value = &v
	}
	at, err := optionalTime("recorded_at", in.RecordedAt)
	if err != nil {
		return err
	}
	upd.RecordedAt = at
	if err := s.t.UpdateMetric(r.Context(), pathVar(r, "id"), upd); err != nil {
		return err
	}
	return updated(w)
}

// metricHistory answers GET /metric/history?key=&iteration_id=...&max_points=.
func (s *Server) metricHistory(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	maxPoints := 0
	if v := q.Get("max_points"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return core.Invalid("max_points must be a whole number, not %q", v)
		}
		maxPoints = n
	}
	query := core.HistoryQuery{Key: q.Get("key"), IterationIDs: q["iteration_id"], MaxPoints: maxPoints}
	if streamer, ok := s.t.(core.HistoryStreamer); ok && maxPoints == 0 {
		return streamHistory(w, r, streamer, query)
	}
	series, err := s.t.MetricHistory(r.Context(), query)
	if err != nil {
		return err
	}
	return ok(w, mapSlice(series, toSeriesJSON))
}

// metricSummaries answers GET /metric/summary?experiment_id= and/or
// ?iteration_id=...: the run table of an experiment.
func (s *Server) metricSummaries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sums, err := s.t.MetricSummaries(r.Context(), core.SummaryFilter{ExperimentID: q.Get("experiment_id"), IterationIDs: q["iteration_id"]})
	if err != nil {
		return err
	}
	return ok(w, mapSlice(sums, toSummaryJSON))
}

func (s *Server) resourceData(w http.ResponseWriter, r *http.Request) error {
	res, err := s.t.GetResource(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	data, err := s.t.OpenResource(r.Context(), res.ID)
	if err != nil {
		return err
	}
	defer data.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(res.SizeBytes, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, data) // the status is sent; a broken copy shows as a short body
	return nil
}

func (s *Server) listResources(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	items, total, err := s.t.ListResources(r.Context(), core.ResourceFilter{ExperimentID: pathVar(r, "experiment_id"), Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toResourceJSON)
}

// upload is a multipart resource request read as a stream: the text fields
// and the data part, which goes straight to the store when the fields came
// first and through a temporary file otherwise.
type upload struct {
	fields map[string]string
	data   io.Reader
	spool  *os.File
	reader *multipart.Reader
	part   *multipart.Part
}

const maxFieldBytes = 64 << 10

// readUpload reads parts up to the data part (or the end).
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (*upload, error) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		return nil, core.Invalid("send resources as multipart/form-data with the parts name and data")
	}
	if r.ContentLength > s.uploadLimit() {
		return nil, s.uploadTooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.uploadLimit())
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, core.Invalid("cannot read the multipart body: %v", err)
	}
	u := &upload{fields: map[string]string{}, reader: mr}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return u, nil
		}
		if err != nil {
			return nil, s.uploadBodyError(err)
		}
		switch name := part.FormName(); name {
		case "data":
			u.part = part
			u.data = part
			return u, nil
		case "name", "description":
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, s.uploadBodyError(err)
			}
			if len(b) > maxFieldBytes {
				return nil, core.Invalid("the %s part is longer than %d bytes", name, maxFieldBytes)
			}
			u.fields[name] = string(b)
		}
	}
}

// finish reads the parts after the data part. If text fields follow the data,
// the data is spooled to a temporary file first, so nothing is held in memory.
func (u *upload) finish(s *Server) error {
	if u.part == nil {
		return nil
	}
	f, err := os.CreateTemp("", "ddd-upload-*")
	if err != nil {
		return err
	}
	u.spool = f
	if _, err := io.Copy(f, u.part); err != nil {
		return s.uploadBodyError(err)
	}
	for {
		part, err := u.reader.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.uploadBodyError(err)
		}
		if name := part.FormName(); name == "name" || name == "description" {
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return s.uploadBodyError(err)
			}
			if len(b) > maxFieldBytes {
				return core.Invalid("the %s part is longer than %d bytes", name, maxFieldBytes)
			}
			u.fields[name] = string(b)
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	u.data = f
	return nil
}

func (u *upload) close() {
	if u.spool != nil {
		u.spool.Close()
		os.Remove(u.spool.Name())
	}
}

func (s *Server) createResource(w http.ResponseWriter, r *http.Request) error {
	u, err := s.readUpload(w, r)
	if err != nil {
		return err
	}
	defer u.close()
	if _, named := u.fields["name"]; !named {
		if err := u.finish(s); err != nil {
			return err
		}
	}
	name, named := u.fields["name"]
	if !named || u.data == nil {
		return core.Invalid("Multipart fields 'name' and 'data' are required")
	}
	id, err := s.t.CreateResource(r.Context(), core.ResourceCreate{ExperimentID: pathVar(r, "experiment_id"), Name: name,
		Description: u.fields["description"]}, u.data)
	if err != nil {
		return s.uploadError(err)
	}
	return created(w, "resource_id", id)
}

func (s *Server) updateResource(w http.ResponseWriter, r *http.Request) error {
	u, err := s.readUpload(w, r)
	if err != nil {
		return err
	}
	defer u.close()
	if err := u.finish(s); err != nil {
		return err
	}
	var upd core.ResourceUpdate
	if v, ok := u.fields["name"]; ok {
		upd.Name = &v
	}
	if v, ok := u.fields["description"]; ok {
		upd.Description = &v
	}
	upd.Data = u.data
	if err := s.t.UpdateResource(r.Context(), pathVar(r, "id"), upd); err != nil {
		return s.uploadError(err)
	}
	return updated(w)
}

// MaxInlineUploadBytes bounds a resource upload's body when resources are kept
// inline in the database (DEARDIARY_ARTIFACT_BACKEND=inline): DuckDB holds a
// row's bytes in its buffer memory, which ddd limits.
const MaxInlineUploadBytes = 32 << 20

// uploadLimit is the largest resource upload ddd takes.
func (s *Server) uploadLimit() int64 {
	if s.cfg.ArtifactBackend == "" || s.cfg.ArtifactBackend == core.BackendInline {
		return min(s.cfg.MaxUploadBytes, MaxInlineUploadBytes)
	}
	return s.cfg.MaxUploadBytes
}

// uploadTooLarge is the 413 for an upload over uploadLimit, saying how to
// take larger ones where that is the backend's doing.
func (s *Server) uploadTooLarge() error {
	limit := s.uploadLimit()
	err := tooLargeError("upload", limit)
	if limit < s.cfg.MaxUploadBytes {
		return core.Errorf(codeTooLarge, "%s, as resources are kept in the database; with DEARDIARY_ARTIFACT_BACKEND=filesystem or s3 they stream to disk or to a bucket, up to %s",
			core.ErrorMessage(err), core.FormatBytes(s.cfg.MaxUploadBytes))
	}
	return err
}

// uploadError turns an upload that broke off or ran over the limit,
// surfacing from inside the store, into a clear error.
func (s *Server) uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return s.uploadTooLarge()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return core.Invalid("the upload broke off before its end")
	}
	return err
}

// uploadBodyError explains why an upload's multipart body could not be
// read.
func (s *Server) uploadBodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return s.uploadTooLarge()
	}
	return bodyError(err, s.uploadLimit())
}
