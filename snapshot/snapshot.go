// Package snapshot captures the environment that produced a run (toolchain
// versions, git state with the uncommitted diff, and every lock or manifest
// file of the Julia, Go, Python, Rust and Node ecosystems, verbatim) and
// restores it byte for byte into a fresh directory months later. It knows
// files and git, not the database: a core.Tracker stores the core.Snapshot.
//
// A Go program gets its driver iterations captured by passing
// CaptureWorkingDir() to core.WithIteration.
package snapshot

import (
	"context"
	"os"

	"github.com/deardiary/deardiary-go/core"
)

// CaptureWorkingDir is the core.WithIteration option that records the
// environment of the running Go program for the iteration: the working
// directory's git state and lock files, and Go's version. Driver iterations
// are captured and children are not, unless core.WithSnapshot says
// otherwise.
//
//	err := core.WithIteration(ctx, tracker, experimentID, train, snapshot.CaptureWorkingDir())
func CaptureWorkingDir() core.IterationOption {
	return core.WithCapturer(Capturer{Options: Options{Runtime: "go"}})
}

// Capturer implements core.Capturer: it captures a directory (the working
// directory unless Dir is set) and stores the snapshot for the iteration.
type Capturer struct {
	Dir string
	Options
}

// CaptureIteration implements core.Capturer.
func (c Capturer) CaptureIteration(ctx context.Context, t core.Tracker, iterationID string) error {
	dir := c.Dir
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return err
		}
	}
	snap := Capture(ctx, dir, c.Options)
	snap.IterationID = iterationID
	return t.SaveSnapshot(ctx, iterationID, snap)
}
