package core

import (
	"strings"
	"testing"
)

func TestLookupEnvFile(t *testing.T) {
	cases := []struct {
		name, ecosystem string
		kind            EnvFileKind
	}{
		{"Project.toml", "julia", ManifestFile},
		{"JuliaProject.toml", "julia", ManifestFile},
		{"Manifest.toml", "julia", LockFile},
		{"JuliaManifest.toml", "julia", LockFile},
		{"Manifest-v1.11.toml", "julia", LockFile},
		{"JuliaManifest-v1.11.toml", "julia", LockFile},
		{"requirements.txt", "python", LockFile},
		{"requirements-dev.txt", "python", LockFile},
		{"uv.lock", "python", LockFile},
		{"go.mod", "go", ManifestFile},
		{"go.sum", "go", OtherEnvFile},
		{"Cargo.lock", "rust", LockFile},
		{"npm-shrinkwrap.json", "node", LockFile},
		{"main.go", "", 0},
		{"manifest.toml", "", 0}, // names are case-sensitive, as the tools read them
		{"requirements.in", "", 0},
		{"requirements/dev.txt", "", 0},
		{"Manifest-v1/x.toml", "", 0},
		{`Manifest-v1\x.toml`, "", 0},
		{"", "", 0},
	}
	for _, c := range cases {
		f, ok := LookupEnvFile(c.name)
		if ok != (c.ecosystem != "") || f.Ecosystem != c.ecosystem || f.Kind != c.kind {
			t.Errorf("LookupEnvFile(%q) = %+v, %v; want ecosystem %q, kind %d", c.name, f, ok, c.ecosystem, c.kind)
		}
	}
}

// The list is data other packages build on: every entry must be complete
// and reachable, or a file would be captured under the wrong ecosystem.
func TestEnvFilesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range EnvFiles() {
		if f.Name == "" || f.Ecosystem == "" || f.Kind < ManifestFile || f.Kind > OtherEnvFile || strings.Count(f.Name, "*") > 1 {
			t.Errorf("incomplete entry %+v", f)
		}
		if seen[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
		sample := strings.Replace(f.Name, "*", "1.11", 1)
		if got, _ := LookupEnvFile(sample); got != f {
			t.Errorf("%s is shadowed by %+v", f.Name, got)
		}
	}
}

func TestUpstreamPicksJuliaFilesAsJuliaDoes(t *testing.T) {
	files := func(names ...string) []SnapshotFile {
		var out []SnapshotFile
		for _, n := range names {
			out = append(out, NewSnapshotFile(n, "julia", []byte(n)))
		}
		return out
	}
	cases := []struct {
		what             string
		version          string
		files            []SnapshotFile
		project, manifst string
	}{
		{"plain", "1.11.5", files("Manifest.toml", "Project.toml"), "Project.toml", "Manifest.toml"},
		{"Julia-prefixed names first", "1.11.5", files("JuliaManifest.toml", "JuliaProject.toml", "Manifest.toml", "Project.toml"), "JuliaProject.toml", "JuliaManifest.toml"},
		{"the versioned manifest of the run's Julia first", "1.11.5", files("Manifest-v1.10.toml", "Manifest-v1.11.toml", "Manifest.toml", "Project.toml"), "Project.toml", "Manifest-v1.11.toml"},
		{"JuliaManifest-v before Manifest-v", "1.11.0-rc1", files("JuliaManifest-v1.11.toml", "Manifest-v1.11.toml", "Project.toml"), "Project.toml", "JuliaManifest-v1.11.toml"},
		{"another version's manifest after the unversioned one", "1.12.0", files("Manifest-v1.11.toml", "Manifest.toml", "Project.toml"), "Project.toml", "Manifest.toml"},
		{"only a versioned manifest, Julia unknown", "", files("JuliaManifest-v1.11.toml", "Project.toml"), "Project.toml", "JuliaManifest-v1.11.toml"},
		{"not in a subdirectory", "1.11.5", files("sub/Manifest.toml", "sub/Project.toml"), "", ""},
		{"no Julia files", "", files("go.mod"), "", ""},
	}
	for _, c := range cases {
		s := &Snapshot{Files: c.files, Runtimes: []Runtime{{Name: "julia", Version: c.version}}}
		env := s.Upstream()
		if env.ProjectTOML != c.project || env.ManifestTOML != c.manifst || env.JuliaVersion != c.version {
			t.Errorf("%s: project %q, manifest %q, julia %q; want %q, %q", c.what, env.ProjectTOML, env.ManifestTOML, env.JuliaVersion, c.project, c.manifst)
		}
	}
	skipped := &Snapshot{Files: files("Manifest.toml", "JuliaManifest.toml", "Project.toml")}
	skipped.Files[1].Skipped, skipped.Files[1].Content = "too large", nil
	if env := skipped.Upstream(); env.ManifestTOML != "Manifest.toml" {
		t.Errorf("a skipped JuliaManifest.toml must give way to Manifest.toml, got %q", env.ManifestTOML)
	}
}
