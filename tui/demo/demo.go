// Package demo fills a tracker with a realistic history of experiments: what
// `ddtui --demo` opens, and what the TUI's tests browse. It writes through
// core.Tracker only, so it works on a local file and on a daemon alike.
package demo

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// Build writes the demo data: three projects, sweeps with driver iterations
// and child trials, loss and accuracy curves of hundreds of steps, a failed
// run with its error, one still running, model versions, and environment
// snapshots with lock files that differ between runs, one of them dirty.
// Runs end by the time Build returns: their points and ends are squeezed
// into the time since their creation. BuildWithClock gives them their
// real lengths.
func Build(ctx context.Context, t core.Tracker) error { return BuildWithClock(ctx, t, nil) }

// BuildWithClock is Build on a store whose clock is c (duckdb.WithClock(
// c.Now)): the runs are logged one after the other in c's time, each as
// long as its steps take, starting from c's start, which should be far
// enough in the past (a few hours) for every run to end before now.
func BuildWithClock(ctx context.Context, t core.Tracker, c *Clock) error {
	b := &builder{ctx: ctx, t: t, rng: rand.New(rand.NewPCG(7, 42)), clock: c}
	for _, step := range []func() error{b.vision, b.nlp, b.forecasting} {
		if err := step(); err != nil {
			return err
		}
	}
	// The running trial starts last, ten minutes ago, so it is the one
	// running now.
	if c != nil {
		c.mu.Lock()
		c.t = maxTime(c.t, time.Now().UTC().Add(-10*time.Minute))
		c.mu.Unlock()
	}
	for _, f := range b.later {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// Clock is the demo's time: it stands still until Build moves it past a
// run it logged.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at start.
func NewClock(start time.Time) *Clock { return &Clock{t: start.UTC()} }

// Now is the clock's time, for duckdb.WithClock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (c *Clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type builder struct {
	ctx   context.Context
	t     core.Tracker
	rng   *rand.Rand
	clock *Clock
	later []func() error
}

func (b *builder) project(name, description string, tags ...string) (string, error) {
	id, err := b.t.CreateProject(b.ctx, core.ProjectCreate{Name: name, Description: description})
	for _, tag := range tags {
		if err == nil {
			_, err = b.t.AttachTag(b.ctx, core.KindProject, id, tag)
		}
	}
	return id, err
}

func (b *builder) experiment(project, name, description string) (string, error) {
	return b.t.CreateExperiment(b.ctx, core.ExperimentCreate{ProjectID: project, Name: name, Description: description})
}

// curve is a training run's shape: how fast and how low the loss goes, how
// noisy it is, and whether it diverges.
type curve struct {
	steps     int
	rate      float64 // loss decay per step
	floor     float64 // the loss it settles at
	noise     float64
	overfit   float64 // how much validation loss climbs back late in training
	divergeAt int     // 0: never
}

// run logs one iteration's parameters, tags and curves, and ends it unless
// it is still running. It returns the iteration's id.
func (b *builder) run(experiment, parent string, params map[string]any, c curve, tags []string, status core.IterationStatus, notes string) (string, error) {
	id, err := b.t.CreateIteration(b.ctx, core.IterationCreate{ExperimentID: experiment, ParentID: parent, Notes: notes})
	if err != nil {
		return "", err
	}
	it, err := b.t.GetIteration(b.ctx, id)
	if err != nil {
		return "", err
	}
	batch := core.Batch{Tags: tags}
	for _, k := range sortedKeys(params) {
		batch.Params = append(batch.Params, core.ParamInput{Key: k, Value: params[k]})
	}
	// The run starts when the store says it was created. Its points are
	// three seconds apart and it ends 40 s after its last, or, without a
	// clock of the demo's, as much sooner as it takes to end by now.
	started := it.CreatedDate
	last := c.steps
	if c.divergeAt > 0 {
		last = c.divergeAt
	}
	length := time.Duration(last)*3*time.Second + 40*time.Second
	scale := 1.0
	if b.clock == nil {
		scale = min(float64(time.Since(started))/float64(length), 1)
	}
	every := time.Duration(3 * float64(time.Second) * scale)
	var failure string
	for s := range c.steps {
		x := float64(s)
		loss := c.floor + (2.3-c.floor)*math.Exp(-c.rate*x) + c.noise*b.rng.NormFloat64()*math.Exp(-c.rate*x/3)
		if c.divergeAt > 0 && s >= c.divergeAt-12 {
			loss *= math.Exp(float64(s-(c.divergeAt-12)) / 2)
		}
		if c.divergeAt > 0 && s == c.divergeAt {
			last = s
			failure = fmt.Sprintf("FloatingPointError: loss became inf at step %d (gradient norm 3.2e+18)\n  at train_step (train.py:88)\n  at main (train.py:141)", s)
			break
		}
		val := loss*1.08 + c.overfit*math.Max(0, x/float64(c.steps)-0.6) + 0.6*c.noise*b.rng.NormFloat64()
		at := started.Add(time.Duration(s) * every)
		step := int64(s)
		batch.Metrics.Metrics = append(batch.Metrics.Metrics,
			core.MetricInput{Key: "loss", Value: math.Max(loss, 1e-4), Step: &step, RecordedAt: &at},
			core.MetricInput{Key: "accuracy", Value: clamp(1 - loss/2.6 + 0.01*b.rng.NormFloat64()), Step: &step, RecordedAt: &at},
			core.MetricInput{Key: "val_loss", Value: math.Max(val, 1e-4), Step: &step, RecordedAt: &at},
			core.MetricInput{Key: "val_accuracy", Value: clamp(1 - val/2.5 + 0.015*b.rng.NormFloat64()), Step: &step, RecordedAt: &at},
		)
		if s%10 == 0 {
			lr := 0.1
			if v, ok := params["learning_rate"].(float64); ok {
				lr = v
			}
			batch.Metrics.Metrics = append(batch.Metrics.Metrics,
				core.MetricInput{Key: "lr", Value: lr * 0.5 * (1 + math.Cos(math.Pi*x/float64(c.steps))), Step: &step, RecordedAt: &at})
		}
	}
	for len(batch.Metrics.Metrics) > 0 || batch.Params != nil || batch.Tags != nil {
		chunk := batch
		if len(chunk.Metrics.Metrics) > 1000 {
			chunk.Metrics.Metrics = chunk.Metrics.Metrics[:1000]
		}
		if _, err := b.t.LogBatch(b.ctx, id, chunk); err != nil {
			return "", err
		}
		batch.Metrics.Metrics = batch.Metrics.Metrics[len(chunk.Metrics.Metrics):]
		batch.Params, batch.Tags = nil, nil
	}
	switch {
	case failure != "":
		status = core.IterationFailed
	case status == core.IterationRunning:
		return id, nil
	}
	end := started.Add(time.Duration(float64(length) * scale))
	if b.clock != nil {
		// The next run starts a couple of minutes after this one ended.
		b.clock.advance(length + 2*time.Minute)
	}
	return id, b.t.UpdateIteration(b.ctx, id, core.IterationUpdate{Status: &status, EndDate: &end, ErrorMessage: &failure})
}

// save records a run's snapshot as captured when the run started.
func (b *builder) save(id string, snap *core.Snapshot) error {
	it, err := b.t.GetIteration(b.ctx, id)
	if err != nil {
		return err
	}
	snap.CapturedAt = it.CreatedDate
	return b.t.SaveSnapshot(b.ctx, id, snap)
}

func clamp(v float64) float64 { return math.Min(1, math.Max(0, v)) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys { // insertion sort: a handful of keys
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func (b *builder) vision() error {
	p, err := b.project("vision", "Image classification on CIFAR-10", "cv", "pytorch")
	if err != nil {
		return err
	}
	sweep, err := b.experiment(p, "resnet18 learning-rate sweep", "Cosine schedule, 300 steps per trial; one trial at lr=1.0 to see it diverge")
	if err != nil {
		return err
	}
	driver, err := b.run(sweep, "", map[string]any{"model": "resnet18", "optimizer": "sgd", "epochs": 30}, curve{steps: 0}, []string{"sweep"}, core.IterationSucceeded, "Driver of the sweep: one child per learning rate")
	if err != nil {
		return err
	}
	if err := b.save(driver, pythonSnapshot(driver, "2.5.1", "2.1.3", "4f6c2e9b1a7d3c5e8f0a2b4c6d8e0f1a3b5c7d9e", false)); err != nil {
		return err
	}
	trials := []struct {
		lr, momentum float64
		batch        int
		c            curve
		status       core.IterationStatus
	}{
		{0.1, 0.9, 128, curve{steps: 300, rate: 0.020, floor: 0.21, noise: 0.05, overfit: 0.25}, core.IterationSucceeded},
		{0.05, 0.9, 128, curve{steps: 300, rate: 0.014, floor: 0.18, noise: 0.04, overfit: 0.12}, core.IterationSucceeded},
		{0.01, 0.9, 128, curve{steps: 300, rate: 0.006, floor: 0.30, noise: 0.03, overfit: 0.02}, core.IterationSucceeded},
		{0.05, 0.95, 256, curve{steps: 300, rate: 0.016, floor: 0.16, noise: 0.04, overfit: 0.08}, core.IterationSucceeded},
		{1.0, 0.9, 128, curve{steps: 300, rate: 0.030, floor: 0.5, noise: 0.2, divergeAt: 87}, core.IterationSucceeded},
		{0.02, 0.9, 512, curve{steps: 180, rate: 0.010, floor: 0.25, noise: 0.04, overfit: 0.05}, core.IterationRunning},
	}
	for i, tr := range trials {
		params := map[string]any{"learning_rate": tr.lr, "momentum": tr.momentum, "batch_size": tr.batch, "seed": 1000 + i}
		if tr.status == core.IterationRunning {
			b.later = append(b.later, func() error {
				_, err := b.run(sweep, driver, params, tr.c, nil, tr.status, "Still training: 180 of 300 steps")
				return err
			})
			continue
		}
		if _, err := b.run(sweep, driver, params, tr.c, nil, tr.status, ""); err != nil {
			return err
		}
	}
	ablation, err := b.experiment(p, "augmentation ablation", "Same model, each augmentation on its own; torch upgraded half-way")
	if err != nil {
		return err
	}
	for i, aug := range []string{"none", "flip", "crop+flip", "randaugment"} {
		torch, numpy := "2.4.1", "1.26.4"
		if i >= 2 {
			torch, numpy = "2.5.1", "2.1.3"
		}
		dirty := aug == "randaugment"
		id, err := b.run(ablation, "", map[string]any{"augmentation": aug, "learning_rate": 0.05, "batch_size": 128, "optimizer": "sgd"},
			curve{steps: 240, rate: 0.012 + 0.002*float64(i), floor: 0.34 - 0.04*float64(i), noise: 0.04, overfit: 0.3 - 0.08*float64(i)},
			[]string{"ablation"}, core.IterationSucceeded, "")
		if err != nil {
			return err
		}
		commit := demoCommit("vision", i)
		if err := b.save(id, pythonSnapshot(id, torch, numpy, commit, dirty)); err != nil {
			return err
		}
	}
	model, err := b.t.CreateModel(b.ctx, core.ModelCreate{ProjectID: p, Name: "cifar10-resnet18", Description: "Production image classifier"})
	if err != nil {
		return err
	}
	its, _, err := b.t.ListIterations(b.ctx, core.IterationFilter{ExperimentID: sweep})
	if err != nil {
		return err
	}
	for i, it := range its[1:3] {
		v, err := b.t.CreateModelVersion(b.ctx, core.ModelVersionCreate{ModelID: model, IterationID: it.ID, Description: fmt.Sprintf("trial %d", i+1)})
		if err != nil {
			return err
		}
		if err := b.t.UpdateModelVersion(b.ctx, v, core.ModelVersionUpdate{Stage: new(core.StageProduction)}); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) nlp() error {
	p, err := b.project("nlp", "Sentiment models in Julia (Flux.jl)", "nlp", "julia")
	if err != nil {
		return err
	}
	e, err := b.experiment(p, "tokenizer sweep", "BPE vocabulary sizes; Flux upgraded for the last two runs")
	if err != nil {
		return err
	}
	for i, vocab := range []int{8000, 16000, 32000, 50000} {
		flux := "0.14.22"
		if i >= 2 {
			flux = "0.14.25"
		}
		id, err := b.run(e, "", map[string]any{"vocab_size": vocab, "tokenizer": "bpe", "learning_rate": 3e-4, "epochs": 12},
			curve{steps: 200, rate: 0.015 + 0.003*float64(i), floor: 0.45 - 0.05*float64(i), noise: 0.03, overfit: 0.1},
			[]string{"bpe"}, core.IterationSucceeded, "")
		if err != nil {
			return err
		}
		if err := b.save(id, juliaSnapshot(id, flux, demoCommit("sentiment", i))); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) forecasting() error {
	p, err := b.project("forecasting", "Demand forecasting services in Go", "timeseries", "go")
	if err != nil {
		return err
	}
	e, err := b.experiment(p, "gradient boosting depth", "Tree depth against validation error")
	if err != nil {
		return err
	}
	for depth := 3; depth <= 10; depth++ {
		id, err := b.run(e, "", map[string]any{"max_depth": depth, "n_estimators": 400, "learning_rate": 0.05},
			curve{steps: 120, rate: 0.03, floor: 0.2 + 0.02*math.Abs(float64(depth-6)), noise: 0.02, overfit: 0.05 * float64(max(depth-6, 0))},
			nil, core.IterationSucceeded, "")
		if err != nil {
			return err
		}
		if depth == 3 || depth == 10 {
			if err := b.save(id, goSnapshot(id, depth)); err != nil {
				return err
			}
		}
	}
	_, err = b.experiment(p, "holiday features", "Not started yet")
	return err
}

func file(path, ecosystem, content string) core.SnapshotFile {
	return core.NewSnapshotFile(path, ecosystem, []byte(content))
}

func pythonSnapshot(id, torch, numpy, commit string, dirty bool) *core.Snapshot {
	s := &core.Snapshot{
		IterationID: id, CapturedAt: time.Now().UTC(), Runtime: "python", RuntimeVersion: "3.11.7",
		Runtimes: []core.Runtime{{Name: "python", Version: "3.11.7"}}, Root: "/home/ada/vision", Entrypoint: "train.py",
		Git: core.GitState{Commit: commit, Branch: "main", Remote: "https://github.com/ada/vision.git", Untracked: []string{"notes/ideas.md"}},
		Files: []core.SnapshotFile{
			file("pyproject.toml", "python", fmt.Sprintf(pyproject, torch, numpy)),
			file("uv.lock", "python", fmt.Sprintf(uvLock, numpy, torch)),
		},
	}
	if dirty {
		s.Git.Dirty = true
		s.Git.Diff = []byte(trainDiff)
	}
	return s
}

func juliaSnapshot(id, flux, commit string) *core.Snapshot {
	return &core.Snapshot{
		IterationID: id, CapturedAt: time.Now().UTC(), Runtime: "julia", RuntimeVersion: "1.11.5",
		Runtimes: []core.Runtime{{Name: "julia", Version: "1.11.5"}}, Root: "/home/ada/sentiment", Entrypoint: "train.jl",
		Git:   core.GitState{Commit: commit, Branch: "main", Remote: "git@github.com:ada/sentiment.git"},
		Files: []core.SnapshotFile{file("Project.toml", "julia", juliaProject), file("Manifest.toml", "julia", fmt.Sprintf(juliaManifest, flux))},
	}
}

func goSnapshot(id string, depth int) *core.Snapshot {
	gonum := "v0.15.0"
	if depth > 5 {
		gonum = "v0.15.1"
	}
	return &core.Snapshot{
		IterationID: id, CapturedAt: time.Now().UTC(), Runtime: "go", RuntimeVersion: "1.26.8",
		Runtimes: []core.Runtime{{Name: "go", Version: "1.26.8"}}, Root: "/srv/forecast", Entrypoint: "example.com/forecast/cmd/train",
		Git: core.GitState{Commit: demoCommit("forecast", 0), Branch: "main"},
		Files: []core.SnapshotFile{
			file("go.mod", "go", fmt.Sprintf("module example.com/forecast\n\ngo 1.26\n\nrequire gonum.org/v1/gonum %s\n", gonum)),
			file("go.sum", "go", fmt.Sprintf("gonum.org/v1/gonum %[1]s h1:FNy7N6OUZVUaWG9pTiD+jlhdQ3lMP+/LcTpJ6+a8sQ0=\ngonum.org/v1/gonum %[1]s/go.mod h1:eZTZuRFrzu5pcyjN5wJhcIhnUdNijYxX1T2IcrOGY0o=\n", gonum)),
		},
	}
}

// demoCommit is a commit id that looks like git's, the same in every demo.
func demoCommit(repo string, n int) string {
	sum := sha1.Sum(fmt.Appendf(nil, "%s %d", repo, n))
	return hex.EncodeToString(sum[:])
}
