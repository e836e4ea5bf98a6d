package daemon

import (
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// The JSON shapes of DearDiary.jl's REST API (spec sections 1 and 4): field
// names as upstream, timestamps as core.TimeLayout text or null, booleans as
// booleans. Both the server and the client use them.

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

// idOrNull is an optional id: null when empty.
func idOrNull(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type userJSON struct {
	ID          string  `json:"id"`
	FirstName   string  `json:"first_name"`
	LastName    string  `json:"last_name"`
	Username    string  `json:"username"`
	CreatedDate *string `json:"created_date"`
	IsAdmin     bool    `json:"is_admin"`
}

func toUserJSON(u *core.User) userJSON {
	return userJSON{u.ID, u.FirstName, u.LastName, u.Username, timeText(u.CreatedDate), u.IsAdmin}
}

func (j userJSON) core() *core.User {
	return &core.User{ID: j.ID, FirstName: j.FirstName, LastName: j.LastName, Username: j.Username, CreatedDate: readTime(j.CreatedDate), IsAdmin: j.IsAdmin}
}

type projectJSON struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	CreatedDate *string `json:"created_date"`
}

func toProjectJSON(p *core.Project) projectJSON {
	return projectJSON{p.ID, p.Name, p.Description, timeText(p.CreatedDate)}
}

func (j projectJSON) core() *core.Project {
	return &core.Project{ID: j.ID, Name: j.Name, Description: j.Description, CreatedDate: readTime(j.CreatedDate)}
}

type permissionJSON struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	ProjectID string `json:"project_id"`
	Create    bool   `json:"create_permission"`
	Read      bool   `json:"read_permission"`
	Update    bool   `json:"update_permission"`
	Delete    bool   `json:"delete_permission"`
}

func toPermissionJSON(p *core.UserPermission) permissionJSON {
	return permissionJSON{p.ID, p.UserID, p.ProjectID, p.Create, p.Read, p.Update, p.Delete}
}

func (j permissionJSON) core() *core.UserPermission {
	return &core.UserPermission{ID: j.ID, UserID: j.UserID, ProjectID: j.ProjectID,
		Permissions: core.Permissions{Create: j.Create, Read: j.Read, Update: j.Update, Delete: j.Delete}}
}

type experimentJSON struct {
	ID          string                `json:"id"`
	ProjectID   string                `json:"project_id"`
	Status      core.ExperimentStatus `json:"status_id"`
	Name        string                `json:"name"`
	Description string                `json:"description"`
	CreatedDate *string               `json:"created_date"`
	EndDate     *string               `json:"end_date"`
}

func toExperimentJSON(e *core.Experiment) experimentJSON {
	return experimentJSON{e.ID, e.ProjectID, e.Status, e.Name, e.Description, timeText(e.CreatedDate), timeText(e.EndDate)}
}

func (j experimentJSON) core() *core.Experiment {
	return &core.Experiment{ID: j.ID, ProjectID: j.ProjectID, Status: j.Status, Name: j.Name, Description: j.Description,
		CreatedDate: readTime(j.CreatedDate), EndDate: readTime(j.EndDate)}
}

type iterationJSON struct {
	ID           string               `json:"id"`
	ExperimentID string               `json:"experiment_id"`
	Notes        string               `json:"notes"`
	CreatedDate  *string              `json:"created_date"`
	EndDate      *string              `json:"end_date"`
	ParentID     *string              `json:"parent_iteration_id"`
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
	return iterationJSON{it.ID, it.ExperimentID, it.Notes, timeText(it.CreatedDate), timeText(it.EndDate), idOrNull(it.ParentID),
		it.Status, it.ErrorMessage, environmentJSON{env.JuliaVersion, env.GitSHA, env.GitDirty, env.Entrypoint, env.ProjectTOML, env.ManifestTOML}}
}

func (j iterationJSON) core() *core.Iteration {
	return &core.Iteration{ID: j.ID, ExperimentID: j.ExperimentID, ParentID: deref(j.ParentID), Notes: j.Notes, Status: j.Status,
		ErrorMessage: j.ErrorMessage, CreatedDate: readTime(j.CreatedDate), EndDate: readTime(j.EndDate), Environment: j.environmentJSON.core()}
}

func (j environmentJSON) core() core.EnvironmentSnapshot {
	return core.EnvironmentSnapshot{JuliaVersion: j.JuliaVersion, GitSHA: j.GitSHA, GitDirty: j.GitDirty, Entrypoint: j.Entrypoint,
		ProjectTOML: j.ProjectTOML, ManifestTOML: j.ManifestTOML}
}

type parameterJSON struct {
	ID          string `json:"id"`
	IterationID string `json:"iteration_id"`
	Key         string `json:"key"`
	Value       string `json:"value"`
}

func toParameterJSON(p *core.Parameter) parameterJSON {
	return parameterJSON{p.ID, p.IterationID, p.Key, p.Value}
}

func (j parameterJSON) core() *core.Parameter {
	return &core.Parameter{ID: j.ID, IterationID: j.IterationID, Key: j.Key, Value: j.Value}
}

type metricJSON struct {
	ID          string  `json:"id"`
	IterationID string  `json:"iteration_id"`
	Key         string  `json:"key"`
	Value       float64 `json:"value"`
	Step        int64   `json:"step"`
	RecordedAt  *string `json:"recorded_at"`
}

func toMetricJSON(m *core.Metric) metricJSON {
	return metricJSON{m.ID, m.IterationID, m.Key, m.Value, m.Step, timeText(m.RecordedAt)}
}

func (j metricJSON) core() *core.Metric {
	return &core.Metric{ID: j.ID, IterationID: j.IterationID, Key: j.Key, Value: j.Value, Step: j.Step, RecordedAt: readTime(j.RecordedAt)}
}

type resourceJSON struct {
	ID           string  `json:"id"`
	ExperimentID string  `json:"experiment_id"`
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
	return resourceJSON{r.ID, r.ExperimentID, r.Name, r.Description, timeText(r.CreatedDate), timeText(r.UpdatedDate),
		r.Backend, r.URI, r.SizeBytes, r.ContentHash}
}

func (j resourceJSON) core() *core.Resource {
	return &core.Resource{ID: j.ID, ExperimentID: j.ExperimentID, Name: j.Name, Description: j.Description,
		CreatedDate: readTime(j.CreatedDate), UpdatedDate: readTime(j.UpdatedDate), Backend: j.Backend, URI: j.URI,
		SizeBytes: j.SizeBytes, ContentHash: j.ContentHash}
}

type tagJSON struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

func toTagJSON(t *core.Tag) tagJSON { return tagJSON{t.ID, t.Value} }

func (j tagJSON) core() *core.Tag { return &core.Tag{ID: j.ID, Value: j.Value} }

type modelJSON struct {
	ID          string  `json:"id"`
	ProjectID   string  `json:"project_id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	CreatedDate *string `json:"created_date"`
	UpdatedDate *string `json:"updated_date"`
}

func toModelJSON(m *core.Model) modelJSON {
	return modelJSON{m.ID, m.ProjectID, m.Name, m.Description, timeText(m.CreatedDate), timeText(m.UpdatedDate)}
}

func (j modelJSON) core() *core.Model {
	return &core.Model{ID: j.ID, ProjectID: j.ProjectID, Name: j.Name, Description: j.Description,
		CreatedDate: readTime(j.CreatedDate), UpdatedDate: readTime(j.UpdatedDate)}
}

type versionJSON struct {
	ID          string     `json:"id"`
	ModelID     string     `json:"model_id"`
	Version     int64      `json:"version"`
	IterationID string     `json:"iteration_id"`
	ResourceID  *string    `json:"resource_id"`
	Stage       core.Stage `json:"stage_id"`
	Description string     `json:"description"`
	CreatedDate *string    `json:"created_date"`
	UpdatedDate *string    `json:"updated_date"`
}

func toVersionJSON(v *core.ModelVersion) versionJSON {
	return versionJSON{v.ID, v.ModelID, v.Version, v.IterationID, idOrNull(v.ResourceID), v.Stage, v.Description,
		timeText(v.CreatedDate), timeText(v.UpdatedDate)}
}

func (j versionJSON) core() *core.ModelVersion {
	return &core.ModelVersion{ID: j.ID, ModelID: j.ModelID, Version: j.Version, IterationID: j.IterationID, ResourceID: deref(j.ResourceID),
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
	IterationID string  `json:"iteration_id"`
	Key         string  `json:"key"`
	Last        float64 `json:"last"`
	FirstStep   int64   `json:"first_step"`
	LastStep    int64   `json:"last_step"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Count       int64   `json:"count"`
}

type pointJSON struct {
	Step       int64   `json:"step"`
	Value      float64 `json:"value"`
	RecordedAt *string `json:"recorded_at"`
}

type seriesJSON struct {
	IterationID string      `json:"iteration_id"`
	Key         string      `json:"key"`
	Points      []pointJSON `json:"points"`
}

func toSeriesJSON(s core.Series) seriesJSON {
	return seriesJSON{s.IterationID, s.Key, mapSlice(s.Points, func(p core.Point) pointJSON {
		return pointJSON{p.Step, p.Value, timeText(p.RecordedAt)}
	})}
}

func (j seriesJSON) core() core.Series {
	return core.Series{IterationID: j.IterationID, Key: j.Key, Points: mapSlice(j.Points, func(p pointJSON) core.Point {
		return core.Point{Step: p.Step, Value: p.Value, RecordedAt: readTime(p.RecordedAt)}
	})}
}

type snapshotJSON struct {
	IterationID    string             `json:"iteration_id"`
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
		IterationID: s.IterationID, CapturedAt: timeText(s.CapturedAt), Runtime: s.Runtime, RuntimeVersion: s.RuntimeVersion,
		Runtimes: mapSlice(s.Runtimes, func(r core.Runtime) runtimeJSON { return runtimeJSON(r) }),
		Root:     s.Root, Entrypoint: s.Entrypoint,
		Git:   gitJSON{s.Git.Commit, s.Git.Dirty, s.Git.Diff, s.Git.Untracked, s.Git.Branch, s.Git.Remote},
		Files: mapSlice(s.Files, func(f core.SnapshotFile) snapshotFileJSON { return snapshotFileJSON(f) }),
		Notes: s.Notes,
	}
}

func (j snapshotJSON) core() *core.Snapshot {
	return &core.Snapshot{
		IterationID: j.IterationID, CapturedAt: readTime(j.CapturedAt), Runtime: j.Runtime, RuntimeVersion: j.RuntimeVersion,
		Runtimes: mapSlice(j.Runtimes, func(r runtimeJSON) core.Runtime { return core.Runtime(r) }),
		Root:     j.Root, Entrypoint: j.Entrypoint,
		Git:   core.GitState{Commit: j.Git.Commit, Dirty: j.Git.Dirty, Diff: j.Git.Diff, Untracked: j.Git.Untracked, Branch: j.Git.Branch, Remote: j.Git.Remote},
		Files: mapSlice(j.Files, func(f snapshotFileJSON) core.SnapshotFile { return core.SnapshotFile(f) }),
		Notes: j.Notes,
	}
}
