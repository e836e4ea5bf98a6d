// Package snapshot captures the environment that produced a run (toolchain
// versions, git state with the uncommitted diff, and every lock or manifest
// file of the Julia, Go, Python, Rust and Node ecosystems, verbatim) and
// restores it byte for byte into a fresh directory months later. It knows
// files and git, not the database: a core.Tracker stores the core.Snapshot.
//
// Importing the package installs a core.DefaultCapturer, so core.WithIteration
// captures every driver iteration of a Go program.
package snapshot

import (
	"context"
	"os"

	"github.com/deardiary/deardiary-go/core"
)

func init() {
	if core.DefaultCapturer == nil {
		core.DefaultCapturer = Capturer{Options: Options{Runtime: "go"}}
	}
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
