package trackertest

import (
	"errors"

	"github.com/deardiary/deardiary-go/core"
)

func permissionsCases() []testCase {
	return []testCase{
		testCase{"IDsThatAreNotText", func(h *H) {
			// Bytes that are not UTF-8 can name nothing: every lookup and
			// delete answers a typed error, never an internal one.
			const bad = "\x80\xff"
			ctx, t := h.Ctx, h.Tracker
			calls := map[string]error{}
			_, calls["GetProject"] = t.GetProject(ctx, bad)
			_, calls["GetExperiment"] = t.GetExperiment(ctx, bad)
			_, calls["GetIteration"] = t.GetIteration(ctx, bad)
			_, calls["GetParameter"] = t.GetParameter(ctx, bad)
			_, calls["GetMetric"] = t.GetMetric(ctx, bad)
			_, calls["GetResource"] = t.GetResource(ctx, bad)
			_, calls["GetTag"] = t.GetTag(ctx, bad)
			_, calls["GetModel"] = t.GetModel(ctx, bad)
			_, calls["GetModelVersion"] = t.GetModelVersion(ctx, bad)
			_, calls["GetUser"] = t.GetUser(ctx, bad)
			calls["DeleteProject"] = t.DeleteProject(ctx, bad)
			calls["DeleteExperiment"] = t.DeleteExperiment(ctx, bad)
			calls["DeleteIteration"] = t.DeleteIteration(ctx, bad)
			calls["DeleteParameter"] = t.DeleteParameter(ctx, bad)
			calls["DeleteMetric"] = t.DeleteMetric(ctx, bad)
			calls["DeleteResource"] = t.DeleteResource(ctx, bad)
			calls["DeleteTag"] = t.DeleteTag(ctx, bad)
			calls["DeleteModel"] = t.DeleteModel(ctx, bad)
			calls["DeleteModelVersion"] = t.DeleteModelVersion(ctx, bad)
			calls["DeleteUser"] = t.DeleteUser(ctx, bad)
			calls["DeleteUserPermission"] = t.DeleteUserPermission(ctx, bad)
			for name, err := range calls {
				var typed *core.Error
				if code := core.ErrorCode(err); !errors.As(err, &typed) || code != core.EInvalid && code != core.ENotFound {
					h.Fatalf("%s: %v (code %q), want an invalid or not-found error", name, err, code)
				}
			}
		}},
		testCase{"CreateChecksReferences", func(h *H) {
			u, p := h.User("ada"), h.Project("P")
			missing := "00000000-0000-0000-0000-000000000000"
			_, err := h.Tracker.CreateUserPermission(h.Ctx, missing, p, core.Permissions{Read: true})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateUserPermission(h.Ctx, u, missing, core.Permissions{Read: true})
			h.Code(err, core.EInvalid)
			id := h.MustID(h.Tracker.CreateUserPermission(h.Ctx, u, p, core.Permissions{Create: true, Read: true}))
			_, err = h.Tracker.CreateUserPermission(h.Ctx, u, p, core.Permissions{})
			h.Code(err, core.EConflict)
			got, err := h.Tracker.GetUserPermission(h.Ctx, u, p)
			h.Must(err)
			Equal(h, "id", got.ID, id)
			Equal(h, "flags", got.Permissions, core.Permissions{Create: true, Read: true})
		}},
		testCase{"CreatorGetsReadOnlyRow", func(h *H) {
			p := h.Project("P")
			def := h.DefaultUser()
			perm, err := h.Tracker.GetUserPermission(h.Ctx, def.ID, p)
			h.Must(err)
			Equal(h, "creator flags", perm.Permissions, core.Permissions{Read: true})
			h.Must(h.Tracker.UpdateUserPermission(h.Ctx, perm.ID, core.PermissionUpdate{Create: new(true)}))
			perm, err = h.Tracker.GetUserPermission(h.Ctx, def.ID, p)
			h.Must(err)
			Equal(h, "after update", perm.Permissions, core.Permissions{Create: true, Read: true})
			h.Must(h.Tracker.UpdateUserPermission(h.Ctx, perm.ID, core.PermissionUpdate{})) // all-null: a no-op
			h.Code(h.Tracker.UpdateUserPermission(h.Ctx, "00000000-0000-0000-0000-000000000000", core.PermissionUpdate{Read: new(false)}), core.ENotFound)
		}},
		testCase{"ListByProjectAndUser", func(h *H) {
			p1, p2 := h.Project("P1"), h.Project("P2")
			u := h.User("ada")
			h.MustID(h.Tracker.CreateUserPermission(h.Ctx, u, p1, core.Permissions{Read: true}))
			h.MustID(h.Tracker.CreateUserPermission(h.Ctx, u, p2, core.Permissions{Read: true}))
			members, err := h.Tracker.ListUserPermissions(h.Ctx, core.PermissionFilter{ProjectID: p1})
			h.Must(err)
			Equal(h, "members of P1 (creator and ada)", len(members), 2)
			for _, m := range members {
				Equal(h, "member project", m.ProjectID, p1)
			}
			mine, err := h.Tracker.ListUserPermissions(h.Ctx, core.PermissionFilter{UserID: u})
			h.Must(err)
			Equal(h, "ada's projects", len(mine), 2)
			fresh, err := h.Tracker.ListUserPermissions(h.Ctx, core.PermissionFilter{UserID: h.User("bob")})
			h.Must(err)
			Equal(h, "new user's permissions", len(fresh), 0)
		}},
		testCase{"Delete", func(h *H) {
			u, p := h.User("ada"), h.Project("P")
			id := h.MustID(h.Tracker.CreateUserPermission(h.Ctx, u, p, core.Permissions{Read: true}))
			h.Must(h.Tracker.DeleteUserPermission(h.Ctx, id))
			Gone(h, "deleted permission", func() (*core.UserPermission, error) { return h.Tracker.GetUserPermission(h.Ctx, u, p) })
			h.Code(h.Tracker.DeleteUserPermission(h.Ctx, id), core.ENotFound)
		}},
		testCase{"HasPermission", func(h *H) {
			u, p := h.User("ada"), h.Project("P")
			check := func(a core.Action, want bool) {
				h.Helper()
				got, err := h.Tracker.HasPermission(h.Ctx, u, p, a)
				h.Must(err)
				Equal(h, "permission to "+a.String(), got, want)
			}
			for _, a := range []core.Action{core.ActionCreate, core.ActionRead, core.ActionUpdate, core.ActionDelete} {
				check(a, false) // no row yet
			}
			id := h.MustID(h.Tracker.CreateUserPermission(h.Ctx, u, p, core.Permissions{Read: true, Delete: true}))
			check(core.ActionCreate, false)
			check(core.ActionRead, true)
			check(core.ActionUpdate, false)
			check(core.ActionDelete, true)
			h.Must(h.Tracker.UpdateUserPermission(h.Ctx, id, core.PermissionUpdate{Update: new(true), Delete: new(false)}))
			check(core.ActionUpdate, true)
			check(core.ActionDelete, false)
			admin, err := h.Tracker.HasPermission(h.Ctx, h.DefaultUser().ID, h.Project("Other"), core.ActionDelete)
			h.Must(err)
			Equal(h, "admins may do anything", admin, true)
		}},
	}
}
