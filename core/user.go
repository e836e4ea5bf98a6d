package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// DefaultUsername is the administrator every database is seeded with
// (password DefaultPassword). It cannot be deleted or demoted; with auth off
// every request acts as this user.
const DefaultUsername = "default"

// DefaultPassword is the seeded administrator's password, as upstream's:
// ddd warns while an admin still has it.
const DefaultPassword = "default"

// User is a person who can log in. The password hash never leaves the store.
type User struct {
	ID          string
	FirstName   string
	LastName    string
	Username    string
	CreatedDate time.Time
	IsAdmin     bool
	// PasswordStamp changes whenever the password does: a short
	// fingerprint of its hash (not the hash, from which nothing can be
	// learnt), so that ddd can refuse tokens issued before a change. A
	// store fills it; the daemon's client, which never sees it, leaves it
	// empty.
	PasswordStamp string
}

// PasswordStamp is what a store puts in User.PasswordStamp: 64 bits of the
// SHA-256 of the password's hash as stored, whose salt changes with every
// new password.
func PasswordStamp(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:8])
}

// UserCreate is the input of CreateUser. New users are never admins.
type UserCreate struct {
	FirstName string
	LastName  string
	Username  string
	Password  string
}

// UserUpdate changes the non-nil fields of a user.
type UserUpdate struct {
	FirstName *string
	LastName  *string
	Password  *string
	IsAdmin   *bool
}

// UserService manages users and checks their credentials.
type UserService interface {
	// GetUser returns the user with the given id, or EUserNotFound.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByUsername returns the user with the given username, or EUserNotFound.
	GetUserByUsername(ctx context.Context, username string) (*User, error)
	// ListUsers returns every user, oldest first.
	ListUsers(ctx context.Context) ([]*User, error)
	// CreateUser stores a new non-admin user with a bcrypt hash of the password
	// and returns its id. EConflict if the username is taken, EInvalid for an
	// empty username or password.
	CreateUser(ctx context.Context, in UserCreate) (string, error)
	// UpdateUser changes a user. EUserNotFound, or EInvalid when demoting the
	// default user. An update with no fields set changes nothing.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) error
	// DeleteUser deletes a user and its permissions. EUserNotFound, or EInvalid
	// for the default user.
	DeleteUser(ctx context.Context, id string) error
	// Authenticate returns the user whose username and password match, or
	// EInvalidCredentials, the same error whether or not the user exists.
	Authenticate(ctx context.Context, username, password string) (*User, error)
}

// Permissions are the four per-project flags of a user.
type Permissions struct {
	Create bool
	Read   bool
	Update bool
	Delete bool
}

// Allows reports whether the flags permit the action.
func (p Permissions) Allows(a Action) bool {
	switch a {
	case ActionCreate:
		return p.Create
	case ActionRead:
		return p.Read
	case ActionUpdate:
		return p.Update
	case ActionDelete:
		return p.Delete
	}
	return false
}

// UserPermission grants a user actions in one project.
type UserPermission struct {
	ID        string
	UserID    string
	ProjectID string
	Permissions
}

// PermissionUpdate changes the non-nil flags of a permission.
type PermissionUpdate struct {
	Create *bool
	Read   *bool
	Update *bool
	Delete *bool
}

// PermissionFilter selects permissions by user, by project, or both.
type PermissionFilter struct {
	UserID    string
	ProjectID string
}

// PermissionService manages per-project permissions.
type PermissionService interface {
	// GetUserPermission returns the permission of a user in a project, or ENotFound.
	GetUserPermission(ctx context.Context, userID, projectID string) (*UserPermission, error)
	// ListUserPermissions returns the permissions matching the filter, in
	// creation order.
	ListUserPermissions(ctx context.Context, f PermissionFilter) ([]*UserPermission, error)
	// CreateUserPermission grants a user the given flags in a project and
	// returns the permission's id. EInvalid for an unknown user or project,
	// EConflict if the user already has a permission there.
	CreateUserPermission(ctx context.Context, userID, projectID string, p Permissions) (string, error)
	// UpdateUserPermission changes flags. ENotFound if the permission is missing.
	UpdateUserPermission(ctx context.Context, id string, upd PermissionUpdate) error
	// DeleteUserPermission removes a permission. ENotFound if it is missing.
	DeleteUserPermission(ctx context.Context, id string) error
	// HasPermission reports whether the user may perform the action in the
	// project: always for admins, otherwise as the permission's flag says.
	HasPermission(ctx context.Context, userID, projectID string, a Action) (bool, error)
}
