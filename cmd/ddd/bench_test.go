package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/postgres/pgtest"
	"github.com/deardiary/deardiary-go/daemon"
)

// The benchmarks below back docs/PERFORMANCE.md. Each server runs in a
// process of its own (this test binary, started again in a serving mode),
// the load comes from this process over loopback, and the baseline is
// measured in the same run:
//
//	go test ./cmd/ddd/ -run '^$' -bench . -benchtime 10s

// serveMode is how a child process knows what to serve.
const serveMode = "DEARDIARY_BENCH_SERVE"

// serveChild runs this test binary as a child of the mode named in
// serveMode, and reports whether it was asked to.
func serveChild() bool {
	switch os.Getenv(serveMode) {
	case "bare":
		serveBare()
	case "ddd":
		serveDaemon()
	case "offline-writer":
		offlineWriter()
	case "client-writer":
		clientWriter()
	case "appender":
		appenderBaseline()
	case "copy":
		copyBaseline()
	default:
		return false
	}
	return true
}

// serveBare answers the single-metric request as ddd would, without storing
// anything: the ceiling of net/http on this machine.
func serveBare() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().String())
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Key   string  `json:"key"`
			Value float64 `json:"value"`
			Step  *int64  `json:"step"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Key == "" {
			http.Error(w, "bad", http.StatusUnprocessableEntity)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"metric_id": uuid.Must(uuid.NewV7()).String()})
	}))
	io.Copy(io.Discard, os.Stdin)
}

func serveDaemon() {
	if path := os.Getenv("DEARDIARY_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	// It logs to a file, as ddd under a service manager does: a line per
	// request is part of what a request costs.
	logFile, err := os.CreateTemp("", "ddd-bench-*.log")
	if err != nil {
		panic(err)
	}
	defer os.Remove(logFile.Name())
	defer logFile.Close()
	m := NewMain(logFile)
	if err := m.ParseFlags(nil, os.Getenv, io.Discard); err != nil { // DEARDIARY_* settings
		panic(err)
	}
	m.Config.Port = 0
	if err := m.Run(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println(strings.TrimPrefix(m.URL, "http://"))
	io.Copy(io.Discard, os.Stdin)
	m.Close()
}

// server is a child process (this test binary in a serving mode) serving
// on addr. It stops when its stdin closes.
type server struct {
	addr  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startChild runs a server of mode in a child process on the database at
// path, with env added to its environment, and returns once it listens.
func startChild(t testing.TB, mode, path string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), serveMode+"="+mode, "DEARDIARY_DB_FILE="+path), env...)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the %s server did not start: %v", mode, err)
	}
	return &server{addr: strings.TrimSpace(addr), cmd: cmd, stdin: stdin}
}

// peakRSS is the child's high-water resident memory in MiB.
func (s *server) peakRSS() float64 { return peakRSSMiB(s.cmd.Process.Pid) }

// peakRSSMiB is a process's high-water resident memory in MiB, from /proc
// (0 where there is none).
func peakRSSMiB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// cpuSeconds is the child's user and system time so far.
func (s *server) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // clock ticks
}

func loadClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
}

// post sends body and fails the benchmark on anything but 201.
func post(b *testing.B, hc *http.Client, url string, body []byte) {
	resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Errorf("status %d", resp.StatusCode)
	}
}

// BenchmarkReplicas: single-point POSTs from 64 keep-alive clients, each to
// an iteration of its own (training jobs of a team), against one ddd
// replica and then against two on the same PostgreSQL database, the
// clients split between them. The PostgreSQL cluster syncs its log
// (DEARDIARY_PGTEST_FSYNC=on) for figures a team would see:
//
//	DEARDIARY_PGTEST_FSYNC=on go test ./cmd/ddd/ -run '^$' -bench Replicas -benchtime 10s
func BenchmarkReplicas(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			db := pgtest.Database(b)
			var (
				urls     []string
				replicas []*server
			)
			for range n {
				s := startChild(b, "ddd", db)
				b.Cleanup(func() {
					s.stdin.Close()
					s.cmd.Wait()
				})
				urls, replicas = append(urls, "http://"+s.addr), append(replicas, s)
			}
			c, err := daemon.Connect(context.Background(), urls[0], daemon.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			p, _ := c.CreateProject(ctx, core.ProjectCreate{Name: "bench"})
			e, _ := c.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "bench"})
			var its []string
			for range 64 {
				it, err := c.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
				if err != nil {
					b.Fatal(err)
				}
				its = append(its, it)
			}
			body := []byte(`{"key":"loss","value":0.123456}`)
			hc := loadClient()
			var next atomic.Int64
			b.SetParallelism(32) // 64 goroutines on this machine's 2 cores
			cpu, busy, total := 0.0, 0.0, 0.0
			for _, s := range replicas {
				cpu -= s.cpuSeconds()
			}
			busy, total = machineCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1) - 1)
				url := urls[i%n] + "/metric/iteration/" + its[i%len(its)]
				for pb.Next() {
					post(b, hc, url, body)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			for _, s := range replicas {
				cpu += s.cpuSeconds()
			}
			b.ReportMetric(cpu/b.Elapsed().Seconds(), "replica-cores")
			busyAfter, totalAfter := machineCPU()
			b.ReportMetric((busyAfter-busy)/(totalAfter-total), "machine-busy")
		})
	}
}

// machineCPU reads /proc/stat: the CPU time spent busy and in all, over
// every core since boot, in clock ticks.
func machineCPU() (busy, total float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}
