package daemon

import (
	"context"
	"net/url"

	"github.com/deardiary/deardiary-go/core"
)

// The client's side of handlers_users.go: users, sign-in, permissions and
// projects.

// GetUser reads GET /user/{id}: the caller themselves, or anyone for an
// admin (else ESameUserRequired).
func (c *Client) GetUser(ctx context.Context, id string) (*core.User, error) {
	return fetch(ctx, c, "/user/"+esc(id), userJSON.core)
}

// GetUserByUsername reads GET /user/username/{username} (ddd's own route,
// admins only).
func (c *Client) GetUserByUsername(ctx context.Context, username string) (*core.User, error) {
	return fetch(ctx, c, "/user/username/"+esc(username), userJSON.core)
}

// ListUsers reads GET /user/ (admins only).
func (c *Client) ListUsers(ctx context.Context) ([]*core.User, error) {
	return fetchList(ctx, c, "/user/", nil, userJSON.core)
}

// CreateUser sends POST /user/ (admins only) and returns the new user's id.
func (c *Client) CreateUser(ctx context.Context, in core.UserCreate) (string, error) {
	return c.createdID(ctx, "/user/", nil, userCreateJSON{&in.FirstName, &in.LastName, &in.Username, &in.Password}, "user_id")
}

// UpdateUser sends PATCH /user/{id} with the fields upd sets. A non-admin may
// change only themselves, and never is_admin (EAdminRequired, even to
// false).
//
// A change of the signed-in user's own password or admin role ends the
// client's token (ddd refuses tokens issued before it): a client that
// signed in with a password signs in again, with the new one; one given a
// token needs a new token.
func (c *Client) UpdateUser(ctx context.Context, id string, upd core.UserUpdate) error {
	if err := c.do(ctx, "PATCH", "/user/"+esc(id), nil, userUpdateJSON(upd), nil); err != nil {
		return err
	}
	if upd.Password == nil && upd.IsAdmin == nil {
		return nil
	}
	c.mu.Lock()
	self := c.userID != "" && c.userID == id && c.username != ""
	if self && upd.Password != nil {
		c.password = *upd.Password
	}
	c.mu.Unlock()
	if self {
		return c.login(ctx)
	}
	return nil
}

// DeleteUser sends DELETE /user/{id}: the caller themselves, or anyone for
// an admin. The client's token stops working when it deletes its own user.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.remove(ctx, "/user/"+esc(id))
}

// Authenticate checks credentials with POST /auth and returns their user; it
// does not change whom the client is signed in as. Unknown users and wrong
// passwords are the same EInvalidCredentials.
func (c *Client) Authenticate(ctx context.Context, username, password string) (*core.User, error) {
	var tok tokenJSON
	if err := c.do(ctx, "POST", "/auth", nil, credentialsJSON{&username, &password}, &tok); err != nil {
		return nil, err
	}
	return tok.User.core(), nil
}

// GetUserPermission reads GET /userpermission/user/{user}/project/{project}
// (admins only).
func (c *Client) GetUserPermission(ctx context.Context, userID, projectID string) (*core.UserPermission, error) {
	return fetch(ctx, c, "/userpermission/user/"+esc(userID)+"/project/"+esc(projectID), permissionJSON.core)
}

// ListUserPermissions reads upstream's GET /user/{id}/permissions for a user
// alone (the user themselves or an admin) and GET /project/{id}/members for a
// project alone (read permission there); any other filter goes to ddd's
// GET /userpermission/?user_id=&project_id= (admins only).
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

// CreateUserPermission sends POST /userpermission/user/{user}/project/{project}
// (admins only) with all four flags, and returns the permission's id.
func (c *Client) CreateUserPermission(ctx context.Context, userID, projectID string, p core.Permissions) (string, error) {
	return c.createdID(ctx, "/userpermission/user/"+esc(userID)+"/project/"+esc(projectID), nil,
		permissionFlagsJSON{&p.Create, &p.Read, &p.Update, &p.Delete}, "userpermission_id")
}

// UpdateUserPermission sends PATCH /userpermission/{id} (admins only) with the
// flags upd sets.
func (c *Client) UpdateUserPermission(ctx context.Context, id string, upd core.PermissionUpdate) error {
	return c.do(ctx, "PATCH", "/userpermission/"+esc(id), nil, permissionFlagsJSON(upd), nil)
}

// DeleteUserPermission sends DELETE /userpermission/{id} (admins only).
func (c *Client) DeleteUserPermission(ctx context.Context, id string) error {
	return c.remove(ctx, "/userpermission/"+esc(id))
}

// HasPermission reads ddd's GET
// /userpermission/user/{user}/project/{project}/{action}: the user
// themselves may ask, or an admin about anyone.
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

// GetProject reads GET /project/{id} (read permission there).
func (c *Client) GetProject(ctx context.Context, id string) (*core.Project, error) {
	return fetch(ctx, c, "/project/"+esc(id), projectJSON.core)
}

// ListProjects reads GET /project/. The daemon lists a non-admin caller only
// the projects they may read, whatever f.ReadableBy says.
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

// CreateProject sends POST /project/ (admins only) and returns the project's
// id. The creator is in.UserID when set, else the signed-in user.
func (c *Client) CreateProject(ctx context.Context, in core.ProjectCreate) (string, error) {
	return c.createdID(ctx, "/project/", nil, projectCreateJSON{&in.Name, &in.Description, optionalID(in.UserID)}, "project_id")
}

// UpdateProject sends PATCH /project/{id} (admins only) with the fields upd
// sets.
func (c *Client) UpdateProject(ctx context.Context, id string, upd core.ProjectUpdate) error {
	return c.do(ctx, "PATCH", "/project/"+esc(id), nil, projectUpdateJSON(upd), nil)
}

// DeleteProject sends DELETE /project/{id} (admins only); the daemon deletes
// everything in the project with it.
func (c *Client) DeleteProject(ctx context.Context, id string) error {
	return c.remove(ctx, "/project/"+esc(id))
}
