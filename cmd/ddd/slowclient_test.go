package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// TestSlowClientsAreCut: a client that stops halfway through its headers,
// and one that keeps an idle connection open, are disconnected after the
// header and idle timeouts, while other clients are served throughout.
func TestSlowClientsAreCut(t *testing.T) {
	t.Parallel()
	m := NewMain(io.Discard)
	m.Config.Port = 0
	m.Config.DBFile = filepath.Join(t.TempDir(), "slow.db")
	m.HeaderTimeout, m.IdleTimeout = 300*time.Millisecond, 300*time.Millisecond
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	addr := strings.TrimPrefix(m.URL, "http://")
	// closedByServer waits, far longer than the timeout, for the server to
	// close conn, and reads what it said first.
	closedByServer := func(what string, conn net.Conn) string {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		got, err := io.ReadAll(conn)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s: the connection was still open after 30 s", what)
		}
		return string(got)
	}

	stalled, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	io.WriteString(stalled, "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ") // and nothing more
	daemontest.API{T: t, Base: m.URL}.Expect(daemontest.API{T: t, Base: m.URL}.Do("GET", "/health", nil), 200, "")
	closedByServer("half-sent headers", stalled)

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n") // one request, then silence
	if answer := closedByServer("an idle kept-alive connection", idle); !strings.HasPrefix(answer, "HTTP/1.1 200") {
		t.Fatalf("the request before going idle got %q", answer)
	}
}
