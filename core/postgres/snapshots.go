package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/deardiary/deardiary-go/core"
)

// checkSnapshot refuses what a restore could not write back safely, and
// text PostgreSQL cannot store.
func checkSnapshot(snap *core.Snapshot) error {
	if snap == nil {
		return core.Invalid("no snapshot given")
	}
	if err := core.CheckText("runtime", snap.Runtime, "runtime version", snap.RuntimeVersion, "root", snap.Root,
		"entrypoint", snap.Entrypoint, "git commit", snap.Git.Commit, "git branch", snap.Git.Branch, "git remote", snap.Git.Remote); err != nil {
		return err
	}
	for _, list := range [][]string{snap.Git.Untracked, snap.Notes} {
		for _, text := range list {
			if err := core.CheckText("snapshot text", text); err != nil {
				return err
			}
		}
	}
	for _, r := range snap.Runtimes {
		if err := core.CheckText("runtime", r.Name, "runtime version", r.Version); err != nil {
			return err
		}
	}
	for _, f := range snap.Files {
		if err := core.CheckText("ecosystem", f.Ecosystem, "sha256", f.SHA256, "skipped", f.Skipped, "snapshot file path", f.Path); err != nil {
			return err
		}
	}
	return core.CheckSnapshot(snap)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // slices of strings and structs of strings cannot fail
	return string(b)
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// SaveSnapshot implements core.SnapshotService, in one transaction: the
// earlier snapshot and its files go (the files by ON DELETE CASCADE), the
// new one comes with its files under a fresh key, and the iteration's
// upstream columns follow.
func (s *Store) SaveSnapshot(ctx context.Context, iterationID string, snap *core.Snapshot) error {
	if err := checkSnapshot(snap); err != nil {
		return err
	}
	captured := snap.CapturedAt
	if captured.IsZero() {
		captured = s.now()
	}
	env := snap.Upstream()
	runtimes := snap.Runtimes
	if runtimes == nil {
		runtimes = []core.Runtime{}
	}
	key := newID()
	return s.write(ctx, func(t *tx) error {
		if !storable(iterationID) {
			return core.NotFound("iteration", iterationID)
		}
		// The environment goes first: it tells whether the iteration exists,
		// and locks it against a delete until the snapshot commits.
		tag, err := t.Exec(t.ctx, `UPDATE iteration SET julia_version = $1, git_sha = $2, git_dirty = $3, entrypoint = $4,
			project_toml = $5, manifest_toml = $6 WHERE id = $7`,
			env.JuliaVersion, env.GitSHA, boolInt(env.GitDirty), env.Entrypoint, env.ProjectTOML, env.ManifestTOML, iterationID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return core.NotFound("iteration", iterationID)
		}
		if _, err := t.Exec(t.ctx, `DELETE FROM iteration_snapshot WHERE iteration_id = $1`, iterationID); err != nil {
			return err
		}
		if _, err := t.Exec(t.ctx, `INSERT INTO iteration_snapshot (iteration_id, captured_at, runtime, runtime_version,
			runtimes, root, entrypoint, git_commit, git_dirty, git_branch, git_remote, git_diff, git_untracked, notes, files_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			iterationID, core.FormatTime(captured), snap.Runtime, snap.RuntimeVersion, jsonText(runtimes), snap.Root,
			snap.Entrypoint, snap.Git.Commit, boolInt(snap.Git.Dirty), snap.Git.Branch, snap.Git.Remote, snap.Git.Diff,
			jsonText(nonNil(snap.Git.Untracked)), jsonText(nonNil(snap.Notes)), key); err != nil {
			return err
		}
		if len(snap.Files) == 0 {
			return nil
		}
		_, err = t.CopyFrom(t.ctx, pgx.Identifier{"iteration_snapshot_file"},
			[]string{"iteration_id", "path", "ecosystem", "size_bytes", "sha256", "content", "skipped"},
			pgx.CopyFromSlice(len(snap.Files), func(i int) ([]any, error) {
				f := &snap.Files[i]
				return []any{key, f.Path, f.Ecosystem, f.Size, f.SHA256, nonNil(f.Content), f.Skipped}, nil
			}))
		return err
	})
}

// GetSnapshot implements core.SnapshotService, from one snapshot of the
// database.
func (s *Store) GetSnapshot(ctx context.Context, iterationID string) (*core.Snapshot, error) {
	if !storable(iterationID) {
		return nil, core.NotFound("iteration", iterationID)
	}
	var snap *core.Snapshot
	err := s.read(ctx, func(q querier) error {
		var err error
		snap, err = readSnapshot(ctx, q, iterationID)
		return err
	})
	return snap, err
}

func readSnapshot(ctx context.Context, q querier, iterationID string) (*core.Snapshot, error) {
	snap := &core.Snapshot{IterationID: iterationID}
	var (
		captured, runtimes, untracked, notes, key string
		dirty                                     int64
	)
	err := q.QueryRow(ctx, `SELECT captured_at, runtime, runtime_version, runtimes, root, entrypoint, git_commit,
		git_dirty, git_branch, git_remote, git_diff, git_untracked, notes, files_key FROM iteration_snapshot WHERE iteration_id = $1`, iterationID).
		Scan(&captured, &snap.Runtime, &snap.RuntimeVersion, &runtimes, &snap.Root, &snap.Entrypoint, &snap.Git.Commit,
			&dirty, &snap.Git.Branch, &snap.Git.Remote, &snap.Git.Diff, &untracked, &notes, &key)
	if noRow(err) {
		return upstreamSnapshot(ctx, q, iterationID)
	}
	if err != nil {
		return nil, err
	}
	snap.CapturedAt, snap.Git.Dirty = storedTime(captured), dirty != 0
	for _, field := range []struct {
		text string
		into any
	}{{runtimes, &snap.Runtimes}, {untracked, &snap.Git.Untracked}, {notes, &snap.Notes}} {
		if err := json.Unmarshal([]byte(field.text), field.into); err != nil {
			return nil, err
		}
	}
	rows, err := q.Query(ctx, `SELECT path, ecosystem, size_bytes, sha256, COALESCE(content, ''::BYTEA), skipped
		FROM iteration_snapshot_file WHERE iteration_id = $1 ORDER BY path`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f core.SnapshotFile
		if err := rows.Scan(&f.Path, &f.Ecosystem, &f.Size, &f.SHA256, &f.Content, &f.Skipped); err != nil {
			return nil, err
		}
		snap.Files = append(snap.Files, f)
	}
	return snap, rows.Err()
}

// upstreamSnapshot reads what DearDiary.jl captured into the iteration row.
func upstreamSnapshot(ctx context.Context, q querier, iterationID string) (*core.Snapshot, error) {
	it, err := getIteration(ctx, q, iterationID)
	if err != nil {
		return nil, err
	}
	snap := core.SnapshotFromUpstream(iterationID, it.Environment)
	if snap == nil {
		return nil, core.Errorf(core.ENotFound, "iteration %q has no captured environment", iterationID)
	}
	snap.CapturedAt = it.CreatedDate
	return snap, nil
}
