package core

// Tracker is the whole service API of DearDiary: what training code, the
// daemon and the TUI use. It has two implementations that pass the same
// conformance suite (core/trackertest): the local store on a DuckDB file
// (core/duckdb) and the client of a running ddd (daemon).
//
// Every method is one transaction: it either fully happens or not at all.
// Expected failures are *Error values with the codes listed on each method;
// anything else is an internal error.
type Tracker interface {
	UserService
	PermissionService
	ProjectService
	ExperimentService
	IterationService
	ParameterService
	MetricService
	ResourceService
	TagService
	ModelService
	SnapshotService

	// Close releases the tracker. Writes acknowledged before Close are durable.
	Close() error
}
