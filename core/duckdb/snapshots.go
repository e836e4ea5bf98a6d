package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/deardiary/deardiary-go/core"
)

// checkSnapshot refuses file lists a restore could not write back safely.
func checkSnapshot(snap *core.Snapshot) error {
	if snap == nil {
		return core.Invalid("no snapshot given")
	}
	if err := checkText("runtime", snap.Runtime, "runtime version", snap.RuntimeVersion, "root", snap.Root,
		"entrypoint", snap.Entrypoint, "git commit", snap.Git.Commit, "git branch", snap.Git.Branch, "git remote", snap.Git.Remote); err != nil {
		return err
	}
	for _, list := range [][]string{snap.Git.Untracked, snap.Notes} {
		for _, text := range list {
			if err := checkText("snapshot text", text); err != nil {
				return err
			}
		}
	}
	for _, r := range snap.Runtimes {
		if err := checkText("runtime", r.Name, "runtime version", r.Version); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, f := range snap.Files {
		if err := checkText("ecosystem", f.Ecosystem, "sha256", f.SHA256, "skipped", f.Skipped); err != nil {
			return err
		}
		if err := core.CheckSnapshotPath(f.Path); err != nil {
			return err
		}
		if seen[f.Path] {
			return core.Invalid("snapshot lists %q twice", f.Path)
		}
		seen[f.Path] = true
		if f.Skipped == "" && int64(len(f.Content)) != f.Size {
			return core.Invalid("snapshot file %q: size %d does not match its %d bytes", f.Path, f.Size, len(f.Content))
		}
	}
	return nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // slices of strings and structs of strings cannot fail
	return string(b)
}

// SaveSnapshot implements core.SnapshotService.
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
	return s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "iteration", "iteration", iterationID); err != nil {
			return err
		}
		if err := execAll(t, []any{iterationID},
			`DELETE FROM iteration_snapshot_file WHERE iteration_id = ?`,
			`DELETE FROM iteration_snapshot WHERE iteration_id = ?`,
		); err != nil {
			return err
		}
		if _, err := t.ExecContext(t.ctx, `INSERT INTO iteration_snapshot (iteration_id, captured_at, runtime, runtime_version,
			runtimes, root, entrypoint, git_commit, git_dirty, git_branch, git_remote, git_diff, git_untracked, notes)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			iterationID, core.FormatTime(captured), snap.Runtime, snap.RuntimeVersion, jsonText(runtimes), snap.Root,
			snap.Entrypoint, snap.Git.Commit, boolInt(snap.Git.Dirty), snap.Git.Branch, snap.Git.Remote, snap.Git.Diff,
			jsonText(nonNil(snap.Git.Untracked)), jsonText(nonNil(snap.Notes))); err != nil {
			return err
		}
		for _, f := range snap.Files {
			if _, err := t.ExecContext(t.ctx, `INSERT INTO iteration_snapshot_file
				(iteration_id, path, ecosystem, size_bytes, sha256, content, skipped) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				iterationID, f.Path, f.Ecosystem, f.Size, f.SHA256, nonNil(f.Content), f.Skipped); err != nil {
				return err
			}
		}
		_, err := t.ExecContext(t.ctx, `UPDATE iteration SET julia_version = ?, git_sha = ?, git_dirty = ?, entrypoint = ?,
			project_toml = ?, manifest_toml = ? WHERE id = ?`,
			env.JuliaVersion, env.GitSHA, boolInt(env.GitDirty), env.Entrypoint, env.ProjectTOML, env.ManifestTOML, iterationID)
		return err
	})
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// GetSnapshot implements core.SnapshotService.
func (s *Store) GetSnapshot(ctx context.Context, iterationID string) (*core.Snapshot, error) {
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
		captured, runtimes, untracked, notes string
		dirty                                int64
	)
	err := q.QueryRowContext(ctx, `SELECT captured_at, runtime, runtime_version, runtimes, root, entrypoint, git_commit,
		git_dirty, git_branch, git_remote, git_diff, git_untracked, notes FROM iteration_snapshot WHERE iteration_id = ?`, iterationID).
		Scan(&captured, &snap.Runtime, &snap.RuntimeVersion, &runtimes, &snap.Root, &snap.Entrypoint, &snap.Git.Commit,
			&dirty, &snap.Git.Branch, &snap.Git.Remote, &snap.Git.Diff, &untracked, &notes)
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := q.QueryContext(ctx, `SELECT path, ecosystem, size_bytes, sha256, content, skipped
		FROM iteration_snapshot_file WHERE iteration_id = ? ORDER BY path`, iterationID)
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
	it, err := getOne(ctx, q, scanIteration, "iteration", iterationID, `SELECT `+iterationColumns+` FROM iteration WHERE id = ?`, iterationID)
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
