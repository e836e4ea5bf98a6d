//go:build linux

package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb/disktest"
)

// TestHeldPointsWaitForRoom holds a point while the disk fills: the drain
// 500 ms later fails, the point stays held and in the journal, and once
// there is room again the writer commits it unasked.
func TestHeldPointsWaitForRoom(t *testing.T) {
	t.Parallel()
	dir, _ := disktest.Small(t, "8m")
	ctx := context.Background()
	s, _, it := fileStore(t, filepath.Join(dir, "held.db"))
	defer s.Close()
	if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}); err != nil {
		t.Fatal(err)
	}
	// The journal has the point; now fill what room is left.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = filler.Write(make([]byte, 64<<10))
	}
	filler.Close()
	// The journal may have room for one more record, or not.
	_, _ = s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 2})
	time.Sleep(3 * holdFor)
	if s.w.held.count.Load() == 0 {
		t.Skip("the held points went in on the full disk: nothing to wait for")
	}
	os.Remove(filepath.Join(dir, "filler"))
	deadline := time.Now().Add(10 * holdFor)
	for s.w.held.count.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held points were never committed once there was room")
		}
		time.Sleep(holdFor / 10)
	}
}
