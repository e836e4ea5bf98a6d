package lockfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// drift is the shape of testdata/lockfiles/<eco>/expected.json; a nil
// version is an entry that names none.
type drift struct {
	Added   map[string]*string    `json:"added"`
	Removed map[string]*string    `json:"removed"`
	Changed map[string][2]*string `json:"changed"`
}

// TestRealPairs reads the lock files of seven public projects at two commits
// each and compares the package changes with the ones written out by hand
// beside them (testdata/lockfiles/README.md says how they were made).
func TestRealPairs(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "lockfiles")
	for eco, file := range map[string]string{
		"uv": "uv.lock", "poetry": "poetry.lock", "pip": "requirements.txt", "go": "go.mod",
		"cargo": "Cargo.lock", "npm": "package-lock.json", "julia": "Manifest.toml",
	} {
		t.Run(eco, func(t *testing.T) {
			t.Parallel()
			read := func(side string) Versions {
				content, err := os.ReadFile(filepath.Join(root, eco, side, file))
				if err != nil {
					t.Fatal(err)
				}
				v, ok := Parse(file, content)
				if !ok {
					t.Fatalf("%s/%s: Parse ok = false", side, file)
				}
				return v
			}
			got := toDrift(Diff(read("a"), read("b")))

			raw, err := os.ReadFile(filepath.Join(root, eco, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want drift
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("drift differs from expected.json:\n%s", describeDrift(got, want))
			}
		})
	}
}

func toDrift(changes []Change) drift {
	version := func(s string) *string {
		if s == noVersion {
			return nil
		}
		return &s
	}
	d := drift{Added: map[string]*string{}, Removed: map[string]*string{}, Changed: map[string][2]*string{}}
	for _, c := range changes {
		switch c.Kind() {
		case "added":
			d.Added[c.Name] = version(c.New)
		case "removed":
			d.Removed[c.Name] = version(c.Old)
		default:
			d.Changed[c.Name] = [2]*string{version(c.Old), version(c.New)}
		}
	}
	return d
}

// describeDrift lists how got differs from want, one package a line.
func describeDrift(got, want drift) string {
	show := func(v *string) string {
		if v == nil {
			return "null"
		}
		return fmt.Sprintf("%q", *v)
	}
	var lines []string
	for _, kind := range []struct {
		name      string
		got, want map[string]string
	}{
		{"added", flat(got.Added, show), flat(want.Added, show)},
		{"removed", flat(got.Removed, show), flat(want.Removed, show)},
		{"changed", flatPairs(got.Changed, show), flatPairs(want.Changed, show)},
	} {
		for name, g := range kind.got {
			if w, ok := kind.want[name]; !ok {
				lines = append(lines, fmt.Sprintf("  %s %s %s: not expected", kind.name, name, g))
			} else if w != g {
				lines = append(lines, fmt.Sprintf("  %s %s: %s, want %s", kind.name, name, g, w))
			}
		}
		for name, w := range kind.want {
			if _, ok := kind.got[name]; !ok {
				lines = append(lines, fmt.Sprintf("  %s %s %s: missing", kind.name, name, w))
			}
		}
	}
	slices.Sort(lines)
	lines = append(lines, fmt.Sprintf("  counts: %d added, %d removed, %d changed; want %d, %d, %d",
		len(got.Added), len(got.Removed), len(got.Changed), len(want.Added), len(want.Removed), len(want.Changed)))
	return strings.Join(lines, "\n")
}

func flat(m map[string]*string, show func(*string) string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = show(v)
	}
	return out
}

func flatPairs(m map[string][2]*string, show func(*string) string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = show(v[0]) + " -> " + show(v[1])
	}
	return out
}
