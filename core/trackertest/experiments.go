package trackertest

import (
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

func experimentsCases() []testCase {
	return []testCase{
		testCase{"CreateAndGet", func(h *H) {
			p := h.Project("P")
			id := h.MustID(h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: p, Name: "E", Status: core.ExperimentInProgress}))
			e, err := h.Tracker.GetExperiment(h.Ctx, id)
			h.Must(err)
			Equal(h, "project", e.ProjectID, p)
			Equal(h, "status", e.Status, core.ExperimentInProgress)
			Equal(h, "name", e.Name, "E")
			Equal(h, "description", e.Description, "")
			if !e.EndDate.IsZero() {
				h.Fatal("new experiment has an end date")
			}
			Gone(h, "unknown experiment", func() (*core.Experiment, error) { return h.Tracker.GetExperiment(h.Ctx, "9999") })
		}},
		testCase{"CreateRejectsBadInput", func(h *H) {
			p := h.Project("P")
			_, err := h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: "00000000-0000-0000-0000-000000000000", Name: "E"})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: p, Name: "E", Status: core.ExperimentStopped})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: p, Name: "E", Status: 9999})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: p, Name: " "})
			h.Code(err, core.EInvalid)
		}},
		testCase{"UpdateAndReopen", func(h *H) {
			id := h.Experiment(h.Project("P"), "E")
			end := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
			h.Must(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{
				Status: new(core.ExperimentFinished), Name: new("Done"), Description: new("desc"), EndDate: &end}))
			e, err := h.Tracker.GetExperiment(h.Ctx, id)
			h.Must(err)
			Equal(h, "status", e.Status, core.ExperimentFinished)
			Equal(h, "name", e.Name, "Done")
			Equal(h, "description", e.Description, "desc")
			Equal(h, "end date", e.EndDate, end)
			// A rename alone needs no status (upstream required one).
			h.Must(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{Name: new("Renamed")}))
			h.Must(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{Status: new(core.ExperimentInProgress), EndDate: &end}))
			e, err = h.Tracker.GetExperiment(h.Ctx, id)
			h.Must(err)
			Equal(h, "reopened status", e.Status, core.ExperimentInProgress)
			if !e.EndDate.IsZero() {
				h.Fatalf("reopening should clear the end date, got %v", e.EndDate)
			}
			Equal(h, "name kept", e.Name, "Renamed")
			// Stopping sets the status alone, as upstream; the caller sends
			// the end date it wants.
			h.Must(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{Status: new(core.ExperimentStopped)}))
			e, err = h.Tracker.GetExperiment(h.Ctx, id)
			h.Must(err)
			Equal(h, "stopped", e.Status, core.ExperimentStopped)
			if !e.EndDate.IsZero() {
				h.Fatalf("a status alone set the end date to %v", e.EndDate)
			}
			h.Must(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{}))
			h.Code(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{Status: new(core.ExperimentStatus(9999))}), core.EInvalid)
			h.Code(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{Name: new("")}), core.EInvalid)
			h.Code(h.Tracker.UpdateExperiment(h.Ctx, "9999", core.ExperimentUpdate{Name: new("x")}), core.ENotFound)
		}},
		testCase{"ClosedExperimentTakesNothingNew", func(h *H) {
			id := h.Experiment(h.Project("P"), "E")
			running := h.Iteration(id, "")
			h.Must(h.Tracker.UpdateExperiment(h.Ctx, id, core.ExperimentUpdate{Status: new(core.ExperimentStopped)}))
			_, err := h.Tracker.CreateIteration(h.Ctx, core.IterationCreate{ExperimentID: id})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: id, Name: "r"}, strings.NewReader("x"))
			h.Code(err, core.EInvalid)
			// Iterations already open keep logging.
			h.MustID(h.Tracker.LogMetric(h.Ctx, running, core.MetricInput{Key: "loss", Value: 1}))
		}},
		testCase{"Pagination", func(h *H) {
			p := h.Project("P")
			for range 5 {
				h.Experiment(p, "E")
			}
			page, total, err := h.Tracker.ListExperiments(h.Ctx, core.ExperimentFilter{ProjectID: p, Page: core.Page{Limit: 2}})
			h.Must(err)
			Equal(h, "page size", len(page), 2)
			Equal(h, "total", total, 5)
			next, _, err := h.Tracker.ListExperiments(h.Ctx, core.ExperimentFilter{ProjectID: p, Page: core.Page{Limit: 2, Offset: 2}})
			h.Must(err)
			if next[0].ID == page[0].ID || next[0].ID == page[1].ID {
				h.Fatal("second page repeats the first")
			}
			past, total, err := h.Tracker.ListExperiments(h.Ctx, core.ExperimentFilter{ProjectID: p, Page: core.Page{Limit: 10, Offset: 99}})
			h.Must(err)
			Equal(h, "past the end", len(past), 0)
			Equal(h, "total past the end", total, 5)
			all, _, err := h.Tracker.ListExperiments(h.Ctx, core.ExperimentFilter{ProjectID: p})
			h.Must(err)
			Equal(h, "no limit", len(all), 5)
			for i := 1; i < len(all); i++ {
				if all[i].CreatedDate.Before(all[i-1].CreatedDate) {
					h.Fatal("experiments not oldest first")
				}
			}
		}},
		testCase{"DeleteCascades", func(h *H) {
			w := buildWorld(h)
			h.Must(h.Tracker.DeleteExperiment(h.Ctx, w.experiment))
			w.assertGone(h)
			_, err := h.Tracker.GetModel(h.Ctx, w.model)
			h.Must(err) // the model belongs to the project and stays
			versions, total, err := h.Tracker.ListModelVersions(h.Ctx, core.ModelVersionFilter{ModelID: w.model})
			h.Must(err)
			Equal(h, "versions left", total, 0)
			Equal(h, "versions listed", len(versions), 0)
			h.Code(h.Tracker.DeleteExperiment(h.Ctx, w.experiment), core.ENotFound)
		}},
	}
}
