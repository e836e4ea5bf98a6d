package trackertest

import (
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

func projectsCases() []testCase {
	return []testCase{
		testCase{"CreateRequiresAnAdmin", func(h *H) {
			admin := h.DefaultUser()
			h.MustID(h.Tracker.CreateProject(h.Ctx, core.ProjectCreate{Name: "P", UserID: admin.ID}))
			_, err := h.Tracker.CreateProject(h.Ctx, core.ProjectCreate{Name: "P", UserID: "00000000-0000-0000-0000-000000000000"})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateProject(h.Ctx, core.ProjectCreate{Name: "P", UserID: h.User("ada")})
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateProject(h.Ctx, core.ProjectCreate{Name: ""})
			h.Code(err, core.EInvalid)
		}},
		testCase{"GetAndListInCreationOrder", func(h *H) {
			first := h.Project("Test Project")
			second := h.Project("Test Project") // names need not be unique
			p, err := h.Tracker.GetProject(h.Ctx, first)
			h.Must(err)
			Equal(h, "name", p.Name, "Test Project")
			Equal(h, "description", p.Description, "")
			all, err := h.Tracker.ListProjects(h.Ctx, core.ProjectFilter{})
			h.Must(err)
			Equal(h, "projects", strings.Join(ids(all, func(p *core.Project) string { return p.ID }), ","), first+","+second)
			h.Project("Other")
			named, err := h.Tracker.ListProjects(h.Ctx, core.ProjectFilter{Name: "Other"})
			h.Must(err)
			Equal(h, "projects named Other", len(named), 1)
			Gone(h, "unknown project", func() (*core.Project, error) { return h.Tracker.GetProject(h.Ctx, "9999") })
		}},
		testCase{"ListReadableBy", func(h *H) {
			p1 := h.Project("P1")
			h.Project("P2")
			u := h.User("ada")
			none, err := h.Tracker.ListProjects(h.Ctx, core.ProjectFilter{ReadableBy: u})
			h.Must(err)
			Equal(h, "projects without permissions", len(none), 0)
			perm := h.MustID(h.Tracker.CreateUserPermission(h.Ctx, u, p1, core.Permissions{Read: true}))
			some, err := h.Tracker.ListProjects(h.Ctx, core.ProjectFilter{ReadableBy: u})
			h.Must(err)
			if len(some) != 1 || some[0].ID != p1 {
				h.Fatalf("readable projects = %v, want only P1", some)
			}
			h.Must(h.Tracker.UpdateUserPermission(h.Ctx, perm, core.PermissionUpdate{Read: new(false)}))
			none, err = h.Tracker.ListProjects(h.Ctx, core.ProjectFilter{ReadableBy: u})
			h.Must(err)
			Equal(h, "projects without read", len(none), 0)
			all, err := h.Tracker.ListProjects(h.Ctx, core.ProjectFilter{ReadableBy: h.DefaultUser().ID})
			h.Must(err)
			Equal(h, "admins read all", len(all), 2)
		}},
		testCase{"Update", func(h *H) {
			id := h.Project("P")
			h.Must(h.Tracker.UpdateProject(h.Ctx, id, core.ProjectUpdate{Name: new("Renamed"), Description: new("About it")}))
			h.Must(h.Tracker.UpdateProject(h.Ctx, id, core.ProjectUpdate{Description: new("Updated project")}))
			p, err := h.Tracker.GetProject(h.Ctx, id)
			h.Must(err)
			Equal(h, "name kept", p.Name, "Renamed")
			Equal(h, "description", p.Description, "Updated project")
			h.Must(h.Tracker.UpdateProject(h.Ctx, id, core.ProjectUpdate{}))
			h.Code(h.Tracker.UpdateProject(h.Ctx, id, core.ProjectUpdate{Name: new("")}), core.EInvalid)
			h.Code(h.Tracker.UpdateProject(h.Ctx, "9999", core.ProjectUpdate{Name: new("x")}), core.ENotFound)
		}},
		testCase{"DeleteCascadesEverything", func(h *H) {
			w := buildWorld(h)
			keep := h.Project("Untouched")
			keepExp := h.Experiment(keep, "E")
			h.Must(h.Tracker.DeleteProject(h.Ctx, w.project))
			w.assertGone(h)
			Gone(h, "project", func() (*core.Project, error) { return h.Tracker.GetProject(h.Ctx, w.project) })
			Gone(h, "model", func() (*core.Model, error) { return h.Tracker.GetModel(h.Ctx, w.model) })
			Gone(h, "model version", func() (*core.ModelVersion, error) { return h.Tracker.GetModelVersion(h.Ctx, w.version) })
			perms, err := h.Tracker.ListUserPermissions(h.Ctx, core.PermissionFilter{ProjectID: w.project})
			h.Must(err)
			Equal(h, "permissions left", len(perms), 0)
			tags, err := h.Tracker.ListTags(h.Ctx, core.KindProject, w.project)
			h.Must(err)
			Equal(h, "project tags left", len(tags), 0)
			if _, err := h.Tracker.GetTagByValue(h.Ctx, "shared"); err != nil {
				h.Fatalf("tags themselves stay: %v", err)
			}
			_, err = h.Tracker.GetExperiment(h.Ctx, keepExp)
			h.Must(err)
			h.Code(h.Tracker.DeleteProject(h.Ctx, w.project), core.ENotFound)
		}},
	}
}

// world is a project with one of everything in it.
type world struct {
	project, experiment, driver, child, parameter, metric, resource, model, version string
}

func buildWorld(h *H) world {
	h.Helper()
	var w world
	w.project = h.Project("World")
	w.experiment = h.Experiment(w.project, "E")
	w.driver = h.Iteration(w.experiment, "")
	w.child = h.Iteration(w.experiment, w.driver)
	w.parameter = h.MustID(h.Tracker.CreateParameter(h.Ctx, w.child, "lr", 0.01))
	w.metric = h.MustID(h.Tracker.LogMetric(h.Ctx, w.child, core.MetricInput{Key: "loss", Value: 0.5}))
	w.resource = h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: w.experiment, Name: "weights"}, strings.NewReader("bytes")))
	w.model = h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: w.project, Name: "m"}))
	w.version = h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: w.model, IterationID: w.child, ResourceID: w.resource}))
	h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindProject, w.project, "shared"))
	h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindExperiment, w.experiment, "shared"))
	h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindIteration, w.child, "shared"))
	h.MustID(h.Tracker.CreateUserPermission(h.Ctx, h.User("member"), w.project, core.Permissions{Read: true}))
	return w
}

// assertGone checks that the experiment and everything in it are gone.
func (w world) assertGone(h *H) {
	h.Helper()
	Gone(h, "experiment", func() (*core.Experiment, error) { return h.Tracker.GetExperiment(h.Ctx, w.experiment) })
	Gone(h, "driver iteration", func() (*core.Iteration, error) { return h.Tracker.GetIteration(h.Ctx, w.driver) })
	Gone(h, "child iteration", func() (*core.Iteration, error) { return h.Tracker.GetIteration(h.Ctx, w.child) })
	Gone(h, "parameter", func() (*core.Parameter, error) { return h.Tracker.GetParameter(h.Ctx, w.parameter) })
	Gone(h, "metric", func() (*core.Metric, error) { return h.Tracker.GetMetric(h.Ctx, w.metric) })
	Gone(h, "resource", func() (*core.Resource, error) { return h.Tracker.GetResource(h.Ctx, w.resource) })
	Gone(h, "version built from the iteration", func() (*core.ModelVersion, error) { return h.Tracker.GetModelVersion(h.Ctx, w.version) })
	for _, kind := range []core.Kind{core.KindExperiment, core.KindIteration} {
		id := map[core.Kind]string{core.KindExperiment: w.experiment, core.KindIteration: w.child}[kind]
		tags, err := h.Tracker.ListTags(h.Ctx, kind, id)
		h.Must(err)
		Equal(h, string(kind)+" tags left", len(tags), 0)
	}
	sums, err := h.Tracker.MetricSummaries(h.Ctx, core.SummaryFilter{IterationIDs: []string{w.child}})
	h.Must(err)
	Equal(h, "summaries left", len(sums), 0)
}
