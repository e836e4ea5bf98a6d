package duckdb

import (
	"context"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
)

const userColumns = `id, COALESCE(first_name, ''), COALESCE(last_name, ''), username, created_date, COALESCE(is_admin, 0), COALESCE(password, '')`

func scanUser(r scanner) (*core.User, error) {
	var (
		u       core.User
		created string
		admin   int64
		hash    string
	)
	if err := r.Scan(&u.ID, &u.FirstName, &u.LastName, &u.Username, &created, &admin, &hash); err != nil {
		return nil, err
	}
	u.CreatedDate, u.IsAdmin, u.PasswordStamp = storedTime(created), admin != 0, core.PasswordStamp(hash)
	return &u, nil
}

func getUser(ctx context.Context, q querier, id string) (*core.User, error) {
	return getOne(ctx, q, scanUser, "user", id, `SELECT `+userColumns+` FROM "user" WHERE id = ?`, id)
}

// GetUser implements core.UserService.
func (s *Store) GetUser(ctx context.Context, id string) (*core.User, error) {
	return getUser(ctx, s.db, id)
}

// GetUserByUsername implements core.UserService.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (*core.User, error) {
	return getOne(ctx, s.db, scanUser, "user", username, `SELECT `+userColumns+` FROM "user" WHERE username = ?`, username)
}

// ListUsers implements core.UserService.
func (s *Store) ListUsers(ctx context.Context) ([]*core.User, error) {
	return list(ctx, s.db, scanUser, `SELECT `+userColumns+` FROM "user" ORDER BY created_date, id`)
}

func (s *Store) hash(password string) (string, error) {
	if password == "" {
		return "", core.Invalid("password must not be empty")
	}
	if err := core.CheckText("password", password); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.bcryptCost)
	if err != nil {
		return "", core.Invalid("cannot use this password: %v", err)
	}
	return string(h), nil
}

// CreateUser implements core.UserService. The hash is computed before the
// write is queued, so bcrypt's cost never holds up the writer.
func (s *Store) CreateUser(ctx context.Context, in core.UserCreate) (string, error) {
	if err := core.RequireText("username", in.Username); err != nil {
		return "", err
	}
	if err := core.CheckText("first name", in.FirstName, "last name", in.LastName); err != nil {
		return "", err
	}
	hash, err := s.hash(in.Password)
	if err != nil {
		return "", err
	}
	id, now := s.ids.next("user"), s.nowText()
	err = s.write(ctx, func(t *tx) error {
		var n int
		if err := t.QueryRowContext(t.ctx, `SELECT count(*) FROM "user" WHERE username = ?`, in.Username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.Errorf(core.EConflict, "username %q is taken", in.Username)
		}
		_, err := t.ExecContext(t.ctx, `INSERT INTO "user" (id, first_name, last_name, username, password, created_date, is_admin)
			VALUES (?, ?, ?, ?, ?, ?, 0)`, id, in.FirstName, in.LastName, in.Username, hash, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpdateUser implements core.UserService.
func (s *Store) UpdateUser(ctx context.Context, id string, upd core.UserUpdate) error {
	var c changes
	if upd.FirstName != nil {
		if err := core.CheckText("first name", *upd.FirstName); err != nil {
			return err
		}
		c.set("first_name", *upd.FirstName)
	}
	if upd.LastName != nil {
		if err := core.CheckText("last name", *upd.LastName); err != nil {
			return err
		}
		c.set("last_name", *upd.LastName)
	}
	if upd.Password != nil {
		hash, err := s.hash(*upd.Password)
		if err != nil {
			return err
		}
		c.set("password", hash)
	}
	if upd.IsAdmin != nil {
		c.set("is_admin", boolInt(*upd.IsAdmin))
	}
	return s.write(ctx, func(t *tx) error {
		u, err := getUser(t.ctx, t, id)
		if err != nil {
			return err
		}
		if u.Username == core.DefaultUsername && upd.IsAdmin != nil && !*upd.IsAdmin {
			return core.Invalid("the default user cannot stop being an admin")
		}
		return c.apply(t.ctx, t, `"user"`, id)
	})
}

// DeleteUser implements core.UserService.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.write(ctx, func(t *tx) error {
		u, err := getUser(t.ctx, t, id)
		if err != nil {
			return err
		}
		if u.Username == core.DefaultUsername {
			return core.Invalid("the default user cannot be deleted")
		}
		if _, err := t.ExecContext(t.ctx, `DELETE FROM user_permission WHERE user_id = ?`, id); err != nil {
			return err
		}
		_, err = t.ExecContext(t.ctx, `DELETE FROM "user" WHERE id = ?`, id)
		return err
	})
}

// Authenticate implements core.UserService.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*core.User, error) {
	var id, hash string
	err := s.db.QueryRowContext(ctx, `SELECT id, password FROM "user" WHERE username = ?`, username).Scan(&id, &hash)
	switch {
	case noRow(err):
		_ = bcrypt.CompareHashAndPassword(s.unknownUserHash(), []byte(password))
		return nil, core.Errorf(core.EInvalidCredentials, "invalid username or password")
	case err != nil:
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		return nil, core.Errorf(core.EInvalidCredentials, "invalid username or password")
	}
	return getUser(ctx, s.db, id)
}
