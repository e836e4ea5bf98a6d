package trackertest

import (
	"fmt"
	"math"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// series returns the points of one key (all keys for "") in list order.
func series(h *H, iteration, key string) []*core.Metric {
	h.Helper()
	ms, _, err := h.Tracker.ListMetrics(h.Ctx, core.MetricFilter{IterationID: iteration, Key: key})
	h.Must(err)
	return ms
}

func steps(h *H, iteration, key string) []int64 {
	h.Helper()
	var out []int64
	for _, m := range series(h, iteration, key) {
		out = append(out, m.Step)
	}
	return out
}

func values(h *H, iteration, key string) []float64 {
	h.Helper()
	var out []float64
	for _, m := range series(h, iteration, key) {
		out = append(out, m.Value)
	}
	return out
}

func summary(h *H, iteration, key string) core.MetricSummary {
	h.Helper()
	sums, err := h.Tracker.MetricSummaries(h.Ctx, core.SummaryFilter{IterationIDs: []string{iteration}})
	h.Must(err)
	for _, s := range sums {
		if s.Key == key {
			return s
		}
	}
	h.Fatalf("no summary of %q in %v", key, sums)
	return core.MetricSummary{}
}

func metricsCases() []testCase {
	return []testCase{
		testCase{"AutoSteps", func(h *H) {
			_, _, it := h.Run()
			for _, v := range []float64{0.9, 0.5, 0.3} {
				h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: v}))
			}
			Equal(h, "loss steps", fmtSlice(steps(h, it, "loss")), "[0 1 2]")
			Equal(h, "loss values", fmtSlice(values(h, it, "loss")), "[0.9 0.5 0.3]")
			h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "accuracy", Value: 0.1}))
			Equal(h, "first accuracy step", fmtSlice(steps(h, it, "accuracy")), "[0]")
			h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 0.2, Step: new(int64(42))}))
			h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 0.1}))
			Equal(h, "after an explicit step", fmtSlice(steps(h, it, "loss")), "[0 1 2 42 43]")
			h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "neg", Value: 1, Step: new(int64(-3))}))
			h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "neg", Value: 1}))
			Equal(h, "negative steps", fmtSlice(steps(h, it, "neg")), "[-3 -2]")
			// No step follows the largest: the next is refused, not wrapped round.
			h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "end", Value: 1, Step: new(int64(math.MaxInt64))}))
			_, err := h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "end", Value: 2})
			h.Code(err, core.EInvalid)
			Equal(h, "after the largest step", fmtSlice(steps(h, it, "end")), fmt.Sprint([]int64{math.MaxInt64}))
		}},
		testCase{"OrderedByStep", func(h *H) {
			_, _, it := h.Run()
			for _, s := range []int64{2, 0, 1} {
				h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: float64(s), Step: &s}))
			}
			Equal(h, "steps", fmtSlice(steps(h, it, "")), "[0 1 2]")
			page, total, err := h.Tracker.ListMetrics(h.Ctx, core.MetricFilter{IterationID: it, Page: core.Page{Limit: 2}})
			h.Must(err)
			Equal(h, "total", total, 3)
			Equal(h, "page", len(page), 2)
		}},
		testCase{"RecordedAt", func(h *H) {
			_, _, it := h.Run()
			before := time.Now()
			id := h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 1}))
			m, err := h.Tracker.GetMetric(h.Ctx, id)
			h.Must(err)
			Near(h, "default recorded_at", m.RecordedAt, before)
			at := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
			id = h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 1, RecordedAt: &at}))
			m, err = h.Tracker.GetMetric(h.Ctx, id)
			h.Must(err)
			Equal(h, "explicit recorded_at", m.RecordedAt, at)
			precise := time.Date(2025, 3, 4, 18, 30, 0, 123_456_789, time.FixedZone("CET", 3600))
			id = h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 1, RecordedAt: &precise}))
			m, err = h.Tracker.GetMetric(h.Ctx, id)
			h.Must(err)
			Equal(h, "recorded_at to the millisecond", m.RecordedAt, core.TruncateTime(precise))
		}},
		testCase{"RejectsBadInput", func(h *H) {
			_, _, it := h.Run()
			_, err := h.Tracker.LogMetric(h.Ctx, "00000000-0000-0000-0000-000000000000", core.MetricInput{Key: "loss", Value: 1})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "", Value: 1})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: math.NaN()})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: math.Inf(1)})
			h.Code(err, core.EInvalid)
			Equal(h, "nothing logged", len(steps(h, it, "")), 0)
		}},
		testCase{"Batch", func(h *H) {
			_, _, it := h.Run()
			at := time.Date(2025, 3, 4, 18, 30, 0, 0, time.UTC)
			got, err := h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{Step: new(int64(7)), RecordedAt: &at,
				Metrics: []core.MetricInput{{Key: "loss", Value: 0.5}, {Key: "accuracy", Value: 0.8}}})
			h.Must(err)
			Equal(h, "ids", len(got), 2)
			for i, key := range []string{"loss", "accuracy"} {
				m, err := h.Tracker.GetMetric(h.Ctx, got[i])
				h.Must(err)
				Equal(h, "key in request order", m.Key, key)
				Equal(h, "shared step", m.Step, int64(7))
				Equal(h, "shared time", m.RecordedAt, at)
			}
			for range 2 {
				_, err := h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{Metrics: []core.MetricInput{{Key: "rolling", Value: 1}}})
				h.Must(err)
			}
			Equal(h, "auto steps across batches", fmtSlice(steps(h, it, "rolling")), "[0 1]")
			empty, err := h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{})
			h.Must(err)
			Equal(h, "empty batch", len(empty), 0)
		}},
		testCase{"BatchKeepsOrderAndDuplicates", func(h *H) {
			_, _, it := h.Run()
			got, err := h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{Metrics: []core.MetricInput{
				{Key: "a", Value: 1}, {Key: "b", Value: 2}, {Key: "a", Value: 3}, {Key: "b", Value: 4, Step: new(int64(10))}, {Key: "b", Value: 5}}})
			h.Must(err)
			Equal(h, "ids", len(got), 5)
			Equal(h, "a steps", fmtSlice(steps(h, it, "a")), "[0 1]")
			Equal(h, "a values", fmtSlice(values(h, it, "a")), "[1 3]")
			Equal(h, "b steps", fmtSlice(steps(h, it, "b")), "[0 10 11]")
			third, err := h.Tracker.GetMetric(h.Ctx, got[2])
			h.Must(err)
			Equal(h, "third id is the second a", third.Value, 3.0)
		}},
		testCase{"BatchIsAtomic", func(h *H) {
			_, _, it := h.Run()
			_, err := h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{Metrics: []core.MetricInput{
				{Key: "loss", Value: 1}, {Key: "", Value: 2}}})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{Metrics: []core.MetricInput{
				{Key: "loss", Value: 1}, {Key: "acc", Value: math.NaN()}}})
			h.Code(err, core.EInvalid)
			Equal(h, "nothing logged", len(steps(h, it, "")), 0)
		}},
		testCase{"LogBatchTogether", func(h *H) {
			_, _, it := h.Run()
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindIteration, it, "sweep"))
			res, err := h.Tracker.LogBatch(h.Ctx, it, core.Batch{
				Params:  []core.ParamInput{{Key: "lr", Value: 0.01}, {Key: "optimizer", Value: "adam"}},
				Metrics: core.MetricBatch{Metrics: []core.MetricInput{{Key: "loss", Value: 0.9}, {Key: "loss", Value: 0.8}}},
				Tags:    []string{"sweep", "baseline"}})
			h.Must(err)
			Equal(h, "ids", fmtSlice([]int{len(res.ParameterIDs), len(res.MetricIDs), len(res.TagIDs)}), "[2 2 2]")
			p, err := h.Tracker.GetParameter(h.Ctx, res.ParameterIDs[0])
			h.Must(err)
			Equal(h, "parameter", p.Key+"="+p.Value, "lr=0.01")
			Equal(h, "steps", fmtSlice(steps(h, it, "loss")), "[0 1]")
			Equal(h, "tags (sweep was already there)", tagValues(h, core.KindIteration, it), "[sweep baseline]")
			for name, bad := range map[string]core.Batch{
				"bad parameter":             {Params: []core.ParamInput{{Key: "k", Value: "ok"}, {Key: "x", Value: ""}}, Tags: []string{"t"}},
				"bad metric":                {Params: []core.ParamInput{{Key: "k", Value: 1}}, Metrics: core.MetricBatch{Metrics: []core.MetricInput{{Key: ""}}}},
				"bad tag":                   {Params: []core.ParamInput{{Key: "k", Value: 1}}, Tags: []string{""}},
				"parameter key given twice": {Params: []core.ParamInput{{Key: "lr", Value: 0.1}, {Key: "lr", Value: 0.2}}},
			} {
				_, err := h.Tracker.LogBatch(h.Ctx, it, bad)
				if core.ErrorCode(err) != core.EInvalid {
					h.Fatalf("%s: error %v", name, err)
				}
			}
			_, total, err := h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{IterationID: it})
			h.Must(err)
			Equal(h, "parameters after refused batches", total, 2)
			h.End(it)
			_, err = h.Tracker.LogBatch(h.Ctx, it, core.Batch{Tags: []string{"late"}})
			h.Locked(err)
			_, err = h.Tracker.LogBatch(h.Ctx, "9999", core.Batch{})
			h.Code(err, core.EInvalid)
		}},
		testCase{"UpdateAndDelete", func(h *H) {
			_, _, it := h.Run()
			id := h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 0.5}))
			h.Must(h.Tracker.UpdateMetric(h.Ctx, id, core.MetricUpdate{Value: new(0.98), Step: new(int64(3))}))
			m, err := h.Tracker.GetMetric(h.Ctx, id)
			h.Must(err)
			Equal(h, "value", m.Value, 0.98)
			Equal(h, "step", m.Step, int64(3))
			Equal(h, "key kept", m.Key, "loss")
			h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 0.4}))
			Equal(h, "auto step follows the update", fmtSlice(steps(h, it, "loss")), "[3 4]")
			h.Must(h.Tracker.UpdateMetric(h.Ctx, id, core.MetricUpdate{}))
			h.Code(h.Tracker.UpdateMetric(h.Ctx, id, core.MetricUpdate{Key: new("")}), core.EInvalid)
			h.Code(h.Tracker.UpdateMetric(h.Ctx, "9999", core.MetricUpdate{Value: new(1.0)}), core.ENotFound)
			h.Must(h.Tracker.DeleteMetric(h.Ctx, id))
			Gone(h, "deleted metric", func() (*core.Metric, error) { return h.Tracker.GetMetric(h.Ctx, id) })
			h.Code(h.Tracker.DeleteMetric(h.Ctx, id), core.ENotFound)
		}},
		testCase{"Summaries", func(h *H) {
			_, e, a := h.Run()
			b := h.Iteration(e, "")
			for i, v := range []float64{0.9, 0.2, 0.4, 0.3} {
				h.MustID(h.Tracker.LogMetric(h.Ctx, a, core.MetricInput{Key: "loss", Value: v, Step: new(int64(i + 1))}))
			}
			h.MustID(h.Tracker.LogMetric(h.Ctx, a, core.MetricInput{Key: "loss", Value: 0.7, Step: new(int64(2))})) // late, lower step
			h.MustID(h.Tracker.LogMetric(h.Ctx, a, core.MetricInput{Key: "acc", Value: 0.5}))
			h.MustID(h.Tracker.LogMetric(h.Ctx, b, core.MetricInput{Key: "loss", Value: 1.5}))
			s := summary(h, a, "loss")
			Equal(h, "summary", s, core.MetricSummary{IterationID: a, Key: "loss", Last: 0.3, FirstStep: 1, LastStep: 4, Min: 0.2, Max: 0.9, Count: 5})
			all, err := h.Tracker.MetricSummaries(h.Ctx, core.SummaryFilter{ExperimentID: e})
			h.Must(err)
			Equal(h, "summaries of the experiment", len(all), 3)
			last := h.MustID(h.Tracker.LogMetric(h.Ctx, a, core.MetricInput{Key: "loss", Value: 0.05}))
			Equal(h, "after another point", summary(h, a, "loss").Last, 0.05)
			h.Must(h.Tracker.UpdateMetric(h.Ctx, last, core.MetricUpdate{Value: new(2.0)}))
			s = summary(h, a, "loss")
			Equal(h, "last after update", s.Last, 2.0)
			Equal(h, "max after update", s.Max, 2.0)
			h.Must(h.Tracker.DeleteMetric(h.Ctx, last))
			s = summary(h, a, "loss")
			Equal(h, "summary after delete", s, core.MetricSummary{IterationID: a, Key: "loss", Last: 0.3, FirstStep: 1, LastStep: 4, Min: 0.2, Max: 0.9, Count: 5})
			h.Must(h.Tracker.UpdateMetric(h.Ctx, h.MustID(h.Tracker.LogMetric(h.Ctx, b, core.MetricInput{Key: "typo", Value: 9})),
				core.MetricUpdate{Key: new("loss")}))
			s = summary(h, b, "loss")
			Equal(h, "renamed point joins its series", s.Count, int64(2))
			sums, err := h.Tracker.MetricSummaries(h.Ctx, core.SummaryFilter{IterationIDs: []string{b}})
			h.Must(err)
			Equal(h, "renamed-away series is gone", len(sums), 1)
			_, err = h.Tracker.MetricSummaries(h.Ctx, core.SummaryFilter{})
			h.Code(err, core.EInvalid)
		}},
		testCase{"History", func(h *H) {
			_, e, a := h.Run()
			b := h.Iteration(e, "")
			c := h.Iteration(e, "")
			for i := range 100 {
				_, err := h.Tracker.LogMetrics(h.Ctx, a, core.MetricBatch{Metrics: []core.MetricInput{
					{Key: "loss", Value: 1 / float64(i+1)}, {Key: "acc", Value: float64(i) / 100}}})
				h.Must(err)
				h.MustID(h.Tracker.LogMetric(h.Ctx, b, core.MetricInput{Key: "loss", Value: 2 / float64(i+1)}))
			}
			series, err := h.Tracker.MetricHistory(h.Ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{b, c, a}})
			h.Must(err)
			Equal(h, "series (c has none)", len(series), 2)
			Equal(h, "in the order asked", series[0].IterationID+","+series[1].IterationID, b+","+a)
			Equal(h, "points", len(series[1].Points), 100)
			Equal(h, "first point", series[1].Points[0].Value, 1.0)
			Equal(h, "last step", series[1].Points[99].Step, int64(99))
			small, err := h.Tracker.MetricHistory(h.Ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{a}, MaxPoints: 10})
			h.Must(err)
			Equal(h, "downsampled", len(small[0].Points), 10)
			Equal(h, "keeps the last point", small[0].Points[9].Step, int64(99))
			// One point is the last; two, the first and the last.
			for n, want := range map[int]string{1: "[99]", 2: "[0 99]"} {
				got, err := h.Tracker.MetricHistory(h.Ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{a}, MaxPoints: n})
				h.Must(err)
				var steps []int64
				for _, p := range got[0].Points {
					steps = append(steps, p.Step)
				}
				Equal(h, fmt.Sprintf("steps of max_points=%d", n), fmt.Sprint(steps), want)
			}
			_, err = h.Tracker.MetricHistory(h.Ctx, core.HistoryQuery{IterationIDs: []string{a}})
			h.Code(err, core.EInvalid)
		}},
	}
}
