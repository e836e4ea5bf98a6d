// Package duckdb is the Tracker on an embedded DuckDB file: DearDiary's offline
// mode, and the storage behind the ddd daemon.
//
// One process owns a database file. Within it, all writes go through a single
// writer goroutine that groups concurrent writes into shared transactions
// (group commit); each write is acknowledged only after its transaction
// commits. Reads run concurrently on their own connections.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
)

// Store implements core.Tracker on a DuckDB file.
type Store struct {
	db        *sql.DB
	path      string
	cfg       config
	w         *writer         // nil when read-only
	ids       *idSource       // the kind of ids the file has, and new ones
	artifacts *artifact.Store // where resource bytes are
	release   func()          // gives the path back to openFiles
	closeOnce sync.Once
	closeErr  error
	// dropping counts the deletes of S3 objects under way, which Close
	// waits for (see dropBytes).
	dropping sync.WaitGroup
	// summaries is true when metric_summary is current; otherwise (a
	// read-only file that was never migrated or is stale) summaries are
	// computed from the metric table.
	summaries bool
	// mem lends large writes and reads memory past the configured limit;
	// nil without one.
	mem *memoryBudget
	// rollups is true when metric_rollup is current, so charts of long
	// histories may be drawn from it.
	rollups bool
	// unknownUserHash is what Authenticate compares a password against
	// when the username does not exist, so that a login takes as long
	// either way. It has the store's cost, as new users' hashes do, and is
	// made on first use: hashing at open would slow every program's start.
	unknownUserHash func() []byte
	// snapshotFilesKey is the column expression that names a snapshot's
	// files (see readSnapshot).
	snapshotFilesKey string
	// unreplayed counts, for a read-only open, the points in the journal
	// that the file does not hold yet.
	unreplayed int
}

var _ core.Tracker = (*Store)(nil)

// checkpointThreshold lets the write-ahead log grow to 256 MB before DuckDB
// checkpoints during a commit: at its default of 16 MB, checkpoints took two
// thirds of the time of bulk ingestion. The writer checkpoints on its own
// whenever it has been idle a moment (see idleCheckpoint), so the log stays
// short in normal use.
const checkpointThreshold = "256MB"

// ErrLocked is wrapped by Open's error when another process holds the file,
// or this process already has it open.
var ErrLocked = errors.New("database file is locked")

// openFiles holds the files this process has open for writing: a second
// Store on the same file would bring a second writer, and the single writer is
// what keeps steps and version numbers unique.
var openFiles = struct {
	sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

// claim registers path as open for writing, and returns the function that
// releases it.
func claim(path string) (func(), error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	openFiles.Lock()
	defer openFiles.Unlock()
	if openFiles.paths[abs] {
		return nil, fmt.Errorf("%w: %s is already open in this process; share its Store", ErrLocked, path)
	}
	openFiles.paths[abs] = true
	return func() {
		openFiles.Lock()
		delete(openFiles.paths, abs)
		openFiles.Unlock()
	}, nil
}

type config struct {
	readOnly   bool
	artifacts  artifact.Config
	bcryptCost int
	now        func() time.Time
	compactAt  int64 // delta summary rows that trigger a compaction
	// holdFor and holdDeltasFor are the writer's (the constants; tests set
	// them longer to decide themselves when drains happen).
	holdFor, holdDeltasFor time.Duration
	memoryLimit            string
	integerIDs             bool
}

// Option configures Open.
type Option func(*config)

// ReadOnly opens the file without writing to it: no migrations, no seeding,
// and every write method fails with EInvalid. Several read-only processes may
// share a file; none can while another process writes it.
func ReadOnly() Option { return func(c *config) { c.readOnly = true } }

// WithArtifacts chooses where new resource bytes go: core.BackendInline (the
// default) or core.BackendFilesystem under root (core.BackendS3 takes the
// settings of WithArtifactConfig). Existing resources are always read from
// the backend they were written to.
func WithArtifacts(backend, root string) Option {
	return func(c *config) { c.artifacts.Backend, c.artifacts.Root = backend, root }
}

// WithArtifactConfig sets where new resource bytes go and how to reach S3:
// for the s3 backend, and for reading and deleting resources whose bytes
// are in S3 whatever the backend. Open checks an s3 backend's bucket with
// one request, and fails when it cannot be used.
func WithArtifactConfig(cfg artifact.Config) Option {
	return func(c *config) { c.artifacts = cfg }
}

// WithBcryptCost sets the cost of password hashes (tests use bcrypt.MinCost).
func WithBcryptCost(cost int) Option { return func(c *config) { c.bcryptCost = cost } }

// WithMemoryLimit caps DuckDB's buffer memory, such as "64MB"; past it DuckDB
// spills to disk. The default is DuckDB's own (80% of RAM), right for a
// program that owns the machine and not for a long-running daemon. A write
// or read of a value of megabytes (a resource, a snapshot file) raises the
// limit by three times its size until it is done.
func WithMemoryLimit(limit string) Option { return func(c *config) { c.memoryLimit = limit } }

// WithIntegerIDs makes a new file with DearDiary.jl 0.9.1's integer ids:
// BIGINT ids from one sequence per table, as the release its users install
// writes them, for teams whose Julia clients expect integers. Without it a
// new file gets UUID text ids. An existing file keeps the kind it has,
// whatever the option says.
func WithIntegerIDs() Option { return func(c *config) { c.integerIDs = true } }

// WithClock replaces time.Now for every timestamp the store writes.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// defaultConfig is a store with nothing set: inline artifacts, DuckDB's own
// memory limit, the real clock.
func defaultConfig() config {
	return config{
		bcryptCost:    bcrypt.DefaultCost,
		now:           time.Now,
		compactAt:     compactAt,
		holdFor:       holdFor,
		holdDeltasFor: holdDeltasFor,
	}
}

// Open opens or creates the DearDiary database at path (":memory:" for a
// private in-memory one), applies pending migrations, seeds the default admin
// and starts the writer. A file written by DearDiary.jl 0.9.1 opens as it is.
// Settings come from opts only; the store reads no environment.
func Open(path string, opts ...Option) (*Store, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if path == "" {
		return nil, core.Invalid("no database path given")
	}
	// A limit that is not a size ("none") gets no budget: there is nothing
	// to borrow past, or DuckDB refuses it below.
	limit, _ := parseSize(cfg.memoryLimit)
	memory := path == ":memory:"
	if memory {
		cfg.readOnly = false
	}
	artifactCfg := cfg.artifacts
	if cfg.readOnly && artifactCfg.Backend == core.BackendS3 {
		// Nothing is written, so the bucket is not checked: reads follow
		// the rows, and an object store that is down must not keep a
		// reader from opening the file.
		artifactCfg.Backend = core.BackendInline
	}
	artifacts, err := artifact.New(context.Background(), artifactCfg)
	if err != nil {
		return nil, err
	}
	if !memory {
		if cfg.readOnly {
			if _, err := os.Stat(path); err != nil {
				return nil, fmt.Errorf("cannot open %s: %w", path, err)
			}
		} else if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("cannot create the directory of %s: %w", path, err)
			}
		}
	}
	release := func() {}
	if !memory && !cfg.readOnly {
		if release, err = claim(path); err != nil {
			return nil, err
		}
	}
	settings := url.Values{}
	if !memory {
		settings.Set("checkpoint_threshold", checkpointThreshold)
	}
	if cfg.readOnly && !memory {
		settings.Set("access_mode", "read_only")
	}
	if cfg.memoryLimit != "" {
		settings.Set("memory_limit", cfg.memoryLimit)
	}
	dsn := path
	if memory {
		dsn = ""
	}
	if len(settings) > 0 {
		dsn += "?" + settings.Encode()
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		release()
		return nil, openError(path, err)
	}
	s := &Store{db: sql.OpenDB(connector), path: path, cfg: cfg, artifacts: artifacts, release: release}
	if limit > 0 {
		s.mem = newMemoryBudget(s.db, limit)
	}
	s.unknownUserHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("no such user"), cfg.bcryptCost)
		return h
	})
	if err := s.init(context.Background()); err != nil {
		s.db.Close()
		release()
		return nil, err
	}
	return s, nil
}

// openError explains the two failures a user meets: a file another process
// holds, and a file that is not a DuckDB database.
func openError(path string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock"), strings.Contains(msg, "Conflicting lock"):
		holder := ""
		if i := strings.Index(msg, "(PID "); i >= 0 {
			if j := strings.Index(msg[i:], ")"); j > 0 {
				holder = " " + msg[i:i+j+1]
			}
		}
		return fmt.Errorf("%w: %s is in use by another process%s; if ddd serves it, connect to the daemon instead", ErrLocked, path, holder)
	case strings.Contains(msg, "not a valid DuckDB database"), strings.Contains(msg, "Unable to open database"):
		return fmt.Errorf("%s is not a DuckDB database file: %w", path, err)
	case strings.Contains(msg, "memory_limit"):
		return fmt.Errorf("cannot open %s: its memory limit is not one DuckDB takes (a size such as 64MB or 1GiB, or none): %w", path, err)
	case strings.Contains(msg, "Read-only file system"):
		return fmt.Errorf("cannot open %s for writing: its file system is read-only; it can still be opened read-only (ddtui does): %w", path, err)
	}
	if trouble := diskTrouble(msg); trouble != "" {
		return fmt.Errorf("cannot open %s: %s: %w", path, trouble, err)
	}
	return fmt.Errorf("cannot open %s: %w", path, err)
}

func (s *Store) init(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return openError(s.path, err)
	}
	if err := s.checkIsDearDiary(ctx); err != nil {
		return err
	}
	integer, exists, err := fileIntegerIDs(ctx, s.db)
	if err != nil {
		return err
	}
	if !exists {
		integer = s.cfg.integerIDs
	}
	s.ids = newIDSource(integer)
	s.snapshotFilesKey = "files_key"
	if s.cfg.readOnly {
		fresh, err := summaryState(ctx, s.db)
		if err != nil {
			return err
		}
		s.summaries = fresh
		if fresh {
			if s.rollups, err = rollupCurrent(ctx, s.db); err != nil {
				return err
			}
		}
		var keyed int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.columns
			WHERE table_schema = 'main' AND table_name = 'iteration_snapshot' AND column_name = 'files_key'`).Scan(&keyed); err != nil {
			return err
		}
		if keyed == 0 {
			s.snapshotFilesKey = "iteration_id"
		}
		s.unreplayed, err = unreplayedPoints(ctx, s.db, JournalPath(s.path))
		return err
	}
	err = s.mem.lifted(func() error { return migrate(ctx, s.db, s.now(), integer) })
	if err != nil {
		return err
	}
	if err := s.ids.load(ctx, s.db); err != nil {
		return err
	}
	if err := dropUnclaimedSnapshotFiles(ctx, s.db); err != nil {
		return err
	}
	if err := s.seedDefaultUser(ctx); err != nil {
		return err
	}
	if err := refreshSummaries(ctx, s.db, s.mem); err != nil {
		return err
	}
	s.summaries, s.rollups = true, true
	w, err := startWriter(ctx, s.db, s.cfg, s.mem, JournalPath(s.path), s.ids, s.dropBytes)
	if err != nil {
		return err
	}
	s.w = w
	if s.ids.behind() {
		// A process that stopped before committing left ids past the
		// sequences (or DearDiary.jl's next nextval would repeat one):
		// a commit advances them.
		if err := s.write(ctx, func(t *tx) error { return t.open() }); err != nil {
			return fmt.Errorf("cannot advance the id sequences: %w", err)
		}
	}
	return nil
}

// UnreplayedPoints is, for a read-only open, how many metric points the
// file's last writer acknowledged but stopped (crashed, or was killed)
// before committing: they are safe in its journal, and reads do not show
// them until a writable open (ddd, or any Open without ReadOnly) replays
// them. A writable open replays them at once, so for it this is zero.
func (s *Store) UnreplayedPoints() int { return s.unreplayed }

// checkIsDearDiary refuses a DuckDB file that holds other tables, so Open never
// adds DearDiary's tables to somebody else's database.
func (s *Store) checkIsDearDiary(ctx context.Context) error {
	var tables, ours int
	err := s.db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE table_name IN ('schema_migrations', 'user', 'iteration'))
		FROM information_schema.tables WHERE table_schema = 'main'`).Scan(&tables, &ours)
	if err != nil {
		return fmt.Errorf("cannot read the schema of %s: %w", s.path, err)
	}
	switch {
	case tables > 0 && ours == 0:
		return core.Invalid("%s is a DuckDB file but not a DearDiary database", s.path)
	case tables == 0 && s.cfg.readOnly:
		return core.Invalid("%s is not a DearDiary database (it has no tables)", s.path)
	}
	return nil
}

// seedDefaultUser adds the default admin unless it exists; a password changed
// since survives. It checks first so an open does not pay for a bcrypt hash.
func (s *Store) seedDefaultUser(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM "user" WHERE username = ?`, core.DefaultUsername).Scan(&n); err != nil {
		return fmt.Errorf("cannot look for the default user: %w", err)
	}
	if n > 0 {
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(core.DefaultUsername), s.cfg.bcryptCost)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO "user" (id, first_name, last_name, username, password, created_date, is_admin)
		VALUES (?, 'Default User', '', ?, ?, ?, 1) ON CONFLICT DO NOTHING`,
		s.ids.next("user"), core.DefaultUsername, string(hash), core.FormatTime(s.now()))
	if err != nil {
		return fmt.Errorf("cannot seed the default user: %w", err)
	}
	return nil
}

// IntegerIDs reports whether the file has DearDiary.jl 0.9.1's integer ids
// rather than UUIDs.
func (s *Store) IntegerIDs() bool { return s.ids.integer }

// Path returns the database path given to Open.
func (s *Store) Path() string { return s.path }

// Close finishes every queued write, then closes the database. Closing
// again does nothing: in particular it cannot release a file that another
// Store has opened since.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.w != nil {
			s.w.close()
		}
		s.dropping.Wait()
		s.closeErr = s.db.Close()
		s.release()
	})
	return s.closeErr
}

func (s *Store) now() time.Time { return s.cfg.now() }

// write runs fn in the writer's transaction and returns once it committed.
func (s *Store) write(ctx context.Context, fn func(tx *tx) error) error {
	if s.w == nil {
		return core.Invalid("the database %s is open read-only", s.path)
	}
	return fold(s.w.do(ctx, fn))
}

// sync returns once every acknowledged write is in DuckDB: a read that may
// see metric points calls it first, as the writer holds points for a moment
// before it commits them (see journal.go). When the disk refuses them, the
// read goes on without them: they are safe in the journal and show once
// there is room, and a full disk must not stop reads.
func (s *Store) sync(ctx context.Context) error {
	if s.w == nil {
		return nil
	}
	err := s.w.sync(ctx)
	if err != nil && ctx.Err() == nil && diskTrouble(err.Error()) != "" {
		return nil
	}
	return fold(err)
}

// read runs fn in a transaction of its own, so the queries it makes see one
// consistent state.
//
// The transaction ends with its rollback, never database/sql's on ctx's end,
// and a connection whose rollback failed is closed rather than pooled. When
// ctx ends just as a query finishes, duckdb-go's interrupt can land on the
// next statement, the rollback; DuckDB then keeps the transaction open, and
// the next transaction begun on that pooled connection failed ("cannot
// start a transaction within a transaction"), as TestMigrateArtifactsToS3
// did once after its stopped pass.
func (s *Store) read(ctx context.Context, fn func(q querier) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	t, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return err
	}
	err = fold(fn(t))
	if rerr := t.Rollback(); rerr != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}
