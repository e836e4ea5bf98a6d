package main

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the flush timer's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestBatchedLog(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	logs := newBatchedLog(&out)
	log := slog.New(flushAbove{slog.NewTextHandler(logs, nil), logs})
	log.Info("request", "path", "/a")
	log.Info("request", "path", "/b")
	if got := out.String(); got != "" {
		t.Fatalf("info lines were written at once: %q", got)
	}
	// A warning goes out at once, after the lines before it.
	log.With("user", "u").Warn("careful")
	got := out.String()
	if a, b, w := strings.Index(got, "/a"), strings.Index(got, "/b"), strings.Index(got, "careful"); a < 0 || !(a < b && b < w) || !strings.Contains(got, "user=u") {
		t.Fatalf("after a warning: %q", got)
	}
	// An info line goes out by itself soon.
	log.Info("request", "path", "/c")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "/c") {
		if time.Now().After(deadline) {
			t.Fatalf("an info line was never written: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Many lines go out once 64 KiB gather, without waiting.
	logs = newBatchedLog(&out)
	line := strings.Repeat("x", 1000) + "\n"
	for range 70 {
		logs.Write([]byte(line))
	}
	if n := strings.Count(out.String(), line); n < 64 {
		t.Errorf("%d of 70 long lines were written at once", n)
	}
}
