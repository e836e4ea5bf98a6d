package daemon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	"github.com/deardiary/deardiary-go/core"
)

// streamHistory answers a history without max_points point by point as the
// store reads it (core.HistoryStreamer), so a series of any length passes
// through in constant memory. The body is what writing []seriesJSON with
// encoding/json gives, byte for byte. An error after the first bytes cannot
// change the status any more: the connection is cut, so the client sees a
// broken body rather than a short one that looks whole.
func streamHistory(w http.ResponseWriter, r *http.Request, t core.HistoryStreamer, q core.HistoryQuery) error {
	var (
		out     *bufio.Writer
		buf     []byte
		current string
		started bool
	)
	flush := func() {
		if _, err := out.Write(buf); err != nil {
			panic(http.ErrAbortHandler) // the client went away
		}
		buf = buf[:0]
	}
	err := t.StreamHistory(r.Context(), q, func(id string, p core.Point) error {
		if out == nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			out = bufio.NewWriterSize(w, 64<<10)
			buf = append(buf, '[')
		}
		if !started || id != current {
			if started {
				buf = append(buf, "]},"...)
			}
			buf = append(buf, `{"iteration_id":`...)
			buf = appendWireID(buf, id)
			buf = append(buf, `,"key":`...)
			buf = appendJSONString(buf, q.Key)
			buf = append(buf, `,"points":[`...)
			current, started = id, true
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"step":`...)
		buf = strconv.AppendInt(buf, p.Step, 10)
		buf = append(buf, `,"value":`...)
		buf = appendJSONFloat(buf, p.Value)
		buf = append(buf, `,"recorded_at":`...)
		if p.RecordedAt.IsZero() {
			buf = append(buf, "null"...)
		} else {
			buf = appendJSONString(buf, core.FormatTime(p.RecordedAt))
		}
		buf = append(buf, '}')
		if len(buf) > 32<<10 {
			flush()
		}
		return nil
	})
	if out == nil { // nothing streamed: answer as any handler does
		if err != nil {
			return err
		}
		return ok(w, []seriesJSON{})
	}
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	buf = append(buf, "]}]\n"...)
	flush()
	if err := out.Flush(); err != nil {
		panic(http.ErrAbortHandler)
	}
	return nil
}

// appendJSONString appends s as encoding/json writes it.
func appendJSONString(b []byte, s string) []byte {
	if plainText(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	text, _ := json.Marshal(s) // cannot fail for a string
	return append(b, text...)
}

// appendJSONFloat appends a finite f as encoding/json writes a float64: the
// shortest digits that read back exactly, in exponent form only below 1e-6
// or from 1e21 up in magnitude, where it writes a negative exponent without
// a leading zero (1e-7, not 1e-07). FuzzJSONFloat holds the two together.
func appendJSONFloat(b []byte, f float64) []byte {
	if abs := math.Abs(f); abs == 0 || (abs >= 1e-6 && abs < 1e21) {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'e', -1, 64)
	if exp := bytes.LastIndexByte(b[start:], 'e'); exp >= 0 {
		if e := b[start+exp+1:]; len(e) == 3 && e[0] == '-' && e[1] == '0' {
			b = append(b[:len(b)-2], e[2])
		}
	}
	return b
}
