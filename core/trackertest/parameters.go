package trackertest

import (
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

func parametersCases() []testCase {
	return []testCase{
		testCase{"LengthLimits", func(h *H) {
			p, _, it := h.Run()
			key, longKey := strings.Repeat("é", core.MaxKeyLength), strings.Repeat("k", core.MaxKeyLength+1)
			value, longValue := strings.Repeat("v", core.MaxParamValueLength), strings.Repeat("v", core.MaxParamValueLength+1)
			h.MustID(h.Tracker.CreateParameter(h.Ctx, it, key, value))
			_, err := h.Tracker.CreateParameter(h.Ctx, it, longKey, 1)
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateParameter(h.Ctx, it, "k", longValue)
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: longKey, Value: 1})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.AttachTag(h.Ctx, core.KindIteration, it, longKey)
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: p, Name: longKey})
			h.Code(err, core.EInvalid)
			// A batch with one value too long keeps nothing of the others.
			_, err = h.Tracker.LogBatch(h.Ctx, it, core.Batch{
				Params:  []core.ParamInput{{Key: "fine", Value: 1}, {Key: "long", Value: longValue}},
				Metrics: core.MetricBatch{Metrics: []core.MetricInput{{Key: "loss", Value: 1}}}})
			h.Code(err, core.EInvalid)
			params, total, err := h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{IterationID: it})
			h.Must(err)
			Equal(h, "parameters kept", total, 1)
			Equal(h, "the one allowed", params[0].Key, key)
			points, err := h.Tracker.MetricHistory(h.Ctx, core.HistoryQuery{Key: "loss", IterationIDs: []string{it}})
			h.Must(err)
			Equal(h, "series after the refused batch", len(points), 0)
		}},
		testCase{"NamesHoldNoNUL", func(h *H) {
			// A NUL in a name or key is refused (PostgreSQL's text cannot
			// hold one, and no tool shows it), and nothing is kept.
			p, e, it := h.Run()
			const bad = "lo\x00ss"
			_, err := h.Tracker.CreateProject(h.Ctx, core.ProjectCreate{Name: bad})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: p, Name: bad})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: bad})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: bad}, strings.NewReader("w"))
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateUser(h.Ctx, core.UserCreate{Username: bad, Password: "pw"})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateTag(h.Ctx, bad)
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.AttachTag(h.Ctx, core.KindIteration, it, bad)
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateParameter(h.Ctx, it, bad, 1)
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: bad, Value: 1})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogBatch(h.Ctx, it, core.Batch{Params: []core.ParamInput{{Key: "fine", Value: 1}, {Key: bad, Value: 1}}})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{Metrics: []core.MetricInput{{Key: "fine", Value: 1}, {Key: bad, Value: 1}}})
			h.Code(err, core.EInvalid)
			m := h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: 1}))
			h.Code(h.Tracker.UpdateMetric(h.Ctx, m, core.MetricUpdate{Key: new(bad)}), core.EInvalid)
			h.Code(h.Tracker.UpdateProject(h.Ctx, p, core.ProjectUpdate{Name: new(bad)}), core.EInvalid)
			params, _, err := h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{IterationID: it})
			h.Must(err)
			Equal(h, "parameters kept", len(params), 0)
			points, _, err := h.Tracker.ListMetrics(h.Ctx, core.MetricFilter{IterationID: it})
			h.Must(err)
			Equal(h, "points kept", len(points), 1)
		}},
		testCase{"TypedValuesBecomeText", func(h *H) {
			_, _, it := h.Run()
			for _, c := range []struct {
				value any
				want  string
			}{{"adam", "adam"}, {0.01, "0.01"}, {32.55, "32.55"}, {1e-3, "0.001"}, {1e-5, "1.0e-5"}, {3.0, "3.0"}, {32, "32"}, {int64(-4), "-4"}, {true, "true"}} {
				id := h.MustID(h.Tracker.CreateParameter(h.Ctx, it, "k", c.value))
				p, err := h.Tracker.GetParameter(h.Ctx, id)
				h.Must(err)
				Equal(h, "stored value", p.Value, c.want)
				Equal(h, "iteration", p.IterationID, it)
			}
		}},
		testCase{"CreateRejectsBadInput", func(h *H) {
			_, _, it := h.Run()
			_, err := h.Tracker.CreateParameter(h.Ctx, "00000000-0000-0000-0000-000000000000", "lr", 0.1)
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateParameter(h.Ctx, it, "", "x")
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateParameter(h.Ctx, it, "k", "")
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateParameter(h.Ctx, it, "k", []string{"a"})
			h.Code(err, core.EInvalid)
			_, total, err := h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{IterationID: it})
			h.Must(err)
			Equal(h, "parameters", total, 0)
		}},
		testCase{"ListInLoggingOrder", func(h *H) {
			_, _, it := h.Run()
			for _, k := range []string{"optimizer", "lr", "batch_size", "lr"} { // keys may repeat
				h.MustID(h.Tracker.CreateParameter(h.Ctx, it, k, "v"))
			}
			all, total, err := h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{IterationID: it})
			h.Must(err)
			Equal(h, "total", total, 4)
			Equal(h, "order", fmtSlice(ids(all, func(p *core.Parameter) string { return p.Key })), "[optimizer lr batch_size lr]")
			page, total, err := h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{IterationID: it, Page: core.Page{Limit: 1, Offset: 1}})
			h.Must(err)
			Equal(h, "paged total", total, 4)
			Equal(h, "page", page[0].Key, "lr")
			it2, err := h.Tracker.GetIteration(h.Ctx, it)
			h.Must(err)
			other := h.Iteration(it2.ExperimentID, "")
			h.MustID(h.Tracker.CreateParameter(h.Ctx, other, "seed", 7))
			all, total, err = h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{ExperimentID: it2.ExperimentID})
			h.Must(err)
			Equal(h, "parameters of the experiment", total, 5)
			Equal(h, "last of the experiment", all[4].IterationID, other)
		}},
		testCase{"UpdateAndDelete", func(h *H) {
			_, _, it := h.Run()
			id := h.MustID(h.Tracker.CreateParameter(h.Ctx, it, "lr", 0.01))
			h.Must(h.Tracker.UpdateParameter(h.Ctx, id, core.ParameterUpdate{Value: 0.001}))
			p, err := h.Tracker.GetParameter(h.Ctx, id)
			h.Must(err)
			Equal(h, "value", p.Value, "0.001")
			Equal(h, "key kept", p.Key, "lr")
			h.Must(h.Tracker.UpdateParameter(h.Ctx, id, core.ParameterUpdate{Key: new("batch_size"), Value: "64"}))
			h.Must(h.Tracker.UpdateParameter(h.Ctx, id, core.ParameterUpdate{}))
			p, err = h.Tracker.GetParameter(h.Ctx, id)
			h.Must(err)
			Equal(h, "renamed", p.Key+"="+p.Value, "batch_size=64")
			h.Code(h.Tracker.UpdateParameter(h.Ctx, id, core.ParameterUpdate{Value: ""}), core.EInvalid)
			h.Code(h.Tracker.UpdateParameter(h.Ctx, "9999", core.ParameterUpdate{Value: "x"}), core.ENotFound)
			h.Must(h.Tracker.DeleteParameter(h.Ctx, id))
			Gone(h, "deleted parameter", func() (*core.Parameter, error) { return h.Tracker.GetParameter(h.Ctx, id) })
			h.Code(h.Tracker.DeleteParameter(h.Ctx, id), core.ENotFound)
		}},
	}
}
