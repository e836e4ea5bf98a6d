package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/deardiary/deardiary-go/core"
)

// TokenTTL is how long an access token lives, as upstream.
const TokenTTL = 24 * time.Hour

// tokenJSON is the body of POST /auth and /auth/refresh.
type tokenJSON struct {
	AccessToken string   `json:"access_token"`
	TokenType   string   `json:"token_type"`
	ExpiresAt   int64    `json:"expires_at"`
	User        userJSON `json:"user"`
}

func (s *Server) issue(u *core.User) (tokenJSON, error) {
	now := s.now()
	exp := now.Add(TokenTTL)
	// Upstream's payload: sub is the username, id the user id; and ddd's
	// fp, which ties the token to the user's password and role.
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": u.Username, "id": u.ID, "exp": exp.Unix(), "iat": now.Unix(),
		"fp": fingerprint(u)})
	signed, err := tok.SignedString([]byte(s.cfg.JWTSecret))
	if err != nil {
		return tokenJSON{}, err
	}
	return tokenJSON{AccessToken: signed, TokenType: "Bearer", ExpiresAt: exp.Unix(), User: toUserJSON(u)}, nil
}

func authError(code, message string) error {
	return &httpError{status: http.StatusUnauthorized, err: core.Errorf(code, "%s", message)}
}

// defaultAdmin is the user every request acts as when auth is off.
func (s *Server) defaultAdmin(ctx context.Context) (*core.User, error) {
	s.defaultOnce.Do(func() {
		s.defaultUser, s.defaultErr = s.t.GetUserByUsername(ctx, core.DefaultUsername)
	})
	return s.defaultUser, s.defaultErr
}

// exempt reports the requests that need no token even with auth on: logging
// in and health checks.
func exempt(r *http.Request) bool {
	return (r.Method == http.MethodPost && (r.URL.Path == "/auth" || r.URL.Path == "/auth/")) ||
		(r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/health"))
}

// authenticate finds the caller. With auth off it is the default admin; with
// auth on, the user of a valid bearer token, checked in upstream's order.
func (s *Server) authenticate(r *http.Request) (*core.User, error) {
	if !s.cfg.EnableAuth {
		return s.defaultAdmin(r.Context())
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		if exempt(r) {
			return nil, nil
		}
		return nil, authError(core.ETokenMissing, "Authorization header is missing")
	}
	scheme, raw, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		if exempt(r) {
			return nil, nil
		}
		return nil, authError(core.ETokenInvalid, "Invalid token")
	}
	u, err := s.verify(r.Context(), strings.TrimSpace(raw))
	if err != nil && exempt(r) {
		return nil, nil // a stale token does not stop a login
	}
	return u, err
}

// verify checks a token in upstream's order: signature (HS256 only), expiry,
// then the payload (a string id and a subject), then the user.
func (s *Server) verify(ctx context.Context, raw string) (*core.User, error) {
	c := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, c, func(*jwt.Token) (any, error) { return []byte(s.cfg.JWTSecret), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, authError(core.ETokenExpired, "Token has expired")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, authError(core.ETokenInvalid, "Invalid token")
	case err != nil:
		return nil, authError(core.ETokenPayloadInvalid, "Invalid token payload")
	}
	id, _ := c["id"].(string)
	if sub, _ := c["sub"].(string); id == "" || sub == "" {
		return nil, authError(core.ETokenPayloadInvalid, "Invalid token payload")
	}
	u, err := s.t.GetUser(ctx, id)
	if core.IsNotFound(err) {
		return nil, &httpError{status: http.StatusUnauthorized, err: core.Errorf(core.EUserNotFound, "User not found")}
	}
	if err != nil {
		return nil, err
	}
	if fp, _ := c["fp"].(string); fp != fingerprint(u) {
		return nil, authError(core.ETokenInvalid, "Invalid token: the user's password or admin role changed after it was issued; sign in again")
	}
	return u, nil
}

// fingerprint is a token's fp claim: 64 bits of a hash of the user's
// password stamp and admin flag, as they were when the token was issued.
// verify compares it with the user as they are, so a token stops working
// when the password changes or the user is made or unmade an admin,
// without a revocation list or a column on upstream's user table.
func fingerprint(u *core.User) string {
	sum := sha256.Sum256([]byte("ddd token v1\x00" + u.PasswordStamp + "\x00" + strconv.FormatBool(u.IsAdmin)))
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// accessKind is who may call a route.
type accessKind int

const (
	open        accessKind = iota // anyone
	authed                        // any valid caller
	adminOnly                     // admins
	selfOrAdmin                   // the user the path names ({id}), or an admin
	inProject                     // a permission in the owning project, or an admin
)

// access is a route's rule: for inProject, the action and how to find the
// projects the request touches.
type access struct {
	kind     accessKind
	action   core.Action
	projects func(r *http.Request) ([]string, error)
}

func (s *Server) authorize(r *http.Request, a access) error {
	caller := callerOf(r)
	if a.kind == open {
		return nil
	}
	if caller == nil {
		return authError(core.ETokenMissing, "Authorization header is missing")
	}
	if caller.IsAdmin {
		return nil
	}
	switch a.kind {
	case adminOnly:
		return core.Errorf(core.EAdminRequired, "this needs an admin")
	case selfOrAdmin:
		if pathVar(r, "id") != caller.ID {
			return core.Errorf(core.ESameUserRequired, "only the user themselves or an admin may do this")
		}
	case inProject:
		projects, err := a.projects(r)
		if err != nil {
			return err
		}
		for _, p := range projects {
			allowed, err := s.t.HasPermission(r.Context(), caller.ID, p, a.action)
			if err != nil {
				return err
			}
			if !allowed {
				return core.Errorf(core.EPermissionRequired, "you need the %s permission in this project", a.action)
			}
		}
	}
	return nil
}
