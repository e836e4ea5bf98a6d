package tui

import (
	"testing"
	"time"
)

func TestDurationAndAgo(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		500 * time.Millisecond:  "500 ms",
		1060 * time.Millisecond: "1.06s",
		90 * time.Second:        "1m 30s",
		61 * time.Minute:        "1h 1m",
		50 * time.Hour:          "2d 2h",
	} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for ts, want := range map[time.Time]string{
		now.Add(-30 * time.Second):                   "just now",
		now.Add(time.Minute):                         "just now",
		now.Add(-5 * time.Minute):                    "5m ago",
		now.Add(-3 * time.Hour):                      "3h ago",
		now.Add(-50 * time.Hour):                     "2d ago",
		time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC):  "Mar 5",
		time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC): "Nov 1, 2025",
	} {
		if got := ago(ts, now); got != want {
			t.Errorf("ago(%v) = %q, want %q", ts, got, want)
		}
	}
}

func TestBoxIsExact(t *testing.T) {
	t.Parallel()
	got := box("a\nbcdefghijk\n", 5, 3)
	want := "a    \nbcde…\n     "
	if got != want {
		t.Fatalf("box = %q, want %q", got, want)
	}
}
