package duckdb_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/duckdb/upstreamtest"
)

// TestOldEnginesReadOurFiles opens files this store wrote with an older
// DuckDB than the one it links: the oldest that installs quickly here, the
// @duckdb/node-api package of engine 1.1.2 (DEARDIARY_OLD_DUCKDB names the
// directory it is installed in; .ci/run installs it). DearDiary.jl's users
// may have any 1.x engine: files must not move past what they read.
func TestOldEnginesReadOurFiles(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("DEARDIARY_OLD_DUCKDB")
	node, err := exec.LookPath("node")
	if dir == "" || err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI needs node and DEARDIARY_OLD_DUCKDB (an npm directory with @duckdb/node-api@1.1.2-alpha.4) for this test")
		}
		t.Skip("set DEARDIARY_OLD_DUCKDB to a directory where npm installed @duckdb/node-api@1.1.2-alpha.4")
	}
	script, _ := filepath.Abs("../../testdata/oldduckdb/read.mjs")
	read := func(path string, tables ...string) map[string]int {
		t.Helper()
		// The script imports the package from the directory it runs in.
		local := filepath.Join(dir, "read.mjs")
		if b, err := os.ReadFile(script); err == nil {
			os.WriteFile(local, b, 0o644)
		}
		out, err := exec.Command(node, append([]string{local, path}, tables...)...).Output()
		var got struct {
			Engine string
			Counts map[string]int
			Error  string
		}
		if jerr := json.Unmarshal(out, &got); jerr != nil || err != nil || got.Error != "" {
			t.Fatalf("DuckDB %s cannot read %s: %s %v", got.Engine, filepath.Base(path), got.Error, err)
		}
		t.Logf("DuckDB %s read %s: %v", got.Engine, filepath.Base(path), got.Counts)
		return got.Counts
	}
	ctx := context.Background()
	write := func(path string, opts ...duckdb.Option) {
		t.Helper()
		s, err := duckdb.Open(path, append(opts, duckdb.WithBcryptCost(bcrypt.MinCost))...)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.CreateProject(ctx, core.ProjectCreate{Name: "p"})
		e, _ := s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"})
		it, _ := s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e})
		if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: []core.MetricInput{{Key: "loss", Value: 1}, {Key: "loss", Value: 0.5}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	uuidFile, intFile := filepath.Join(tmp, "uuid.db"), filepath.Join(tmp, "integer.db")
	write(uuidFile)
	write(intFile, duckdb.WithIntegerIDs())
	released, _ := upstreamtest.File(t, upstreamtest.Released)
	write(released)
	for path, projects := range map[string]int{uuidFile: 1, intFile: 1, released: 2} {
		if got := read(path, "project", "metric", "metric_summary_delta", "iteration_snapshot"); got["project"] != projects {
			t.Errorf("%s: %v", filepath.Base(path), got)
		}
	}
}
