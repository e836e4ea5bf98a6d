// Package tui is ddtui, DearDiary's terminal explorer: browse projects,
// experiments and iteration trees, read parameters and metric charts,
// compare runs side by side, and restore the environment of a run. It reads
// through Store, a few methods of core.Tracker, so it works the same on a
// local file and on a daemon.
package tui

import (
	"context"
	"runtime"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
)

// Context is what every screen shares: the store, the terminal size, the
// styles and the clock.
type Context struct {
	// Store is where the screens read from: any core.Tracker, or a fake.
	Store Store
	// Source names where the data comes from, for the header.
	Source string
	// Reach are the ddd flags that reach the same data (--server URL or
	// --db FILE), for the restore command Y copies; empty leaves them out.
	Reach []string
	// Live makes the screen on top reload what may change (new points,
	// runs that end, new runs) every Refresh, without a key press.
	Live bool
	// Refresh is the live refresh's interval; zero means LiveInterval.
	Refresh time.Duration
	// RestoreDir is the directory restores default to.
	RestoreDir string
	// Notice is shown in the status line as the app starts.
	Notice string
	// LowerIsBetter says which metrics are best when lowest, for compare's
	// stars; nil guesses from the name (losses, errors, times).
	LowerIsBetter func(key string) bool
	// NoTicks stops the spinner and the live refresh from scheduling
	// themselves: tests step the app message by message.
	NoTicks bool
	// Mono is set when the terminal shows no colour (NO_COLOR, a dumb
	// terminal): charts then tell series apart by their dots' pattern.
	Mono   bool
	Width  int
	Height int
	Styles Styles
	Now    func() time.Time

	lastScreen screenID
	nav        []navigation
	// refreshing is set while a live tick is handled: the loads it sets
	// off are refreshes.
	refreshing bool
}

// lowerIsBetter reports whether a metric is best when lowest.
func (c *Context) lowerIsBetter(key string) bool {
	if c.LowerIsBetter != nil {
		return c.LowerIsBetter(key)
	}
	return LowerIsBetter(key)
}

// Model is the root model: a stack of screens with a header, a status line
// and a footer of key hints.
type Model struct {
	ctx     *Context
	stack   []frame
	status  string
	isError bool
	help    bool
	helpCur cursor
	loading int
	ticks   int
	// skipTicks is how many live ticks pass before the next refresh: one
	// that took d is followed by none for refreshShare times d, so that
	// refreshing never takes more than a small share of a core, however
	// much data the screen shows.
	skipTicks int
	spinner   spinner.Model
	quitting  bool
}

// New returns the app, starting on the projects screen.
func New(ctx *Context) *Model {
	if ctx.Now == nil {
		ctx.Now = time.Now
	}
	if ctx.Width == 0 {
		ctx.Width, ctx.Height = 80, 24
	}
	if ctx.RestoreDir == "" {
		ctx.RestoreDir = "restore"
	}
	if ctx.Refresh <= 0 {
		ctx.Refresh = LiveInterval
	}
	ctx.Styles = DefaultStyles()
	return &Model{ctx: ctx, stack: []frame{newFrame(newProjects(ctx))}, status: ctx.Notice, spinner: spinner.New(spinner.WithSpinner(spinner.Dot))}
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	if m.ctx.NoTicks {
		return m.top().Init()
	}
	return tea.Batch(m.top().Init(), m.liveTick())
}

func (m *Model) top() screen { return m.stack[len(m.stack)-1].s }

// frame returns the stack's frame of a screen, nil once it has left.
func (m *Model) frame(id screenID) *frame {
	for i := range m.stack {
		if m.stack[i].s.id() == id {
			return &m.stack[i]
		}
	}
	return nil
}

// Update implements tea.Model. Screens ask for pushes and pops while
// handling a message; they happen here, before the next message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	return m, tea.Batch(cmd, m.navigate())
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		m.helpCur.clamp(m.helpPositions(), m.helpRows())
		// Every screen learns the size, so one revealed by esc is ready.
		cmds := make([]tea.Cmd, len(m.stack))
		for i := range m.stack {
			cmds[i] = m.resize(&m.stack[i])
		}
		return tea.Batch(cmds...)
	case tea.ColorProfileMsg:
		m.ctx.Mono = msg.Profile <= colorprofile.Ascii
		return nil
	case pushMsg:
		return m.ctx.push(msg.s)
	case popMsg:
		return m.ctx.pop()
	case statusMsg:
		m.status, m.isError = msg.text, msg.err
		return nil
	case loadMsg:
		f := m.frame(msg.screen)
		if f == nil {
			return nil
		}
		var spin tea.Cmd
		if !msg.refresh {
			m.loading++
			if m.loading == 1 && !m.ctx.NoTicks {
				// The spinner turns only while something loads: each turn
				// redraws the screen.
				spin = m.spinner.Tick
			}
		}
		parent := f.ctx
		return tea.Batch(spin, func() tea.Msg {
			ctx, cancel := context.WithTimeout(parent, loadTimeout)
			defer cancel()
			start := time.Now()
			out := msg.fn(ctx)
			return loadedMsg{screen: msg.screen, msg: out, refresh: msg.refresh, took: time.Since(start)}
		})
	case loadedMsg:
		if msg.refresh {
			// DuckDB reads a local file on several threads: the load's
			// wall time times them bounds the CPU it took.
			m.skipTicks = int(msg.took * refreshShare * time.Duration(min(runtime.NumCPU(), 4)) / m.ctx.Refresh)
		} else {
			m.loading = max(m.loading-1, 0)
		}
		f := m.frame(msg.screen)
		if f == nil {
			return nil
		}
		var cmd tea.Cmd
		f.s, cmd = f.s.Update(msg.msg)
		return cmd
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		if m.loading == 0 {
			return nil // stopped until the next load
		}
		return cmd
	case liveTickMsg:
		// The screen on top reloads what may have changed in it; the next
		// tick is scheduled either way.
		m.ticks++
		var refresh tea.Cmd
		if m.skipTicks > 0 {
			m.skipTicks--
		} else if m.ctx.Live {
			m.ctx.refreshing = true
			refresh = m.forward(refreshMsg{m.ticks})
			m.ctx.refreshing = false
		}
		if m.ctx.NoTicks {
			return refresh
		}
		return tea.Batch(m.liveTick(), refresh)
	case tea.KeyPressMsg:
		if m.help {
			cmd, _ := dispatch(m.helpBindings(), msg)
			return cmd
		}
		if m.status != "" && !m.isError {
			m.status = ""
		}
		if cmd, ok := dispatch(m.keymap(), msg); ok {
			return cmd
		}
	case tea.MouseWheelMsg:
		if m.help {
			m.helpCur.wheel(msg, m.helpPositions(), m.helpRows())
			return nil
		}
	}
	return m.forward(msg)
}

// navigate carries out the pushes and pops screens asked for.
func (m *Model) navigate() tea.Cmd {
	var cmds []tea.Cmd
	for len(m.ctx.nav) > 0 {
		n := m.ctx.nav[0]
		m.ctx.nav = m.ctx.nav[1:]
		if n.push != nil {
			m.stack = append(m.stack, newFrame(n.push))
			m.status = ""
			cmds = append(cmds, m.resize(&m.stack[len(m.stack)-1]), n.push.Init())
			continue
		}
		if len(m.stack) > 1 {
			// The screen's loads are of no use to anyone now.
			m.stack[len(m.stack)-1].cancel()
			m.stack = m.stack[:len(m.stack)-1]
			if m.ctx.Live {
				cmds = append(cmds, m.forward(revealedMsg{}))
			}
		}
	}
	return tea.Batch(cmds...)
}

// keymap is the table a key press is looked up in: the app's keys that no
// screen may take (quit, help), the screen's, then going back, which a
// screen may take for itself (the detail's left arrow switches tabs, esc
// clears a filter first).
func (m *Model) keymap() []binding {
	first, last := m.appKeys()
	return append(append(first, m.top().Bindings()...), last...)
}

// appKeys are the app's own keys, before and after the screen's.
func (m *Model) appKeys() (first, last []binding) {
	quit := binding{keys: []string{"ctrl+c"}, label: "ctrl+c", help: "quit, also while typing", section: sectionApp, run: m.quit}
	if m.top().Capturing() {
		return []binding{quit}, nil
	}
	first = []binding{
		{keys: []string{"?"}, label: "?", help: "help: every key", footer: true, section: sectionApp, run: m.openHelp},
		{keys: []string{"q"}, label: "q", help: "quit", footer: true, section: sectionApp, run: m.quit},
		quit,
	}
	if len(m.stack) > 1 {
		last = nav(binding{keys: []string{"esc", "backspace", "left", "h"}, label: "esc", help: "back", footer: true, run: m.ctx.pop})
	}
	return first, last
}

// helpKeys are the keys help and the footer show, in their order: the
// screen's, then the app's.
func (m *Model) helpKeys() []binding {
	first, last := m.appKeys()
	return append(append(m.top().Bindings(), last...), first...)
}

// bodySize is the size of a screen's body: the terminal less the header,
// the status line and the footer.
func (m *Model) bodySize() tea.WindowSizeMsg {
	return tea.WindowSizeMsg{Width: m.ctx.Width, Height: max(m.ctx.Height-3, 1)}
}

// resize tells a screen its body's size.
func (m *Model) resize(f *frame) tea.Cmd {
	var cmd tea.Cmd
	f.s, cmd = f.s.Update(m.bodySize())
	return cmd
}

func (m *Model) forward(msg tea.Msg) tea.Cmd {
	f := &m.stack[len(m.stack)-1]
	var cmd tea.Cmd
	f.s, cmd = f.s.Update(msg)
	return cmd
}

// quit ends the program and every load still running.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	for _, f := range m.stack {
		f.cancel()
	}
	return tea.Quit
}

// View implements tea.Model.
func (m *Model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "ddtui · " + clean(m.top().Title())
	if m.quitting {
		return v
	}
	v.SetContent(m.render())
	return v
}

// render draws the whole screen: header, body, status and footer.
func (m *Model) render() string {
	st, w := m.ctx.Styles, m.ctx.Width
	spin := " "
	if m.loading > 0 {
		spin = m.spinner.View()
	}
	source := clean(m.ctx.Source)
	logo := st.Header.Render(" ddtui ")
	// The source gives way first, then the crumbs from the left: the
	// screen's own name is what must show.
	room := w - lipgloss.Width(logo) - 1 - lipgloss.Width(spin) - 1
	if lipgloss.Width(source)+1 > room/3 {
		source = ""
	} else {
		room -= lipgloss.Width(source) + 1
	}
	header := logo + " " + pad(st.Crumb.Render(m.crumbs(room)), room) + " " + st.Faint.Render(source)
	header = pad(header, w-lipgloss.Width(spin)) + spin
	status := ""
	if m.status != "" {
		style := st.Info
		if m.isError {
			style = st.Error
		}
		status = style.Render(fit(clean(m.status), w))
	}
	footer := m.footer()
	size := m.bodySize()
	var body string
	if m.help {
		body = m.helpView()
	} else {
		body = m.top().View()
	}
	return strings.Join([]string{pad(header, w), box(body, size.Width, size.Height), pad(status, w), pad(footer, w)}, "\n")
}

// crumbs is the path to the screen on top in at most w cells: the first
// crumbs give way to "…" so that the last stays whole while it can.
func (m *Model) crumbs(w int) string {
	var parts []string
	for _, f := range m.stack {
		parts = append(parts, clean(f.s.Title()))
	}
	const sep = " › "
	for i := range parts {
		line := strings.Join(parts[i:], sep)
		if i > 0 {
			line = "…" + sep + line
		}
		if lipgloss.Width(line) <= w || i == len(parts)-1 {
			return fit(line, w)
		}
	}
	return ""
}

// footer is the one-line help: the screen's main keys, then the app's.
// When they do not all fit, the app's (back, help, quit) stay and the
// screen's give way from the end: ? lists them all.
func (m *Model) footer() string {
	st := m.ctx.Styles
	render := func(bs []binding) []string {
		var parts []string
		for _, b := range bs {
			if b.footer && b.label != "" {
				parts = append(parts, st.Key.Render(b.label)+" "+st.Faint.Render(b.help))
			}
		}
		return parts
	}
	if m.help {
		return fit(strings.Join(render(m.helpBindings()), "  "), m.ctx.Width)
	}
	first, last := m.appKeys()
	own, app := render(m.top().Bindings()), render(append(last, first...))
	tail := strings.Join(app, "  ")
	room := m.ctx.Width - lipgloss.Width(tail) - 2
	var shown []string
	for _, p := range own {
		if lipgloss.Width(strings.Join(append(shown, p), "  ")) > room {
			break
		}
		shown = append(shown, p)
	}
	if len(shown) == 0 && len(own) > 0 {
		// Too narrow for the app's keys and one of the screen's: the
		// screen's first key matters more than quit.
		return fit(strings.Join(append(own[:1], app...), "  "), m.ctx.Width)
	}
	return fit(strings.Join(append(shown, app...), "  "), m.ctx.Width)
}

func (m *Model) openHelp() tea.Cmd {
	m.help, m.helpCur = true, cursor{}
	return nil
}

// helpBindings are the keys while help is open: it scrolls, and esc, ? or
// q close it.
func (m *Model) helpBindings() []binding {
	closeHelp := func() tea.Cmd { m.help = false; return nil }
	return append([]binding{
		{keys: []string{"esc", "?", "q", "enter"}, label: "esc", help: "close the help", footer: true, run: closeHelp},
		{keys: []string{"ctrl+c"}, label: "ctrl+c", help: "quit", run: m.quit},
	}, m.helpCur.keys("scroll", m.helpPositions, m.helpRows)...)
}

// helpRows is how many lines of help show under its title.
func (m *Model) helpRows() int { return max(m.bodySize().Height-1, 1) }

// helpPositions is how many first lines help can be shown from.
func (m *Model) helpPositions() int { return max(len(m.helpLines())-m.helpRows()+1, 1) }

// helpLines lists every key of the screen and the app's, in sections:
// moving about, the screen's own, the app's.
func (m *Model) helpLines() []string {
	st := m.ctx.Styles
	keys := m.helpKeys()
	var lines []string
	for _, section := range []string{sectionNav, "", sectionApp} {
		title := section
		if title == "" {
			title = clean(m.top().Title())
		}
		var group []string
		for _, b := range keys {
			if b.section == section && b.label != "" {
				group = append(group, "  "+st.Key.Render(padRight(b.label, 16))+b.help)
			}
		}
		if section == sectionNav {
			group = append(group, "  "+st.Key.Render(padRight("mouse wheel", 16))+"scroll")
		}
		if len(group) == 0 {
			continue
		}
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, st.Title.Render(title))
		lines = append(lines, group...)
	}
	return lines
}

// helpView is the help's page: the lines from the scroll position on.
func (m *Model) helpView() string {
	st := m.ctx.Styles
	lines := m.helpLines()
	from, to := m.helpCur.pos, min(m.helpCur.pos+m.helpRows(), len(lines))
	from = min(from, to)
	head := "Keys · esc closes"
	if len(lines) > m.helpRows() {
		head += " · ↑/↓ scroll · lines " + itoa(from+1) + "-" + itoa(to) + " of " + itoa(len(lines))
	}
	return strings.Join(append([]string{st.Faint.Render(head)}, lines[from:to]...), "\n")
}

// liveTick paces the live refresh.
type liveTickMsg struct{}

// LiveInterval is how often the screen on top refreshes by default.
const LiveInterval = 2 * time.Second

// refreshShare paces refreshes that take long: one that took d (times the
// threads that may have worked on it) is followed by none for 25 d, so
// that they use at most about 4% of a core. Refreshes of a few
// milliseconds keep to the interval.
const refreshShare = 25

func (m *Model) liveTick() tea.Cmd {
	return tea.Tick(m.ctx.Refresh, func(time.Time) tea.Msg { return liveTickMsg{} })
}
