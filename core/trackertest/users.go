package trackertest

import (
	"slices"

	"github.com/deardiary/deardiary-go/core"
)

func usersCases() []testCase {
	return []testCase{
		testCase{"DefaultUserIsSeededAdmin", func(h *H) {
			u := h.DefaultUser()
			Equal(h, "is admin", u.IsAdmin, true)
			if !ValidID(u.ID) {
				h.Fatalf("default user id %q is neither a UUID nor a positive integer", u.ID)
			}
			got, err := h.Tracker.Authenticate(h.Ctx, core.DefaultUsername, "default")
			h.Must(err)
			Equal(h, "authenticated id", got.ID, u.ID)
		}},
		testCase{"CreateGetAndList", func(h *H) {
			id := h.MustID(h.Tracker.CreateUser(h.Ctx, core.UserCreate{FirstName: "Ada", LastName: "Lovelace", Username: "ada", Password: "secret"}))
			u, err := h.Tracker.GetUser(h.Ctx, id)
			h.Must(err)
			Equal(h, "first name", u.FirstName, "Ada")
			Equal(h, "last name", u.LastName, "Lovelace")
			Equal(h, "username", u.Username, "ada")
			Equal(h, "new users are not admins", u.IsAdmin, false)
			if u.CreatedDate.IsZero() {
				h.Fatal("created date not set")
			}
			byName, err := h.Tracker.GetUserByUsername(h.Ctx, "ada")
			h.Must(err)
			Equal(h, "by username", byName.ID, id)
			h.User("bob")
			all, err := h.Tracker.ListUsers(h.Ctx)
			h.Must(err)
			Equal(h, "users with default", len(all), 3)
		}},
		testCase{"CreateRejectsBadInput", func(h *H) {
			h.User("ada")
			_, err := h.Tracker.CreateUser(h.Ctx, core.UserCreate{Username: "ada", Password: "x"})
			h.Code(err, core.EConflict)
			_, err = h.Tracker.CreateUser(h.Ctx, core.UserCreate{Username: core.DefaultUsername, Password: "x"})
			h.Code(err, core.EConflict)
			_, err = h.Tracker.CreateUser(h.Ctx, core.UserCreate{Username: "", Password: "x"})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateUser(h.Ctx, core.UserCreate{Username: "carol", Password: ""})
			h.Code(err, core.EInvalid)
			Gone(h, "rejected user", func() (*core.User, error) { return h.Tracker.GetUserByUsername(h.Ctx, "carol") })
		}},
		testCase{"AuthenticateDoesNotRevealUsers", func(h *H) {
			h.User("ada")
			u, err := h.Tracker.Authenticate(h.Ctx, "ada", "pw-ada")
			h.Must(err)
			Equal(h, "username", u.Username, "ada")
			_, wrong := h.Tracker.Authenticate(h.Ctx, "ada", "nope")
			h.Code(wrong, core.EInvalidCredentials)
			_, unknown := h.Tracker.Authenticate(h.Ctx, "nobody", "nope")
			h.Code(unknown, core.EInvalidCredentials)
			Equal(h, "same message for unknown user and wrong password", core.ErrorMessage(unknown), core.ErrorMessage(wrong))
		}},
		testCase{"PartialUpdate", func(h *H) {
			id := h.User("ada")
			h.Must(h.Tracker.UpdateUser(h.Ctx, id, core.UserUpdate{FirstName: new("Ana")}))
			u, err := h.Tracker.GetUser(h.Ctx, id)
			h.Must(err)
			Equal(h, "first name", u.FirstName, "Ana")
			Equal(h, "last name kept", u.LastName, "Last")
			h.Must(h.Tracker.UpdateUser(h.Ctx, id, core.UserUpdate{Password: new("changed"), IsAdmin: new(true)}))
			_, err = h.Tracker.Authenticate(h.Ctx, "ada", "changed")
			h.Must(err)
			u, err = h.Tracker.GetUser(h.Ctx, id)
			h.Must(err)
			Equal(h, "promoted", u.IsAdmin, true)
			h.Must(h.Tracker.UpdateUser(h.Ctx, id, core.UserUpdate{})) // all-null: a no-op
			h.Code(h.Tracker.UpdateUser(h.Ctx, "00000000-0000-0000-0000-000000000000", core.UserUpdate{FirstName: new("x")}), core.EUserNotFound)
			h.Code(h.Tracker.UpdateUser(h.Ctx, id, core.UserUpdate{Password: new("")}), core.EInvalid)
		}},
		testCase{"DefaultUserIsProtected", func(h *H) {
			def := h.DefaultUser()
			h.Code(h.Tracker.UpdateUser(h.Ctx, def.ID, core.UserUpdate{IsAdmin: new(false)}), core.EInvalid)
			h.Code(h.Tracker.DeleteUser(h.Ctx, def.ID), core.EInvalid)
			Equal(h, "still admin", h.DefaultUser().IsAdmin, true)
		}},
		testCase{"DeleteRemovesPermissions", func(h *H) {
			id := h.User("ada")
			p := h.Project("P")
			h.MustID(h.Tracker.CreateUserPermission(h.Ctx, id, p, core.Permissions{Read: true}))
			h.Must(h.Tracker.DeleteUser(h.Ctx, id))
			Gone(h, "deleted user", func() (*core.User, error) { return h.Tracker.GetUserByUsername(h.Ctx, "ada") })
			perms, err := h.Tracker.ListUserPermissions(h.Ctx, core.PermissionFilter{ProjectID: p})
			h.Must(err)
			if slices.ContainsFunc(perms, func(p *core.UserPermission) bool { return p.UserID == id }) {
				h.Fatal("permission of deleted user remains")
			}
			h.Code(h.Tracker.DeleteUser(h.Ctx, id), core.EUserNotFound)
		}},
	}
}
