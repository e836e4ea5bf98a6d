package trackertest

import (
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

func versionNumbers(h *H, model string) string {
	h.Helper()
	vs, _, err := h.Tracker.ListModelVersions(h.Ctx, core.ModelVersionFilter{ModelID: model})
	h.Must(err)
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return fmtSlice(out)
}

func modelsCases() []testCase {
	return []testCase{
		testCase{"CreateGetList", func(h *H) {
			p := h.Project("P")
			id := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "classifier", Description: "resnet"}))
			m, err := h.Tracker.GetModel(h.Ctx, id)
			h.Must(err)
			Equal(h, "project", m.ProjectID, p)
			Equal(h, "name", m.Name, "classifier")
			Equal(h, "description", m.Description, "resnet")
			_, err = h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "classifier"})
			h.Code(err, core.EConflict)
			_, err = h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: "9999", Name: "x"})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: ""})
			h.Code(err, core.EInvalid)
			h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: h.Project("Other"), Name: "classifier"})) // unique per project
			for _, n := range []string{"a", "b", "c", "d"} {
				h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: n}))
			}
			page, total, err := h.Tracker.ListModels(h.Ctx, core.ModelFilter{ProjectID: p, Page: core.Page{Limit: 2}})
			h.Must(err)
			Equal(h, "total", total, 5)
			Equal(h, "page", len(page), 2)
			byName, _, err := h.Tracker.ListModels(h.Ctx, core.ModelFilter{ProjectID: p, Name: "c"})
			h.Must(err)
			Equal(h, "by name", len(byName), 1)
			Gone(h, "unknown model", func() (*core.Model, error) { return h.Tracker.GetModel(h.Ctx, "9999") })
		}},
		testCase{"UpdateAndRename", func(h *H) {
			p, _, it := h.Run()
			id := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "taken"}))
			h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			before := time.Now()
			// Renaming a model with versions failed upstream (docs/core.md, "Deliberate differences").
			h.Must(h.Tracker.UpdateModel(h.Ctx, id, core.ModelUpdate{Name: new("renamed"), Description: new("d")}))
			m, err := h.Tracker.GetModel(h.Ctx, id)
			h.Must(err)
			Equal(h, "name", m.Name, "renamed")
			Equal(h, "description", m.Description, "d")
			Near(h, "updated", m.UpdatedDate, before)
			h.Code(h.Tracker.UpdateModel(h.Ctx, id, core.ModelUpdate{Name: new("taken")}), core.EConflict)
			h.Must(h.Tracker.UpdateModel(h.Ctx, id, core.ModelUpdate{Name: new("renamed")}))
			h.Must(h.Tracker.UpdateModel(h.Ctx, id, core.ModelUpdate{}))
			h.Code(h.Tracker.UpdateModel(h.Ctx, "9999", core.ModelUpdate{Name: new("x")}), core.ENotFound)
		}},
		testCase{"DeleteTakesVersions", func(h *H) {
			p, e, it := h.Run()
			res := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: "w"}, strings.NewReader("w")))
			id := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			v1 := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it, ResourceID: res}))
			h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			h.Must(h.Tracker.DeleteModel(h.Ctx, id))
			Gone(h, "model", func() (*core.Model, error) { return h.Tracker.GetModel(h.Ctx, id) })
			Gone(h, "version", func() (*core.ModelVersion, error) { return h.Tracker.GetModelVersion(h.Ctx, v1) })
			if _, err := h.Tracker.GetResource(h.Ctx, res); err != nil {
				h.Fatalf("the resource stays: %v", err)
			}
			h.Code(h.Tracker.DeleteModel(h.Ctx, id), core.ENotFound)
		}},
		testCase{"VersionsNumberUp", func(h *H) {
			p, _, it := h.Run()
			id := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			v1 := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it, Description: "first"}))
			v, err := h.Tracker.GetModelVersion(h.Ctx, v1)
			h.Must(err)
			Equal(h, "version", v.Version, int64(1))
			Equal(h, "stage", v.Stage, core.StageNone)
			Equal(h, "resource", v.ResourceID, "")
			Equal(h, "iteration", v.IterationID, it)
			Equal(h, "description", v.Description, "first")
			v2 := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			Equal(h, "versions", versionNumbers(h, id), "[1 2]")
			h.Must(h.Tracker.DeleteModelVersion(h.Ctx, v2))
			h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			Equal(h, "numbers are not reused", versionNumbers(h, id), "[1 3]")
			h.Code(h.Tracker.DeleteModelVersion(h.Ctx, v2), core.ENotFound)
			Gone(h, "unknown version", func() (*core.ModelVersion, error) { return h.Tracker.GetModelVersion(h.Ctx, "9999") })
		}},
		testCase{"VersionChecksLineage", func(h *H) {
			p, e, it := h.Run()
			id := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			op := h.Project("Other")
			oe := h.Experiment(op, "E")
			otherIt := h.Iteration(oe, "")
			otherRes := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: oe, Name: "r"}, strings.NewReader("w")))
			ownRes := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: "r"}, strings.NewReader("w")))
			for name, in := range map[string]core.ModelVersionCreate{
				"unknown model":        {ModelID: "9999", IterationID: it},
				"unknown iteration":    {ModelID: id, IterationID: "9999"},
				"iteration of another": {ModelID: id, IterationID: otherIt},
				"unknown resource":     {ModelID: id, IterationID: it, ResourceID: "9999"},
				"resource of another":  {ModelID: id, IterationID: it, ResourceID: otherRes},
			} {
				_, err := h.Tracker.CreateModelVersion(h.Ctx, in)
				if core.ErrorCode(err) != core.EInvalid {
					h.Fatalf("%s: error = %v, want %s", name, err, core.EInvalid)
				}
			}
			v := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			h.Code(h.Tracker.UpdateModelVersion(h.Ctx, v, core.ModelVersionUpdate{ResourceID: new(otherRes)}), core.EInvalid)
			h.Must(h.Tracker.UpdateModelVersion(h.Ctx, v, core.ModelVersionUpdate{ResourceID: new(ownRes)}))
			got, err := h.Tracker.GetModelVersion(h.Ctx, v)
			h.Must(err)
			Equal(h, "resource set", got.ResourceID, ownRes)
			h.Must(h.Tracker.UpdateModelVersion(h.Ctx, v, core.ModelVersionUpdate{ResourceID: new("")}))
			got, err = h.Tracker.GetModelVersion(h.Ctx, v)
			h.Must(err)
			Equal(h, "resource cleared", got.ResourceID, "")
		}},
		testCase{"ForeignLineageLooksUnknown", func(h *H) {
			// An iteration or resource of another project is refused in the
			// very words of one that does not exist: the refusal must not
			// tell a caller with rights in one project what another holds.
			p, _, it := h.Run()
			id := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			oe := h.Experiment(h.Project("Other"), "E")
			foreignIt := h.Iteration(oe, "")
			foreignRes := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: oe, Name: "r"}, strings.NewReader("w")))
			const unknown = "9999"
			same := func(what string, refuse func(id string) error, foreign string) {
				h.Helper()
				gone, other := refuse(unknown), refuse(foreign)
				h.Code(gone, core.EInvalid)
				h.Code(other, core.EInvalid)
				if want := strings.ReplaceAll(core.ErrorMessage(gone), unknown, foreign); core.ErrorMessage(other) != want {
					h.Fatalf("%s of another project: %q, want the words for an unknown one: %q", what, core.ErrorMessage(other), want)
				}
			}
			same("iteration", func(iteration string) error {
				_, err := h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: iteration})
				return err
			}, foreignIt)
			same("resource", func(resource string) error {
				_, err := h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it, ResourceID: resource})
				return err
			}, foreignRes)
			v := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			same("resource of an update", func(resource string) error {
				return h.Tracker.UpdateModelVersion(h.Ctx, v, core.ModelVersionUpdate{ResourceID: &resource})
			}, foreignRes)
		}},
		testCase{"PromotionArchivesTheIncumbent", func(h *H) {
			p, _, it := h.Run()
			id := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			v1 := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			v2 := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: id, IterationID: it}))
			stage := func(v string) core.Stage {
				h.Helper()
				got, err := h.Tracker.GetModelVersion(h.Ctx, v)
				h.Must(err)
				return got.Stage
			}
			h.Must(h.Tracker.UpdateModelVersion(h.Ctx, v1, core.ModelVersionUpdate{Stage: new(core.StageStaging)}))
			Equal(h, "staging", stage(v1), core.StageStaging)
			h.Must(h.Tracker.UpdateModelVersion(h.Ctx, v1, core.ModelVersionUpdate{Stage: new(core.StageProduction)}))
			before := time.Now()
			h.Must(h.Tracker.UpdateModelVersion(h.Ctx, v2, core.ModelVersionUpdate{Stage: new(core.StageProduction), Description: new("better")}))
			Equal(h, "old production", stage(v1), core.StageArchived)
			Equal(h, "new production", stage(v2), core.StageProduction)
			old, err := h.Tracker.GetModelVersion(h.Ctx, v1)
			h.Must(err)
			Near(h, "archived version stamped", old.UpdatedDate, before)
			prod, total, err := h.Tracker.ListModelVersions(h.Ctx, core.ModelVersionFilter{ModelID: id, Stage: core.StageProduction})
			h.Must(err)
			Equal(h, "production versions", total, 1)
			Equal(h, "production version", prod[0].ID, v2)
			h.Must(h.Tracker.UpdateModelVersion(h.Ctx, v2, core.ModelVersionUpdate{Stage: new(core.StageProduction)}))
			Equal(h, "re-promoting keeps it", stage(v2), core.StageProduction)
			h.Code(h.Tracker.UpdateModelVersion(h.Ctx, v2, core.ModelVersionUpdate{Stage: new(core.Stage(9999))}), core.EInvalid)
			h.Code(h.Tracker.UpdateModelVersion(h.Ctx, "9999", core.ModelVersionUpdate{Stage: new(core.StageStaging)}), core.ENotFound)
		}},
	}
}
