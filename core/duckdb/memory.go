package duckdb

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// memoryBudget lets large values borrow DuckDB memory past the configured
// limit. Writing or reading a value of n bytes takes DuckDB up to about 2n of
// buffer memory on top of what it already holds, so under a limit sized for
// metrics (ddd's 64MB) a 32 MiB resource or snapshot file could fail. Such a
// write or read raises the limit by what it needs and lowers it again once it
// is done: for a write, once its commit and checkpoint have moved the bytes
// to the file.
type memoryBudget struct {
	db *sql.DB
	mu sync.Mutex
	// base is the configured limit, extra what writes have borrowed; both
	// in bytes.
	base, extra int64
}

// borrowFactor is how many times its size a large value borrows (measured:
// the files of a 100 MB snapshot, the largest 16 MiB, fail to read back at
// 64MB with one times their size and fit with two).
const borrowFactor = 2

// borrowFor borrows what a value of n bytes needs, when it is large enough
// to need any (see largeWrite).
func (m *memoryBudget) borrowFor(n int64) (release func()) {
	if n < largeWrite {
		return func() {}
	}
	return m.borrow(borrowFactor * n)
}

// borrow raises the limit by n bytes until release is called. A nil budget
// (no limit configured: DuckDB may use 80% of RAM) borrows nothing.
func (m *memoryBudget) borrow(n int64) (release func()) {
	if m == nil || n <= 0 {
		return func() {}
	}
	m.shift(n)
	var once sync.Once
	return func() { once.Do(func() { m.shift(-n) }) }
}

// shift changes what is borrowed and applies the new limit. A failure to set
// it loses nothing: a write then fails for memory with its own clear error,
// and the next shift sets the limit again.
func (m *memoryBudget) shift(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.extra += n
	_, _ = m.db.Exec(fmt.Sprintf("SET memory_limit = '%dB'", m.base+m.extra))
}

// sizeUnits are the units DuckDB accepts in a memory limit, in bytes.
var sizeUnits = map[string]int64{
	"": 1, "b": 1, "byte": 1, "bytes": 1,
	"kb": 1e3, "kilobyte": 1e3, "kilobytes": 1e3, "mb": 1e6, "megabyte": 1e6, "megabytes": 1e6,
	"gb": 1e9, "gigabyte": 1e9, "gigabytes": 1e9, "tb": 1e12, "terabyte": 1e12, "terabytes": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize reads a size such as "64MB", "1.5 GiB" or "100000000".
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
