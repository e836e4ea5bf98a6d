package daemon_test

import (
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon/daemontest"
)

// TestNewExperimentIsInProgress: a new experiment starts IN_PROGRESS; any
// other status_id in the request, defined or not, is a 422 and creates
// nothing.
func TestNewExperimentIsInProgress(t *testing.T) {
	t.Parallel()
	m := startServer(t, nil)
	c := daemontest.API{T: t, Base: m.URL}
	p, _, _ := c.Seed()
	for _, status := range []any{2, 3, 9, 0, -1, "1"} {
		c.Expect(c.Do("POST", "/experiment/project/"+p, map[string]any{"status_id": status, "name": "E2"}), 422, core.EInvalid)
	}
	if n := c.Expect(c.Do("GET", "/experiment/project/"+p, nil), 200, "").JSON()["total"]; n != float64(1) {
		t.Fatalf("%v experiments after the refused creates, want the seeded one", n)
	}
	for _, body := range []map[string]any{{"status_id": 1, "name": "E2"}, {"name": "E3"}} {
		id := c.Expect(c.Do("POST", "/experiment/project/"+p, body), 201, "").ID("experiment_id")
		if got := c.Expect(c.Do("GET", "/experiment/"+id, nil), 200, "").JSON()["status_id"]; got != float64(core.ExperimentInProgress) {
			t.Fatalf("%v: status_id %v", body, got)
		}
	}
}
