package tui

import (
	"context"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/deardiary/deardiary-go/core"
)

// projectsScreen lists the projects.
type projectsScreen struct {
	base
	projects []*core.Project
	tags     map[string][]string
	loaded   bool
	cur      cursor
}

type projectsLoaded struct {
	projects []*core.Project
	tags     map[string][]string
	err      error
}

func newProjects(ctx *Context) *projectsScreen { return &projectsScreen{base: newBase(ctx)} }

func (s *projectsScreen) Title() string   { return "Projects" }
func (s *projectsScreen) Capturing() bool { return false }

func (s *projectsScreen) Init() tea.Cmd {
	t := s.ctx.Store
	return s.load(func(ctx context.Context) tea.Msg {
		projects, err := t.ListProjects(ctx, core.ProjectFilter{})
		tags := map[string][]string{}
		for _, p := range projects {
			if err != nil {
				break
			}
			var ts []*core.Tag
			ts, err = t.ListTags(ctx, core.KindProject, p.ID)
			for _, tag := range ts {
				tags[p.ID] = append(tags[p.ID], tag.Value)
			}
		}
		return projectsLoaded{projects, tags, err}
	})
}

func (s *projectsScreen) Bindings() []binding {
	return append([]binding{
		{keys: []string{"enter", "right", "l"}, label: "enter", help: "open project", footer: true, run: s.open},
		{keys: []string{"y"}, label: "y", help: "copy the project's id", run: s.copyID},
		{keys: []string{"r"}, label: "r", help: "reload", run: s.Init},
	}, s.cur.keys("move", func() int { return len(s.projects) }, s.rows)...)
}

func (s *projectsScreen) selected() *core.Project {
	if s.cur.pos < len(s.projects) {
		return s.projects[s.cur.pos]
	}
	return nil
}

func (s *projectsScreen) open() tea.Cmd {
	if p := s.selected(); p != nil {
		return s.ctx.push(newExperiments(s.ctx, p))
	}
	return nil
}

func (s *projectsScreen) copyID() tea.Cmd {
	if p := s.selected(); p != nil {
		return copyText(p.ID, "project "+clean(p.Name)+"'s id")
	}
	return nil
}

func (s *projectsScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case projectsLoaded:
		if msg.err != nil {
			return s, failed(msg.err)
		}
		// The cursor stays on the project it was on.
		keep := s.selected()
		s.projects, s.tags, s.loaded = msg.projects, msg.tags, true
		for i, p := range s.projects {
			if keep != nil && p.ID == keep.ID {
				s.cur.pos = i
			}
		}
		s.cur.clamp(len(s.projects), s.rows())
	case tea.WindowSizeMsg:
		s.resize(msg)
		s.cur.clamp(len(s.projects), s.rows())
	case tea.MouseWheelMsg:
		s.cur.wheel(msg, len(s.projects), s.rows())
	case revealedMsg:
		return s, s.Init()
	}
	return s, nil
}

// rows is how many projects fit under the two heading lines.
func (s *projectsScreen) rows() int { return max(s.height-2, 1) }

func (s *projectsScreen) View() string {
	st, w := s.ctx.Styles, s.width
	if !s.loaded {
		return st.Faint.Render("loading projects…")
	}
	if len(s.projects) == 0 {
		return "No projects yet. Training code creates them; see the README's quick start."
	}
	from, to := s.cur.window(len(s.projects), s.rows())
	lines := []string{st.Faint.Render(plural(len(s.projects), "project") + position(from, to, len(s.projects))),
		st.Faint.Render(pad(padRight("name", 28)+" "+padRight("created", 14)+" "+padRight("tags", 24)+" description", w))}
	for i := from; i < to; i++ {
		p := s.projects[i]
		line := padRight(clean(p.Name), 28) + " " + padRight(ago(p.CreatedDate, s.ctx.Now()), 14) + " " +
			padRight(clean(strings.Join(s.tags[p.ID], ", ")), 24) + " " + clean(p.Description)
		lines = append(lines, rowStyle(st, i == s.cur.pos, false).Render(pad(line, w)))
	}
	return strings.Join(lines, "\n")
}

// position says which rows of a scrolled list show, when not all do:
// " · 21-40 of 300".
func position(from, to, n int) string {
	if from == 0 && to >= n {
		return ""
	}
	return " · " + itoa(from+1) + "-" + itoa(to) + " of " + itoa(n)
}

// copyText puts text on the clipboard through the terminal (OSC 52, which
// works over SSH too) and says so.
func copyText(text, what string) tea.Cmd {
	return tea.Batch(tea.SetClipboard(text), status("copied "+what+": "+clean(text)))
}
