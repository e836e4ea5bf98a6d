package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/deardiary/deardiary-go/core"
)

// The journal makes logged metric points durable without a DuckDB commit.
//
// A DuckDB commit costs about a millisecond of CPU however little it
// writes, so a daemon taking one point per request from many clients spent
// half its time committing. Instead, a group of writes that only appends
// points (the writer's hot path, see writer.hold) is written to this file
// and synced, which costs a write and an fsync, and acknowledged. Its points
// are held in memory and reach DuckDB in one transaction with the points of
// many later groups: when enough are held, when they have been held a
// moment, before any other write, and before any read that could see them
// (Store.sync). That transaction also records the journal's last sequence
// number in journal_mark, and the journal then starts over.
//
// After a crash, Open replays the records past the mark: the points of
// acknowledged groups that never reached DuckDB. Records at or below it
// reached DuckDB in the transaction that wrote the mark, or are what is left
// of a failed append (journal.append), and a torn record at the end was
// never acknowledged (each group's record is synced before
// the next is written, so only the last can be torn).
//
// Emptying the journal rewinds it rather than truncating it: the next
// records overwrite the old ones, whose numbers are at or below the mark.
// Overwriting blocks a file already has and syncing with fdatasync costs
// the file system no change of size or block map, which took an fsync from
// 205 to 135 µs (72 to 48 µs of CPU) on the project's machine. Reading
// stops at the first record whose number is not above the one before: the
// old records past the new ones.

// journalSuffix names the journal of a database file.
const journalSuffix = ".journal"

// JournalPath is where the store of the database file path keeps its
// journal; "" for an in-memory store, which has none.
func JournalPath(path string) string {
	if path == ":memory:" {
		return ""
	}
	return path + journalSuffix
}

// spareJournalPath is the journal's second file, which takes the records
// while a drain commits those of the first (writer.startDrain); the two
// swap at every drain.
func spareJournalPath(path string) string { return path + ".1" }

// journalRecord is one acknowledged group's points.
type journalRecord struct {
	seq  uint64
	rows []metricRow
}

// journal is the append-only file of records not yet known to be in DuckDB.
// It begins with a header naming the database it belongs to.
type journal struct {
	f    *os.File
	path string
	base int64  // the header's length: an empty journal's size
	size int64  // bytes of the header and whole records; a failed append is cut back to it
	seq  uint64 // the last sequence number given, whether or not its append succeeded
	buf  []byte
	// broken is set when a failed append could not be cut off: a record
	// written after the torn one would be lost to a replay, so none is
	// until an emptying succeeds.
	broken bool
}

var journalCRC = crc32.MakeTable(crc32.Castagnoli)

// recordHeader is a record's body length and the CRC-32C of its body.
const recordHeader = 8

// journalHeader is the first line of the journal of the database db (its
// journal_mark.database_id). Records are replayed only into that database:
// a journal left beside a file that was deleted and made anew, or replaced
// by another, holds points of iterations it does not have.
func journalHeader(db string) []byte { return []byte("deardiary journal 1 " + db + "\n") }

// openJournal opens the journal at path of the database db, creating it,
// and returns the whole records it holds. A torn or corrupt tail is cut off:
// it was never acknowledged.
func openJournal(path, db string) (*journal, []journalRecord, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // close removes it, whatever the working directory is then
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the journal %s: %w", path, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("cannot read the journal %s: %w", path, err)
	}
	header := journalHeader(db)
	j := &journal{f: f, path: path, base: int64(len(header))}
	var records []journalRecord
	switch {
	case bytes.HasPrefix(data, header):
		var size int64
		records, size = decodeJournal(data[len(header):])
		j.size = j.base + size
	case len(data) < len(header) && bytes.HasPrefix(header, data):
		// A journal begun by a process that died before its first record.
	default:
		f.Close()
		return nil, nil, core.Invalid("the journal %s does not belong to this database: it holds metric points of "+
			"another database file (or of one this file replaced); move it away to open this file", path)
	}
	if err := j.cut(j.size); err != nil { // the torn end, if any
		f.Close()
		return nil, nil, err
	}
	if j.size == 0 {
		if _, err := f.Write(header); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("cannot write the journal %s: %w", path, err)
		}
		j.size = j.base
	}
	if len(records) > 0 {
		j.seq = records[len(records)-1].seq
	}
	return j, records, nil
}

// readMark reads journal_mark: the last record number known to be in the
// database, and the database's id, which its journal's header names.
func readMark(ctx context.Context, q querier) (mark uint64, database string, err error) {
	if err := q.QueryRowContext(ctx, `SELECT drained, database_id FROM journal_mark`).Scan(&mark, &database); err != nil {
		return 0, "", fmt.Errorf("cannot read journal_mark: %w", err)
	}
	return mark, database, nil
}

// unreplayedPoints counts the points of the journal at path past the
// database's mark, reading both without changing them: what a read-only
// open cannot show. A database from before the journal has no mark, and a
// journal of another database holds none of this one's points.
func unreplayedPoints(ctx context.Context, db *sql.DB, path string) (int, error) {
	if path == "" {
		return 0, nil
	}
	var data [][]byte
	for _, p := range []string{path, spareJournalPath(path)} {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("cannot read the journal %s: %w", p, err)
		}
		data = append(data, b)
	}
	if len(data) == 0 {
		return 0, nil
	}
	var marked int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'main' AND table_name = 'journal_mark'`).Scan(&marked); err != nil || marked == 0 {
		return 0, err
	}
	mark, database, err := readMark(ctx, db)
	if err != nil {
		return 0, err
	}
	header := journalHeader(database)
	n := 0
	for _, b := range data {
		if !bytes.HasPrefix(b, header) {
			continue
		}
		records, _ := decodeJournal(b[len(header):])
		for _, r := range records {
			if r.seq > mark {
				n += len(r.rows)
			}
		}
	}
	return n, nil
}

// decodeJournal returns the whole records at the start of data and the
// bytes they take.
func decodeJournal(data []byte) ([]journalRecord, int64) {
	var (
		records []journalRecord
		size    int64
	)
	for len(data) >= recordHeader {
		n := binary.LittleEndian.Uint32(data)
		if uint64(n) > uint64(len(data)-recordHeader) {
			break
		}
		body := data[recordHeader : recordHeader+n]
		if crc32.Checksum(body, journalCRC) != binary.LittleEndian.Uint32(data[4:]) {
			break
		}
		r, ok := decodeRecord(body)
		if !ok || (len(records) > 0 && r.seq <= records[len(records)-1].seq) {
			break // a torn record, or one left from before a rewind
		}
		records = append(records, r)
		size += recordHeader + int64(n)
		data = data[recordHeader+n:]
	}
	return records, size
}

// append writes rows as the next record and syncs it. On failure the file is
// cut back to its last whole record, so later records are not stranded
// behind a torn one; if even that fails, the journal must not be used again.
func (j *journal) append(rows []metricRow) (uint64, error) {
	// A number is never given twice, even when its append fails: a whole
	// record left by a failed cut must stay below the next mark.
	j.seq++
	seq := j.seq
	j.buf = encodeRecord(j.buf[:0], seq, rows)
	_, err := j.f.Write(j.buf)
	if err == nil {
		err = syncData(j.f)
	}
	if err != nil {
		if cut := j.cut(j.size); cut != nil {
			j.broken = true
			return 0, errors.Join(err, cut)
		}
		return 0, err
	}
	j.size += int64(len(j.buf))
	if cap(j.buf) > 1<<20 {
		j.buf = nil // one large batch should not pin its buffer
	}
	return seq, nil
}

// reset empties the journal once DuckDB holds everything in it, rewinding
// it to write the next records over the old ones. It need not be synced:
// journal_mark already says the records are in.
func (j *journal) reset() error {
	if _, err := j.f.Seek(j.base, io.SeekStart); err != nil {
		return err
	}
	j.size = j.base
	j.broken = false
	return nil
}

// pending reports whether the journal has records, or may have: a mark must
// then be written with the next commit.
func (j *journal) pending() bool { return j.size > j.base || j.broken }

func (j *journal) cut(size int64) error {
	if err := j.f.Truncate(size); err != nil {
		return fmt.Errorf("cannot truncate the journal: %w", err)
	}
	if _, err := j.f.Seek(size, io.SeekStart); err != nil {
		return err
	}
	j.size = size
	j.broken = false
	return nil
}

// close closes the file, and removes it when it is empty.
func (j *journal) close() error {
	err := j.f.Close()
	if err == nil && !j.pending() {
		err = os.Remove(j.path)
	}
	return err
}

// A record's body: its sequence number, a table of the strings its rows
// share (iteration ids, keys, times), and the rows, each an id, three
// indexes into the table, the value's bits and the step.
func encodeRecord(buf []byte, seq uint64, rows []metricRow) []byte {
	buf = append(buf, make([]byte, recordHeader)...)
	buf = binary.AppendUvarint(buf, seq)
	index := map[string]uint64{}
	var shared []string
	ref := func(s string) uint64 {
		i, ok := index[s]
		if !ok {
			i = uint64(len(shared))
			index[s] = i
			shared = append(shared, s)
		}
		return i
	}
	refs := make([]uint64, 0, 3*len(rows))
	// The rows of one write share their iteration and time: comparing
	// with the row before saves two map look-ups a row.
	var lastIt, lastAt string
	var itRef, atRef uint64
	for i, r := range rows {
		if i == 0 || r.iterationID != lastIt {
			lastIt, itRef = r.iterationID, ref(r.iterationID)
		}
		if i == 0 || r.recordedAt != lastAt {
			lastAt, atRef = r.recordedAt, ref(r.recordedAt)
		}
		refs = append(refs, itRef, ref(r.key), atRef)
	}
	buf = binary.AppendUvarint(buf, uint64(len(shared)))
	for _, s := range shared {
		buf = appendString(buf, s)
	}
	buf = binary.AppendUvarint(buf, uint64(len(rows)))
	for i, r := range rows {
		buf = appendString(buf, r.id)
		buf = binary.AppendUvarint(buf, refs[3*i])
		buf = binary.AppendUvarint(buf, refs[3*i+1])
		buf = binary.AppendUvarint(buf, refs[3*i+2])
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(r.value))
		buf = binary.AppendVarint(buf, r.step)
	}
	body := buf[recordHeader:]
	binary.LittleEndian.PutUint32(buf, uint32(len(body)))
	binary.LittleEndian.PutUint32(buf[4:], crc32.Checksum(body, journalCRC))
	return buf
}

func appendString(buf []byte, s string) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
}

// recordReader decodes a body, remembering the first thing that went wrong.
type recordReader struct {
	data []byte
	bad  bool
}

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.data)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *recordReader) varint() int64 {
	v, n := binary.Varint(r.data)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *recordReader) string() string {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.data)) {
		r.bad = true
		return ""
	}
	s := string(r.data[:n])
	r.data = r.data[n:]
	return s
}

func (r *recordReader) float() float64 {
	if len(r.data) < 8 {
		r.bad = true
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.data))
	r.data = r.data[8:]
	return v
}

// decodeRecord reads a body whose checksum matched; ok is false for one that
// does not parse all the same.
func decodeRecord(body []byte) (journalRecord, bool) {
	r := &recordReader{data: body}
	rec := journalRecord{seq: r.uvarint()}
	n := r.uvarint()
	if n > uint64(len(body)) {
		return rec, false
	}
	shared := make([]string, n)
	for i := range shared {
		shared[i] = r.string()
	}
	lookup := func() string {
		i := r.uvarint()
		if i >= uint64(len(shared)) {
			r.bad = true
			return ""
		}
		return shared[i]
	}
	n = r.uvarint()
	if n > uint64(len(body)) {
		return rec, false
	}
	rec.rows = make([]metricRow, n)
	for i := range rec.rows {
		row := &rec.rows[i]
		row.id = r.string()
		row.iterationID, row.key, row.recordedAt = lookup(), lookup(), lookup()
		row.value = r.float()
		row.step = r.varint()
	}
	return rec, !r.bad && len(r.data) == 0
}
