package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// DefaultMaxFileSize is the largest file a capture keeps; a larger one is
// listed with its size and hash and "skipped: too large". Lock files are far
// smaller; the cap keeps a stray data file out of the database.
const DefaultMaxFileSize = 16 << 20

// Options tune a capture. The zero value is ready to use.
type Options struct {
	// Entrypoint is what was run, e.g. "train.py". By default the program's
	// path relative to the project directory.
	Entrypoint string
	// Runtime names the main language when the caller knows it; otherwise
	// it follows the entrypoint's extension, then the ecosystems found.
	Runtime string
	// MaxFileSize caps each captured file (DefaultMaxFileSize when zero,
	// core.MaxSnapshotFileSize at most).
	MaxFileSize int64
}

// Capture records the environment of the project containing dir: the git
// root when dir is in a repository, else dir itself. It never fails: a probe
// that cannot answer leaves its fields empty and says why in Notes.
func Capture(ctx context.Context, dir string, opts Options) *core.Snapshot {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	opts.MaxFileSize = min(opts.MaxFileSize, core.MaxSnapshotFileSize) // what a Tracker keeps
	s := &core.Snapshot{CapturedAt: time.Now().UTC()}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	root := captureGit(ctx, s, dir, opts.MaxFileSize)
	s.Root = root
	s.Entrypoint = entrypoint(opts.Entrypoint, root)
	found := captureFiles(s, root, dir, opts.MaxFileSize)
	captureRuntimes(ctx, s, found, opts.Runtime)
	cleanText(s)
	return s
}

// cleanText replaces bytes that are not UTF-8 in the snapshot's text (a file
// name in another encoding, say) so that storing it cannot fail.
func cleanText(s *core.Snapshot) {
	clean := func(t *string) { *t = strings.ToValidUTF8(*t, "\uFFFD") }
	for _, t := range []*string{&s.Root, &s.Entrypoint, &s.Git.Branch, &s.Git.Remote} {
		clean(t)
	}
	for _, list := range [][]string{s.Git.Untracked, s.Notes} {
		for i := range list {
			clean(&list[i])
		}
	}
}

// captureFiles keeps the files of every ecosystem at the top of the project
// root and, when it differs, of dir. It returns the ecosystems found.
func captureFiles(s *core.Snapshot, root, dir string, limit int64) []string {
	var found []string
	dirs := []string{root}
	if dir != root {
		dirs = append(dirs, dir)
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			s.Notes = append(s.Notes, "files: "+err.Error())
			continue
		}
		for _, e := range entries {
			eco := ecosystemOf(e.Name())
			if eco == "" {
				continue
			}
			// A symlinked lock file is captured as the file it points to.
			if info, err := os.Stat(filepath.Join(d, e.Name())); err != nil || !info.Mode().IsRegular() {
				continue
			}
			rel, err := filepath.Rel(root, filepath.Join(d, e.Name()))
			if err != nil {
				continue
			}
			if core.CheckSnapshotPath(filepath.ToSlash(rel)) != nil {
				s.Notes = append(s.Notes, "files: skipped a name that cannot be restored safely: "+rel)
				continue
			}
			f, err := readFile(filepath.Join(d, e.Name()), filepath.ToSlash(rel), eco, limit)
			if err != nil {
				s.Notes = append(s.Notes, "files: "+err.Error())
				continue
			}
			s.Files = append(s.Files, f)
			if !slices.Contains(found, eco) {
				found = append(found, eco)
			}
		}
	}
	slices.SortFunc(s.Files, func(a, b core.SnapshotFile) int { return strings.Compare(a.Path, b.Path) })
	return found
}

// readFile reads a file whole, or only hashes it when it is over limit.
func readFile(path, rel, eco string, limit int64) (core.SnapshotFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return core.SnapshotFile{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return core.SnapshotFile{}, err
	}
	if info.Size() <= limit {
		content, err := io.ReadAll(f)
		if err != nil {
			return core.SnapshotFile{}, err
		}
		return core.NewSnapshotFile(rel, eco, content), nil
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return core.SnapshotFile{}, err
	}
	return core.SnapshotFile{Path: rel, Ecosystem: eco, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
		Skipped: fmt.Sprintf("too large (%s > %s)", core.FormatBytes(n), core.FormatBytes(limit))}, nil
}

// captureRuntimes asks the toolchain of each ecosystem found for its version
// and picks the main runtime.
func captureRuntimes(ctx context.Context, s *core.Snapshot, found []string, main string) {
	if main == "" {
		main = byExtension[strings.ToLower(filepath.Ext(s.Entrypoint))]
	}
	if main != "" && !slices.Contains(found, main) {
		found = append(found, main)
	}
	for _, e := range ecosystems {
		if !slices.Contains(found, e.name) {
			continue
		}
		version, note := toolchainVersion(ctx, e)
		if version == "" && e.name == "julia" {
			version = manifestJuliaVersion(s)
		}
		if note != "" && version == "" {
			s.Notes = append(s.Notes, note)
		}
		s.Runtimes = append(s.Runtimes, core.Runtime{Name: e.name, Version: version})
	}
	if main == "" && len(s.Runtimes) > 0 {
		main = s.Runtimes[0].Name
	}
	for _, r := range s.Runtimes {
		if r.Name == main {
			s.Runtime, s.RuntimeVersion = r.Name, r.Version
		}
	}
}

func manifestJuliaVersion(s *core.Snapshot) string {
	for _, f := range s.Files {
		if e, _ := core.LookupEnvFile(path.Base(f.Path)); e.Ecosystem == "julia" && e.Kind == core.LockFile {
			if m := juliaManifestVersion.FindSubmatch(f.Content); m != nil {
				return string(m[1])
			}
		}
	}
	return ""
}

// entrypoint is the given one, else the program's path relative to the
// project root; a program built elsewhere (go run) is named by its main
// package.
func entrypoint(given, root string) string {
	if given != "" {
		return given
	}
	prog, err := filepath.Abs(os.Args[0])
	if err == nil {
		if rel, err := filepath.Rel(root, prog); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Path != "" && !strings.HasSuffix(bi.Path, ".test") {
		return bi.Path
	}
	return os.Args[0]
}

// captureGit fills s.Git from the repository containing dir and returns the
// project root: the repository's top, or dir without one.
func captureGit(ctx context.Context, s *core.Snapshot, dir string, limit int64) string {
	top, err := run(ctx, dir, "git", "rev-parse", "--show-toplevel")
	if err != nil {
		if strings.Contains(err.Error(), "not a git repository") {
			s.Notes = append(s.Notes, "git: "+dir+" is not in a git repository")
		} else {
			s.Notes = append(s.Notes, "git: "+describe("git", err))
		}
		return dir
	}
	root := strings.TrimSpace(top)
	git := func(args ...string) (string, error) {
		return run(ctx, root, append([]string{"git", "-c", "core.quotepath=off"}, args...)...)
	}
	if commit, err := git("rev-parse", "--verify", "-q", "HEAD^{commit}"); err == nil {
		s.Git.Commit = strings.TrimSpace(commit)
	} else {
		s.Notes = append(s.Notes, "git: no commits yet")
	}
	if status, err := git("status", "--porcelain=v1", "--untracked-files=no"); err == nil {
		s.Git.Dirty = strings.TrimSpace(status) != ""
	}
	if s.Git.Commit != "" && s.Git.Dirty {
		diff, err := runBytes(ctx, root, "git", "diff", "--binary", "--full-index", "--no-color", "--no-ext-diff",
			"--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", "HEAD")
		switch {
		case err != nil:
			s.Notes = append(s.Notes, "git diff: "+err.Error())
		case int64(len(diff)) > limit:
			s.Notes = append(s.Notes, fmt.Sprintf("git diff: too large (%s > %s), not kept", core.FormatBytes(int64(len(diff))), core.FormatBytes(limit)))
		default:
			s.Git.Diff = diff
		}
	}
	if untracked, err := git("ls-files", "--others", "--exclude-standard", "-z"); err == nil {
		for name := range strings.SplitSeq(untracked, "\x00") {
			if name != "" {
				s.Git.Untracked = append(s.Git.Untracked, name)
			}
		}
	}
	if branch, err := git("symbolic-ref", "--short", "-q", "HEAD"); err == nil {
		s.Git.Branch = strings.TrimSpace(branch)
	}
	s.Git.Remote = remoteURL(git)
	return root
}

// remoteURL returns origin's URL (else the first remote's) without
// credentials.
func remoteURL(git func(args ...string) (string, error)) string {
	remotes, err := git("remote")
	if err != nil || strings.TrimSpace(remotes) == "" {
		return ""
	}
	name := strings.Fields(remotes)[0]
	if slices.Contains(strings.Fields(remotes), "origin") {
		name = "origin"
	}
	u, err := git("remote", "get-url", name)
	if err != nil {
		return ""
	}
	return StripCredentials(strings.TrimSpace(u))
}

// StripCredentials removes secrets from a remote URL: the whole user part of
// http(s) URLs (a token often sits there alone), and any password elsewhere.
// scp-like addresses (git@host:path) carry no secret and stay as they are.
func StripCredentials(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.Scheme == "" || u.User == nil {
		return remote
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		u.User = nil
	} else {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}
