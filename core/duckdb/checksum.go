package duckdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Checksum digests the committed contents of every table in a stable order,
// so a caller can show that something changed nothing: the daemon's auth
// tests check it after every refused request, and it can tell whether two
// copies of a database hold the same data.
// journal_mark is left out: it is bookkeeping, not data (see journal.go).
func (s *Store) Checksum(ctx context.Context) (string, error) {
	if err := s.sync(ctx); err != nil {
		return "", err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name <> 'journal_mark' ORDER BY table_name`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return "", err
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	h := sha256.New()
	for _, table := range tables {
		var digest string
		// A row read as its table's alias is a struct; as text it holds
		// every column.
		if err := s.db.QueryRowContext(ctx, fmt.Sprintf(`SELECT md5(COALESCE(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR), '')) FROM %q t`, table)).Scan(&digest); err != nil {
			return "", fmt.Errorf("checksum of %s: %w", table, err)
		}
		fmt.Fprintf(h, "%s %s\n", table, digest)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
