package tui

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// BenchmarkScreens backs the TUI's targets in docs/PERFORMANCE.md. It builds
// (once, then reuses) a database of 10,000 iterations and 10M metric points
// plus ten runs of 100k points each, then measures in a fresh process, so
// the resident memory is the TUI's own:
//
//	go test ./tui/ -run '^$' -bench Screens -benchtime 1x
//
// The database goes to $DEARDIARY_BENCH_DB, or the temporary directory;
// building it takes a few minutes the first time.
func BenchmarkScreens(b *testing.B) {
	path := os.Getenv("DEARDIARY_BENCH_DB")
	if path == "" {
		path = filepath.Join(os.TempDir(), "ddtui-bench-10M.db")
	}
	if err := ensureBenchDB(path); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperScreens$")
		cmd.Env = append(os.Environ(), "DEARDIARY_BENCH_SCREENS="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			name, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
			if v, err := strconv.ParseFloat(value, 64); ok && err == nil {
				b.ReportMetric(v, name)
			}
		}
	}
}

// ensureBenchDB builds the benchmark database unless it is there already,
// in which case opening it for writing brings its schema up to date.
func ensureBenchDB(path string) error {
	if _, err := os.Stat(path); err == nil {
		s, err := duckdb.Open(path)
		if err != nil {
			return err
		}
		return s.Close()
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
	keys := []string{"loss", "accuracy", "val_loss", "val_accuracy", "lr", "grad_norm", "f1", "precision", "recall", "epoch_time"}
	for e := range 10 {
		exp, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: fmt.Sprintf("sweep %02d", e)})
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		work := make(chan int)
		for range 8 {
			wg.Go(func() {
				for i := range work {
					it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: exp})
					if err == nil {
						var batch core.Batch
						batch.Params = []core.ParamInput{{Key: "learning_rate", Value: 1e-3 * float64(i%7+1)}, {Key: "batch_size", Value: 32 << (i % 4)}, {Key: "seed", Value: i}}
						for step := range int64(100) {
							for k, key := range keys {
								v := math.Exp(-float64(step)/30) * float64(k+1) / float64(i%13+1)
								batch.Metrics.Metrics = append(batch.Metrics.Metrics, core.MetricInput{Key: key, Value: v, Step: new(step)})
							}
						}
						_, err = s.LogBatch(ctx, it, batch)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		for i := range 1000 {
			work <- i
		}
		close(work)
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
	}
	long, err := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "long runs"})
	if err != nil {
		return err
	}
	for i := range 10 {
		it, err := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: long})
		if err != nil {
			return err
		}
		for chunk := range 10 {
			var batch core.MetricBatch
			for step := int64(chunk * 10000); step < int64(chunk+1)*10000; step++ {
				v := math.Exp(-float64(step)/20000)*(1+0.1*float64(i)) + 0.01*math.Sin(float64(step))
				batch.Metrics = append(batch.Metrics, core.MetricInput{Key: "loss", Value: v, Step: new(step)})
			}
			if _, err := s.LogMetrics(ctx, it, batch); err != nil {
				return err
			}
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// TestHelperScreens is not a test: BenchmarkScreens runs it in a fresh
// process to time the screens and read the resident memory.
func TestHelperScreens(t *testing.T) {
	path := os.Getenv("DEARDIARY_BENCH_SCREENS")
	if path == "" {
		t.Skip("benchmark helper only")
	}
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }

	// First screen: open the file, start the app, draw the projects.
	start := time.Now()
	// As cmd/ddtui runs and opens a file.
	debug.SetMemoryLimit(GoMemoryLimit)
	s, err := duckdb.Open(path, duckdb.ReadOnly(), duckdb.WithMemoryLimit(FileMemoryLimit))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fmt.Printf("first-screen-open-ms=%s\n", ms(time.Since(start)))
	d := startDriver(t, &Context{Store: s, Source: path, NoTicks: true}, 160, 50)
	if !strings.Contains(d.screen(), "bench") {
		t.Fatal("no projects drawn")
	}
	fmt.Printf("first-screen-ms=%s\n", ms(time.Since(start)))

	ctx := context.Background()
	projects, _ := s.ListProjects(ctx, core.ProjectFilter{})
	exps, _, _ := s.ListExperiments(ctx, core.ExperimentFilter{ProjectID: projects[0].ID})

	// A 1,000-run experiment, from pressing enter to the drawn table.
	start = time.Now()
	d.send(pushMsg{newIterations(d.m.ctx, exps[3])})
	if !strings.Contains(d.screen(), "1000 of 1000 runs") {
		t.Fatalf("run table not drawn:\n%s", d.screen())
	}
	fmt.Printf("run-table-1000-ms=%s\n", ms(time.Since(start)))
	// The bench's runs never ended: they are running runs, which the live
	// refresh reads again every tick. Its cost, in CPU time (DuckDB's
	// threads included) per tick of the default interval.
	perTick := func(name string) {
		const ticks = 10
		before := cpuTime()
		for range ticks {
			d.send(liveTickMsg{})
			d.m.render()
		}
		used := (cpuTime() - before) / ticks
		fmt.Printf("%s-refresh-cpu-pct=%.2f\n", name, 100*float64(used)/float64(LiveInterval))
	}
	d.m.ctx.Live = true
	perTick("run-table-1000")
	d.m.ctx.Live = false

	// Compare ten runs of 100k points: load and draw the overlaid curves.
	long := exps[len(exps)-1]
	its, _, _ := s.ListIterations(ctx, core.IterationFilter{ExperimentID: long.ID})
	sums, _ := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: long.ID})
	rows := make([]*runRow, len(its))
	longIDs := make([]string, len(its))
	for i, it := range its {
		longIDs[i] = it.ID
		rows[i] = &runRow{it: it, ordinal: i + 1, metrics: map[string]core.MetricSummary{}, params: map[string]string{}}
		for _, m := range sums {
			if m.IterationID == it.ID {
				rows[i].metrics[m.Key] = m
			}
		}
	}
	start = time.Now()
	d.send(pushMsg{newCompare(d.m.ctx, rows)})
	d.keys("3")
	if !strings.Contains(d.screen(), "#10") {
		t.Fatalf("curves not drawn:\n%s", d.screen())
	}
	fmt.Printf("compare-10x100k-ms=%s\n", ms(time.Since(start)))
	// Drawing alone, once the data is there: the curves of ten runs.
	start = time.Now()
	d.m.render()
	fmt.Printf("compare-draw-ms=%s\n", ms(time.Since(start)))
	d.m.ctx.Live = true
	perTick("compare-10x100k")
	// A run of 100k points: its detail from the key press to the chart
	// drawn, drawing alone, and its refresh.
	d.keys("esc")
	start = time.Now()
	d.send(pushMsg{newDetail(d.m.ctx, long, rows[0], "")})
	d.keys("3")
	if !strings.Contains(d.screen(), "100000") {
		t.Fatalf("detail not drawn:\n%s", d.screen())
	}
	fmt.Printf("detail-100k-ms=%s\n", ms(time.Since(start)))
	start = time.Now()
	d.m.render()
	fmt.Printf("detail-draw-ms=%s\n", ms(time.Since(start)))
	perTick("detail-100k")
	d.keys("f")
	perTick("detail-100k-follow")
	d.keys("esc", "esc")
	// The peak so far is the TUI's: the baselines below hold far more.
	if os.Getenv("DEARDIARY_BENCH_MEMSTATS") != "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("go-heap-sys-MiB=%.0f\ngo-heap-inuse-MiB=%.0f\ngo-sys-MiB=%.0f\n", float64(ms.HeapSys)/(1<<20), float64(ms.HeapInuse)/(1<<20), float64(ms.Sys)/(1<<20))
	}
	if path := os.Getenv("DEARDIARY_BENCH_HEAPPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		pprof.WriteHeapProfile(f)
		f.Close()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("go-heap-MiB=%.0f\ngo-sys-MiB=%.0f\n", float64(ms.HeapAlloc)/(1<<20), float64(ms.Sys)/(1<<20))
	}
	status, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			fmt.Printf("peak-RSS-MiB=%.0f\n", kb/1024)
		}
	}

	if os.Getenv("DEARDIARY_BENCH_NO_BASELINE") != "" {
		return // profiling the TUI alone
	}
	// Baseline: the same data read as a client without summaries would,
	// each run's parameters and history of one key on its own.
	start = time.Now()
	its, _, _ = s.ListIterations(ctx, core.IterationFilter{ExperimentID: exps[3].ID})
	for _, it := range its {
		s.ListParameters(ctx, core.ParameterFilter{IterationID: it.ID})
		s.ListMetrics(ctx, core.MetricFilter{IterationID: it.ID})
	}
	fmt.Printf("run-table-per-run-baseline-ms=%s\n", ms(time.Since(start)))

	// Baseline: the full histories, drawn without downsampling in the store.
	start = time.Now()
	s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: longIDs})
	fmt.Printf("compare-full-history-baseline-ms=%s\n", ms(time.Since(start)))
}

// cpuTime is the CPU time this process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
