package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/deardiary/deardiary-go/core"
)

// experimentsScreen lists a project's experiments with their run counts.
type experimentsScreen struct {
	base
	project *core.Project
	rows    []experimentRow
	loaded  bool
	// reloading is set while a load is out, so that live ticks do not
	// pile loads up behind a slow server.
	reloading bool
	cur       cursor
}

type experimentRow struct {
	e             *core.Experiment
	runs, running int
	failed        int
}

type experimentsLoaded struct {
	rows []experimentRow
	err  error
}

func newExperiments(ctx *Context, p *core.Project) *experimentsScreen {
	return &experimentsScreen{base: newBase(ctx), project: p}
}

func (s *experimentsScreen) Title() string   { return clean(s.project.Name) }
func (s *experimentsScreen) Capturing() bool { return false }

func (s *experimentsScreen) Init() tea.Cmd {
	t, project := s.ctx.Store, s.project.ID
	s.reloading = true
	return s.load(func(ctx context.Context) tea.Msg {
		exps, _, err := t.ListExperiments(ctx, core.ExperimentFilter{ProjectID: project})
		if err != nil {
			return experimentsLoaded{err: err}
		}
		rows := make([]experimentRow, len(exps))
		for i, e := range exps {
			rows[i].e = e
		}
		// Three counts per experiment, a few at a time: over a daemon each
		// is a round trip, and a project of a hundred experiments would
		// otherwise wait for three hundred of them in turn.
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			slots = make(chan struct{}, countsInFlight)
		)
		for i := range rows {
			for _, c := range []struct {
				status core.IterationStatus
				into   *int
			}{{0, &rows[i].runs}, {core.IterationRunning, &rows[i].running}, {core.IterationFailed, &rows[i].failed}} {
				wg.Go(func() {
					slots <- struct{}{}
					defer func() { <-slots }()
					_, n, cerr := t.ListIterations(ctx, core.IterationFilter{ExperimentID: rows[i].e.ID, Status: c.status, Page: core.Page{Limit: 1}})
					mu.Lock()
					defer mu.Unlock()
					if cerr != nil && err == nil {
						err = cerr
					}
					*c.into = n
				})
			}
		}
		wg.Wait()
		return experimentsLoaded{rows, err}
	})
}

// countsInFlight bounds the run counts the experiments screen asks for at
// once.
const countsInFlight = 8

func (s *experimentsScreen) Bindings() []binding {
	return append([]binding{
		{keys: []string{"enter", "right", "l"}, label: "enter", help: "open experiment", footer: true, run: s.open},
		{keys: []string{"y"}, label: "y", help: "copy the experiment's id", run: s.copyID},
		{keys: []string{"r"}, label: "r", help: "reload", run: s.Init},
	}, s.cur.keys("move", func() int { return len(s.rows) }, s.page)...)
}

func (s *experimentsScreen) selected() *core.Experiment {
	if s.cur.pos < len(s.rows) {
		return s.rows[s.cur.pos].e
	}
	return nil
}

func (s *experimentsScreen) open() tea.Cmd {
	if e := s.selected(); e != nil {
		return s.ctx.push(newIterations(s.ctx, e))
	}
	return nil
}

func (s *experimentsScreen) copyID() tea.Cmd {
	if e := s.selected(); e != nil {
		return copyText(e.ID, "experiment "+clean(e.Name)+"'s id")
	}
	return nil
}

func (s *experimentsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case experimentsLoaded:
		s.reloading = false
		if msg.err != nil {
			return s, failed(msg.err)
		}
		// The cursor stays on the experiment it was on.
		keep := s.selected()
		s.rows, s.loaded = msg.rows, true
		for i, r := range s.rows {
			if keep != nil && r.e.ID == keep.ID {
				s.cur.pos = i
			}
		}
		s.cur.clamp(len(s.rows), s.page())
	case refreshMsg, revealedMsg:
		// Run counts change while runs start and end.
		if s.loaded && !s.reloading {
			return s, s.Init()
		}
	case tea.WindowSizeMsg:
		s.resize(msg)
		s.cur.clamp(len(s.rows), s.page())
	case tea.MouseWheelMsg:
		s.cur.wheel(msg, len(s.rows), s.page())
	}
	return s, nil
}

// page is how many experiments fit under the two heading lines.
func (s *experimentsScreen) page() int { return max(s.height-2, 1) }

var experimentStatusColor = map[core.ExperimentStatus]string{
	core.ExperimentInProgress: "#e0af68", core.ExperimentStopped: "#bb9af7", core.ExperimentFinished: "#9ece6a",
}

func (s *experimentsScreen) View() string {
	st, w := s.ctx.Styles, s.width
	if !s.loaded {
		return st.Faint.Render("loading experiments…")
	}
	if len(s.rows) == 0 {
		return "This project has no experiments yet."
	}
	from, to := s.cur.window(len(s.rows), s.page())
	head := padRight("name", 34) + " " + padRight("status", 12) + " " + padLeft("runs", 5) + " " + padLeft("running", 8) + " " +
		padLeft("failed", 7) + "  " + padRight("created", 12) + " description"
	lines := []string{st.Faint.Render(plural(len(s.rows), "experiment") + " in " + clean(s.project.Name) + position(from, to, len(s.rows))), st.Faint.Render(pad(head, w))}
	for i := from; i < to; i++ {
		r := s.rows[i]
		status := lipgloss.NewStyle().Foreground(lipgloss.Color(experimentStatusColor[r.e.Status])).Render(padRight(r.e.Status.String(), 12))
		line := padRight(clean(r.e.Name), 34) + " " + status + " " + padLeft(fmt.Sprint(r.runs), 5) + " " + padLeft(fmt.Sprint(r.running), 8) + " " +
			padLeft(fmt.Sprint(r.failed), 7) + "  " + padRight(ago(r.e.CreatedDate, s.ctx.Now()), 12) + " " + clean(r.e.Description)
		if i == s.cur.pos {
			line = st.Selected.Render(pad(stripANSI(line), w))
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// rowStyle is how a table row looks: under the cursor, marked, or plain.
func rowStyle(st Styles, selected, marked bool) lipgloss.Style {
	switch {
	case selected:
		return st.Selected
	case marked:
		return st.Marked
	}
	return lipgloss.NewStyle()
}

func stripANSI(s string) string { return strings.TrimRight(ansiStrip(s), "") }
