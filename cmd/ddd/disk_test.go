//go:build linux

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb/disktest"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// TestDaemonOnReadOnlyDisk: ddd refuses to start, and says why.
func TestDaemonOnReadOnlyDisk(t *testing.T) {
	t.Parallel()
	dir, remount := disktest.Small(t, "8m")
	remount("ro")
	m := NewMain(io.Discard)
	m.Config.Port = 0
	m.Config.DBFile = filepath.Join(dir, "deardiary.db")
	err := m.Run(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("ddd started on a read-only disk")
	}
	if !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("%v, want an error saying the disk is read-only", err)
	}
}

// TestDaemonOnFullDisk: a write the full disk refuses answers 507 with a
// message that says so, the daemon goes on serving, and writes succeed
// again once there is room.
func TestDaemonOnFullDisk(t *testing.T) {
	t.Parallel()
	dir, remount := disktest.Small(t, "6m")
	m := startMain(t, func(c *Config) { c.DBFile = filepath.Join(dir, "deardiary.db") })
	c := daemontest.API{T: t, Base: m.URL}
	_, _, it := c.Seed()
	batch := func(i int) map[string]any {
		metrics := make([]map[string]any, 1000)
		for j := range metrics {
			metrics[j] = map[string]any{"key": "fill", "value": j, "step": i*1000 + j}
		}
		return map[string]any{"metrics": metrics}
	}
	var refused daemontest.Answer
	i := 0
	for ; i < 10_000; i++ {
		if a := c.Do("POST", "/iteration/"+it+"/batch", batch(i)); a.Status != 201 {
			refused = a
			break
		}
	}
	c.Expect(refused, 507, core.EStorage)
	if msg := refused.Str("message"); !strings.Contains(msg, "disk is full") {
		t.Fatalf("message %q does not say the disk is full", msg)
	}
	c.Expect(c.Do("GET", "/health", nil), 200, "")
	// While the disk stays full: every write is 507, with the same message,
	// and reads go on.
	for range 3 {
		c.Expect(c.Do("POST", "/iteration/"+it+"/batch", batch(i)), 507, core.EStorage)
		c.Expect(c.Do("POST", "/metric/iteration/"+it, map[string]any{"key": "one", "value": 1}), 507, core.EStorage)
		c.Expect(c.Do("POST", "/project/", map[string]any{"name": "another"}), 507, core.EStorage)
		c.Expect(c.Do("GET", "/project/", nil), 200, "")
		c.Expect(c.Do("GET", "/iteration/"+it, nil), 200, "")
		c.Expect(c.Do("GET", "/metric/summary?iteration_id="+it, nil), 200, "")
		c.Expect(c.Do("GET", "/metric/history?key=fill&iteration_id="+it+"&max_points=100", nil), 200, "")
	}
	remount("size=64m")
	c.Expect(c.Do("POST", "/iteration/"+it+"/batch", batch(i)), 201, "")
	sums := c.Expect(c.Do("GET", "/metric/summary?iteration_id="+it, nil), 200, "").List()
	if len(sums) != 1 || sums[0].(map[string]any)["count"] != float64((i+1)*1000) {
		t.Fatalf("summary %v, want %d points", sums, (i+1)*1000)
	}
	c.Expect(c.Do("POST", "/project/", map[string]any{"name": "another"}), 201, "")
	c.Expect(c.Do("GET", "/metric/history?key=fill&iteration_id="+it, nil), 200, "")
	// A clean stop leaves the file whole: no log to replay.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(m.Config.DBFile + ".wal"); err == nil {
		t.Fatalf("a clean stop left a %d-byte write-ahead log", info.Size())
	}
}
