package trackertest

import (
	"slices"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

func searchCases() []testCase {
	return []testCase{
		testCase{"FilterExpressions", func(h *H) {
			p, e, good := h.Run()
			bad, running := h.Iteration(e, ""), h.Iteration(e, "")
			child := h.Iteration(e, good)
			other := h.Experiment(p, "Other")
			elsewhere := h.Iteration(other, "")
			log := func(it string, params map[string]any, accuracy ...float64) {
				for k, v := range params {
					h.MustID(h.Tracker.CreateParameter(h.Ctx, it, k, v))
				}
				for _, a := range accuracy {
					h.MustID(h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "accuracy", Value: a}))
				}
			}
			log(good, map[string]any{"optimizer": "adam", "lr": 0.01}, 0.7, 0.95)
			log(bad, map[string]any{"optimizer": "sgd", "lr": 0.1}, 0.5)
			log(running, map[string]any{"optimizer": "adam", "lr": 0.001}, 0.92, 0.85)
			log(elsewhere, map[string]any{"optimizer": "adam"}, 0.99)
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindIteration, good, "baseline"))
			h.Must(h.Tracker.UpdateIteration(h.Ctx, running, core.IterationUpdate{Notes: new("warmup run")}))
			h.End(good)
			h.Must(h.Tracker.UpdateIteration(h.Ctx, bad, core.IterationUpdate{Status: new(core.IterationFailed), EndDate: new(time.Now()), ErrorMessage: new("CUDA out of memory")}))
			name := map[string]string{good: "good", bad: "bad", running: "running", child: "child", elsewhere: "elsewhere"}
			search := func(filter string, experiments ...string) string {
				h.Helper()
				if experiments == nil {
					experiments = []string{e}
				}
				its, total, err := h.Tracker.SearchIterations(h.Ctx, core.IterationSearch{ExperimentIDs: experiments, Filter: filter})
				h.Must(err)
				Equal(h, "total of "+filter, total, len(its))
				var got []string
				for _, it := range its {
					got = append(got, name[it.ID])
				}
				slices.Sort(got)
				return strings.Join(got, " ")
			}
			for filter, want := range map[string]string{
				`metrics.accuracy > 0.9 and params.optimizer = 'adam' or status = 'FAILED'`: "bad good",
				`params.lr < 0.05`:                        "good running",
				`params.optimizer = 'adam'`:               "good running",
				`params.optimizer like 'sg%'`:             "bad",
				`tags = 'baseline'`:                       "good",
				`tags != 'baseline'`:                      "bad child running",
				`not metrics.accuracy > 0.9`:              "bad running",
				`metrics.accuracy in (0.5, 0.85)`:         "bad running",
				`notes like '%warmup%'`:                   "running",
				`error like '%memory%'`:                   "bad",
				`status in ('RUNNING', 'FAILED')`:         "bad child running",
				`status != 'running'`:                     "bad good",
				`parent = '` + good + `'`:                 "child",
				`parent = '' and created >= '2000-01-01'`: "bad good running",
				`ended > '2000-01-01'`:                    "bad good",
				``:                                        "bad child good running",
				`id = '` + bad + `'`:                      "bad",
			} {
				Equal(h, filter, search(filter), want)
			}
			Equal(h, "across experiments", search(`metrics.accuracy > 0.9`, e, other), "elsewhere good")
			page, total, err := h.Tracker.SearchIterations(h.Ctx, core.IterationSearch{ExperimentIDs: []string{e}, Page: core.Page{Limit: 2}})
			h.Must(err)
			Equal(h, "page", len(page), 2)
			Equal(h, "total", total, 4)
			_, _, err = h.Tracker.SearchIterations(h.Ctx, core.IterationSearch{ExperimentIDs: []string{e}, Filter: "metrics.accuracy >"})
			h.Code(err, core.EInvalid)
			_, _, err = h.Tracker.SearchIterations(h.Ctx, core.IterationSearch{Filter: "status = 'FAILED'"})
			h.Code(err, core.EInvalid)
		}},
	}
}
