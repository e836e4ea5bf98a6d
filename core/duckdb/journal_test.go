package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
)

func journalRows(iteration string, from, n int) []metricRow {
	rows := make([]metricRow, n)
	for i := range rows {
		rows[i] = metricRow{id: newKey(), iterationID: iteration, key: []string{"loss", "acc"}[i%2],
			value: float64(from+i) / 3, step: int64(from + i - 5), recordedAt: "2026-11-23T18:00:00.000"}
	}
	return rows
}

// fileStore opens a store on path, a file, so it has a journal, with one
// iteration of one experiment.
func fileStore(t *testing.T, path string) (s *Store, experiment, iteration string) {
	t.Helper()
	ctx, id := context.Background(), mustID(t)
	s, err := Open(path, WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	experiment = id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	return s, experiment, id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: experiment}))
}

// TestJournalKeepsWholeRecords cuts a journal of three records at every
// byte, and flips every byte of its last record: what reads back is always
// the records that are whole, exactly as written.
func TestJournalKeepsWholeRecords(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j")
	j, records, err := openJournal(path, "test")
	if err != nil || len(records) != 0 {
		t.Fatalf("a new journal: %v, %v", records, err)
	}
	var want []journalRecord
	var ends []int64
	for i, n := range []int{1, 40, 3} {
		rows := journalRows("it", 100*i, n)
		seq, err := j.append(rows)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, journalRecord{seq: seq, rows: rows})
		ends = append(ends, j.size-j.base)
	}
	j.f.Close()
	file, err := os.ReadFile(path)
	header := journalHeader("test")
	if err != nil || int64(len(file)) != int64(len(header))+ends[2] || !bytes.HasPrefix(file, header) {
		t.Fatalf("%d bytes on disk, want a header and %d: %v", len(file), ends[2], err)
	}
	data := file[len(header):]
	equal := func(a, b journalRecord) bool { return a.seq == b.seq && slices.Equal(a.rows, b.rows) }
	for cut := range len(data) + 1 {
		got, size := decodeJournal(data[:cut])
		whole := 0
		for whole < len(ends) && ends[whole] <= int64(cut) {
			whole++
		}
		if !slices.EqualFunc(got, want[:whole], equal) || (whole > 0 && size != ends[whole-1]) || (whole == 0 && size != 0) {
			t.Fatalf("cut at %d: %d records of %d bytes, want %d", cut, len(got), size, whole)
		}
	}
	for i := ends[1]; i < ends[2]; i++ {
		bad := slices.Clone(data)
		bad[i] ^= 0x40
		if got, size := decodeJournal(bad); !slices.EqualFunc(got, want[:2], equal) || size != ends[1] {
			t.Fatalf("byte %d flipped: %d records of %d bytes, want the first two", i, len(got), size)
		}
	}
	// Reopening cuts a torn end off, and appends after the whole records.
	if err := os.WriteFile(path, file[:int64(len(header))+ends[2]-3], 0o644); err != nil {
		t.Fatal(err)
	}
	j, records, err = openJournal(path, "test")
	if err != nil || len(records) != 2 || j.size != j.base+ends[1] || j.seq != want[1].seq {
		t.Fatalf("reopened: %d records, size %d, seq %d, %v", len(records), j.size, j.seq, err)
	}
	if _, err := j.append(want[2].rows); err != nil {
		t.Fatal(err)
	}
	j.f.Close()
	file, _ = os.ReadFile(path)
	if got, _ := decodeJournal(file[len(header):]); len(got) != 3 || !slices.Equal(got[2].rows, want[2].rows) {
		t.Fatalf("after the reopened journal's append: %d records", len(got))
	}
}

// TestReplayTakesUnmarkedRecords writes a journal as a crashed writer would
// have left it: a record already in the database (at or below the mark),
// and two that are not. Open replays the two, with their summaries, and
// empties the journal.
func TestReplayTakesUnmarkedRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crashed.db")
	s, _, it := fileStore(t, path)
	in := journalRows(it, 0, 10)
	ids, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: inputsOf(in)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i].id = ids[i]
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + journalSuffix); !os.IsNotExist(err) {
		t.Fatalf("a closed store left its journal behind: %v", err)
	}
	var (
		mark uint64
		db   string
	)
	s, err = Open(path, WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	s.db.QueryRow(`SELECT drained, database_id FROM journal_mark`).Scan(&mark, &db)
	s.Close()
	if mark == 0 {
		t.Fatal("the points went in without the journal: nothing was held")
	}

	// The record at the mark is one whose points are in; replaying it would
	// write them twice.
	j, _, err := openJournal(path+journalSuffix, db)
	if err != nil {
		t.Fatal(err)
	}
	j.seq = mark - 1
	late := [][]metricRow{journalRows(it, 10, 7), journalRows(it, 17, 5)}
	for _, rows := range append([][]metricRow{in}, late...) {
		if _, err := j.append(rows); err != nil {
			t.Fatal(err)
		}
	}
	j.f.Close()

	// A read-only open shows the file as it is and counts the points only
	// the journal has, changing neither.
	journal, err := os.ReadFile(path + journalSuffix)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	if n := ro.UnreplayedPoints(); n != len(late[0])+len(late[1]) {
		t.Errorf("a read-only open counts %d unreplayed points, want %d", n, len(late[0])+len(late[1]))
	}
	if _, total, err := ro.ListMetrics(ctx, core.MetricFilter{IterationID: it}); err != nil || total != len(in) {
		t.Errorf("a read-only open lists %d points, want the file's %d: %v", total, len(in), err)
	}
	ro.Close()
	if after, err := os.ReadFile(path + journalSuffix); err != nil || !bytes.Equal(after, journal) {
		t.Fatalf("a read-only open changed the journal: %v", err)
	}

	s, err = Open(path, WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.UnreplayedPoints(); n != 0 {
		t.Errorf("a writable open left %d points unreplayed", n)
	}
	want := slices.Concat(in, late[0], late[1])
	got, total, err := s.ListMetrics(ctx, core.MetricFilter{IterationID: it})
	if err != nil || total != len(want) {
		t.Fatalf("%d points after the replay, want %d: %v", total, len(want), err)
	}
	for i, m := range got {
		if m.ID != want[i].id || m.Value != want[i].value || m.Step != want[i].step || m.Key != want[i].key {
			t.Fatalf("point %d is %+v, want %+v", i, m, want[i])
		}
	}
	if current, err := summaryState(ctx, s.db); err != nil || !current {
		t.Fatalf("summaries after the replay: current %v, %v", current, err)
	}
	if current, err := rollupCurrent(ctx, s.db); err != nil || !current {
		t.Fatalf("rollup after the replay: current %v, %v", current, err)
	}
	// The journal is emptied: what it still holds is at or below the mark.
	s.db.QueryRow(`SELECT drained FROM journal_mark`).Scan(&mark)
	if data, err := os.ReadFile(path + journalSuffix); err != nil || !bytes.HasPrefix(data, journalHeader(db)) {
		t.Fatalf("the journal after the replay: %v", err)
	} else if records, _ := decodeJournal(data[len(journalHeader(db)):]); len(records) > 0 && records[len(records)-1].seq > mark {
		t.Fatalf("the journal after the replay still holds record %d, past the mark %d", records[len(records)-1].seq, mark)
	}
	// Automatic steps go on after the replayed ones.
	if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}); err != nil {
		t.Fatal(err)
	}
	h, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}})
	if err != nil || len(h) != 1 {
		t.Fatal(h, err)
	}
	last := h[0].Points[len(h[0].Points)-1]
	if prev := h[0].Points[len(h[0].Points)-2]; last.Step != prev.Step+1 {
		t.Fatalf("an automatic step of %d after %d", last.Step, prev.Step)
	}
}

func inputsOf(rows []metricRow) []core.MetricInput {
	in := make([]core.MetricInput, len(rows))
	for i, r := range rows {
		in[i] = core.MetricInput{Key: r.key, Value: r.value, Step: new(r.step)}
	}
	return in
}

// TestHeldPointsAreRead reads points the writer holds, by every read that
// shows points: each sees them, as it would committed ones.
func TestHeldPointsAreRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, e, it := fileStore(t, filepath.Join(t.TempDir(), "held.db"))
	defer s.Close()
	if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1}); err != nil {
		t.Fatal(err) // a series' first point commits: the writer reads its last step
	}
	reads := map[string]func(metricID string) (bool, error){
		"GetMetric": func(m string) (bool, error) {
			got, err := s.GetMetric(ctx, m)
			return err == nil && got.Value == 0.5, err
		},
		"ListMetrics": func(m string) (bool, error) {
			got, _, err := s.ListMetrics(ctx, core.MetricFilter{IterationID: it})
			return err == nil && got[len(got)-1].ID == m, err
		},
		"MetricHistory": func(string) (bool, error) {
			got, err := s.MetricHistory(ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}})
			return err == nil && got[0].Points[len(got[0].Points)-1].Value == 0.5, err
		},
		"MetricSummaries": func(string) (bool, error) {
			got, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e})
			return err == nil && got[0].Last == 0.5, err
		},
		"SearchIterations": func(string) (bool, error) {
			_, n, err := s.SearchIterations(ctx, core.IterationSearch{ExperimentIDs: []string{e}, Filter: "metrics.loss = 0.5"})
			return n == 1, err
		},
	}
	for name, read := range reads {
		m, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if s.w.held.count.Load() == 0 {
			t.Fatalf("%s: the point was committed, not held", name)
		}
		if ok, err := read(m); !ok || err != nil {
			t.Errorf("%s did not see the held point: %v", name, err)
		}
		if _, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 2}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestForeignJournalIsRefused leaves a journal beside a database file that
// is then deleted and made anew: its points belong to iterations the new
// file does not have, and Open refuses to replay them, saying why.
func TestForeignJournalIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "runs.db")
	s, _, it := fileStore(t, path)
	var db string
	s.db.QueryRow(`SELECT database_id FROM journal_mark`).Scan(&db)
	s.Close()
	j, _, err := openJournal(path+journalSuffix, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.append(journalRows(it, 0, 3)); err != nil {
		t.Fatal(err)
	}
	j.f.Close()
	for _, suffix := range []string{"", ".wal"} {
		os.Remove(path + suffix)
	}
	_, err = Open(path, WithBcryptCost(bcrypt.MinCost))
	if err == nil || !strings.Contains(err.Error(), "does not belong to this database") {
		t.Fatalf("opening beside another database's journal: %v", err)
	}
	if info, err := os.Stat(path + journalSuffix); err != nil || info.Size() <= int64(len(journalHeader(db))) {
		t.Fatalf("the refused journal was changed: %v, %v", info, err)
	}
}

// TestFailedAppendIsMarked leaves, as a failed append whose cut-back also
// failed would, a whole record of a write that then commits instead. The
// commit's mark must cover it, or a replay after a crash would log its
// points a second time.
func TestFailedAppendIsMarked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, it := fileStore(t, filepath.Join(t.TempDir(), "marked.db"))
	defer s.Close()
	var stranded uint64
	err := s.write(ctx, func(t *tx) error { // on the writer's goroutine
		row := journalRows(it, 0, 1)[0]
		var err error
		if stranded, err = t.held.j.append([]metricRow{row}); err != nil {
			return err
		}
		t.held.j.broken = true
		t.appendMetric(row)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mark uint64
	if err := s.db.QueryRow(`SELECT drained FROM journal_mark`).Scan(&mark); err != nil || mark < stranded {
		t.Fatalf("mark %d after the commit, below the stranded record %d: %v", mark, stranded, err)
	}
	if s.w.held.j.pending() {
		t.Fatal("the journal still has records after the commit that marked them")
	}
}

// TestReplayOnIntegerFile: points a crashed process acknowledged from the
// journal on a file with integer ids got ids past the metric sequence; the
// replay keeps them, new points come after them, and the sequence is
// advanced past them for DearDiary.jl's own inserts.
func TestReplayOnIntegerFile(t *testing.T) {
	t.Parallel()
	ctx, id := context.Background(), mustID(t)
	path := filepath.Join(t.TempDir(), "crashed.db")
	s, err := Open(path, WithBcryptCost(bcrypt.MinCost), WithIntegerIDs())
	if err != nil {
		t.Fatal(err)
	}
	p := id(s.CreateProject(ctx, core.ProjectCreate{Name: "p"}))
	e := id(s.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: p, Name: "e"}))
	it := id(s.CreateIteration(ctx, core.IterationCreate{ExperimentID: e}))
	if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: inputsOf(journalRows(it, 0, 10))}); err != nil {
		t.Fatal(err)
	}
	var (
		mark uint64
		db   string
	)
	s.Close()
	s, err = Open(path, WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	s.db.QueryRow(`SELECT drained, database_id FROM journal_mark`).Scan(&mark, &db)
	s.Close()

	late := journalRows(it, 10, 7)
	for i := range late {
		late[i].id = strconv.Itoa(11 + i)
	}
	j, _, err := openJournal(path+journalSuffix, db)
	if err != nil {
		t.Fatal(err)
	}
	j.seq = mark
	if _, err := j.append(late); err != nil {
		t.Fatal(err)
	}
	j.f.Close()

	s, err = Open(path, WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	if _, total, err := s.ListMetrics(ctx, core.MetricFilter{IterationID: it}); err != nil || total != 17 {
		t.Fatalf("%d points after the replay, want 17: %v", total, err)
	}
	next, err := s.LogMetric(ctx, it, core.MetricInput{Key: "loss", Value: 1})
	if err != nil || next != "18" {
		t.Fatalf("the next point's id = %q (%v), want 18", next, err)
	}
	s.Close()
	raw, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int64
	if err := raw.QueryRow(`SELECT nextval('seq_metric')`).Scan(&n); err != nil || n != 19 {
		t.Fatalf("nextval('seq_metric') = %d (%v), want 19", n, err)
	}
}

// TestHeldSummariesOutliveTheirPoints commits held points while their
// summary changes stay held, as the writer does under load: a summary read
// sees them all the same, and after a crash that lost them (their points
// in the file, the journal emptied), the next open rebuilds the summaries
// and the rollup from the points.
func TestHeldSummariesOutliveTheirPoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "deltas.db")
	s, e, it := fileStore(t, path)
	drainPoints := func() {
		op := &writeOp{ctx: ctx, fn: (*tx).open, done: make(chan error, 1), keepDeltas: true}
		s.w.ops <- op
		if err := <-op.done; err != nil {
			t.Fatal(err)
		}
		if s.w.held.count.Load() != 0 || s.w.held.blocks.Load() == 0 {
			t.Fatalf("after a drain of points: %d points, %d blocks held", s.w.held.count.Load(), s.w.held.blocks.Load())
		}
	}
	log := func(from, n int) {
		if _, err := s.LogMetrics(ctx, it, core.MetricBatch{Metrics: inputsOf(journalRows(it, from, n))}); err != nil {
			t.Fatal(err)
		}
	}
	want := func(s *Store, count int64) {
		t.Helper()
		sums, err := s.MetricSummaries(ctx, core.SummaryFilter{ExperimentID: e})
		if err != nil || len(sums) != 2 || sums[0].Count+sums[1].Count != count {
			t.Fatalf("summaries %+v, want %d points: %v", sums, count, err)
		}
	}
	log(0, 100)
	drainPoints()
	log(100, 50)
	want(s, 150)
	if n := s.w.held.blocks.Load(); n != 0 {
		t.Fatalf("a summary read left %d blocks held", n)
	}

	log(150, 200)
	drainPoints()
	crash := &writeOp{ctx: ctx, done: make(chan error, 1), fn: func(t *tx) error {
		t.held.drained(false, true) // a crash loses what only memory held
		return nil
	}}
	s.w.ops <- crash
	if err := <-crash.done; err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(path, WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want(s, 350)
	if current, err := summaryState(ctx, s.db); err != nil || !current {
		t.Fatalf("summaries after the open: current %v, %v", current, err)
	}
	if current, err := rollupCurrent(ctx, s.db); err != nil || !current {
		t.Fatalf("rollup after the open: current %v, %v", current, err)
	}
}

// TestJournalRewinds empties a journal of three records and writes one
// over them: reading it back gives the new record alone, not the old ones
// past it, and the next number follows on.
func TestJournalRewinds(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j")
	j, _, err := openJournal(path, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{5, 40, 3} {
		if _, err := j.append(journalRows("old", 100*i, n)); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.Stat(path)
	if err := j.reset(); err != nil || j.pending() {
		t.Fatalf("reset: pending %v, %v", j.pending(), err)
	}
	// One record the length of the first old one: the old ones after it
	// are whole, and must still not be read.
	rows := journalRows("new", 0, 5)
	seq, err := j.append(rows)
	if err != nil || seq != 4 {
		t.Fatalf("the append after a rewind: seq %d, %v", seq, err)
	}
	after, _ := os.Stat(path)
	if after.Size() != before.Size() {
		t.Errorf("the rewound journal is %d bytes, was %d: it should be written over", after.Size(), before.Size())
	}
	j.f.Close()
	j, records, err := openJournal(path, "test")
	if err != nil || len(records) != 1 || records[0].seq != 4 || !slices.Equal(records[0].rows, rows) {
		t.Fatalf("reopened: %v, %v", records, err)
	}
	if seq, err := j.append(rows); err != nil || seq != 5 {
		t.Fatalf("the append after reopening: seq %d, %v", seq, err)
	}
	j.f.Close()
}
