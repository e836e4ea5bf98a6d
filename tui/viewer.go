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
	cur   cursor
	h     int
}

func newViewer(ctx *Context, title, text string, diff bool) *viewerScreen {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	return &viewerScreen{base: newBase(ctx), title: title, lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n"), diff: diff}
}

func (v *viewerScreen) Title() string       { return v.title }
func (v *viewerScreen) Capturing() bool     { return false }
func (v *viewerScreen) Init() tea.Cmd       { return nil }
func (v *viewerScreen) Bindings() []binding { return nil }
func (v *viewerScreen) Update(msg tea.Msg) (screen, tea.Cmd) {
	// The cursor is the top line: every move scrolls.
	v.cur.top = v.cur.pos
	v.cur.move(msg, max(len(v.lines)-v.h+1, 1), 1)
	return v, nil
}

func (v *viewerScreen) View(w, h int) string {
	st := v.ctx.Styles
	v.h = h - 1
	from := min(v.cur.pos, max(len(v.lines)-1, 0))
	to := min(from+v.h, len(v.lines))
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
