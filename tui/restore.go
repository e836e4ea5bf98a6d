package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

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
	result    *snapshot.Result
	busy      bool
	loaded    bool
}

type restoreSnapshot struct {
	snap      *core.Snapshot
	inherited bool
	err       error
}

type restoreDone struct {
	res *snapshot.Result
	err error
}

func newRestore(ctx *Context, r *runRow) *restoreScreen {
	ti := newInput("target directory: ", "")
	ti.SetValue(filepath.Join(ctx.RestoreDir, "iteration_"+r.it.ID))
	return &restoreScreen{base: newBase(ctx), row: r, dir: ti}
}

func (s *restoreScreen) Title() string   { return fmt.Sprintf("restore #%d", s.row.ordinal) }
func (s *restoreScreen) Capturing() bool { return s.loaded && s.snap != nil && s.result == nil }

func (s *restoreScreen) Init() tea.Cmd {
	t, it := s.ctx.Store, s.row.it
	return tea.Batch(s.dir.Focus(), s.load(func(ctx context.Context) tea.Msg {
		snap, inherited, err := snapshotOf(ctx, t, it)
		return restoreSnapshot{snap, inherited, err}
	}))
}

func (s *restoreScreen) Bindings() []binding {
	if s.Capturing() {
		return []binding{
			{keys: []string{"enter"}, label: "enter", help: "restore here", footer: true, run: s.start},
			{keys: []string{"esc"}, label: "esc", help: "cancel", footer: true, run: func() tea.Cmd {
				if s.busy {
					return nil
				}
				return pop
			}},
		}
	}
	return nil
}

// start restores into the typed directory, off the UI loop.
func (s *restoreScreen) start() tea.Cmd {
	if s.busy {
		return nil
	}
	s.busy, s.err = true, nil
	snap, dir := *s.snap, strings.TrimSpace(s.dir.Value())
	snap.IterationID = s.row.it.ID
	return s.load(func(context.Context) tea.Msg {
		res, err := snapshot.Restore(&snap, "", snapshot.RestoreOptions{Dir: dir})
		return restoreDone{res, err}
	})
}

func (s *restoreScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case restoreSnapshot:
		s.snap, s.inherited, s.err, s.loaded = msg.snap, msg.inherited, msg.err, true
		if s.snap != nil {
			s.err = nil
		}
	case restoreDone:
		s.busy = false
		s.result, s.err = msg.res, msg.err
	case tea.KeyPressMsg, tea.PasteMsg:
		// Keys bound nowhere edit the directory, until the restore starts.
		if !s.Capturing() || s.busy {
			return s, nil
		}
		var cmd tea.Cmd
		s.dir, cmd = s.dir.Update(msg)
		return s, cmd
	case tea.WindowSizeMsg:
		s.resize(msg)
	}
	return s, nil
}

func (s *restoreScreen) View() string {
	st, w := s.ctx.Styles, s.width
	lines := []string{st.Title.Render(fmt.Sprintf("Restore the environment of run #%d (%s)", s.row.ordinal, short(s.row.it.ID))), ""}
	switch {
	case !s.loaded:
		return strings.Join(append(lines, st.Faint.Render("reading the snapshot…")), "\n")
	case s.snap == nil:
		msg := "This run has no captured environment, and neither has its driver."
		if s.err != nil && !core.IsNotFound(s.err) {
			msg = core.ErrorMessageOrText(s.err)
		}
		return strings.Join(append(lines, st.Error.Render(msg), "", st.Faint.Render("esc goes back")), "\n")
	case s.result != nil:
		return s.resultView(lines, w)
	}
	snap := s.snap
	if s.inherited {
		lines = append(lines, st.Faint.Render("This run inherits the environment of its driver."))
	}
	lines = append(lines, s.dir.View(), "", "Will write:")
	for _, f := range snap.Files {
		note := core.FormatBytes(f.Size)
		if f.Skipped != "" {
			note = st.Changed.Render("not kept: " + f.Skipped)
		}
		lines = append(lines, "  "+padRight(f.Path, 34)+" "+note)
	}
	if snap.Git.Dirty && len(snap.Git.Diff) > 0 {
		lines = append(lines, "  "+padRight(snapshot.PatchName, 34)+" "+core.FormatBytes(int64(len(snap.Git.Diff)))+" (the uncommitted changes)")
	}
	lines = append(lines, "", fmt.Sprintf("runtime %s %s · commit %s", orDash(snap.Runtime), snap.RuntimeVersion, orDash(shortCommit(snap.Git.Commit))))
	switch {
	case s.busy:
		lines = append(lines, "", st.Faint.Render("restoring…"))
	case s.err != nil:
		lines = append(lines, "", st.Error.Render(core.ErrorMessageOrText(s.err)), st.Faint.Render("change the directory and press enter again, or esc"))
	default:
		lines = append(lines, "", st.Faint.Render("enter restores, esc cancels; nothing is written outside the directory and nothing is overwritten"))
	}
	return strings.Join(lines, "\n")
}

func (s *restoreScreen) resultView(lines []string, w int) string {
	st, r := s.ctx.Styles, s.result
	lines = append(lines, st.Info.Render(fmt.Sprintf("Restored %d files into %s", len(r.Files), r.Dir)), "")
	for _, f := range r.Files {
		lines = append(lines, "  "+f)
	}
	if len(r.Skipped) > 0 {
		lines = append(lines, "", st.Changed.Render("not captured (too large): "+strings.Join(r.Skipped, ", ")))
	}
	lines = append(lines, "", st.Title.Render("Next"))
	for _, step := range r.Next {
		lines = append(lines, "  "+st.Key.Render(step.Command), "      "+st.Faint.Render(step.Why))
	}
	lines = append(lines, "", st.Faint.Render("esc goes back"))
	return strings.Join(lines, "\n")
}
