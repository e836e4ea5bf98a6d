package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/deardiary/deardiary-go/core"
)

// batchBody is a batch as the benchmarks and most clients send it.
func batchBody(n int) []byte {
	keys := []string{"loss", "accuracy", "val_loss", "lr"}
	var buf bytes.Buffer
	buf.WriteString(`{"metrics":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"key":%q,"value":%g,"step":%d}`, keys[i%len(keys)], float64(i)/7, 1000+i/len(keys))
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// agree checks that where the fast parsers accept data, the strict decoder
// (checkJSON, then encoding/json) reads the same from it.
func agree(t *testing.T, data []byte) (batch, point bool) {
	t.Helper()
	return agreeOn(t, data, parseMetricBatch), agreeOn(t, data, parseMetric)
}

func agreeOn[T any](t *testing.T, data []byte, parse func([]byte, *T) bool) bool {
	t.Helper()
	var fast, std T
	if !parse(data, &fast) {
		return false
	}
	if err := decodeStrict(data, &std, 1<<30); err != nil {
		t.Fatalf("%q: the fast path took a %T the strict decoder refuses: %v", data, fast, err)
	}
	if !reflect.DeepEqual(fast, std) {
		t.Fatalf("%q: the fast path read %+v, encoding/json %+v", data, fast, std)
	}
	return true
}

var fastSeeds = []string{
	`{"metrics":[]}`,
	`{"metrics":[{"key":"loss","value":0.5,"step":3}]}`,
	" {\n\t\"step\" : -7 , \"recorded_at\":\"2026-11-23T18:00:00Z\", \"metrics\" : [ { \"value\" : -1.5e-3 , \"key\" : \"l\u00f6ss\" } ] } \r\n",
	`{"metrics":[{"key":"a","value":1,"recorded_at":"2026-01-01T00:00:00.000"}, {"key":"a","value":2}]}`,
	`{"key":"loss","value":0.25,"step":9223372036854775807}`,
	`{"key":"loss","value":1e400}`,
	`{}`,
	// Each of these goes to encoding/json.
	`{"metrics":[{"key":"lo\"ss","value":1}]}`,
	`{"metrics":[{"key":"loss","value":1,"step":1.5}]}`,
	`{"metrics":[{"key":"loss","value":1,"step":9223372036854775808}]}`,
	`{"metrics":[{"key":"loss","value":"1"}]}`,
	`{"key":"loss","value":"0.5"}`,
	`{"Metrics":[{"key":"loss","value":1}]}`,
	"{\"key\":\"loss\",\"value\":1,\"\u212aey\":\"x\"}",
	`{"metrics":[{"key":"lo\ud800ss","value":1}]}`,
	`{"key":"loss\u0000","value":1}`,
	`{"metrics":[{"key":null,"value":1}]}`,
	`{"metrics":[{"Key":"loss","value":1}]}`,
	`{"metrics":[{"key":"loss","value":1,"key":"acc"}]}`,
	`{"metrics":[{"key":"loss","value":1}],"metrics":[]}`,
	`{"metrics":[{"key":"loss","value":1,"unit":"s"}]}`,
	`{"metrics":[{"key":"loss","value":01}]}`,
	`{"metrics":[{"key":"loss","value":1}]} {}`,
	"{\"metrics\":[{\"key\":\"lo\xffss\",\"value\":1}]}",
	`{"metrics":[{"key":"loss","value":1},]}`,
	`{"metrics":[{"key":"loss","value":-}]}`,
	`[]`,
	``,
}

func TestFastPathsAgreeWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, seed := range fastSeeds {
		agree(t, []byte(seed))
	}
	// The common shapes do take the fast path.
	if batch, _ := agree(t, batchBody(1000)); !batch {
		t.Error("a plain batch of 1,000 points missed the fast path")
	}
	if _, point := agree(t, []byte(`{"key":"loss","value":0.123456,"step":42}`)); !point {
		t.Error("a plain point missed the fast path")
	}
	// What the fast path refuses must not leave anything behind.
	in := metricBatchIn{Metrics: []metricIn{{Key: "kept"}}}
	if parseMetricBatch([]byte(`{"step":1,"metrics":[{"key":"x","value":1,"odd":0}]}`), &in) || in.Step != nil || in.Metrics[0].Key != "kept" {
		t.Errorf("a refused batch changed its destination: %+v", in)
	}
}

func FuzzParseMetricBatch(f *testing.F) {
	for _, seed := range fastSeeds {
		f.Add([]byte(seed))
	}
	f.Add(batchBody(3))
	f.Fuzz(func(t *testing.T, data []byte) { agree(t, data) })
}

func BenchmarkDecodeBatch(b *testing.B) {
	body := batchBody(1000)
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var in metricBatchIn
			if err := decodeBody(bytes.NewReader(body), &in, 1<<30); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			var in metricBatchIn
			if !parseMetricBatch(body, &in) {
				b.Fatal("refused")
			}
		}
	})
}

// TestCreatedIDsAgreeWithEncodingJSON: a batch's answer is byte for byte what
// encoding/json writes for its ids as numbers and strings.
func TestCreatedIDsAgreeWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, ids := range [][]string{nil, {"1", "2"}, idSeeds, batchIDs(3)} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSON(want, http.StatusCreated, map[string][]json.RawMessage{"metric_ids": mapSlice(ids, func(id string) json.RawMessage {
			return referenceID(t, id)
		})})
		if createdIDs(got, "metric_ids", ids); got.Body.String() != want.Body.String() || got.Code != want.Code ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%q: answered %s, encoding/json %s", ids, got.Body, want.Body)
		}
	}
}

// TestCreatedAgreesWithEncodingJSON: a single id's answer is byte for byte
// what encoding/json writes for it.
func TestCreatedAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, id := range append(slices.Clone(idSeeds), "1", batchIDs(1)[0]) {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSON(want, http.StatusCreated, map[string]json.RawMessage{"metric_id": referenceID(t, id)})
		if created(got, "metric_id", id); got.Body.String() != want.Body.String() || got.Code != want.Code ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%q: answered %s, encoding/json %s", id, got.Body, want.Body)
		}
	}
}

// TestCreatedBatchAgreesWithEncodingJSON: the answer to /iteration/{id}/batch
// is byte for byte what encoding/json writes for its three lists.
func TestCreatedBatchAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, res := range []*core.BatchResult{{}, {MetricIDs: batchIDs(3), ParameterIDs: []string{"1", "2"}, TagIDs: idSeeds}} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSON(want, http.StatusCreated, map[string]wireIDs{"parameter_ids": res.ParameterIDs, "metric_ids": res.MetricIDs, "tag_ids": res.TagIDs})
		if createdBatch(got, res); got.Body.String() != want.Body.String() || got.Code != want.Code ||
			got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
			t.Errorf("%+v: answered %s, encoding/json %s", res, got.Body, want.Body)
		}
	}
}

func batchIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("0192f3c4-5e6a-7b8c-9d0e-%012x", i)
	}
	return ids
}

func BenchmarkCreatedIDs(b *testing.B) {
	ids := batchIDs(1000)
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), http.StatusCreated, map[string]wireIDs{"metric_ids": ids})
		}
	})
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			createdIDs(httptest.NewRecorder(), "metric_ids", ids)
		}
	})
}
