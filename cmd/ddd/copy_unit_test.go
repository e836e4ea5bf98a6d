package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestNewIDs checks the UUIDs integer ids become: version 7, dated by
// their rows, sorting by date and then by old id, with the old id in the
// last 40 bits.
func TestNewIDs(t *testing.T) {
	t.Parallel()
	m := &idMapper{convert: true, salt: saltFor("store"), base: 1000}
	day := time.Date(2026, 6, 30, 9, 18, 1, 500_000_000, time.UTC)
	var last string
	for _, c := range []struct {
		ms, old int64
	}{{day.UnixMilli(), 7}, {day.UnixMilli(), 8}, {day.UnixMilli(), 1 << 39}, {day.UnixMilli() + 1, 1}, {day.UnixMilli() + 1, 2}} {
		id, err := m.newID(c.ms, c.old)
		if err != nil {
			t.Fatal(err)
		}
		u := uuid.MustParse(id)
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Errorf("%s is not a UUIDv7", id)
		}
		if sec, nsec := u.Time().UnixTime(); time.Unix(sec, nsec).UnixMilli() != c.ms {
			t.Errorf("%s has time %d, want %d", id, time.Unix(sec, nsec).UnixMilli(), c.ms)
		}
		if tail := int64(binary.BigEndian.Uint64(u[8:]) & (1<<oldIDBits - 1)); tail != c.old {
			t.Errorf("%s ends in %d, want %d", id, tail, c.old)
		}
		if id <= last {
			t.Errorf("%s sorts before %s", id, last)
		}
		last = id
	}
	again, _ := (&idMapper{convert: true, salt: saltFor("store")}).newID(day.UnixMilli(), 7)
	first, _ := m.newID(day.UnixMilli(), 7)
	other, _ := (&idMapper{convert: true, salt: saltFor("another store")}).newID(day.UnixMilli(), 7)
	if again != first || other == first {
		t.Errorf("the same store and id gave %s and %s; another store %s", first, again, other)
	}
	for _, old := range []int64{-1, 1 << 40} {
		if _, err := m.newID(0, old); err == nil {
			t.Errorf("id %d was given a UUID", old)
		}
	}
	// A reference to a row that does not exist cannot be given its id.
	m.dates = map[string]map[int64]int64{"iteration": {1: 5}}
	if _, err := m.ref("iteration", int64(2)); err == nil || !strings.Contains(err.Error(), "iteration 2, which does not exist") {
		t.Errorf("a dangling reference: %v", err)
	}
	if id, err := m.ref("tag", int64(3)); err != nil || uuid.MustParse(id.(string)).Version() != 7 {
		t.Errorf("an undated table's reference: %v, %v", id, err)
	}
	if key, _ := m.filesKey("1"); key == "1" {
		t.Error("a snapshot keyed by its iteration's id kept the old id")
	}
	if key, _ := m.filesKey("0192f0c4-0000-7000-8000-000000000000"); key != "0192f0c4-0000-7000-8000-000000000000" {
		t.Error("a snapshot's own files key changed")
	}
}

// TestProgressOnATerminal checks the line drawn in place: rows, rate and
// time left, at most every redraw, then the table's final line.
func TestProgressOnATerminal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &copyProgress{w: &out, tty: true, now: func() time.Time { return now }}
	p.begin("metric", 1_000_000, 0)
	now = now.Add(2 * time.Second)
	p.add(200_000)
	p.add(1) // within redraw of the last line: not drawn
	now = now.Add(time.Second)
	p.add(99_999)
	p.end("metric", 1_000_000)
	got := out.String()
	for _, want := range []string{
		"\r\x1b[K  metric                   0 / 1,000,000 rows",
		"\r\x1b[K  metric                   200,000 / 1,000,000 rows  100,000 rows/s  8s left",
		"\r\x1b[K  metric                   300,000 / 1,000,000 rows  100,000 rows/s  7s left",
		"\r\x1b[K  metric                   1,000,000 rows in 3s (333,333 rows/s)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in %q", want, got)
		}
	}
	if strings.Count(got, "\r") != 4 {
		t.Errorf("%d lines drawn, want 4: %q", strings.Count(got, "\r"), got)
	}
	if thousands(-1234567) != "-1,234,567" || thousands(999) != "999" {
		t.Error(thousands(-1234567), thousands(999))
	}
}
