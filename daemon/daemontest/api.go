// Package daemontest helps tests talk to a running ddd over raw HTTP, to
// check the wire itself: status codes, envelopes, headers and JSON shapes,
// which the typed client would hide.
package daemontest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// API is a raw HTTP view of a daemon at Base, signed in with Token when it
// is set. Its methods fail the test on a transport error.
type API struct {
	T     testing.TB
	Base  string
	Token string
}

// Answer is a response, read whole.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object (nil when it is not one).
func (a Answer) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(a.Body, &m)
	return m
}

// List decodes the body as an array (nil when it is not one).
func (a Answer) List() []any {
	var l []any
	_ = json.Unmarshal(a.Body, &l)
	return l
}

// Str is the body's string field key, or "".
func (a Answer) Str(key string) string {
	s, _ := a.JSON()[key].(string)
	return s
}

// ID is the body's id field key as text, whether the daemon sends ids as
// strings (UUIDs) or numbers (integer ids); "" when missing.
func (a Answer) ID(key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(a.Body, &m) != nil {
		return ""
	}
	return idText(m[key])
}

func idText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// Do sends a request. body is sent as it is when it is a string or bytes,
// else marshalled to JSON, as Content-Type application/json unless headers
// say otherwise; headers are name, value pairs ("Host" sets the request's
// host).
func (c API) Do(method, path string, body any, headers ...string) Answer {
	c.T.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		reader = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, reader)
	if err != nil {
		c.T.Fatal(err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if http.CanonicalHeaderKey(headers[i]) == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Answer{resp.StatusCode, resp.Header, b}
}

// Expect fails the test unless the answer has the status and, when code is
// given, an error envelope with that code and a message.
func (c API) Expect(a Answer, status int, code string) Answer {
	c.T.Helper()
	if a.Status != status {
		c.T.Fatalf("status %d, want %d: %s", a.Status, status, a.Body)
	}
	if code != "" {
		env := a.JSON()
		if env["code"] != code || env["message"] == "" {
			c.T.Fatalf("envelope %s, want code %s and a message", a.Body, code)
		}
	}
	return a
}

// As is the same view signed in with another token.
func (c API) As(token string) API { c.Token = token; return c }

// Seed makes a project, an experiment and an iteration through the API.
func (c API) Seed() (project, experiment, iteration string) {
	c.T.Helper()
	project = c.Expect(c.Do("POST", "/project/", map[string]any{"name": "P"}), 201, "").ID("project_id")
	experiment = c.Expect(c.Do("POST", "/experiment/project/"+project, map[string]any{"status_id": 1, "name": "E"}), 201, "").ID("experiment_id")
	iteration = c.Expect(c.Do("POST", "/iteration/experiment/"+experiment, nil), 201, "").ID("iteration_id")
	return
}
