package daemon

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/deardiary/deardiary-go/core"
)

// A request body costs the server what the client decides: memory when it is
// held whole (a JSON body, an inline upload), and a connection and a
// goroutine for as long as it takes to arrive. Two rules bound both:
//
//   - every body must keep arriving at minBodyRate after a grace period,
//     or the connection is cut, so a client cannot hold one open by sending
//     a byte now and then;
//   - bodies held whole take their memory from one budget of
//     Config.MaxBodyMemory bytes, a chunk at a time as they arrive, never
//     by their announced length; a request that finds the budget spent gets
//     503 with Retry-After.

const (
	// minBodyRate is the slowest a body may arrive, in bytes per second,
	// once bodyGrace has passed; bodyChunk is the most one read asks for,
	// so a deadline never stretches for bytes not yet asked for.
	minBodyRate = 4 << 10
	bodyGrace   = 10 * time.Second
	bodyChunk   = 64 << 10
)

// bodyPace is how fast bodies must arrive: a Server's are minBodyRate after
// bodyGrace (tests make them quicker).
type bodyPace struct {
	rate  float64 // bytes per second
	grace time.Duration
}

// errSlowBody reports a body that fell behind the pace.
var errSlowBody = core.Errorf(core.EInvalid, "the request body arrived too slowly (under %d bytes a second); ddd stopped reading it", minBodyRate)

// codeBusy is ddd's code for a request refused because bodies already in
// flight hold all the memory it lends them (503, with Retry-After).
const codeBusy = "SERVER_BUSY"

// errBusy is the refusal for a body that found the budget spent.
var errBusy = core.Errorf(codeBusy, "ddd is reading as many request bodies as its memory allows (DEARDIARY_MAX_BODY_MEMORY); try again in a moment")

// pacedBody is a request body that must keep arriving at minBodyRate: each
// read's deadline allows bodyGrace plus the time the bytes read so far, and
// those asked for, take at that rate.
type pacedBody struct {
	body  io.ReadCloser
	rc    *http.ResponseController
	pace  bodyPace
	start time.Time
	read  int64
}

// paced wraps r's body; w must be the connection's own ResponseWriter (or
// one that unwraps to it) for deadlines to apply. Where deadlines cannot be
// set (a test's recorder), the body reads as it is.
func (pace bodyPace) apply(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	r.Body = &pacedBody{body: r.Body, rc: http.NewResponseController(w), pace: pace, start: time.Now()}
}

func (p *pacedBody) Read(b []byte) (int, error) {
	b = b[:min(len(b), bodyChunk)]
	allowed := p.pace.grace + time.Duration(float64(p.read+int64(len(b)))/p.pace.rate*float64(time.Second))
	_ = p.rc.SetReadDeadline(p.start.Add(allowed))
	n, err := p.body.Read(b)
	p.read += int64(n)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, errSlowBody
	}
	return n, err
}

func (p *pacedBody) Close() error { return p.body.Close() }

// bodyBudget lends memory to bodies held whole.
type bodyBudget struct{ sem *semaphore.Weighted }

func newBodyBudget(bytes int64) *bodyBudget {
	return &bodyBudget{sem: semaphore.NewWeighted(bytes)}
}

// bodyHold is what one request has borrowed; it gives it all back when the
// request ends.
type bodyHold struct {
	budget *bodyBudget
	held   int64
}

// hold gives the request a hold on the budget (through its requestInfo),
// returned by the func.
func (b *bodyBudget) hold(r *http.Request) func() {
	info := infoOf(r.Context())
	if info == nil {
		return func() {}
	}
	h := &bodyHold{budget: b}
	info.hold = h
	return func() {
		if h.held > 0 {
			b.sem.Release(h.held)
			h.held = 0
		}
	}
}

// held makes body borrow, from the request's hold, the memory of what is
// read from it before it is read; without a hold (a handler called outside
// the server) it reads freely.
func held(r *http.Request, body io.Reader) io.Reader {
	info := infoOf(r.Context())
	if info == nil || info.hold == nil {
		return body
	}
	return &heldBody{body: body, hold: info.hold}
}

// readWhole reads body to its end. Its buffer grows as bytes arrive, never
// ahead of them: a client may announce megabytes and send one byte, and a
// paced read's deadline stretches for the bytes it asks for (pacedBody).
// It doubles, as bytes.Buffer does, but never past the announced length,
// so a body of n announced bytes ends in a buffer of about n rather than up
// to 2n, which the body budget, counting bytes read, would not see. A body
// of up to bytes.MinRead announced bytes, a single point's, takes one
// allocation.
func readWhole(body io.Reader, announced int64) ([]byte, error) {
	// One byte past the announced length, to read the end of the body
	// without growing.
	ceiling := int(max(announced, 0)) + 1
	size := 2 * bytes.MinRead
	if announced > 0 {
		size = min(size, ceiling)
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			room := cap(buf) // doubling
			if announced > 0 && len(buf) < ceiling {
				room = min(room, ceiling-len(buf))
			}
			buf = append(make([]byte, 0, len(buf)+room), buf...)
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

type heldBody struct {
	body io.Reader
	hold *bodyHold
	used int64
}

func (b *heldBody) Read(p []byte) (int, error) {
	p = p[:min(len(p), bodyChunk)]
	if b.used+int64(len(p)) > b.hold.held {
		if !b.hold.budget.sem.TryAcquire(bodyChunk) {
			return 0, errBusy
		}
		b.hold.held += bodyChunk
	}
	n, err := b.body.Read(p)
	b.used += int64(n)
	return n, err
}
