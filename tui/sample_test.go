package tui

import (
	"fmt"
	"math"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/tui/tuitest"
)

// The fake satisfies the TUI's store.
var _ Store = (*tuitest.Store)(nil)

// sampleStart is when the sample's first entity was created; the app's
// clock reads a day later.
var sampleStart = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func sampleClock() time.Time { return sampleStart.Add(24 * time.Hour) }

// sample is a small history in the fake store, shaped like the demo's:
// three projects; a sweep with a driver, five finished trials (one failed)
// and one running; an ablation whose runs upgrade torch half-way, the last
// one dirty; Julia runs; runs without snapshots; an empty experiment.
type sample struct {
	*tuitest.Store
	vision, nlp, forecasting      *core.Project
	sweep, ablation, tokenizer    *core.Experiment
	boosting, holiday             *core.Experiment
	driver, failed, running       *core.Iteration
	trials, augment, vocab, depth []*core.Iteration
}

func newSample() *sample {
	s := &sample{Store: tuitest.New(sampleStart)}
	s.vision = s.AddProject("vision", "Image classification on CIFAR-10", "cv", "pytorch")
	s.sweep = s.AddExperiment(s.vision, "resnet18 learning-rate sweep", "Cosine schedule; one trial at lr=1.0 to see it diverge")
	s.driver = s.AddIteration(s.sweep, tuitest.Run{Status: core.IterationSucceeded, Took: 20 * time.Minute,
		Notes: "Driver of the sweep", Params: map[string]string{"model": "resnet18", "optimizer": "sgd"}, Tags: []string{"sweep"}})
	s.SetSnapshot(s.driver, pythonSnapshot("2.5.1", "2.1.3", 0, false))
	for i, lr := range []float64{0.1, 0.05, 0.01, 0.05, 1.0, 0.02} {
		run := tuitest.Run{Parent: s.driver, Status: core.IterationSucceeded, Took: time.Duration(i+2) * time.Minute,
			Params: map[string]string{"learning_rate": fmt.Sprint(lr), "momentum": "0.9", "batch_size": "128", "seed": fmt.Sprint(1000 + i)}}
		steps := 300
		switch i {
		case 3:
			run.Params["momentum"] = "0.95"
		case 4:
			run.Status, run.Error, steps = core.IterationFailed, "FloatingPointError: loss became inf at step 87\n  at train_step (train.py:88)", 87
		case 5:
			run.Status, run.Notes, steps = core.IterationRunning, "Still training", 180
		}
		it := s.AddIteration(s.sweep, run)
		s.curves(it, steps, 0.01+0.002*float64(i), 0.2+0.02*float64(i))
		s.trials = append(s.trials, it)
	}
	s.failed, s.running = s.trials[4], s.trials[5]
	s.AddResource(s.sweep, core.Resource{Name: "confusion.png", Backend: "inline", SizeBytes: 2048, ContentHash: core.SHA256Hex([]byte("png"))})

	s.ablation = s.AddExperiment(s.vision, "augmentation ablation", "Each augmentation on its own; torch upgraded half-way")
	for i, aug := range []string{"none", "flip", "crop+flip", "randaugment"} {
		it := s.AddIteration(s.ablation, tuitest.Run{Status: core.IterationSucceeded, Took: time.Hour,
			Params: map[string]string{"augmentation": aug, "learning_rate": "0.05"}, Tags: []string{"ablation"}})
		s.curves(it, 240, 0.012+0.002*float64(i), 0.34-0.04*float64(i))
		torch, numpy := "2.4.1", "1.26.4"
		if i >= 2 {
			torch, numpy = "2.5.1", "2.1.3"
		}
		s.SetSnapshot(it, pythonSnapshot(torch, numpy, i, aug == "randaugment"))
		s.augment = append(s.augment, it)
	}

	s.nlp = s.AddProject("nlp", "Sentiment models in Julia", "nlp", "julia")
	s.tokenizer = s.AddExperiment(s.nlp, "tokenizer sweep", "BPE vocabulary sizes")
	for i, size := range []int{8000, 16000, 32000, 50000} {
		it := s.AddIteration(s.tokenizer, tuitest.Run{Status: core.IterationSucceeded, Took: time.Hour,
			Params: map[string]string{"vocab_size": fmt.Sprint(size), "tokenizer": "bpe"}})
		s.curves(it, 200, 0.015, 0.45-0.05*float64(i))
		flux := "0.14.22"
		if i >= 2 {
			flux = "0.14.25"
		}
		s.SetSnapshot(it, juliaSnapshot(flux, i))
		s.vocab = append(s.vocab, it)
	}

	s.forecasting = s.AddProject("forecasting", "Demand forecasting in Go", "timeseries", "go")
	s.boosting = s.AddExperiment(s.forecasting, "gradient boosting depth", "Tree depth against validation error")
	for depth := 3; depth <= 10; depth++ {
		it := s.AddIteration(s.boosting, tuitest.Run{Status: core.IterationSucceeded, Took: 10 * time.Minute,
			Params: map[string]string{"max_depth": fmt.Sprint(depth)}})
		s.curves(it, 120, 0.03, 0.2+0.02*math.Abs(float64(depth-6)))
		s.depth = append(s.depth, it)
	}
	s.holiday = s.AddExperiment(s.forecasting, "holiday features", "Not started yet")
	return s
}

// curves logs loss, accuracy and their validation twins, decaying from 2.3
// to floor at rate.
func (s *sample) curves(it *core.Iteration, steps int, rate, floor float64) {
	series := map[string][]float64{}
	for step := range steps {
		loss := floor + (2.3-floor)*math.Exp(-rate*float64(step))
		series["loss"] = append(series["loss"], loss)
		series["accuracy"] = append(series["accuracy"], 1-loss/2.6)
		series["val_loss"] = append(series["val_loss"], loss*1.08)
		series["val_accuracy"] = append(series["val_accuracy"], 1-loss*1.08/2.5)
	}
	for k, v := range series {
		s.Log(it, k, v...)
	}
	s.Log(it, "lr", 0.1, 0.05)
}

// commit is a git-like commit id whose first characters tell runs apart.
func commit(n int) string { return fmt.Sprintf("%08x%032x", 0xc0ffee00+n, n) }

func pythonSnapshot(torch, numpy string, n int, dirty bool) *core.Snapshot {
	snap := &core.Snapshot{
		CapturedAt: sampleStart, Runtime: "python", RuntimeVersion: "3.11.7", Runtimes: []core.Runtime{{Name: "python", Version: "3.11.7"}},
		Entrypoint: "train.py", Git: core.GitState{Commit: commit(n), Branch: "main"},
		Files: []core.SnapshotFile{
			core.NewSnapshotFile("pyproject.toml", "python", fmt.Appendf(nil, "[project]\nname = \"vision\"\ndependencies = [\n    \"torch==%s\",\n    \"numpy==%s\",\n]\n", torch, numpy)),
			core.NewSnapshotFile("uv.lock", "python", fmt.Appendf(nil, "version = 1\n\n[[package]]\nname = \"numpy\"\nversion = \"%s\"\n\n[[package]]\nname = \"torch\"\nversion = \"%s\"\n\n[[package]]\nname = \"typing-extensions\"\nversion = \"4.12.2\"\n", numpy, torch)),
		},
	}
	if dirty {
		snap.Git.Dirty = true
		snap.Git.Diff = []byte("diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-    return T.Compose([])\n+    return T.Compose([T.RandAugment()])\n")
	}
	return snap
}

func juliaSnapshot(flux string, n int) *core.Snapshot {
	return &core.Snapshot{
		CapturedAt: sampleStart, Runtime: "julia", RuntimeVersion: "1.11.5", Runtimes: []core.Runtime{{Name: "julia", Version: "1.11.5"}},
		Entrypoint: "train.jl", Git: core.GitState{Commit: commit(100 + n), Branch: "main"},
		Files: []core.SnapshotFile{
			core.NewSnapshotFile("Project.toml", "julia", []byte("name = \"Sentiment\"\n\n[deps]\nFlux = \"587475ba-b771-5e3f-ad9e-33799f191a9c\"\n")),
			core.NewSnapshotFile("Manifest.toml", "julia", fmt.Appendf(nil, "julia_version = \"1.11.5\"\nmanifest_format = \"2.0\"\n\n[[deps.Flux]]\nuuid = \"587475ba-b771-5e3f-ad9e-33799f191a9c\"\nversion = \"%s\"\n", flux)),
		},
	}
}

func coreFile(path, content string) core.SnapshotFile {
	return core.NewSnapshotFile(path, "", []byte(content))
}
