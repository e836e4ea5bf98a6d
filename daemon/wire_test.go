package daemon

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deardiary/deardiary-go/core"
)

// referenceID is what an id is on the wire, written without wireID: a number
// when it is an int64 of 0 or more in its one decimal form, else a string.
func referenceID(t testing.TB, id string) []byte {
	var v any = id
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && n >= 0 && strconv.FormatInt(n, 10) == id {
		v = n
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var idSeeds = []string{"0", "1", "42", "01", "-1", "+1", "1.0", "1e3", " 1", "9223372036854775807", "9223372036854775808",
	"99999999999999999999", "0192f3c4-5e6a-7b8c-9d0e-f1a2b3c4d5e6", "", "a<b&c>", `quo"te\`, "tab\there", "é", "\u2028", "\xff"}

func FuzzWireID(f *testing.F) {
	for _, id := range idSeeds {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got, err := json.Marshal(wireID(id))
		if want := referenceID(t, id); err != nil || string(got) != string(want) {
			t.Fatalf("%q marshals to %s (%v), want %s", id, got, err, want)
		}
		var back wireID
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q: %s does not read back: %v", id, got, err)
		}
		if utf8.ValidString(id) && string(back) != id {
			t.Fatalf("%q reads back as %q", id, back)
		}
		if list := appendWireIDs(nil, []string{id, id}); string(list) != "["+string(got)+","+string(got)+"]" {
			t.Fatalf("%q in a list: %s", id, list)
		}
	})
}

func TestWireIDReads(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`1`: "1", `"1"`: "1", `0`: "0", `"01"`: "01", `"-1"`: "-1", `9223372036854775807`: "9223372036854775807",
		`"0192f3c4-5e6a-7b8c-9d0e-f1a2b3c4d5e6"`: "0192f3c4-5e6a-7b8c-9d0e-f1a2b3c4d5e6", `""`: "", `"a\u0041\n"`: "aA\n",
	} {
		var id wireID
		if err := json.Unmarshal([]byte(in), &id); err != nil || string(id) != want {
			t.Errorf("%s reads as %q (%v), want %q", in, id, err, want)
		}
	}
	for _, in := range []string{`1.5`, `1e3`, `1.0`, `-1`, `-0`, `9223372036854775808`, `true`, `{}`, `[1]`} {
		var id wireID
		if err := json.Unmarshal([]byte(in), &id); err == nil {
			t.Errorf("%s reads as %q, want an error", in, id)
		}
	}
	var nullable struct {
		ID *wireID `json:"resource_id"`
	}
	if err := json.Unmarshal([]byte(`{"resource_id": null}`), &nullable); err != nil || nullable.ID != nil {
		t.Errorf("null reads as %v (%v)", nullable.ID, err)
	}
	var ids wireIDs
	if err := json.Unmarshal([]byte(`[1, "2", "0192f3c4-5e6a-7b8c-9d0e-f1a2b3c4d5e6"]`), &ids); err != nil || strings.Join(ids, " ") != "1 2 0192f3c4-5e6a-7b8c-9d0e-f1a2b3c4d5e6" {
		t.Errorf("a list reads as %q (%v)", ids, err)
	}
	if b, _ := json.Marshal(wireIDs(nil)); string(b) != "[]" {
		t.Errorf("no ids marshal to %s", b)
	}
}

// TestNumericIDsInBodies: what DearDiary.jl 0.9.1 sends, integer ids as JSON
// numbers, decodes to the ids a store of integer ids holds; an id that is no
// integer is refused naming its field. (TestIntegerIDsOnTheWire takes the
// same through a route and the client.)
func TestNumericIDsInBodies(t *testing.T) {
	t.Parallel()
	var in versionCreateJSON
	if err := decodeBody(strings.NewReader(`{"iteration_id": 42, "resource_id": null, "description": "v"}`), &in, 1<<20); err != nil {
		t.Fatal(err)
	}
	if *in.IterationID != "42" || in.ResourceID != nil {
		t.Fatalf("decoded %+v", in)
	}
	for _, tc := range []struct {
		body, field string
		dst         any
	}{
		{`{"iteration_id": 4.2}`, "iteration_id", &versionCreateJSON{}},
		{`{"name": "p", "user_id": -3}`, "user_id", &projectCreateJSON{}},
		{`{"resource_id": true}`, "resource_id", &versionUpdateJSON{}},
	} {
		err := decodeBody(strings.NewReader(tc.body), tc.dst, 1<<20)
		if core.ErrorCode(err) != core.EInvalid || !strings.Contains(core.ErrorMessage(err), `"`+tc.field+`"`) {
			t.Errorf("%s: %v, want INVALID_PAYLOAD naming %s", tc.body, err, tc.field)
		}
	}
	out, _ := json.Marshal(versionCreateJSON{IterationID: (*wireID)(new("42")), ResourceID: optionalID("")})
	if string(out) != `{"iteration_id":42}` {
		t.Errorf("the client sends %s", out)
	}
	it, _ := json.Marshal(toIterationJSON(&core.Iteration{ID: "3", ExperimentID: "2", ParentID: "1"}))
	if !strings.Contains(string(it), `"id":3,"experiment_id":2,`) || !strings.Contains(string(it), `"parent_iteration_id":1,`) {
		t.Errorf("an iteration of integer ids answers %s", it)
	}
}

// TestRequestsSendWhatIsSet: a request sends the fields the client sets,
// zero values included, and no others.
func TestRequestsSendWhatIsSet(t *testing.T) {
	t.Parallel()
	for want, body := range map[string]any{
		`{"is_admin":false}`: userUpdateJSON{IsAdmin: new(false)},
		`{"julia_version":"","git_sha":"","git_dirty":false,"entrypoint":"","project_toml":"","manifest_toml":""}`: environmentSetJSON{
			new(""), new(""), new(false), new(""), new(""), new("")},
		`{"create_permission":false}`:            permissionFlagsJSON{Create: new(false)},
		`{"key":"loss","value":0}`:               metricIn{Key: "loss", Value: "0"},
		`{"notes":""}`:                           iterationCreateJSON{new("")},
		`{"resource_id":""}`:                     versionUpdateJSON{ResourceID: (*wireID)(new(""))},
		`{}`:                                     versionUpdateJSON{},
		`{"params":[],"metrics":[],"tags":null}`: batchJSON{Params: []paramIn{}, metricBatchIn: metricBatchIn{Metrics: []metricIn{}}},
	} {
		if got, err := json.Marshal(body); err != nil || string(got) != want {
			t.Errorf("%T sends %s (%v), want %s", body, got, err, want)
		}
	}
}
