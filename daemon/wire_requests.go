package daemon

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/deardiary/deardiary-go/core"
)

// The request bodies of the API, each defined once: the server decodes them
// and the client encodes them. A pointer field is one the server must tell
// missing from zero (a required field, or a PATCH's "leave alone"); with
// omitempty the client sends exactly the fields it sets, zero values
// included (is_admin: false, git_dirty: false).

// credentialsJSON is the body of POST /auth.
type credentialsJSON struct {
	Username *string `json:"username,omitempty"`
	Password *string `json:"password,omitempty"`
}

type userCreateJSON struct {
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Username  *string `json:"username,omitempty"`
	Password  *string `json:"password,omitempty"`
}

type userUpdateJSON struct {
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Password  *string `json:"password,omitempty"`
	IsAdmin   *bool   `json:"is_admin,omitempty"`
}

// projectCreateJSON's user_id (new) names the creator, who gets read
// permission; the caller by default.
type projectCreateJSON struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	UserID      *wireID `json:"user_id,omitempty"`
}

type projectUpdateJSON struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// permissionFlagsJSON is the body of POST /userpermission/... (all four
// required) and of PATCH /userpermission/{id} (any of them).
type permissionFlagsJSON struct {
	Create *bool `json:"create_permission,omitempty"`
	Read   *bool `json:"read_permission,omitempty"`
	Update *bool `json:"update_permission,omitempty"`
	Delete *bool `json:"delete_permission,omitempty"`
}

type experimentCreateJSON struct {
	Status      *core.ExperimentStatus `json:"status_id,omitempty"`
	Name        *string                `json:"name,omitempty"`
	Description *string                `json:"description,omitempty"`
}

type experimentUpdateJSON struct {
	Status      *core.ExperimentStatus `json:"status_id,omitempty"`
	Name        *string                `json:"name,omitempty"`
	Description *string                `json:"description,omitempty"`
	EndDate     *string                `json:"end_date,omitempty"`
}

// iterationCreateJSON is ddd's optional body of POST
// /iteration/experiment/{id}; upstream sends none.
type iterationCreateJSON struct {
	Notes *string `json:"notes,omitempty"`
}

type iterationUpdateJSON struct {
	Notes        *string               `json:"notes,omitempty"`
	EndDate      *string               `json:"end_date,omitempty"`
	Status       *core.IterationStatus `json:"status_id,omitempty"`
	ErrorMessage *string               `json:"error_message,omitempty"`
}

// environmentSetJSON is the body of POST /iteration/{id}/snapshot, every
// field required.
type environmentSetJSON struct {
	JuliaVersion *string `json:"julia_version,omitempty"`
	GitSHA       *string `json:"git_sha,omitempty"`
	GitDirty     *bool   `json:"git_dirty,omitempty"`
	Entrypoint   *string `json:"entrypoint,omitempty"`
	ProjectTOML  *string `json:"project_toml,omitempty"`
	ManifestTOML *string `json:"manifest_toml,omitempty"`
}

// parameterInJSON is the body of POST /parameter/iteration/{id} (both
// required) and of PATCH /parameter/{id}.
type parameterInJSON struct {
	Key   *string     `json:"key,omitempty"`
	Value *paramValue `json:"value,omitempty"`
}

// paramValue is a parameter value on the wire: a string, or a number or bool
// that becomes text as FormatParamValue renders it ("32", "0.01", "true").
// V is exported so that the client's UTF-8 check sees the text it sends.
type paramValue struct{ V any }

func (p paramValue) MarshalJSON() ([]byte, error) { return json.Marshal(p.V) }

func (p *paramValue) UnmarshalJSON(b []byte) error {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	switch x := raw.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			p.V = i
		} else if f, err := x.Float64(); err == nil {
			p.V = f
		} else {
			return core.Invalid("value %s is not a number ddd can store", x)
		}
	case string, bool, nil:
		p.V = x
	default:
		return core.Invalid("a parameter value must be a string, number or boolean")
	}
	return nil
}

// metricIn is a metric point on the wire, the body of POST
// /metric/iteration/{id} and an element of a batch. Key and value are plain
// fields (a batch holds a thousand of them, and pointers would cost an
// allocation each): an absent key reads as empty, which the store refuses,
// and an absent value as the empty json.Number. The server reads the common
// shapes with parseMetric and parseMetricBatch.
type metricIn struct {
	Key        string      `json:"key"`
	Value      json.Number `json:"value"`
	Step       *int64      `json:"step,omitempty"`
	RecordedAt *string     `json:"recorded_at,omitempty"`
}

func (m metricIn) core(i int) (core.MetricInput, error) {
	where := "metric"
	if i >= 0 {
		where = "metrics[" + strconv.Itoa(i) + "]"
	}
	if m.Value == "" {
		return core.MetricInput{}, core.Invalid("%s: key and value are required", where)
	}
	v, err := strconv.ParseFloat(string(m.Value), 64)
	if err != nil {
		return core.MetricInput{}, core.Invalid("%s: value %s is not a number", where, m.Value)
	}
	at, err := optionalTime(where+".recorded_at", m.RecordedAt)
	if err != nil {
		return core.MetricInput{}, err
	}
	return core.MetricInput{Key: m.Key, Value: v, Step: m.Step, RecordedAt: at}, nil
}

// metricBatchIn is the body of POST /metric/iteration/{id}/batch, and the
// metric part of POST /iteration/{id}/batch.
type metricBatchIn struct {
	Step       *int64     `json:"step,omitempty"`
	RecordedAt *string    `json:"recorded_at,omitempty"`
	Metrics    []metricIn `json:"metrics"`
}

func (b metricBatchIn) core() (core.MetricBatch, error) {
	at, err := optionalTime("recorded_at", b.RecordedAt)
	if err != nil {
		return core.MetricBatch{}, err
	}
	out := core.MetricBatch{Step: b.Step, RecordedAt: at, Metrics: make([]core.MetricInput, len(b.Metrics))}
	for i, m := range b.Metrics {
		if out.Metrics[i], err = m.core(i); err != nil {
			return core.MetricBatch{}, err
		}
	}
	return out, nil
}

// metricUpdateJSON is the body of PATCH /metric/{id}.
type metricUpdateJSON struct {
	Key        *string      `json:"key,omitempty"`
	Value      *json.Number `json:"value,omitempty"`
	Step       *int64       `json:"step,omitempty"`
	RecordedAt *string      `json:"recorded_at,omitempty"`
}

// batchJSON is the body of POST /iteration/{id}/batch (new).
type batchJSON struct {
	Params []paramIn `json:"params"`
	metricBatchIn
	Tags []string `json:"tags"`
}

type paramIn struct {
	Key   *string    `json:"key,omitempty"`
	Value paramValue `json:"value"`
}

// tagValueJSON is the body of POST /tag/ (new) and of attaching a tag.
type tagValueJSON struct {
	Value *string `json:"value,omitempty"`
}

// modelInJSON is the body of POST /model/project/{id} (name required) and
// of PATCH /model/{id}.
type modelInJSON struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

type versionCreateJSON struct {
	IterationID *wireID `json:"iteration_id,omitempty"`
	ResourceID  *wireID `json:"resource_id,omitempty"`
	Description *string `json:"description,omitempty"`
}

type versionUpdateJSON struct {
	Stage       *core.Stage `json:"stage_id,omitempty"`
	Description *string     `json:"description,omitempty"`
	ResourceID  *wireID     `json:"resource_id,omitempty"`
}
