package trackertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

func readAll(h *H, id string) []byte {
	h.Helper()
	r, err := h.Tracker.OpenResource(h.Ctx, id)
	h.Must(err)
	defer r.Close()
	b, err := io.ReadAll(r)
	h.Must(err)
	return b
}

func resourcesCases() []testCase {
	return []testCase{
		testCase{"CreateAndRead", func(h *H) {
			_, e, _ := h.Run()
			id := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: "greeting", Description: "hi"}, strings.NewReader("hello")))
			r, err := h.Tracker.GetResource(h.Ctx, id)
			h.Must(err)
			Equal(h, "experiment", r.ExperimentID, e)
			Equal(h, "name", r.Name, "greeting")
			Equal(h, "description", r.Description, "hi")
			Equal(h, "size", r.SizeBytes, int64(5))
			Equal(h, "sha256", r.ContentHash, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
			if r.Backend == "" {
				h.Fatal("backend not recorded")
			}
			Equal(h, "bytes", string(readAll(h, id)), "hello")
			h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: "empty"}, bytes.NewReader(nil)))
			all, total, err := h.Tracker.ListResources(h.Ctx, core.ResourceFilter{ExperimentID: e})
			h.Must(err)
			Equal(h, "total", total, 2)
			Equal(h, "listed", len(all), 2)
			Equal(h, "empty resource", len(readAll(h, all[1].ID)), 0)
		}},
		testCase{"LargeBytesRoundTrip", func(h *H) {
			_, e, _ := h.Run()
			data := make([]byte, 8<<20)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range data {
				data[i] = byte(rng.UintN(256))
			}
			id := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: "weights.bin"}, bytes.NewReader(data)))
			sum := sha256.Sum256(data)
			r, err := h.Tracker.GetResource(h.Ctx, id)
			h.Must(err)
			Equal(h, "size", r.SizeBytes, int64(len(data)))
			Equal(h, "hash", r.ContentHash, hex.EncodeToString(sum[:]))
			if !bytes.Equal(readAll(h, id), data) {
				h.Fatal("bytes differ")
			}
		}},
		testCase{"CreateRejectsBadInput", func(h *H) {
			_, e, _ := h.Run()
			_, err := h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: "00000000-0000-0000-0000-000000000000", Name: "r"}, strings.NewReader("x"))
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: ""}, strings.NewReader("x"))
			h.Code(err, core.EInvalid)
			_, total, err := h.Tracker.ListResources(h.Ctx, core.ResourceFilter{ExperimentID: e})
			h.Must(err)
			Equal(h, "resources", total, 0)
		}},
		testCase{"Update", func(h *H) {
			_, e, _ := h.Run()
			id := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: "a"}, strings.NewReader("one")))
			before := time.Now()
			h.Must(h.Tracker.UpdateResource(h.Ctx, id, core.ResourceUpdate{Name: new("b"), Description: new("new bytes"), Data: strings.NewReader("two!")}))
			r, err := h.Tracker.GetResource(h.Ctx, id)
			h.Must(err)
			Equal(h, "name", r.Name, "b")
			Equal(h, "description", r.Description, "new bytes")
			Equal(h, "size", r.SizeBytes, int64(4))
			Near(h, "updated", r.UpdatedDate, before)
			Equal(h, "bytes", string(readAll(h, id)), "two!")
			h.Must(h.Tracker.UpdateResource(h.Ctx, id, core.ResourceUpdate{Description: new("only this")}))
			Equal(h, "bytes kept", string(readAll(h, id)), "two!")
			h.Code(h.Tracker.UpdateResource(h.Ctx, id, core.ResourceUpdate{Name: new("")}), core.EInvalid)
			h.Code(h.Tracker.UpdateResource(h.Ctx, "9999", core.ResourceUpdate{Name: new("x")}), core.ENotFound)
		}},
		testCase{"Delete", func(h *H) {
			p, e, it := h.Run()
			id := h.MustID(h.Tracker.CreateResource(h.Ctx, core.ResourceCreate{ExperimentID: e, Name: "ckpt"}, strings.NewReader("w")))
			model := h.MustID(h.Tracker.CreateModel(h.Ctx, core.ModelCreate{ProjectID: p, Name: "m"}))
			v := h.MustID(h.Tracker.CreateModelVersion(h.Ctx, core.ModelVersionCreate{ModelID: model, IterationID: it, ResourceID: id}))
			h.Must(h.Tracker.DeleteResource(h.Ctx, id))
			Gone(h, "deleted resource", func() (*core.Resource, error) { return h.Tracker.GetResource(h.Ctx, id) })
			Gone(h, "its bytes", func() (io.ReadCloser, error) { return h.Tracker.OpenResource(h.Ctx, id) })
			version, err := h.Tracker.GetModelVersion(h.Ctx, v)
			h.Must(err)
			Equal(h, "version lost its resource", version.ResourceID, "")
			h.Code(h.Tracker.DeleteResource(h.Ctx, id), core.ENotFound)
		}},
	}
}
