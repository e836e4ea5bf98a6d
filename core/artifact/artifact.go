// Package artifact keeps the bytes of resources where DearDiary.jl keeps
// them: inline in the resource row, in files under a root directory, or in
// an S3-compatible object store. A database store (core/duckdb) asks it to
// write new bytes to the configured backend and records what came back in
// the row; reads and deletes follow the backend and uri each row names, so
// rows written under another configuration, or by DearDiary.jl, stay
// readable.
//
// The package holds no database and reads no environment: its Config comes
// from the caller.
package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"

	"github.com/deardiary/deardiary-go/core"
)

// DefaultRoot is the filesystem backend's root when none is given, relative
// to the working directory, as DearDiary.jl has it.
const DefaultRoot = "deardiary_artifacts"

// Config says where new bytes go, and how to reach the backends that rows
// may name.
type Config struct {
	// Backend receives new bytes: core.BackendInline (also when empty),
	// core.BackendFilesystem or core.BackendS3.
	Backend string
	// Root is the filesystem backend's directory (DefaultRoot when empty),
	// made absolute by New.
	Root string
	// S3 reaches the object store. It is needed for the s3 backend, and
	// for reading and deleting rows whose bytes are in S3 under any
	// backend.
	S3 S3Config
}

// Written is where bytes went and what they were.
type Written struct {
	Backend string
	URI     string // "" for inline bytes
	Size    int64
	Hash    string // lowercase hex sha256
	// Inline holds the bytes themselves when Backend is inline.
	Inline []byte
}

// Data is the value of the resource row's data column: the bytes for
// inline rows, and for the others an empty BLOB, as DearDiary.jl writes it.
func (w Written) Data() []byte {
	if w.Inline != nil {
		return w.Inline
	}
	return []byte{}
}

// Store writes new bytes to the configured backend, and reads and deletes
// bytes wherever a row says they are. It is safe for concurrent use.
type Store struct {
	backend string
	fs      fsBackend
	s3      *s3Backend // nil without S3 settings
}

// New checks cfg and returns a Store. For the s3 backend it makes one cheap
// request to the bucket, so that a wrong endpoint, wrong credentials or a
// missing bucket are reported now rather than at the first upload; the
// error says which.
func New(ctx context.Context, cfg Config) (*Store, error) {
	root := cfg.Root
	if root == "" {
		root = DefaultRoot
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("artifact root %q: %w", root, err)
	}
	s := &Store{backend: cfg.Backend, fs: fsBackend{root: abs}}
	switch cfg.Backend {
	case "":
		s.backend = core.BackendInline
	case core.BackendInline, core.BackendFilesystem:
	case core.BackendS3:
		if cfg.S3.Bucket == "" {
			return nil, core.Invalid("the s3 artifact backend needs a bucket: name an existing one (ddd: DEARDIARY_ARTIFACT_S3_BUCKET)")
		}
	default:
		return nil, core.Invalid("unknown artifact backend %q: use inline, filesystem or s3", cfg.Backend)
	}
	if cfg.S3.given() {
		if s.s3, err = newS3(cfg.S3); err != nil {
			return nil, err
		}
	}
	if s.backend == core.BackendS3 {
		if err := s.s3.check(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Backend is where Write puts new bytes.
func (s *Store) Backend() string { return s.backend }

// Write stores the bytes read from r in the configured backend, hashing
// them on the way. Only the inline backend holds them in memory: the
// filesystem streams them to a file, S3 in parts of bounded size. Bytes
// that were not all written leave nothing behind.
func (s *Store) Write(ctx context.Context, r io.Reader) (Written, error) {
	switch s.backend {
	case core.BackendFilesystem:
		return s.fs.write(r)
	case core.BackendS3:
		return s.s3.write(ctx, r)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return Written{}, fmt.Errorf("cannot read the resource data: %w", err)
	}
	sum := sha256.Sum256(data)
	return Written{Backend: core.BackendInline, Size: int64(len(data)), Hash: hex.EncodeToString(sum[:]), Inline: data}, nil
}

// Open reads the bytes a row names: its backend, its uri, and its data
// column (inline holds the bytes there). Bytes that are gone are ENotFound.
func (s *Store) Open(ctx context.Context, backend, uri string, inline []byte) (io.ReadCloser, error) {
	switch backend {
	case core.BackendInline, "sqlite", "":
		return io.NopCloser(bytes.NewReader(inline)), nil
	case core.BackendFilesystem:
		return s.fs.open(uri)
	case core.BackendS3:
		if s.s3 == nil {
			return nil, core.Invalid("the bytes of this resource are in S3 (%s), and no S3 settings were given: give the endpoint, region and keys of its store (ddd: DEARDIARY_ARTIFACT_S3_ENDPOINT and the other DEARDIARY_ARTIFACT_S3_ settings)", uri)
		}
		return s.s3.open(ctx, uri)
	}
	return nil, core.Invalid("cannot read a resource stored in the %q backend", backend)
}

// Delete removes the bytes a row names. Bytes already gone are not an
// error, nor are inline bytes (they go with the row). S3 bytes without S3
// settings are left where they are.
func (s *Store) Delete(ctx context.Context, backend, uri string) error {
	if uri == "" {
		return nil
	}
	switch backend {
	case core.BackendFilesystem:
		return s.fs.remove(uri)
	case core.BackendS3:
		if s.s3 == nil {
			return nil
		}
		return s.s3.remove(ctx, uri)
	}
	return nil
}
