package duckdb

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int64
	name    string
	sql     string
	run     func(context.Context, *sql.Tx) error // for migrations SQL alone cannot express
}

// codeMigrations are the migrations written in Go, for a file with the
// given kind of ids.
func codeMigrations(integer bool) []migration {
	return []migration{
		{version: 4, name: "drop_foreign_keys", run: func(ctx context.Context, t *sql.Tx) error { return dropForeignKeys(ctx, t, integer) }},
	}
}

// migrations returns the embedded migrations ordered by version. A file is
// named NNN_name.sql; version 1, "baseline", is also DearDiary.jl's, so an
// upstream file skips it.
func migrations(integer bool) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q is not named NNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: name, sql: schemaFor(version, string(body), integer)})
	}
	out = append(out, codeMigrations(integer)...)
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies each pending migration in a transaction of its own and
// records it in schema_migrations, as upstream's runner does.
func migrate(ctx context.Context, db *sql.DB, now time.Time, integer bool) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	all, err := migrations(integer)
	if err != nil {
		return err
	}
	applied := map[int64]bool{}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	for _, m := range all {
		if applied[m.version] {
			continue
		}
		if err := applyMigration(ctx, db, m, now); err != nil {
			return fmt.Errorf("migration %03d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration, now time.Time) error {
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if m.run != nil {
		if err := m.run(ctx, t); err != nil {
			return err
		}
	} else if _, err := t.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, core.FormatTime(now)); err != nil {
		return err
	}
	return t.Commit()
}
