package lockfile

import (
	"fmt"
	"strings"
	"testing"
)

// fuzzNames are the file names FuzzParse picks from: every supported format
// and one unsupported name.
var fuzzNames = []string{
	"Manifest.toml", "Manifest-v1.11.toml", "go.mod", "Cargo.lock", "uv.lock", "poetry.lock",
	"package-lock.json", "requirements.txt", "yarn.lock",
}

var fuzzSeeds = map[string][]string{
	"Manifest.toml":     {juliaManifestV2, juliaManifestV1},
	"go.mod":            {goMod},
	"Cargo.lock":        {cargoLock},
	"uv.lock":           {uvLock},
	"poetry.lock":       {poetryLock},
	"package-lock.json": {packageLockV3, packageLockV1},
	"requirements.txt":  {requirementsTxt},
}

func FuzzParse(f *testing.F) {
	for i, name := range fuzzNames {
		for _, seed := range fuzzSeeds[name] {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Add(uint8(0), []byte("[[deps.\"\\u0041\"]]\nversion = \"\"\"\n1\\\n  .0\"\"\"\n"))
	f.Add(uint8(3), []byte("[[package]]\nname = 'x'\ndependencies = [\"]\", {a = [1, \"}\"]}, # ]\n]\nversion = '1'"))
	f.Fuzz(func(t *testing.T, which uint8, content []byte) {
		name := fuzzNames[int(which)%len(fuzzNames)]
		v, ok := Parse(name, content)
		if ok && !Supported(name) || !ok && v != nil {
			t.Fatalf("Parse(%q) = %v, %v", name, v, ok)
		}
		for k := range v {
			if k == "" {
				t.Fatalf("Parse(%q, %q) has an empty package name (version %q)", name, content, v[k])
			}
			if (name == "requirements.txt" || name == "uv.lock" || name == "poetry.lock") && pep503(k) != k {
				t.Fatalf("Parse(%q, %q): name %q is not normalised", name, content, k)
			}
		}
	})
}

func FuzzTextDiff(f *testing.F) {
	for _, seeds := range fuzzSeeds {
		for _, seed := range seeds {
			f.Add([]byte(seed), []byte(strings.Replace(seed, "1", "2", 1)), uint8(3))
			f.Add([]byte(seed), []byte(strings.ReplaceAll(seed, "\n", "\r\n")), uint8(0))
		}
	}
	f.Add([]byte(cargoLock), []byte(uvLock), uint8(1))
	f.Add([]byte("a\nb\nc\na\nb\nb\na\n"), []byte("c\nb\na\nb\na\nc\n"), uint8(1))
	f.Add([]byte(""), []byte("x"), uint8(0))
	f.Fuzz(func(t *testing.T, a, b []byte, context uint8) {
		ctx := int(context % 8)
		got := TextDiff(a, b, ctx)

		// The invariant the UI relies on: the diff accounts for every
		// line of a exactly once.
		n := 0
		for _, l := range got {
			switch l.Op {
			case ' ', '-':
				n++
			case '~':
				var hidden int
				fmt.Sscanf(l.Text, "… %d unchanged lines", &hidden)
				n += hidden
			}
		}
		if want := len(refLines(string(a))); n != want {
			t.Fatalf("TextDiff(%q, %q, %d) accounts for %d lines of a, want %d:%s", a, b, ctx, n, want, showLines(got))
		}
		if err := checkDiff(string(a), string(b), ctx, got); err != nil {
			t.Fatalf("TextDiff(%q, %q, %d): %v%s", a, b, ctx, err, showLines(got))
		}
		al, bl := refLines(string(a)), refLines(string(b))
		if len(al)+len(bl) <= exactSize {
			if edits, want := countEdits(got), minEdits(al, bl); edits != want {
				t.Fatalf("TextDiff(%q, %q): %d edits, want the minimum %d", a, b, edits, want)
			}
		}
	})
}
