package trackertest

import (
	"fmt"
	"slices"
	"sync"

	"github.com/deardiary/deardiary-go/core"
)

// parallel runs fn(i) for i in [0, n) at once and returns the errors.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errs
}

func concurrencyCases() []testCase {
	return []testCase{
		testCase{"AutoStepsNeverRepeat", func(h *H) {
			_, _, it := h.Run()
			const writers, each = 16, 40
			errs := parallel(writers, func(w int) error {
				for i := range each {
					var err error
					if i%4 == 0 {
						_, err = h.Tracker.LogMetrics(h.Ctx, it, core.MetricBatch{Metrics: []core.MetricInput{{Key: "loss", Value: float64(w)}}})
					} else {
						_, err = h.Tracker.LogMetric(h.Ctx, it, core.MetricInput{Key: "loss", Value: float64(w)})
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			for _, err := range errs {
				h.Must(err)
			}
			got := steps(h, it, "loss")
			Equal(h, "points", len(got), writers*each)
			for i, s := range got {
				if s != int64(i) {
					h.Fatalf("step %d is %d: steps repeat or skip", i, s)
				}
			}
			Equal(h, "summary count", summary(h, it, "loss").Count, int64(writers*each))
		}},
		testCase{"VersionNumbersNeverRepeat", func(h *H) {
			p, _, it := h.Run()
			model := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			const writers, each = 8, 10
			errs := parallel(writers, func(int) error {
				for range each {
					if _, err := h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: model, IterationID: it}); err != nil {
						return err
					}
				}
				return nil
			})
			for _, err := range errs {
				h.Must(err)
			}
			vs, total, err := h.Tracker.ListModelVersions(h.Ctx, core.ModelVersionFilter{ModelID: model})
			h.Must(err)
			Equal(h, "versions", total, writers*each)
			for i, v := range vs {
				Equal(h, fmt.Sprintf("version %d", i), v.Version, int64(i+1))
			}
		}},
		testCase{"UniqueNamesHoldUnderRaces", func(h *H) {
			p := h.Project("P")
			userErrs := parallel(8, func(int) error {
				_, err := h.Tracker.CreateUser(h.Ctx, core.UserCreate{Username: "racer", Password: "pw"})
				return err
			})
			modelErrs := parallel(8, func(int) error {
				_, err := h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "racer"})
				return err
			})
			for name, errs := range map[string][]error{"user": userErrs, "model": modelErrs} {
				won := slices.IndexFunc(errs, func(err error) bool { return err == nil })
				if won < 0 || slices.ContainsFunc(errs[won+1:], func(err error) bool { return err == nil }) {
					h.Fatalf("%s: want exactly one success, got %v", name, errs)
				}
				for i, err := range errs {
					if i != won {
						h.Code(err, core.EConflict)
					}
				}
			}
		}},
		testCase{"ManyIterationsAtOnce", func(h *H) {
			_, e, _ := h.Run()
			const n = 24
			var mu sync.Mutex
			var created []string
			errs := parallel(n, func(i int) error {
				id, err := h.Tracker.CreateIteration(h.Ctx, core.IterationCreate{ExperimentID: e})
				if err != nil {
					return err
				}
				mu.Lock()
				created = append(created, id)
				mu.Unlock()
				if _, err := h.Tracker.CreateParameter(h.Ctx, id, "seed", i); err != nil {
					return err
				}
				_, err = h.Tracker.LogMetrics(h.Ctx, id, core.MetricBatch{Metrics: []core.MetricInput{{Key: "loss", Value: 1}, {Key: "loss", Value: 0.5}}})
				return err
			})
			for _, err := range errs {
				h.Must(err)
			}
			sums, err := h.Tracker.MetricSummaries(h.Ctx, core.SummaryFilter{ExperimentID: e})
			h.Must(err)
			Equal(h, "summaries", len(sums), n)
			for _, s := range sums {
				Equal(h, "last of "+s.IterationID, s.Last, 0.5)
				Equal(h, "last step of "+s.IterationID, s.LastStep, int64(1))
			}
		}},
	}
}
