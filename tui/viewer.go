package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
)

// viewerScreen shows a text (a captured file, a diff) with scrolling.
type viewerScreen struct {
	base
	title string
	lines []string
	diff  bool
	// scroll is the first line shown.
	scroll cursor
}

func newViewer(ctx *Context, title, text string, diff bool) *viewerScreen {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return &viewerScreen{base: newBase(ctx), title: title, lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n"), diff: diff}
}

func (v *viewerScreen) Title() string       { return v.title }
func (v *viewerScreen) Capturing() bool     { return false }
func (v *viewerScreen) Init() tea.Cmd       { return nil }
func (v *viewerScreen) Bindings() []binding { return v.scroll.keys("scroll", v.positions, v.rows) }

func (v *viewerScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		v.resize(msg)
		v.scroll.clamp(v.positions(), v.rows())
	case tea.MouseWheelMsg:
		v.scroll.wheel(msg, v.positions(), v.rows())
	}
	return v, nil
}

// rows is how many lines show under the title line.
func (v *viewerScreen) rows() int { return max(v.height-1, 1) }

// positions is how many first lines the text can be shown from: the last
// page is as far as it scrolls.
func (v *viewerScreen) positions() int { return max(len(v.lines)-v.rows()+1, 1) }

func (v *viewerScreen) View() string {
	st, w := v.ctx.Styles, v.width
	from := min(v.scroll.pos, max(len(v.lines)-1, 0))
	to := min(from+v.rows(), len(v.lines))
	out := []string{st.Faint.Render(pad(v.title+"  ·  lines "+itoa(from+1)+"-"+itoa(to)+" of "+itoa(len(v.lines)), w))}
	for _, l := range v.lines[from:to] {
		l = printable(strings.ReplaceAll(l, "\t", "    "))
		switch {
		case v.diff && strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++"):
			l = st.Added.Render(fit(l, w))
		case v.diff && strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---"):
			l = st.Removed.Render(fit(l, w))
		case v.diff && strings.HasPrefix(l, "@@"):
			l = st.Key.Render(fit(l, w))
		default:
			l = fit(l, w)
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
