package daemon

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/deardiary/deardiary-go/core"
)

// The JSON shapes of DearDiary.jl's REST API (docs/API.md): field names as
// upstream, timestamps as core.TimeLayout text or null, booleans as
// booleans. Both the server and the client use them.

// wireID is an id on the wire. In Go every id is text: an integer-id store's
// "1" as well as a UUID store's "0192f3c4-...". DearDiary.jl 0.9.1 sends and
// expects integer ids as JSON numbers, its head UUIDs as strings. So an id
// that is a canonical decimal int64 (integerID) goes out as a number and any
// other as a string; as every id of a store is of one kind, no flag decides.
// Both forms are read, and nothing else: a fraction, an exponent, a sign or
// a number past int64 is an error naming the field (422 on the server).
type wireID string

func (id wireID) MarshalJSON() ([]byte, error) { return appendWireID(nil, string(id)), nil }

func (id *wireID) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil // as for a string; a pointer field stays nil
	case b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b):
		*id = wireID(b[1 : len(b)-1]) // a page holds hundreds of plain ids
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = wireID(s)
	case integerID(string(b)):
		*id = wireID(b)
	default:
		what := map[byte]string{'{': "object", '[': "array", 't': "bool", 'f': "bool"}[b[0]]
		if what == "" {
			what = "number " + string(b)
		}
		return &json.UnmarshalTypeError{Value: what, Type: reflect.TypeFor[wireID]()}
	}
	return nil
}

// integerID reports whether id is an integer as DearDiary.jl 0.9.1 writes
// one: decimal digits without a sign or leading zeros, at most MaxInt64.
func integerID(id string) bool {
	const maxInt64 = "9223372036854775807"
	if id == "" || len(id) > len(maxInt64) || id[0] == '0' && len(id) > 1 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return len(id) < len(maxInt64) || id <= maxInt64
}

// wireIDs is a list of ids on the wire, each as wireID writes it, and nil as
// []. Its underlying []string makes the store's id lists wire lists without
// a copy: a metric batch answers with thousands.
type wireIDs []string

func (ids wireIDs) MarshalJSON() ([]byte, error) { return appendWireIDs(nil, ids), nil }

func (ids *wireIDs) UnmarshalJSON(b []byte) error {
	var list []wireID
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*ids = mapSlice(list, func(id wireID) string { return string(id) })
	return nil
}

// optionalID is an optional id: null when empty.
func optionalID(id string) *wireID {
	if id == "" {
		return nil
	}
	return (*wireID)(&id)
}

// timeText is a timestamp on the wire: upstream's text, or null when unset.
func timeText(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := core.FormatTime(t)
	return &s
}

// timeField is an optional timestamp of a request: null when t is nil or
// zero.
func timeField(t *time.Time) *string {
	if t == nil {
		return nil
	}
	return timeText(*t)
}

func readTime(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, _ := core.ParseTime(*s)
	return t
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type userJSON struct {
	ID          wireID  `json:"id"`
	FirstName   string  `json:"first_name"`
	LastName    string  `json:"last_name"`
	Username    string  `json:"username"`
	CreatedDate *string `json:"created_date"`
	IsAdmin     bool    `json:"is_admin"`
}

func toUserJSON(u *core.User) userJSON {
	return userJSON{wireID(u.ID), u.FirstName, u.LastName, u.Username, timeText(u.CreatedDate), u.IsAdmin}
}

func (j userJSON) core() *core.User {
	return &core.User{ID: string(j.ID), FirstName: j.FirstName, LastName: j.LastName, Username: j.Username, CreatedDate: readTime(j.CreatedDate), IsAdmin: j.IsAdmin}
}

type projectJSON struct {
	ID          wireID  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	CreatedDate *string `json:"created_date"`
}

func toProjectJSON(p *core.Project) projectJSON {
	return projectJSON{wireID(p.ID), p.Name, p.Description, timeText(p.CreatedDate)}
}

func (j projectJSON) core() *core.Project {
	return &core.Project{ID: string(j.ID), Name: j.Name, Description: j.Description, CreatedDate: readTime(j.CreatedDate)}
}

type permissionJSON struct {
	ID        wireID `json:"id"`
	UserID    wireID `json:"user_id"`
	ProjectID wireID `json:"project_id"`
	Create    bool   `json:"create_permission"`
	Read      bool   `json:"read_permission"`
	Update    bool   `json:"update_permission"`
	Delete    bool   `json:"delete_permission"`
}

func toPermissionJSON(p *core.UserPermission) permissionJSON {
	return permissionJSON{wireID(p.ID), wireID(p.UserID), wireID(p.ProjectID), p.Create, p.Read, p.Update, p.Delete}
}

func (j permissionJSON) core() *core.UserPermission {
	return &core.UserPermission{ID: string(j.ID), UserID: string(j.UserID), ProjectID: string(j.ProjectID),
		Permissions: core.Permissions{Create: j.Create, Read: j.Read, Update: j.Update, Delete: j.Delete}}
}

type experimentJSON struct {
	ID          wireID                `json:"id"`
	ProjectID   wireID                `json:"project_id"`
	Status      core.ExperimentStatus `json:"status_id"`
	Name        string                `json:"name"`
	Description string                `json:"description"`
	CreatedDate *string               `json:"created_date"`
	EndDate     *string               `json:"end_date"`
}

func toExperimentJSON(e *core.Experiment) experimentJSON {
	return experimentJSON{wireID(e.ID), wireID(e.ProjectID), e.Status, e.Name, e.Description, timeText(e.CreatedDate), timeText(e.EndDate)}
}

func (j experimentJSON) core() *core.Experiment {
	return &core.Experiment{ID: string(j.ID), ProjectID: string(j.ProjectID), Status: j.Status, Name: j.Name, Description: j.Description,
		CreatedDate: readTime(j.CreatedDate), EndDate: readTime(j.EndDate)}
}

type iterationJSON struct {
	ID           wireID               `json:"id"`
	ExperimentID wireID               `json:"experiment_id"`
	Notes        string               `json:"notes"`
	CreatedDate  *string              `json:"created_date"`
	EndDate      *string              `json:"end_date"`
	ParentID     *wireID              `json:"parent_iteration_id"`
	Status       core.IterationStatus `json:"status_id"`
	ErrorMessage string               `json:"error_message"`
	environmentJSON
}

type environmentJSON struct {
	JuliaVersion string `json:"julia_version"`
	GitSHA       string `json:"git_sha"`
	GitDirty     bool   `json:"git_dirty"`
	Entrypoint   string `json:"entrypoint"`
	ProjectTOML  string `json:"project_toml"`
	ManifestTOML string `json:"manifest_toml"`
}

func toIterationJSON(it *core.Iteration) iterationJSON {
	env := it.Environment
	return iterationJSON{wireID(it.ID), wireID(it.ExperimentID), it.Notes, timeText(it.CreatedDate), timeText(it.EndDate), optionalID(it.ParentID),
		it.Status, it.ErrorMessage, environmentJSON{env.JuliaVersion, env.GitSHA, env.GitDirty, env.Entrypoint, env.ProjectTOML, env.ManifestTOML}}
}

func (j iterationJSON) core() *core.Iteration {
	return &core.Iteration{ID: string(j.ID), ExperimentID: string(j.ExperimentID), ParentID: deref((*string)(j.ParentID)), Notes: j.Notes, Status: j.Status,
		ErrorMessage: j.ErrorMessage, CreatedDate: readTime(j.CreatedDate), EndDate: readTime(j.EndDate), Environment: j.environmentJSON.core()}
}

func (j environmentJSON) core() core.EnvironmentSnapshot {
	return core.EnvironmentSnapshot{JuliaVersion: j.JuliaVersion, GitSHA: j.GitSHA, GitDirty: j.GitDirty, Entrypoint: j.Entrypoint,
		ProjectTOML: j.ProjectTOML, ManifestTOML: j.ManifestTOML}
}

type parameterJSON struct {
	ID          wireID `json:"id"`
	IterationID wireID `json:"iteration_id"`
	Key         string `json:"key"`
	Value       string `json:"value"`
}

func toParameterJSON(p *core.Parameter) parameterJSON {
	return parameterJSON{wireID(p.ID), wireID(p.IterationID), p.Key, p.Value}
}

func (j parameterJSON) core() *core.Parameter {
	return &core.Parameter{ID: string(j.ID), IterationID: string(j.IterationID), Key: j.Key, Value: j.Value}
}

type metricJSON struct {
	ID          wireID  `json:"id"`
	IterationID wireID  `json:"iteration_id"`
	Key         string  `json:"key"`
	Value       float64 `json:"value"`
	Step        int64   `json:"step"`
	RecordedAt  *string `json:"recorded_at"`
}

func toMetricJSON(m *core.Metric) metricJSON {
	return metricJSON{wireID(m.ID), wireID(m.IterationID), m.Key, m.Value, m.Step, timeText(m.RecordedAt)}
}

func (j metricJSON) core() *core.Metric {
	return &core.Metric{ID: string(j.ID), IterationID: string(j.IterationID), Key: j.Key, Value: j.Value, Step: j.Step, RecordedAt: readTime(j.RecordedAt)}
}

type resourceJSON struct {
	ID           wireID  `json:"id"`
	ExperimentID wireID  `json:"experiment_id"`
	Name         string  `json:"name"`
	Description  string  `json:"description"`
	CreatedDate  *string `json:"created_date"`
	UpdatedDate  *string `json:"updated_date"`
	Backend      string  `json:"backend"`
	URI          string  `json:"uri"`
	SizeBytes    int64   `json:"size_bytes"`
	ContentHash  string  `json:"content_hash"`
}

func toResourceJSON(r *core.Resource) resourceJSON {
	return resourceJSON{wireID(r.ID), wireID(r.ExperimentID), r.Name, r.Description, timeText(r.CreatedDate), timeText(r.UpdatedDate),
		r.Backend, r.URI, r.SizeBytes, r.ContentHash}
}

func (j resourceJSON) core() *core.Resource {
	return &core.Resource{ID: string(j.ID), ExperimentID: string(j.ExperimentID), Name: j.Name, Description: j.Description,
		CreatedDate: readTime(j.CreatedDate), UpdatedDate: readTime(j.UpdatedDate), Backend: j.Backend, URI: j.URI,
		SizeBytes: j.SizeBytes, ContentHash: j.ContentHash}
}

type tagJSON struct {
	ID    wireID `json:"id"`
	Value string `json:"value"`
}

func toTagJSON(t *core.Tag) tagJSON { return tagJSON{wireID(t.ID), t.Value} }

func (j tagJSON) core() *core.Tag { return &core.Tag{ID: string(j.ID), Value: j.Value} }

type modelJSON struct {
	ID          wireID  `json:"id"`
	ProjectID   wireID  `json:"project_id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	CreatedDate *string `json:"created_date"`
	UpdatedDate *string `json:"updated_date"`
}

func toModelJSON(m *core.Model) modelJSON {
	return modelJSON{wireID(m.ID), wireID(m.ProjectID), m.Name, m.Description, timeText(m.CreatedDate), timeText(m.UpdatedDate)}
}

func (j modelJSON) core() *core.Model {
	return &core.Model{ID: string(j.ID), ProjectID: string(j.ProjectID), Name: j.Name, Description: j.Description,
		CreatedDate: readTime(j.CreatedDate), UpdatedDate: readTime(j.UpdatedDate)}
}

type versionJSON struct {
	ID          wireID     `json:"id"`
	ModelID     wireID     `json:"model_id"`
	Version     int64      `json:"version"`
	IterationID wireID     `json:"iteration_id"`
	ResourceID  *wireID    `json:"resource_id"`
	Stage       core.Stage `json:"stage_id"`
	Description string     `json:"description"`
	CreatedDate *string    `json:"created_date"`
	UpdatedDate *string    `json:"updated_date"`
}

func toVersionJSON(v *core.ModelVersion) versionJSON {
	return versionJSON{wireID(v.ID), wireID(v.ModelID), v.Version, wireID(v.IterationID), optionalID(v.ResourceID), v.Stage, v.Description,
		timeText(v.CreatedDate), timeText(v.UpdatedDate)}
}

func (j versionJSON) core() *core.ModelVersion {
	return &core.ModelVersion{ID: string(j.ID), ModelID: string(j.ModelID), Version: j.Version, IterationID: string(j.IterationID), ResourceID: deref((*string)(j.ResourceID)),
		Stage: j.Stage, Description: j.Description, CreatedDate: readTime(j.CreatedDate), UpdatedDate: readTime(j.UpdatedDate)}
}

// page is upstream's paginated response.
type page[T any] struct {
	Data   []T `json:"data"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// mapSlice converts each element.
func mapSlice[A, B any](xs []A, f func(A) B) []B {
	out := make([]B, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// summaryJSON, seriesJSON, pointJSON and snapshotJSON are ddd's own shapes,
// for routes upstream lacks (docs/API.md).
type summaryJSON struct {
	IterationID wireID  `json:"iteration_id"`
	Key         string  `json:"key"`
	Last        float64 `json:"last"`
	FirstStep   int64   `json:"first_step"`
	LastStep    int64   `json:"last_step"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Count       int64   `json:"count"`
}

func toSummaryJSON(m core.MetricSummary) summaryJSON {
	return summaryJSON{wireID(m.IterationID), m.Key, m.Last, m.FirstStep, m.LastStep, m.Min, m.Max, m.Count}
}

func (j summaryJSON) core() core.MetricSummary {
	return core.MetricSummary{IterationID: string(j.IterationID), Key: j.Key, Last: j.Last, FirstStep: j.FirstStep, LastStep: j.LastStep,
		Min: j.Min, Max: j.Max, Count: j.Count}
}

type pointJSON struct {
	Step       int64   `json:"step"`
	Value      float64 `json:"value"`
	RecordedAt *string `json:"recorded_at"`
}

type seriesJSON struct {
	IterationID wireID      `json:"iteration_id"`
	Key         string      `json:"key"`
	Points      []pointJSON `json:"points"`
}

func toSeriesJSON(s core.Series) seriesJSON {
	return seriesJSON{wireID(s.IterationID), s.Key, mapSlice(s.Points, func(p core.Point) pointJSON {
		return pointJSON{p.Step, p.Value, timeText(p.RecordedAt)}
	})}
}

func (j seriesJSON) core() core.Series {
	return core.Series{IterationID: string(j.IterationID), Key: j.Key, Points: mapSlice(j.Points, func(p pointJSON) core.Point {
		return core.Point{Step: p.Step, Value: p.Value, RecordedAt: readTime(p.RecordedAt)}
	})}
}

type snapshotJSON struct {
	IterationID    wireID             `json:"iteration_id"`
	CapturedAt     *string            `json:"captured_at"`
	Runtime        string             `json:"runtime"`
	RuntimeVersion string             `json:"runtime_version"`
	Runtimes       []runtimeJSON      `json:"runtimes"`
	Root           string             `json:"root"`
	Entrypoint     string             `json:"entrypoint"`
	Git            gitJSON            `json:"git"`
	Files          []snapshotFileJSON `json:"files"`
	Notes          []string           `json:"notes"`
}

type runtimeJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type gitJSON struct {
	Commit    string   `json:"commit"`
	Dirty     bool     `json:"dirty"`
	Diff      []byte   `json:"diff"` // base64
	Untracked []string `json:"untracked"`
	Branch    string   `json:"branch"`
	Remote    string   `json:"remote"`
}

type snapshotFileJSON struct {
	Path      string `json:"path"`
	Ecosystem string `json:"ecosystem"`
	Size      int64  `json:"size_bytes"`
	SHA256    string `json:"sha256"`
	Content   []byte `json:"content"` // base64
	Skipped   string `json:"skipped,omitempty"`
}

func toSnapshotJSON(s *core.Snapshot) snapshotJSON {
	return snapshotJSON{
		IterationID: wireID(s.IterationID), CapturedAt: timeText(s.CapturedAt), Runtime: s.Runtime, RuntimeVersion: s.RuntimeVersion,
		Runtimes: mapSlice(s.Runtimes, func(r core.Runtime) runtimeJSON { return runtimeJSON(r) }),
		Root:     s.Root, Entrypoint: s.Entrypoint,
		Git:   gitJSON{s.Git.Commit, s.Git.Dirty, s.Git.Diff, s.Git.Untracked, s.Git.Branch, s.Git.Remote},
		Files: mapSlice(s.Files, func(f core.SnapshotFile) snapshotFileJSON { return snapshotFileJSON(f) }),
		Notes: s.Notes,
	}
}

func (j snapshotJSON) core() *core.Snapshot {
	return &core.Snapshot{
		IterationID: string(j.IterationID), CapturedAt: readTime(j.CapturedAt), Runtime: j.Runtime, RuntimeVersion: j.RuntimeVersion,
		Runtimes: mapSlice(j.Runtimes, func(r runtimeJSON) core.Runtime { return core.Runtime(r) }),
		Root:     j.Root, Entrypoint: j.Entrypoint,
		Git:   core.GitState{Commit: j.Git.Commit, Dirty: j.Git.Dirty, Diff: j.Git.Diff, Untracked: j.Git.Untracked, Branch: j.Git.Branch, Remote: j.Git.Remote},
		Files: mapSlice(j.Files, func(f snapshotFileJSON) core.SnapshotFile { return core.SnapshotFile(f) }),
		Notes: j.Notes,
	}
}
