package artifact_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
	"github.com/deardiary/deardiary-go/core/artifact/s3test"
)

func s3Store(t *testing.T, g *s3test.Gateway, cfg artifact.S3Config) *artifact.Store {
	t.Helper()
	s, err := artifact.New(context.Background(), artifact.Config{Backend: core.BackendS3, S3: cfg})
	if err != nil {
		t.Fatalf("%v\ngateway log:\n%s", err, g.Log())
	}
	return s
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readAll(t *testing.T, s *artifact.Store, w artifact.Written) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), w.Backend, w.URI, w.Inline)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestS3RoundTrip writes bodies around the part size (one PUT; a multipart
// upload of one part, of exact parts, of a short last part), reads them
// back and deletes them, against a real gateway.
func TestS3RoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	cfg := g.Config(bucket)
	cfg.PartSize = artifact.MinPartSize
	s := s3Store(t, g, cfg)
	if s.Backend() != core.BackendS3 {
		t.Fatalf("backend %q", s.Backend())
	}
	rng := rand.NewChaCha8([32]byte{1})
	uri := regexp.MustCompile(`^s3://` + bucket + `/([0-9a-f]{2})/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$`)
	for _, size := range []int{0, 5, 300 << 10, artifact.MinPartSize - 1, artifact.MinPartSize, 2 * artifact.MinPartSize, 2*artifact.MinPartSize + 12345} {
		body := make([]byte, size)
		rng.Read(body)
		w, err := s.Write(ctx, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%d bytes: %v\n%s", size, err, g.Log())
		}
		m := uri.FindStringSubmatch(w.URI)
		if m == nil || m[1] != m[2][:2] {
			t.Fatalf("uri %q is not s3://%s/<aa>/<uuid v4> with aa its first two characters", w.URI, bucket)
		}
		if w.Backend != core.BackendS3 || w.Size != int64(size) || w.Hash != sum(body) || w.Inline != nil || len(w.Data()) != 0 {
			t.Fatalf("%d bytes: written %+v", size, w)
		}
		// DearDiary.jl finds the object at <bucket>/<aa>/<uuid>: the posix
		// gateway keeps it in that file.
		if onDisk, err := os.ReadFile(filepath.Join(g.Dir, bucket, m[1], m[2])); err != nil || !bytes.Equal(onDisk, body) {
			t.Fatalf("%d bytes: the object is not at <bucket>/<aa>/<uuid>: %v", size, err)
		}
		if got := readAll(t, s, w); !bytes.Equal(got, body) {
			t.Fatalf("%d bytes: read back %d bytes that differ", size, len(got))
		}
		if err := s.Delete(ctx, w.Backend, w.URI); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, w.Backend, w.URI); err != nil {
			t.Fatalf("deleting again: %v", err)
		}
		if _, err := s.Open(ctx, w.Backend, w.URI, nil); core.ErrorCode(err) != core.ENotFound {
			t.Fatalf("reading deleted bytes: %v", err)
		}
	}
	if left := g.Objects(t, bucket); len(left) != 0 {
		t.Fatalf("objects left: %v", left)
	}
	for _, bad := range []string{"file:///tmp/x", "s3://" + bucket, "s3:///key"} {
		if _, err := s.Open(ctx, core.BackendS3, bad, nil); core.ErrorCode(err) != core.EInvalid {
			t.Errorf("reading %q: %v", bad, err)
		}
	}
}

// TestReadsFollowTheRow: a store writing inline or to disk reads and
// deletes bytes in S3 when it has S3 settings, including objects in another
// bucket of the same store, and says what is missing when it has none.
func TestReadsFollowTheRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := s3test.Start(t, os.Getenv)
	bucket, other := g.NewBucket(t), g.NewBucket(t)
	if _, err := g.Client(t).PutObject(ctx, other, "ab/abcdef", strings.NewReader("from elsewhere"), -1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := s3Store(t, g, g.Config(bucket)).Write(ctx, strings.NewReader("in S3"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := g.Config("")
	inline, err := artifact.New(ctx, artifact.Config{S3: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if inline.Backend() != core.BackendInline {
		t.Fatalf("backend %q", inline.Backend())
	}
	if got := readAll(t, inline, w); string(got) != "in S3" {
		t.Fatalf("read %q", got)
	}
	if got := readAll(t, inline, artifact.Written{Backend: core.BackendS3, URI: "s3://" + other + "/ab/abcdef"}); string(got) != "from elsewhere" {
		t.Fatalf("read %q", got)
	}
	bare, err := artifact.New(ctx, artifact.Config{Backend: core.BackendFilesystem, Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Open(ctx, w.Backend, w.URI, nil); core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), "no S3 settings") {
		t.Fatalf("reading S3 bytes without settings: %v", err)
	}
	if err := bare.Delete(ctx, w.Backend, w.URI); err != nil {
		t.Fatalf("deleting S3 bytes without settings: %v", err)
	}
	if err := inline.Delete(ctx, w.Backend, w.URI); err != nil {
		t.Fatal(err)
	}
	if left := g.Objects(t, bucket); len(left) != 0 {
		t.Fatalf("objects left: %v", left)
	}
}

// TestS3Misconfiguration: New reports each way the s3 backend cannot work,
// on one line, naming the setting to fix.
func TestS3Misconfiguration(t *testing.T) {
	t.Parallel()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	good := g.Config(bucket)
	with := func(change func(*artifact.S3Config)) artifact.S3Config {
		c := good
		change(&c)
		return c
	}
	for name, tc := range map[string]struct {
		cfg  artifact.S3Config
		want string
	}{
		"no bucket":            {with(func(c *artifact.S3Config) { c.Bucket = "" }), "DEARDIARY_ARTIFACT_S3_BUCKET"},
		"a missing bucket":     {with(func(c *artifact.S3Config) { c.Bucket = "no-such-bucket" }), `bucket "no-such-bucket" does not exist`},
		"an unreachable store": {with(func(c *artifact.S3Config) { c.Endpoint = closed }), "cannot reach S3"},
		"a wrong access key":   {with(func(c *artifact.S3Config) { c.AccessKey = "nobody" }), "DEARDIARY_ARTIFACT_S3_ACCESS_KEY"},
		"a wrong secret key":   {with(func(c *artifact.S3Config) { c.SecretKey = "wrong" }), "DEARDIARY_ARTIFACT_S3_SECRET_KEY"},
		"no scheme":            {with(func(c *artifact.S3Config) { c.Endpoint = strings.TrimPrefix(c.Endpoint, "http://") }), "scheme://host[:port]"},
		"a path":               {with(func(c *artifact.S3Config) { c.Endpoint += "/s3" }), "scheme://host[:port]"},
		"a wrong region":       {with(func(c *artifact.S3Config) { c.Region = "eu-west-3" }), "DEARDIARY_ARTIFACT_S3_REGION"},
		"no keys":              {with(func(c *artifact.S3Config) { c.AccessKey, c.SecretKey = "", "" }), "give an access key"},
		"a bad bucket name":    {with(func(c *artifact.S3Config) { c.Bucket = "b" }), `bucket name "b" is not valid`},
		"tiny parts":           {with(func(c *artifact.S3Config) { c.PartSize = 1 << 20 }), "part size"},
	} {
		start := time.Now()
		_, err := artifact.New(context.Background(), artifact.Config{Backend: core.BackendS3, S3: tc.cfg})
		if core.ErrorCode(err) != core.EInvalid || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v (want an EInvalid line with %q)", name, err, tc.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v to report", name, d)
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := artifact.New(context.Background(), artifact.Config{Backend: "ftp"}); core.ErrorCode(err) != core.EInvalid {
		t.Errorf("unknown backend: %v", err)
	}
}

// breaking gives n bytes, then fails: an upload that broke off.
type breaking struct {
	n   int
	err error
}

func (b *breaking) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, b.err
	}
	k := min(len(p), b.n)
	clear(p[:k])
	b.n -= k
	return k, nil
}

// TestS3BrokenUpload: a body that breaks off leaves no object and no
// multipart upload behind, and its error is the reader's.
func TestS3BrokenUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	cfg := g.Config(bucket)
	cfg.PartSize = artifact.MinPartSize
	s := s3Store(t, g, cfg)
	for _, n := range []int{10, artifact.MinPartSize + 10, 3 * artifact.MinPartSize} {
		_, err := s.Write(ctx, &breaking{n: n, err: io.ErrUnexpectedEOF})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("after %d bytes: %v", n, err)
		}
	}
	if left := g.Objects(t, bucket); len(left) != 0 {
		t.Fatalf("objects left: %v", left)
	}
	for u := range g.Client(t).ListIncompleteUploads(ctx, bucket, "", true) {
		t.Errorf("multipart upload left: %+v", u)
	}
	// A store that stops answering fails the write, and the store is fine
	// again once it is back.
	g.Stop()
	if _, err := s.Write(ctx, strings.NewReader("x")); err == nil {
		t.Fatal("a write to a stopped store succeeded")
	}
	g.Restart(t)
	if _, err := s.Write(ctx, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
}

// heapPeak samples the live heap until stopped, and returns its highest
// value above what it was at the start.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	runtime.GC() // twice: the first only moves pooled part buffers aside
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base, peak := read(), uint64(0)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, read())
			}
		}
	}()
	var once sync.Once
	return func() uint64 {
		once.Do(func() { close(done); <-finished })
		if peak < base {
			return 0
		}
		return peak - base
	}
}

// TestS3LargeBodyStreams uploads and downloads a body of hundreds of MiB
// and measures the heap meanwhile: one part's buffer, not the body. It runs
// alone (not in parallel) so that the heap is its own.
func TestS3LargeBodyStreams(t *testing.T) {
	ctx := context.Background()
	g := s3test.Start(t, os.Getenv)
	bucket := g.NewBucket(t)
	s := s3Store(t, g, g.Config(bucket))
	size := int64(256 << 20)
	if os.Getenv("DEARDIARY_TEST_LONG") != "" {
		size = 1 << 30
	}
	want := sha256.New()
	body := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{7}), size), want)

	peak := heapPeak()
	start := time.Now()
	w, err := s.Write(ctx, body)
	up, upTime := peak(), time.Since(start)
	if err != nil {
		t.Fatalf("%v\n%s", err, g.Log())
	}
	if w.Size != size || w.Hash != hex.EncodeToString(want.Sum(nil)) {
		t.Fatalf("written %+v, want %d bytes with sha256 %x", w, size, want.Sum(nil))
	}

	peak = heapPeak()
	start = time.Now()
	r, err := s.Open(ctx, w.Backend, w.URI, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n, err := io.Copy(got, r)
	r.Close()
	down, downTime := peak(), time.Since(start)
	if err != nil || n != size || hex.EncodeToString(got.Sum(nil)) != w.Hash {
		t.Fatalf("read back %d bytes (%v), sha256 %x", n, err, got.Sum(nil))
	}
	t.Logf("%d MiB: upload %v, peak heap +%.1f MiB; download %v, peak heap +%.1f MiB (part size %d MiB)",
		size>>20, upTime.Round(time.Millisecond), float64(up)/(1<<20), downTime.Round(time.Millisecond), float64(down)/(1<<20), artifact.DefaultPartSize>>20)
	if limit := uint64(4 * artifact.DefaultPartSize); up > limit || down > limit {
		t.Errorf("peak heap +%d bytes up, +%d down: want under %d for a %d-byte body", up, down, limit, size)
	}
	if err := s.Delete(ctx, w.Backend, w.URI); err != nil {
		t.Fatal(err)
	}
}
