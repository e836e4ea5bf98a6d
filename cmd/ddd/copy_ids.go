package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/google/uuid"

	"github.com/deardiary/deardiary-go/core"
)

// Ids in a copy. Rows keep their ids, except in two cases, which the
// mapping file beside the target lists:
//
//   - An integer-id store (DearDiary.jl 0.9.1's) copied into a UUID store
//     gets UUIDs. Each is a UUIDv7 whose time is the row's own created date
//     (recorded_at for a point; the store's first user's date for rows
//     that have none, such as parameters and tags), and whose last 40 bits
//     are the old id, after 34 bits of a salt made from the source. Ids
//     therefore sort by date, then by old id, which keeps the order lists
//     show; and a copy interrupted and run again makes the same ids, so it
//     never needs the mapping of the rows it already wrote.
//   - With --append, a user whose username, or a tag whose value, the
//     target has already is not copied: the target's row stands for it.

// idMapper gives each row its id in the target and rewrites references.
type idMapper struct {
	// convert turns integer ids into UUIDs.
	convert bool
	salt    uint64 // 34 bits
	// base is the time of rows without a date of their own, in Unix ms.
	base int64
	// dates holds, for each table whose rows others refer to, the Unix ms
	// its rows' new ids take, by old id.
	dates map[string]map[int64]int64
	// merged maps, by table, a source row's id (as text) to the id of the
	// target row that stands for it.
	merged map[string]map[string]string
}

const oldIDBits = 40

// newID is the UUID an integer id of a row dated ms becomes.
func (m *idMapper) newID(ms, old int64) (string, error) {
	if old < 0 || old >= 1<<oldIDBits {
		return "", fmt.Errorf("id %d is outside what a copy to UUIDs can keep (0 to 2^%d)", old, oldIDBits)
	}
	ms = min(max(ms, 0), 1<<48-1)
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[0:8], uint64(ms)<<16)
	randA := m.salt >> 22
	u[6] = 0x70 | byte(randA>>8&0x0f)
	u[7] = byte(randA)
	randB := (m.salt&(1<<22-1))<<oldIDBits | uint64(old)
	binary.BigEndian.PutUint64(u[8:], 1<<63|randB)
	return u.String(), nil
}

// timeMS reads a stored timestamp as Unix ms; text that is not a time
// takes the base.
func (m *idMapper) timeMS(v any) int64 {
	s, _ := v.(string)
	t, err := core.ParseTime(s)
	if err != nil || t.IsZero() {
		return m.base
	}
	return t.UnixMilli()
}

// own is the id of a row of table in the target; date is the row's date
// column's value (nil when it has none).
func (m *idMapper) own(table string, old, date any) (any, error) {
	if merged, ok := m.merged[table][idText(old)]; ok {
		return merged, nil
	}
	if !m.convert || old == nil {
		return old, nil
	}
	n, ok := old.(int64)
	if !ok {
		return nil, fmt.Errorf("%s has id %v where an integer was expected", table, old)
	}
	ms := m.base
	if date != nil {
		ms = m.timeMS(date)
	}
	return m.newID(ms, n)
}

// ref is what a reference to a row of table becomes.
func (m *idMapper) ref(table string, old any) (any, error) {
	if old == nil {
		return nil, nil
	}
	if merged, ok := m.merged[table][idText(old)]; ok {
		return merged, nil
	}
	if !m.convert {
		return old, nil
	}
	n, ok := old.(int64)
	if !ok {
		return nil, fmt.Errorf("a reference to %s holds %v where an integer id was expected", table, old)
	}
	dates, dated := m.dates[table]
	if !dated {
		return m.newID(m.base, n)
	}
	ms, ok := dates[n]
	if !ok {
		return nil, fmt.Errorf("it refers to %s %d, which does not exist", quoteName(table), n)
	}
	return m.newID(ms, n)
}

// filesKey is what a snapshot's files key becomes: the iteration's new id
// when the key is an integer iteration id (files from before migration
// 007), itself otherwise.
func (m *idMapper) filesKey(key any) (any, error) {
	s, ok := key.(string)
	if !m.convert || !ok {
		return key, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return key, nil
	}
	if _, known := m.dates["iteration"][n]; !known {
		return key, nil
	}
	return m.ref("iteration", n)
}

// changes reports whether any id changes, so that a mapping is written.
func (m *idMapper) changes() bool {
	if m.convert {
		return true
	}
	for _, ids := range m.merged {
		if len(ids) > 0 {
			return true
		}
	}
	return false
}

func idText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

// idMapFile writes the mapping of old ids to new as CSV (table, old_id,
// new_id), through a temporary file renamed into place, so the file is
// whole or absent.
type idMapFile struct {
	path string
	tmp  *os.File
	w    *bufio.Writer
	rows int64
}

func createIDMap(path string) (*idMapFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cannot write the id mapping: %w", err)
	}
	f := &idMapFile{path: path, tmp: tmp, w: bufio.NewWriterSize(tmp, 1<<16)}
	f.w.WriteString("table,old_id,new_id\n")
	return f, nil
}

func (f *idMapFile) add(table, old, new string) {
	f.w.WriteString(table)
	f.w.WriteByte(',')
	f.w.WriteString(csvField(old))
	f.w.WriteByte(',')
	f.w.WriteString(csvField(new))
	f.w.WriteByte('\n')
	f.rows++
}

// csvField quotes a field that needs it; ids seldom do.
func csvField(s string) string {
	for _, c := range s {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			return strconv.Quote(s)
		}
	}
	return s
}

func (f *idMapFile) commit() error {
	err := f.w.Flush()
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return fmt.Errorf("cannot write the id mapping %s: %w", f.path, err)
	}
	return nil
}

func (f *idMapFile) abort() {
	f.tmp.Close()
	os.Remove(f.tmp.Name())
}

// saltFor makes a copy's salt from what identifies its source (its first
// user and project, which nothing changes): copying one store twice into
// the same target makes the same ids, which the target then refuses as
// duplicates rather than holding everything twice.
func saltFor(identity string) uint64 {
	sum := sha256.Sum256([]byte("ddd copy\x00" + identity))
	return binary.BigEndian.Uint64(sum[:8]) & (1<<34 - 1)
}
