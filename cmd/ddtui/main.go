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
	"io/fs"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/daemon"
	"github.com/deardiary/deardiary-go/tui"
	"github.com/deardiary/deardiary-go/tui/demo"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// options are ddtui's flags, with the environment as defaults.
type options struct {
	file, server, user, password, token, restoreDir string
	demo                                            bool
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ddtui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.server, "server", getenv("DEARDIARY_URL"), "URL of a running ddd to browse (DEARDIARY_URL)")
	fs.StringVar(&o.user, "user", getenv("DEARDIARY_USER"), "username, when ddd requires auth (DEARDIARY_USER)")
	fs.StringVar(&o.password, "password", getenv("DEARDIARY_PASSWORD"), "password (DEARDIARY_PASSWORD)")
	fs.StringVar(&o.token, "token", getenv("DEARDIARY_TOKEN"), "a token instead of a password (DEARDIARY_TOKEN)")
	fs.StringVar(&o.restoreDir, "restore-dir", "restore", "where restores go by default")
	fs.BoolVar(&o.demo, "demo", false, "build a demo database in a new temporary directory and open it")
	fs.Usage = func() {
		fmt.Fprint(stderr, "ddtui: browse, compare and restore DearDiary runs in the terminal\n\n"+
			"Usage:\n  ddtui [FILE.db]      a database file, opened read-only (default: DEARDIARY_DB_FILE or ./deardiary.db)\n"+
			"  ddtui --server URL   a running ddd\n  ddtui --demo         a demo database\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch fs.NArg() {
	case 0:
		o.file = getenv("DEARDIARY_DB_FILE")
		if o.file == "" {
			o.file = "deardiary.db"
		}
	case 1:
		o.file = fs.Arg(0)
	default:
		return o, fmt.Errorf("give one database file, not %d", fs.NArg())
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
	tracker, source, live, err := open(o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "ddtui:", err)
		return 1
	}
	defer tracker.Close()
	app := tui.New(&tui.Context{Tracker: tracker, Source: source, Live: live, RestoreDir: o.restoreDir, Notice: notice(tracker)})
	if _, err := tea.NewProgram(app).Run(); err != nil {
		fmt.Fprintln(stderr, "ddtui:", err)
		return 1
	}
	if o.demo {
		fmt.Fprintf(stdout, "The demo database stays at %s; open it again with: ddtui %s\n", source, source)
	}
	return 0
}

// open finds the tracker the flags ask for, explaining plainly what went
// wrong: a file that is missing or held by ddd, a daemon that does not
// answer or refuses the credentials.
func open(o options, stdout io.Writer) (core.Tracker, string, bool, error) {
	ctx := context.Background()
	if o.server != "" {
		c, err := daemon.Connect(ctx, o.server, daemon.Options{Username: o.user, Password: o.password, Token: o.token})
		if err != nil {
			return nil, "", false, fmt.Errorf("%s\n(is ddd running there? start it with: ddd --db FILE.db)", core.ErrorMessageOrText(err))
		}
		return c, c.URL(), true, nil
	}
	path := o.file
	if o.demo {
		dir, err := os.MkdirTemp("", "ddtui-demo-")
		if err != nil {
			return nil, "", false, err
		}
		path = filepath.Join(dir, "demo.db")
		fmt.Fprintf(stdout, "Building a demo database at %s…\n", path)
		if err := buildDemo(ctx, path); err != nil {
			return nil, "", false, fmt.Errorf("building the demo: %w", err)
		}
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, "", false, fmt.Errorf("there is no database at %s\n(give a FILE.db, connect with --server URL, or try ddtui --demo)", path)
	}
	store, err := duckdb.Open(path, duckdb.ReadOnly())
	if errors.Is(err, duckdb.ErrLocked) {
		return nil, "", false, fmt.Errorf("%s is in use by another process, most likely ddd serving it.\n"+
			"A DuckDB file cannot be opened while another process writes it; connect to the daemon instead:\n"+
			"  ddtui --server http://127.0.0.1:9000", path)
	}
	if err != nil {
		return nil, "", false, errors.New(core.ErrorMessageOrText(err))
	}
	return store, path, false, nil
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

func buildDemo(ctx context.Context, path string) error {
	store, err := duckdb.Open(path)
	if err != nil {
		return err
	}
	if err := demo.Build(ctx, store); err != nil {
		store.Close()
		return err
	}
	return store.Close()
}
