package postgres

// The artifact backends are core/duckdb's, duplicated in their minimal form:
// its code is unexported there, and sharing it would mean moving it.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

// written is where an artifact's bytes went.
type written struct {
	backend string
	uri     string
	size    int64
	hash    string
	inline  []byte // the bytes themselves, for the inline backend
}

// artifactStore writes new resource bytes. Reads and deletes do not go
// through it: they follow each row's own backend.
type artifactStore interface {
	write(r io.Reader) (written, error)
}

func newArtifactStore(backend, root string) (artifactStore, error) {
	switch backend {
	case "", core.BackendInline:
		return inlineStore{}, nil
	case core.BackendFilesystem:
		if root == "" {
			root = "deardiary_artifacts"
		}
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, fmt.Errorf("artifact root %q: %w", root, err)
		}
		return fsStore{root: abs}, nil
	case core.BackendS3:
		return nil, core.Invalid("the s3 artifact backend is not supported by DearDiary for Go; use inline or filesystem")
	}
	return nil, core.Invalid("unknown artifact backend %q: use inline or filesystem", backend)
}

// inlineStore keeps bytes in the resource row's BYTEA column.
type inlineStore struct{}

func (inlineStore) write(r io.Reader) (written, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return written{}, fmt.Errorf("cannot read the resource data: %w", err)
	}
	sum := sha256.Sum256(data)
	return written{backend: core.BackendInline, size: int64(len(data)), hash: hex.EncodeToString(sum[:]), inline: data}, nil
}

// fsStore streams bytes to <root>/<aa>/<uuid>, a new file per write, hashing
// on the way, as core/duckdb does: the same root serves both stores.
type fsStore struct{ root string }

func (f fsStore) write(r io.Reader) (written, error) {
	id := newID()
	// UUIDv7 ids start with a timestamp; shard on the random tail instead.
	dir := filepath.Join(f.root, id[len(id)-2:])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return written{}, fmt.Errorf("cannot create artifact directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return written{}, fmt.Errorf("cannot create artifact file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return written{}, fmt.Errorf("cannot write artifact: %w", err)
	}
	path := filepath.Join(dir, id)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return written{}, fmt.Errorf("cannot store artifact: %w", err)
	}
	return written{backend: core.BackendFilesystem, uri: "file://" + path, size: size, hash: hex.EncodeToString(h.Sum(nil))}, nil
}

// openArtifact reads bytes from the backend a row names.
func openArtifact(backend, uri string, inline []byte) (io.ReadCloser, error) {
	switch backend {
	case core.BackendInline, "sqlite", "":
		return io.NopCloser(bytes.NewReader(inline)), nil
	case core.BackendFilesystem:
		path, ok := strings.CutPrefix(uri, "file://")
		if !ok || path == "" {
			return nil, core.Invalid("resource uri %q is not a file:// uri", uri)
		}
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, core.Errorf(core.ENotFound, "the bytes of this resource are gone: %s does not exist", path)
		}
		return f, err
	}
	return nil, core.Invalid("cannot read a resource stored in the %q backend", backend)
}

// removeArtifact deletes external bytes; a missing file is not an error.
func removeArtifact(backend, uri string) {
	if path, ok := strings.CutPrefix(uri, "file://"); backend == core.BackendFilesystem && ok && path != "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return // left behind: a stray file costs disk, never data
		}
	}
}
