package core

import (
	"regexp"
	"slices"
	"strings"
)

// EnvFileKind says what a dependency file records.
type EnvFileKind int

const (
	// ManifestFile lists what a project asks for: Project.toml,
	// pyproject.toml, Cargo.toml, package.json, go.mod.
	ManifestFile EnvFileKind = iota + 1
	// LockFile lists the versions a resolver chose: Julia's Manifest.toml,
	// uv.lock, Cargo.lock, package-lock.json.
	LockFile
	// OtherEnvFile is a file the toolchain reads beside those: checksums
	// (go.sum), toolchain pins (rust-toolchain).
	OtherEnvFile
)

// The formats snapshot/lockfile reads by package; EnvFile.Format names one.
const (
	FormatJuliaManifest = "julia-manifest" // formats 1 and 2
	FormatGoMod         = "go.mod"
	FormatCargoLock     = "cargo.lock"
	FormatUVLock        = "uv.lock"
	FormatPoetryLock    = "poetry.lock"
	FormatNPMLock       = "npm-lock" // package-lock.json and npm-shrinkwrap.json
	FormatRequirements  = "requirements"
)

// EnvFile is one kind of dependency file that snapshots capture.
type EnvFile struct {
	// Name is a file name, or a pattern in which one "*" stands for any
	// run of characters (requirements*.txt).
	Name      string
	Ecosystem string // julia, python, go, rust, node
	Kind      EnvFileKind
	// Format is how snapshot/lockfile lists the file's packages for drift;
	// empty when it does not, and two runs' copies are compared as text.
	Format string
}

// envFiles is the one list of dependency files: capture keeps the files it
// names, Snapshot.Upstream picks Julia's from it, and snapshot/lockfile
// chooses its reader by Format, so a name added here is captured, shown in
// DearDiary.jl where it applies, and compared by package.
//
// Julia's files come in Julia's own order of preference (Base.project_names
// and Base.manifest_names), which Upstream follows. A versioned manifest,
// Manifest-v1.11.toml, is what Julia 1.11 reads before Manifest.toml.
var envFiles = []EnvFile{
	{"JuliaProject.toml", "julia", ManifestFile, ""},
	{"Project.toml", "julia", ManifestFile, ""},
	{"JuliaManifest-v*.toml", "julia", LockFile, FormatJuliaManifest},
	{"Manifest-v*.toml", "julia", LockFile, FormatJuliaManifest},
	{"JuliaManifest.toml", "julia", LockFile, FormatJuliaManifest},
	{"Manifest.toml", "julia", LockFile, FormatJuliaManifest},

	{"pyproject.toml", "python", ManifestFile, ""},
	{"uv.lock", "python", LockFile, FormatUVLock},
	{"poetry.lock", "python", LockFile, FormatPoetryLock},
	{"Pipfile", "python", ManifestFile, ""},
	{"Pipfile.lock", "python", LockFile, ""},
	// Pinned by pip-compile or pip freeze as often as hand-written with
	// ranges; the reader shows a range as the version.
	{"requirements*.txt", "python", LockFile, FormatRequirements},
	{"environment.yml", "python", ManifestFile, ""},
	{"environment.yaml", "python", ManifestFile, ""},

	// go.mod is the manifest, and also the lock: since Go 1.17 its require
	// lines name the version the build selects of every module that
	// provides a package. go.sum only lists checksums of every version the
	// module graph touched, so it says nothing about what was used.
	{"go.mod", "go", ManifestFile, FormatGoMod},
	{"go.sum", "go", OtherEnvFile, ""},
	{"go.work", "go", ManifestFile, ""},
	{"go.work.sum", "go", OtherEnvFile, ""},

	{"Cargo.toml", "rust", ManifestFile, ""},
	{"Cargo.lock", "rust", LockFile, FormatCargoLock},
	{"rust-toolchain", "rust", OtherEnvFile, ""},
	{"rust-toolchain.toml", "rust", OtherEnvFile, ""},

	{"package.json", "node", ManifestFile, ""},
	{"package-lock.json", "node", LockFile, FormatNPMLock},
	{"npm-shrinkwrap.json", "node", LockFile, FormatNPMLock},
	{"yarn.lock", "node", LockFile, ""},
	{"pnpm-lock.yaml", "node", LockFile, ""},
}

// EnvFiles returns the dependency files snapshots capture, Julia's in
// Julia's order of preference.
func EnvFiles() []EnvFile { return slices.Clone(envFiles) }

// LookupEnvFile returns the kind of dependency file a file name (without
// its directory) is. Names are case-sensitive, as the tools read them.
func LookupEnvFile(name string) (EnvFile, bool) {
	for _, f := range envFiles {
		if f.Matches(name) {
			return f, true
		}
	}
	return EnvFile{}, false
}

// Matches reports whether a file name (without its directory) is this file.
func (f EnvFile) Matches(name string) bool {
	if strings.ContainsAny(name, `/\`) {
		return false // a path, which a pattern's "*" must not reach into
	}
	prefix, suffix, wild := strings.Cut(f.Name, "*")
	if !wild {
		return name == f.Name
	}
	return len(name) >= len(prefix)+len(suffix) && strings.HasPrefix(name, prefix) && strings.HasSuffix(name, suffix)
}

// majorMinor is how Julia names its versioned manifests: "1.11" of "1.11.5".
var majorMinor = regexp.MustCompile(`^\d+\.\d+`)

// juliaFile returns the top-level Julia file of kind that Julia of the given
// version loads: the first name in Julia's order that was captured, where a
// versioned manifest counts only for its own Julia version. When the version
// is unknown or none matches, any captured versioned one will do, so that a
// project that keeps only Manifest-v1.11.toml still fills upstream's column.
func (s *Snapshot) juliaFile(kind EnvFileKind, version string) *SnapshotFile {
	usable := func(f *SnapshotFile) bool { return f != nil && f.Skipped == "" }
	for _, e := range envFiles {
		if e.Ecosystem != "julia" || e.Kind != kind {
			continue
		}
		name := e.Name
		if strings.Contains(name, "*") {
			mm := majorMinor.FindString(version)
			if mm == "" {
				continue
			}
			name = strings.Replace(name, "*", mm, 1)
		}
		if f := s.File(name); usable(f) {
			return f
		}
	}
	for i := range s.Files {
		f := &s.Files[i]
		if e, ok := LookupEnvFile(f.Path); ok && e.Ecosystem == "julia" && e.Kind == kind && usable(f) {
			return f
		}
	}
	return nil
}
