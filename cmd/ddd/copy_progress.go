package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// copyProgress shows a copy's progress on stderr: on a terminal one line
// per table, redrawn in place as rows go by; elsewhere (a log, a pipe) a
// line when each table is done.
type copyProgress struct {
	w   io.Writer
	tty bool
	// now is the clock (tests fix it).
	now func() time.Time

	table        string
	total, done  int64
	began, drawn time.Time
	started      int64 // rows done when the table began in this run
}

// redraw is how often a terminal line changes.
const redraw = 200 * time.Millisecond

func newCopyProgress(w io.Writer) *copyProgress {
	return &copyProgress{w: w, tty: isTerminal(w), now: time.Now}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (p *copyProgress) begin(table string, total, done int64) {
	p.table, p.total, p.done, p.started = table, total, done, done
	p.began = p.now()
	p.drawn = time.Time{}
	p.draw()
}

func (p *copyProgress) add(n int64) {
	p.done += n
	if p.tty && p.now().Sub(p.drawn) >= redraw {
		p.draw()
	}
}

func (p *copyProgress) draw() {
	if !p.tty {
		return
	}
	p.drawn = p.now()
	line := fmt.Sprintf("  %-24s %s / %s rows", p.table, thousands(p.done), thousands(p.total))
	if elapsed := p.now().Sub(p.began).Seconds(); elapsed >= 1 && p.done > p.started {
		rate := float64(p.done-p.started) / elapsed
		line += fmt.Sprintf("  %s rows/s", thousands(int64(rate)))
		if left := p.total - p.done; left > 0 {
			line += fmt.Sprintf("  %s left", (time.Duration(float64(left)/rate) * time.Second).Round(time.Second))
		}
	}
	fmt.Fprint(p.w, "\r\x1b[K"+line)
}

// end finishes a table's line.
func (p *copyProgress) end(table string, rows int64) {
	p.done = rows
	elapsed := p.now().Sub(p.began)
	line := fmt.Sprintf("  %-24s %s rows", table, thousands(rows))
	if copied := rows - p.started; copied > 0 && elapsed > 0 {
		line += fmt.Sprintf(" in %s (%s rows/s)", elapsed.Round(time.Millisecond), thousands(int64(float64(copied)/elapsed.Seconds())))
	}
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintln(p.w, line)
	p.table = ""
}

// stop ends a table's line where it stands, before an error is printed.
func (p *copyProgress) stop() {
	if p.tty && p.table != "" {
		fmt.Fprintln(p.w)
	}
	p.table = ""
}

// skip says a table was copied by an earlier run.
func (p *copyProgress) skip(table string, rows int64) {
	fmt.Fprintf(p.w, "  %-24s %s rows, copied before\n", table, thousands(rows))
}

// note is a line of its own.
func (p *copyProgress) note(format string, args ...any) {
	p.stop()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// thousands writes n with thousands separators: 10,000,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
