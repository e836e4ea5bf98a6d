// Package snapshottest makes snapshots for tests of whatever stores, sends,
// shows or restores them.
package snapshottest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// Hostile returns a snapshot of about size bytes meant to strain whatever
// reads it, in six equal parts: a go.sum, a Julia Manifest and a uv.lock of
// many thousand packages each, a text file that is one single line, random
// binary bytes, and an uncommitted diff. Every 50th package's version
// depends on variant, so two variants drift apart as real runs do.
func Hostile(size, variant int) *core.Snapshot {
	part := max(size/6, 1)
	fill := func(write func(b *bytes.Buffer, i int)) []byte {
		var b bytes.Buffer
		b.Grow(part + 256)
		for i := 0; b.Len() < part; i++ {
			write(&b, i)
		}
		return b.Bytes()
	}
	minor := func(i int) int {
		if i%50 == 0 {
			return variant
		}
		return 0
	}
	goSum := fill(func(b *bytes.Buffer, i int) {
		fmt.Fprintf(b, "example.com/mod%06d v1.%d.%d h1:%043d=\n", i, minor(i), i%7, i)
		fmt.Fprintf(b, "example.com/mod%06d v1.%d.%d/go.mod h1:%043d=\n", i, minor(i), i%7, i+1)
	})
	manifest := fill(func(b *bytes.Buffer, i int) {
		if i == 0 {
			b.WriteString("# This file is machine-generated - editing it directly is not advised\n\njulia_version = \"1.11.2\"\nmanifest_format = \"2.0\"\n\n")
		}
		fmt.Fprintf(b, "[[deps.Pkg%06d]]\ndeps = [\"LinearAlgebra\", \"Random\"]\ngit-tree-sha1 = \"%040x\"\nuuid = \"%08x-0000-4000-8000-%012x\"\nversion = \"1.%d.0\"\n\n", i, i, i, i, minor(i))
	})
	uvLock := fill(func(b *bytes.Buffer, i int) {
		if i == 0 {
			b.WriteString("version = 1\nrequires-python = \">=3.11\"\n\n")
		}
		fmt.Fprintf(b, "[[package]]\nname = \"pkg%06d\"\nversion = \"2.%d.%d\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n", i, minor(i), i%5)
	})
	oneLine := fill(func(b *bytes.Buffer, i int) { fmt.Fprintf(b, "token%d=%d; ", i, i*variant) })
	binary := make([]byte, part)
	rng := rand.New(rand.NewPCG(uint64(variant), 42))
	for i := range binary {
		binary[i] = byte(rng.Uint32())
	}
	diff := fill(func(b *bytes.Buffer, i int) {
		fmt.Fprintf(b, "diff --git a/gen%d.go b/gen%d.go\n--- a/gen%d.go\n+++ b/gen%d.go\n@@ -1 +1 @@\n-const v = %d\n+const v = %d\n", i, i, i, i, i, i+variant)
	})
	s := &core.Snapshot{
		CapturedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
		Runtime:    "go", RuntimeVersion: "go1.26.0",
		Runtimes:   []core.Runtime{{Name: "go", Version: "go1.26.0"}, {Name: "julia", Version: "1.11.2"}, {Name: "python", Version: "3.12.7"}},
		Entrypoint: "train.go",
		Git:        core.GitState{Commit: fmt.Sprintf("%040x", variant), Dirty: true, Diff: diff, Branch: "main"},
	}
	for _, f := range []struct {
		path, eco string
		content   []byte
	}{
		{"go.sum", "go", goSum}, {"Manifest.toml", "julia", manifest}, {"uv.lock", "python", uvLock},
		{"notes/one-line.txt", "", oneLine}, {"data/weights.bin", "", binary},
	} {
		s.Files = append(s.Files, core.SnapshotFile{Path: f.path, Ecosystem: f.eco, Size: int64(len(f.content)), SHA256: core.SHA256Hex(f.content), Content: f.content})
	}
	return s
}
