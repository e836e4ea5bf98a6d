package postgres_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
	"github.com/deardiary/deardiary-go/core/artifact/s3test"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
	"github.com/deardiary/deardiary-go/core/trackertest"
)

// TestConformanceS3 runs the suite with resource bytes in S3 (versitygw),
// a bucket per case.
func TestConformanceS3(t *testing.T) {
	t.Parallel()
	g := s3test.Start(t, os.Getenv)
	trackertest.Run(t, func(t *testing.T) core.Tracker {
		return open(t, postgres.WithArtifactConfig(artifact.Config{Backend: core.BackendS3, S3: g.Config(g.NewBucket(t))}))
	})
}

// waitObjects waits for the bucket to hold n objects: the store deletes
// objects in S3 on a goroutine of its own, after the commit.
func waitObjects(t *testing.T, g *s3test.Gateway, bucket string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		keys := g.Objects(t, bucket)
		if len(keys) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bucket holds %v, want %d objects", keys, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestArtifactsMoveAndGo migrates inline bytes to the filesystem, then
// those to S3, from a store with each backend in turn, and checks that a
// project's delete takes its objects in S3 with it.
func TestArtifactsMoveAndGo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	url := pgtest.Schema(t)
	inlineStore := openURL(t, url)
	p, e, _ := newRun(t, inlineStore)
	var ids []string
	for _, body := range []string{"one", "two", ""} {
		id, err := inlineStore.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "r"}, strings.NewReader(body))
		must(t, err)
		ids = append(ids, id)
	}
	if _, err := inlineStore.MigrateArtifacts(ctx); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("migrating to inline: %v", err)
	}
	root := t.TempDir()
	for _, step := range []struct {
		backend string
		opt     postgres.Option
	}{
		{core.BackendFilesystem, postgres.WithArtifacts(core.BackendFilesystem, root)},
		{core.BackendS3, postgres.WithArtifactConfig(artifact.Config{Backend: core.BackendS3, Root: root, S3: g.Config(bucket)})},
	} {
		s := openURL(t, url, step.opt)
		res, err := s.MigrateArtifacts(ctx)
		must(t, err)
		if res.Migrated != len(ids) || res.Failed != 0 {
			t.Fatalf("migration: %+v", res)
		}
		if again, err := s.MigrateArtifacts(ctx); err != nil || again.Migrated != 0 {
			t.Fatalf("second pass: %+v, %v", again, err)
		}
		for i, body := range []string{"one", "two", ""} {
			r, err := inlineStore.GetResource(ctx, ids[i])
			must(t, err)
			if r.Backend != step.backend {
				t.Fatalf("resource in %s after migrating to %s", r.Backend, step.backend)
			}
			rc, err := s.OpenResource(ctx, ids[i])
			must(t, err)
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != body {
				t.Fatalf("bytes %q, want %q", got, body)
			}
		}
	}
	waitObjects(t, g, bucket, len(ids))
	s3 := openURL(t, url, postgres.WithArtifactConfig(artifact.Config{S3: g.Config("")}))
	must(t, s3.DeleteProject(ctx, p))
	must(t, s3.Close())
	waitObjects(t, g, bucket, 0)
}

func openURL(t *testing.T, url string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, append([]postgres.Option{postgres.WithBcryptCost(4)}, opts...)...)
	must(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}
