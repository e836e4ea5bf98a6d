package core

import (
	"strings"
	"time"
)

// TimeLayout is how every timestamp is stored and sent: upstream's ISO text
// form with milliseconds, always in UTC, so files stay readable by DearDiary.jl.
const TimeLayout = "2006-01-02T15:04:05.000"

// FormatTime renders t in TimeLayout, in UTC. The zero time renders as "",
// upstream's "unset".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

// naiveLayouts are the zone-less forms upstream writes ("2025-01-01T12:00:00",
// "2025-01-01T12:00:00.5"); Go's parser accepts any number of fraction digits
// after the seconds when the layout has none.
var naiveLayouts = []string{
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads a timestamp in RFC 3339 or in upstream's naive form, which is
// taken to be UTC. The empty string is the zero time.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range naiveLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, Invalid("cannot read %q as a time: use RFC 3339 (2025-03-04T18:30:00Z) or 2025-03-04T18:30:00", s)
}

// TruncateTime drops what storage cannot keep: the result equals what a
// Tracker reads back for t.
func TruncateTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}
