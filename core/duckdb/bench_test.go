package duckdb_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	ddb "github.com/deardiary/deardiary-go/core/duckdb"
)

// The benchmarks below back the targets of docs/PERFORMANCE.md. Each pairs
// the Tracker with a baseline measured in the same run; run them with
//
//	go test ./core/duckdb/ -run '^$' -bench . -benchtime 5x

// benchStore opens a file store with one running iteration.
func benchStore(b *testing.B) (*ddb.Store, string, string) {
	b.Helper()
	s, err := ddb.Open(filepath.Join(b.TempDir(), "bench.db"), ddb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
	if err != nil {
		b.Fatal(err)
	}
	return s, e, it
}

var benchKeys = []string{"loss", "accuracy", "val_loss", "val_accuracy", "lr", "grad_norm", "f1", "precision", "recall", "epoch_time"}

const batchRows = 10_000

// rawMetricTable opens a fresh database with the store's DuckDB settings and
// upstream's metric table, for the baselines below.
func rawMetricTable(b *testing.B) *sql.DB {
	b.Helper()
	db, err := sql.Open("duckdb", filepath.Join(b.TempDir(), "raw.db")+"?checkpoint_threshold=256MB")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE metric (id VARCHAR DEFAULT uuid(), iteration_id VARCHAR NOT NULL,
		key TEXT NOT NULL CHECK (key <> ''), value DOUBLE NOT NULL, step BIGINT NOT NULL DEFAULT 0,
		recorded_at TEXT NOT NULL CHECK (recorded_at <> ''))`); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkIngest compares LogMetrics with 10,000-point batches against the
// raw DuckDB Appender writing the same rows (ids included) into the same
// table, each in its own fresh database. A third run, insert-select, is
// DuckDB's own ceiling for these rows: each batch is copied by one INSERT
// from a table already in memory, so no Go code touches a row.
func BenchmarkIngest(b *testing.B) {
	b.Run("insert-select", func(b *testing.B) {
		db := rawMetricTable(b)
		conn, err := db.Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		ctx := context.Background()
		iteration, at := uuid.Must(uuid.NewV7()).String(), core.FormatTime(time.Now())
		keyList := make([]any, len(benchKeys))
		for i, k := range benchKeys {
			keyList[i] = k
		}
		for i := 0; b.Loop(); i++ {
			// Fresh ids for every batch, made outside the timed part
			// like the Appender's: repeated rows would compress better
			// than real ones.
			b.StopTimer()
			_, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE staged AS
				SELECT uuid()::VARCHAR AS id, ?::VARCHAR AS iteration_id, list_element(?, r % ?::BIGINT + 1) AS key,
					r::DOUBLE AS value, ?::BIGINT + r // ?::BIGINT AS step, ?::VARCHAR AS recorded_at
				FROM range(?::BIGINT) t(r)`,
				iteration, keyList, len(benchKeys), i*batchRows/len(benchKeys), len(benchKeys), at, batchRows)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := conn.ExecContext(ctx, `INSERT INTO metric SELECT * FROM staged`); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batchRows)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("appender", func(b *testing.B) {
		conn, err := rawMetricTable(b).Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		iteration, at := uuid.Must(uuid.NewV7()).String(), core.FormatTime(time.Now())
		ids := make([]string, batchRows)
		for i := 0; b.Loop(); i++ {
			// The ids are made outside the timed part: the baseline is
			// the Appender alone.
			b.StopTimer()
			for r := range ids {
				ids[r] = uuid.Must(uuid.NewV7()).String()
			}
			b.StartTimer()
			err := conn.Raw(func(dc any) error {
				a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "metric")
				if err != nil {
					return err
				}
				for r := range batchRows {
					step := int64(i*batchRows/len(benchKeys) + r/len(benchKeys))
					if err := a.AppendRow(ids[r], iteration, benchKeys[r%len(benchKeys)], float64(r), step, at); err != nil {
						return err
					}
				}
				return a.Close()
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batchRows)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("tracker", func(b *testing.B) {
		s, _, it := benchStore(b)
		ctx := context.Background()
		batch := core.MetricBatch{Metrics: make([]core.MetricInput, batchRows)}
		for r := range batch.Metrics {
			batch.Metrics[r] = core.MetricInput{Key: benchKeys[r%len(benchKeys)], Value: float64(r)}
		}
		b.ResetTimer()
		for b.Loop() {
			if _, err := s.LogMetrics(ctx, it, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batchRows)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkConcurrentPoints has 64 goroutines log one point per call, each
// call acknowledged only after its commit, against the same goroutines each
// committing its own INSERT (the per-request autocommit of upstream).
func BenchmarkConcurrentPoints(b *testing.B) {
	const goroutines = 64
	b.Run("autocommit", func(b *testing.B) {
		db, err := sql.Open("duckdb", filepath.Join(b.TempDir(), "raw.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE metric (id VARCHAR, iteration_id VARCHAR, key TEXT, value DOUBLE, step BIGINT, recorded_at TEXT)`); err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		b.SetParallelism(goroutines / max(1, b.N/b.N) / 2)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if _, err := db.Exec(`INSERT INTO metric VALUES (?, 'it', 'loss', ?, ?, '2026-01-01T00:00:00.000')`,
					uuid.Must(uuid.NewV7()).String(), float64(i), i); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
	})
	b.Run("tracker", func(b *testing.B) {
		s, _, it := benchStore(b)
		ctx := context.Background()
		b.SetParallelism(goroutines / 2)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
	})
}

// BenchmarkSummaries lists the latest value (and min, max, count) per key of
// the 1,000 iterations of one experiment in a 10M-point database: the run
// table's query. The baseline computes the same from the points with arg_max,
// the fastest form without summaries (deps-probe 3e).
func BenchmarkSummaries(b *testing.B) {
	const experiments, iterations, steps = 10, 1000, 100
	dir := b.TempDir()
	s, err := ddb.Open(filepath.Join(dir, "summaries.db"), ddb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	start := time.Now()
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var target string
	for e := range experiments {
		exp, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: fmt.Sprint("sweep ", e)})
		if err != nil {
			b.Fatal(err)
		}
		if e == experiments/2 {
			target = exp
		}
		// Eight workers log whole runs at once, so the points of an
		// experiment's iterations interleave on disk as they do live.
		work := make(chan int)
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				for range work {
					it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: exp})
					if err == nil {
						batch := core.MetricBatch{Metrics: make([]core.MetricInput, 0, steps*len(benchKeys))}
						for step := range int64(steps) {
							for k, key := range benchKeys {
								batch.Metrics = append(batch.Metrics, core.MetricInput{Key: key, Value: float64(step*int64(k+1)) / 7, Step: new(step)})
							}
						}
						_, err = s.LogMetrics(ctx, it, batch)
					}
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for i := range iterations {
			work <- i
		}
		close(work)
		for range 8 {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("built %d points in %v", experiments*iterations*steps*len(benchKeys), time.Since(start).Round(time.Second))
	want := iterations * len(benchKeys)

	b.Run("summary-tables", func(b *testing.B) {
		for b.Loop() {
			sums, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: target})
			if err != nil || len(sums) != want {
				b.Fatalf("%d summaries, %v", len(sums), err)
			}
		}
	})
	b.Run("from-points", func(b *testing.B) {
		// A second handle on the same file in the same process shares
		// the database instance, given the store's settings (store.go).
		db, err := sql.Open("duckdb", s.Path()+"?checkpoint_threshold=256MB")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		for b.Loop() {
			rows, err := db.QueryContext(ctx, `SELECT iteration_id, key, count(*), min(value), max(value),
				arg_max(value, (step, recorded_at)), max(step) FROM metric
				WHERE iteration_id IN (SELECT id FROM iteration WHERE experiment_id = ?) GROUP BY iteration_id, key`, target)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if n != want {
				b.Fatalf("%d summaries", n)
			}
		}
	})
}

// BenchmarkLoginTiming backs the claim that a failed login does not tell
// whether the user exists by how long it takes: it alternates an unknown
// username and a known one with a wrong password, at the default bcrypt
// cost, and reports the mean of each and their ratio (1 is the goal).
func BenchmarkLoginTiming(b *testing.B) {
	s, err := ddb.Open(":memory:")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, core.UserCreate{Username: "alice", Password: "right"}); err != nil {
		b.Fatal(err)
	}
	login := func(user string) time.Duration {
		start := time.Now()
		if _, err := s.Authenticate(ctx, user, "wrong"); core.ErrorCode(err) != core.EInvalidCredentials {
			b.Fatalf("%s: %v", user, err)
		}
		return time.Since(start)
	}
	login("nobody") // makes the unknown-user hash once
	var unknown, wrong time.Duration
	n := 0
	for b.Loop() {
		unknown += login("nobody")
		wrong += login("alice")
		n++
	}
	b.ReportMetric(float64(unknown.Microseconds())/float64(n)/1000, "unknown-ms")
	b.ReportMetric(float64(wrong.Microseconds())/float64(n)/1000, "wrong-password-ms")
	b.ReportMetric(float64(unknown)/float64(wrong), "ratio")
}
