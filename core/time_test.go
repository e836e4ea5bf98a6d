package core

import (
	"testing"
	"time"
)

func TestParseTimeForms(t *testing.T) {
	want := time.Date(2025, 3, 4, 18, 30, 0, 0, time.UTC)
	for _, s := range []string{
		"2025-03-04T18:30:00",
		"2025-03-04T18:30:00.000",
		"2025-03-04T18:30:00Z",
		"2025-03-04T19:30:00+01:00",
		"2025-03-04 18:30:00",
		"2025-03-04T18:30",
	} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	got, err := ParseTime("2025-03-04T18:30:00.5")
	if err != nil || !got.Equal(want.Add(500*time.Millisecond)) {
		t.Errorf("fractional naive time: %v, %v", got, err)
	}
	if got, err := ParseTime(""); err != nil || !got.IsZero() {
		t.Errorf("empty string should be the zero time, got %v, %v", got, err)
	}
	if _, err := ParseTime("yesterday"); ErrorCode(err) != EInvalid {
		t.Errorf("junk time error = %v", err)
	}
}

func TestFormatTimeRoundTrip(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.FixedZone("x", 3600))
	s := FormatTime(in)
	if s != "2026-01-02T02:04:05.678" {
		t.Fatalf("FormatTime = %q", s)
	}
	back, err := ParseTime(s)
	if err != nil || !back.Equal(TruncateTime(in)) {
		t.Fatalf("round trip = %v, %v", back, err)
	}
	if FormatTime(time.Time{}) != "" {
		t.Fatal("zero time should format as empty")
	}
}
