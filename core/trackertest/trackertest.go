// Package trackertest is the conformance suite every core.Tracker must pass:
// the local DuckDB store, and the daemon's client against a real ddd. It holds
// the service-level acceptance cases of DearDiary.jl's test suite and our
// deliberate differences from it (docs/core.md), written against the
// interface only, so passing it in both modes is how "both modes produce
// identical data" is shown.
package trackertest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/deardiary/deardiary-go/core"
	"github.com/google/uuid"
)

// NewTracker returns a fresh tracker holding only the seeded default user.
// The suite closes it when the test ends.
type NewTracker func(t *testing.T) core.Tracker

type testCase struct {
	name string
	fn   func(h *H)
}

// groups are the suite's cases, a group a file, in the order they run.
// Listing them here rather than having each file register itself means a
// group cannot drop out unseen: Run fails on a group with no cases.
var groups = []struct {
	name  string
	cases func() []testCase
}{
	{"Users", usersCases}, {"Permissions", permissionsCases}, {"Projects", projectsCases},
	{"Experiments", experimentsCases}, {"Iterations", iterationsCases}, {"WithIteration", withIterationCases},
	{"Parameters", parametersCases}, {"Metrics", metricsCases}, {"Resources", resourcesCases}, {"Tags", tagsCases},
	{"Models", modelsCases}, {"Snapshots", snapshotsCases}, {"Search", searchCases}, {"Concurrency", concurrencyCases},
}

// Run runs every case of the suite, each against a tracker of its own and
// in parallel with the others: a Tracker must not share state between
// instances.
func Run(t *testing.T, newTracker NewTracker) {
	for _, group := range groups {
		t.Run(group.name, func(t *testing.T) {
			cases := group.cases()
			if len(cases) == 0 {
				t.Fatalf("group %s has no cases", group.name)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tr := newTracker(t)
					t.Cleanup(func() {
						if err := tr.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tc.fn(&H{T: t, Tracker: tr, Ctx: context.Background()})
				})
			}
		})
	}
}

// H carries the tracker under test and small helpers that fail the test on
// unexpected errors.
type H struct {
	*testing.T
	Tracker core.Tracker
	Ctx     context.Context
}

// Must fails the test now if err is not nil.
func (h *H) Must(err error) {
	h.Helper()
	if err != nil {
		h.Fatalf("unexpected error: %v", err)
	}
}

// MustID returns id, failing the test if err is not nil or id is empty.
func (h *H) MustID(id string, err error) string {
	h.Helper()
	h.Must(err)
	if id == "" {
		h.Fatal("empty id")
	}
	return id
}

// Code fails the test unless err is a core error with the given code.
func (h *H) Code(err error, code string) {
	h.Helper()
	if got := core.ErrorCode(err); got != code {
		h.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
	var e *core.Error
	if errors.As(err, &e) && e.Message == "" {
		h.Fatalf("error with code %s has no message", code)
	}
}

// Locked fails the test unless err reports a locked iteration.
func (h *H) Locked(err error) {
	h.Helper()
	h.Code(err, core.EInvalid)
	if !errors.Is(err, core.ErrIterationLocked) {
		h.Fatalf("error %v does not wrap core.ErrIterationLocked", err)
	}
}

// Project creates a project named name as the default user.
func (h *H) Project(name string) string {
	h.Helper()
	return h.MustID(h.Tracker.CreateProject(h.Ctx, core.ProjectCreate{Name: name}))
}

// Experiment creates an open experiment in a project.
func (h *H) Experiment(projectID, name string) string {
	h.Helper()
	return h.MustID(h.Tracker.CreateExperiment(h.Ctx, core.ExperimentCreate{ProjectID: projectID, Name: name}))
}

// Iteration creates a running iteration, a child when parentID is set.
func (h *H) Iteration(experimentID, parentID string) string {
	h.Helper()
	return h.MustID(h.Tracker.CreateIteration(h.Ctx, core.IterationCreate{ExperimentID: experimentID, ParentID: parentID}))
}

// Run is a project, an experiment and an iteration made in one call.
func (h *H) Run() (projectID, experimentID, iterationID string) {
	h.Helper()
	projectID = h.Project("Test Project")
	experimentID = h.Experiment(projectID, "Test Experiment")
	return projectID, experimentID, h.Iteration(experimentID, "")
}

// End ends an iteration as SUCCEEDED now, which locks it.
func (h *H) End(iterationID string) {
	h.Helper()
	status, end := core.IterationSucceeded, time.Now()
	h.Must(h.Tracker.UpdateIteration(h.Ctx, iterationID, core.IterationUpdate{Status: &status, EndDate: &end}))
}

// User creates a non-admin user.
func (h *H) User(username string) string {
	h.Helper()
	return h.MustID(h.Tracker.CreateUser(h.Ctx, core.UserCreate{FirstName: "First", LastName: "Last", Username: username, Password: "pw-" + username}))
}

// DefaultUser returns the seeded admin.
func (h *H) DefaultUser() *core.User {
	h.Helper()
	u, err := h.Tracker.GetUserByUsername(h.Ctx, core.DefaultUsername)
	h.Must(err)
	return u
}

// Equal fails the test unless got equals want.
func Equal[T comparable](h *H, what string, got, want T) {
	h.Helper()
	if got != want {
		h.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// Gone fails the test unless get reports NOT_FOUND.
func Gone[T any](h *H, what string, get func() (T, error)) {
	h.Helper()
	if _, err := get(); !core.IsNotFound(err) {
		h.Fatalf("%s: want NOT_FOUND, got %v", what, err)
	}
}

// Near fails the test unless t is within a second of want: timestamps made by
// the tracker's clock.
func Near(h *H, what string, got, want time.Time) {
	h.Helper()
	if d := got.Sub(want); d < -time.Second || d > time.Second {
		h.Fatalf("%s = %v, want about %v", what, got, want)
	}
}

func ptr[T any](v T) *T { return &v }

// ValidID reports whether id is one of the two kinds a Tracker hands out: a
// UUID (files this project creates) or a positive decimal integer (files of
// DearDiary.jl 0.9.1), in the canonical form rows hold.
func ValidID(id string) bool {
	if _, err := uuid.Parse(id); err == nil {
		return true
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == id
}

func ids[T any](xs []*T, id func(*T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func fmtSlice[T any](xs []T) string { return fmt.Sprint(xs) }
