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
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/cmd/internal/connect"
	"github.com/deardiary/deardiary-go/cmd/internal/termtext"
	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
	"github.com/deardiary/deardiary-go/core/duckdb"
)

// Copy is `ddd copy FROM TO`: it copies a whole store into an empty one,
// a DuckDB file (DearDiary.jl's included) or a PostgreSQL database either
// way, with ids and timestamps as they are (integer ids become UUIDs in a
// UUID store, with a mapping written beside it). See docs/copy.md.
type Copy struct {
	From, To string
	// Append copies into a target that holds data already.
	Append bool
	// IDs are the ids of a new DuckDB target: "uuid", "integer", or ""
	// for the source's.
	IDs string
	// IDMap is where the mapping of changed ids goes; empty for the
	// default, beside the target file (or the source file).
	IDMap string
	// CopyFiles copies the bytes of file-backed resources into the
	// target's backend even where the target could read the files.
	CopyFiles bool
	// Artifacts is the target's artifact backend, for bytes copied out of
	// files (DEARDIARY_ARTIFACT_*).
	Artifacts artifact.Config
	// MemoryLimit caps DuckDB's buffer memory in the DuckDB stores.
	MemoryLimit string
	// Batch, when set, is how many rows go in one transaction (default
	// 10,000; points 25,000).
	Batch int
	// BcryptCost, when set, is the cost of the hash of a default user a
	// new target seeds before the copy replaces it (tests lower it).
	BcryptCost int
	// Stdout gets the result, Stderr the progress.
	Stdout, Stderr io.Writer
	// AfterBatch, when set, is called after each batch commits.
	AfterBatch func(table string, rows int64)
}

// CopyMain is ddd copy's command line; it returns the exit status.
func CopyMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &Copy{Stdout: stdout, Stderr: stderr}
	fs := flag.NewFlagSet("ddd copy", flag.ContinueOnError)
	fs.SetOutput(termtext.NewWriter(stderr))
	fs.BoolVar(&c.Append, "append", false, "copy into a store that holds data already (rows keep their ids; users and tags it has already are matched by name)")
	fs.StringVar(&c.IDs, "ids", "", "the ids of a new DuckDB file: uuid, or integer (only from a file with integer ids); default: the source's")
	fs.StringVar(&c.IDMap, "idmap", "", "where to write the mapping of ids that change (default: TO.idmap.csv beside a file, else FROM.idmap.csv)")
	fs.BoolVar(&c.CopyFiles, "copy-files", false, "copy the bytes of file-backed resources into the target's artifact backend even where it could read the files")
	fs.IntVar(&c.Batch, "batch", 0, "rows per transaction in the target (default 10,000, points 25,000)")
	envFile := fs.String("env-file", "", "read DEARDIARY_* settings from this file (KEY=VALUE lines)")
	values := map[string]*string{}
	for _, s := range Settings {
		if strings.HasPrefix(s.Env, "DEARDIARY_ARTIFACT_") || s.Env == "DEARDIARY_DB_MEMORY_LIMIT" {
			values[s.Flag] = fs.String(s.Flag, "", fmt.Sprintf("%s (%s, default %s)", s.Help, s.Env, or(s.Default, "none")))
		}
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, "ddd copy: copy a whole store into an empty one, between DuckDB files and PostgreSQL\n\n"+
			"Usage: ddd copy [flags] FROM TO\n\n"+
			"FROM and TO are each a DuckDB file or a postgres:// URL; TO may be a new file. Every row moves with\n"+
			"its id and timestamps, except that integer ids (DearDiary.jl 0.9.1's) become UUIDs in a UUID store,\n"+
			"with a mapping of old to new written beside it. An interrupted copy finishes when run again.\n"+
			"The artifact settings are the target's, for the bytes of file-backed resources it cannot read\n"+
			"where they are.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := parseAll(fs, args, 2); err != nil {
		return usageStatus(err, stderr, "ddd copy")
	}
	c.From, c.To = fs.Arg(0), fs.Arg(1)
	flags := map[string]string{}
	for name, v := range values {
		flags[name] = *v
	}
	cfg, err := LoadConfig(getenv, *envFile, flags)
	if err != nil {
		fmt.Fprintln(stderr, "ddd copy:", termtext.Text(core.ErrorMessageOrText(err)))
		return 2
	}
	c.Artifacts, c.MemoryLimit = cfg.Artifacts(), cfg.DBMemoryLimit
	if err := c.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "ddd copy:", termtext.Text(core.ErrorMessageOrText(err)))
		return 1
	}
	return 0
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Run copies From into To.
func (c *Copy) Run(ctx context.Context) error {
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	switch c.IDs {
	case "", "uuid", "integer":
	default:
		return core.Invalid("--ids is uuid or integer, not %q", c.IDs)
	}
	if c.Batch < 0 {
		return core.Invalid("--batch is a number of rows")
	}
	if c.From == "" || c.To == "" {
		return core.Invalid("name the store to copy from and the one to copy into: ddd copy FROM TO")
	}
	if sameStore(c.From, c.To) {
		return core.Invalid("FROM and TO are the same store")
	}
	artifacts, err := artifact.New(ctx, c.Artifacts)
	if err != nil {
		return err
	}
	src, err := c.openSource(ctx)
	if err != nil {
		return err
	}
	defer src.close()
	if c.IDs == "integer" && !src.integerIDs() {
		return core.Invalid("%s has UUID ids: a copy never turns UUIDs into integers (--ids integer is for copying a file with integer ids)", src.describe())
	}
	dst, err := c.openTarget(ctx, src.integerIDs())
	if err != nil {
		return err
	}
	defer dst.close()
	progress := newCopyProgress(c.Stderr)
	fmt.Fprintf(c.Stderr, "copying %s into %s\n", src.describe(), dst.describe())
	cp := &copier{src: src, dst: dst, append: c.Append, idmap: c.idMapPath(), artifacts: artifacts, artifactCfg: c.Artifacts,
		copyFiles: c.CopyFiles, keepFiles: !connect.IsDatabaseURL(c.To), progress: progress, batch: c.Batch, afterBatch: c.AfterBatch}
	res, err := cp.run(ctx)
	if err != nil {
		return err
	}
	if err := dst.close(); err != nil {
		return err
	}
	for _, w := range res.warnings {
		fmt.Fprintln(c.Stderr, "warning:", w)
	}
	rate := ""
	if res.points > 0 && res.elapsed > 0 {
		rate = fmt.Sprintf(", %s points/s", thousands(int64(float64(res.points)/res.elapsed.Seconds())))
	}
	fmt.Fprintf(c.Stdout, "Copied %s into %s: %s rows, %s of them points, in %s%s; the counts match.\n",
		src.describe(), dst.describe(), thousands(res.rows), thousands(res.points), res.elapsed.Round(time.Millisecond), rate)
	if res.idmap != "" {
		fmt.Fprintf(c.Stdout, "Ids that changed (%s rows): %s\n", thousands(res.idmapRows), res.idmap)
	}
	return nil
}

// sameStore reports whether two names are one store.
func sameStore(a, b string) bool {
	if connect.IsDatabaseURL(a) || connect.IsDatabaseURL(b) {
		return a == b
	}
	pa, errA := filepath.Abs(a)
	pb, errB := filepath.Abs(b)
	if errA != nil || errB != nil {
		return a == b
	}
	if ra, err := filepath.EvalSymlinks(pa); err == nil {
		pa = ra
	}
	if rb, err := filepath.EvalSymlinks(pb); err == nil {
		pb = rb
	}
	return pa == pb
}

// name is how a store is named in messages and in the copy's record: a
// file's absolute path, a URL without its password.
func storeName(s string) string {
	if connect.IsDatabaseURL(s) {
		return connect.RedactURL(s)
	}
	if abs, err := filepath.Abs(s); err == nil {
		return abs
	}
	return s
}

func (c *Copy) openSource(ctx context.Context) (copySource, error) {
	if connect.IsDatabaseURL(c.From) {
		s, err := connect.Postgres(ctx, c.From, true, artifact.Config{}, c.BcryptCost)
		if err != nil {
			return nil, err
		}
		src, err := newPGSource(ctx, s, storeName(c.From))
		if err != nil {
			s.Close()
			return nil, err
		}
		return src, nil
	}
	if _, err := os.Stat(c.From); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", c.From, err)
	}
	s, err := openDuck(c.From, append(c.duckOptions(), duckdb.ReadOnly()))
	if err != nil {
		return nil, err
	}
	if n := s.UnreplayedPoints(); n > 0 {
		s.Close()
		return nil, core.Invalid("%s: %d metric points are only in its journal, from a program that stopped before committing them. "+
			"Open it once for writing (ddd --db %s, then stop it) to replay them, then copy", c.From, n, c.From)
	}
	src, err := newDuckSource(ctx, s, storeName(c.From))
	if err != nil {
		s.Close()
		return nil, err
	}
	return src, nil
}

func (c *Copy) duckOptions() []duckdb.Option {
	var opts []duckdb.Option
	if c.MemoryLimit != "" {
		opts = append(opts, duckdb.WithMemoryLimit(c.MemoryLimit))
	}
	if c.BcryptCost > 0 {
		opts = append(opts, duckdb.WithBcryptCost(c.BcryptCost))
	}
	return opts
}

func (c *Copy) openTarget(ctx context.Context, integerSource bool) (copyTarget, error) {
	if connect.IsDatabaseURL(c.To) {
		if c.IDs == "integer" {
			return nil, core.Invalid("a PostgreSQL store has UUID ids; --ids integer is for a new DuckDB file")
		}
		s, err := connect.Postgres(ctx, c.To, false, artifact.Config{}, c.BcryptCost)
		if err != nil {
			return nil, err
		}
		return &pgTarget{s: s, name: storeName(c.To)}, nil
	}
	opts := c.duckOptions()
	_, err := os.Stat(c.To)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if !exists && (c.IDs == "integer" || c.IDs == "" && integerSource) {
		opts = append(opts, duckdb.WithIntegerIDs())
	}
	open := func() (*duckdb.Store, error) { return openDuck(c.To, opts) }
	dst, err := newDuckTarget(storeName(c.To), open)
	if err != nil {
		return nil, err
	}
	if exists && c.IDs != "" && (c.IDs == "integer") != dst.integerIDs() {
		dst.close()
		return nil, core.Invalid("%s exists with %s ids; --ids chooses the ids of a new file", c.To, map[bool]string{true: "integer", false: "UUID"}[dst.integerIDs()])
	}
	return dst, nil
}

// openDuck opens a DuckDB file; one that a process holds (ddd serving it)
// cannot be copied from or into until it stops.
func openDuck(path string, opts []duckdb.Option) (*duckdb.Store, error) {
	s, err := duckdb.Open(path, opts...)
	if errors.Is(err, duckdb.ErrLocked) {
		return nil, fmt.Errorf("%s is in use by another process, most likely ddd serving it: stop it, then copy (a DuckDB file has one writer, and nobody else may open it meanwhile)", path)
	}
	if err != nil {
		return nil, errors.New(core.ErrorMessageOrText(err))
	}
	return s, nil
}

// idMapPath is where the mapping goes: as given, else beside the target
// file, else beside the source file (an integer-id source is a file).
func (c *Copy) idMapPath() string {
	switch {
	case c.IDMap != "":
		return c.IDMap
	case !connect.IsDatabaseURL(c.To):
		return c.To + ".idmap.csv"
	case !connect.IsDatabaseURL(c.From):
		return c.From + ".idmap.csv"
	}
	return "ddd-copy.idmap.csv"
}
