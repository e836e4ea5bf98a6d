package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery is how long a log line may wait in memory before it is
// written out.
const logFlushEvery = 100 * time.Millisecond

// batchedLog gathers log lines and writes them out together: every request
// logs a line, and at 20,000 requests a second a write to stderr per line
// was a tenth of the server's system calls. Lines wait at most
// logFlushEvery, or until 64 KiB gather; a warning or an error is written
// at once with what came before it (see flushAbove), and Main.Close writes
// what is left.
type batchedLog struct {
	mu        sync.Mutex
	out       io.Writer
	buf       []byte
	scheduled bool
}

func newBatchedLog(out io.Writer) *batchedLog { return &batchedLog{out: out} }

func (l *batchedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	if len(l.buf) >= 64<<10 {
		return len(p), l.flushLocked()
	}
	if !l.scheduled {
		l.scheduled = true
		time.AfterFunc(logFlushEvery, func() { _ = l.Flush() })
	}
	return len(p), nil
}

// Flush writes out the lines gathered so far.
func (l *batchedLog) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.scheduled = false
	return l.flushLocked()
}

func (l *batchedLog) flushLocked() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.out.Write(l.buf)
	l.buf = l.buf[:0]
	if cap(l.buf) > 1<<20 {
		l.buf = nil
	}
	return err
}

// flushAbove writes a record above Info out at once, so a warning or an
// error is not held back behind the request lines.
type flushAbove struct {
	slog.Handler
	log *batchedLog
}

func (h flushAbove) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level > slog.LevelInfo {
		if ferr := h.log.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushAbove) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushAbove{h.Handler.WithAttrs(attrs), h.log}
}

func (h flushAbove) WithGroup(name string) slog.Handler {
	return flushAbove{h.Handler.WithGroup(name), h.log}
}
