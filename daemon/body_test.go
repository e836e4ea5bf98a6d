package daemon

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// knowsTheAdmin is a tracker that knows the default admin and nothing else:
// enough to reach a handler, whose body is what these tests are about.
type knowsTheAdmin struct{ core.Tracker }

func (knowsTheAdmin) GetUserByUsername(context.Context, string) (*core.User, error) {
	return &core.User{ID: "admin", Username: core.DefaultUsername, IsAdmin: true}, nil
}

// serveBodies runs s on a loopback port with the server settings ddd uses.
func serveBodies(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Minute}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// announce opens a connection and sends the headers of a metric batch of
// length bytes, and the first bytes of its body.
func announce(t *testing.T, addr string, length int) net.Conn {
	t.Helper()
	return announceTo(t, addr, "POST /metric/iteration/x/batch", length)
}

// announceTo is announce with the request's method and path.
func announceTo(t *testing.T, addr, head string, length int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"metrics\": [", head, addr, length)
	return conn
}

// TestSlowBodyIsCut: a body that trickles in under the minimum rate is cut
// once its allowance runs out, with an answer saying why; on a route that
// reads a metric batch and on one that reads any other JSON body, neither
// of which may stretch the allowance by the length the client announced.
func TestSlowBodyIsCut(t *testing.T) {
	t.Parallel()
	for _, head := range []string{"POST /metric/iteration/x/batch", "POST /project/"} {
		t.Run(head, func(t *testing.T) {
			t.Parallel()
			s := NewServer(knowsTheAdmin{}, DefaultConfig(), nil)
			s.pace = bodyPace{rate: 1000, grace: 300 * time.Millisecond}
			conn := announceTo(t, serveBodies(t, s), head, 8<<20)
			start := time.Now()
			go func() {
				for range 20 {
					time.Sleep(200 * time.Millisecond)
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}()
			conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			answer, _ := io.ReadAll(conn)
			if took := time.Since(start); took > 3*time.Second || !strings.Contains(string(answer), "too slowly") {
				t.Fatalf("after %v the server answered %q; want it to cut the body within about a second and say why", took, answer)
			}
		})
	}
}

// TestAnnouncedLengthReservesNothing: fifty connections that announce 8 MiB
// bodies and send a few bytes hold far less than 8 MiB each, on a metric
// batch's route and on another JSON route.
func TestAnnouncedLengthReservesNothing(t *testing.T) {
	addr := serveBodies(t, NewServer(knowsTheAdmin{}, DefaultConfig(), nil))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 50 {
		announceTo(t, addr, []string{"POST /metric/iteration/x/batch", "POST /project/"}[i%2], 8<<20)
	}
	time.Sleep(500 * time.Millisecond) // every handler is reading its body by now
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 64<<20 {
		t.Fatalf("the heap grew by %d MiB for 50 announced bodies of 8 MiB that never came", grew>>20)
	}
}

// TestBodyMemoryIsBudgeted: bodies held whole share one budget; a request
// that finds it spent gets 503 with Retry-After, and the budget is whole
// again once the bodies are done.
func TestBodyMemoryIsBudgeted(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.MaxBodyBytes, cfg.MaxSnapshotBytes, cfg.MaxBodyMemory = 1<<20, 1<<20, 1<<20
	srv := NewServer(knowsTheAdmin{}, cfg, nil)
	addr := serveBodies(t, srv)
	// Three bodies of 300 KiB hold, between them, more than 15 chunks of
	// 64 KiB: the fourth finds the budget spent.
	var conns []net.Conn
	for range 3 {
		conn := announce(t, addr, 900<<10)
		conn.Write([]byte(strings.Repeat(" ", 300<<10)))
		conns = append(conns, conn)
	}
	time.Sleep(300 * time.Millisecond)
	conn := announce(t, addr, 900<<10)
	conn.Write([]byte(strings.Repeat(" ", 300<<10)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "SERVER_BUSY") {
		t.Fatalf("over the budget: %s %v %s", resp.Status, resp.Header, body)
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.Close() })
	}
	wg.Wait()
	for deadline := time.Now().Add(5 * time.Second); !srv.bodies.sem.TryAcquire(cfg.MaxBodyMemory); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the budget was not given back once the bodies were gone")
		}
	}
}

// TestReadWholeEndsAtTheAnnouncedLength: a body read whole ends in a buffer
// of about its announced length, not the next power of two past it, and
// one announced short or not at all is read whole all the same.
func TestReadWholeEndsAtTheAnnouncedLength(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		size, announced int
	}{{26, 26}, {5 << 20, 5 << 20}, {8 << 20, 8 << 20}, {3000, -1}, {3000, 10}, {0, 0}} {
		body := bytes.Repeat([]byte("x"), c.size)
		// iotest.HalfReader's reads are short, as a network's are.
		got, err := readWhole(iotest.HalfReader(bytes.NewReader(body)), int64(c.announced))
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%d bytes announced as %d: read %d, %v", c.size, c.announced, len(got), err)
		}
		if c.announced == c.size && cap(got) > c.size+c.size/64+2*bytes.MinRead {
			t.Errorf("%d announced bytes ended in a buffer of %d", c.size, cap(got))
		}
	}
}
