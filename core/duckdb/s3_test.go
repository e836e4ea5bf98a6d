package duckdb_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
	"github.com/deardiary/deardiary-go/core/artifact/s3test"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/duckdb/upstreamtest"
)

// inS3 is the configuration of a store writing to the gateway's bucket;
// readS3 one writing inline that can read and delete what is there.
func inS3(g *s3test.Gateway, bucket string) duckdb.Option {
	return duckdb.WithArtifactConfig(artifact.Config{Backend: core.BackendS3, S3: g.Config(bucket)})
}

func readS3(g *s3test.Gateway) duckdb.Option {
	return duckdb.WithArtifactConfig(artifact.Config{S3: g.Config("")})
}

// waitObjects waits for the bucket to hold n objects: the store deletes
// objects in S3 on a goroutine of its own, after the commit.
func waitObjects(t *testing.T, g *s3test.Gateway, bucket string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		keys := g.Objects(t, bucket)
		if len(keys) == n {
			return keys
		}
		if time.Now().After(deadline) {
			t.Fatalf("bucket holds %v, want %d objects", keys, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var s3URI = regexp.MustCompile(`^s3://([a-z0-9-]+)/([0-9a-f]{2})/([0-9a-f-]{36})$`)

func TestS3Resources(t *testing.T) {
	t.Parallel()
	ctx, dir := context.Background(), t.TempDir()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	path := filepath.Join(dir, "deardiary.db")
	s := openFile(t, path, inS3(g, bucket))
	e, _ := run(t, s)
	id := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "ckpt"}, strings.NewReader("weights v1")))
	r, err := s.GetResource(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	m := s3URI.FindStringSubmatch(r.URI)
	if r.Backend != core.BackendS3 || m == nil || m[1] != bucket || m[2] != m[3][:2] || r.SizeBytes != 10 || r.ContentHash != hash("weights v1") {
		t.Fatalf("resource %+v: want backend s3 and uri s3://%s/<aa>/<uuid>", r, bucket)
	}
	if keys := g.Objects(t, bucket); !slices.Equal(keys, []string{m[2] + "/" + m[3]}) {
		t.Fatalf("bucket holds %v", keys)
	}
	if got := bytesOf(t, s, id); got != "weights v1" {
		t.Fatalf("bytes = %q", got)
	}
	if err := s.UpdateResource(ctx, id, core.ResourceUpdate{Data: strings.NewReader("weights v2")}); err != nil {
		t.Fatal(err)
	}
	if keys := waitObjects(t, g, bucket, 1); keys[0] == m[2]+"/"+m[3] {
		t.Fatalf("the replaced object is still there: %v", keys)
	}
	if got := bytesOf(t, s, id); got != "weights v2" {
		t.Fatalf("bytes = %q", got)
	}
	if _, err := s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "broken"}, &failingReader{}); err == nil {
		t.Fatal("a broken upload succeeded")
	}
	if _, err := s.CreateResource(ctx, core.ResourceCreate{ExperimentID: "9999", Name: "x"}, strings.NewReader("x")); core.ErrorCode(err) != core.EInvalid {
		t.Fatalf("upload to an unknown experiment: %v", err)
	}
	waitObjects(t, g, bucket, 1)
	other := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "b"}, strings.NewReader("second")))
	// The data column holds an empty BLOB, as DearDiary.jl writes it for
	// external backends.
	s.Close()
	if data := query[[]byte](t, path, "SELECT data FROM resource WHERE id = '"+other+"'"); len(data) != 1 || data[0] == nil || len(data[0]) != 0 {
		t.Fatalf("data column %q, want an empty BLOB", data)
	}

	// Without S3 settings the bytes cannot be read, and the error says so.
	s = openFile(t, path)
	if _, err := s.OpenResource(ctx, id); core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), "no S3 settings") {
		t.Fatalf("reading S3 bytes without settings: %v", err)
	}
	s.Close()
	// A store writing inline reads and deletes them, given the settings;
	// so does a read-only one.
	ro := openFile(t, path, duckdb.ReadOnly(), inS3(g, bucket))
	if got := bytesOf(t, ro, other); got != "second" {
		t.Fatalf("read-only: bytes = %q", got)
	}
	ro.Close()
	s = openFile(t, path, readS3(g))
	defer s.Close()
	inRow := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "c"}, strings.NewReader("inline")))
	if bytesOf(t, s, id) != "weights v2" || bytesOf(t, s, inRow) != "inline" {
		t.Fatal("reads did not follow each row's backend")
	}
	if err := s.DeleteExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	waitObjects(t, g, bucket, 0)
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestS3UpstreamRows: bytes DearDiary.jl put in S3 read back through the
// store and are deleted with their row, in files of both its versions; the
// rows and objects the store writes have the shape DearDiary.jl reads.
func TestS3UpstreamRows(t *testing.T) {
	t.Parallel()
	g := s3test.Start(t, os.Getenv)
	for _, version := range upstreamtest.Versions {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			bucket := g.NewBucket(t)
			path, ids := upstreamtest.File(t, version)
			// DearDiary.jl's write: a random UUID, a signed PUT of the body
			// to <endpoint>/<bucket>/<aa>/<uuid>, then the row.
			key := uuid.NewString()
			key = key[:2] + "/" + key
			body := "julia checkpoint " + version
			if _, err := g.Client(t).PutObject(ctx, bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("duckdb", path)
			if err != nil {
				t.Fatal(err)
			}
			var id string
			err = db.QueryRow(`INSERT INTO resource (experiment_id, name, data, created_date, backend, uri, size_bytes, content_hash)
				VALUES (?, 'julia weights', ''::BLOB, '2026-06-30T09:23:00', 's3', ?, ?, ?) RETURNING id`,
				ids["experiment"], "s3://"+bucket+"/"+key, len(body), hash(body)).Scan(&id)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}

			s := openFile(t, path, readS3(g))
			r, err := s.GetResource(ctx, id)
			if err != nil || r.Backend != core.BackendS3 || r.URI != "s3://"+bucket+"/"+key || r.SizeBytes != int64(len(body)) {
				t.Fatalf("resource %+v, %v", r, err)
			}
			if got := bytesOf(t, s, id); got != body {
				t.Fatalf("bytes = %q", got)
			}
			if err := s.DeleteResource(ctx, id); err != nil {
				t.Fatal(err)
			}
			waitObjects(t, g, bucket, 0)
			s.Close()

			// And the other way: the row and object we write are where
			// DearDiary.jl's read looks.
			s = openFile(t, path, inS3(g, bucket))
			ours := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: ids["experiment"], Name: "go weights"}, strings.NewReader("from Go")))
			s.Close()
			type row struct {
				backend, uri, hash string
				size               int64
				data               []byte
			}
			db, err = sql.Open("duckdb", path+"?access_mode=read_only")
			if err != nil {
				t.Fatal(err)
			}
			var got row
			err = db.QueryRow(`SELECT backend, uri, content_hash, size_bytes, data FROM resource WHERE id = ?`, ours).Scan(&got.backend, &got.uri, &got.hash, &got.size, &got.data)
			db.Close()
			m := s3URI.FindStringSubmatch(got.uri)
			if err != nil || got.backend != "s3" || m == nil || m[1] != bucket || m[2] != m[3][:2] || got.size != 7 || got.hash != hash("from Go") || got.data == nil || len(got.data) != 0 {
				t.Fatalf("row %+v, %v", got, err)
			}
			obj, err := g.Client(t).GetObject(ctx, bucket, m[2]+"/"+m[3], minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(obj)
			obj.Close()
			if err != nil || string(b) != "from Go" {
				t.Fatalf("object at %s/%s/%s: %q, %v", bucket, m[2], m[3], b, err)
			}
		})
	}
}

// TestMigrateArtifactsToS3 moves inline and filesystem bytes to S3: a pass
// against a store that is down changes nothing, a pass stopped midway
// leaves every row whole, the next pass finishes, and a last one finds
// nothing to do.
func TestMigrateArtifactsToS3(t *testing.T) {
	t.Parallel()
	ctx, dir := context.Background(), t.TempDir()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	path, root := filepath.Join(dir, "deardiary.db"), filepath.Join(dir, "artifacts")
	rng := rand.NewChaCha8([32]byte{3})
	payload := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	want := map[string][]byte{}
	var order []string
	add := func(s *duckdb.Store, e string, body []byte) {
		id := must[string](t)(s.CreateResource(ctx, core.ResourceCreate{ExperimentID: e, Name: "r"}, bytes.NewReader(body)))
		want[id] = body
		order = append(order, id)
	}
	s := openFile(t, path, duckdb.WithArtifacts(core.BackendFilesystem, root))
	e, _ := run(t, s)
	// A large file third, so that a pass stopped after the first two stops
	// during its upload.
	for _, n := range []int{100, 2000, 24 << 20} {
		add(s, e, payload(n))
	}
	s.Close()
	s = openFile(t, path)
	for _, n := range []int{0, 5, 3000} {
		add(s, e, payload(n))
	}
	s.Close()

	s = openFile(t, path, inS3(g, bucket))
	defer s.Close()
	// check says every row is where it was or in S3, whole, with no file
	// left behind by a row that moved.
	check := func(stage string) (moved int) {
		t.Helper()
		for _, id := range order {
			r, err := s.GetResource(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			body, err := s.OpenResource(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			n, err := io.Copy(h, body)
			body.Close()
			if sum := sha256.Sum256(want[id]); err != nil || !bytes.Equal(h.Sum(nil), sum[:]) || r.SizeBytes != n || r.ContentHash != hex.EncodeToString(sum[:]) {
				t.Fatalf("%s: resource %s (%s) reads %d bytes (%v), want %d", stage, id, r.Backend, n, err, len(want[id]))
			}
			if r.Backend == core.BackendS3 {
				moved++
			}
		}
		// Filesystem rows come first: the first moves empty the root.
		if left := files(t, root); len(left) != 3-min(moved, 3) {
			t.Fatalf("%s: %d rows moved, files %v", stage, moved, left)
		}
		return moved
	}

	g.Stop()
	res, err := s.MigrateArtifacts(ctx)
	if err != nil || res != (duckdb.MigrateResult{Failed: 6}) {
		t.Fatalf("a pass with the store down = %+v, %v", res, err)
	}
	if moved := check("store down"); moved != 0 {
		t.Fatalf("%d rows moved to a store that was down", moved)
	}
	g.Restart(t)

	stopCtx, stop := context.WithCancel(ctx)
	go func() {
		defer stop()
		for stopCtx.Err() == nil {
			if rs, _, err := s.ListResources(ctx, core.ResourceFilter{ExperimentID: e}); err == nil {
				n := 0
				for _, r := range rs {
					if r.Backend == core.BackendS3 {
						n++
					}
				}
				if n >= 2 {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	first, err := s.MigrateArtifacts(stopCtx)
	if !errors.Is(err, context.Canceled) || first.Migrated < 2 || first.Migrated >= 6 || first.Failed > 1 {
		t.Fatalf("a pass stopped after two = %+v, %v", first, err)
	}
	if moved := check("stopped pass"); moved != first.Migrated {
		t.Fatalf("%d rows in S3 after a pass that migrated %d", moved, first.Migrated)
	}
	t.Logf("the stopped pass: %+v", first)

	rest, err := s.MigrateArtifacts(ctx)
	if err != nil || rest != (duckdb.MigrateResult{Migrated: 6 - first.Migrated}) {
		t.Fatalf("the pass after a stopped one = %+v, %v", rest, err)
	}
	if moved := check("finished"); moved != 6 {
		t.Fatalf("%d rows in S3, want 6", moved)
	}
	if left := files(t, root); len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
	if keys := g.Objects(t, bucket); len(keys) != 6 {
		t.Fatalf("bucket holds %d objects, want 6 (no orphans): %v", len(keys), keys)
	}
	for u := range g.Client(t).ListIncompleteUploads(ctx, bucket, "", true) {
		t.Errorf("multipart upload left: %+v", u)
	}
	if again, err := s.MigrateArtifacts(ctx); err != nil || again != (duckdb.MigrateResult{}) {
		t.Fatalf("a pass with nothing to do = %+v, %v", again, err)
	}
}

// TestS3BackendChecked: Open refuses an s3 backend it cannot use, saying
// why; a read-only open does not need the store.
func TestS3BackendChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	g := s3test.Start(t, os.Getenv)
	path := filepath.Join(dir, "deardiary.db")
	if _, err := duckdb.Open(path, inS3(g, "no-such-bucket")); core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("a missing bucket: %v", err)
	}
	if _, err := duckdb.Open(path, duckdb.WithArtifacts(core.BackendS3, "")); core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), "bucket") {
		t.Fatalf("s3 without settings: %v", err)
	}
	openFile(t, path).Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	g.Stop()
	ro := openFile(t, path, duckdb.ReadOnly(), inS3(g, "no-such-bucket"))
	ro.Close()
}
