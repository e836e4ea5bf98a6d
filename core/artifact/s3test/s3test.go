// Package s3test runs a real S3 gateway for tests: versitygw serving a
// temporary directory on a free loopback port, stopped when the test ends.
//
// versitygw is found on PATH or in $GOPATH/bin; install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Without it a test that needs a gateway is skipped, unless CI=true is in
// the environment Start is given: then it fails, so that CI cannot pass by
// skipping.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/deardiary/deardiary-go/core/artifact"
)

// Version is the versitygw the tests are written against.
const Version = "v1.8.0"

// Gateway is a running versitygw with the posix backend: each directory
// under Dir is a bucket, each file under it an object.
type Gateway struct {
	// Endpoint is http://127.0.0.1:PORT.
	Endpoint             string
	AccessKey, SecretKey string
	Region               string
	// Dir holds the buckets.
	Dir string

	bin, addr, log string
	cmd            *exec.Cmd
	exited         chan struct{}
}

// Binary returns the path of versitygw: on PATH, or in a GOPATH's bin.
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "versitygw")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("versitygw is not installed (install it with: go install github.com/versity/versitygw/cmd/versitygw@" + Version + ")")
}

// Start runs a gateway for the test and stops it when the test ends. It
// skips the test when versitygw is missing, and fails it when getenv (the
// test's os.Getenv) says CI=true.
func Start(t testing.TB, getenv func(string) string) *Gateway {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	g := &Gateway{
		AccessKey: "deardiary-test",
		SecretKey: randomHex(20),
		Region:    artifact.DefaultRegion,
		Dir:       filepath.Join(dir, "buckets"),
		bin:       bin,
		log:       filepath.Join(dir, "versitygw.log"),
	}
	if err := os.Mkdir(g.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Another process may take the free port between our look and the
	// gateway's listen: try a few.
	for attempt := 0; ; attempt++ {
		g.addr = freeAddr(t)
		if err = g.start(); err == nil || attempt == 3 {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	g.Endpoint = "http://" + g.addr
	t.Cleanup(g.stop)
	return g
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// start runs the gateway and waits until it answers.
func (g *Gateway) start() error {
	logFile, err := os.OpenFile(g.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(g.bin, "--port", g.addr, "--quiet", "posix", g.Dir)
	cmd.Env = append(cmd.Environ(), "ROOT_ACCESS_KEY="+g.AccessKey, "ROOT_SECRET_KEY="+g.SecretKey, "VGW_REGION="+g.Region)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start versitygw: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	g.cmd, g.exited = cmd, exited
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			out, _ := os.ReadFile(g.log)
			return fmt.Errorf("versitygw exited at start: %s", bytes.TrimSpace(out))
		default:
		}
		// Any HTTP answer (403 without credentials) means it serves.
		resp, err := http.Get("http://" + g.addr + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			g.stop()
			return fmt.Errorf("versitygw did not answer on %s within 10s: %v", g.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (g *Gateway) stop() {
	if g.cmd == nil {
		return
	}
	_ = g.cmd.Process.Signal(os.Interrupt)
	select {
	case <-g.exited:
	case <-time.After(5 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.exited
	}
	g.cmd = nil
}

// Stop stops the gateway, keeping its buckets: requests to it then fail as
// they do when a store is down.
func (g *Gateway) Stop() { g.stop() }

// Restart starts a stopped gateway again on the same address and
// directory.
func (g *Gateway) Restart(t testing.TB) {
	t.Helper()
	if g.cmd != nil {
		return
	}
	if err := g.start(); err != nil {
		t.Fatal(err)
	}
}

// Client returns an S3 client of the gateway's, for tests to look at or
// place objects as another program would.
func (g *Gateway) Client(t testing.TB) *minio.Client {
	t.Helper()
	c, err := minio.New(g.addr, &minio.Options{
		Creds:        credentials.NewStaticV4(g.AccessKey, g.SecretKey, ""),
		Region:       g.Region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var buckets atomic.Int64

// NewBucket creates a bucket with a name of its own and returns the name.
func (g *Gateway) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("deardiary-%d", buckets.Add(1))
	if err := g.Client(t).MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: g.Region}); err != nil {
		t.Fatal(err)
	}
	return name
}

// Config reaches the gateway's bucket, without retries so that tests of
// failures are quick.
func (g *Gateway) Config(bucket string) artifact.S3Config {
	return artifact.S3Config{Endpoint: g.Endpoint, Region: g.Region, Bucket: bucket, AccessKey: g.AccessKey, SecretKey: g.SecretKey, MaxRetries: 1}
}

// Objects lists the keys in a bucket.
func (g *Gateway) Objects(t testing.TB, bucket string) []string {
	t.Helper()
	var keys []string
	for obj := range g.Client(t).ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		keys = append(keys, obj.Key)
	}
	return keys
}

// Log is what the gateway printed, for a failing test to show.
func (g *Gateway) Log() string {
	b, _ := os.ReadFile(g.log)
	return strings.TrimSpace(string(b))
}
