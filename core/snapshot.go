package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Snapshot records the environment that produced an iteration: the
// toolchains, the git state (with the uncommitted diff, so a dirty run can be
// re-applied) and every lock or manifest file, verbatim. The snapshot package
// captures and restores them; a Tracker stores them.
type Snapshot struct {
	IterationID string
	CapturedAt  time.Time
	// Runtime is the main language of the run (go, julia, python, rust, node)
	// and RuntimeVersion its version; Runtimes lists every toolchain found.
	Runtime        string
	RuntimeVersion string
	Runtimes       []Runtime
	// Root is the project directory captured (the git root, or the directory
	// given); file paths are relative to it.
	Root       string
	Entrypoint string
	Git        GitState
	Files      []SnapshotFile
	// Notes say why a probe found nothing, e.g. "git: not a repository".
	Notes []string
}

// Runtime is a toolchain and its version.
type Runtime struct {
	Name    string
	Version string
}

// GitState is the state of the project's repository at capture.
type GitState struct {
	Commit    string // 40 hex; empty without a repository or commit
	Dirty     bool   // tracked files differ from the commit
	Diff      []byte // `git diff --binary HEAD`: what `git apply` needs to redo the changes
	Untracked []string
	Branch    string
	Remote    string // credentials removed
}

// SnapshotFile is one captured file, byte for byte.
type SnapshotFile struct {
	Path      string // slash-separated, relative to the root
	Ecosystem string // go, julia, python, rust, node
	Size      int64
	SHA256    string // of the file on disk, also when skipped
	Content   []byte
	// Skipped says why Content is empty, e.g. "too large (20.0 MiB > 16 MiB)".
	Skipped string
}

// SnapshotService stores snapshots.
type SnapshotService interface {
	// SaveSnapshot stores the snapshot of an iteration, replacing any earlier
	// one; an ended iteration may still be given one. Julia captures also
	// fill the iteration's upstream columns (see Snapshot.Upstream).
	// ENotFound for a missing iteration, EInvalid for an unsafe file path.
	SaveSnapshot(ctx context.Context, iterationID string, s *Snapshot) error
	// GetSnapshot returns the whole snapshot of an iteration, files included.
	// An iteration captured by DearDiary.jl (upstream columns only) reads as
	// a Julia snapshot of its Project.toml and Manifest.toml. ENotFound for a
	// missing iteration or one without a snapshot.
	GetSnapshot(ctx context.Context, iterationID string) (*Snapshot, error)
}

// File returns the captured file at path, or nil.
func (s *Snapshot) File(path string) *SnapshotFile {
	for i := range s.Files {
		if s.Files[i].Path == path {
			return &s.Files[i]
		}
	}
	return nil
}

// Upstream returns the iteration columns DearDiary.jl reads. The git fields
// and entrypoint are filled for every snapshot; the Julia fields only when
// Julia's Project and Manifest were captured.
func (s *Snapshot) Upstream() EnvironmentSnapshot {
	env := EnvironmentSnapshot{GitSHA: s.Git.Commit, GitDirty: s.Git.Dirty, Entrypoint: s.Entrypoint}
	for _, r := range s.Runtimes {
		if r.Name == "julia" {
			env.JuliaVersion = r.Version
		}
	}
	if f := s.juliaFile(ManifestFile, env.JuliaVersion); f != nil {
		env.ProjectTOML = string(f.Content)
	}
	if f := s.juliaFile(LockFile, env.JuliaVersion); f != nil {
		env.ManifestTOML = string(f.Content)
	}
	return env
}

// SnapshotFromUpstream turns the columns DearDiary.jl captured into a Julia
// snapshot, or returns nil when it captured no environment (upstream's
// restore requires the manifest).
func SnapshotFromUpstream(iterationID string, env EnvironmentSnapshot) *Snapshot {
	if env.ManifestTOML == "" {
		return nil
	}
	s := &Snapshot{
		IterationID:    iterationID,
		Runtime:        "julia",
		RuntimeVersion: env.JuliaVersion,
		Runtimes:       []Runtime{{Name: "julia", Version: env.JuliaVersion}},
		Entrypoint:     env.Entrypoint,
		Git:            GitState{Commit: env.GitSHA, Dirty: env.GitDirty},
		Notes:          []string{"captured by DearDiary.jl: Project.toml and Manifest.toml only"},
	}
	for _, f := range []struct{ name, text string }{{"Project.toml", env.ProjectTOML}, {"Manifest.toml", env.ManifestTOML}} {
		s.Files = append(s.Files, NewSnapshotFile(f.name, "julia", []byte(f.text)))
	}
	return s
}

// MaxSnapshotFileSize is the most a snapshot may hold of one file, and of
// the uncommitted diff; a Tracker refuses a larger one with EInvalid. Lock
// files are far smaller. The cap lets ddd, whose DuckDB runs under a memory
// limit, always hold any one file, and captures skip files past it.
const MaxSnapshotFileSize = 32 << 20

// FormatBytes renders a size for people: "512 B", "2.0 KiB", "10.5 MiB".
func FormatBytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// NewSnapshotFile describes a captured file's content.
func NewSnapshotFile(path, ecosystem string, content []byte) SnapshotFile {
	return SnapshotFile{Path: path, Ecosystem: ecosystem, Size: int64(len(content)), SHA256: SHA256Hex(content), Content: content}
}

// SHA256Hex returns the lowercase hex sha256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// MaxSnapshotNameBytes is the longest part of a snapshot file path, in
// bytes: the most ext4, XFS, APFS and NTFS (in UTF-16 units) allow in one
// name.
const MaxSnapshotNameBytes = 255

// MaxSnapshotPathBytes is the longest snapshot file path, in bytes. A
// path's length limit counts the directory restored into too (4,096 bytes
// on Linux); a quarter of it leaves room for any reasonable one, and far
// more than lock files need.
const MaxSnapshotPathBytes = 1024

// CheckSnapshotPath fails with EInvalid unless p is a clean, relative,
// slash-separated path that stays inside the directory it is relative to: no
// leading "/", no "..", no empty or "." parts, no backslashes or NULs. It also
// refuses any part a file system could read as .git (see isGitName): a
// restored repository's config can name commands that git then runs; parts
// over MaxSnapshotNameBytes, which no file system writes, and paths over
// MaxSnapshotPathBytes; and control
// characters (newlines, escapes, C1), which break the lines and terminals a
// path is printed to.
func CheckSnapshotPath(p string) error {
	bad := p == "" || !utf8.ValidString(p) || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") || path.Clean(p) != p
	for part := range strings.SplitSeq(p, "/") {
		bad = bad || part == ".." || part == "." || part == ""
	}
	if bad || (len(p) >= 2 && p[1] == ':') {
		return Invalid("snapshot file path %q is not a clean relative path inside the project", p)
	}
	if len(p) > MaxSnapshotPathBytes {
		return Invalid("snapshot file path %.60q... is %d bytes; a restore writes paths of at most %d", p, len(p), MaxSnapshotPathBytes)
	}
	if strings.IndexFunc(p, unicode.IsControl) >= 0 {
		return Invalid("snapshot file path %q holds a control character", p)
	}
	for part := range strings.SplitSeq(p, "/") {
		if isGitName(part) {
			return Invalid("snapshot file path %q is inside a .git directory; a snapshot holds no repository", p)
		}
		if len(part) > MaxSnapshotNameBytes {
			return Invalid("snapshot file path %q has a part of %d bytes; file systems allow %d bytes", p, len(part), MaxSnapshotNameBytes)
		}
	}
	return nil
}

// isGitName reports whether a path part names a repository directory on
// some file system, as git's own verify_path sees it: .git in any case;
// followed by dots and spaces, or by an NTFS stream (":..."), which Windows
// drops; its NTFS short name git~1; and with the code points HFS+ ignores
// (zero-width joiners, direction marks, byte-order mark) anywhere in it.
func isGitName(part string) bool {
	part = strings.Map(func(r rune) rune {
		if hfsIgnored(r) {
			return -1
		}
		return r
	}, part)
	lower := strings.ToLower(part)
	for _, name := range []string{".git", "git~1"} {
		rest, ok := strings.CutPrefix(lower, name)
		if ok && (strings.HasPrefix(rest, ":") || strings.Trim(rest, ". ") == "") {
			return true
		}
	}
	return false
}

// hfsIgnored reports the code points HFS+ leaves out when it compares names.
func hfsIgnored(r rune) bool {
	return r >= 0x200c && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x206a && r <= 0x206f || r == 0xfeff
}

// CheckCommit fails with EInvalid unless c is empty (no repository) or a
// commit id of 7 to 64 hex digits (SHA-1 or SHA-256, whole or abbreviated).
// A restore prints `git checkout COMMIT`: anything else there would be text
// the uploader chose, pasted into a shell.
func CheckCommit(c string) error {
	if c == "" {
		return nil
	}
	hex := len(c) >= 7 && len(c) <= 64 && strings.IndexFunc(c, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F')
	}) < 0
	if !hex {
		return Invalid("git commit %q is not a commit id: it must be 7 to 64 hex digits, or empty without a repository", c)
	}
	return nil
}

// CheckSnapshot fails with EInvalid when a snapshot could not be stored
// within MaxSnapshotFileSize or restored safely and as captured: its
// commit (CheckCommit) or its files (CheckSnapshotFiles). A Tracker's SaveSnapshot refuses what it refuses,
// and the daemon checks uploads with it before they reach the store.
func CheckSnapshot(s *Snapshot) error {
	if s == nil {
		return Invalid("no snapshot given")
	}
	if len(s.Git.Diff) > MaxSnapshotFileSize {
		return Invalid("the uncommitted diff is %s; a snapshot holds at most %s of it", FormatBytes(int64(len(s.Git.Diff))), FormatBytes(MaxSnapshotFileSize))
	}
	for _, f := range s.Files {
		if len(f.Content) > MaxSnapshotFileSize {
			return Invalid("snapshot file %q is %s; a snapshot holds at most %s of each file", f.Path, FormatBytes(int64(len(f.Content))), FormatBytes(MaxSnapshotFileSize))
		}
	}
	if err := CheckCommit(s.Git.Commit); err != nil {
		return err
	}
	return CheckSnapshotFiles(s.Files)
}

// CheckSnapshotFiles fails with EInvalid unless a restore can write every
// file back as captured: each path passes CheckSnapshotPath, none is listed
// twice or lies under another (a path cannot be a file and a directory), and
// the content of each file not skipped has its recorded size and sha256.
func CheckSnapshotFiles(files []SnapshotFile) error {
	paths := make(map[string]bool, len(files))
	for _, f := range files {
		if err := CheckSnapshotPath(f.Path); err != nil {
			return err
		}
		if paths[f.Path] {
			return Invalid("snapshot lists %q twice", f.Path)
		}
		paths[f.Path] = true
		if f.Skipped != "" {
			continue
		}
		if int64(len(f.Content)) != f.Size {
			return Invalid("snapshot file %q: size %d does not match its %d bytes", f.Path, f.Size, len(f.Content))
		}
		if SHA256Hex(f.Content) != f.SHA256 {
			return Invalid("snapshot file %q does not match its recorded sha256 (%q); the content is not what was captured", f.Path, f.SHA256)
		}
	}
	for _, f := range files {
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			if paths[dir] {
				return Invalid("snapshot lists %q and %q, under it; a path cannot be both a file and a directory", dir, f.Path)
			}
		}
	}
	return nil
}
