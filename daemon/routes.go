package daemon

import (
	"net/http"

	"github.com/deardiary/deardiary-go/core"
)

// route is one endpoint: method, path, who may call it, and its handler.
type route struct {
	method string
	path   string
	access access
	handle handler
}

// routes is DearDiary.jl's 67 routes (docs/API.md, "Routes") plus ddd's own, marked "new"
// and documented in docs/API.md.
func (s *Server) routes() []route {
	var (
		C, R, U, D = core.ActionCreate, core.ActionRead, core.ActionUpdate, core.ActionDelete
		p          = func(a core.Action, resolve func(*http.Request) ([]string, error)) access {
			return access{kind: inProject, action: a, projects: resolve}
		}
		project    = s.projectPath("project_id")
		projectID  = s.projectPath("id")
		experiment = s.viaExperiment("experiment_id")
		expID      = s.viaExperiment("id")
		iteration  = s.viaIteration("iteration_id")
		iterID     = s.viaIteration("id")
		parameter  = s.viaParameter("id")
		metric     = s.viaMetric("id")
		resource   = s.viaResource("id")
		model      = s.viaModel("model_id")
		modelID    = s.viaModel("id")
		version    = s.viaVersion("id")
	)
	return []route{
		// The hot write routes come first: the router tries routes in order.
		{"POST", "/metric/iteration/{iteration_id}", p(C, iteration), s.createMetric},
		{"POST", "/metric/iteration/{iteration_id}/batch", p(C, iteration), s.createMetrics},
		{"POST", "/iteration/{id}/batch", p(C, iterID), s.logBatch}, // new

		{"GET", "/health", access{kind: open}, s.health},
		{"POST", "/auth", access{kind: open}, s.login},
		{"POST", "/auth/refresh", access{kind: authed}, s.refresh},
		{"GET", "/auth/me", access{kind: authed}, s.me},

		{"GET", "/user/", access{kind: adminOnly}, s.listUsers},
		{"GET", "/user/username/{username}", access{kind: adminOnly}, getOne(s, "username", core.Tracker.GetUserByUsername, toUserJSON)}, // new
		{"GET", "/user/{id}", access{kind: selfOrAdmin}, getOne(s, "id", core.Tracker.GetUser, toUserJSON)},
		{"GET", "/user/{id}/permissions", access{kind: selfOrAdmin}, s.userPermissions},
		{"POST", "/user/", access{kind: adminOnly}, s.createUser},
		{"PATCH", "/user/{id}", access{kind: selfOrAdmin}, s.updateUser},
		{"DELETE", "/user/{id}", access{kind: selfOrAdmin}, deleteOne(s, core.Tracker.DeleteUser)},

		{"GET", "/project/", access{kind: authed}, s.listProjects},
		{"GET", "/project/{id}", p(R, projectID), getOne(s, "id", core.Tracker.GetProject, toProjectJSON)},
		{"GET", "/project/{project_id}/members", p(R, project), s.projectMembers},
		{"POST", "/project/", access{kind: adminOnly}, s.createProject},
		{"PATCH", "/project/{id}", access{kind: adminOnly}, s.updateProject},
		{"DELETE", "/project/{id}", access{kind: adminOnly}, deleteOne(s, core.Tracker.DeleteProject)},

		{"GET", "/userpermission/", access{kind: adminOnly}, s.listPermissions}, // new
		{"GET", "/userpermission/user/{user_id}/project/{project_id}", access{kind: adminOnly}, s.getPermission},
		{"GET", "/userpermission/user/{id}/project/{project_id}/{action}", access{kind: selfOrAdmin}, s.hasPermission}, // new
		{"POST", "/userpermission/user/{user_id}/project/{project_id}", access{kind: adminOnly}, s.createPermission},
		{"PATCH", "/userpermission/{id}", access{kind: adminOnly}, s.updatePermission},
		{"DELETE", "/userpermission/{id}", access{kind: adminOnly}, deleteOne(s, core.Tracker.DeleteUserPermission)},

		{"GET", "/experiment/{id}", p(R, expID), getOne(s, "id", core.Tracker.GetExperiment, toExperimentJSON)},
		{"GET", "/experiment/project/{project_id}", p(R, project), s.listExperiments},
		{"POST", "/experiment/project/{project_id}", p(C, project), s.createExperiment},
		{"PATCH", "/experiment/{id}", p(U, expID), s.updateExperiment},
		{"DELETE", "/experiment/{id}", p(D, expID), deleteOne(s, core.Tracker.DeleteExperiment)},

		{"GET", "/iteration/search", p(R, s.viaSearch), s.searchIterations}, // new
		{"GET", "/iteration/{id}", p(R, iterID), getOne(s, "id", core.Tracker.GetIteration, toIterationJSON)},
		{"GET", "/iteration/experiment/{experiment_id}", p(R, experiment), s.listIterations},
		{"GET", "/iteration/{id}/children", p(R, iterID), s.childIterations},
		{"POST", "/iteration/experiment/{experiment_id}", p(C, experiment), s.createIteration},
		{"POST", "/iteration/{id}/snapshot", p(U, iterID), s.setEnvironment},
		{"PATCH", "/iteration/{id}", p(U, iterID), s.updateIteration},
		{"DELETE", "/iteration/{id}", p(D, iterID), deleteOne(s, core.Tracker.DeleteIteration)},
		{"GET", "/snapshot/iteration/{id}", p(R, iterID), s.getSnapshot},  // new
		{"PUT", "/snapshot/iteration/{id}", p(U, iterID), s.saveSnapshot}, // new

		{"GET", "/parameter/{id}", p(R, parameter), getOne(s, "id", core.Tracker.GetParameter, toParameterJSON)},
		{"GET", "/parameter/iteration/{iteration_id}", p(R, iteration), s.listParameters},
		{"GET", "/parameter/experiment/{experiment_id}", p(R, experiment), s.listParameters}, // new
		{"POST", "/parameter/iteration/{iteration_id}", p(C, iteration), s.createParameter},
		{"PATCH", "/parameter/{id}", p(U, parameter), s.updateParameter},
		{"DELETE", "/parameter/{id}", p(D, parameter), deleteOne(s, core.Tracker.DeleteParameter)},

		{"GET", "/metric/history", p(R, s.viaIterationsQuery), s.metricHistory}, // new
		{"GET", "/metric/summary", p(R, s.viaSummaryQuery), s.metricSummaries},  // new
		{"GET", "/metric/{id}", p(R, metric), getOne(s, "id", core.Tracker.GetMetric, toMetricJSON)},
		{"GET", "/metric/iteration/{iteration_id}", p(R, iteration), s.listMetrics},
		{"PATCH", "/metric/{id}", p(U, metric), s.updateMetric},
		{"DELETE", "/metric/{id}", p(D, metric), deleteOne(s, core.Tracker.DeleteMetric)},

		{"GET", "/resource/{id}", p(R, resource), getOne(s, "id", core.Tracker.GetResource, toResourceJSON)},
		{"GET", "/resource/{id}/data", p(R, resource), s.resourceData},
		{"GET", "/resource/experiment/{experiment_id}", p(R, experiment), s.listResources},
		{"POST", "/resource/experiment/{experiment_id}", p(C, experiment), s.createResource},
		{"PATCH", "/resource/{id}", p(U, resource), s.updateResource},
		{"DELETE", "/resource/{id}", p(D, resource), deleteOne(s, core.Tracker.DeleteResource)},

		{"POST", "/tag/", access{kind: adminOnly}, s.createTag},                                                           // new
		{"GET", "/tag/value/{value}", access{kind: adminOnly}, getOne(s, "value", core.Tracker.GetTagByValue, toTagJSON)}, // new
		{"GET", "/tag/{id}", access{kind: adminOnly}, getOne(s, "id", core.Tracker.GetTag, toTagJSON)},
		{"GET", "/tag/project/{project_id}", p(R, project), s.listTags(core.KindProject, "project_id")},
		{"GET", "/tag/experiment/{experiment_id}", p(R, experiment), s.listTags(core.KindExperiment, "experiment_id")},
		{"GET", "/tag/iteration/{iteration_id}", p(R, iteration), s.listTags(core.KindIteration, "iteration_id")},
		{"POST", "/tag/project/{project_id}", p(C, project), s.attachTag(core.KindProject, "project_id")},
		{"POST", "/tag/experiment/{experiment_id}", p(C, experiment), s.attachTag(core.KindExperiment, "experiment_id")},
		{"POST", "/tag/iteration/{iteration_id}", p(C, iteration), s.attachTag(core.KindIteration, "iteration_id")},
		{"DELETE", "/tag/project/{project_id}/{value}", p(U, project), s.detachTag(core.KindProject, "project_id")},                // new
		{"DELETE", "/tag/experiment/{experiment_id}/{value}", p(U, experiment), s.detachTag(core.KindExperiment, "experiment_id")}, // new
		{"DELETE", "/tag/iteration/{iteration_id}/{value}", p(U, iteration), s.detachTag(core.KindIteration, "iteration_id")},      // new
		{"DELETE", "/tag/{id}", access{kind: adminOnly}, deleteOne(s, core.Tracker.DeleteTag)},

		{"GET", "/model/{id}", p(R, modelID), getOne(s, "id", core.Tracker.GetModel, toModelJSON)},
		{"GET", "/model/project/{project_id}", p(R, project), s.listModels},
		{"POST", "/model/project/{project_id}", p(C, project), s.createModel},
		{"PATCH", "/model/{id}", p(U, modelID), s.updateModel},
		{"DELETE", "/model/{id}", p(D, modelID), deleteOne(s, core.Tracker.DeleteModel)},

		{"GET", "/modelversion/{id}", p(R, version), getOne(s, "id", core.Tracker.GetModelVersion, toVersionJSON)},
		{"GET", "/modelversion/model/{model_id}", p(R, model), s.listVersions},
		{"POST", "/modelversion/model/{model_id}", p(C, model), s.createVersion},
		{"PATCH", "/modelversion/{id}", p(U, version), s.updateVersion},
		{"DELETE", "/modelversion/{id}", p(D, version), deleteOne(s, core.Tracker.DeleteModelVersion)},
	}
}

// The resolvers find the projects a request touches, for permission checks.
// A missing entity is NOT_FOUND before the handler runs (upstream, 4.4).

func (s *Server) projectPath(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) { return []string{pathVar(r, name)}, nil }
}

func (s *Server) projectOfExperiment(r *http.Request, id string) (string, error) {
	e, err := s.t.GetExperiment(r.Context(), id)
	if err != nil {
		return "", err
	}
	return e.ProjectID, nil
}

func (s *Server) projectOfIteration(r *http.Request, id string) (string, error) {
	it, err := s.t.GetIteration(r.Context(), id)
	if err != nil {
		return "", err
	}
	return s.projectOfExperiment(r, it.ExperimentID)
}

func one(p string, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return []string{p}, nil
}

func (s *Server) viaExperiment(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) { return one(s.projectOfExperiment(r, pathVar(r, name))) }
}

func (s *Server) viaIteration(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) { return one(s.projectOfIteration(r, pathVar(r, name))) }
}

func (s *Server) viaParameter(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) {
		p, err := s.t.GetParameter(r.Context(), pathVar(r, name))
		if err != nil {
			return nil, err
		}
		return one(s.projectOfIteration(r, p.IterationID))
	}
}

func (s *Server) viaMetric(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) {
		m, err := s.t.GetMetric(r.Context(), pathVar(r, name))
		if err != nil {
			return nil, err
		}
		return one(s.projectOfIteration(r, m.IterationID))
	}
}

func (s *Server) viaResource(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) {
		res, err := s.t.GetResource(r.Context(), pathVar(r, name))
		if err != nil {
			return nil, err
		}
		return one(s.projectOfExperiment(r, res.ExperimentID))
	}
}

func (s *Server) viaModel(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) {
		m, err := s.t.GetModel(r.Context(), pathVar(r, name))
		if err != nil {
			return nil, err
		}
		return []string{m.ProjectID}, nil
	}
}

func (s *Server) viaVersion(name string) func(*http.Request) ([]string, error) {
	return func(r *http.Request) ([]string, error) {
		v, err := s.t.GetModelVersion(r.Context(), pathVar(r, name))
		if err != nil {
			return nil, err
		}
		m, err := s.t.GetModel(r.Context(), v.ModelID)
		if err != nil {
			return nil, err
		}
		return []string{m.ProjectID}, nil
	}
}

// viaSearch covers every experiment a search names.
func (s *Server) viaSearch(r *http.Request) ([]string, error) {
	var projects []string
	for _, e := range r.URL.Query()["experiment_id"] {
		p, err := s.projectOfExperiment(r, e)
		if err != nil {
			return nil, err
		}
		projects = append(projects, p)
	}
	return projects, nil
}

// viaIterationsQuery covers every iteration named by ?iteration_id=.
func (s *Server) viaIterationsQuery(r *http.Request) ([]string, error) {
	var projects []string
	for _, id := range r.URL.Query()["iteration_id"] {
		p, err := s.projectOfIteration(r, id)
		if err != nil {
			return nil, err
		}
		projects = append(projects, p)
	}
	return projects, nil
}

// viaSummaryQuery covers ?experiment_id= and every ?iteration_id=.
func (s *Server) viaSummaryQuery(r *http.Request) ([]string, error) {
	projects, err := s.viaIterationsQuery(r)
	if err != nil {
		return nil, err
	}
	if e := r.URL.Query().Get("experiment_id"); e != "" {
		p, err := s.projectOfExperiment(r, e)
		if err != nil {
			return nil, err
		}
		projects = append(projects, p)
	}
	return projects, nil
}
