package trackertest

import (
	"bytes"
	"reflect"
	"strings"
	"time"

	"github.com/deardiary/deardiary-go/core"
)

// awkwardSnapshot holds the files that break naive text handling: CRLF, a
// UTF-8 BOM, no trailing newline, bytes that are not UTF-8, an empty file,
// one of 10 MB, and a skipped one.
func awkwardSnapshot(iterationID string) *core.Snapshot {
	big := bytes.Repeat([]byte("name = \"Flux\"\r\nuuid = \"587475ba-b771-5e3f-ad9e-33799f191a9c\"\n"), 10<<20/64)
	skipped := core.NewSnapshotFile("data/huge.lock", "python", nil)
	skipped.Size, skipped.SHA256, skipped.Skipped = 20<<20, strings.Repeat("ab", 32), "too large (20.0 MiB > 16 MiB)"
	return &core.Snapshot{
		IterationID:    iterationID,
		CapturedAt:     time.Date(2026, 11, 23, 10, 0, 0, 123_000_000, time.UTC),
		Runtime:        "julia",
		RuntimeVersion: "1.11.5",
		Runtimes:       []core.Runtime{{Name: "julia", Version: "1.11.5"}, {Name: "python", Version: "3.11.7"}},
		Root:           "/home/ada/iris",
		Entrypoint:     "train.jl",
		Git: core.GitState{
			Commit: strings.Repeat("c0ffee", 6) + "0123", Dirty: true,
			Diff:      []byte("diff --git a/train.jl b/train.jl\nGIT binary patch\nliteral 3\n\x00\x01\x02\n"),
			Untracked: []string{"notes.txt", "scratch/a b.jl"}, Branch: "main", Remote: "https://github.com/ada/iris.git",
		},
		Files: []core.SnapshotFile{
			core.NewSnapshotFile("Manifest.toml", "julia", big),
			core.NewSnapshotFile("Project.toml", "julia", []byte("\ufeff[deps]\r\nFlux = \"587475ba\"\r\n")),
			core.NewSnapshotFile("data/empty.txt", "python", []byte{}),
			skipped,
			core.NewSnapshotFile("requirements.txt", "python", []byte("numpy==2.1.0\xff\xfe")),
		},
		Notes: []string{"rust: rustc not found"},
	}
}

func snapshotsCases() []testCase {
	return []testCase{
		testCase{"RoundTripsByteForByte", func(h *H) {
			_, _, it := h.Run()
			want := awkwardSnapshot(it)
			h.Must(h.Tracker.SaveSnapshot(h.Ctx, it, want))
			got, err := h.Tracker.GetSnapshot(h.Ctx, it)
			h.Must(err)
			for i := range want.Files {
				if i >= len(got.Files) || !bytes.Equal(got.Files[i].Content, want.Files[i].Content) {
					h.Fatalf("file %s changed on the way", want.Files[i].Path)
				}
			}
			if !reflect.DeepEqual(normalise(got), normalise(want)) {
				h.Fatalf("snapshot read back differs:\n got %+v\nwant %+v", summarise(got), summarise(want))
			}
		}},
		testCase{"RefusesFilesPastTheLimit", func(h *H) {
			_, _, it := h.Run()
			kept := awkwardSnapshot(it)
			h.Must(h.Tracker.SaveSnapshot(h.Ctx, it, kept))
			big := make([]byte, core.MaxSnapshotFileSize+1)
			tooBig := &core.Snapshot{Runtime: "go", Files: []core.SnapshotFile{core.NewSnapshotFile("data.bin", "", big)}}
			h.Code(h.Tracker.SaveSnapshot(h.Ctx, it, tooBig), core.EInvalid)
			tooBig = &core.Snapshot{Runtime: "go", Git: core.GitState{Dirty: true, Diff: big}}
			h.Code(h.Tracker.SaveSnapshot(h.Ctx, it, tooBig), core.EInvalid)
			got, err := h.Tracker.GetSnapshot(h.Ctx, it)
			h.Must(err)
			Equal(h, "files kept", len(got.Files), len(kept.Files))
		}},
		testCase{"JuliaCaptureFillsUpstreamColumns", func(h *H) {
			_, _, it := h.Run()
			snap := awkwardSnapshot(it)
			h.Must(h.Tracker.SaveSnapshot(h.Ctx, it, snap))
			got, err := h.Tracker.GetIteration(h.Ctx, it)
			h.Must(err)
			want := core.EnvironmentSnapshot{JuliaVersion: "1.11.5", GitSHA: snap.Git.Commit, GitDirty: true, Entrypoint: "train.jl",
				ProjectTOML: string(snap.File("Project.toml").Content), ManifestTOML: string(snap.File("Manifest.toml").Content)}
			if got.Environment != want {
				h.Fatal("the iteration's upstream columns do not hold the Julia capture")
			}
		}},
		testCase{"ReplacesAndOutlivesTheEnd", func(h *H) {
			_, _, it := h.Run()
			h.Must(h.Tracker.SaveSnapshot(h.Ctx, it, awkwardSnapshot(it)))
			h.End(it)
			second := &core.Snapshot{IterationID: it, CapturedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Runtime: "go",
				RuntimeVersion: "go1.26.8", Runtimes: []core.Runtime{{Name: "go", Version: "go1.26.8"}},
				Files: []core.SnapshotFile{core.NewSnapshotFile("go.mod", "go", []byte("module x\n"))}}
			h.Must(h.Tracker.SaveSnapshot(h.Ctx, it, second))
			got, err := h.Tracker.GetSnapshot(h.Ctx, it)
			h.Must(err)
			Equal(h, "files after replacing", len(got.Files), 1)
			Equal(h, "runtime", got.Runtime, "go")
			itr, err := h.Tracker.GetIteration(h.Ctx, it)
			h.Must(err)
			Equal(h, "julia columns cleared", itr.Environment.ManifestTOML, "")
		}},
		testCase{"UpstreamCaptureReadsAsSnapshot", func(h *H) {
			_, e, it := h.Run()
			h.Must(h.Tracker.SetIterationEnvironment(h.Ctx, it, core.EnvironmentSnapshot{JuliaVersion: "1.10.4",
				GitSHA: strings.Repeat("a", 40), Entrypoint: "train.jl", ProjectTOML: "[deps]\n", ManifestTOML: "# manifest\n"}))
			got, err := h.Tracker.GetSnapshot(h.Ctx, it)
			h.Must(err)
			Equal(h, "runtime", got.Runtime+" "+got.RuntimeVersion, "julia 1.10.4")
			Equal(h, "manifest", string(got.File("Manifest.toml").Content), "# manifest\n")
			Equal(h, "project", string(got.File("Project.toml").Content), "[deps]\n")
			Equal(h, "entrypoint", got.Entrypoint, "train.jl")
			bare := h.Iteration(e, "")
			_, err = h.Tracker.GetSnapshot(h.Ctx, bare)
			h.Code(err, core.ENotFound)
			_, err = h.Tracker.GetSnapshot(h.Ctx, "9999")
			h.Code(err, core.ENotFound)
			h.Code(h.Tracker.SaveSnapshot(h.Ctx, "9999", &core.Snapshot{}), core.ENotFound)
		}},
		testCase{"RefusesUnsafePaths", func(h *H) {
			_, _, it := h.Run()
			for _, p := range []string{"../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "./a", "a\\b", "C:/x", ""} {
				snap := &core.Snapshot{Files: []core.SnapshotFile{core.NewSnapshotFile(p, "go", []byte("x"))}}
				h.Code(h.Tracker.SaveSnapshot(h.Ctx, it, snap), core.EInvalid)
			}
			twice := &core.Snapshot{Files: []core.SnapshotFile{core.NewSnapshotFile("go.mod", "go", nil), core.NewSnapshotFile("go.mod", "go", nil)}}
			h.Code(h.Tracker.SaveSnapshot(h.Ctx, it, twice), core.EInvalid)
			// What a restore could not write back as captured: a planted git
			// repository, a file that is also a directory, content that is
			// not what its hash says, a commit that is not one.
			forged := core.NewSnapshotFile("uv.lock", "python", []byte("version = 1\n"))
			forged.Content = []byte("version = 2\n")
			for what, snap := range map[string]*core.Snapshot{
				".git":            {Files: []core.SnapshotFile{core.NewSnapshotFile(".git/config", "", []byte("[core]\n\tfsmonitor = touch /tmp/x\n"))}},
				".GIT, nested":    {Files: []core.SnapshotFile{core.NewSnapshotFile("sub/.GIT/hooks/post-checkout", "", []byte("x"))}},
				"file and folder": {Files: []core.SnapshotFile{core.NewSnapshotFile("a", "", []byte("x")), core.NewSnapshotFile("a/b", "", []byte("y"))}},
				"wrong sha256":    {Files: []core.SnapshotFile{forged}},
				"commit":          {Git: core.GitState{Commit: "deadbeef; touch /tmp/x #"}},
			} {
				if err := h.Tracker.SaveSnapshot(h.Ctx, it, snap); core.ErrorCode(err) != core.EInvalid {
					h.Fatalf("%s: %v, want INVALID_PAYLOAD", what, err)
				}
			}
			_, err := h.Tracker.GetSnapshot(h.Ctx, it)
			h.Code(err, core.ENotFound)
		}},
		testCase{"GoesWithItsIteration", func(h *H) {
			_, _, it := h.Run()
			h.Must(h.Tracker.SaveSnapshot(h.Ctx, it, awkwardSnapshot(it)))
			h.Must(h.Tracker.DeleteIteration(h.Ctx, it))
			_, err := h.Tracker.GetSnapshot(h.Ctx, it)
			h.Code(err, core.ENotFound)
		}},
	}
}

// normalise makes empty lists and byte slices nil: a round trip through
// storage or JSON need not keep the difference.
func normalise(s *core.Snapshot) core.Snapshot {
	out := *s
	out.Files = nil
	for _, f := range s.Files {
		if len(f.Content) == 0 {
			f.Content = nil
		}
		out.Files = append(out.Files, f)
	}
	if len(out.Git.Diff) == 0 {
		out.Git.Diff = nil
	}
	if len(out.Git.Untracked) == 0 {
		out.Git.Untracked = nil
	}
	if len(out.Notes) == 0 {
		out.Notes = nil
	}
	if len(out.Runtimes) == 0 {
		out.Runtimes = nil
	}
	return out
}

// summarise shortens a snapshot for failure messages: file contents can be
// megabytes long.
func summarise(s *core.Snapshot) core.Snapshot {
	out := *s
	out.Files = nil
	for _, f := range s.Files {
		f.Content = []byte(fmtSlice([]int{len(f.Content)}))
		out.Files = append(out.Files, f)
	}
	return out
}
