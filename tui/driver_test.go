package tui

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/tui/demo"
)

// The demo database, built once for the few tests that browse the real
// store, with UUID ids and again with DearDiary.jl 0.9.1's integer ids.
// They only read it, so they share it.
type demoDatabase struct {
	once  sync.Once
	store *duckdb.Store
	err   error
}

var demoDBs = map[string]*demoDatabase{"uuid": {}, "integer": {}}

// demoStore is the demo database with UUID ids.
func demoStore(t testing.TB) *duckdb.Store { return demoStoreWith(t, "uuid") }

// demoStoreWith is the demo database with ids of the kind named.
func demoStoreWith(t testing.TB, ids string) *duckdb.Store {
	t.Helper()
	d := demoDBs[ids]
	d.once.Do(func() {
		opts := []duckdb.Option{duckdb.WithBcryptCost(bcrypt.MinCost)}
		if ids == "integer" {
			opts = append(opts, duckdb.WithIntegerIDs())
		}
		d.store, d.err = duckdb.Open(":memory:", opts...)
		if d.err == nil {
			d.err = demo.Build(context.Background(), d.store)
		}
	})
	if d.err != nil {
		t.Fatal(d.err)
	}
	return d.store
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range demoDBs {
		if d.store != nil {
			d.store.Close()
		}
	}
	os.Exit(code)
}

// driver steps the app as Bubble Tea would: each command runs on its own
// goroutine and its message comes back to Update, one at a time. After
// every input the driver waits until nothing is running but calls the
// test holds in the fake store.
type driver struct {
	t        testing.TB
	m        *Model
	results  chan tea.Msg
	inflight int
	held     func() int // calls waiting at the fake store's gates
	quit     bool
}

// newDriver starts the app on store at w x h cells. The clock is the
// sample's, a day after its data; the demo's times are real ones.
func newDriver(t testing.TB, store Store, w, h int) *driver {
	t.Helper()
	ctx := &Context{Store: store, Source: "test.db", NoTicks: true, RestoreDir: t.TempDir()}
	if _, fake := store.(interface{ Waiting() int }); fake {
		ctx.Now = sampleClock
	}
	return startDriver(t, ctx, w, h)
}

// startDriver starts the app with ctx at w x h cells.
func startDriver(t testing.TB, ctx *Context, w, h int) *driver {
	t.Helper()
	d := &driver{t: t, m: New(ctx), results: make(chan tea.Msg, 64), held: func() int { return 0 }}
	if fake, ok := ctx.Store.(interface{ Waiting() int }); ok {
		d.held = fake.Waiting
	}
	d.send(tea.WindowSizeMsg{Width: w, Height: h})
	d.start(d.m.Init())
	d.settle()
	return d
}

func (d *driver) start(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	d.inflight++
	go func() { d.results <- cmd() }()
}

func (d *driver) handle(msg tea.Msg) {
	d.inflight--
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			d.start(c)
		}
	case tea.QuitMsg:
		d.quit = true
	default:
		_, next := d.m.Update(msg)
		d.start(next)
	}
}

// settle delivers results until every command still running is one the
// fake store holds. (A load that makes several held calls at once counts
// as several, so settle can return early there; no test does that.)
func (d *driver) settle() {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case msg := <-d.results:
			d.handle(msg)
			continue
		default:
		}
		if d.inflight <= d.held() {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("%d commands still running after 10s", d.inflight)
		}
		select {
		case msg := <-d.results:
			d.handle(msg)
		case <-time.After(time.Millisecond):
		}
	}
}

// send delivers msg and waits for what it sets off.
func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	_, cmd := d.m.Update(msg)
	d.start(cmd)
	d.settle()
}

// keyMsg builds the message of a key as the terminal would send it.
func keyMsg(name string) tea.KeyPressMsg {
	special := map[string]tea.Key{
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "space": {Code: tea.KeySpace, Text: " "},
		"tab": {Code: tea.KeyTab}, "shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "down": {Code: tea.KeyDown},
		"up": {Code: tea.KeyUp}, "left": {Code: tea.KeyLeft}, "right": {Code: tea.KeyRight}, "backspace": {Code: tea.KeyBackspace},
		"ctrl+u": {Code: 'u', Mod: tea.ModCtrl}, "ctrl+c": {Code: 'c', Mod: tea.ModCtrl}, "end": {Code: tea.KeyEnd},
		"home": {Code: tea.KeyHome}, "pgdown": {Code: tea.KeyPgDown}, "pgup": {Code: tea.KeyPgUp},
	}
	if k, ok := special[name]; ok {
		return tea.KeyPressMsg(k)
	}
	r := []rune(name)[0]
	return tea.KeyPressMsg(tea.Key{Code: r, Text: name})
}

// keys presses keys one by one.
func (d *driver) keys(names ...string) {
	d.t.Helper()
	for _, n := range names {
		d.send(keyMsg(n))
	}
}

// typeText types text into a focused field.
func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.send(tea.KeyPressMsg(tea.Key{Code: r, Text: string(r)}))
	}
}

// top is the screen on top of the stack.
func (d *driver) top() screen { return d.m.top() }

// screen is what the terminal shows, without styling.
func (d *driver) screen() string { return ansi.Strip(d.m.render()) }

// expect fails unless every part is on screen.
func (d *driver) expect(parts ...string) {
	d.t.Helper()
	s := d.screen()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			d.t.Fatalf("screen lacks %q:\n%s", p, s)
		}
	}
}

// lacks fails if any part is on screen.
func (d *driver) lacks(parts ...string) {
	d.t.Helper()
	s := d.screen()
	for _, p := range parts {
		if strings.Contains(s, p) {
			d.t.Fatalf("screen shows %q:\n%s", p, s)
		}
	}
}

// selectRow moves the cursor to the first row containing text.
func (d *driver) selectRow(text string) {
	d.t.Helper()
	d.keys("home")
	for range 60 {
		if strings.Contains(d.selectedLine(), text) {
			return
		}
		d.keys("down")
	}
	d.t.Fatalf("no row with %q:\n%s", text, d.screen())
}

// selectedLine is the row under the cursor: the last line drawn in reverse
// video, as a tab bar above the rows shows its active tab so too.
func (d *driver) selectedLine() string {
	selected := ""
	for _, line := range strings.Split(d.m.render(), "\n") {
		if strings.Contains(line, "\x1b[7m") {
			selected = ansi.Strip(line)
		}
	}
	return selected
}

// fitsIn checks that every line of the screen fits the terminal.
func (d *driver) fitsIn(w, h int) {
	d.t.Helper()
	lines := strings.Split(d.m.render(), "\n")
	if len(lines) != h {
		d.t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			d.t.Fatalf("line %d is %d cells wide, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}
