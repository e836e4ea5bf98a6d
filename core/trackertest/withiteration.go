package trackertest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// recorder is a Capturer that notes which iterations it was asked about.
type recorder struct {
	mu  sync.Mutex
	ids []string
	// bounded is set when a capture ran under a deadline.
	bounded bool
}

func (r *recorder) CaptureIteration(ctx context.Context, t core.Tracker, id string) error {
	r.mu.Lock()
	r.ids = append(r.ids, id)
	_, deadline := ctx.Deadline()
	r.bounded = r.bounded || deadline || ctx.Err() != nil
	r.mu.Unlock()
	return t.SetIterationEnvironment(ctx, id, core.EnvironmentSnapshot{Entrypoint: "captured"})
}

// deadline is a context whose deadline passes when passed is closed.
type deadline struct {
	context.Context
	passed chan struct{}
}

func (d *deadline) Deadline() (time.Time, bool) { return time.Now().Add(time.Hour), true }
func (d *deadline) Done() <-chan struct{}       { return d.passed }
func (d *deadline) Err() error {
	select {
	case <-d.passed:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func withIterationCases() []testCase {
	return []testCase{
		testCase{"Succeeds", func(h *H) {
			_, e, _ := h.Run()
			var seen *core.Iteration
			err := core.WithIteration(h.Ctx, h.Tracker, e, func(ctx context.Context, it *core.Iteration) error {
				seen = it
				_, err := h.Tracker.LogMetric(ctx, it.ID, core.MetricInput{Key: "loss", Value: 0.1})
				return err
			})
			h.Must(err)
			Equal(h, "status seen by the body", seen.Status, core.IterationRunning)
			Equal(h, "body saw no end", seen.Ended(), false)
			it, err := h.Tracker.GetIteration(h.Ctx, seen.ID)
			h.Must(err)
			Equal(h, "status", it.Status, core.IterationSucceeded)
			Equal(h, "ended", it.Ended(), true)
			Equal(h, "error message", it.ErrorMessage, "")
		}},
		testCase{"FailsWithTheErrorText", func(h *H) {
			_, e, _ := h.Run()
			boom := errors.New("boom")
			var id string
			err := core.WithIteration(h.Ctx, h.Tracker, e, func(ctx context.Context, it *core.Iteration) error {
				id = it.ID
				return boom
			})
			if !errors.Is(err, boom) {
				h.Fatalf("error = %v, want the body's", err)
			}
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "status", it.Status, core.IterationFailed)
			Equal(h, "ended", it.Ended(), true)
			if !strings.Contains(it.ErrorMessage, "boom") {
				h.Fatalf("error message %q lacks the error", it.ErrorMessage)
			}
		}},
		testCase{"PanicIsRecordedAndReraised", func(h *H) {
			_, e, _ := h.Run()
			var id string
			func() {
				defer func() {
					if r := recover(); r != "kaput" {
						h.Fatalf("recovered %v, want the original panic", r)
					}
				}()
				_ = core.WithIteration(h.Ctx, h.Tracker, e, func(ctx context.Context, it *core.Iteration) error {
					id = it.ID
					panic("kaput")
				})
			}()
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "status", it.Status, core.IterationFailed)
			if !strings.Contains(it.ErrorMessage, "kaput") {
				h.Fatalf("error message %q lacks the panic", it.ErrorMessage)
			}
		}},
		testCase{"CancelledIsKilled", func(h *H) {
			_, e, _ := h.Run()
			ctx, cancel := context.WithCancel(h.Ctx)
			var id string
			err := core.WithIteration(ctx, h.Tracker, e, func(ctx context.Context, it *core.Iteration) error {
				id = it.ID
				cancel()
				return ctx.Err()
			})
			if !errors.Is(err, context.Canceled) {
				h.Fatalf("error = %v", err)
			}
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "status", it.Status, core.IterationKilled)
		}},
		testCase{"PastItsDeadlineIsKilled", func(h *H) {
			// A run stopped by its deadline was killed, not failed; and
			// the capture at its start does not run on that deadline.
			// The deadline passes once the run is under way, however long
			// creating it took on a busy machine.
			_, e, _ := h.Run()
			ctx := &deadline{Context: h.Ctx, passed: make(chan struct{})}
			rec := &recorder{}
			var id string
			err := core.WithIteration(ctx, h.Tracker, e, func(_ context.Context, it *core.Iteration) error {
				id = it.ID
				close(ctx.passed)
				return ctx.Err()
			}, core.WithCapturer(rec))
			if !errors.Is(err, context.DeadlineExceeded) {
				h.Fatalf("error = %v", err)
			}
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "status", it.Status, core.IterationKilled)
			Equal(h, "ended", it.Ended(), true)
			Equal(h, "captured under the caller's deadline", rec.bounded, false)
		}},
		testCase{"ChildrenAndCapture", func(h *H) {
			_, e, _ := h.Run()
			rec := &recorder{}
			var driver, child, forced string
			h.Must(core.WithIteration(h.Ctx, h.Tracker, e, func(ctx context.Context, it *core.Iteration) error {
				driver = it.ID
				if err := core.WithIteration(ctx, h.Tracker, e, func(ctx context.Context, c *core.Iteration) error {
					child = c.ID
					return nil
				}, core.WithParent(it.ID), core.WithCapturer(rec)); err != nil {
					return err
				}
				return core.WithIteration(ctx, h.Tracker, e, func(ctx context.Context, c *core.Iteration) error {
					forced = c.ID
					return nil
				}, core.WithParent(it.ID), core.WithCapturer(rec), core.WithSnapshot(true))
			}, core.WithCapturer(rec), core.WithNotes("sweep")))
			Equal(h, "captured", strings.Join(rec.ids, ","), driver+","+forced)
			c, err := h.Tracker.GetIteration(h.Ctx, child)
			h.Must(err)
			Equal(h, "child's parent", c.ParentID, driver)
			Equal(h, "child status", c.Status, core.IterationSucceeded)
			Equal(h, "child not captured", c.Environment.Entrypoint, "")
			d, err := h.Tracker.GetIteration(h.Ctx, driver)
			h.Must(err)
			Equal(h, "driver captured", d.Environment.Entrypoint, "captured")
			Equal(h, "notes", d.Notes, "sweep")
			rec.ids = nil
			h.Must(core.WithIteration(h.Ctx, h.Tracker, e, func(context.Context, *core.Iteration) error { return nil },
				core.WithCapturer(rec), core.WithSnapshot(false)))
			Equal(h, "capture turned off", len(rec.ids), 0)
		}},
		testCase{"BodyMayEndTheIteration", func(h *H) {
			_, e, _ := h.Run()
			var id string
			h.Must(core.WithIteration(h.Ctx, h.Tracker, e, func(ctx context.Context, it *core.Iteration) error {
				id = it.ID
				return h.Tracker.UpdateIteration(ctx, it.ID, core.IterationUpdate{Status: new(core.IterationKilled)})
			}))
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "the body's ending stands", it.Status, core.IterationKilled)
		}},
		testCase{"ClosedExperimentRunsNothing", func(h *H) {
			_, e, _ := h.Run()
			h.Must(h.Tracker.UpdateExperiment(h.Ctx, e, core.ExperimentUpdate{Status: new(core.ExperimentStopped)}))
			ran := false
			err := core.WithIteration(h.Ctx, h.Tracker, e, func(context.Context, *core.Iteration) error {
				ran = true
				return nil
			})
			h.Code(err, core.EInvalid)
			Equal(h, "body ran", ran, false)
			_, total, err := h.Tracker.ListIterations(h.Ctx, core.IterationFilter{ExperimentID: e})
			h.Must(err)
			Equal(h, "iterations", total, 1)
		}},
	}
}
