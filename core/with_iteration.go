package core

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
)

// Capturer records the environment of the running process (toolchain, git
// state, lock files) for an iteration. The snapshot package provides one
// (snapshot.CaptureWorkingDir); core itself does no I/O, so WithIteration
// captures only when given one. A Capturer should not fail a run:
// WithIteration ignores its error.
type Capturer interface {
	CaptureIteration(ctx context.Context, t Tracker, iterationID string) error
}

type iterationConfig struct {
	parentID string
	notes    string
	snapshot *bool
	capturer Capturer
	patience time.Duration
}

// IterationOption configures WithIteration.
type IterationOption func(*iterationConfig)

// WithParent makes the iteration a child of the given iteration.
func WithParent(iterationID string) IterationOption {
	return func(c *iterationConfig) { c.parentID = iterationID }
}

// WithNotes sets the new iteration's notes.
func WithNotes(notes string) IterationOption {
	return func(c *iterationConfig) { c.notes = notes }
}

// WithSnapshot forces environment capture on or off. By default driver
// iterations (no parent) are captured and children are not, when a
// Capturer is given.
func WithSnapshot(on bool) IterationOption {
	return func(c *iterationConfig) { c.snapshot = &on }
}

// WithCapturer sets the Capturer that records the environment.
func WithCapturer(cp Capturer) IterationOption {
	return func(c *iterationConfig) { c.capturer = cp }
}

// WithEndRetry keeps retrying the final status write for up to d while the
// tracker cannot be reached, for a run that outlives a daemon restart. By
// default it gives up after a few attempts within about two seconds.
func WithEndRetry(d time.Duration) IterationOption {
	return func(c *iterationConfig) { c.patience = d }
}

// finaliseAttempts is the least number of tries of the final status write,
// so a brief outage of a daemon does not leave a RUNNING row behind.
const finaliseAttempts = 4

// WithIteration creates an iteration of the experiment, captures its
// environment (see WithSnapshot), and runs fn. It then ends the iteration:
// SUCCEEDED when fn returns nil; KILLED when fn returns an error of its
// context ending (cancelled, or past its deadline); FAILED otherwise, with
// the error text as the error message. A panic in fn is recorded as FAILED
// with its value and stack, then re-raised.
//
// If the iteration cannot be created, fn does not run. WithIteration returns
// fn's error, joined with the error of the final status write if that failed
// too. If fn ended the iteration itself (gave it an end date), that ending
// stands; if it only set a status, the status stands and WithIteration adds
// the end date.
func WithIteration(ctx context.Context, t Tracker, experimentID string, fn func(ctx context.Context, it *Iteration) error, opts ...IterationOption) error {
	var cfg iterationConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	id, err := t.CreateIteration(ctx, IterationCreate{ExperimentID: experimentID, ParentID: cfg.parentID, Notes: cfg.notes})
	if err != nil {
		return fmt.Errorf("could not create an iteration of experiment %q: %w", experimentID, err)
	}
	capture := cfg.parentID == ""
	if cfg.snapshot != nil {
		capture = *cfg.snapshot
	}
	if capture && cfg.capturer != nil {
		// Recording the environment is part of starting the run, not of
		// the work the caller's deadline bounds.
		_ = cfg.capturer.CaptureIteration(context.WithoutCancel(ctx), t, id)
	}

	var fnErr error
	it, err := t.GetIteration(ctx, id)
	if err != nil {
		fnErr = fmt.Errorf("could not read back iteration %q: %w", id, err)
	} else {
		var panicked any
		fnErr, panicked = runGuarded(ctx, it, fn)
		if panicked != nil {
			_ = finalise(ctx, t, id, fnErr, cfg.patience)
			panic(panicked)
		}
	}
	if err := finalise(ctx, t, id, fnErr, cfg.patience); err != nil {
		return errors.Join(fnErr, fmt.Errorf("could not record the end of iteration %q: %w", id, err))
	}
	return fnErr
}

// runGuarded calls fn and turns a panic into an error describing it, returning
// the panic value too so the caller can re-raise it after recording.
func runGuarded(ctx context.Context, it *Iteration, fn func(context.Context, *Iteration) error) (err error, panicked any) {
	defer func() {
		if r := recover(); r != nil {
			panicked = r
			err = fmt.Errorf("panic: %v\n\n%s", r, debug.Stack())
		}
	}()
	return fn(ctx, it), nil
}

// finalise records how the run ended, trying at least finaliseAttempts times
// and for at least patience. It uses a context that outlives a cancelled ctx,
// since a cancelled run must still be recorded as KILLED.
func finalise(ctx context.Context, t Tracker, id string, fnErr error, patience time.Duration) error {
	ctx = context.WithoutCancel(ctx)
	status, message := IterationSucceeded, ""
	switch {
	case errors.Is(fnErr, context.Canceled), errors.Is(fnErr, context.DeadlineExceeded):
		status, message = IterationKilled, fnErr.Error()
	case fnErr != nil:
		status, message = IterationFailed, fnErr.Error()
	}
	// An error's text may hold any bytes; the record must still be written.
	message = strings.ToValidUTF8(message, "\uFFFD")
	var err error
	deadline := time.Now().Add(patience)
	for attempt := 0; attempt < finaliseAttempts || time.Now().Before(deadline); attempt++ {
		if attempt > 0 {
			time.Sleep(min(time.Duration(attempt)*250*time.Millisecond, 5*time.Second))
		}
		end := time.Now()
		upd := IterationUpdate{Status: &status, EndDate: &end, ErrorMessage: &message}
		if it, gerr := t.GetIteration(ctx, id); gerr == nil && it.Status != IterationRunning {
			upd = IterationUpdate{EndDate: &end} // fn set the status: it stands
		}
		err = t.UpdateIteration(ctx, id, upd)
		if err == nil || errors.Is(err, ErrIterationLocked) {
			return nil
		}
		if code := ErrorCode(err); code != EInternal {
			return err // a definite answer such as NOT_FOUND: retrying cannot help
		}
	}
	return err
}
