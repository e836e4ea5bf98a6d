// Command ddd is the DearDiary daemon: a REST server, wire-compatible with
// DearDiary.jl, that owns one DuckDB file and takes writes from many clients.
//
//	ddd [flags]        serve (see ddd --help for every setting)
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
	"github.com/deardiary/deardiary-go/daemon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// run serves until ctx ends (SIGINT or SIGTERM), then shuts down gracefully:
// no new connections, requests in flight finish, queued writes commit.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	m := daemon.NewMain(stderr)
	if err := m.ParseFlags(args, getenv, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "ddd:", core.ErrorMessageOrText(err))
		return 2
	}
	if err := m.Run(ctx); err != nil {
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
