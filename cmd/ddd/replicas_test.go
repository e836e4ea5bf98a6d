package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact/s3test"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
	"github.com/deardiary/deardiary-go/daemon"
)

// replicaEnv is the environment of a ddd replica on PostgreSQL with
// artifacts in the gateway's bucket.
func replicaEnv(gw *s3test.Gateway, bucket string) []string {
	return []string{"DEARDIARY_ARTIFACT_BACKEND=s3", "DEARDIARY_ARTIFACT_S3_BUCKET=" + bucket,
		"DEARDIARY_ARTIFACT_S3_ENDPOINT=" + gw.Endpoint, "DEARDIARY_ARTIFACT_S3_REGION=" + gw.Region,
		"DEARDIARY_ARTIFACT_S3_ACCESS_KEY=" + gw.AccessKey, "DEARDIARY_ARTIFACT_S3_SECRET_KEY=" + gw.SecretKey}
}

// TestReplicasShareOneDatabase runs two ddd processes on one PostgreSQL
// database and one bucket, as a team runs them behind a load balancer: 32
// writers split across them log automatically stepped points to one key
// and register versions of one model; a resource uploaded through one
// downloads through the other. Steps come out exactly 0..n-1, versions
// exactly 1..n, bytes identical.
func TestReplicasShareOneDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.Database(t)
	gw := s3test.Start(t, os.Getenv)
	bucket := gw.NewBucket(t)
	var replicas []*server
	for range 2 {
		r := startChild(t, "ddd", db, replicaEnv(gw, bucket)...)
		t.Cleanup(func() {
			r.stdin.Close()
			r.cmd.Wait()
		})
		replicas = append(replicas, r)
	}
	ctx := context.Background()
	clients := make([]*daemon.Client, len(replicas))
	for i, r := range replicas {
		c, err := daemon.Connect(ctx, "http://"+r.addr, daemon.Options{})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	a, b := clients[0], clients[1]
	p, err := a.CreateProject(ctx, core.ProjectCreate{Name: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := b.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
	it, err := a.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		t.Fatal(err)
	}
	model, err := b.CreateModel(ctx, core.ModelCreate{ProjectID: p, Name: "m"})
	if err != nil {
		t.Fatal(err)
	}

	const writers, points, versions = 32, 40, 3
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		c := clients[w%2]
		wg.Go(func() {
			for range points {
				if _, err := c.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: float64(w)}); err != nil {
					errs <- err
					return
				}
			}
			for range versions {
				if _, err := c.CreateModelVersion(ctx, core.ModelVersionCreate{ModelID: model, IterationID: it}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	h, err := b.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}})
	if err != nil || len(h) != 1 {
		t.Fatalf("history: %v", err)
	}
	for i, pt := range h[0].Points {
		if pt.Step != int64(i) {
			t.Fatalf("point %d of %d has step %d: steps must be exactly 0..n-1", i, len(h[0].Points), pt.Step)
		}
	}
	if len(h[0].Points) != writers*points {
		t.Fatalf("%d points, want %d", len(h[0].Points), writers*points)
	}
	vs, _, err := a.ListModelVersions(ctx, core.ModelVersionFilter{ModelID: model})
	if err != nil {
		t.Fatal(err)
	}
	var numbers []int64
	for _, v := range vs {
		numbers = append(numbers, v.Version)
	}
	slices.Sort(numbers)
	for i, n := range numbers {
		if n != int64(i+1) {
			t.Fatalf("version numbers %v: want exactly 1..%d", numbers, writers*versions)
		}
	}
	if len(numbers) != writers*versions {
		t.Fatalf("%d versions, want %d", len(numbers), writers*versions)
	}

	data := bytes.Repeat([]byte("weights "), 3<<20/8)
	rid, err := a.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "weights"}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.OpenResource(ctx, rid)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	res, _ := b.GetResource(ctx, rid)
	if !bytes.Equal(got, data) || res.Backend != core.BackendS3 || !strings.HasPrefix(res.URI, fmt.Sprintf("s3://%s/", bucket)) {
		t.Fatalf("resource through the other replica: %d bytes of %d, %s %s", len(got), len(data), res.Backend, res.URI)
	}
}
