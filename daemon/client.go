package daemon

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/deardiary/deardiary-go/core"
)

// Client implements core.Tracker against a running ddd (or DearDiary.jl's
// server), so training code and the TUI work the same on a daemon as on a
// local file. Its methods live beside the handlers they call:
// client_users.go, client_runs.go, client_data.go, client_registry.go.
//
// Every method is one request unless its comment says otherwise. An error
// answer comes back as the *core.Error its envelope holds, the code the store
// gave (a refusal because an iteration ended still wraps
// core.ErrIterationLocked); an answer without an envelope is EInternal, or
// ENotFound for a 404; no answer at all is "cannot reach ddd". Before a
// request, a token that expires within the hour is renewed: by signing in
// again when the client has the password, else through POST /auth/refresh.
// Timestamps travel as upstream's text, to the millisecond.
type Client struct {
	base string
	hc   *http.Client

	mu       sync.Mutex
	token    string
	expires  time.Time
	userID   string // the token's user
	username string
	password string
}

var _ core.Tracker = (*Client)(nil)

// Options are how Connect authenticates: a username and password, a token,
// or nothing when the daemon runs without auth.
type Options struct {
	Username   string
	Password   string
	Token      string
	HTTPClient *http.Client
}

// expectContinueAbove is the body size past which the client asks ddd
// whether it will take a body before sending it.
const expectContinueAbove = 1 << 20

// refreshBefore is how long before expiry the client renews its token.
const refreshBefore = time.Hour

// Connect checks that a daemon answers at rawURL and signs in. It fails
// clearly when the daemon is unreachable or refuses the credentials.
func Connect(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(rawURL), "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	if _, err := url.Parse(base); err != nil || base == "http://" {
		return nil, core.Invalid("%q is not a daemon URL such as http://127.0.0.1:9000", rawURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
			ExpectContinueTimeout: 2 * time.Second}}
	}
	c := &Client{base: base, hc: hc, username: opts.Username, password: opts.Password}
	var health map[string]string
	if err := c.do(ctx, "GET", "/health", nil, nil, &health); err != nil {
		return nil, err
	}
	switch {
	case opts.Username != "":
		if err := c.login(ctx); err != nil {
			return nil, err
		}
	case opts.Token != "":
		c.setToken(opts.Token)
		if _, err := c.Me(ctx); err != nil {
			return nil, fmt.Errorf("the daemon refused the token: %w", err)
		}
	}
	return c, nil
}

// URL is the daemon's address.
func (c *Client) URL() string { return c.base }

// Token returns the current access token ("" without auth).
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// Me returns the signed-in user (the default admin when auth is off).
func (c *Client) Me(ctx context.Context) (*core.User, error) {
	return fetch(ctx, c, "/auth/me", userJSON.core)
}

// Close releases idle connections; the daemon keeps running.
func (c *Client) Close() error {
	c.hc.CloseIdleConnections()
	return nil
}

func (c *Client) login(ctx context.Context) error {
	c.mu.Lock()
	username, password := c.username, c.password
	c.mu.Unlock()
	var tok tokenJSON
	if err := c.doRaw(ctx, "POST", "/auth", nil, credentialsJSON{&username, &password}, &tok, false); err != nil {
		return err
	}
	c.setToken(tok.AccessToken)
	c.mu.Lock()
	c.expires = time.Unix(tok.ExpiresAt, 0)
	c.mu.Unlock()
	return nil
}

// signsIn reports whether the client has a username and password to sign
// in with.
func (c *Client) signsIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.username != ""
}

// setToken keeps a token, reading its user and expiry.
func (c *Client) setToken(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token, c.expires, c.userID = token, time.Time{}, ""
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return
	}
	var claims struct {
		Exp int64  `json:"exp"`
		ID  wireID `json:"id"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return
	}
	if claims.Exp > 0 {
		c.expires = time.Unix(claims.Exp, 0)
	}
	c.userID = string(claims.ID)
}

// fresh renews the token when it is about to expire: with the password when
// the client has it, else by exchanging the token.
func (c *Client) fresh(ctx context.Context) {
	c.mu.Lock()
	due := c.token != "" && !c.expires.IsZero() && time.Until(c.expires) < refreshBefore
	c.mu.Unlock()
	if !due {
		return
	}
	if c.signsIn() && c.login(ctx) == nil {
		return
	}
	var tok tokenJSON
	if c.doRaw(ctx, "POST", "/auth/refresh", nil, nil, &tok, false) == nil {
		c.mu.Lock()
		c.token, c.expires = tok.AccessToken, time.Unix(tok.ExpiresAt, 0)
		c.mu.Unlock()
	}
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.doRaw(ctx, method, path, query, body, out, true)
}

// doRaw sends a JSON request and decodes a JSON answer into out; an error
// answer becomes the *core.Error it encodes.
func (c *Client) doRaw(ctx context.Context, method, path string, query url.Values, body, out any, refresh bool) error {
	if refresh {
		c.fresh(ctx)
	}
	var reader io.Reader
	if body != nil {
		if err := checkUTF8(reflect.ValueOf(body)); err != nil {
			return err
		}
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, method, path, query, reader, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("cannot read the answer of %s %s: %w", method, path, err)
	}
	return nil
}

// send makes a request and returns a successful response; error answers are
// decoded and returned as errors.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Response, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
		if req.ContentLength > expectContinueAbove || req.ContentLength < 0 {
			// ddd may refuse a body over its limits by its length alone;
			// asking first spares sending it, and the refusal arrives
			// instead of a connection reset halfway through.
			req.Header.Set("Expect", "100-continue")
		}
	}
	if tok := c.Token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cannot reach ddd at %s: %w", c.base, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// decodeError turns an error answer into a *core.Error.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var env envelope
	if json.Unmarshal(b, &env) != nil || env.Code == "" {
		msg := strings.TrimSpace(string(b))
		if msg == "" {
			msg = resp.Status
		}
		code := core.EInternal
		if resp.StatusCode == http.StatusNotFound {
			code = core.ENotFound
		}
		return core.Errorf(code, "ddd answered %s: %s", resp.Status, msg)
	}
	e := &core.Error{Code: env.Code, Message: env.Message}
	if env.Reason == reasonLocked {
		e.Err = core.ErrIterationLocked
	}
	return e
}

// checkUTF8 refuses text that is not UTF-8 before it is sent: JSON would
// quietly replace the bad bytes, and the store refuses them.
func checkUTF8(v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return core.Invalid("text %q is not valid UTF-8", strings.ToValidUTF8(v.String(), "\uFFFD"))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkUTF8(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if err := checkUTF8(v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes travel as base64
		}
		for i := range v.Len() {
			if err := checkUTF8(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if err := checkUTF8(iter.Key()); err != nil {
				return err
			}
			if err := checkUTF8(iter.Value()); err != nil {
				return err
			}
		}
	}
	return nil
}

// esc escapes one path segment.
func esc(s string) string { return url.PathEscape(s) }

// listAll fetches a page of a paged route: every row when p.Limit is zero,
// in pages of the daemon's largest size.
func listAll[W, T any](ctx context.Context, c *Client, path string, query url.Values, p core.Page, convert func(W) T) ([]T, int, error) {
	if query == nil {
		query = url.Values{}
	}
	out := []T{}
	offset, total := max(p.Offset, 0), 0
	for {
		size := 200
		if p.Limit > 0 {
			size = min(size, p.Limit-len(out))
		}
		query.Set("limit", fmt.Sprint(size))
		query.Set("offset", fmt.Sprint(offset))
		var pg page[W]
		if err := c.do(ctx, "GET", path, query, nil, &pg); err != nil {
			return nil, 0, err
		}
		total = pg.Total
		for _, w := range pg.Data {
			out = append(out, convert(w))
		}
		offset += len(pg.Data)
		if len(pg.Data) < size || offset >= total || (p.Limit > 0 && len(out) >= p.Limit) {
			return out, total, nil
		}
	}
}

// fetch GETs the entity at path and converts it from its wire form.
func fetch[W, T any](ctx context.Context, c *Client, path string, convert func(W) T) (T, error) {
	var w W
	if err := c.do(ctx, "GET", path, nil, nil, &w); err != nil {
		var zero T
		return zero, err
	}
	return convert(w), nil
}

// fetchList GETs an unpaged list and converts each element.
func fetchList[W, T any](ctx context.Context, c *Client, path string, query url.Values, convert func(W) T) ([]T, error) {
	var ws []W
	if err := c.do(ctx, "GET", path, query, nil, &ws); err != nil {
		return nil, err
	}
	return mapSlice(ws, convert), nil
}

// remove DELETEs the entity at path.
func (c *Client) remove(ctx context.Context, path string) error {
	return c.do(ctx, "DELETE", path, nil, nil, nil)
}

var errNoID = errors.New("the daemon's answer holds no id")

// createdID posts body and returns the id the daemon answers with under key.
func (c *Client) createdID(ctx context.Context, path string, query url.Values, body any, key string) (string, error) {
	var out map[string]wireID
	if err := c.do(ctx, "POST", path, query, body, &out); err != nil {
		return "", err
	}
	id := string(out[key])
	if id == "" {
		return "", fmt.Errorf("%w (%s)", errNoID, key)
	}
	return id, nil
}

func reflectValue(v any) reflect.Value { return reflect.ValueOf(v) }

func decodeJSON(r io.Reader, out any) error {
	if err := json.NewDecoder(r).Decode(out); err != nil {
		return fmt.Errorf("cannot read the daemon's answer: %w", err)
	}
	return nil
}
