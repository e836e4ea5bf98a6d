// Command ddd is the DearDiary daemon: a REST server, wire-compatible with
// DearDiary.jl, that owns one DuckDB file and takes writes from many clients,
// and the tools that track any command line with it.
//
//	ddd [flags]                                   serve (see ddd --help for every setting)
//	ddd run --project P --experiment E -- CMD...  track one run of a command
//	ddd snapshot --iteration ID [--dir DIR]        capture a directory into an iteration
//	ddd restore ID [--dir DEPOT]                   write an iteration's environment back
//	ddd copy FROM TO                               copy a whole store (DuckDB file or PostgreSQL) into an empty one
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/deardiary/deardiary-go/core"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "run":
			os.Exit(runCommand(args[1:], os.Getenv))
		case "snapshot":
			os.Exit(SnapshotMain(context.Background(), args[1:], os.Getenv, os.Stdout, os.Stderr))
		case "restore":
			os.Exit(RestoreMain(context.Background(), args[1:], os.Getenv, os.Stdout, os.Stderr))
		case "copy":
			// An interrupted copy stops between batches and finishes when
			// run again.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := CopyMain(ctx, args[1:], os.Getenv, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, args, os.Getenv, os.Stderr))
}

// runCommand is ddd run: SIGINT and SIGTERM go to the command, not to ddd.
func runCommand(args []string, getenv func(string) string) int {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	r, err := ParseRunFlags(args, getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddd run:", core.ErrorMessageOrText(err))
		return ExitRunError
	}
	r.Stdin, r.Stdout, r.Stderr, r.Signals = os.Stdin, os.Stdout, os.Stderr, signals
	return r.Run(context.Background())
}

// run serves until ctx ends (SIGINT or SIGTERM), then shuts down gracefully:
// no new connections, requests in flight finish, queued writes commit.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	m := NewMain(stderr)
	if err := m.ParseFlags(args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "ddd:", core.ErrorMessageOrText(err))
		return 2
	}
	if err := m.Run(ctx); err != nil {
		_ = m.logs.Flush() // what it logged before it failed comes first
		fmt.Fprintln(stderr, "ddd:", core.ErrorMessageOrText(err))
		return 1
	}
	served := make(chan error, 1)
	go func() { served <- m.Wait() }()
	var err error
	select {
	case <-ctx.Done():
		m.Log.Info("shutting down")
	case err = <-served:
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(stderr, "ddd:", err)
		return 1
	}
	return 0
}
