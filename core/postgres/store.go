// Package postgres is the Tracker on PostgreSQL (15 or later): the store for
// teams, where several ddd replicas, or several training processes, share
// one database.
//
// Its tables are upstream's (DearDiary.jl's baseline schema, as core/duckdb
// has them) plus a few of its own, with foreign keys that cascade. Every
// write is one transaction. The guarantees that core/duckdb gets from its
// single writer come from the database here: automatic metric steps and
// model version numbers are taken from counter rows that the writing
// transaction locks, names are unique by constraint, and a delete cascades
// in the statement that makes it. A process's own concurrent single points
// share transactions (group commit, see writer.go); batches go through COPY.
package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
)

// Store implements core.Tracker on a PostgreSQL database.
type Store struct {
	pool      *pgxpool.Pool
	cfg       config
	where     string          // host:port/database, for messages
	artifacts *artifact.Store // where resource bytes are
	points    *pointWriter    // nil when read-only
	closeOnce sync.Once
	// dropping counts the deletes of S3 objects under way, which Close
	// waits for (see dropBytes).
	dropping sync.WaitGroup
	// unknownUserHash is what Authenticate compares a password against
	// when the username does not exist, so that a login takes as long
	// either way; made on first use, with the store's cost.
	unknownUserHash func() []byte
}

var _ core.Tracker = (*Store)(nil)

type config struct {
	readOnly   bool
	artifacts  artifact.Config
	bcryptCost int
	now        func() time.Time
	maxConns   int32
}

// Option configures Open.
type Option func(*config)

// ReadOnly opens the database without writing to it: no migrations, no
// seeding, every connection read-only, and every write method fails with
// EInvalid.
func ReadOnly() Option { return func(c *config) { c.readOnly = true } }

// WithArtifacts chooses where new resource bytes go: core.BackendInline (the
// default: a BYTEA column) or core.BackendFilesystem under root, which every
// process sharing the database must see at the same path (core.BackendS3
// takes the settings of WithArtifactConfig). Existing resources are always
// read from the backend they were written to.
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

// WithClock replaces time.Now for every timestamp the store writes.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxConns bounds the store's connections (default: pgxpool's, the
// larger of 4 and the number of CPUs).
func WithMaxConns(n int32) Option { return func(c *config) { c.maxConns = n } }

// Open connects to the PostgreSQL database at url (postgres://user:password@host:port/database,
// or any form pgx reads), applies pending migrations under an advisory lock,
// so that processes starting together migrate once, and seeds the default
// admin. Settings come from url and opts only; the store reads no
// environment (pgx does read the PG* variables for what url leaves out).
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg := config{bcryptCost: bcrypt.DefaultCost, now: time.Now}
	for _, opt := range opts {
		opt(&cfg)
	}
	artifactCfg := cfg.artifacts
	if cfg.readOnly && artifactCfg.Backend == core.BackendS3 {
		// Nothing is written, so the bucket is not checked: reads follow
		// the rows, and an object store that is down must not keep a
		// reader from opening the database.
		artifactCfg.Backend = core.BackendInline
	}
	artifacts, err := artifact.New(ctx, artifactCfg)
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, urlError(err)
	}
	if cfg.maxConns > 0 {
		pc.MaxConns = cfg.maxConns
	}
	if cfg.readOnly {
		pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	where := fmt.Sprintf("%s:%d/%s", pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, openError(where, pc.ConnConfig.User, pc.ConnConfig.Database, err)
	}
	s := &Store{pool: pool, cfg: cfg, where: where, artifacts: artifacts}
	s.unknownUserHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("no such user"), cfg.bcryptCost)
		return h
	})
	if err := s.init(ctx, pc.ConnConfig.User, pc.ConnConfig.Database); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) init(ctx context.Context, user, database string) error {
	if err := s.pool.Ping(ctx); err != nil {
		return openError(s.where, user, database, err)
	}
	if err := s.checkIsDearDiary(ctx); err != nil {
		return err
	}
	if s.cfg.readOnly {
		return nil
	}
	if err := migrate(ctx, s.pool, s.now()); err != nil {
		return fold(err)
	}
	if err := s.seedDefaultUser(ctx); err != nil {
		return err
	}
	s.points = startPointWriter(s)
	return nil
}

// checkIsDearDiary refuses a schema that holds other tables, so Open never
// adds DearDiary's tables to somebody else's database; a URL can choose a
// schema of its own with search_path.
func (s *Store) checkIsDearDiary(ctx context.Context) error {
	var tables, ours int
	err := s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE table_name IN ('schema_migrations', 'user', 'iteration'))
		FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables, &ours)
	if err != nil {
		return fmt.Errorf("cannot read the schema of %s: %w", s.where, err)
	}
	switch {
	case tables > 0 && ours == 0:
		return core.Invalid("%s holds other tables but no DearDiary database; give DearDiary a database or schema of its own (search_path in the URL)", s.where)
	case ours < 3 && s.cfg.readOnly:
		return core.Invalid("%s is not a DearDiary database (open it once for writing to create the tables)", s.where)
	}
	return nil
}

// seedDefaultUser adds the default admin unless it exists; a password changed
// since survives. It checks first so an open does not pay for a bcrypt hash.
func (s *Store) seedDefaultUser(ctx context.Context) error {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM "user" WHERE username = $1`, core.DefaultUsername).Scan(&n); err != nil {
		return fmt.Errorf("cannot look for the default user: %w", err)
	}
	if n > 0 {
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(core.DefaultUsername), s.cfg.bcryptCost)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO "user" (id, first_name, last_name, username, password, created_date, is_admin)
		VALUES ($1, 'Default User', '', $2, $3, $4, 1) ON CONFLICT DO NOTHING`,
		newID(), core.DefaultUsername, string(hash), s.nowText())
	if err != nil {
		return fmt.Errorf("cannot seed the default user: %w", err)
	}
	return nil
}

// Close finishes the points queued for group commit, then closes the
// connections. Closing again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.points != nil {
			s.points.close()
		}
		s.dropping.Wait()
		s.pool.Close()
	})
	return nil
}

func (s *Store) now() time.Time { return s.cfg.now() }

// nowText is the current time as stored.
func (s *Store) nowText() string { return core.FormatTime(s.now()) }
