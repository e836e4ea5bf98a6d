package daemon_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// TestInlineUploadLimit: with resources kept in the database, ddd takes
// upload bodies up to MaxInlineUploadBytes (it serves them back whole) and refuses
// larger ones saying how to take them; with the filesystem backend the
// larger one streams to disk.
func TestInlineUploadLimit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("uploads 33 MiB")
	}
	fits := bytes.Repeat([]byte("w"), daemon.MaxInlineUploadBytes-64<<10) // room for the multipart framing
	tooBig := bytes.Repeat([]byte("w"), daemon.MaxInlineUploadBytes+1)
	inline := startServer(t, func(c *daemon.Config) { c.ArtifactBackend = core.BackendInline })
	c := daemontest.API{T: t, Base: inline.URL}
	_, e, _ := c.Seed()
	body, ctype := multipartBody(t, map[string]string{"name": "weights"}, fits)
	id := c.Expect(c.Do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 201, "").Str("resource_id")
	if got := c.Expect(c.Do("GET", "/resource/"+id+"/data", nil), 200, ""); !bytes.Equal(got.Body, fits) {
		t.Fatalf("%d bytes back of %d", len(got.Body), len(fits))
	}
	body, ctype = multipartBody(t, map[string]string{"name": "weights"}, tooBig)
	a := c.Expect(c.Do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 413, "PAYLOAD_TOO_LARGE")
	if !strings.Contains(a.Str("message"), "DEARDIARY_ARTIFACT_BACKEND=filesystem") {
		t.Fatalf("the refusal does not say how to take larger uploads: %s", a.Body)
	}
	fs := startServer(t, nil) // the filesystem backend
	c = daemontest.API{T: t, Base: fs.URL}
	_, e, _ = c.Seed()
	c.Expect(c.Do("POST", "/resource/experiment/"+e, body, "Content-Type", ctype), 201, "")
}
