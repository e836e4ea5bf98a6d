package daemon

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConnectionsPastTheLimitGet503: with the limit's connections held
// open, the next one is answered 503 at once (not left to time out), and a
// slot freed is taken again.
func TestConnectionsPastTheLimitGet503(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(LimitConnections(ln, 3))
	defer srv.Close()
	var held []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")) // a request that never ends its headers
		held = append(held, c)
	}
	time.Sleep(100 * time.Millisecond)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var env envelope
	if resp.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(body, &env) != nil || env.Code != codeBusy ||
		resp.Header.Get("Retry-After") == "" {
		t.Fatalf("past the limit: %s %q", resp.Status, body)
	}
	held[0].Close()
	time.Sleep(100 * time.Millisecond)
	resp, err = http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Fatalf("after a slot was freed: %s %q", resp.Status, body)
	}
}
