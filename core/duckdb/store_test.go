package duckdb_test

import (
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/duckdb"
	"github.com/deardiary/deardiary-go/core/trackertest"
)

func openMemory(t *testing.T) core.Tracker {
	s, err := duckdb.Open(":memory:", duckdb.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	trackertest.Run(t, openMemory)
}

func TestConformanceFile(t *testing.T) {
	t.Parallel()
	trackertest.Run(t, func(t *testing.T) core.Tracker {
		dir := t.TempDir()
		s, err := duckdb.Open(filepath.Join(dir, "deardiary.db"), duckdb.WithBcryptCost(bcrypt.MinCost),
			duckdb.WithArtifacts(core.BackendFilesystem, filepath.Join(dir, "artifacts")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestConformanceIntegerIDs runs the suite on a file with DearDiary.jl
// 0.9.1's integer ids: the store behaves the same on either kind.
func TestConformanceIntegerIDs(t *testing.T) {
	t.Parallel()
	trackertest.Run(t, func(t *testing.T) core.Tracker {
		dir := t.TempDir()
		s, err := duckdb.Open(filepath.Join(dir, "deardiary.db"), duckdb.WithBcryptCost(bcrypt.MinCost), duckdb.WithIntegerIDs(),
			duckdb.WithArtifacts(core.BackendFilesystem, filepath.Join(dir, "artifacts")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
