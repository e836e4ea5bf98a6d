package daemon

import (
	"context"
	"net/url"
	"strconv"

	"github.com/deardiary/deardiary-go/core"
)

// The client's side of handlers_registry.go: tags, models and model
// versions.

// GetTag reads GET /tag/{id} (admins only).
func (c *Client) GetTag(ctx context.Context, id string) (*core.Tag, error) {
	return fetch(ctx, c, "/tag/"+esc(id), tagJSON.core)
}

// GetTagByValue reads ddd's GET /tag/value/{value} (admins only).
func (c *Client) GetTagByValue(ctx context.Context, value string) (*core.Tag, error) {
	return fetch(ctx, c, "/tag/value/"+esc(value), tagJSON.core)
}

// CreateTag sends ddd's POST /tag/ (admins only) and returns the tag's id.
func (c *Client) CreateTag(ctx context.Context, value string) (string, error) {
	return c.createdID(ctx, "/tag/", nil, tagValueJSON{&value}, "tag_id")
}

// DeleteTag sends DELETE /tag/{id} (admins only).
func (c *Client) DeleteTag(ctx context.Context, id string) error {
	return c.remove(ctx, "/tag/"+esc(id))
}

func tagPath(kind core.Kind, id string) (string, error) {
	if !kind.Valid() {
		return "", core.Invalid("tags attach to projects, experiments and iterations, not %q", kind)
	}
	return "/tag/" + string(kind) + "/" + esc(id), nil
}

// ListTags reads GET /tag/{kind}/{id}.
func (c *Client) ListTags(ctx context.Context, kind core.Kind, id string) ([]*core.Tag, error) {
	path, err := tagPath(kind, id)
	if err != nil {
		return nil, err
	}
	return fetchList(ctx, c, path, nil, tagJSON.core)
}

// AttachTag sends POST /tag/{kind}/{id} and returns the association's id.
func (c *Client) AttachTag(ctx context.Context, kind core.Kind, id, value string) (string, error) {
	path, err := tagPath(kind, id)
	if err != nil {
		return "", err
	}
	return c.createdID(ctx, path, nil, tagValueJSON{&value}, "association_id")
}

// DetachTag sends ddd's DELETE /tag/{kind}/{id}/{value} (update permission).
// An empty value, which no route can name, is ENotFound without a request.
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

// GetModel reads GET /model/{id}.
func (c *Client) GetModel(ctx context.Context, id string) (*core.Model, error) {
	return fetch(ctx, c, "/model/"+esc(id), modelJSON.core)
}

// ListModels reads the pages of GET /model/project/{id}: f.Page's rows, or
// every row when f.Page.Limit is zero, in requests of 200.
func (c *Client) ListModels(ctx context.Context, f core.ModelFilter) ([]*core.Model, int, error) {
	query := url.Values{}
	if f.Name != "" {
		query.Set("name", f.Name)
	}
	return listAll(ctx, c, "/model/project/"+esc(f.ProjectID), query, f.Page, modelJSON.core)
}

// CreateModel sends POST /model/project/{id} and returns the model's id.
func (c *Client) CreateModel(ctx context.Context, in core.ModelCreate) (string, error) {
	return c.createdID(ctx, "/model/project/"+esc(in.ProjectID), nil, modelInJSON{&in.Name, &in.Description}, "model_id")
}

// UpdateModel sends PATCH /model/{id} with the fields upd sets.
func (c *Client) UpdateModel(ctx context.Context, id string, upd core.ModelUpdate) error {
	return c.do(ctx, "PATCH", "/model/"+esc(id), nil, modelInJSON(upd), nil)
}

// DeleteModel sends DELETE /model/{id}; its versions go with it.
func (c *Client) DeleteModel(ctx context.Context, id string) error {
	return c.remove(ctx, "/model/"+esc(id))
}

// GetModelVersion reads GET /modelversion/{id}.
func (c *Client) GetModelVersion(ctx context.Context, id string) (*core.ModelVersion, error) {
	return fetch(ctx, c, "/modelversion/"+esc(id), versionJSON.core)
}

// ListModelVersions reads the pages of GET /modelversion/model/{id}: f.Page's
// rows, or every row when f.Page.Limit is zero, in requests of 200.
func (c *Client) ListModelVersions(ctx context.Context, f core.ModelVersionFilter) ([]*core.ModelVersion, int, error) {
	query := url.Values{}
	if f.Stage != 0 {
		query.Set("stage", strconv.Itoa(int(f.Stage)))
	}
	return listAll(ctx, c, "/modelversion/model/"+esc(f.ModelID), query, f.Page, versionJSON.core)
}

// CreateModelVersion sends POST /modelversion/model/{id} and returns the
// version's id; the daemon numbers it.
func (c *Client) CreateModelVersion(ctx context.Context, in core.ModelVersionCreate) (string, error) {
	body := versionCreateJSON{IterationID: (*wireID)(&in.IterationID), ResourceID: optionalID(in.ResourceID), Description: &in.Description}
	return c.createdID(ctx, "/modelversion/model/"+esc(in.ModelID), nil, body, "modelversion_id")
}

// UpdateModelVersion sends PATCH /modelversion/{id} with the fields upd sets;
// moving a version to PRODUCTION archives the model's other production
// version.
func (c *Client) UpdateModelVersion(ctx context.Context, id string, upd core.ModelVersionUpdate) error {
	return c.do(ctx, "PATCH", "/modelversion/"+esc(id), nil, versionUpdateJSON{upd.Stage, upd.Description, (*wireID)(upd.ResourceID)}, nil)
}

// DeleteModelVersion sends DELETE /modelversion/{id}.
func (c *Client) DeleteModelVersion(ctx context.Context, id string) error {
	return c.remove(ctx, "/modelversion/"+esc(id))
}
