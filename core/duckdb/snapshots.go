package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/deardiary/deardiary-go/core"
)

// checkSnapshot refuses file lists a restore could not write back safely.
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
		if err := core.CheckText("ecosystem", f.Ecosystem, "sha256", f.SHA256, "skipped", f.Skipped); err != nil {
			return err
		}
	}
	// What a restore could not write back as captured is refused here,
	// not found out months later: paths, the commit, sizes and hashes.
	return core.CheckSnapshot(snap)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // slices of strings and structs of strings cannot fail
	return string(b)
}

// stagedBytes bounds the file content SaveSnapshot writes in one
// transaction: a capture's lock files take one, a large snapshot several.
const stagedBytes = 8 << 20

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
	// The files go in transactions of their own, each of at most
	// stagedBytes of content (or one larger file), under a fresh key; the
	// snapshot row, written last with the key, makes them its files in one
	// step. DuckDB holds a transaction's new rows in memory, and a whole
	// large snapshot in one transaction ran past ddd's memory limit. Until
	// that last step the files belong to nothing; if it never comes, they
	// are dropped here or, after a crash, when the store next opens.
	if _, err := s.GetIteration(ctx, iterationID); err != nil {
		return err // before staging megabytes for nothing
	}
	key := newKey()
	dropStaged := func() {
		_ = s.write(context.WithoutCancel(ctx), func(t *tx) error {
			_, err := t.ExecContext(t.ctx, `DELETE FROM iteration_snapshot_file WHERE iteration_id = ?`, key)
			return err
		})
	}
	for files := snap.Files; len(files) > 0; {
		n, size := 1, len(files[0].Content)
		for n < len(files) && size+len(files[n].Content) <= stagedBytes {
			size += len(files[n].Content)
			n++
		}
		staged := files[:n]
		files = files[n:]
		err := s.write(ctx, func(t *tx) error {
			t.large(size)
			for _, f := range staged {
				if _, err := t.ExecContext(t.ctx, `INSERT INTO iteration_snapshot_file
					(iteration_id, path, ecosystem, size_bytes, sha256, content, skipped) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					key, f.Path, f.Ecosystem, f.Size, f.SHA256, nonNil(f.Content), f.Skipped); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			dropStaged()
			return err
		}
	}
	err := s.write(ctx, func(t *tx) error {
		if err := mustExist(t, "iteration", "iteration", iterationID); err != nil {
			return err
		}
		t.large(len(snap.Git.Diff))
		if err := execAll(t, []any{iterationID},
			`DELETE FROM iteration_snapshot_file WHERE iteration_id IN (SELECT files_key FROM iteration_snapshot WHERE iteration_id = ?)`,
			`DELETE FROM iteration_snapshot WHERE iteration_id = ?`,
		); err != nil {
			return err
		}
		if _, err := t.ExecContext(t.ctx, `INSERT INTO iteration_snapshot (iteration_id, captured_at, runtime, runtime_version,
			runtimes, root, entrypoint, git_commit, git_dirty, git_branch, git_remote, git_diff, git_untracked, notes, files_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			iterationID, core.FormatTime(captured), snap.Runtime, snap.RuntimeVersion, jsonText(runtimes), snap.Root,
			snap.Entrypoint, snap.Git.Commit, boolInt(snap.Git.Dirty), snap.Git.Branch, snap.Git.Remote, snap.Git.Diff,
			jsonText(nonNil(snap.Git.Untracked)), jsonText(nonNil(snap.Notes)), key); err != nil {
			return err
		}
		_, err := t.ExecContext(t.ctx, `UPDATE iteration SET julia_version = ?, git_sha = ?, git_dirty = ?, entrypoint = ?,
			project_toml = ?, manifest_toml = ? WHERE id = ?`,
			env.JuliaVersion, env.GitSHA, boolInt(env.GitDirty), env.Entrypoint, env.ProjectTOML, env.ManifestTOML, iterationID)
		return err
	})
	if err != nil {
		dropStaged()
	}
	return err
}

// dropUnclaimedSnapshotFiles removes the files of snapshot saves that never
// reached their last step: a process killed in the middle of one.
func dropUnclaimedSnapshotFiles(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `DELETE FROM iteration_snapshot_file
		WHERE iteration_id NOT IN (SELECT files_key FROM iteration_snapshot WHERE files_key IS NOT NULL)`)
	return err
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
		snap, err = readSnapshot(ctx, q, iterationID, s.snapshotFilesKey, s.mem)
		return err
	})
	return snap, err
}

// readSnapshot reads an iteration's snapshot. filesKey is the column
// expression naming its files' key: files_key, or iteration_id in a file
// opened read-only from before migration 007. A large file borrows memory
// from mem while it is read.
func readSnapshot(ctx context.Context, q querier, iterationID, filesKey string, mem *memoryBudget) (*core.Snapshot, error) {
	snap := &core.Snapshot{IterationID: iterationID}
	var (
		captured, runtimes, untracked, notes, key string
		dirty                                     int64
	)
	err := q.QueryRowContext(ctx, `SELECT captured_at, runtime, runtime_version, runtimes, root, entrypoint, git_commit,
		git_dirty, git_branch, git_remote, git_diff, git_untracked, notes, `+filesKey+` FROM iteration_snapshot WHERE iteration_id = ?`, iterationID).
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
	// The contents are read one file at a time: a query of them all would
	// hold every file in DuckDB's buffers at once, past ddd's memory limit
	// for a large snapshot.
	rows, err := q.QueryContext(ctx, `SELECT path, ecosystem, size_bytes, sha256, skipped
		FROM iteration_snapshot_file WHERE iteration_id = ? ORDER BY path`, key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f core.SnapshotFile
		if err := rows.Scan(&f.Path, &f.Ecosystem, &f.Size, &f.SHA256, &f.Skipped); err != nil {
			return nil, err
		}
		snap.Files = append(snap.Files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range snap.Files {
		f := &snap.Files[i]
		release := mem.forRead(f.Size)
		err := q.QueryRowContext(ctx, `SELECT content FROM iteration_snapshot_file WHERE iteration_id = ? AND path = ?`,
			key, f.Path).Scan(&f.Content)
		release()
		if err != nil {
			return nil, err
		}
	}
	return snap, nil
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
