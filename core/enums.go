package core

import (
	"fmt"
	"strings"
)

// ExperimentStatus is the lifecycle state of an experiment. Only IN_PROGRESS
// experiments accept new iterations and resources.
type ExperimentStatus int

// Experiment statuses, with upstream's integer values.
const (
	ExperimentInProgress ExperimentStatus = 1
	ExperimentStopped    ExperimentStatus = 2
	ExperimentFinished   ExperimentStatus = 3
)

// IterationStatus is the lifecycle state of an iteration (a run).
type IterationStatus int

// Iteration statuses, with upstream's integer values.
const (
	IterationRunning   IterationStatus = 1
	IterationSucceeded IterationStatus = 2
	IterationFailed    IterationStatus = 3
	IterationKilled    IterationStatus = 4
)

// Stage is the registry stage of a model version. At most one version of a
// model is in StageProduction.
type Stage int

// Model version stages, with upstream's integer values.
const (
	StageNone       Stage = 1
	StageStaging    Stage = 2
	StageProduction Stage = 3
	StageArchived   Stage = 4
)

// Action is what a user wants to do in a project; HasPermission checks it.
type Action int

// Project actions, one per permission flag.
const (
	ActionCreate Action = iota + 1
	ActionRead
	ActionUpdate
	ActionDelete
)

var (
	experimentStatusNames = []string{"", "IN_PROGRESS", "STOPPED", "FINISHED"}
	iterationStatusNames  = []string{"", "RUNNING", "SUCCEEDED", "FAILED", "KILLED"}
	stageNames            = []string{"", "NO_STAGE", "STAGING", "PRODUCTION", "ARCHIVED"}
	actionNames           = []string{"", "create", "read", "update", "delete"}
)

func enumName(names []string, v int) string {
	if v > 0 && v < len(names) {
		return names[v]
	}
	return fmt.Sprintf("UNKNOWN(%d)", v)
}

func parseEnum(kind string, names []string, s string) (int, error) {
	for i, name := range names {
		if i > 0 && strings.EqualFold(name, s) {
			return i, nil
		}
	}
	return 0, Invalid("unknown %s %q (want one of %s)", kind, s, strings.Join(names[1:], ", "))
}

func (s ExperimentStatus) String() string { return enumName(experimentStatusNames, int(s)) }
func (s IterationStatus) String() string  { return enumName(iterationStatusNames, int(s)) }
func (s Stage) String() string            { return enumName(stageNames, int(s)) }
func (a Action) String() string           { return enumName(actionNames, int(a)) }

// Valid reports whether s is one of the defined statuses.
func (s ExperimentStatus) Valid() bool { return s >= ExperimentInProgress && s <= ExperimentFinished }

// Valid reports whether s is one of the defined statuses.
func (s IterationStatus) Valid() bool { return s >= IterationRunning && s <= IterationKilled }

// Valid reports whether s is one of the defined stages.
func (s Stage) Valid() bool { return s >= StageNone && s <= StageArchived }

// Valid reports whether a is one of the defined actions.
func (a Action) Valid() bool { return a >= ActionCreate && a <= ActionDelete }

// Ended reports whether s is a terminal status (SUCCEEDED, FAILED or KILLED).
func (s IterationStatus) Ended() bool { return s.Valid() && s != IterationRunning }

// ParseExperimentStatus parses a status name such as "IN_PROGRESS" (any case).
func ParseExperimentStatus(s string) (ExperimentStatus, error) {
	v, err := parseEnum("experiment status", experimentStatusNames, s)
	return ExperimentStatus(v), err
}

// ParseIterationStatus parses a status name such as "FAILED" (any case).
func ParseIterationStatus(s string) (IterationStatus, error) {
	v, err := parseEnum("iteration status", iterationStatusNames, s)
	return IterationStatus(v), err
}

// ParseStage parses a stage name such as "PRODUCTION" (any case).
func ParseStage(s string) (Stage, error) {
	v, err := parseEnum("stage", stageNames, s)
	return Stage(v), err
}
