//go:build linux

package daemon_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb/disktest"
	"github.com/deardiary/deardiary-go/daemon"
)

// TestDaemonOnReadOnlyDisk: ddd refuses to start, and says why.
func TestDaemonOnReadOnlyDisk(t *testing.T) {
	dir, remount := disktest.Small(t, "8m")
	remount("ro")
	m := daemon.NewMain(io.Discard)
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
	dir, remount := disktest.Small(t, "6m")
	m := startDaemon(t, func(c *daemon.Config) { c.DBFile = filepath.Join(dir, "deardiary.db") })
	c := api{t: t, base: m.URL}
	_, _, it := c.seed()
	batch := func(i int) map[string]any {
		metrics := make([]map[string]any, 1000)
		for j := range metrics {
			metrics[j] = map[string]any{"key": "fill", "value": j, "step": i*1000 + j}
		}
		return map[string]any{"metrics": metrics}
	}
	var refused answer
	i := 0
	for ; i < 10_000; i++ {
		if a := c.do("POST", "/iteration/"+it+"/batch", batch(i)); a.status != 201 {
			refused = a
			break
		}
	}
	c.expect(refused, 507, core.EStorage)
	if msg := refused.str("message"); !strings.Contains(msg, "disk is full") {
		t.Fatalf("message %q does not say the disk is full", msg)
	}
	c.expect(c.do("GET", "/health", nil), 200, "")
	remount("size=64m")
	c.expect(c.do("POST", "/iteration/"+it+"/batch", batch(i)), 201, "")
	sums := c.expect(c.do("GET", "/metric/summary?iteration_id="+it, nil), 200, "").list()
	if len(sums) != 1 || sums[0].(map[string]any)["count"] != float64((i+1)*1000) {
		t.Fatalf("summary %v, want %d points", sums, (i+1)*1000)
	}
}
