package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/deardiary/deardiary-go/cmd/internal/connect"
	"github.com/deardiary/deardiary-go/cmd/internal/termtext"
	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/snapshot"
)

// SnapshotMain is `ddd snapshot --iteration ID [--dir DIR]`: it captures a
// directory's environment into an existing iteration. It returns the exit
// status.
func SnapshotMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, storeOpts ...duckdb.Option) int {
	var (
		conn                    connect.Flags
		iteration, dir, command string
		force                   bool
	)
	fs := flag.NewFlagSet("ddd snapshot", flag.ContinueOnError)
	fs.SetOutput(termtext.NewWriter(stderr))
	conn.Register(fs, getenv)
	fs.StringVar(&iteration, "iteration", getenv("DEARDIARY_ITERATION_ID"), "the iteration to give the snapshot (DEARDIARY_ITERATION_ID)")
	fs.StringVar(&dir, "dir", ".", "the directory to capture: its git repository, or the directory itself")
	fs.StringVar(&command, "entrypoint", "", "what the run executes, e.g. \"python train.py\" (the restore's last step)")
	fs.BoolVar(&force, "force", false, "replace an existing snapshot, or give an ended iteration one")
	fs.Usage = func() {
		fmt.Fprint(stderr, "ddd snapshot: capture a directory's environment into an iteration\n\n"+
			"Usage: ddd snapshot [--server URL | --db FILE] --iteration ID [--dir DIR]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseAll(fs, args, 0); err != nil {
		return usageStatus(err, stderr, "ddd snapshot")
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "ddd snapshot:", termtext.Text(core.ErrorMessageOrText(err)))
		return 1
	}
	if iteration == "" {
		return fail(core.Invalid("name the iteration: --iteration ID"))
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fail(core.Invalid("%s is not a directory", dir))
	}
	t, err := conn.Open(ctx, connect.Options{StoreOptions: storeOpts})
	if err != nil {
		return fail(err)
	}
	defer t.Close()
	it, err := t.GetIteration(ctx, iteration)
	if core.IsNotFound(err) {
		return fail(core.Errorf(core.ENotFound, "there is no iteration %q", iteration))
	}
	if err != nil {
		return fail(err)
	}
	if !force {
		if it.Status != core.IterationRunning {
			return fail(&core.Error{Code: core.EInvalid, Err: core.ErrIterationLocked, Message: fmt.Sprintf("iteration %s has ended (%s): its snapshot records what produced it. Pass --force to replace it anyway", iteration, it.Status)})
		}
		if old, err := t.GetSnapshot(ctx, iteration); err == nil {
			return fail(core.Errorf(core.EConflict, "iteration %s already has a snapshot, captured %s. Pass --force to replace it", iteration, old.CapturedAt.Format("2006-01-02 15:04:05 MST")))
		} else if !core.IsNotFound(err) {
			return fail(err)
		}
	}
	opts := snapshot.Options{}
	if command != "" {
		opts = snapshot.CommandOptions(strings.Fields(command))
		opts.Entrypoint = command
	}
	snap := snapshot.Capture(ctx, dir, opts)
	snap.IterationID = iteration
	if err := t.SaveSnapshot(ctx, iteration, snap); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "Captured %s into iteration %s\n", termtext.Line(describeSnapshot(snap)), termtext.Line(iteration))
	for _, note := range snap.Notes {
		fmt.Fprintln(stdout, "  note:", termtext.Line(note))
	}
	return 0
}

// describeSnapshot says in a line what a capture holds.
func describeSnapshot(s *core.Snapshot) string {
	var parts []string
	parts = append(parts, fmt.Sprintf("%d files of %s", len(s.Files), s.Root))
	for _, r := range s.Runtimes {
		parts = append(parts, strings.TrimSpace(r.Name+" "+r.Version))
	}
	if s.Git.Commit != "" {
		commit := "commit " + s.Git.Commit[:min(12, len(s.Git.Commit))]
		if s.Git.Dirty {
			commit += " (dirty)"
		}
		parts = append(parts, commit)
	}
	return strings.Join(parts, ", ")
}

// RestoreMain is `ddd restore ID [--dir DEPOT]`: it writes an iteration's
// captured environment into DEPOT/iteration_ID and prints what to run next.
func RestoreMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, storeOpts ...duckdb.Option) int {
	var (
		conn       connect.Flags
		depot, dir string
		force      bool
	)
	fs := flag.NewFlagSet("ddd restore", flag.ContinueOnError)
	fs.SetOutput(termtext.NewWriter(stderr))
	conn.Register(fs, getenv)
	fs.StringVar(&depot, "dir", "restore", "restore into DIR/iteration_<id>")
	fs.StringVar(&dir, "into", "", "restore into exactly this directory instead")
	fs.BoolVar(&force, "force", false, "write into an existing directory, replacing files there")
	fs.Usage = func() {
		fmt.Fprint(stderr, "ddd restore: write an iteration's captured environment back, byte for byte\n\n"+
			"Usage: ddd restore [--server URL | --db FILE] ITERATION_ID [--dir DEPOT]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseAll(fs, args, 1); err != nil {
		return usageStatus(err, stderr, "ddd restore")
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "ddd restore:", termtext.Text(core.ErrorMessageOrText(err)))
		return 1
	}
	t, err := conn.Open(ctx, connect.Options{ReadOnly: true, StoreOptions: storeOpts})
	if err != nil {
		return fail(err)
	}
	defer t.Close()
	id := fs.Arg(0)
	if _, err := t.GetIteration(ctx, id); core.IsNotFound(err) {
		return fail(core.Errorf(core.ENotFound, "there is no iteration %q", id))
	}
	res, err := snapshot.RestoreIteration(ctx, t, id, depot, snapshot.RestoreOptions{Dir: dir, Force: force})
	var (
		notEmpty  *snapshot.NotEmptyError
		inherited *snapshot.InheritedError
	)
	switch {
	case errors.As(err, &notEmpty):
		return fail(fmt.Errorf("%s already exists and is not empty. Restore elsewhere (--dir DEPOT, or --into DIR), "+
			"or pass --force to write into it, replacing the files the snapshot holds", notEmpty.Dir))
	case errors.As(err, &inherited):
		return fail(fmt.Errorf("%s: ddd restore %s", inherited, inherited.From))
	case err != nil:
		return fail(err)
	}
	// Most of a result is the snapshot's uploader's text: one line each,
	// without control characters.
	fmt.Fprintf(stdout, "Restored %d files into %s\n", len(res.Files), termtext.Line(res.Dir))
	for _, f := range res.Files {
		fmt.Fprintln(stdout, "  "+termtext.Line(f))
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintln(stdout, "Not captured (too large):", termtext.Line(strings.Join(res.Skipped, ", ")))
	}
	fmt.Fprintln(stdout, "\nNext:")
	for _, step := range res.Next {
		fmt.Fprintf(stdout, "  %s\n      %s\n", termtext.Line(step.Command), termtext.Line(step.Why))
	}
	return 0
}

// parseAll parses flags wherever they stand among exactly want positional
// arguments (the flag package stops at the first one).
func parseAll(fs *flag.FlagSet, args []string, want int) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != want {
		if want == 0 {
			return fmt.Errorf("unexpected argument %q", positional[0])
		}
		return fmt.Errorf("give %d argument(s), not %d: %q", want, len(positional), positional)
	}
	return fs.Parse(positional) // leaves them in fs.Args
}

// usageStatus reports a bad command line: 0 for --help, 2 otherwise.
func usageStatus(err error, stderr io.Writer, name string) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, name+":", termtext.Text(err.Error()))
	return 2
}
