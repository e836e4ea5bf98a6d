// Package tuitest is an in-memory store for testing the TUI without a
// database: tests fill it directly, and can hold any of its calls until they
// release them, to play out a slow server deterministically.
//
// It satisfies tui.Store (checked in tui's tests; this package does not
// import tui, so that tui's own tests can import it).
package tuitest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// Store holds projects, experiments, iterations and what was logged for
// them. Its methods are safe for concurrent use, as the TUI's loads run
// concurrently.
type Store struct {
	mu          sync.Mutex
	now         time.Time
	lastID      int
	projects    []*core.Project
	experiments []*core.Experiment
	iterations  []*core.Iteration
	params      []*core.Parameter
	points      map[string]map[string][]core.Point // iteration, key
	tags        map[string][]*core.Tag             // entity id
	resources   []*core.Resource
	snapshots   map[string]*core.Snapshot
	gates       map[string]*Gate
	calls       map[string]int

	// Search answers SearchIterations, which the fake cannot evaluate
	// itself; without it, the call fails as an invalid filter would.
	Search func(q core.IterationSearch) ([]*core.Iteration, error)
	// AnswerCancelled makes calls answer even when their caller has
	// cancelled, as a response already on its way would; otherwise they
	// fail with the context's error.
	AnswerCancelled bool
}

// New returns an empty store whose entities are created from now on, a
// minute apart.
func New(now time.Time) *Store {
	return &Store{now: now, points: map[string]map[string][]core.Point{}, tags: map[string][]*core.Tag{},
		snapshots: map[string]*core.Snapshot{}, gates: map[string]*Gate{}, calls: map[string]int{}}
}

// next returns a fresh id and creation time, in creation order. Call with
// s.mu held.
func (s *Store) next(kind string) (string, time.Time) {
	s.lastID++
	return fmt.Sprintf("%s-%04d", kind, s.lastID), s.now.Add(time.Duration(s.lastID) * time.Minute)
}

// AddProject creates a project with its tags.
func (s *Store) AddProject(name, description string, tags ...string) *core.Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &core.Project{Name: name, Description: description}
	p.ID, p.CreatedDate = s.next("project")
	s.projects = append(s.projects, p)
	s.tag(p.ID, tags)
	return p
}

// AddExperiment creates an experiment of p, in progress.
func (s *Store) AddExperiment(p *core.Project, name, description string) *core.Experiment {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &core.Experiment{ProjectID: p.ID, Name: name, Description: description, Status: core.ExperimentInProgress}
	e.ID, e.CreatedDate = s.next("experiment")
	s.experiments = append(s.experiments, e)
	return e
}

// Run describes an iteration for AddIteration.
type Run struct {
	Parent *core.Iteration
	Status core.IterationStatus // RUNNING when zero
	// Took is how long the run took, from its creation; zero leaves it
	// running unless Status says otherwise.
	Took         time.Duration
	Notes, Error string
	Params       map[string]string
	Tags         []string
}

// AddIteration creates an iteration of e.
func (s *Store) AddIteration(e *core.Experiment, r Run) *core.Iteration {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := &core.Iteration{ExperimentID: e.ID, Status: r.Status, Notes: r.Notes, ErrorMessage: r.Error}
	if it.Status == 0 {
		it.Status = core.IterationRunning
	}
	if r.Parent != nil {
		it.ParentID = r.Parent.ID
	}
	it.ID, it.CreatedDate = s.next("iteration")
	if it.Status != core.IterationRunning {
		it.EndDate = it.CreatedDate.Add(max(r.Took, time.Second))
	}
	s.iterations = append(s.iterations, it)
	for _, k := range slices.Sorted(mapKeys(r.Params)) {
		id, _ := s.next("parameter")
		s.params = append(s.params, &core.Parameter{ID: id, IterationID: it.ID, Key: k, Value: r.Params[k]})
	}
	s.tag(it.ID, r.Tags)
	return it
}

func (s *Store) tag(id string, values []string) {
	for _, v := range values {
		tid, _ := s.next("tag")
		s.tags[id] = append(s.tags[id], &core.Tag{ID: tid, Value: v})
	}
}

// Log appends points of key to an iteration's history, at the steps after
// its last.
func (s *Store) Log(it *core.Iteration, key string, values ...float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.points[it.ID] == nil {
		s.points[it.ID] = map[string][]core.Point{}
	}
	series := s.points[it.ID][key]
	for _, v := range values {
		step := int64(len(series))
		series = append(series, core.Point{Step: step, Value: v, RecordedAt: it.CreatedDate.Add(time.Duration(step) * time.Second)})
	}
	s.points[it.ID][key] = series
}

// SetSnapshot records the environment captured for an iteration. Its
// files come back ordered by path, as the stores return them.
func (s *Store) SetSnapshot(it *core.Iteration, snap *core.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap = copyOf(snap)
	snap.IterationID = it.ID
	snap.Files = slices.Clone(snap.Files)
	slices.SortFunc(snap.Files, func(a, b core.SnapshotFile) int { return strings.Compare(a.Path, b.Path) })
	s.snapshots[it.ID] = snap
}

// AddResource records an artifact's metadata for e.
func (s *Store) AddResource(e *core.Experiment, r core.Resource) *core.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ExperimentID = e.ID
	r.ID, r.CreatedDate = s.next("resource")
	s.resources = append(s.resources, &r)
	return &r
}

// Update changes an iteration in place, as a running one changes while the
// TUI looks at it.
func (s *Store) Update(it *core.Iteration, change func(*core.Iteration)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(it)
}

// Calls reports how many times method has been called.
func (s *Store) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Gate holds the calls of one method until released.
type Gate struct {
	mu       sync.Mutex
	cond     *sync.Cond
	released bool
	held     []Call
}

// Call is one call waiting at a gate: the method, its main argument (an id)
// and the context the caller gave.
type Call struct {
	Method string
	Arg    string
	Ctx    context.Context
}

// Hold makes every call of method from now on wait until the gate is
// released. A held call does not return early when its context is cancelled:
// it plays a server that answers late whatever the client does, and the
// test can read whether the caller cancelled.
func (s *Store) Hold(method string) *Gate {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &Gate{}
	g.cond = sync.NewCond(&g.mu)
	s.gates[method] = g
	return g
}

// Held returns the calls waiting at the gate, in arrival order.
func (g *Gate) Held() []Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.held)
}

// Release lets the held calls and every later one through.
func (g *Gate) Release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = true
	g.held = nil
	g.cond.Broadcast()
}

// Waiting reports how many calls are held at a gate now, over all gates.
func (s *Store) Waiting() int {
	s.mu.Lock()
	gates := make([]*Gate, 0, len(s.gates))
	for _, g := range s.gates {
		gates = append(gates, g)
	}
	s.mu.Unlock()
	n := 0
	for _, g := range gates {
		n += len(g.Held())
	}
	return n
}

// enter counts a call and waits at its method's gate, if any. It then
// fails with the context's error, as a real store would for a caller that
// gave up, unless AnswerCancelled.
func (s *Store) enter(ctx context.Context, method, arg string) error {
	s.mu.Lock()
	s.calls[method]++
	g, answer := s.gates[method], s.AnswerCancelled
	s.mu.Unlock()
	if g != nil {
		g.mu.Lock()
		if !g.released {
			g.held = append(g.held, Call{method, arg, ctx})
			for !g.released {
				g.cond.Wait()
			}
		}
		g.mu.Unlock()
	}
	if answer {
		return nil
	}
	return ctx.Err()
}

// page cuts a list to a core.Page.
func page[T any](all []T, p core.Page) []T {
	all = all[min(p.Offset, len(all)):]
	if p.Limit > 0 {
		all = all[:min(p.Limit, len(all))]
	}
	return all
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func copyOf[T any](v *T) *T {
	c := *v
	return &c
}

// ListProjects returns every project, oldest first.
func (s *Store) ListProjects(ctx context.Context, f core.ProjectFilter) ([]*core.Project, error) {
	if err := s.enter(ctx, "ListProjects", ""); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*core.Project
	for _, p := range s.projects {
		if f.Name == "" || p.Name == f.Name {
			out = append(out, copyOf(p))
		}
	}
	return out, nil
}

// ListTags returns the tags of an entity.
func (s *Store) ListTags(ctx context.Context, kind core.Kind, id string) ([]*core.Tag, error) {
	if err := s.enter(ctx, "ListTags", id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tags[id]), nil
}

// ListExperiments returns a project's experiments.
func (s *Store) ListExperiments(ctx context.Context, f core.ExperimentFilter) ([]*core.Experiment, int, error) {
	if err := s.enter(ctx, "ListExperiments", f.ProjectID); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*core.Experiment
	for _, e := range s.experiments {
		if e.ProjectID == f.ProjectID && (f.Name == "" || e.Name == f.Name) {
			out = append(out, copyOf(e))
		}
	}
	return page(out, f.Page), len(out), nil
}

// GetIteration returns an iteration or ENotFound.
func (s *Store) GetIteration(ctx context.Context, id string) (*core.Iteration, error) {
	if err := s.enter(ctx, "GetIteration", id); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.iterations {
		if it.ID == id {
			return copyOf(it), nil
		}
	}
	return nil, core.NotFound("iteration", id)
}

// ListIterations returns an experiment's iterations, by status if asked.
func (s *Store) ListIterations(ctx context.Context, f core.IterationFilter) ([]*core.Iteration, int, error) {
	if err := s.enter(ctx, "ListIterations", f.ExperimentID); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*core.Iteration
	for _, it := range s.iterations {
		if it.ExperimentID == f.ExperimentID && (f.Status == 0 || it.Status == f.Status) {
			out = append(out, copyOf(it))
		}
	}
	return page(out, f.Page), len(out), nil
}

// SearchIterations answers with the Search hook.
func (s *Store) SearchIterations(ctx context.Context, q core.IterationSearch) ([]*core.Iteration, int, error) {
	if err := s.enter(ctx, "SearchIterations", q.Filter); err != nil {
		return nil, 0, err
	}
	if s.Search == nil {
		return nil, 0, core.Invalid("the fake store does not evaluate filters")
	}
	out, err := s.Search(q)
	return page(out, q.Page), len(out), err
}

// ListParameters returns the parameters of an iteration or of every
// iteration of an experiment.
func (s *Store) ListParameters(ctx context.Context, f core.ParameterFilter) ([]*core.Parameter, int, error) {
	if err := s.enter(ctx, "ListParameters", f.IterationID+f.ExperimentID); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.selected(f.ExperimentID, []string{f.IterationID})
	var out []*core.Parameter
	for _, p := range s.params {
		if in[p.IterationID] {
			out = append(out, copyOf(p))
		}
	}
	return page(out, f.Page), len(out), nil
}

// selected is the set of iterations of an experiment plus the listed ones.
func (s *Store) selected(experiment string, ids []string) map[string]bool {
	in := map[string]bool{}
	for _, it := range s.iterations {
		if experiment != "" && it.ExperimentID == experiment {
			in[it.ID] = true
		}
	}
	for _, id := range ids {
		if id != "" {
			in[id] = true
		}
	}
	return in
}

// MetricSummaries summarises the selected iterations' series, by iteration
// (in creation order) then key.
func (s *Store) MetricSummaries(ctx context.Context, f core.SummaryFilter) ([]core.MetricSummary, error) {
	if err := s.enter(ctx, "MetricSummaries", f.ExperimentID+strings.Join(f.IterationIDs, ",")); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.selected(f.ExperimentID, f.IterationIDs)
	var out []core.MetricSummary
	for _, it := range s.iterations {
		if !in[it.ID] {
			continue
		}
		for _, k := range slices.Sorted(mapKeys(s.points[it.ID])) {
			pts := s.points[it.ID][k]
			if len(pts) == 0 {
				continue
			}
			m := core.MetricSummary{IterationID: it.ID, Key: k, Last: pts[len(pts)-1].Value, FirstStep: pts[0].Step,
				LastStep: pts[len(pts)-1].Step, Min: pts[0].Value, Max: pts[0].Value, Count: int64(len(pts))}
			for _, p := range pts {
				m.Min, m.Max = min(m.Min, p.Value), max(m.Max, p.Value)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// MetricHistory returns each listed iteration's series of the key,
// downsampled as a store would.
func (s *Store) MetricHistory(ctx context.Context, q core.HistoryQuery) ([]core.Series, error) {
	if err := s.enter(ctx, "MetricHistory", q.Key+" "+strings.Join(q.IterationIDs, ",")); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []core.Series
	for _, id := range q.IterationIDs {
		if pts, ok := s.points[id][q.Key]; ok {
			out = append(out, core.Series{IterationID: id, Key: q.Key, Points: core.Downsample(slices.Clone(pts), q.MaxPoints)})
		}
	}
	return out, nil
}

// ListMetrics returns a page of an iteration's points, by step, of one key
// or all.
func (s *Store) ListMetrics(ctx context.Context, f core.MetricFilter) ([]*core.Metric, int, error) {
	if err := s.enter(ctx, "ListMetrics", f.IterationID+" "+f.Key); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*core.Metric
	for _, k := range slices.Sorted(mapKeys(s.points[f.IterationID])) {
		if f.Key != "" && k != f.Key {
			continue
		}
		for _, p := range s.points[f.IterationID][k] {
			out = append(out, &core.Metric{IterationID: f.IterationID, Key: k, Value: p.Value, Step: p.Step, RecordedAt: p.RecordedAt})
		}
	}
	slices.SortStableFunc(out, func(a, b *core.Metric) int { return int(a.Step - b.Step) })
	return page(out, f.Page), len(out), nil
}

// ListResources returns an experiment's resources.
func (s *Store) ListResources(ctx context.Context, f core.ResourceFilter) ([]*core.Resource, int, error) {
	if err := s.enter(ctx, "ListResources", f.ExperimentID); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*core.Resource
	for _, r := range s.resources {
		if r.ExperimentID == f.ExperimentID {
			out = append(out, copyOf(r))
		}
	}
	return page(out, f.Page), len(out), nil
}

// GetSnapshot returns an iteration's own snapshot or ENotFound.
func (s *Store) GetSnapshot(ctx context.Context, iterationID string) (*core.Snapshot, error) {
	if err := s.enter(ctx, "GetSnapshot", iterationID); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap, ok := s.snapshots[iterationID]; ok {
		return copyOf(snap), nil
	}
	return nil, core.NotFound("snapshot", iterationID)
}
