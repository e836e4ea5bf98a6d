package duckdb

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// memoryBudget lets large values borrow DuckDB memory past the configured
// limit. Writing or reading a value of n bytes takes DuckDB up to about 3n of
// buffer memory on top of what it already holds, so under a limit sized for
// metrics (ddd's 48MB) a 32 MiB resource or snapshot file could fail. Such a
// write or read raises the limit by what it needs and lowers it again once it
// is done: for a write, once its commit and checkpoint have moved the bytes
// to the file.
type memoryBudget struct {
	db       *sql.DB
	mu       sync.Mutex
	returned *sync.Cond // signalled when memory is given back
	// base is the configured limit, extra what is borrowed; both in bytes.
	base, extra int64
}

func newMemoryBudget(db *sql.DB, base int64) *memoryBudget {
	m := &memoryBudget{db: db, base: base}
	m.returned = sync.NewCond(&m.mu)
	return m
}

// maxBorrowed bounds what concurrent reads borrow together: past it a read
// waits for others to give theirs back (one alone always may), so twenty
// downloads of a 32 MiB resource at once do not lift the limit by 1.3 GB.
// Writes never wait: the writer runs one transaction at a time, and one that
// waited for itself would never finish.
const maxBorrowed = 512 << 20

// borrowFactor is how many times its size a large value borrows (measured:
// the files of a 100 MB snapshot, the largest 16 MiB, fail to read back at
// 64MB with one times their size and fit with two, and fail to save at
// ddd's 48MB with two and fit with three).
const borrowFactor = 3

// forWrite and forRead borrow what writing or reading a value of n bytes
// needs, when it is large enough to need any (see largeWrite), until release
// is called. A nil budget (no limit configured: DuckDB may use 80% of RAM)
// borrows nothing.
func (m *memoryBudget) forWrite(n int64) (release func()) { return m.borrow(n, false) }
func (m *memoryBudget) forRead(n int64) (release func())  { return m.borrow(n, true) }

func (m *memoryBudget) borrow(n int64, wait bool) (release func()) {
	if m == nil || n < largeWrite {
		return func() {}
	}
	n *= borrowFactor
	m.mu.Lock()
	for wait && m.extra > 0 && m.extra+n > maxBorrowed {
		m.returned.Wait()
	}
	m.shift(n)
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			m.shift(-n)
			m.returned.Broadcast()
			m.mu.Unlock()
		})
	}
}

// lifted runs fn, work done once at open over the whole file (migrations,
// rebuilding summaries), under DuckDB's default limit (80% of RAM) instead
// of the configured one: under ddd's limit, rebuilding the summaries of a
// 10M-point file ran out of memory, and the daemon could not start
// (TestRebuildAtOpenIgnoresTheLimit). The limit applies again once fn
// returns.
func (m *memoryBudget) lifted(fn func() error) error {
	if m == nil {
		return fn()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// RESET restores the setting's default but leaves the buffer manager at
	// the old limit; setting the default explicitly moves both.
	var def string
	if _, err := m.db.Exec(`RESET memory_limit`); err != nil {
		return err
	}
	defer m.shift(0)
	if err := m.db.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&def); err != nil {
		return err
	}
	if _, err := m.db.Exec(fmt.Sprintf("SET memory_limit = '%s'", def)); err != nil {
		return err
	}
	return fn()
}

// shift changes what is borrowed and applies the new limit; m.mu is held. A
// failure to set it loses nothing: a write then fails for memory with its
// own clear error, and the next shift sets the limit again.
func (m *memoryBudget) shift(n int64) {
	m.extra += n
	_, _ = m.db.Exec(fmt.Sprintf("SET memory_limit = '%dB'", m.base+m.extra))
}

// sizeUnits are the units DuckDB accepts in a memory limit, in bytes. It
// wants one: a bare number is refused.
var sizeUnits = map[string]int64{
	"b": 1, "byte": 1, "bytes": 1,
	"k": 1e3, "kb": 1e3, "kilobyte": 1e3, "kilobytes": 1e3, "m": 1e6, "mb": 1e6, "megabyte": 1e6, "megabytes": 1e6,
	"g": 1e9, "gb": 1e9, "gigabyte": 1e9, "gigabytes": 1e9, "t": 1e12, "tb": 1e12, "terabyte": 1e12, "terabytes": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize reads a memory limit as DuckDB does, such as "64MB", "4g" or
// "1.5 GiB". It refuses what is not a size ("none" and "-1" lift DuckDB's
// limit; anything else DuckDB refuses with its own message).
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	unit, ok := sizeUnits[strings.TrimSpace(t[i:])]
	if err != nil || !ok || n <= 0 {
		return 0, fmt.Errorf("memory limit %q is not a size such as 64MB or 1GiB", s)
	}
	return int64(n * float64(unit)), nil
}
