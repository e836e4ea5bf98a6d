package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
)

// Batch ingestion through the store against the floor it stands on: a raw
// COPY of the same rows into the same table, in the same run. The store
// does what the raw COPY does not: checks and locks the iteration, numbers
// the points' steps from their series' counter rows, and keeps the
// summaries, all in the batch's transaction.
//
//	go test ./core/postgres -run '^$' -bench BatchIngest -benchtime 50x

const (
	benchBatch = 10_000
	benchKeys  = 10
)

func BenchmarkBatchIngest(b *testing.B) {
	ctx := context.Background()
	batch := make([]core.MetricInput, benchBatch)
	for i := range batch {
		batch[i] = core.MetricInput{Key: fmt.Sprintf("key%d", i%benchKeys), Value: float64(i) / 7}
	}
	// Each side starts from an empty database of its own, so neither pays
	// for the other's rows in the indexes.
	b.Run("store", func(b *testing.B) {
		s, _ := openBench(b)
		_, _, it := newRun(b, s)
		for b.Loop() {
			if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: batch}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "points/s")
	})
	b.Run("copy", func(b *testing.B) {
		s, url := openBench(b)
		_, _, it := newRun(b, s)
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		columns := []string{"id", "iteration_id", "key", "value", "step", "recorded_at"}
		var step int64
		for b.Loop() {
			at := core.FormatTime(time.Now())
			rows := make([][]any, benchBatch)
			for i, m := range batch {
				rows[i] = []any{uuid.Must(uuid.NewV7()).String(), it, m.Key, m.Value, step + int64(i/benchKeys), at}
			}
			step += benchBatch / benchKeys
			if _, err := conn.CopyFrom(ctx, pgx.Identifier{"metric"}, columns, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "points/s")
	})
}

// openBench opens a store on a fresh database and returns it with the
// database's URL.
func openBench(b *testing.B) (*postgres.Store, string) {
	url := pgtest.Database(b)
	s, err := postgres.Open(context.Background(), url, postgres.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, url
}

// BenchmarkSinglePoints is single points from 64 goroutines at once: through
// the store, whose group commit puts them in shared transactions, and as an
// INSERT each in a transaction of its own on 16 connections, the floor
// without it. Commits cost what they should only with fsync on:
//
//	DEARDIARY_PGTEST_FSYNC=on go test ./core/postgres -run '^$' -bench SinglePoints -benchtime 20000x
func BenchmarkSinglePoints(b *testing.B) {
	const writers = 64
	ctx := context.Background()
	// concurrently runs log(w) b.N times over, from writers goroutines.
	concurrently := func(b *testing.B, log func(w int) error) {
		var wg sync.WaitGroup
		work := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				for range work {
					if err := log(w); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for b.Loop() {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
	}
	b.Run("store", func(b *testing.B) {
		s, _ := openBench(b)
		_, _, it := newRun(b, s)
		concurrently(b, func(w int) error {
			_, err := s.LogMetric(ctx, it, core.MetricInput{Key: fmt.Sprintf("key%d", w%4), Value: 1})
			return err
		})
	})
	b.Run("insert-each", func(b *testing.B) {
		s, url := openBench(b)
		_, _, it := newRun(b, s)
		pool, err := pgxpool.New(ctx, url+"&pool_max_conns=16")
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		concurrently(b, func(w int) error {
			_, err := pool.Exec(ctx, `INSERT INTO metric (id, iteration_id, key, value, step, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				uuid.Must(uuid.NewV7()).String(), it, fmt.Sprintf("key%d", w%4), 1.0, int64(w), core.FormatTime(time.Now()))
			return err
		})
	})
}

// BenchmarkHistory draws a chart of five runs of 100,000 points each at
// 1,000 points: the store reduces each series to its M4 points in SQL
// before LTTB, against reading every point and reducing in Go.
func BenchmarkHistory(b *testing.B) {
	const runs, points, width = 5, 100_000, 1000
	ctx := context.Background()
	s, url := openBench(b)
	_, e, _ := newRun(b, s)
	var ids []string
	batch := make([]core.MetricInput, 10_000)
	for r := range runs {
		it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, it)
		for start := 0; start < points; start += len(batch) {
			for i := range batch {
				x := float64(start + i)
				batch[i] = core.MetricInput{Key: "loss", Value: 1/(1+x/1000) + float64((start+i)%97)/1000 + float64(r)}
			}
			if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: batch}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// What autovacuum does to a table after inserts: marks its pages
	// visible, so the series index answers without visiting the table.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	_, err = conn.Exec(ctx, `VACUUM ANALYZE metric`)
	conn.Close(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("m4", func(b *testing.B) {
		for b.Loop() {
			series, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: ids, MaxPoints: width})
			if err != nil || len(series) != runs || len(series[0].Points) != width {
				b.Fatal(series, err)
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			series, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: ids})
			if err != nil || len(series) != runs {
				b.Fatal(err)
			}
			for _, sr := range series {
				core.Downsample(sr.Points, width)
			}
		}
	})
}
