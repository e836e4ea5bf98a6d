package daemon

import (
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

// refuse answers a connection past the limit without reading its request.
func refuse(conn net.Conn) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	conn.Write([]byte(busyAnswer))
	conn.Close()
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
