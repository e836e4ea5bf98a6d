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
	"time"

	"github.com/deardiary/deardiary-go/core"
)

func timeField(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := core.FormatTime(*t)
	return &s
}

// Users and permissions.

func (c *Client) GetUser(ctx context.Context, id string) (*core.User, error) {
	return fetch(ctx, c, "/user/"+esc(id), userJSON.core)
}

func (c *Client) GetUserByUsername(ctx context.Context, username string) (*core.User, error) {
	return fetch(ctx, c, "/user/username/"+esc(username), userJSON.core)
}

func (c *Client) ListUsers(ctx context.Context) ([]*core.User, error) {
	return fetchList(ctx, c, "/user/", nil, userJSON.core)
}

func (c *Client) CreateUser(ctx context.Context, in core.UserCreate) (string, error) {
	return c.createdID(ctx, "/user/", nil, userCreateJSON{&in.FirstName, &in.LastName, &in.Username, &in.Password}, "user_id")
}

func (c *Client) UpdateUser(ctx context.Context, id string, upd core.UserUpdate) error {
	return c.do(ctx, "PATCH", "/user/"+esc(id), nil, userUpdateJSON(upd), nil)
}

func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.remove(ctx, "/user/"+esc(id))
}

// Authenticate checks credentials with the daemon; it does not change whom
// the client is signed in as.
func (c *Client) Authenticate(ctx context.Context, username, password string) (*core.User, error) {
	var tok tokenJSON
	if err := c.do(ctx, "POST", "/auth", nil, credentialsJSON{&username, &password}, &tok); err != nil {
		return nil, err
	}
	return tok.User.core(), nil
}

func (c *Client) GetUserPermission(ctx context.Context, userID, projectID string) (*core.UserPermission, error) {
	return fetch(ctx, c, "/userpermission/user/"+esc(userID)+"/project/"+esc(projectID), permissionJSON.core)
}

func (c *Client) ListUserPermissions(ctx context.Context, f core.PermissionFilter) ([]*core.UserPermission, error) {
	path, query := "/userpermission/", url.Values{}
	switch {
	case f.UserID != "" && f.ProjectID == "":
		path = "/user/" + esc(f.UserID) + "/permissions"
	case f.ProjectID != "" && f.UserID == "":
		path = "/project/" + esc(f.ProjectID) + "/members"
	default:
		query.Set("user_id", f.UserID)
		query.Set("project_id", f.ProjectID)
	}
	return fetchList(ctx, c, path, query, permissionJSON.core)
}

func (c *Client) CreateUserPermission(ctx context.Context, userID, projectID string, p core.Permissions) (string, error) {
	return c.createdID(ctx, "/userpermission/user/"+esc(userID)+"/project/"+esc(projectID), nil,
		permissionFlagsJSON{&p.Create, &p.Read, &p.Update, &p.Delete}, "userpermission_id")
}

func (c *Client) UpdateUserPermission(ctx context.Context, id string, upd core.PermissionUpdate) error {
	return c.do(ctx, "PATCH", "/userpermission/"+esc(id), nil, permissionFlagsJSON(upd), nil)
}

func (c *Client) DeleteUserPermission(ctx context.Context, id string) error {
	return c.remove(ctx, "/userpermission/"+esc(id))
}

func (c *Client) HasPermission(ctx context.Context, userID, projectID string, a core.Action) (bool, error) {
	if !a.Valid() {
		return false, core.Invalid("unknown action %d", a)
	}
	var out struct {
		Allowed bool `json:"allowed"`
	}
	err := c.do(ctx, "GET", "/userpermission/user/"+esc(userID)+"/project/"+esc(projectID)+"/"+a.String(), nil, nil, &out)
	return out.Allowed, err
}

// Projects and experiments.

func (c *Client) GetProject(ctx context.Context, id string) (*core.Project, error) {
	return fetch(ctx, c, "/project/"+esc(id), projectJSON.core)
}

func (c *Client) ListProjects(ctx context.Context, f core.ProjectFilter) ([]*core.Project, error) {
	query := url.Values{}
	if f.Name != "" {
		query.Set("name", f.Name)
	}
	if f.ReadableBy != "" {
		query.Set("readable_by", f.ReadableBy)
	}
	return fetchList(ctx, c, "/project/", query, projectJSON.core)
}

func (c *Client) CreateProject(ctx context.Context, in core.ProjectCreate) (string, error) {
	body := projectCreateJSON{Name: &in.Name, Description: &in.Description}
	if in.UserID != "" {
		body.UserID = &in.UserID
	}
	return c.createdID(ctx, "/project/", nil, body, "project_id")
}

func (c *Client) UpdateProject(ctx context.Context, id string, upd core.ProjectUpdate) error {
	return c.do(ctx, "PATCH", "/project/"+esc(id), nil, projectUpdateJSON(upd), nil)
}

func (c *Client) DeleteProject(ctx context.Context, id string) error {
	return c.remove(ctx, "/project/"+esc(id))
}

func (c *Client) GetExperiment(ctx context.Context, id string) (*core.Experiment, error) {
	return fetch(ctx, c, "/experiment/"+esc(id), experimentJSON.core)
}

func (c *Client) ListExperiments(ctx context.Context, f core.ExperimentFilter) ([]*core.Experiment, int, error) {
	query := url.Values{}
	if f.Name != "" {
		query.Set("name", f.Name)
	}
	return listAll(ctx, c, "/experiment/project/"+esc(f.ProjectID), query, f.Page, experimentJSON.core)
}

func (c *Client) CreateExperiment(ctx context.Context, in core.ExperimentCreate) (string, error) {
	status := in.Status
	if status == 0 {
		status = core.ExperimentInProgress
	}
	return c.createdID(ctx, "/experiment/project/"+esc(in.ProjectID), nil, experimentCreateJSON{&status, &in.Name, &in.Description}, "experiment_id")
}

func (c *Client) UpdateExperiment(ctx context.Context, id string, upd core.ExperimentUpdate) error {
	return c.do(ctx, "PATCH", "/experiment/"+esc(id), nil, experimentUpdateJSON{upd.Status, upd.Name, upd.Description, timeField(upd.EndDate)}, nil)
}

func (c *Client) DeleteExperiment(ctx context.Context, id string) error {
	return c.remove(ctx, "/experiment/"+esc(id))
}

// Iterations and snapshots.

func (c *Client) GetIteration(ctx context.Context, id string) (*core.Iteration, error) {
	return fetch(ctx, c, "/iteration/"+esc(id), iterationJSON.core)
}

func (c *Client) ListIterations(ctx context.Context, f core.IterationFilter) ([]*core.Iteration, int, error) {
	query := url.Values{}
	if f.Status != 0 {
		query.Set("status", strconv.Itoa(int(f.Status)))
	}
	return listAll(ctx, c, "/iteration/experiment/"+esc(f.ExperimentID), query, f.Page, iterationJSON.core)
}

func (c *Client) SearchIterations(ctx context.Context, q core.IterationSearch) ([]*core.Iteration, int, error) {
	if len(q.ExperimentIDs) == 0 {
		return nil, 0, core.Invalid("name the experiments to search")
	}
	query := url.Values{"experiment_id": q.ExperimentIDs, "filter": {q.Filter}}
	return listAll(ctx, c, "/iteration/search", query, q.Page, iterationJSON.core)
}

func (c *Client) ChildIterations(ctx context.Context, parentID string) ([]*core.Iteration, error) {
	return fetchList(ctx, c, "/iteration/"+esc(parentID)+"/children", nil, iterationJSON.core)
}

func (c *Client) CreateIteration(ctx context.Context, in core.IterationCreate) (string, error) {
	query := url.Values{}
	if in.ParentID != "" {
		query.Set("parent_iteration_id", in.ParentID)
	}
	return c.createdID(ctx, "/iteration/experiment/"+esc(in.ExperimentID), query, iterationCreateJSON{&in.Notes}, "iteration_id")
}

func (c *Client) UpdateIteration(ctx context.Context, id string, upd core.IterationUpdate) error {
	return c.do(ctx, "PATCH", "/iteration/"+esc(id), nil, iterationUpdateJSON{upd.Notes, timeField(upd.EndDate), upd.Status, upd.ErrorMessage}, nil)
}

func (c *Client) SetIterationEnvironment(ctx context.Context, id string, env core.EnvironmentSnapshot) error {
	return c.do(ctx, "POST", "/iteration/"+esc(id)+"/snapshot", nil, environmentSetJSON{&env.JuliaVersion, &env.GitSHA, &env.GitDirty,
		&env.Entrypoint, &env.ProjectTOML, &env.ManifestTOML}, nil)
}

func (c *Client) DeleteIteration(ctx context.Context, id string) error {
	return c.remove(ctx, "/iteration/"+esc(id))
}

func (c *Client) SaveSnapshot(ctx context.Context, iterationID string, s *core.Snapshot) error {
	if s == nil {
		return core.Invalid("no snapshot given")
	}
	return c.do(ctx, "PUT", "/snapshot/iteration/"+esc(iterationID), nil, toSnapshotJSON(s), nil)
}

func (c *Client) GetSnapshot(ctx context.Context, iterationID string) (*core.Snapshot, error) {
	return fetch(ctx, c, "/snapshot/iteration/"+esc(iterationID), snapshotJSON.core)
}

// Parameters and metrics.

func (c *Client) GetParameter(ctx context.Context, id string) (*core.Parameter, error) {
	return fetch(ctx, c, "/parameter/"+esc(id), parameterJSON.core)
}

func (c *Client) ListParameters(ctx context.Context, f core.ParameterFilter) ([]*core.Parameter, int, error) {
	if f.ExperimentID != "" && f.IterationID == "" {
		return listAll(ctx, c, "/parameter/experiment/"+esc(f.ExperimentID), nil, f.Page, parameterJSON.core)
	}
	return listAll(ctx, c, "/parameter/iteration/"+esc(f.IterationID), nil, f.Page, parameterJSON.core)
}

// CreateParameter sends the value as the text the store would keep, so both
// modes store the same.
func (c *Client) CreateParameter(ctx context.Context, iterationID, key string, value any) (string, error) {
	text, err := core.FormatParamValue(value)
	if err != nil {
		return "", err
	}
	return c.createdID(ctx, "/parameter/iteration/"+esc(iterationID), nil, parameterInJSON{&key, &paramValue{text}}, "parameter_id")
}

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

func (c *Client) DeleteParameter(ctx context.Context, id string) error {
	return c.remove(ctx, "/parameter/"+esc(id))
}

func (c *Client) GetMetric(ctx context.Context, id string) (*core.Metric, error) {
	return fetch(ctx, c, "/metric/"+esc(id), metricJSON.core)
}

func (c *Client) ListMetrics(ctx context.Context, f core.MetricFilter) ([]*core.Metric, int, error) {
	query := url.Values{}
	if f.Key != "" {
		query.Set("key", f.Key)
	}
	return listAll(ctx, c, "/metric/iteration/"+esc(f.IterationID), query, f.Page, metricJSON.core)
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

func (c *Client) LogMetric(ctx context.Context, iterationID string, m core.MetricInput) (string, error) {
	body, err := toMetricIn(m)
	if err != nil {
		return "", err
	}
	return c.createdID(ctx, "/metric/iteration/"+esc(iterationID), nil, body, "metric_id")
}

func (c *Client) LogMetrics(ctx context.Context, iterationID string, b core.MetricBatch) ([]string, error) {
	body, err := toMetricBatchIn(b)
	if err != nil {
		return nil, err
	}
	var out struct {
		IDs []string `json:"metric_ids"`
	}
	if err := c.do(ctx, "POST", "/metric/iteration/"+esc(iterationID)+"/batch", nil, body, &out); err != nil {
		return nil, err
	}
	return out.IDs, nil
}

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
		ParameterIDs []string `json:"parameter_ids"`
		MetricIDs    []string `json:"metric_ids"`
		TagIDs       []string `json:"tag_ids"`
	}
	if err := c.do(ctx, "POST", "/iteration/"+esc(iterationID)+"/batch", nil, body, &out); err != nil {
		return nil, err
	}
	return &core.BatchResult{ParameterIDs: out.ParameterIDs, MetricIDs: out.MetricIDs, TagIDs: out.TagIDs}, nil
}

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

func (c *Client) DeleteMetric(ctx context.Context, id string) error {
	return c.remove(ctx, "/metric/"+esc(id))
}

func (c *Client) MetricHistory(ctx context.Context, q core.HistoryQuery) ([]core.Series, error) {
	query := url.Values{"key": {q.Key}, "iteration_id": q.IterationIDs}
	if q.MaxPoints > 0 {
		query.Set("max_points", strconv.Itoa(q.MaxPoints))
	}
	return fetchList(ctx, c, "/metric/history", query, seriesJSON.core)
}

func (c *Client) MetricSummaries(ctx context.Context, f core.SummaryFilter) ([]core.MetricSummary, error) {
	query := url.Values{"iteration_id": f.IterationIDs}
	if f.ExperimentID != "" {
		query.Set("experiment_id", f.ExperimentID)
	}
	return fetchList(ctx, c, "/metric/summary", query, func(s summaryJSON) core.MetricSummary { return core.MetricSummary(s) })
}

// Resources.

func (c *Client) GetResource(ctx context.Context, id string) (*core.Resource, error) {
	return fetch(ctx, c, "/resource/"+esc(id), resourceJSON.core)
}

func (c *Client) ListResources(ctx context.Context, f core.ResourceFilter) ([]*core.Resource, int, error) {
	return listAll(ctx, c, "/resource/experiment/"+esc(f.ExperimentID), nil, f.Page, resourceJSON.core)
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

func (c *Client) CreateResource(ctx context.Context, in core.ResourceCreate, data io.Reader) (string, error) {
	if data == nil {
		return "", core.Invalid("resource %q has no data", in.Name)
	}
	var out map[string]string
	if err := c.upload(ctx, "POST", "/resource/experiment/"+esc(in.ExperimentID),
		map[string]*string{"name": &in.Name, "description": &in.Description}, data, &out); err != nil {
		return "", err
	}
	if out["resource_id"] == "" {
		return "", errNoID
	}
	return out["resource_id"], nil
}

func (c *Client) UpdateResource(ctx context.Context, id string, upd core.ResourceUpdate) error {
	return c.upload(ctx, "PATCH", "/resource/"+esc(id), map[string]*string{"name": upd.Name, "description": upd.Description}, upd.Data, nil)
}

func (c *Client) DeleteResource(ctx context.Context, id string) error {
	return c.remove(ctx, "/resource/"+esc(id))
}

// OpenResource streams the bytes; the caller closes the reader.
func (c *Client) OpenResource(ctx context.Context, id string) (io.ReadCloser, error) {
	c.fresh(ctx)
	resp, err := c.send(ctx, "GET", "/resource/"+esc(id)+"/data", nil, nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Tags.

func (c *Client) GetTag(ctx context.Context, id string) (*core.Tag, error) {
	return fetch(ctx, c, "/tag/"+esc(id), tagJSON.core)
}

func (c *Client) GetTagByValue(ctx context.Context, value string) (*core.Tag, error) {
	return fetch(ctx, c, "/tag/value/"+esc(value), tagJSON.core)
}

func (c *Client) CreateTag(ctx context.Context, value string) (string, error) {
	return c.createdID(ctx, "/tag/", nil, tagValueJSON{&value}, "tag_id")
}

func (c *Client) DeleteTag(ctx context.Context, id string) error {
	return c.remove(ctx, "/tag/"+esc(id))
}

func tagPath(kind core.Kind, id string) (string, error) {
	if !kind.Valid() {
		return "", core.Invalid("tags attach to projects, experiments and iterations, not %q", kind)
	}
	return "/tag/" + string(kind) + "/" + esc(id), nil
}

func (c *Client) ListTags(ctx context.Context, kind core.Kind, id string) ([]*core.Tag, error) {
	path, err := tagPath(kind, id)
	if err != nil {
		return nil, err
	}
	return fetchList(ctx, c, path, nil, tagJSON.core)
}

func (c *Client) AttachTag(ctx context.Context, kind core.Kind, id, value string) (string, error) {
	path, err := tagPath(kind, id)
	if err != nil {
		return "", err
	}
	return c.createdID(ctx, path, nil, tagValueJSON{&value}, "association_id")
}

func (c *Client) DetachTag(ctx context.Context, kind core.Kind, id, value string) error {
	path, err := tagPath(kind, id)
	if err != nil {
		return err
	}
	if value == "" {
		return core.Errorf(core.ENotFound, "tag %q is not attached to %s %q", value, kind, id)
	}
	return c.remove(ctx, path+"/"+esc(value))
}

// Models.

func (c *Client) GetModel(ctx context.Context, id string) (*core.Model, error) {
	return fetch(ctx, c, "/model/"+esc(id), modelJSON.core)
}

func (c *Client) ListModels(ctx context.Context, f core.ModelFilter) ([]*core.Model, int, error) {
	query := url.Values{}
	if f.Name != "" {
		query.Set("name", f.Name)
	}
	return listAll(ctx, c, "/model/project/"+esc(f.ProjectID), query, f.Page, modelJSON.core)
}

func (c *Client) CreateModel(ctx context.Context, in core.ModelCreate) (string, error) {
	return c.createdID(ctx, "/model/project/"+esc(in.ProjectID), nil, modelInJSON{&in.Name, &in.Description}, "model_id")
}

func (c *Client) UpdateModel(ctx context.Context, id string, upd core.ModelUpdate) error {
	return c.do(ctx, "PATCH", "/model/"+esc(id), nil, modelInJSON(upd), nil)
}

func (c *Client) DeleteModel(ctx context.Context, id string) error {
	return c.remove(ctx, "/model/"+esc(id))
}

func (c *Client) GetModelVersion(ctx context.Context, id string) (*core.ModelVersion, error) {
	return fetch(ctx, c, "/modelversion/"+esc(id), versionJSON.core)
}

func (c *Client) ListModelVersions(ctx context.Context, f core.ModelVersionFilter) ([]*core.ModelVersion, int, error) {
	query := url.Values{}
	if f.Stage != 0 {
		query.Set("stage", strconv.Itoa(int(f.Stage)))
	}
	return listAll(ctx, c, "/modelversion/model/"+esc(f.ModelID), query, f.Page, versionJSON.core)
}

func (c *Client) CreateModelVersion(ctx context.Context, in core.ModelVersionCreate) (string, error) {
	body := versionCreateJSON{IterationID: &in.IterationID, Description: &in.Description}
	if in.ResourceID != "" {
		body.ResourceID = &in.ResourceID
	}
	return c.createdID(ctx, "/modelversion/model/"+esc(in.ModelID), nil, body, "modelversion_id")
}

func (c *Client) UpdateModelVersion(ctx context.Context, id string, upd core.ModelVersionUpdate) error {
	return c.do(ctx, "PATCH", "/modelversion/"+esc(id), nil, versionUpdateJSON(upd), nil)
}

func (c *Client) DeleteModelVersion(ctx context.Context, id string) error {
	return c.remove(ctx, "/modelversion/"+esc(id))
}
