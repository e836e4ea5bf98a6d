package duckdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

// A DearDiary file has one of two kinds of ids, and keeps it: DearDiary.jl
// 0.9.1, the release its users install, gives every table BIGINT ids from a
// sequence of its own (seq_<table>); its unreleased successor, and this
// store for new files unless told otherwise, uses UUID text. Inside Go an id
// is a string either way ("1" or "0192f0c4-..."). Nothing converts a file
// from one kind to the other.

// idTables are the tables whose ids DearDiary.jl 0.9.1 takes from a
// sequence named seq_<table>.
var idTables = []string{
	"user", "project", "user_permission", "experiment", "iteration", "parameter", "metric",
	"resource", "tag", "project_tag", "experiment_tag", "iteration_tag", "model", "model_version",
}

// fileIntegerIDs reports whether an existing file has integer ids, by the
// type of project.id; ok is false for a file without DearDiary's tables.
func fileIntegerIDs(ctx context.Context, db *sql.DB) (integer, ok bool, err error) {
	var typ string
	err = db.QueryRowContext(ctx, `SELECT data_type FROM duckdb_columns()
		WHERE schema_name = 'main' AND table_name = 'project' AND column_name = 'id'`).Scan(&typ)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("cannot read the type of the file's ids: %w", err)
	}
	return typ == "BIGINT", true, nil
}

var (
	uuidKey       = regexp.MustCompile(`(?m)^    id VARCHAR (PRIMARY KEY )?DEFAULT uuid\(\)`)
	uuidRef       = regexp.MustCompile(`(?m)^(    \w+_id) VARCHAR\b`)
	idPlaceholder = "{{id}}"
)

// schemaFor returns a migration's SQL for the file's kind of ids. Our own
// tables write the type of a column that holds an entity's id as {{id}};
// the baseline is upstream's UUID schema, which for integer ids becomes
// DearDiary.jl 0.9.1's: its sequences, and BIGINT ids and references.
func schemaFor(version int64, body string, integer bool) string {
	if !integer {
		return strings.ReplaceAll(body, idPlaceholder, "VARCHAR")
	}
	body = strings.ReplaceAll(body, idPlaceholder, "BIGINT")
	if version != 1 {
		return body
	}
	var out strings.Builder
	for _, t := range idTables {
		fmt.Fprintf(&out, "CREATE SEQUENCE IF NOT EXISTS seq_%s START 1;\n", t)
	}
	body = createTable.ReplaceAllStringFunc(body, func(stmt string) string {
		table := strings.Trim(createTable.FindStringSubmatch(stmt)[1], `"`)
		stmt = uuidKey.ReplaceAllString(stmt, "    id BIGINT ${1}DEFAULT nextval('seq_"+table+"')")
		return uuidRef.ReplaceAllString(stmt, "$1 BIGINT")
	})
	out.WriteString(body)
	return out.String()
}

// idSource makes the ids of new rows. For UUID files they are UUIDv7, made
// in Go: time-ordered, so DuckDB's zone maps find rows without an index.
// For integer files they continue each table's sequence. They are counted
// out in Go too, since points get their ids before the writer takes them
// (and a group of points may be acknowledged from the journal before any
// DuckDB transaction runs); every commit then advances the sequences past
// what was handed out, so DearDiary.jl and DuckDB's own clients, which
// take nextval, carry on after the highest id the store wrote.
type idSource struct {
	integer bool
	last    map[string]*atomic.Int64 // the last id handed out, by table

	mu       sync.Mutex
	sequence map[string]int64 // each sequence's value as of the last commit
}

func newIDSource(integer bool) *idSource {
	s := &idSource{integer: integer, last: map[string]*atomic.Int64{}, sequence: map[string]int64{}}
	for _, t := range idTables {
		s.last[t] = new(atomic.Int64)
	}
	return s
}

// load reads where each sequence stands and the largest id of each table:
// a file written by a process that stopped before advancing its sequences
// has ids past them.
func (s *idSource) load(ctx context.Context, db *sql.DB) error {
	if !s.integer {
		return nil
	}
	for _, t := range idTables {
		var seq, top sql.NullInt64
		err := db.QueryRowContext(ctx, `SELECT last_value FROM duckdb_sequences() WHERE schema_name = 'main' AND sequence_name = ?`,
			"seq_"+t).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("the file has integer ids but no sequence seq_%s, as DearDiary.jl 0.9.1 makes", t)
		}
		if err != nil {
			return fmt.Errorf("cannot read sequence seq_%s: %w", t, err)
		}
		if err := db.QueryRowContext(ctx, `SELECT max(id) FROM `+quoteTable(t)).Scan(&top); err != nil {
			return fmt.Errorf("cannot read the largest id of %s: %w", t, err)
		}
		// A sequence read back from a file reports the value its next
		// nextval gives (DuckDB 1.5 keeps the counter, not the value last
		// given); one never used reports NULL.
		handedOut := max(seq.Int64-1, 0)
		s.sequence[t] = handedOut
		s.last[t].Store(max(handedOut, top.Int64))
	}
	return nil
}

// observe notes an id handed out by an earlier process, such as a point
// replayed from the journal.
func (s *idSource) observe(table, id string) {
	if !s.integer {
		return
	}
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		for {
			last := s.last[table].Load()
			if n <= last || s.last[table].CompareAndSwap(last, n) {
				return
			}
		}
	}
}

// next returns a new id for a row of table.
func (s *idSource) next(table string) string {
	if !s.integer {
		return uuid.Must(uuid.NewV7()).String()
	}
	return strconv.FormatInt(s.last[table].Add(1), 10)
}

// fill puts new ids for rows of table in ids. A UUID's random bits come
// from one read of the system's generator for all of them: one read per id
// cost a batch of 1,000 points more than its JSON.
func (s *idSource) fill(table string, ids []string) {
	if s.integer {
		for i := range ids {
			ids[i] = s.next(table)
		}
		return
	}
	random := make([]byte, 16*len(ids))
	if _, err := rand.Read(random); err != nil {
		panic(err) // crypto/rand does not fail on Linux; uuid.Must panics the same
	}
	// The ids share one string: a batch of 1,000 points made 1,000 small
	// objects, held until their drain, for Go's collector to track.
	text := make([]byte, 0, 36*len(ids))
	r := bytes.NewReader(random)
	for range ids {
		text = appendUUID(text, uuid.Must(uuid.NewV7FromReader(r)))
	}
	all := string(text)
	for i := range ids {
		ids[i] = all[36*i : 36*i+36]
	}
}

// appendUUID appends u in its canonical form, as u.String() gives it.
func appendUUID(b []byte, u uuid.UUID) []byte {
	for i, part := range [][]byte{u[:4], u[4:6], u[6:8], u[8:10], u[10:]} {
		if i > 0 {
			b = append(b, '-')
		}
		b = hex.AppendEncode(b, part)
	}
	return b
}

// advance moves each sequence that is behind the ids handed out past them,
// in the writer's transaction q; done records the new values once that
// transaction has committed (a rollback leaves the sequences where they
// were).
func (s *idSource) advance(ctx context.Context, q querier) (done func(), err error) {
	if !s.integer {
		return func() {}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	moved := map[string]int64{}
	for _, t := range idTables {
		last := s.last[t].Load()
		if behind := last - s.sequence[t]; behind > 0 {
			if _, err := q.ExecContext(ctx, fmt.Sprintf(`SELECT max(nextval('seq_%s')) FROM range(?)`, t), behind); err != nil {
				return nil, fmt.Errorf("cannot advance sequence seq_%s: %w", t, err)
			}
			moved[t] = last
		}
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for t, v := range moved {
			s.sequence[t] = max(s.sequence[t], v)
		}
	}, nil
}

// behind reports whether a sequence is behind the ids handed out.
func (s *idSource) behind() bool {
	if !s.integer {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range idTables {
		if s.last[t].Load() > s.sequence[t] {
			return true
		}
	}
	return false
}

// canonical is the form of an id that rows hold: on an integer file "7"
// for "07" or "+7", which DuckDB would match to the same row, so that the
// writer's caches, keyed by id text, see one iteration as one.
func (s *idSource) canonical(id string) string {
	if !s.integer {
		return id
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	return id
}

// value is an id as the Appender takes it for the file's id columns: an
// int64 for an integer file's BIGINT columns, text for a UUID file's.
func (s *idSource) value(id string) any {
	if !s.integer {
		return id
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return id // the Appender refuses it, and the write fails
	}
	return n
}

// notAnID reports a driver error that says an id given as text cannot be
// one of an integer file's: no row has it, which is how callers take it.
func notAnID(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "Conversion Error") && strings.Contains(msg, "to INT64")
}

// noRow reports a single-row read that found nothing: no row, or an id no
// row of an integer file can have.
func noRow(err error) bool { return errors.Is(err, sql.ErrNoRows) || notAnID(err) }

func quoteTable(t string) string {
	if t == "user" {
		return `"user"`
	}
	return t
}
