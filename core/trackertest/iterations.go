package trackertest

import (
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

func iterationsCases() []testCase {
	return []testCase{
		testCase{"NewIterationIsRunning", func(h *H) {
			_, e, id := h.Run()
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "experiment", it.ExperimentID, e)
			Equal(h, "status", it.Status, core.IterationRunning)
			Equal(h, "parent", it.ParentID, "")
			Equal(h, "error message", it.ErrorMessage, "")
			Equal(h, "notes", it.Notes, "")
			Equal(h, "ended", it.Ended(), false)
			Near(h, "created", it.CreatedDate, time.Now())
			_, err = h.Tracker.CreateIteration(h.Ctx, core.IterationCreate{ExperimentID: "00000000-0000-0000-0000-000000000000"})
			h.Code(err, core.EInvalid)
			Gone(h, "unknown iteration", func() (*core.Iteration, error) { return h.Tracker.GetIteration(h.Ctx, "9999") })
		}},
		testCase{"ParentsAndChildren", func(h *H) {
			p, e, parent := h.Run()
			a := h.Iteration(e, parent)
			b := h.Iteration(e, parent)
			sibling := h.Iteration(e, "")
			child, err := h.Tracker.GetIteration(h.Ctx, a)
			h.Must(err)
			Equal(h, "parent recorded", child.ParentID, parent)
			other := h.Iteration(h.Experiment(p, "Other"), "")
			_, err = h.Tracker.CreateIteration(h.Ctx, core.IterationCreate{ExperimentID: e, ParentID: other})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateIteration(h.Ctx, core.IterationCreate{ExperimentID: e, ParentID: "notanid"})
			h.Code(err, core.EInvalid)
			children, err := h.Tracker.ChildIterations(h.Ctx, parent)
			h.Must(err)
			Equal(h, "children", strings.Join(ids(children, func(i *core.Iteration) string { return i.ID }), ","), a+","+b)
			none, err := h.Tracker.ChildIterations(h.Ctx, "9999")
			h.Must(err)
			Equal(h, "children of unknown", len(none), 0)
			// Deleting the driver detaches its children.
			h.Must(h.Tracker.DeleteIteration(h.Ctx, parent))
			all, total, err := h.Tracker.ListIterations(h.Ctx, core.IterationFilter{ExperimentID: e})
			h.Must(err)
			Equal(h, "iterations left", total, 3)
			for _, it := range all {
				Equal(h, "parent of "+it.ID, it.ParentID, "")
			}
			_ = sibling
		}},
		testCase{"DeleteParentWithBusyChild", func(h *H) {
			// Upstream's DuckDB foreign keys made this fail half-way (docs/core.md, "Cascades").
			_, e, parent := h.Run()
			child := h.Iteration(e, parent)
			h.MustID(h.Tracker.CreateParameter(h.Ctx, child, "k", "v"))
			h.MustID(h.Tracker.LogMetric(h.Ctx, child, core.MetricInput{Key: "loss", Value: 1}))
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindIteration, child, "t"))
			h.Must(h.Tracker.DeleteIteration(h.Ctx, parent))
			it, err := h.Tracker.GetIteration(h.Ctx, child)
			h.Must(err)
			Equal(h, "detached child", it.ParentID, "")
			params, _, err := h.Tracker.ListParameters(h.Ctx, core.ParameterFilter{IterationID: child})
			h.Must(err)
			Equal(h, "child keeps its parameters", len(params), 1)
			h.Code(h.Tracker.DeleteIteration(h.Ctx, parent), core.ENotFound)
		}},
		testCase{"UpdateAndLock", func(h *H) {
			_, _, id := h.Run()
			h.Must(h.Tracker.UpdateIteration(h.Ctx, id, core.IterationUpdate{Notes: new("first try")}))
			end := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
			h.Must(h.Tracker.UpdateIteration(h.Ctx, id, core.IterationUpdate{Notes: new("done"), EndDate: &end,
				Status: new(core.IterationFailed), ErrorMessage: new("OutOfMemoryError")}))
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "notes", it.Notes, "done")
			Equal(h, "end date", it.EndDate, end)
			Equal(h, "status", it.Status, core.IterationFailed)
			Equal(h, "error message", it.ErrorMessage, "OutOfMemoryError")
			h.Locked(h.Tracker.UpdateIteration(h.Ctx, id, core.IterationUpdate{Notes: new("again")}))
			h.Code(h.Tracker.UpdateIteration(h.Ctx, "9999", core.IterationUpdate{Notes: new("x")}), core.ENotFound)
		}},
		testCase{"OnlyAnEndDateEnds", func(h *H) {
			// As upstream: a terminal status alone leaves the iteration
			// open, so a client that marks it finished first can still
			// write its notes; the end date ends and locks it.
			_, e, id := h.Run()
			h.Must(h.Tracker.UpdateIteration(h.Ctx, id, core.IterationUpdate{Status: new(core.IterationSucceeded)}))
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "status", it.Status, core.IterationSucceeded)
			Equal(h, "ended", it.Ended(), false)
			h.Must(h.Tracker.UpdateIteration(h.Ctx, id, core.IterationUpdate{Notes: new("final notes")}))
			h.MustID(h.Tracker.LogMetric(h.Ctx, id, core.MetricInput{Key: "loss", Value: 1}))
			end := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
			h.Must(h.Tracker.UpdateIteration(h.Ctx, id, core.IterationUpdate{EndDate: &end}))
			it, err = h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "end date", it.EndDate, end)
			h.Locked(h.Tracker.UpdateIteration(h.Ctx, id, core.IterationUpdate{Notes: new("too late")}))
			other := h.Iteration(e, "")
			h.Code(h.Tracker.UpdateIteration(h.Ctx, other, core.IterationUpdate{Status: new(core.IterationStatus(9))}), core.EInvalid)
			h.Must(h.Tracker.UpdateIteration(h.Ctx, other, core.IterationUpdate{})) // all-null: a no-op
			it, err = h.Tracker.GetIteration(h.Ctx, other)
			h.Must(err)
			Equal(h, "still running", it.Status, core.IterationRunning)
		}},
		testCase{"EndedIterationIsLocked", func(h *H) {
			p, e, id := h.Run()
			param := h.MustID(h.Tracker.CreateParameter(h.Ctx, id, "lr", 0.1))
			metric := h.MustID(h.Tracker.LogMetric(h.Ctx, id, core.MetricInput{Key: "loss", Value: 1}))
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindIteration, id, "kept"))
			h.End(id)
			_, err := h.Tracker.CreateParameter(h.Ctx, id, "k", "v")
			h.Locked(err)
			h.Locked(h.Tracker.UpdateParameter(h.Ctx, param, core.ParameterUpdate{Value: "x"}))
			h.Locked(h.Tracker.DeleteParameter(h.Ctx, param))
			_, err = h.Tracker.LogMetric(h.Ctx, id, core.MetricInput{Key: "loss", Value: 2})
			h.Locked(err)
			got, err := h.Tracker.LogMetrics(h.Ctx, id, core.MetricBatch{Metrics: []core.MetricInput{{Key: "a", Value: 1}}})
			h.Locked(err)
			Equal(h, "ids from a refused batch", len(got), 0)
			h.Locked(h.Tracker.UpdateMetric(h.Ctx, metric, core.MetricUpdate{Value: new(3.0)}))
			h.Locked(h.Tracker.DeleteMetric(h.Ctx, metric))
			_, err = h.Tracker.AttachTag(h.Ctx, core.KindIteration, id, "new")
			h.Locked(err)
			h.Locked(h.Tracker.DetachTag(h.Ctx, core.KindIteration, id, "kept"))
			// Registering and deleting stay allowed.
			model := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: model, IterationID: id}))
			metrics, _, err := h.Tracker.ListMetrics(h.Ctx, core.MetricFilter{IterationID: id})
			h.Must(err)
			Equal(h, "metrics unchanged", len(metrics), 1)
			h.Must(h.Tracker.DeleteIteration(h.Ctx, id))
			_ = e
		}},
		testCase{"ListPagesAndFilters", func(h *H) {
			_, e, first := h.Run()
			second := h.Iteration(e, "")
			h.End(first)
			page, total, err := h.Tracker.ListIterations(h.Ctx, core.IterationFilter{ExperimentID: e, Page: core.Page{Limit: 1}})
			h.Must(err)
			Equal(h, "total", total, 2)
			Equal(h, "page", len(page), 1)
			Equal(h, "oldest first", page[0].ID, first)
			running, total, err := h.Tracker.ListIterations(h.Ctx, core.IterationFilter{ExperimentID: e, Status: core.IterationRunning})
			h.Must(err)
			Equal(h, "running total", total, 1)
			Equal(h, "running", running[0].ID, second)
		}},
		testCase{"Environment", func(h *H) {
			_, _, id := h.Run()
			env := core.EnvironmentSnapshot{JuliaVersion: "1.11.0", GitSHA: strings.Repeat("a", 40), GitDirty: true,
				Entrypoint: "train.jl", ProjectTOML: "[deps]\r\nFlux = \"x\"\n", ManifestTOML: "# manifest\n"}
			h.Must(h.Tracker.SetIterationEnvironment(h.Ctx, id, env))
			h.End(id)
			env.Entrypoint = "run.jl" // allowed after the end, as upstream
			h.Must(h.Tracker.SetIterationEnvironment(h.Ctx, id, env))
			it, err := h.Tracker.GetIteration(h.Ctx, id)
			h.Must(err)
			Equal(h, "environment", it.Environment, env)
			h.Code(h.Tracker.SetIterationEnvironment(h.Ctx, "9999", env), core.ENotFound)
		}},
	}
}
