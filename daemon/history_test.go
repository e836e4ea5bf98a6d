package daemon

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// series is a core.HistoryStreamer over fixed series.
type series []core.Series

func (s series) StreamHistory(_ context.Context, _ core.HistoryQuery, each func(string, core.Point) error) error {
	for _, one := range s {
		for _, p := range one.Points {
			if err := each(one.IterationID, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestStreamedHistoryMatchesMarshal: the streamed answer is byte for byte
// what encoding/json writes for the same series.
func TestStreamedHistoryMatchesMarshal(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 1, 10, 0, 0, 250e6, time.UTC)
	for name, in := range map[string]series{
		"none": {},
		"two series": {
			{IterationID: "0192f0c4-aaaa-7bbb-8ccc-000000000001", Key: "loss <é>", Points: []core.Point{
				{Step: 0, Value: 0.5, RecordedAt: at}, {Step: -3, Value: 1e-7}, {Step: math.MaxInt64, Value: -2.5e21, RecordedAt: at},
				{Step: 9, Value: 123456789.125}, {Step: 10, Value: 0}, {Step: 11, Value: 1e-6}, {Step: 12, Value: 1e20}}},
			{IterationID: "42", Key: "loss <é>", Points: []core.Point{{Step: 1, Value: math.SmallestNonzeroFloat64}}},
		},
	} {
		want := httptest.NewRecorder()
		out := []seriesJSON{}
		for _, s := range in {
			out = append(out, toSeriesJSON(s))
		}
		writeJSON(want, 200, out)
		got := httptest.NewRecorder()
		key := "loss <é>"
		if err := streamHistory(got, httptest.NewRequest("GET", "/metric/history", nil), in, core.HistoryQuery{Key: key}); err != nil {
			t.Fatal(err)
		}
		if got.Body.String() != want.Body.String() || got.Code != want.Code {
			t.Errorf("%s: streamed\n%s\nmarshalled\n%s", name, got.Body, want.Body)
		}
	}
}

func FuzzJSONFloat(f *testing.F) {
	for _, v := range []float64{0, 1, -1, 1e-6, 9.99e-7, 1e21, 1e20, 123.456, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		want, _ := json.Marshal(v)
		if got := appendJSONFloat(nil, v); string(got) != string(want) {
			t.Fatalf("%v: %s, encoding/json writes %s", v, got, want)
		}
	})
}
