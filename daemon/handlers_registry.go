package daemon

import (
	"net/http"
	"strconv"

	"github.com/deardiary/deardiary-go/core"
)

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) error {
	var in tagValueJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Value == nil {
		return core.Invalid("value is required")
	}
	id, err := s.t.CreateTag(r.Context(), *in.Value)
	if err != nil {
		return err
	}
	return created(w, "tag_id", id)
}

func (s *Server) listTags(kind core.Kind, idVar string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		tags, err := s.t.ListTags(r.Context(), kind, pathVar(r, idVar))
		if err != nil {
			return err
		}
		return ok(w, mapSlice(tags, toTagJSON))
	}
}

func (s *Server) attachTag(kind core.Kind, idVar string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in tagValueJSON
		if err := s.decode(w, r, &in); err != nil {
			return err
		}
		if in.Value == nil {
			return core.Invalid("value is required")
		}
		id, err := s.t.AttachTag(r.Context(), kind, pathVar(r, idVar), *in.Value)
		if err != nil {
			return err
		}
		return created(w, "association_id", id)
	}
}

func (s *Server) detachTag(kind core.Kind, idVar string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.t.DetachTag(r.Context(), kind, pathVar(r, idVar), pathVar(r, "value")); err != nil {
			return err
		}
		return deleted(w)
	}
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	items, total, err := s.t.ListModels(r.Context(), core.ModelFilter{ProjectID: pathVar(r, "project_id"), Name: r.URL.Query().Get("name"), Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toModelJSON)
}

func (s *Server) createModel(w http.ResponseWriter, r *http.Request) error {
	var in modelInJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return core.Invalid("name is required")
	}
	id, err := s.t.CreateModel(r.Context(), core.ModelCreate{ProjectID: pathVar(r, "project_id"), Name: *in.Name, Description: deref(in.Description)})
	if err != nil {
		return err
	}
	return created(w, "model_id", id)
}

func (s *Server) updateModel(w http.ResponseWriter, r *http.Request) error {
	var in modelInJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if err := s.t.UpdateModel(r.Context(), pathVar(r, "id"), core.ModelUpdate{Name: in.Name, Description: in.Description}); err != nil {
		return err
	}
	return updated(w)
}

// listVersions takes ?stage= (new) as a name or number.
func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) error {
	p, _ := pageOf(r)
	var stage core.Stage
	if v := r.URL.Query().Get("stage"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			stage = core.Stage(n)
		} else if stage, err = core.ParseStage(v); err != nil {
			return err
		}
	}
	items, total, err := s.t.ListModelVersions(r.Context(), core.ModelVersionFilter{ModelID: pathVar(r, "model_id"), Stage: stage, Page: p})
	if err != nil {
		return err
	}
	return writePage(w, r, items, total, toVersionJSON)
}

func (s *Server) createVersion(w http.ResponseWriter, r *http.Request) error {
	var in versionCreateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.IterationID == nil {
		return core.Invalid("iteration_id is required")
	}
	id, err := s.t.CreateModelVersion(r.Context(), core.ModelVersionCreate{ModelID: pathVar(r, "model_id"), IterationID: string(*in.IterationID),
		ResourceID: deref((*string)(in.ResourceID)), Description: deref(in.Description)})
	if err != nil {
		return err
	}
	return created(w, "modelversion_id", id)
}

func (s *Server) updateVersion(w http.ResponseWriter, r *http.Request) error {
	var in versionUpdateJSON
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if err := s.t.UpdateModelVersion(r.Context(), pathVar(r, "id"), core.ModelVersionUpdate{Stage: in.Stage, Description: in.Description,
		ResourceID: (*string)(in.ResourceID)}); err != nil {
		return err
	}
	return updated(w)
}
