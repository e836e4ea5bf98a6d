package snapshot

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/snapshot/lockfile"
)

// Capture, core.Snapshot.Upstream and the drift reader follow one list of
// file names (core.EnvFiles). This holds them together from the outside: a
// file the reader compares by package must be captured, and a captured
// file whose entry names a format must be read.
func TestCapturedAndReadFilesAgree(t *testing.T) {
	t.Parallel()
	// Names the drift reader has read so far, so that dropping one from
	// the list shows here and not only in a user's compare screen.
	read := []string{
		"Manifest.toml", "JuliaManifest.toml", "Manifest-v1.11.toml", "JuliaManifest-v1.11.toml",
		"Cargo.lock", "uv.lock", "poetry.lock", "package-lock.json", "npm-shrinkwrap.json",
		"requirements.txt", "requirements-dev.txt",
	}
	files := map[string]string{}
	for _, name := range read {
		files[name] = ""
	}
	for _, f := range core.EnvFiles() {
		name := strings.Replace(f.Name, "*", "-gpu", 1)
		if strings.Contains(f.Name, "Manifest-v") {
			name = strings.Replace(f.Name, "*", "1.10", 1)
		}
		files[name] = ""
		if !slices.ContainsFunc(ecosystems, func(e ecosystem) bool { return e.name == f.Ecosystem }) {
			t.Errorf("%s belongs to %q, which capture does not know", f.Name, f.Ecosystem)
		}
		if got := lockfile.Supported(name); got != (f.Format != "") {
			t.Errorf("lockfile.Supported(%q) = %v, but its format is %q", name, got, f.Format)
		}
	}
	for _, name := range read {
		if !lockfile.Supported(name) {
			t.Errorf("lockfile.Supported(%q) = false", name)
		}
	}

	dir := t.TempDir()
	write(t, dir, files)
	s := Capture(context.Background(), dir, Options{Entrypoint: "x"})
	for name := range files {
		f := s.File(name)
		if f == nil {
			t.Errorf("%s is not captured", name)
			continue
		}
		if want, _ := core.LookupEnvFile(name); f.Ecosystem != want.Ecosystem {
			t.Errorf("%s captured as %q, want %q", name, f.Ecosystem, want.Ecosystem)
		}
	}
	if len(s.Files) != len(files) {
		t.Errorf("captured %d files, want %d: %v", len(s.Files), len(files), paths(s))
	}
}
