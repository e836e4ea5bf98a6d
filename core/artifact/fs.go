package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/deardiary/deardiary-go/core"
)

// fsBackend streams bytes to <root>/<aa>/<uuid>, a new file per write,
// hashing on the way; identical payloads get distinct files so deleting one
// resource never breaks another.
type fsBackend struct{ root string }

func (f fsBackend) write(r io.Reader) (Written, error) {
	id := uuid.Must(uuid.NewV7()).String()
	// UUIDv7 names start with a timestamp; shard on the random tail instead.
	shard := id[len(id)-2:]
	dir := filepath.Join(f.root, shard)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Written{}, fmt.Errorf("cannot create artifact directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return Written{}, fmt.Errorf("cannot create artifact file: %w", err)
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
		return Written{}, fmt.Errorf("cannot write artifact: %w", err)
	}
	path := filepath.Join(dir, id)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Written{}, fmt.Errorf("cannot store artifact: %w", err)
	}
	return Written{Backend: core.BackendFilesystem, URI: "file://" + path, Size: size, Hash: hex.EncodeToString(h.Sum(nil))}, nil
}

func (fsBackend) open(uri string) (io.ReadCloser, error) {
	path, err := filePath(uri)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, core.Errorf(core.ENotFound, "the bytes of this resource are gone: %s does not exist", path)
	}
	return f, err
}

// remove deletes a file; one already gone is not an error.
func (fsBackend) remove(uri string) error {
	path, err := filePath(uri)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func filePath(uri string) (string, error) {
	path, ok := strings.CutPrefix(uri, "file://")
	if !ok || path == "" {
		return "", core.Invalid("resource uri %q is not a file:// uri", uri)
	}
	return path, nil
}
