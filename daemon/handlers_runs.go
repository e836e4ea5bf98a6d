package daemon

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// optionalTime reads an optional timestamp field (RFC 3339 or upstream's
// naive form); null or "" means unset.
func optionalTime(field string, s *string) (*time.Time, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	t, err := core.ParseTime(*s)
	if err != nil {
		return nil, core.Invalid("%s: %s", field, core.ErrorMessage(err))
	}
	return &t, nil
}

func (s *Server) listExperiments(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	items, total, err := s.t.ListExperiments(r.Context(), core.ExperimentFilter{ProjectID: pathVar(r, "project_id"),
		Name: r.URL.Query().Get("name"), Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toExperimentJSON)
}

func (s *Server) createExperiment(w http.ResponseWriter, r *http.Request) error {
	var in experimentCreateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return core.Invalid("name is required")
	}
	// The store reads a zero status as "the default"; on the wire a
	// status_id of 0 is a status like any other, and not IN_PROGRESS.
	if in.Status != nil && *in.Status != core.ExperimentInProgress {
		return core.Invalid("a new experiment must be IN_PROGRESS (status_id 1), not %d", *in.Status)
	}
	id, err := s.t.CreateExperiment(r.Context(), core.ExperimentCreate{ProjectID: pathVar(r, "project_id"), Name: *in.Name,
		Description: deref(in.Description), Status: core.ExperimentInProgress})
	if err != nil {
		return err
	}
	return created(w, "experiment_id", id)
}

func (s *Server) updateExperiment(w http.ResponseWriter, r *http.Request) error {
	var in experimentUpdateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	end, err := optionalTime("end_date", in.EndDate)
	if err != nil {
		return err
	}
	if err := s.t.UpdateExperiment(r.Context(), pathVar(r, "id"), core.ExperimentUpdate{Status: in.Status, Name: in.Name,
		Description: in.Description, EndDate: end}); err != nil {
		return err
	}
	return updated(w)
}

// listIterations takes ?status= (new) as a name or number.
func (s *Server) listIterations(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	status, err := statusParam(r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	items, total, err := s.t.ListIterations(r.Context(), core.IterationFilter{ExperimentID: pathVar(r, "experiment_id"), Status: status, Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toIterationJSON)
}

func statusParam(v string) (core.IterationStatus, error) {
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return core.IterationStatus(n), nil
	}
	return core.ParseIterationStatus(v)
}

func (s *Server) searchIterations(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	q := r.URL.Query()
	items, total, err := s.t.SearchIterations(r.Context(), core.IterationSearch{ExperimentIDs: q["experiment_id"], Filter: q.Get("filter"), Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toIterationJSON)
}

func (s *Server) childIterations(w http.ResponseWriter, r *http.Request) error {
	items, err := s.t.ChildIterations(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	return ok(w, mapSlice(items, toIterationJSON))
}

// createIteration takes no body upstream; ddd also reads {"notes": ...}.
func (s *Server) createIteration(w http.ResponseWriter, r *http.Request) error {
	var in iterationCreateJSON
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &in); err != nil && r.ContentLength > 0 {
			return err
		}
	}
	id, err := s.t.CreateIteration(r.Context(), core.IterationCreate{ExperimentID: pathVar(r, "experiment_id"),
		ParentID: r.URL.Query().Get("parent_iteration_id"), Notes: deref(in.Notes)})
	if err != nil {
		return err
	}
	return created(w, "iteration_id", id)
}

func (s *Server) setEnvironment(w http.ResponseWriter, r *http.Request) error {
	var in environmentSetJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.JuliaVersion == nil || in.GitSHA == nil || in.GitDirty == nil || in.Entrypoint == nil || in.ProjectTOML == nil || in.ManifestTOML == nil {
		return core.Invalid("julia_version, git_sha, git_dirty, entrypoint, project_toml and manifest_toml are required")
	}
	if err := core.CheckCommit(*in.GitSHA); err != nil {
		return err
	}
	if err := s.t.SetIterationEnvironment(r.Context(), pathVar(r, "id"), core.EnvironmentSnapshot{JuliaVersion: *in.JuliaVersion,
		GitSHA: *in.GitSHA, GitDirty: *in.GitDirty, Entrypoint: *in.Entrypoint, ProjectTOML: *in.ProjectTOML, ManifestTOML: *in.ManifestTOML}); err != nil {
		return err
	}
	return updated(w)
}

func (s *Server) updateIteration(w http.ResponseWriter, r *http.Request) error {
	var in iterationUpdateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	end, err := optionalTime("end_date", in.EndDate)
	if err != nil {
		return err
	}
	if err := s.t.UpdateIteration(r.Context(), pathVar(r, "id"), core.IterationUpdate{Notes: in.Notes, EndDate: end,
		Status: in.Status, ErrorMessage: in.ErrorMessage}); err != nil {
		return err
	}
	return updated(w)
}

func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.t.GetSnapshot(r.Context(), pathVar(r, "id"))
	if err != nil {
		return err
	}
	return writeSnapshot(w, snap)
}

// writeSnapshot answers with a snapshot's JSON, the same bytes writeJSON
// would send, but encodes the files and the diff straight to w: marshalled
// whole, a large snapshot was held once more as its JSON, a third larger.
// The rest is marshalled with a random 18-byte placeholder for each of them,
// whose base64 text marks where its own goes.
func writeSnapshot(w http.ResponseWriter, s *core.Snapshot) error {
	j := toSnapshotJSON(s)
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	type mark struct {
		text string // the placeholder as encoding/json writes it
		data []byte
	}
	var marks []mark
	swap := func(data []byte) []byte {
		if data == nil {
			return nil // null, as marshalled
		}
		p := binary.BigEndian.AppendUint16(slices.Clone(nonce), uint16(len(marks)))
		marks = append(marks, mark{base64.StdEncoding.EncodeToString(p), data})
		return p
	}
	j.Git.Diff = swap(j.Git.Diff)
	for i := range j.Files {
		j.Files[i].Content = swap(j.Files[i].Content)
	}
	head, err := json.Marshal(j)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	for _, m := range marks {
		at := bytes.Index(head, []byte(m.text))
		if _, err := w.Write(head[:at]); err != nil {
			return nil // the client went away; the status is sent
		}
		enc := base64.NewEncoder(base64.StdEncoding, w)
		_, _ = enc.Write(m.data)
		_ = enc.Close()
		head = head[at+len(m.text):]
	}
	_, _ = w.Write(append(head, '\n'))
	return nil
}

func (s *Server) saveSnapshot(w http.ResponseWriter, r *http.Request) error {
	var in snapshotJSON
	if err := decodeSnapshot(w, r, &in, s.cfg.MaxSnapshotBytes); err != nil {
		return err
	}
	snap := in.core()
	if err := core.CheckSnapshot(snap); err != nil {
		return err
	}
	if err := s.t.SaveSnapshot(r.Context(), pathVar(r, "id"), snap); err != nil {
		return err
	}
	return updated(w)
}

// decodeSnapshot reads a snapshot body whole (readBody, whose buffer ends
// at about the announced length) and decodes it in place: json.Decoder
// would grow its own buffer by doubling to hold it, keeping up to twice a
// large snapshot's size for the garbage collector.
func decodeSnapshot(w http.ResponseWriter, r *http.Request, dst *snapshotJSON, limit int64) error {
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	if err := checkJSON(body, dst); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return bodyError(err, limit)
	}
	return nil
}

// Batch limits, in the spirit of MLflow's log-batch (1,000 metrics, 100
// parameters, 100 tags per request).
const (
	MaxBatchMetrics = 1000
	MaxBatchParams  = 100
	MaxBatchTags    = 100
)

// logBatch records parameters, metrics and tags at once (new).
func (s *Server) logBatch(w http.ResponseWriter, r *http.Request) error {
	var in batchJSON
	// A batch of metrics alone, the usual one, is read as
	// /metric/iteration/{id}/batch reads it, without reflection.
	if err := s.decodeFast(w, r, &in, func(b []byte) bool { return parseMetricBatch(b, &in.metricBatchIn) }); err != nil {
		return err
	}
	switch {
	case len(in.Metrics) > MaxBatchMetrics:
		return core.Invalid("the batch has %d metrics; at most %d per request", len(in.Metrics), MaxBatchMetrics)
	case len(in.Params) > MaxBatchParams:
		return core.Invalid("the batch has %d params; at most %d per request", len(in.Params), MaxBatchParams)
	case len(in.Tags) > MaxBatchTags:
		return core.Invalid("the batch has %d tags; at most %d per request", len(in.Tags), MaxBatchTags)
	}
	metrics, err := in.metricBatchIn.core()
	if err != nil {
		return err
	}
	b := core.Batch{Metrics: metrics, Tags: in.Tags}
	for i, p := range in.Params {
		if p.Key == nil {
			return core.Invalid("params[%d]: key is required", i)
		}
		b.Params = append(b.Params, core.ParamInput{Key: *p.Key, Value: p.Value.V})
	}
	res, err := s.t.LogBatch(r.Context(), pathVar(r, "id"), b)
	if err != nil {
		return err
	}
	return createdBatch(w, res)
}

// createdBatch answers a batch as writeJSON would write its three lists,
// without reflection (see createdIDs).
func createdBatch(w http.ResponseWriter, res *core.BatchResult) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	b := append(appendWireIDs([]byte(`{"metric_ids":`), res.MetricIDs), `,"parameter_ids":`...)
	b = append(appendWireIDs(b, res.ParameterIDs), `,"tag_ids":`...)
	_, _ = w.Write(append(appendWireIDs(b, res.TagIDs), "}\n"...))
	return nil
}
