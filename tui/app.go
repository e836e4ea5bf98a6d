// Package tui is ddtui, DearDiary's terminal explorer: browse projects,
// experiments and iteration trees, read parameters and metric charts,
// compare runs side by side, and restore the environment of a run. It reads
// through Store, a few methods of core.Tracker, so it works the same on a
// local file and on a daemon.
package tui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Context is what every screen shares: the store, the terminal size, the
// styles and the clock.
type Context struct {
	// Store is where the screens read from: any core.Tracker, or a fake.
	Store Store
	// Source names where the data comes from, for the header.
	Source string
	// Live refreshes running iterations on their own (for a daemon, whose
	// data changes while ddtui looks at it).
	Live bool
	// RestoreDir is the directory restores default to.
	RestoreDir string
	// Notice is shown in the status line as the app starts.
	Notice string
	// NoTicks stops the spinner and the live refresh from scheduling
	// themselves: tests step the app message by message.
	NoTicks bool
	Width   int
	Height  int
	Styles  Styles
	Now     func() time.Time

	lastScreen screenID
}

// Model is the root model: a stack of screens with a header, a status line
// and a footer of key hints.
type Model struct {
	ctx      *Context
	stack    []frame
	status   string
	isError  bool
	help     bool
	loading  int
	spinner  spinner.Model
	quitting bool
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
	ctx.Styles = DefaultStyles()
	return &Model{ctx: ctx, stack: []frame{newFrame(newProjects(ctx))}, status: ctx.Notice, spinner: spinner.New(spinner.WithSpinner(spinner.Dot))}
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	if m.ctx.NoTicks {
		return m.top().Init()
	}
	return tea.Batch(m.top().Init(), m.spinner.Tick, liveTick())
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

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		// Every screen learns the size, so one revealed by esc is ready.
		cmds := make([]tea.Cmd, len(m.stack))
		for i := range m.stack {
			cmds[i] = m.resize(&m.stack[i])
		}
		return m, tea.Batch(cmds...)
	case pushMsg:
		m.stack = append(m.stack, newFrame(msg.s))
		m.status = ""
		resized := m.resize(&m.stack[len(m.stack)-1])
		return m, tea.Batch(resized, msg.s.Init())
	case popMsg:
		if len(m.stack) > 1 {
			// The screen's loads are of no use to anyone now.
			m.stack[len(m.stack)-1].cancel()
			m.stack = m.stack[:len(m.stack)-1]
		}
		return m, nil
	case statusMsg:
		m.status, m.isError = msg.text, msg.err
		return m, nil
	case loadMsg:
		f := m.frame(msg.screen)
		if f == nil {
			return m, nil
		}
		m.loading++
		parent := f.ctx
		return m, func() tea.Msg {
			ctx, cancel := context.WithTimeout(parent, loadTimeout)
			defer cancel()
			return loadedMsg{msg.screen, msg.fn(ctx)}
		}
	case loadedMsg:
		m.loading = max(m.loading-1, 0)
		f := m.frame(msg.screen)
		if f == nil {
			return m, nil
		}
		var cmd tea.Cmd
		f.s, cmd = f.s.Update(msg.msg)
		return m, cmd
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
		return m, cmd
	case liveTickMsg:
		// The screen on top sees the tick and reloads what is running in
		// it; the next tick is scheduled either way.
		if m.ctx.NoTicks {
			return m, m.forward(msg)
		}
		return m, tea.Batch(liveTick(), m.forward(msg))
	case tea.KeyPressMsg:
		if m.help {
			// The help says any key closes it.
			m.help = false
			return m, nil
		}
		if m.status != "" && !m.isError {
			m.status = ""
		}
		if cmd, ok := dispatch(m.keymap(), msg); ok {
			return m, cmd
		}
	}
	return m, m.forward(msg)
}

// keymap is the table a key press is looked up in: the app's keys that no
// screen may take (quit, help), the screen's, then going back, which a
// screen may take for itself (the detail's left arrow switches tabs).
func (m *Model) keymap() []binding {
	first, last := m.appKeys()
	return append(append(first, m.top().Bindings()...), last...)
}

// appKeys are the app's own keys, before and after the screen's.
func (m *Model) appKeys() (first, last []binding) {
	quit := binding{keys: []string{"ctrl+c"}, label: "ctrl+c", help: "quit, also while typing", run: m.quit}
	if m.top().Capturing() {
		return []binding{quit}, nil
	}
	first = []binding{
		{keys: []string{"?"}, label: "?", help: "help", footer: true, run: func() tea.Cmd { m.help = true; return nil }},
		{keys: []string{"q"}, label: "q", help: "quit", footer: true, run: m.quit},
		quit,
	}
	if len(m.stack) > 1 {
		last = []binding{{keys: []string{"esc", "backspace", "left", "h"}, label: "esc", help: "back", footer: true, run: func() tea.Cmd { return pop }}}
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
	v.WindowTitle = "ddtui · " + m.top().Title()
	if m.quitting {
		return v
	}
	v.SetContent(m.render())
	return v
}

// render draws the whole screen: header, body, status and footer.
func (m *Model) render() string {
	st, w := m.ctx.Styles, m.ctx.Width
	var crumbs []string
	for _, f := range m.stack {
		crumbs = append(crumbs, f.s.Title())
	}
	spin := " "
	if m.loading > 0 {
		spin = m.spinner.View()
	}
	header := fit(st.Header.Render(" ddtui ")+" "+st.Crumb.Render(strings.Join(crumbs, " › ")), w-lipgloss.Width(spin)-len(m.ctx.Source)-3) +
		" " + st.Faint.Render(m.ctx.Source) + " " + spin
	status := ""
	if m.status != "" {
		style := st.Info
		if m.isError {
			style = st.Error
		}
		status = style.Render(fit(m.status, w))
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

// footer is the one-line help: the screen's main keys, then the app's.
func (m *Model) footer() string {
	st := m.ctx.Styles
	var parts []string
	for _, b := range m.helpKeys() {
		if b.footer && b.label != "" {
			parts = append(parts, st.Key.Render(b.label)+" "+st.Faint.Render(b.help))
		}
	}
	return fit(strings.Join(parts, "  "), m.ctx.Width)
}

// helpView lists every key of the screen, and the app's.
func (m *Model) helpView() string {
	st := m.ctx.Styles
	lines := []string{st.Title.Render("Keys: " + m.top().Title()), ""}
	for _, b := range m.helpKeys() {
		if b.label != "" {
			lines = append(lines, "  "+st.Key.Render(padRight(b.label, 14))+b.help)
		}
	}
	lines = append(lines, "", st.Faint.Render("any key closes this help"))
	return strings.Join(lines, "\n")
}

// liveTick paces the refresh of running iterations.
type liveTickMsg struct{}

// LiveInterval is how often running iterations refresh.
const LiveInterval = 2 * time.Second

func liveTick() tea.Cmd {
	return tea.Tick(LiveInterval, func(time.Time) tea.Msg { return liveTickMsg{} })
}
