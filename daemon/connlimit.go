package daemon

import (
	"io"
	"net"
	"sync"
	"time"
)

// LimitConnections returns a listener that keeps at most n connections open
// at once. Past that it answers each new connection with a 503 at once and
// closes it, rather than leaving it queued: the process never runs out of
// file descriptors, and a client learns at once to come back later instead
// of timing out behind slow ones.
func LimitConnections(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n)}
}

type limitListener struct {
	net.Listener
	slots chan struct{}
}

// busyAnswer is the whole answer to a connection past the limit.
const busyAnswer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 87\r\n\r\n" +
	`{"code":"SERVER_BUSY","message":"ddd has as many connections open as it allows; retry"}`

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &limitedConn{Conn: conn, release: func() { <-l.slots }}, nil
		default:
			go refuse(conn)
		}
	}
}

// refuse answers a connection past the limit. It waits (a second at most)
// for the request to begin: an answer sent before it is unsolicited, and
// Go's client, among others, drops it and reports a broken connection. It
// then closes its writing half and reads what else comes for the rest of
// the second, as net/http does: closing with unread bytes would reset the
// connection, and the client could lose the answer.
func refuse(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Read(make([]byte, 4<<10)); err != nil {
		return
	}
	if _, err := io.WriteString(conn, busyAnswer); err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	io.Copy(io.Discard, conn)
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
