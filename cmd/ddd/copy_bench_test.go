package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

// BenchmarkCopy backs the figures in docs/copy.md: ddd copy of a DuckDB
// file of 1M or 10M points (and 30M with DEARDIARY_TEST_LONG=1) into a fresh PostgreSQL database (ToPostgres),
// and of that database into a new file (FromPostgres, which times only the
// second copy). Each copy runs as a process of its own (this test binary
// as ddd); the benchmark reports the points copied per second, the
// process's peak resident memory (VmHWM from /proc, read every 50 ms) and
// the machine's load when it began:
//
//	go test ./cmd/ddd -run '^$' -bench 'Copy/ToPostgres/10M' -benchtime 1x
//
// The files are built once with the store's batch API and kept: the 10M
// one at $DEARDIARY_BENCH_DB, or in the temporary directory (any DearDiary
// file found there is used as it is), the 1M one in the temporary
// directory. The copy's own report, table by table, goes to stderr.
func BenchmarkCopy(b *testing.B) {
	for _, size := range []struct {
		name       string
		iterations int
		path       string
	}{
		{"1M", 100, filepath.Join(os.TempDir(), "ddd-copy-bench-1M.db")},
		{"10M", 1000, or(os.Getenv("DEARDIARY_BENCH_DB"), filepath.Join(os.TempDir(), "ddd-copy-bench-10M.db"))},
		{"30M", 3000, filepath.Join(os.TempDir(), "ddd-copy-bench-30M.db")},
	} {
		if size.name == "30M" && os.Getenv("DEARDIARY_TEST_LONG") == "" {
			continue // a gigabyte file and database: DEARDIARY_TEST_LONG=1
		}
		b.Run("ToPostgres/"+size.name, func(b *testing.B) {
			if err := ensureCopyBenchDB(size.path, size.iterations, 10, 1000); err != nil {
				b.Fatal(err)
			}
			points := countPoints(b, size.path)
			for b.Loop() {
				benchCopy(b, points, size.path, pgtest.Database(b))
			}
		})
		b.Run("FromPostgres/"+size.name, func(b *testing.B) {
			if err := ensureCopyBenchDB(size.path, size.iterations, 10, 1000); err != nil {
				b.Fatal(err)
			}
			points := countPoints(b, size.path)
			for b.Loop() {
				b.StopTimer()
				db := pgtest.Database(b)
				if out, err := dddCommand("", nil, "copy", size.path, db).CombinedOutput(); err != nil {
					b.Fatalf("ddd copy into PostgreSQL: %v\n%s", err, out)
				}
				b.StartTimer()
				benchCopy(b, points, db, filepath.Join(b.TempDir(), "offline.db"))
			}
		})
	}
}

// benchCopy runs ddd copy from to in a child process and reports it.
func benchCopy(b *testing.B, points int64, from, to string) {
	b.Helper()
	load := loadAverage()
	var stdout, stderr bytes.Buffer
	cmd := dddCommand("", nil, "copy", from, to)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// VmHWM is the process's own high-water mark. The kernel's maxrss
	// for a child is not: it counts the parent's (whose memory the child
	// shared until it ran ddd), which includes building the file.
	var (
		mu   sync.Mutex
		peak float64
		done = make(chan struct{})
		read = make(chan struct{})
	)
	go func() {
		defer close(read)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if v := peakRSSMiB(cmd.Process.Pid); v > 0 {
					mu.Lock()
					peak = max(peak, v)
					mu.Unlock()
				}
			}
		}
	}()
	err := cmd.Wait()
	elapsed := time.Since(began)
	close(done)
	<-read
	if err != nil {
		b.Fatalf("ddd copy: %v\n%s", err, stderr.String())
	}
	b.ReportMetric(float64(points)/elapsed.Seconds(), "points/s")
	b.ReportMetric(peak, "peak-MiB")
	b.ReportMetric(load, "load1")
	b.Logf("%d points in %s, peak %.0f MiB; load %.2f before, %.2f after", points, elapsed.Round(time.Millisecond), peak, load, loadAverage())
	// A benchmark's log is cut short: the copy's own account goes out whole.
	fmt.Fprint(os.Stderr, stderr.String(), stdout.String())
}

// ensureCopyBenchDB builds a file of iterations x keys x steps points
// unless path holds a database already.
func ensureCopyBenchDB(path string, iterations, keys, steps int) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp := path + ".building"
	os.Remove(tmp)
	s, err := duckdb.Open(tmp)
	if err != nil {
		return err
	}
	ctx := context.Background()
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "bench"})
	if err != nil {
		return err
	}
	e, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "sweep"})
	if err != nil {
		return err
	}
	for i := range iterations {
		it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
		if err != nil {
			return err
		}
		var batch core.Batch
		batch.Params = []core.ParamInput{{Key: "learning_rate", Value: 1e-3 * float64(i%7+1)}, {Key: "seed", Value: i}}
		for step := range int64(steps) {
			for k := range keys {
				batch.Metrics.Metrics = append(batch.Metrics.Metrics,
					core.MetricInput{Key: fmt.Sprintf("metric_%d", k), Value: float64(k+1) / float64(step+1), Step: new(step)})
			}
		}
		if _, err := s.LogBatch(ctx, it, batch); err != nil {
			return err
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func countPoints(b *testing.B, path string) int64 {
	s, err := duckdb.Open(path, duckdb.ReadOnly())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rows, err := s.QueryRaw(context.Background(), `SELECT count(*) FROM metric`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			b.Fatal(err)
		}
	}
	return n
}

// loadAverage is the machine's load over the last minute (0 where /proc
// has none).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return v
}
