package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact/s3test"
	"github.com/deardiary/deardiary-go/daemon"
)

// TestServesResourcesFromS3 runs the real ddd with the s3 backend against
// a real gateway: an upload larger than the inline limit streams through
// the REST API to the bucket and comes back byte for byte; replacing and
// deleting it removes its objects.
func TestServesResourcesFromS3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	m := startMain(t, func(c *Config) {
		c.Server.ArtifactBackend = core.BackendS3
		c.ArtifactS3 = g.Config(bucket)
	})
	c, err := daemon.Connect(ctx, m.URL, daemon.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := must(t)(c.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := must(t)(c.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))

	size := int64(daemon.MaxInlineUploadBytes + 5<<20)
	sent := sha256.New()
	body := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{9}), size), sent)
	id, err := c.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "checkpoint"}, body)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.GetResource(ctx, id)
	if err != nil || r.Backend != core.BackendS3 || !strings.HasPrefix(r.URI, "s3://"+bucket+"/") || r.SizeBytes != size {
		t.Fatalf("resource %+v, %v", r, err)
	}
	keys := g.Objects(t, bucket)
	if len(keys) != 1 || "s3://"+bucket+"/"+keys[0] != r.URI {
		t.Fatalf("bucket holds %v, the row names %s", keys, r.URI)
	}
	data, err := c.OpenResource(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, data)
	data.Close()
	if err != nil || n != size || !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
		t.Fatalf("downloaded %d bytes (%v), sha256 %x; uploaded %d, %x", n, err, got.Sum(nil), size, sent.Sum(nil))
	}

	if err := c.UpdateResource(ctx, id, core.ResourceUpdate{Data: strings.NewReader("smaller")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { k := g.Objects(t, bucket); return len(k) == 1 && k[0] != keys[0] })
	if err := c.DeleteResource(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return len(g.Objects(t, bucket)) == 0 })
}

func must(t *testing.T) func(string, error) string {
	return func(v string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// TestS3MisconfigurationStopsDDD: ddd refuses to start with an s3 backend
// it cannot use, and says on one line what is wrong and what to set.
func TestS3MisconfigurationStopsDDD(t *testing.T) {
	t.Parallel()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	good := map[string]string{
		"DEARDIARY_ARTIFACT_BACKEND":       "s3",
		"DEARDIARY_ARTIFACT_S3_BUCKET":     bucket,
		"DEARDIARY_ARTIFACT_S3_ENDPOINT":   g.Endpoint,
		"DEARDIARY_ARTIFACT_S3_ACCESS_KEY": g.AccessKey,
		"DEARDIARY_ARTIFACT_S3_SECRET_KEY": g.SecretKey,
	}
	for name, tc := range map[string]struct {
		change map[string]string
		code   int
		want   string
	}{
		"no bucket":             {map[string]string{"DEARDIARY_ARTIFACT_S3_BUCKET": ""}, 2, "set DEARDIARY_ARTIFACT_S3_BUCKET"},
		"a missing bucket":      {map[string]string{"DEARDIARY_ARTIFACT_S3_BUCKET": "not-there"}, 1, `bucket "not-there" does not exist`},
		"an unreachable store":  {map[string]string{"DEARDIARY_ARTIFACT_S3_ENDPOINT": closed}, 1, "cannot reach S3"},
		"an unknown access key": {map[string]string{"DEARDIARY_ARTIFACT_S3_ACCESS_KEY": "nobody"}, 1, "check it (ddd: DEARDIARY_ARTIFACT_S3_ACCESS_KEY)"},
		"a wrong secret key":    {map[string]string{"DEARDIARY_ARTIFACT_S3_SECRET_KEY": "wrong"}, 1, "check it (ddd: DEARDIARY_ARTIFACT_S3_SECRET_KEY)"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var env []string
			for k, v := range good {
				if c, ok := tc.change[k]; ok {
					v = c
				}
				env = append(env, k+"="+v)
			}
			res := ddd(t, dir, env, "--port", "0", "--db", filepath.Join(dir, "d.db"))
			msg := strings.TrimSpace(res.stderr)
			if res.code != tc.code || !strings.HasPrefix(msg, "ddd: ") || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) {
				t.Fatalf("exit %d, want %d, and one line with %q:\n%s", res.code, tc.code, tc.want, res.stderr)
			}
		})
	}
}

// TestHelpListsS3Settings: ddd --help names every S3 setting with its flag.
func TestHelpListsS3Settings(t *testing.T) {
	t.Parallel()
	res := ddd(t, t.TempDir(), nil, "--help")
	for _, want := range []string{"DEARDIARY_ARTIFACT_BACKEND", "inline, filesystem or s3",
		"--artifact-s3-bucket", "DEARDIARY_ARTIFACT_S3_BUCKET", "--artifact-s3-endpoint", "DEARDIARY_ARTIFACT_S3_ENDPOINT",
		"--artifact-s3-region", "DEARDIARY_ARTIFACT_S3_REGION", "default: us-east-1",
		"--artifact-s3-access-key", "DEARDIARY_ARTIFACT_S3_ACCESS_KEY", "--artifact-s3-secret-key", "DEARDIARY_ARTIFACT_S3_SECRET_KEY"} {
		if !strings.Contains(res.stdout+res.stderr, want) {
			t.Errorf("--help does not say %q:\n%s", want, res.stderr)
		}
	}
	if res.code != 0 {
		t.Errorf("exit %d", res.code)
	}
}
