package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
	"github.com/deardiary/deardiary-go/daemon"
)

// BenchmarkLoad reproduces the loads of an outside load generator against
// ddd, each beside its baseline measured in the same minute, alternately:
//
//	DEARDIARY_BENCH_SECONDS=20 go test ./cmd/ddd/ -run '^$' -bench Load -benchtime 1x
//
// The server is a child process (this test binary started again as ddd, or
// as the baseline), the load comes from this process over loopback with
// keep-alive connections, and every request must be answered 201:
//
//   - keys: 16 clients, each logging to an iteration of its own, POST
//     /metric/iteration/{id}/batch with 1,000 points per request, 1,000
//     distinct keys at one step (a model logging many series per step).
//     Baseline: DuckDB's Appender writing the same rows into upstream's
//     metric table in a file (in a child of its own), a text id made per
//     row, 16,000 rows per commit.
//   - steps: the same clients through /iteration/{id}/batch, 10 keys at
//     100 steps per request; the same baseline with rows of that shape.
//   - single: 64 clients, one point per POST /metric/iteration/{id}.
//     Baseline: a bare net/http server decoding the same JSON and
//     answering the same shape (serveBare).
//
// Each reports the 1-minute load average before it began (/proc/loadavg),
// ddd's rate, the baseline's, their ratio, ddd's p99 latency, and the
// server's peak resident memory. DEARDIARY_BENCH_STORE=postgres runs ddd on
// a PostgreSQL cluster of the test's own (pgtest; DEARDIARY_PGTEST_FSYNC=on
// for durable figures) against a raw COPY of the same rows.
// DEARDIARY_BENCH_CPUPROFILE=FILE profiles the ddd child, and
// DEARDIARY_BENCH_NO_BASELINE=1 skips the batch loads' baselines (for the
// memory run below). A run longer than 90 s also reports the server's peak
// resident memory after the first minute (peak-RSS-1min-MiB):
//
//	DEARDIARY_BENCH_SECONDS=600 DEARDIARY_BENCH_NO_BASELINE=1 go test ./cmd/ddd/ -run '^$' -bench Load/keys -benchtime 1x -timeout 30m
func BenchmarkLoad(b *testing.B) {
	secs := 10.0
	if v := os.Getenv("DEARDIARY_BENCH_SECONDS"); v != "" {
		secs, _ = strconv.ParseFloat(v, 64)
	}
	dur := time.Duration(secs * float64(time.Second))
	pg := os.Getenv("DEARDIARY_BENCH_STORE") == "postgres"
	baselineMode := "appender"
	if pg {
		baselineMode = "copy"
	}
	for _, shape := range []string{"keys", "steps"} {
		b.Run(shape, func(b *testing.B) {
			for range b.N {
				load := loadAvg()
				base := math.NaN()
				if os.Getenv("DEARDIARY_BENCH_NO_BASELINE") == "" {
					base = runBaseline(b, baselineMode, shape, dur)
				}
				s := startLoadServer(b, pg)
				its := seedIterations(b, s.addr, batchClients)
				cpu := s.cpuSeconds()
				busy, total := machineCPU()
				r := runLoad(b, s, batchClients, dur, batchRequest(shape, its))
				reportCPU(b, s, cpu, busy, total, r.elapsed)
				rate := float64(r.points) / r.elapsed.Seconds()
				b.ReportMetric(load, "load-before")
				b.ReportMetric(rate, "points/s")
				b.ReportMetric(base, "baseline-rows/s")
				b.ReportMetric(rate/base, "ratio")
				b.ReportMetric(r.p99.Seconds()*1000, "p99-ms")
				b.ReportMetric(s.peakRSS(), "peak-RSS-MiB")
				if r.rss1m > 0 {
					b.ReportMetric(r.rss1m, "peak-RSS-1min-MiB")
				}
				s.stop()
			}
		})
	}
	b.Run("single", func(b *testing.B) {
		for range b.N {
			load := loadAvg()
			bare := startLoadChild(b, "bare", filepath.Join(b.TempDir(), "bare.db"))
			rb := runLoad(b, bare, singleClients, dur, func(client, n int, buf []byte) (string, []byte, int) {
				return "/metric/iteration/x", appendSingle(buf, client, n), 1
			})
			bare.stop()
			s := startLoadServer(b, pg)
			its := seedIterations(b, s.addr, singleClients)
			cpu := s.cpuSeconds()
			busy, total := machineCPU()
			r := runLoad(b, s, singleClients, dur, func(client, n int, buf []byte) (string, []byte, int) {
				return "/metric/iteration/" + its[client], appendSingle(buf, client, n), 1
			})
			reportCPU(b, s, cpu, busy, total, r.elapsed)
			rate, base := float64(r.requests)/r.elapsed.Seconds(), float64(rb.requests)/rb.elapsed.Seconds()
			b.ReportMetric(load, "load-before")
			b.ReportMetric(rate, "req/s")
			b.ReportMetric(base, "baseline-req/s")
			b.ReportMetric(rate/base, "ratio")
			b.ReportMetric(r.p99.Seconds()*1000, "p99-ms")
			b.ReportMetric(s.peakRSS(), "peak-RSS-MiB")
			s.stop()
		}
	})
}

// reportCPU reports the cores the server used while the load ran, and how
// busy the whole machine was (the load generator, and anything else).
func reportCPU(b *testing.B, s *server, cpu, busy, total float64, elapsed time.Duration) {
	b.ReportMetric((s.cpuSeconds()-cpu)/elapsed.Seconds(), "server-cores")
	busyAfter, totalAfter := machineCPU()
	b.ReportMetric((busyAfter-busy)/(totalAfter-total), "machine-busy")
}

const (
	batchClients  = 16
	singleClients = 64
	// baselineRows is the baseline's commit: the rows of one request from
	// each of the 16 clients.
	baselineRows = 16_000
)

// loadAvg is the machine's 1-minute load average.
func loadAvg() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// startLoadServer starts ddd on a fresh file, or on a fresh PostgreSQL
// database.
func startLoadServer(b *testing.B, pg bool) *server {
	if pg {
		return startLoadChild(b, "ddd", pgtest.Database(b))
	}
	return startLoadChild(b, "ddd", filepath.Join(b.TempDir(), "load.db"))
}

// startLoadChild starts a server that the caller stops (stop) as soon as
// its part is done, so the next part has the machine to itself.
func startLoadChild(b *testing.B, mode, path string) *server {
	s := startChild(b, mode, path)
	b.Cleanup(s.stop)
	return s
}

func (s *server) stop() {
	if s.stdin != nil {
		s.stdin.Close()
		s.stdin = nil
		s.cmd.Wait()
	}
}

// seedIterations makes n iterations of one experiment.
func seedIterations(b *testing.B, addr string, n int) []string {
	b.Helper()
	c, err := daemon.Connect(context.Background(), "http://"+addr, daemon.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := c.CreateProject(ctx, core.ProjectCreate{Name: "load"})
	if err != nil {
		b.Fatal(err)
	}
	e, err := c.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "load"})
	if err != nil {
		b.Fatal(err)
	}
	its := make([]string, n)
	for i := range its {
		if its[i], err = c.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}); err != nil {
			b.Fatal(err)
		}
	}
	return its
}

// loadKeys are the 1,000 series of the keys shape.
var loadKeys = func() []string {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("layers.%03d.%s", i/4, []string{"grad_norm", "weight_norm", "act_mean", "act_std"}[i%4])
	}
	return keys
}()

// fewKeys are the 10 series of the steps shape.
var fewKeys = []string{"loss", "accuracy", "val_loss", "val_accuracy", "lr", "grad_norm", "f1", "precision", "recall", "epoch_time"}

// loadValue is a value that looks measured: 17 significant digits, as
// Python's json writes a float, different for every point.
func loadValue(client, n, i int) float64 {
	x := uint64(client)<<40 ^ uint64(n)<<16 ^ uint64(i)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return float64(x>>11) / (1 << 53)
}

// batchRequest builds the n-th request of a client in shape: 1,000 keys
// at step n, or 10 keys at the 100 steps from 100n.
func batchRequest(shape string, its []string) func(client, n int, buf []byte) (string, []byte, int) {
	return func(client, n int, buf []byte) (string, []byte, int) {
		buf = append(buf, `{"metrics": [`...)
		for i := range 1000 {
			if i > 0 {
				buf = append(buf, ", "...)
			}
			key, step := loadKeys[i], n
			if shape == "steps" {
				key, step = fewKeys[i%10], 100*n+i/10
			}
			buf = append(buf, `{"key": "`...)
			buf = append(buf, key...)
			buf = append(buf, `", "value": `...)
			buf = strconv.AppendFloat(buf, loadValue(client, n, i), 'g', -1, 64)
			buf = append(buf, `, "step": `...)
			buf = strconv.AppendInt(buf, int64(step), 10)
			buf = append(buf, '}')
		}
		buf = append(buf, "]}"...)
		if shape == "steps" {
			return "/iteration/" + its[client] + "/batch", buf, 1000
		}
		return "/metric/iteration/" + its[client] + "/batch", buf, 1000
	}
}

func appendSingle(buf []byte, client, n int) []byte {
	buf = append(buf, `{"key": "loss", "value": `...)
	buf = strconv.AppendFloat(buf, loadValue(client, n, 0), 'g', -1, 64)
	buf = append(buf, `, "step": `...)
	buf = strconv.AppendInt(buf, int64(n), 10)
	return append(buf, '}')
}

type loadResult struct {
	requests, points int
	elapsed          time.Duration
	p99              time.Duration
	rss1m            float64 // the server's peak RSS after the first minute, when the run lasted longer
}

// runLoad runs clients that each send requests one after another for dur,
// over keep-alive connections, and fails b on any answer but 201.
func runLoad(b *testing.B, s *server, clients int, dur time.Duration, request func(client, n int, buf []byte) (path string, body []byte, points int)) loadResult {
	b.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		res       loadResult
		wg        sync.WaitGroup
		failed    error
	)
	start := time.Now()
	deadline := start.Add(dur)
	for c := range clients {
		wg.Go(func() {
			var (
				buf    []byte
				lat    []time.Duration
				points int
			)
			for n := 0; time.Now().Before(deadline); n++ {
				path, body, k := request(c, n, buf[:0])
				buf = body
				req, _ := http.NewRequest("POST", "http://"+s.addr+path, bytesReader(body))
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						err = fmt.Errorf("%s: status %d", path, resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t0))
				points += k
			}
			mu.Lock()
			latencies = append(latencies, lat...)
			res.points += points
			mu.Unlock()
		})
	}
	if dur > 90*time.Second {
		// The memory target compares the peak after the first minute with
		// the peak at the end.
		go func() {
			time.Sleep(time.Minute)
			mu.Lock()
			res.rss1m = s.peakRSS()
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if failed != nil {
		b.Fatal(failed)
	}
	res.requests = len(latencies)
	slices.Sort(latencies)
	if len(latencies) > 0 {
		res.p99 = latencies[len(latencies)*99/100]
	}
	return res
}

type byteReader struct {
	b []byte
	i int
}

func bytesReader(b []byte) io.Reader { return &byteReader{b: b} }

func (r *byteReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}

// runBaseline runs the baseline of shape (the Appender, or a raw COPY on
// PostgreSQL) in a child process for dur and returns its rows per second.
func runBaseline(b *testing.B, mode, shape string, dur time.Duration) float64 {
	b.Helper()
	path := filepath.Join(b.TempDir(), "baseline.db")
	if mode == "copy" {
		path = pgtest.Database(b)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveMode+"="+mode, "DEARDIARY_DB_FILE="+path,
		"DEARDIARY_BENCH_SHAPE="+shape, "DEARDIARY_BENCH_SECONDS="+strconv.FormatFloat(dur.Seconds(), 'f', -1, 64))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("the %s baseline: %v", mode, err)
	}
	rate, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("the %s baseline printed %q", mode, out)
	}
	return rate
}

// baselineShape yields the rows of one baseline commit: the 16 requests
// the clients would send next, one each, in shape.
func baselineShape(shape string, commit int, row func(iteration int, key string, step int64, value float64)) {
	for c := range batchClients {
		for i := range 1000 {
			key, step := loadKeys[i], commit
			if shape == "steps" {
				key, step = fewKeys[i%10], 100*commit+i/10
			}
			row(c, key, int64(step), loadValue(c, commit, i))
		}
	}
}

// appenderBaseline appends rows of the load's shape to upstream's metric
// table in a file with DuckDB's Appender, making each row's text id as it
// goes, and committing every 16,000 rows. It runs with ddd's DuckDB
// settings, and prints its rows per second.
func appenderBaseline() {
	db, err := sql.Open("duckdb", os.Getenv("DEARDIARY_DB_FILE")+"?checkpoint_threshold=256MB")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE metric (id VARCHAR DEFAULT uuid(), iteration_id VARCHAR NOT NULL,
		key TEXT NOT NULL CHECK (key <> ''), value DOUBLE NOT NULL, step BIGINT NOT NULL DEFAULT 0,
		recorded_at TEXT NOT NULL CHECK (recorded_at <> ''))`); err != nil {
		panic(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		panic(err)
	}
	its := make([]string, batchClients)
	for i := range its {
		its[i] = uuid.Must(uuid.NewV7()).String()
	}
	dur := benchSeconds()
	commitUnits := 1
	if v := os.Getenv("DEARDIARY_BENCH_COMMIT_UNITS"); v != "" {
		commitUnits, _ = strconv.Atoi(v)
	}
	rows := 0
	start := time.Now()
	err = conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "metric")
		if err != nil {
			return err
		}
		for commit := 0; time.Since(start) < dur; commit++ {
			at := core.FormatTime(time.Now())
			baselineShape(os.Getenv("DEARDIARY_BENCH_SHAPE"), commit, func(it int, key string, step int64, value float64) {
				if err == nil {
					err = a.AppendRow(uuid.Must(uuid.NewV7()).String(), its[it], key, value, step, at)
				}
			})
			if err == nil && (commit+1)%commitUnits == 0 {
				err = a.Flush() // a commit: the connection is in auto-commit mode
			}
			if err != nil {
				return err
			}
			rows += baselineRows
		}
		return a.Close()
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(float64(rows) / time.Since(start).Seconds())
}

// copyBaseline copies rows of the load's shape into the metric table of a
// PostgreSQL database the store made, from 16 connections at once, each
// sending the rows of one request (1,000) per COPY, in a transaction of its
// own, as ddd's clients would. It prints its rows per second.
func copyBaseline() {
	ctx, url := context.Background(), os.Getenv("DEARDIARY_DB_FILE")
	s, err := postgres.Open(ctx, url)
	if err != nil {
		panic(err)
	}
	// The points need iterations: metric's foreign key checks every row, as
	// it does ddd's.
	its := make([]string, batchClients)
	p, err := s.CreateProject(ctx, core.ProjectCreate{Name: "baseline"})
	if err != nil {
		panic(err)
	}
	e, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "baseline"})
	if err != nil {
		panic(err)
	}
	for i := range its {
		if its[i], err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}); err != nil {
			panic(err)
		}
	}
	s.Close()
	shape, dur := os.Getenv("DEARDIARY_BENCH_SHAPE"), benchSeconds()
	columns := []string{"id", "iteration_id", "key", "value", "step", "recorded_at"}
	var (
		wg    sync.WaitGroup
		total atomic.Int64
	)
	start := time.Now()
	for c := range batchClients {
		wg.Go(func() {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				panic(err)
			}
			defer conn.Close(ctx)
			it := its[c]
			rows := make([][]any, 1000)
			for n := 0; time.Since(start) < dur; n++ {
				at := core.FormatTime(time.Now())
				for i := range rows {
					key, step := loadKeys[i], n
					if shape == "steps" {
						key, step = fewKeys[i%10], 100*n+i/10
					}
					rows[i] = []any{uuid.Must(uuid.NewV7()).String(), it, key, loadValue(c, n, i), int64(step), at}
				}
				if _, err := conn.CopyFrom(ctx, pgx.Identifier{"metric"}, columns, pgx.CopyFromRows(rows)); err != nil {
					panic(err)
				}
				total.Add(int64(len(rows)))
			}
		})
	}
	wg.Wait()
	fmt.Println(float64(total.Load()) / time.Since(start).Seconds())
}

func benchSeconds() time.Duration {
	secs, _ := strconv.ParseFloat(os.Getenv("DEARDIARY_BENCH_SECONDS"), 64)
	return time.Duration(secs * float64(time.Second))
}
