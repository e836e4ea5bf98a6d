package lockfile

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		content string
		want    Versions
	}{
		{
			name: "julia manifest format 2", path: "Manifest.toml", content: juliaManifestV2,
			want: Versions{"Adapt": "4.0.4", "Flux": "0.14.15", "LinearAlgebra": "", "Quoted.Name": "1.0.0", "Twin": "0.9.1, 0.10.0"},
		},
		{
			name: "julia manifest format 1", path: "/runs/7/env/JuliaManifest.toml", content: juliaManifestV1,
			want: Versions{"Adapt": "3.3.1", "Base64": "", "Zygote": "0.6.33"},
		},
		{
			name: "versioned julia manifest", path: "Manifest-v1.11.toml", content: juliaManifestV2,
			want: Versions{"Adapt": "4.0.4", "Flux": "0.14.15", "LinearAlgebra": "", "Quoted.Name": "1.0.0", "Twin": "0.9.1, 0.10.0"},
		},
		{
			// Required versions, replace directives not applied.
			name: "go.mod", path: "go.mod", content: goMod,
			want: Versions{
				"github.com/google/uuid": "v1.6.0", "github.com/AlecAivazis/survey/v2": "v2.3.7", "golang.org/x/mod": "v0.10.0",
				"github.com/blang/semver": "v3.5.1+incompatible", "gopkg.in/yaml.v3": "v3.0.1",
			},
		},
		{
			name: "go.mod with a damaged line", path: "go.mod",
			content: "module m\n\nrequire (\n\ta.example/x v1.0.0\n\tnot a require line\n\tb.example/y/v2 v2.0.0\n\tc.example/z v2.0.0\n)\n\ngo 1.22 1.23\n",
			want:    Versions{"a.example/x": "v1.0.0", "b.example/y/v2": "v2.0.0"},
		},
		{name: "empty go.mod", path: "go.mod", content: "", want: Versions{}},
		{
			name: "Cargo.lock", path: `C:\work\Cargo.lock`, content: cargoLock,
			want: Versions{"anyhow": "1.0.86", "mycrate": "0.1.0", "syn": "1.0.109, 2.0.72"},
		},
		{
			name: "uv.lock", path: "uv.lock", content: uvLock,
			want: Versions{"filelock": "3.15.4", "numpy": "1.26.4, 2.0.1", "torch": "2.4.0", "trainer": "0.1.0", "dynamic": ""},
		},
		{
			// As Python's index does, and unlike Cargo (see the next case).
			name: "uv.lock names PEP 503-normalised", path: "uv.lock",
			content: "[[package]]\nname = \"Zope.Interface\"\nversion = \"6.4\"\n\n[[package]]\nname = \"zope_interface\"\nversion = \"7.0\"\n",
			want:    Versions{"zope-interface": "6.4, 7.0"},
		},
		{
			name: "Cargo.lock names as written", path: "Cargo.lock",
			content: "[[package]]\nname = \"Zope.Interface\"\nversion = \"6.4\"\n\n[[package]]\nname = \"zope_interface\"\nversion = \"7.0\"\n",
			want:    Versions{"Zope.Interface": "6.4", "zope_interface": "7.0"},
		},
		{
			name: "poetry.lock", path: "poetry.lock", content: poetryLock,
			want: Versions{"certifi": "2024.7.4", "requests": "2.32.3", "urllib3": "2.2.2"},
		},
		{
			name: "package-lock.json v3", path: "package-lock.json", content: packageLockV3,
			// Top-level folders only; the workspace link takes its folder's version.
			want: Versions{"@tensorflow/tfjs-node": "4.20.0", "lodash": "4.17.21", "my-lib": "0.2.0"},
		},
		{
			name: "package-lock.json v1", path: "package-lock.json", content: packageLockV1,
			want: Versions{"debug": "2.6.9", "lodash": "4.17.21"},
		},
		{
			name: "requirements.txt", path: "requirements.txt", content: requirementsTxt,
			want: Versions{
				"torch":                        "2.3.1+cu121",
				"numpy":                        ">=1.26,<2.0",
				"pillow":                       "10.3.0",
				"scikit-learn":                 "1.5.0",
				"zope-interface-extra":         "6.4",
				"typing-extensions":            "",
				"requests":                     "~=2.32",
				"pytorch-lightning":            "2.2.5",
				"tensorflow-io-gcs-filesystem": "0.37.0",
				"mypkg":                        "@ https://example.com/mypkg-1.0.tar.gz#sha256=0123",
			},
		},
		{
			name: "requirements-dev.txt", path: "requirements-dev.txt", content: "pytest>=8\nruff==0.5.0\n",
			want: Versions{"pytest": ">=8", "ruff": "0.5.0"},
		},
		{name: "empty Cargo.lock", path: "Cargo.lock", content: "", want: Versions{}},
		{name: "truncated uv.lock", path: "uv.lock", content: uvLock[:strings.Index(uvLock, `name = "numpy"`)+10], want: Versions{"filelock": "3.15.4"}},
		{
			// Everything before the damage is kept, the entry it cuts short
			// too when its name was read; nothing after it.
			name: "damaged Cargo.lock", path: "Cargo.lock",
			content: "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nchecksum = \"unterminated\nversion = \"2.0.0\"\n\n[[package]]\nname = \"c\"\nversion = \"3.0.0\"\n",
			want:    Versions{"a": "1.0.0", "b": ""},
		},
		{name: "mistyped package-lock.json", path: "package-lock.json", content: `{"packages": [], "dependencies": {"a": {"version": "1"}, "b": 7, "c": {"version": 2}}}`, want: Versions{"a": "1", "b": "", "c": ""}},
		{
			name: "package-lock.json keys that are not top-level packages", path: "package-lock.json",
			content: `{"packages": {"": {"version": "1"}, "node_modules/": {}, "node_modules/@scope": {"version": "1"}, "node_modules/@s/": {},
				"node_modules/@s/x/y": {}, "node_modules/a/node_modules/b": {"version": "1"}, "packages/w": {"version": "1"},
				"node_modules/@s/ok": {"version": "2", "link": "true"}, "node_modules/lnk": {"link": true, "resolved": "nowhere"}}}`,
			want: Versions{"@s/ok": "2", "lnk": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.path, []byte(tt.content))
			if !ok {
				t.Fatalf("Parse(%q) ok = false, want true", tt.path)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("Parse(%q):\n%s", tt.path, versionsDiff(got, tt.want))
			}
		})
	}
}

// versionsDiff describes how got differs from want, one package a line.
func versionsDiff(got, want Versions) string {
	var b strings.Builder
	names := map[string]bool{}
	for k := range got {
		names[k] = true
	}
	for k := range want {
		names[k] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		g, gok := got[name]
		w, wok := want[name]
		switch {
		case !wok:
			fmt.Fprintf(&b, "  unexpected %q = %q\n", name, g)
		case !gok:
			fmt.Fprintf(&b, "  missing %q (want %q)\n", name, w)
		case g != w:
			fmt.Fprintf(&b, "  %q = %q, want %q\n", name, g, w)
		}
	}
	return b.String()
}

// Captured files may come from Windows machines and editors that add a BOM;
// neither may change what is read.
func TestParseCRLFAndBOM(t *testing.T) {
	for _, tt := range []struct{ path, content string }{
		{"Manifest.toml", juliaManifestV2},
		{"Manifest.toml", juliaManifestV1},
		{"go.mod", goMod},
		{"Cargo.lock", cargoLock},
		{"uv.lock", uvLock},
		{"poetry.lock", poetryLock},
		{"package-lock.json", packageLockV3},
		{"requirements.txt", requirementsTxt},
	} {
		want, _ := Parse(tt.path, []byte(tt.content))
		windows := "\xEF\xBB\xBF" + strings.ReplaceAll(tt.content, "\n", "\r\n")
		got, ok := Parse(tt.path, []byte(windows))
		if !ok || !maps.Equal(got, want) {
			t.Errorf("Parse(%q) with CRLF and BOM differs from LF:\n%s", tt.path, versionsDiff(got, want))
		}
	}
}

func TestParseUnknown(t *testing.T) {
	for _, path := range []string{"yarn.lock", "pnpm-lock.yaml", "environment.yml", "Project.toml", "pyproject.toml", "go.sum", "go.work.sum", "requirements.in", "manifest.toml", "Manifest.toml.bak", "sub/Manifest-v1.11.toml/x", "", "dir/"} {
		if v, ok := Parse(path, []byte("name = \"x\"\n")); ok || v != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, false", path, v, ok)
		}
	}
}

// What no reader can make anything of is left to the text diff.
func TestParseUnreadable(t *testing.T) {
	for _, tt := range []struct{ path, content string }{
		{"go.mod", "require (\n\ta.example/x v1.0.0\n"}, // the block never closes
		{"package-lock.json", `{"packages": {`},
		{"Cargo.lock", "[[package]\nname = \"x\"\nversion = \"1\"\n"},
		{"Manifest.toml", "= 1\n[[deps.A]]\nversion = \"1\"\n"},
		{"uv.lock", "\x00"},
	} {
		if v, ok := Parse(tt.path, []byte(tt.content)); ok || v != nil {
			t.Errorf("Parse(%q, %q) = %v, %v; want nil, false", tt.path, tt.content, v, ok)
		}
	}
}

func TestParseTOMLStrings(t *testing.T) {
	tests := []struct{ content, want string }{
		{`version = "1.0"`, "1.0"},
		{`version = 'C:\path'`, `C:\path`},
		{`version = "a\"b\\c\u00e9\U0001F600\x41"`, "a\"b\\cé😀A"},
		{`version = "bad\qescape"`, ""}, // not TOML: the library stops here
		{`version = "\u00e9t\u00e9"`, "été"},
		{"version = \"\"\"\nmulti\\\n    line\"\"\"\"", "multiline\""},
		{"version = '''\nraw\\n'''", `raw\n`},
		{`"version" = "quoted key"`, "quoted key"},
		{`version="tight"#comment`, "tight"},
		{`version = 3`, ""},
		{`version.major = "1"`, ""},
		{"version = \"unterminated\nname = \"x\"", ""},
	}
	for _, tt := range tests {
		content := "[[package]]\nname = \"p\"\n" + tt.content + "\n"
		got, _ := Parse("Cargo.lock", []byte(content))
		if got["p"] != tt.want {
			t.Errorf("Parse(Cargo.lock %q): version %q, want %q (all: %v)", tt.content, got["p"], tt.want, got)
		}
	}
}

func TestDiff(t *testing.T) {
	a := Versions{"adapt": "3.3.1", "flux": "0.13.0", "same": "1.0", "gone": "2.0", "stdlib": "", "pinned": "", "loosened": "1.0"}
	b := Versions{"adapt": "4.0.4", "flux": "0.13.0", "same": "1.0", "zygote": "0.6.0", "Added": "1", "newstd": "", "pinned": "2.0", "loosened": ""}
	want := []Change{
		{Name: "Added", New: "1"},
		{Name: "adapt", Old: "3.3.1", New: "4.0.4"},
		{Name: "gone", Old: "2.0"},
		{Name: "loosened", Old: "1.0", New: noVersion},
		{Name: "newstd", New: noVersion},
		{Name: "pinned", Old: noVersion, New: "2.0"},
		{Name: "stdlib", Old: noVersion},
		{Name: "zygote", New: "0.6.0"},
	}
	wantKind := []string{"added", "changed", "removed", "changed", "added", "changed", "removed", "added"}
	got := Diff(a, b)
	if !slices.Equal(got, want) {
		t.Fatalf("Diff:\n got %+v\nwant %+v", got, want)
	}
	for i, c := range got {
		if c.Kind() != wantKind[i] {
			t.Errorf("%+v.Kind() = %q, want %q", c, c.Kind(), wantKind[i])
		}
	}
	if d := Diff(a, a); len(d) != 0 {
		t.Errorf("Diff(a, a) = %+v, want none", d)
	}
	if d := Diff(nil, Versions{"x": "1"}); !slices.Equal(d, []Change{{Name: "x", New: "1"}}) {
		t.Errorf("Diff(nil, {x: 1}) = %+v", d)
	}
}

func TestCompareVersions(t *testing.T) {
	sorted := []string{"", "0.9.1", "0.10.0", "1.0", "1.0-rc1", "1.0.0", "2", "10", "v0.9.0", "v0.10.0", "v1.2.3"}
	for i := range sorted {
		for j := range sorted {
			if got, want := compareVersions(sorted[i], sorted[j]), cmpInt(i, j); got != want {
				t.Errorf("compareVersions(%q, %q) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// A 10 MB Manifest.toml, the size the tracker must handle comfortably.
func bigManifest(packages int) []byte {
	var b strings.Builder
	b.WriteString("julia_version = \"1.11.5\"\nmanifest_format = \"2.0\"\nproject_hash = \"abc\"\n\n")
	for i := range packages {
		fmt.Fprintf(&b, "[[deps.Package%d]]\ndeps = [\"Dep%d\", \"Dep%d\", \"LinearAlgebra\"]\ngit-tree-sha1 = \"%040x\"\nuuid = \"%08x-0000-0000-0000-000000000000\"\nversion = \"1.%d.0\"\n\n    [deps.Package%d.extensions]\n    Ext = \"Other\"\n\n", i, i+1, i+2, i, i, i%50, i)
	}
	return []byte(b.String())
}

func TestParseLargeManifest(t *testing.T) {
	content := bigManifest(45000)
	if len(content) < 10<<20 {
		t.Fatalf("fixture is %d bytes, want at least 10 MiB", len(content))
	}
	v, ok := Parse("Manifest.toml", content)
	if !ok || len(v) != 45000 || v["Package44999"] != "1.49.0" {
		t.Fatalf("Parse(10 MB Manifest.toml): ok %v, %d packages, Package44999 = %q", ok, len(v), v["Package44999"])
	}
}

func BenchmarkParseManifest(b *testing.B) {
	content := bigManifest(45000)
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		Parse("Manifest.toml", content)
	}
}
