package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/cmd/internal/connect"
	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/postgres"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// The crash tests kill a writer with SIGKILL at random moments, start it
// again on the same file, and check that nothing acknowledged was lost and
// no batch is half there. A plain go test makes 4 rounds each, CI 20
// (DEARDIARY_TEST_LONG=1); the long version:
//
//	DEARDIARY_CRASH_ROUNDS=200 go test ./cmd/ddd/ -run Crash -v -timeout 30m
//
// DEARDIARY_CRASH_SEED replays a run (each test logs its seed).

const (
	crashWriters   = 16
	crashBatchSize = 50 // points per batch; batch s holds steps [s*50, s*50+50)
)

// crashRounds is how many kills a test makes: 4 by default, 20 in the long
// tests (CI), more on request.
func crashRounds(t *testing.T) int {
	if n, err := strconv.Atoi(os.Getenv("DEARDIARY_CRASH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	if longTests() {
		return 20
	}
	return 4
}

func crashRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("DEARDIARY_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("DEARDIARY_CRASH_SEED=%d", seed)
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

// batchOf is writer w's batch s: a parameter naming it and its points, so a
// check can tell which batches are whole. Some log points alone (see
// pointsOnly).
func batchOf(w, s int) core.Batch {
	var b core.Batch
	if !pointsOnly(s) {
		b.Params = []core.ParamInput{{Key: fmt.Sprintf("batch_%d", s), Value: w}}
	}
	for i := range crashBatchSize {
		step := int64(s*crashBatchSize + i)
		b.Metrics.Metrics = append(b.Metrics.Metrics, core.MetricInput{Key: "load", Value: float64(w*1_000_000) + float64(step), Step: &step})
	}
	return b
}

// pointsOnly tells the batches that log points alone, which the writer
// holds in its journal (see core/duckdb/journal.go), from those that commit.
// They come in blocks of batch numbers, and a round writes from one kind of
// block only (ledger.enter): a batch that commits takes the held points of
// others in with it, so in a mixed round few points would be held when the
// kill comes, and the journal's replay would go all but untested.
func pointsOnly(s int) bool { return s/crashBlock%2 == 1 }

// crashBlock is far more batches than a writer sends in a round.
const crashBlock = 100_000

// ledger is what writers were told: the batches acknowledged, and each
// writer's next batch number. A batch sent without an answer may or may not
// be there after a kill, but never in part.
type ledger struct {
	mu    sync.Mutex
	acked map[int][]int // writer -> acknowledged batch numbers
	next  map[int]int   // writer -> its next batch number
}

func newLedger() *ledger { return &ledger{acked: map[int][]int{}, next: map[int]int{}} }

// enter moves every writer on to a block of batches of round's kind:
// points alone in odd rounds.
func (l *ledger) enter(round int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for w := range crashWriters {
		for pointsOnly(l.next[w]) != (round%2 == 1) {
			l.next[w] = (l.next[w]/crashBlock + 1) * crashBlock
		}
	}
}

func (l *ledger) ack(w, s int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[w] = append(l.acked[w], s)
}

// verifyCrash opens the database as the restarted process would (a DuckDB
// file, or a PostgreSQL URL) and checks the ledger against it: every
// acknowledged batch whole, every other batch whole or absent, parameters
// and points alike.
func verifyCrash(t *testing.T, db string, iterations map[int]string, l *ledger) {
	t.Helper()
	var s core.Tracker
	var err error
	if connect.IsDatabaseURL(db) {
		s, err = postgres.Open(context.Background(), db)
	} else {
		s, err = duckdb.Open(db)
	}
	if err != nil {
		t.Fatalf("the database does not open after the kill: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for w, id := range iterations {
		points := map[int]int{} // batch -> points present
		history, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "load", IterationIDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		for _, series := range history {
			for _, p := range series.Points {
				if p.Value != float64(w*1_000_000)+float64(p.Step) {
					t.Fatalf("writer %d step %d holds %v", w, p.Step, p.Value)
				}
				points[int(p.Step)/crashBatchSize]++
			}
		}
		params, _, err := s.ListParameters(ctx, core.ParameterFilter{IterationID: id})
		if err != nil {
			t.Fatal(err)
		}
		hasParam := map[int]bool{}
		for _, p := range params {
			n, _ := strconv.Atoi(strings.TrimPrefix(p.Key, "batch_"))
			hasParam[n] = true
		}
		sums, err := s.MetricSummaries(ctx, core.SummaryFilter{IterationIDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range points {
			total += n
		}
		if total > 0 && (len(sums) != 1 || sums[0].Count != int64(total)) {
			t.Errorf("writer %d has %d points, and summaries %+v", w, total, sums)
		}
		for b, n := range points {
			if n != crashBatchSize || (!hasParam[b] && !pointsOnly(b)) {
				t.Errorf("writer %d batch %d is half there: %d points, parameter %v", w, b, n, hasParam[b])
			}
		}
		for b := range hasParam {
			if points[b] == 0 {
				t.Errorf("writer %d batch %d has its parameter but no points", w, b)
			}
		}
		l.mu.Lock()
		for _, b := range l.acked[w] {
			if points[b] != crashBatchSize {
				t.Errorf("writer %d batch %d was acknowledged, and is gone", w, b)
			}
		}
		// The next round's batches come after everything there, so a batch
		// that committed unacknowledged is not written twice.
		for b := range points {
			l.next[w] = max(l.next[w], b+1)
		}
		l.mu.Unlock()
	}
}

// TestCrashDaemon kills ddd under 16 writers, on a DuckDB file.
func TestCrashDaemon(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts ddd")
	}
	crashDaemon(t, filepath.Join(t.TempDir(), "crash.db"))
}

// TestCrashDaemonOnPostgres kills a ddd replica on PostgreSQL under 16
// writers: every acknowledged write is there exactly once.
func TestCrashDaemonOnPostgres(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts ddd")
	}
	crashDaemon(t, pgtest.Database(t))
}

func crashDaemon(t *testing.T, path string) {
	rng := crashRand(t)
	l := newLedger()
	iterations := map[int]string{}
	for round := range crashRounds(t) {
		l.enter(round)
		srv := startChild(t, "ddd", path)
		base := "http://" + srv.addr
		if round == 0 {
			c := daemontest.API{T: t, Base: base}
			_, e, _ := c.Seed()
			for w := range crashWriters {
				iterations[w] = c.Expect(c.Do("POST", "/iteration/experiment/"+e, nil), 201, "").Str("iteration_id")
			}
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range crashWriters {
			wg.Go(func() { writeOverHTTP(base, iterations[w], w, l, stop) })
		}
		time.Sleep(time.Duration(50+rng.IntN(450)) * time.Millisecond)
		srv.cmd.Process.Signal(syscall.SIGKILL)
		srv.cmd.Wait()
		close(stop)
		wg.Wait()
		verifyCrash(t, path, iterations, l)
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
	t.Logf("%d acknowledged batches survived %d kills", countAcked(l), crashRounds(t))
}

func countAcked(l *ledger) int {
	n := 0
	for _, b := range l.acked {
		n += len(b)
	}
	return n
}

// writeOverHTTP logs writer w's batches until the server dies or stop.
func writeOverHTTP(base, iteration string, w int, l *ledger, stop <-chan struct{}) {
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		select {
		case <-stop:
			return
		default:
		}
		l.mu.Lock()
		s := l.next[w]
		l.next[w]++
		l.mu.Unlock()
		b := batchOf(w, s)
		body, route := map[string]any{}, "/iteration/"+iteration+"/batch"
		if pointsOnly(s) {
			route = "/metric/iteration/" + iteration + "/batch"
		} else {
			body["params"] = []map[string]any{{"key": b.Params[0].Key, "value": w}}
		}
		var metrics []map[string]any
		for _, m := range b.Metrics.Metrics {
			metrics = append(metrics, map[string]any{"key": m.Key, "value": m.Value, "step": *m.Step})
		}
		body["metrics"] = metrics
		j, _ := json.Marshal(body)
		resp, err := client.Post(base+route, "application/json", bytes.NewReader(j))
		if err != nil {
			return // the server is gone
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return
		}
		l.ack(w, s)
	}
}

// TestCrashOffline kills a program that logs to its own file in-process.
func TestCrashOffline(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills and restarts a writer process")
	}
	rng := crashRand(t)
	path := filepath.Join(t.TempDir(), "offline.db")
	l := newLedger()
	iterations := map[int]string{}
	for round := range crashRounds(t) {
		l.enter(round)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		l.mu.Lock()
		plan, _ := json.Marshal(crashPlan{Next: l.next, Iterations: iterations})
		l.mu.Unlock()
		cmd.Env = append(os.Environ(), serveMode+"=offline-writer", "DEARDIARY_DB_FILE="+path, "DEARDIARY_CRASH_PLAN="+string(plan))
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		if !lines.Scan() {
			t.Fatal("the writer did not start")
		}
		if round == 0 {
			json.Unmarshal(lines.Bytes(), &iterations)
		}
		kill := time.AfterFunc(time.Duration(50+rng.IntN(450))*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
		for lines.Scan() { // "w s": batch s of writer w committed
			var w, s int
			if _, err := fmt.Sscan(lines.Text(), &w, &s); err == nil {
				l.ack(w, s)
			}
		}
		cmd.Wait()
		kill.Stop()
		verifyCrash(t, path, iterations, l)
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
	t.Logf("%d acknowledged batches survived %d kills", countAcked(l), crashRounds(t))
}

// crashPlan tells the offline writer where to go on from.
type crashPlan struct {
	Next       map[int]int
	Iterations map[int]string // none in the first round: the writer makes them
}

// offlineWriter is the child of TestCrashOffline: 16 goroutines log batches
// to a local store and print each one as it is acknowledged.
func offlineWriter() {
	s, err := duckdb.Open(os.Getenv("DEARDIARY_DB_FILE"))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	var plan crashPlan
	if err := json.Unmarshal([]byte(os.Getenv("DEARDIARY_CRASH_PLAN")), &plan); err != nil {
		panic(err)
	}
	iterations := plan.Iterations
	if len(iterations) == 0 {
		iterations = map[int]string{}
		p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "crash"})
		e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "crash"})
		for w := range crashWriters {
			if iterations[w], err = s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}); err != nil {
				panic(err)
			}
		}
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	j, _ := json.Marshal(iterations)
	fmt.Fprintf(out, "%s\n", j)
	out.Flush()
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			for s0 := plan.Next[w]; ; s0++ {
				b := batchOf(w, s0)
				var err error
				if pointsOnly(s0) {
					_, err = s.LogMetrics(ctx, iterations[w], b.Metrics)
				} else {
					_, err = s.LogBatch(ctx, iterations[w], b)
				}
				if err != nil {
					panic(err)
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %d\n", w, s0)
				out.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
