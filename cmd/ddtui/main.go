// Command ddtui is DearDiary's terminal explorer.
//
//	ddtui [FILE.db]                 open a database read-only (default ./deardiary.db)
//	ddtui --server URL              browse a running ddd
//	ddtui --demo                    build a demo database and open it
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/deardiary/deardiary-go/cmd/internal/connect"
	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/tui"
	"github.com/deardiary/deardiary-go/tui/demo"
)

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(tui.GoMemoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// options are ddtui's flags, with the environment as defaults.
type options struct {
	conn        connect.Flags
	restoreDir  string
	demo        bool
	refresh     time.Duration
	lowerBetter string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ddtui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.conn.Register(fs, getenv)
	fs.StringVar(&o.restoreDir, "restore-dir", "restore", "where restores go by default")
	fs.BoolVar(&o.demo, "demo", false, "build a demo database in a new temporary directory and open it")
	fs.DurationVar(&o.refresh, "refresh", tui.LiveInterval, "how often the screen on top reloads what may have changed (0: only when r is pressed)")
	fs.StringVar(&o.lowerBetter, "lower-better", "", "metric keys that are best when lowest, for compare's stars, as comma-separated parts of\n"+
		"their names (losses, errors and times already are); +part makes keys best when highest")
	fs.Usage = func() {
		fmt.Fprint(stderr, "ddtui: browse, compare and restore DearDiary runs in the terminal\n\n"+
			"Usage:\n  ddtui [FILE.db]      a database file, opened read-only (default: DEARDIARY_DB_FILE or ./deardiary.db)\n"+
			"  ddtui --server URL   a running ddd\n  ddtui --demo         a demo database\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 1:
		return o, fmt.Errorf("give one database file, not %d", fs.NArg())
	case fs.NArg() == 1 && o.conn.DB != "":
		return o, fmt.Errorf("give the database as an argument or with --db, not both")
	case fs.NArg() == 1:
		o.conn.DB = fs.Arg(0)
	}
	return o, nil
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "ddtui:", err)
		return 2
	}
	conn, err := open(o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "ddtui:", err)
		return 1
	}
	defer conn.Close()
	app := tui.New(appContext(o, conn))
	if _, err := tea.NewProgram(app).Run(); err != nil {
		fmt.Fprintln(stderr, "ddtui:", err)
		return 1
	}
	if o.demo {
		fmt.Fprintf(stdout, "The demo database stays at %s; open it again with: ddtui %s\n", conn.Source, conn.Source)
	}
	return 0
}

// appContext is the app's shared context for a connection: live refresh on a
// daemon and on a file alike (both read through tui.Store), and the ddd
// flags that reach the same data, for the restore commands ddtui copies.
func appContext(o options, conn *connect.Conn) *tui.Context {
	ctx := &tui.Context{Store: conn, Source: conn.Source, Live: o.refresh > 0, Refresh: o.refresh,
		RestoreDir: o.restoreDir, Notice: notice(conn.Tracker)}
	if conn.Client != nil {
		ctx.Reach = []string{"--server", conn.Source}
	} else if abs, err := filepath.Abs(conn.Source); err == nil {
		ctx.Reach = []string{"--db", abs}
	}
	if o.lowerBetter != "" {
		ctx.LowerIsBetter = tui.LowerIsBetterKeys(strings.Split(o.lowerBetter, ","))
	}
	return ctx
}

// open finds the tracker the flags ask for: a daemon, a file opened
// read-only, or a demo database built first.
func open(o options, stdout io.Writer) (*connect.Conn, error) {
	ctx := context.Background()
	if o.demo {
		dir, err := os.MkdirTemp("", "ddtui-demo-")
		if err != nil {
			return nil, err
		}
		o.conn.Server, o.conn.DB = "", filepath.Join(dir, "demo.db")
		fmt.Fprintf(stdout, "Building a demo database at %s…\n", o.conn.DB)
		if err := buildDemo(ctx, o.conn.DB); err != nil {
			return nil, fmt.Errorf("building the demo: %w", err)
		}
	}
	return o.conn.Open(ctx, connect.Options{ReadOnly: true, DefaultDB: "deardiary.db",
		MissingHint:  "give a FILE.db, connect with --server URL, or try ddtui --demo",
		StoreOptions: []duckdb.Option{duckdb.WithMemoryLimit(tui.FileMemoryLimit)}})
}

// notice is what ddtui says as it starts about the data it shows: a file
// whose last writer stopped before committing its latest points lacks them
// until a writable open replays its journal.
func notice(t core.Tracker) string {
	store, ok := t.(*duckdb.Store)
	if !ok {
		return ""
	}
	n := store.UnreplayedPoints()
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d points from before the last writer stopped are only in %s; they show once ddd opens the file",
		n, filepath.Base(duckdb.JournalPath(store.Path())))
}

// buildDemo writes the demo on a clock that starts eight hours ago, so that
// its runs have their real lengths and all but the running one ended
// before the file was written.
func buildDemo(ctx context.Context, path string) error {
	clock := demo.NewClock(time.Now().Add(-8 * time.Hour))
	store, err := duckdb.Open(path, duckdb.WithClock(clock.Now))
	if err != nil {
		return err
	}
	if err := demo.BuildWithClock(ctx, store, clock); err != nil {
		store.Close()
		return err
	}
	return store.Close()
}
