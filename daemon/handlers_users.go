package daemon

import (
	"net/http"

	"github.com/deardiary/deardiary-go/core"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	return ok(w, map[string]string{"app_name": "DearDiary", "package_version": Version, "implementation": "ddd (DearDiary for Go)",
		"server_time": core.FormatTime(s.now())})
}

// login answers POST /auth. Unknown users and wrong passwords get the same
// 401, so a login does not reveal who has an account.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var in credentialsJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Username == nil || in.Password == nil {
		return core.Invalid("username and password are required")
	}
	u, err := s.t.Authenticate(r.Context(), *in.Username, *in.Password)
	if err != nil {
		return err
	}
	if u.IsAdmin && *in.Password == core.DefaultPassword {
		s.log.Warn("an admin signed in with the password \"default\": anyone can; change it (PATCH /user/{id} with a new password)", "user", u.Username)
	}
	tok, err := s.issue(u)
	if err != nil {
		return err
	}
	return ok(w, tok)
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	u, err := s.t.GetUser(r.Context(), callerOf(r).ID)
	if err != nil {
		return err
	}
	tok, err := s.issue(u)
	if err != nil {
		return err
	}
	return ok(w, tok)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u, err := s.t.GetUser(r.Context(), callerOf(r).ID)
	if err != nil {
		return err
	}
	return ok(w, toUserJSON(u))
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.t.ListUsers(r.Context())
	if err != nil {
		return err
	}
	return ok(w, mapSlice(users, toUserJSON))
}

func (s *Server) userPermissions(w http.ResponseWriter, r *http.Request) error {
	perms, err := s.t.ListUserPermissions(r.Context(), core.PermissionFilter{UserID: pathVar(r, "id")})
	if err != nil {
		return err
	}
	return ok(w, mapSlice(perms, toPermissionJSON))
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in userCreateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Username == nil || in.Password == nil {
		return core.Invalid("username and password are required")
	}
	id, err := s.t.CreateUser(r.Context(), core.UserCreate{FirstName: deref(in.FirstName), LastName: deref(in.LastName),
		Username: *in.Username, Password: *in.Password})
	if err != nil {
		return err
	}
	return created(w, "user_id", id)
}

// updateUser refuses a non-admin's is_admin, even false (self-promotion guard).
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var in userUpdateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.IsAdmin != nil && !callerOf(r).IsAdmin {
		return core.Errorf(core.EAdminRequired, "only admins can change is_admin")
	}
	if err := s.t.UpdateUser(r.Context(), pathVar(r, "id"), core.UserUpdate{FirstName: in.FirstName, LastName: in.LastName,
		Password: in.Password, IsAdmin: in.IsAdmin}); err != nil {
		return err
	}
	return updated(w)
}

// listProjects shows a non-admin only the projects they may read; ?name= and
// ?readable_by= (new) narrow the list.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) error {
	f := core.ProjectFilter{Name: r.URL.Query().Get("name"), ReadableBy: r.URL.Query().Get("readable_by")}
	if caller := callerOf(r); !caller.IsAdmin {
		f.ReadableBy = caller.ID
	}
	projects, err := s.t.ListProjects(r.Context(), f)
	if err != nil {
		return err
	}
	return ok(w, mapSlice(projects, toProjectJSON))
}

func (s *Server) projectMembers(w http.ResponseWriter, r *http.Request) error {
	perms, err := s.t.ListUserPermissions(r.Context(), core.PermissionFilter{ProjectID: pathVar(r, "project_id")})
	if err != nil {
		return err
	}
	return ok(w, mapSlice(perms, toPermissionJSON))
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) error {
	var in projectCreateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return core.Invalid("name is required")
	}
	creator := callerOf(r).ID
	if in.UserID != nil && *in.UserID != "" {
		creator = string(*in.UserID)
	}
	id, err := s.t.CreateProject(r.Context(), core.ProjectCreate{Name: *in.Name, Description: deref(in.Description), UserID: creator})
	if err != nil {
		return err
	}
	return created(w, "project_id", id)
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request) error {
	var in projectUpdateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if err := s.t.UpdateProject(r.Context(), pathVar(r, "id"), core.ProjectUpdate{Name: in.Name, Description: in.Description}); err != nil {
		return err
	}
	return updated(w)
}

func (s *Server) listPermissions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	perms, err := s.t.ListUserPermissions(r.Context(), core.PermissionFilter{UserID: q.Get("user_id"), ProjectID: q.Get("project_id")})
	if err != nil {
		return err
	}
	return ok(w, mapSlice(perms, toPermissionJSON))
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request) error {
	p, err := s.t.GetUserPermission(r.Context(), pathVar(r, "user_id"), pathVar(r, "project_id"))
	if err != nil {
		return err
	}
	return ok(w, toPermissionJSON(p))
}

var actions = map[string]core.Action{"create": core.ActionCreate, "read": core.ActionRead, "update": core.ActionUpdate, "delete": core.ActionDelete}

func (s *Server) hasPermission(w http.ResponseWriter, r *http.Request) error {
	a, known := actions[pathVar(r, "action")]
	if !known {
		return core.Invalid("unknown action %q: use create, read, update or delete", pathVar(r, "action"))
	}
	allowed, err := s.t.HasPermission(r.Context(), pathVar(r, "id"), pathVar(r, "project_id"), a)
	if err != nil {
		return err
	}
	return ok(w, map[string]bool{"allowed": allowed})
}

func (s *Server) createPermission(w http.ResponseWriter, r *http.Request) error {
	var in permissionFlagsJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Create == nil || in.Read == nil || in.Update == nil || in.Delete == nil {
		return core.Invalid("create_permission, read_permission, update_permission and delete_permission are required")
	}
	id, err := s.t.CreateUserPermission(r.Context(), pathVar(r, "user_id"), pathVar(r, "project_id"),
		core.Permissions{Create: *in.Create, Read: *in.Read, Update: *in.Update, Delete: *in.Delete})
	if err != nil {
		return err
	}
	return created(w, "userpermission_id", id)
}

func (s *Server) updatePermission(w http.ResponseWriter, r *http.Request) error {
	var in permissionFlagsJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if err := s.t.UpdateUserPermission(r.Context(), pathVar(r, "id"), core.PermissionUpdate(in)); err != nil {
		return err
	}
	return updated(w)
}
