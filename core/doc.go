// Package core is DearDiary's domain: the entities an experiment tracker
// records (users and their project permissions, projects, experiments,
// iterations in parent/child trees, parameters, metric series, tags,
// resources, models and their versions, environment snapshots), the
// Tracker interface that is the whole service API, the error vocabulary
// shared with DearDiary.jl's REST API, and helpers that work the same on
// every Tracker, such as WithIteration and the run filter language.
//
// core does no I/O. A Tracker comes from one of its implementations:
//
//   - core/duckdb: an embedded DuckDB file, for training code in the same
//     process ("offline mode") and as ddd's default store;
//   - core/postgres: a PostgreSQL database, which several ddd replicas
//     share;
//   - daemon: the client of a running ddd, for many processes or machines.
//
// All pass the same conformance suite (core/trackertest), so code written
// against Tracker behaves the same on either.
//
// A training run, with its environment recorded and its end written as
// SUCCEEDED, FAILED or KILLED:
//
//	err := core.WithIteration(ctx, tracker, experimentID, func(ctx context.Context, it *core.Iteration) error {
//		tracker.CreateParameter(ctx, it.ID, "learning_rate", 0.01)
//		_, err := tracker.LogMetric(ctx, it.ID, core.MetricInput{Key: "loss", Value: 0.25})
//		return err
//	}, snapshot.CaptureWorkingDir())
//
// Ids are strings: UUIDs, or decimal integers in DuckDB files of
// DearDiary.jl 0.9.1 (and ones made with duckdb.WithIntegerIDs). Timestamps
// are UTC. Expected failures are *Error values whose Code says what went wrong
// (ErrorCode reads it).
package core
