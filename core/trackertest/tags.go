package trackertest

import "github.com/deardiary/deardiary-go/core"

func tagValues(h *H, kind core.Kind, id string) string {
	h.Helper()
	tags, err := h.Tracker.ListTags(h.Ctx, kind, id)
	h.Must(err)
	return fmtSlice(ids(tags, func(t *core.Tag) string { return t.Value }))
}

func tagsCases() []testCase {
	return []testCase{
		testCase{"CreateAndGet", func(h *H) {
			id := h.MustID(h.Tracker.CreateTag(h.Ctx, "baseline"))
			t, err := h.Tracker.GetTag(h.Ctx, id)
			h.Must(err)
			Equal(h, "value", t.Value, "baseline")
			byValue, err := h.Tracker.GetTagByValue(h.Ctx, "baseline")
			h.Must(err)
			Equal(h, "by value", byValue.ID, id)
			_, err = h.Tracker.CreateTag(h.Ctx, "baseline")
			h.Code(err, core.EConflict)
			_, err = h.Tracker.CreateTag(h.Ctx, "")
			h.Code(err, core.EInvalid)
			Gone(h, "unknown tag", func() (*core.Tag, error) { return h.Tracker.GetTag(h.Ctx, "9999") })
		}},
		testCase{"AttachInOrderEverywhere", func(h *H) {
			p, e, it := h.Run()
			for kind, id := range map[core.Kind]string{core.KindProject: p, core.KindExperiment: e, core.KindIteration: it} {
				h.MustID(h.Tracker.AttachTag(h.Ctx, kind, id, "tag-1"))
				h.MustID(h.Tracker.AttachTag(h.Ctx, kind, id, "tag-2"))
				Equal(h, string(kind)+" tags", tagValues(h, kind, id), "[tag-1 tag-2]")
				_, err := h.Tracker.AttachTag(h.Ctx, kind, id, "tag-1")
				h.Code(err, core.EConflict)
				_, err = h.Tracker.AttachTag(h.Ctx, kind, "00000000-0000-0000-0000-000000000000", "tag-1")
				h.Code(err, core.EInvalid)
			}
			_, err := h.Tracker.AttachTag(h.Ctx, core.KindIteration, it, "")
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.AttachTag(h.Ctx, core.Kind("model"), p, "x")
			h.Code(err, core.EInvalid)
			_, err = h.Tracker.ListTags(h.Ctx, core.Kind("model"), p)
			h.Code(err, core.EInvalid)
		}},
		testCase{"Detach", func(h *H) {
			_, e, _ := h.Run()
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindExperiment, e, "a"))
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindExperiment, e, "b"))
			h.Must(h.Tracker.DetachTag(h.Ctx, core.KindExperiment, e, "a"))
			Equal(h, "after detach", tagValues(h, core.KindExperiment, e), "[b]")
			if _, err := h.Tracker.GetTagByValue(h.Ctx, "a"); err != nil {
				h.Fatalf("a detached tag still exists: %v", err)
			}
			h.Code(h.Tracker.DetachTag(h.Ctx, core.KindExperiment, e, "a"), core.ENotFound)
			h.Code(h.Tracker.DetachTag(h.Ctx, core.KindExperiment, "9999", "b"), core.ENotFound)
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindExperiment, e, "a"))
			Equal(h, "reattached last", tagValues(h, core.KindExperiment, e), "[b a]")
		}},
		testCase{"DeleteOnlyWhenDetached", func(h *H) {
			// As upstream's foreign keys have it: an attached tag is not
			// deleted from under its entities; detach it first.
			p, e, it := h.Run()
			unattached := h.MustID(h.Tracker.CreateTag(h.Ctx, "loose"))
			h.Must(h.Tracker.DeleteTag(h.Ctx, unattached))
			Gone(h, "deleted tag", func() (*core.Tag, error) { return h.Tracker.GetTag(h.Ctx, unattached) })
			h.Code(h.Tracker.DeleteTag(h.Ctx, unattached), core.ENotFound)
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindProject, p, "wide"))
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindExperiment, e, "wide"))
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindIteration, it, "wide"))
			h.MustID(h.Tracker.AttachTag(h.Ctx, core.KindIteration, it, "stays"))
			wide, err := h.Tracker.GetTagByValue(h.Ctx, "wide")
			h.Must(err)
			h.Code(h.Tracker.DeleteTag(h.Ctx, wide.ID), core.EConflict)
			Equal(h, "iteration tags after the refusal", tagValues(h, core.KindIteration, it), "[wide stays]")
			h.Must(h.Tracker.DetachTag(h.Ctx, core.KindProject, p, "wide"))
			h.Must(h.Tracker.DetachTag(h.Ctx, core.KindExperiment, e, "wide"))
			h.Code(h.Tracker.DeleteTag(h.Ctx, wide.ID), core.EConflict)
			h.Must(h.Tracker.DetachTag(h.Ctx, core.KindIteration, it, "wide"))
			h.Must(h.Tracker.DeleteTag(h.Ctx, wide.ID))
			Gone(h, "detached, then deleted", func() (*core.Tag, error) { return h.Tracker.GetTag(h.Ctx, wide.ID) })
			Equal(h, "iteration tags", tagValues(h, core.KindIteration, it), "[stays]")
		}},
	}
}
