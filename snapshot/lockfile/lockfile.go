// Package lockfile compares the dependency files captured with two runs, so
// that a comparison can say which packages a run added, removed or moved to
// another version, and fall back to a line diff for files it cannot read.
//
// Which files are read by package, and how, follows core.EnvFiles: Julia
// manifests (formats 1 and 2, versioned names included), go.mod, Cargo.lock,
// uv.lock, poetry.lock, package-lock.json and npm-shrinkwrap.json, and
// requirements*.txt. Go's drift comes from go.mod's require lines, direct
// and indirect, the versions the build selects; go.sum is a checksum list
// of every version the module graph touched, so it is not read by package
// and two runs' go.sum files are compared as text, like every other
// captured file (pyproject.toml, package.json, yarn.lock, ...).
//
// Everything here runs on captured bytes of unknown quality (truncated
// uploads, hand edits, formats newer than this code), so the readers are
// lenient: they never panic, keep what they can read, and say ok=false only
// when nothing could be read, so that the caller shows the text diff.
package lockfile

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

// Versions maps package name to version ("" when the file names no version).
//
// It is keyed by name because that is what a user compares across runs. A
// package that a file pins at several versions at once (Cargo keeps
// semver-incompatible copies, uv forks resolutions per platform) keeps a
// single entry whose version lists the distinct versions in ascending order,
// joined by ", ", so that a second copy appearing shows up as a change of
// that package.
type Versions map[string]string

// Parse reads a lock or manifest file. path is the file's path (only its base
// name decides the format, through core.LookupEnvFile), because snapshots
// store files under the names the tools gave them and the contents alone
// cannot tell, say, a uv.lock from a Cargo.lock.
//
// ok is false when the format is not one Parse understands, or when nothing
// of the file can be read; the caller then shows a text diff. A damaged file
// of a known format otherwise gives whatever could be read, since a partial
// package list is more useful than none.
//
// A leading UTF-8 BOM and CRLF line endings are accepted everywhere.
func Parse(path string, content []byte) (v Versions, ok bool) {
	parse := parserFor(baseName(path))
	if parse == nil {
		return nil, false
	}
	if v, ok = parse(bytes.TrimPrefix(content, []byte("\xEF\xBB\xBF"))); !ok {
		return nil, false
	}
	return v, true
}

// Supported reports whether Parse reads the format of the file at path.
func Supported(path string) bool { return parserFor(baseName(path)) != nil }

// baseName accepts both separators because snapshots taken on Windows keep
// their paths as captured.
func baseName(path string) string {
	return path[strings.LastIndexAny(path, `/\`)+1:]
}

// parsers read the formats core.EnvFiles names.
var parsers = map[string]func([]byte) (Versions, bool){
	core.FormatJuliaManifest: parseJuliaManifest,
	core.FormatGoMod:         parseGoMod,
	core.FormatCargoLock:     parsePackageTables(asWritten),
	// Python's package index treats names that PEP 503 normalises alike
	// as one project, and so do users comparing runs.
	core.FormatUVLock:       parsePackageTables(pep503),
	core.FormatPoetryLock:   parsePackageTables(pep503),
	core.FormatNPMLock:      parseNPM,
	core.FormatRequirements: always(parseRequirements),
}

// always is for the readers that make something of any input.
func always(parse func([]byte) Versions) func([]byte) (Versions, bool) {
	return func(s []byte) (Versions, bool) { return parse(s), true }
}

func parserFor(name string) func([]byte) (Versions, bool) {
	f, ok := core.LookupEnvFile(name)
	if !ok {
		return nil
	}
	return parsers[f.Format]
}

// Change is one package whose version differs between two files.
//
// A package that is present but names no version (a Julia standard library,
// an unpinned requirement) is reported with the version "(no version)", so
// that "" keeps meaning "absent" and Kind can tell an added or removed
// unversioned package from one that gained or lost its pin.
type Change struct {
	Name string
	Old  string // "" when added
	New  string // "" when removed
}

// noVersion stands in for "" in a Change; see Change.
const noVersion = "(no version)"

// Kind returns "added", "removed" or "changed", derived from which side is
// empty so that a Change needs no separate tag to be rendered.
func (c Change) Kind() string {
	switch {
	case c.Old == "":
		return "added"
	case c.New == "":
		return "removed"
	default:
		return "changed"
	}
}

// Diff lists the packages that differ between a and b, sorted by name so
// that the listing is stable from one render to the next. Packages with the
// same version on both sides are left out: they are what the user does not
// need to look at.
func Diff(a, b Versions) []Change {
	var out []Change
	for name, old := range a {
		switch nw, ok := b[name]; {
		case !ok:
			out = append(out, Change{Name: name, Old: shown(old)})
		case nw != old:
			out = append(out, Change{Name: name, Old: shown(old), New: shown(nw)})
		}
	}
	for name, nw := range b {
		if _, ok := a[name]; !ok {
			out = append(out, Change{Name: name, New: shown(nw)})
		}
	}
	slices.SortFunc(out, func(x, y Change) int { return strings.Compare(x.Name, y.Name) })
	return out
}

func shown(version string) string {
	if version == "" {
		return noVersion
	}
	return version
}

// collector gathers name/version pairs and joins the distinct versions of a
// name that occurs more than once.
type collector struct {
	v     Versions
	extra map[string][]string // versions seen after the first, for the rare repeated name
}

func newCollector() *collector { return &collector{v: Versions{}} }

func (c *collector) add(name, version string) {
	if name == "" {
		return
	}
	first, seen := c.v[name]
	if !seen {
		c.v[name] = version
		return
	}
	if first == version {
		return
	}
	if c.extra == nil {
		c.extra = map[string][]string{}
	}
	c.extra[name] = append(c.extra[name], version)
}

func (c *collector) result() Versions {
	for name, more := range c.extra {
		all := append(more, c.v[name])
		slices.SortFunc(all, compareVersions)
		all = slices.Compact(all)
		// An entry without a version next to versioned ones (a
		// workspace member listed once more as a path dependency) says
		// nothing more.
		if len(all) > 1 && all[0] == "" {
			all = all[1:]
		}
		c.v[name] = strings.Join(all, ", ")
	}
	c.extra = nil
	return c.v
}

// compareVersions orders version strings so that numeric parts compare as
// numbers (v0.9.0 before v0.10.0), which is what a reader expects of a
// version list. It is a total order: strings that compare equal part by part
// fall back to byte order.
func compareVersions(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := strings.TrimLeft(a[si:i], "0"), strings.TrimLeft(b[sj:j], "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			return cmp.Compare(a[i], b[j])
		}
		i++
		j++
	}
	if c := cmp.Compare(len(a)-i, len(b)-j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// lines calls f with each line of s, without its "\n" or a trailing "\r".
func lines(s []byte, f func(line []byte)) {
	for len(s) > 0 {
		line := s
		if i := bytes.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = nil
		}
		f(bytes.TrimSuffix(line, []byte{'\r'}))
	}
}
