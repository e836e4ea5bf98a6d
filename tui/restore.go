package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/snapshot"
)

// restoreScreen is the restore dialog: where to write, what will be written,
// confirm; then the result and the commands to run next. It writes locally,
// also when the snapshot came from a daemon. Errors stay in the dialog.
type restoreScreen struct {
	base
	row       *runRow
	snap      *core.Snapshot
	inherited bool
	err       error
	dir       textinput.Model
	// editing is set while the directory field has the keyboard.
	editing bool
	// nonEmpty is the directory a restore found not empty: the dialog
	// then offers to write into it anyway.
	nonEmpty string
	result   *snapshot.Result
	busy     bool
	loaded   bool
	// scroll is the first line shown of a dialog taller than the window.
	scroll cursor
}

type restoreSnapshot struct {
	snap      *core.Snapshot
	inherited bool
	err       error
}

type restoreDone struct {
	res *snapshot.Result
	dir string
	err error
}

func newRestore(ctx *Context, r *runRow) *restoreScreen {
	ti := newInput("target directory: ", "")
	ti.SetValue(filepath.Join(ctx.RestoreDir, "iteration_"+r.it.ID))
	return &restoreScreen{base: newBase(ctx), row: r, dir: ti}
}

func (s *restoreScreen) Title() string { return fmt.Sprintf("restore #%d", s.row.ordinal) }

// Capturing: the directory field takes every key while it is edited, and
// while a restore runs nothing but ctrl+c may interrupt it.
func (s *restoreScreen) Capturing() bool { return s.editing || s.busy }

func (s *restoreScreen) Init() tea.Cmd {
	t, it := s.ctx.Store, s.row.it
	return tea.Batch(s.dir.Focus(), s.load(func(ctx context.Context) tea.Msg {
		snap, inherited, err := snapshotOf(ctx, t, it)
		return restoreSnapshot{snap, inherited, err}
	}))
}

// Bindings are the keys that work in the dialog's state, and no others:
// the footer shows what can be done now.
func (s *restoreScreen) Bindings() []binding {
	switch {
	case s.busy:
		return nil
	case s.editing:
		return []binding{
			{keys: []string{"enter"}, label: "enter", help: "restore here", footer: true, run: func() tea.Cmd { return s.start(false) }},
			{keys: []string{"esc"}, label: "esc", help: "cancel", footer: true, run: s.ctx.pop},
		}
	case s.nonEmpty != "":
		return []binding{
			{keys: []string{"o"}, label: "o", help: "write into it anyway", footer: true, run: func() tea.Cmd { return s.start(true) }},
			{keys: []string{"e", "enter"}, label: "e", help: "change the directory", footer: true, run: s.edit},
		}
	case s.result != nil:
		return append([]binding{
			{keys: []string{"y"}, label: "y", help: "copy the restored directory", footer: true, run: func() tea.Cmd { return copyText(s.result.Dir, "the directory") }},
		}, s.scroll.keys("scroll", s.positions, s.rows)...)
	}
	return nil
}

// rows is the dialog's height; positions how many first lines it can be
// shown from.
func (s *restoreScreen) rows() int      { return max(s.height, 1) }
func (s *restoreScreen) positions() int { return max(len(s.lines())-s.rows()+1, 1) }

func (s *restoreScreen) edit() tea.Cmd {
	s.editing, s.nonEmpty, s.err = true, "", nil
	return s.dir.Focus()
}

// target is the typed directory as a restore takes it: ~ is the home
// directory, and the path is made absolute, so that the commands printed
// next work from anywhere.
func (s *restoreScreen) target() (string, error) {
	dir := strings.TrimSpace(s.dir.Value())
	if dir == "" {
		return "", core.Invalid("give a directory to restore into")
	}
	if dir == "~" || strings.HasPrefix(dir, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot expand ~: %w", err)
		}
		dir = filepath.Join(home, dir[1:])
	}
	return filepath.Abs(dir)
}

// start restores into the typed directory, off the UI loop; force writes
// into a directory that is not empty.
func (s *restoreScreen) start(force bool) tea.Cmd {
	if s.busy || s.snap == nil {
		return nil
	}
	dir, err := s.target()
	if err != nil {
		s.err = err
		return nil
	}
	s.busy, s.err, s.editing, s.nonEmpty = true, nil, false, ""
	s.dir.Blur()
	snap := *s.snap
	snap.IterationID = s.row.it.ID
	return s.load(func(context.Context) tea.Msg {
		res, err := snapshot.Restore(&snap, "", snapshot.RestoreOptions{Dir: dir, Force: force})
		return restoreDone{res, dir, err}
	})
}

func (s *restoreScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case restoreSnapshot:
		s.snap, s.inherited, s.err, s.loaded = msg.snap, msg.inherited, msg.err, true
		if s.snap != nil {
			s.err, s.editing = nil, true
		}
	case restoreDone:
		s.busy = false
		s.result, s.err = msg.res, msg.err
		var notEmpty *snapshot.NotEmptyError
		switch {
		case errors.As(msg.err, &notEmpty):
			s.nonEmpty, s.err = notEmpty.Dir, nil
		case msg.err != nil:
			return s, s.edit()
		}
	case tea.KeyPressMsg, tea.PasteMsg:
		// Keys bound nowhere edit the directory while it has the keyboard.
		if !s.editing {
			return s, nil
		}
		var cmd tea.Cmd
		s.dir, cmd = s.dir.Update(msg)
		return s, cmd
	case tea.WindowSizeMsg:
		s.resize(msg)
		s.dir.SetWidth(max(s.width-lipgloss.Width(s.dir.Prompt)-1, 1))
		s.scroll.clamp(s.positions(), s.rows())
	case tea.MouseWheelMsg:
		s.scroll.wheel(msg, s.positions(), s.rows())
	}
	return s, nil
}

func (s *restoreScreen) View() string {
	lines := s.lines()
	from := min(s.scroll.pos, max(len(lines)-s.rows(), 0))
	return strings.Join(lines[from:], "\n")
}

// lines are the dialog's lines, long ones wrapped: a command cut short
// would be no use.
func (s *restoreScreen) lines() []string {
	var out []string
	for _, l := range strings.Split(s.text(), "\n") {
		if lipgloss.Width(l) <= s.width || s.width < 20 {
			out = append(out, l)
			continue
		}
		// Continuation lines are indented under their start, plain.
		plain := ansi.Strip(l)
		indent := len(plain) - len(strings.TrimLeft(plain, " ")) + 4
		first := ansi.Truncate(plain, s.width, "")
		out = append(out, first)
		rest := strings.TrimLeft(plain[len(first):], " ")
		for _, part := range strings.Split(ansi.Hardwrap(rest, max(s.width-indent, 10), true), "\n") {
			out = append(out, strings.Repeat(" ", indent)+part)
		}
	}
	return out
}

func (s *restoreScreen) text() string {
	st := s.ctx.Styles
	lines := []string{st.Title.Render(fmt.Sprintf("Restore the environment of run %s", runName(s.row.ordinal, s.row.it.ID))), ""}
	switch {
	case !s.loaded:
		return strings.Join(append(lines, st.Faint.Render("reading the snapshot…")), "\n")
	case s.snap == nil:
		msg := "This run has no captured environment, and neither has its driver."
		if s.err != nil && !core.IsNotFound(s.err) {
			msg = clean(core.ErrorMessageOrText(s.err))
		}
		return strings.Join(append(lines, st.Error.Render(msg), "", st.Faint.Render("esc goes back")), "\n")
	case s.result != nil:
		return s.resultView(lines)
	}
	snap := s.snap
	if s.inherited {
		lines = append(lines, st.Faint.Render("This run inherits the environment of its driver."))
	}
	lines = append(lines, s.dir.View(), "", "Will write:")
	for _, f := range snap.Files {
		note := core.FormatBytes(f.Size)
		if f.Skipped != "" {
			note = st.Changed.Render("not captured: " + clean(f.Skipped))
		}
		lines = append(lines, "  "+padRight(clean(f.Path), 34)+" "+note)
	}
	if snap.Git.Dirty && len(snap.Git.Diff) > 0 {
		lines = append(lines, "  "+padRight(snapshot.PatchName, 34)+" "+core.FormatBytes(int64(len(snap.Git.Diff)))+" (the uncommitted changes)")
	}
	lines = append(lines, "", fmt.Sprintf("runtime %s %s · commit %s", orDash(clean(snap.Runtime)), clean(snap.RuntimeVersion), orDash(clean(shortCommit(snap.Git.Commit)))))
	switch {
	case s.busy:
		lines = append(lines, "", st.Faint.Render("restoring…"))
	case s.nonEmpty != "":
		lines = append(lines, "", st.Changed.Render(clean(s.nonEmpty)+" already exists and is not empty."),
			"Press o to write into it anyway: files of the same names are replaced, other files stay.",
			st.Faint.Render("Press e to change the directory, esc to cancel."))
	case s.err != nil:
		lines = append(lines, "", st.Error.Render(clean(core.ErrorMessageOrText(s.err))), st.Faint.Render("change the directory and press enter again, or esc"))
	default:
		lines = append(lines, "", st.Faint.Render("enter restores, esc cancels; nothing is written outside the directory, and a directory that is not empty is only written into if you say so"))
	}
	return strings.Join(lines, "\n")
}

func (s *restoreScreen) resultView(lines []string) string {
	st, r := s.ctx.Styles, s.result
	lines = append(lines, st.Info.Render(fmt.Sprintf("Restored %s into %s", plural(len(r.Files), "file"), clean(r.Dir))), "")
	for _, f := range r.Files {
		lines = append(lines, "  "+clean(f))
	}
	if len(r.Skipped) > 0 {
		var names []string
		for _, f := range r.Skipped {
			names = append(names, clean(f))
		}
		lines = append(lines, "", st.Changed.Render("not captured (too large): "+strings.Join(names, ", ")))
	}
	lines = append(lines, "", st.Title.Render("Next"))
	// The restore quotes every argument from the data, and shows an
	// entrypoint that is more than plain words as a comment; what is
	// drawn here is also stripped of control characters.
	for _, step := range r.Next {
		lines = append(lines, "  "+st.Key.Render(clean(step.Command)), "      "+st.Faint.Render(clean(step.Why)))
	}
	lines = append(lines, "", st.Faint.Render("esc goes back"))
	return strings.Join(lines, "\n")
}
