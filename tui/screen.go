package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/deardiary/deardiary-go/core"
)

// screen is one page: a list, a table, a detail view.
type screen interface {
	// id names this screen instance while it is on the stack.
	id() screenID
	// Init starts the screen's loads.
	Init() tea.Cmd
	// Update also receives the body's size as a tea.WindowSizeMsg: when
	// the screen is pushed and whenever the terminal changes.
	Update(msg tea.Msg) (screen, tea.Cmd)
	// View renders the body at the size Update last received. It changes
	// nothing: whatever it needs to know is settled in Update.
	View() string
	// Title is the screen's crumb in the header.
	Title() string
	// Bindings are the screen's keys as they stand, for dispatch, the
	// footer and help. Keys bound nowhere reach Update, for a text field.
	Bindings() []binding
	// Capturing reports whether a text field has the keyboard: the app's
	// own keys (q, ?, esc) then type into it, except ctrl+c.
	Capturing() bool
}

// screenID names one screen instance. Every load carries the id of the
// screen that asked for it, so its result reaches that screen or, once the
// screen is gone, nothing: a slow answer for a run the user left must not
// land in the dialog of the run they opened next.
type screenID uint64

// base is what every screen embeds: the shared context, its id and the
// size of its body.
type base struct {
	ctx           *Context
	sid           screenID
	width, height int
}

func newBase(ctx *Context) base {
	ctx.lastScreen++
	return base{ctx: ctx, sid: ctx.lastScreen}
}

func (b *base) id() screenID { return b.sid }

// resize records the body's size.
func (b *base) resize(msg tea.WindowSizeMsg) { b.width, b.height = msg.Width, msg.Height }

// load runs fn in the background with the spinner turning, under a context
// that ends when this screen leaves the stack; fn's message comes back to
// this screen only.
func (b *base) load(fn func(ctx context.Context) tea.Msg) tea.Cmd {
	id, refresh := b.sid, b.ctx.refreshing
	return func() tea.Msg { return loadMsg{screen: id, fn: fn, refresh: refresh} }
}

// push puts a screen on top of the stack and pop takes the top one off,
// once the message or key at hand is handled: at once, not through a
// command, so a second enter arriving before the first one's screen was
// drawn reaches that screen instead of opening it twice.
func (c *Context) push(s screen) tea.Cmd {
	c.nav = append(c.nav, navigation{push: s})
	return nil
}

func (c *Context) pop() tea.Cmd {
	c.nav = append(c.nav, navigation{})
	return nil
}

// navigation is a push (of s) or a pop (s nil) waiting for the app.
type navigation struct{ push screen }

// status shows text in the status line.
func status(text string) tea.Cmd { return func() tea.Msg { return statusMsg{text: text} } }

// failed shows an error in the status line.
func failed(err error) tea.Cmd { return func() tea.Msg { return fail(err) } }

// Messages between screens and the app.
type (
	// pushMsg and popMsg do what Context.push and pop do, for a caller
	// outside a screen (a benchmark driving the app).
	pushMsg struct{ s screen }
	popMsg  struct{}
	// revealedMsg tells a screen it is on top again, after the one over
	// it left: what it shows may have changed meanwhile.
	revealedMsg struct{}
	// refreshMsg asks the screen on top to reload what may have changed
	// (new points, runs that ended): a tick of the live refresh.
	refreshMsg struct{ tick int }
	statusMsg  struct {
		text string
		err  bool
	}
	// loadMsg asks the app to run a load for a screen.
	loadMsg struct {
		screen screenID
		fn     func(ctx context.Context) tea.Msg
		// refresh marks a load a live tick set off: it turns no spinner,
		// and what it took paces the next tick's.
		refresh bool
	}
	// loadedMsg carries a load's result to the screen that asked for it.
	loadedMsg struct {
		screen  screenID
		msg     tea.Msg
		refresh bool
		took    time.Duration
	}
)

// fail reports an error in the status line.
func fail(err error) tea.Msg { return statusMsg{text: core.ErrorMessageOrText(err), err: true} }

// loadTimeout bounds one load: a daemon that stops answering shows as an
// error rather than a spinner forever.
const loadTimeout = 60 * time.Second

// frame is a screen on the stack with the context its loads run under.
type frame struct {
	s      screen
	ctx    context.Context
	cancel context.CancelFunc
}

func newFrame(s screen) frame {
	ctx, cancel := context.WithCancel(context.Background())
	return frame{s, ctx, cancel}
}
