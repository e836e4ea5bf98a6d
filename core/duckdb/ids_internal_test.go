package duckdb

import (
	"testing"

	"github.com/google/uuid"
)

// TestFillMakesCanonicalUUIDs checks the ids fill writes into one string:
// each is a version 7 UUID in the form uuid.String gives, all distinct, in
// the order they were made.
func TestFillMakesCanonicalUUIDs(t *testing.T) {
	ids := make([]string, 1000)
	newIDSource(false).fill("metric", ids)
	seen := map[string]bool{}
	for i, id := range ids {
		u, err := uuid.Parse(id)
		if err != nil {
			t.Fatalf("id %d %q: %v", i, id, err)
		}
		if u.String() != id || u.Version() != 7 {
			t.Fatalf("id %d %q is not a canonical version 7 UUID (%s, version %d)", i, id, u, u.Version())
		}
		if seen[id] {
			t.Fatalf("id %d %q given twice", i, id)
		}
		seen[id] = true
		if i > 0 && id < ids[i-1] {
			t.Fatalf("id %d %q sorts before the one made before it, %q", i, id, ids[i-1])
		}
	}
}
