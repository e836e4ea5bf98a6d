package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

// PatchName is the file a restore writes the uncommitted diff to.
const PatchName = "uncommitted.patch"

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// Force lets a restore write into an existing directory and replace
	// files there.
	Force bool
	// Dir, when set, is the exact directory to restore into, instead of
	// <depot>/iteration_<id>.
	Dir string
}

// Result says what a restore wrote and what to run next.
type Result struct {
	Dir            string
	Runtime        string
	RuntimeVersion string
	Commit         string
	Dirty          bool
	Entrypoint     string
	Files          []string // written, relative to Dir
	Skipped        []string // captured without content (too large)
	Patch          string   // path of uncommitted.patch, "" when the run was clean
	Next           []Step
}

// Step is a command to run after a restore, and why.
type Step struct {
	Command string
	Why     string
}

// Restore writes a snapshot's files, byte for byte, into
// <depot>/iteration_<id>, plus the uncommitted diff as uncommitted.patch when
// the run was dirty. It checks every file's sha256 after writing, refuses
// paths that would land outside the directory, and refuses existing files
// unless opts.Force. Files are written to a staging directory first and moved
// into place only when all are good. A restore that fails leaves nothing
// behind: the directories it made are removed, and a target that was there
// before is as it was. An empty depot means a new temporary directory.
func Restore(snap *core.Snapshot, depot string, opts RestoreOptions) (res *Result, err error) {
	if err := restorable(snap); err != nil {
		return nil, err
	}
	target := filepath.Join(depot, "iteration_"+snap.IterationID)
	if opts.Dir != "" {
		target = filepath.Clean(opts.Dir)
		depot = filepath.Dir(target)
	}
	res = &Result{Dir: target, Runtime: snap.Runtime, RuntimeVersion: snap.RuntimeVersion, Commit: snap.Git.Commit,
		Dirty: snap.Git.Dirty, Entrypoint: snap.Entrypoint}
	files := map[string][]byte{}
	for _, f := range snap.Files {
		if f.Skipped != "" {
			res.Skipped = append(res.Skipped, f.Path)
			continue
		}
		files[f.Path] = f.Content
		res.Files = append(res.Files, f.Path)
	}
	if snap.Git.Dirty && len(snap.Git.Diff) > 0 {
		files[PatchName] = snap.Git.Diff
		res.Files = append(res.Files, PatchName)
	}

	var created []string // directories this restore made, outermost first
	defer func() {
		if err != nil {
			removeEmpty(created)
		}
	}()
	if depot == "" {
		if depot, err = os.MkdirTemp("", "deardiary-restore-"); err != nil {
			return nil, err
		}
		created = append(created, depot)
		target = filepath.Join(depot, "iteration_"+snap.IterationID)
		res.Dir = target
	}
	if _, dirty := files[PatchName]; dirty {
		res.Patch = filepath.Join(target, PatchName)
	}
	if err := checkTarget(target, res.Files, opts.Force); err != nil {
		return nil, err
	}
	made, err := mkdirAll(depot)
	created = append(created, made...)
	if err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", depot, err)
	}
	// Staging beside the target when it is new, so that one rename puts it
	// in place; inside it when it exists, so that each file's rename stays
	// on the target's file system.
	stagingIn := depot
	if _, err := os.Lstat(target); err == nil {
		stagingIn = target
	}
	staging, err := os.MkdirTemp(stagingIn, "."+filepath.Base(target)+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging) // gone after moving a new target into place
	for _, rel := range res.Files {
		if err := writeVerified(filepath.Join(staging, filepath.FromSlash(rel)), files[rel]); err != nil {
			return nil, err
		}
	}
	if err := moveInto(staging, target, res.Files); err != nil {
		return nil, err
	}
	res.Next = nextSteps(snap, res)
	return res, nil
}

// mkdirAll is os.MkdirAll that returns the directories it made, outermost
// first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var made []string
	for i := len(missing) - 1; i >= 0; i-- {
		switch err := os.Mkdir(missing[i], 0o755); {
		case errors.Is(err, fs.ErrExist): // made meanwhile by another process
		case err != nil:
			return made, err
		default:
			made = append(made, missing[i])
		}
	}
	return made, nil
}

// removeEmpty removes directories, innermost first, that are still empty:
// what a failed restore made and another process has not used meanwhile.
func removeEmpty(dirs []string) {
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Remove(dirs[i])
	}
}

// restorable checks what a snapshot asks to write before anything is written.
func restorable(snap *core.Snapshot) error {
	if snap == nil {
		return core.Invalid("no snapshot to restore")
	}
	if err := core.CheckSnapshotPath("iteration_" + snap.IterationID); err != nil || strings.Contains(snap.IterationID, "/") {
		return core.Invalid("iteration id %q cannot name a directory", snap.IterationID)
	}
	// Snapshots stored before uploads were checked as closely get the same
	// checks here.
	if err := core.CheckSnapshotFiles(snap.Files); err != nil {
		return err
	}
	content := snap.Git.Dirty && len(snap.Git.Diff) > 0
	for _, f := range snap.Files {
		if f.Path == PatchName || strings.HasPrefix(f.Path, PatchName+"/") {
			return core.Invalid("snapshot has a file %s, where a restore writes the diff", f.Path)
		}
		content = content || f.Skipped == ""
	}
	if !content {
		return core.Invalid("the snapshot of iteration %q holds no files to restore", snap.IterationID)
	}
	return nil
}

// checkTarget refuses to restore through symlinks or over existing files.
func checkTarget(target string, files []string, force bool) error {
	info, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !info.IsDir():
		return core.Invalid("%s exists and is not a directory", target)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return err
	}
	if len(entries) > 0 && !force {
		return &core.Error{Code: core.EConflict, Message: fmt.Sprintf("%s already exists and is not empty; restore elsewhere or force", target),
			Err: &NotEmptyError{Dir: target}}
	}
	for _, rel := range files {
		// Every directory on the way must be a real one inside target.
		parts := strings.Split(rel, "/")
		for i := range parts {
			p := filepath.Join(append([]string{target}, parts[:i+1]...)...)
			info, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			if err != nil {
				return err
			}
			if info.Mode()&fs.ModeSymlink != 0 {
				return core.Invalid("%s is a symlink; a restore does not write through links", p)
			}
			if i < len(parts)-1 && !info.IsDir() || i == len(parts)-1 && !info.Mode().IsRegular() {
				return core.Invalid("%s is in the way of %s", p, rel)
			}
		}
	}
	return nil
}

// writeVerified writes a new file and reads it back to check its bytes.
func writeVerified(path string, content []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	back, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if core.SHA256Hex(back) != core.SHA256Hex(content) {
		return fmt.Errorf("%s reads back different from what was written", path)
	}
	return nil
}

// rename is os.Rename; tests make it fail.
var rename = os.Rename

// moveInto moves the staged files into target: the whole directory when
// target does not exist yet, file by file otherwise. Moving file by file, it
// keeps each file it replaces until all are in place, and when a move fails
// it undoes the others, so that the target is as it was.
func moveInto(staging, target string, files []string) (err error) {
	if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
		return rename(staging, target)
	}
	replaced, err := os.MkdirTemp(staging, "replaced-")
	if err != nil {
		return err
	}
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	for i, rel := range files {
		src := filepath.Join(staging, filepath.FromSlash(rel))
		dst := filepath.Join(target, filepath.FromSlash(rel))
		made, err := mkdirAll(filepath.Dir(dst))
		undo = append(undo, func() { removeEmpty(made) })
		if err != nil {
			return err
		}
		if _, err := os.Lstat(dst); err == nil {
			old := filepath.Join(replaced, strconv.Itoa(i))
			if err := rename(dst, old); err != nil {
				return err
			}
			undo = append(undo, func() { _ = os.Rename(old, dst) })
		}
		if err := rename(src, dst); err != nil {
			return err
		}
		undo = append(undo, func() { _ = os.Rename(dst, src) })
	}
	return nil
}

// nextSteps lists the commands that rebuild each ecosystem's environment from
// the restored files.
func nextSteps(snap *core.Snapshot, res *Result) []Step {
	dir := quotePath(res.Dir)
	has := func(name string) bool { return slices.Contains(res.Files, name) }
	hasPrefix := func(prefix, ext string) string {
		for _, f := range res.Files {
			if !strings.Contains(f, "/") && strings.HasPrefix(f, prefix) && strings.HasSuffix(f, ext) {
				return f
			}
		}
		return ""
	}
	var steps []Step
	if snap.Git.Commit != "" {
		where := "in a clone of the project"
		if snap.Git.Remote != "" {
			where = "in a clone of " + snap.Git.Remote
		}
		if core.CheckCommit(snap.Git.Commit) == nil {
			steps = append(steps, Step{"git checkout " + snap.Git.Commit, where + ", to get the code of the run"})
		} else {
			// Stored before commits were checked: shown, never run.
			steps = append(steps, Step{"# commit " + strconv.Quote(snap.Git.Commit), "recorded as the run's commit, but not a commit id; find the run's code " + where + " by hand"})
		}
		if res.Patch != "" {
			steps = append(steps, Step{"git apply " + quotePath(res.Patch), "in the same clone, to redo the uncommitted changes"})
		}
	}
	if has("Project.toml") || has("JuliaProject.toml") {
		steps = append(steps, Step{"julia --project=" + dir + " -e 'using Pkg; Pkg.instantiate()'", "installs the Julia packages of the Manifest"})
	}
	switch {
	case has("uv.lock"):
		steps = append(steps, Step{"cd " + dir + " && uv sync --frozen", "installs the Python packages of uv.lock"})
	case has("poetry.lock"):
		steps = append(steps, Step{"cd " + dir + " && poetry install --no-root", "installs the Python packages of poetry.lock"})
	case has("Pipfile.lock"):
		steps = append(steps, Step{"cd " + dir + " && pipenv sync", "installs the Python packages of Pipfile.lock"})
	case hasPrefix("requirements", ".txt") != "":
		f := hasPrefix("requirements", ".txt")
		steps = append(steps, Step{"pip install -r " + quotePath(filepath.Join(res.Dir, f)), "installs the Python packages of " + f})
	}
	if has("environment.yml") || has("environment.yaml") {
		f := "environment.yml"
		if !has(f) {
			f = "environment.yaml"
		}
		steps = append(steps, Step{"conda env create -f " + quotePath(filepath.Join(res.Dir, f)), "creates the conda environment"})
	}
	if has("go.mod") {
		steps = append(steps, Step{"cd " + dir + " && go mod download", "fetches the Go modules of go.sum"})
	}
	if has("Cargo.lock") {
		steps = append(steps, Step{"cd " + dir + " && cargo fetch --locked", "fetches the crates of Cargo.lock"})
	}
	switch {
	case has("package-lock.json") || has("npm-shrinkwrap.json"):
		steps = append(steps, Step{"cd " + dir + " && npm ci", "installs the Node packages of package-lock.json"})
	case has("yarn.lock"):
		steps = append(steps, Step{"cd " + dir + " && yarn install --frozen-lockfile", "installs the Node packages of yarn.lock"})
	case has("pnpm-lock.yaml"):
		steps = append(steps, Step{"cd " + dir + " && pnpm install --frozen-lockfile", "installs the Node packages of pnpm-lock.yaml"})
	}
	if snap.Entrypoint != "" {
		runtime := strings.TrimSpace(snap.Runtime + " " + snap.RuntimeVersion)
		why := "the run's entrypoint"
		if runtime != "" {
			why += ", with " + runtime
		}
		if words, ok := splitPlain(snap.Entrypoint); ok {
			steps = append(steps, Step{commandLine(words), why})
		} else {
			steps = append(steps, Step{"# " + strconv.Quote(snap.Entrypoint), why + "; it is more than plain words (operators, substitutions or control characters), so it is shown as recorded, to read before running"})
		}
	}
	return steps
}

// NotEmptyError is what a CONFLICT from Restore wraps when the target
// directory is not empty and opts.Force is not set.
type NotEmptyError struct{ Dir string }

func (e *NotEmptyError) Error() string { return e.Dir + " already exists and is not empty" }

// InheritedError is what a NOT_FOUND from RestoreIteration wraps when the
// iteration has no snapshot of its own but its parent, or an iteration
// further up, has one: a child run is not captured unless asked, and ran in
// its driver's environment.
type InheritedError struct {
	Iteration string
	From      string // the nearest iteration above with a snapshot
	Driver    bool   // From has no parent
}

func (e *InheritedError) Error() string {
	if !e.Driver {
		return fmt.Sprintf("iteration %s has no snapshot of its own; iteration %s, above it, has one", e.Iteration, e.From)
	}
	return fmt.Sprintf("iteration %s has no snapshot of its own; its driver %s has one", e.Iteration, e.From)
}

// maxAncestors bounds the walk up a chain of parents.
const maxAncestors = 100

// RestoreIteration reads an iteration's snapshot from a tracker (a local
// file or a daemon) and restores it locally. An iteration without a captured
// environment is a NOT_FOUND error saying so, and naming the iteration above
// it that has one (InheritedError).
func RestoreIteration(ctx context.Context, t core.Tracker, iterationID, depot string, opts RestoreOptions) (*Result, error) {
	snap, err := t.GetSnapshot(ctx, iterationID)
	if core.IsNotFound(err) {
		if from := capturedAncestor(ctx, t, iterationID); from != nil {
			return nil, &core.Error{Code: core.ENotFound, Message: from.Error(), Err: from}
		}
	}
	if err != nil {
		return nil, err
	}
	snap.IterationID = iterationID
	return Restore(snap, depot, opts)
}

// capturedAncestor finds the nearest iteration above iterationID with a
// snapshot, or nil.
func capturedAncestor(ctx context.Context, t core.Tracker, iterationID string) *InheritedError {
	seen := map[string]bool{iterationID: true}
	it, err := t.GetIteration(ctx, iterationID)
	for range maxAncestors {
		if err != nil || it.ParentID == "" || seen[it.ParentID] {
			return nil
		}
		seen[it.ParentID] = true
		if it, err = t.GetIteration(ctx, it.ParentID); err != nil {
			return nil
		}
		if _, serr := t.GetSnapshot(ctx, it.ID); serr == nil {
			return &InheritedError{Iteration: iterationID, From: it.ID, Driver: it.ParentID == ""}
		}
	}
	return nil
}
