package daemon

import (
	"net/http"
	"strings"

	"github.com/deardiary/deardiary-go/core"
)

// DefaultSecret is DearDiary.jl's built-in JWT secret. With auth on, the
// server refuses to start with it, or with none.
const DefaultSecret = "deardiary_secret"

// MinSecretBytes is the shortest JWT secret the server takes with auth on:
// HS256's key should be as long as its hash, 256 bits (RFC 7518, 3.2), and
// a short one can be guessed offline from any token.
const MinSecretBytes = 32

// Config is how the server behaves: authentication, CORS and the limits it
// puts on requests. Where its values come from (DearDiary.jl's DEARDIARY_*
// variables, an env file, flags) is the program's business: ddd reads them
// in cmd/ddd.
type Config struct {
	EnableAuth bool
	JWTSecret  string
	// CORSOrigins are the origins (https://lab.example) whose pages a
	// browser lets call the API: none by default, "*" for any.
	CORSOrigins []string
	// AllowedHosts are the host names a request may be addressed to (its
	// Host), besides IP addresses and localhost, which are always fine;
	// "*" allows any. A web page whose name its owner points at ddd's
	// address (DNS rebinding) still sends its own name, and is refused.
	AllowedHosts []string
	// ArtifactBackend is where the store puts new resource bytes
	// (core.BackendInline, core.BackendFilesystem or core.BackendS3);
	// inline bytes live in the database, so uploads are then held to
	// MaxInlineUploadBytes, while the others stream up to MaxUploadBytes.
	ArtifactBackend string
	// MaxBodyBytes bounds JSON request bodies; MaxSnapshotBytes the body of
	// a full snapshot; MaxUploadBytes a resource upload.
	MaxBodyBytes     int64
	MaxSnapshotBytes int64
	MaxUploadBytes   int64
	// MaxBodyMemory bounds the memory that bodies read whole (JSON, and
	// uploads kept inline) take together; past it requests get 503.
	MaxBodyMemory int64
}

// DefaultConfig is the configuration with nothing set: auth off, no CORS,
// requests addressed to IP addresses and localhost only, inline artifacts,
// and the default limits.
func DefaultConfig() Config {
	return Config{
		JWTSecret:        DefaultSecret,
		ArtifactBackend:  core.BackendInline,
		MaxBodyBytes:     8 << 20,
		MaxSnapshotBytes: 256 << 20,
		MaxUploadBytes:   4 << 30,
		MaxBodyMemory:    256 << 20,
	}
}

// Validate refuses configurations that would be unsafe or cannot work.
func (c Config) Validate() error {
	if c.EnableAuth && (c.JWTSecret == "" || c.JWTSecret == DefaultSecret) {
		return core.Invalid("DEARDIARY_ENABLE_AUTH is on but DEARDIARY_JWT_SECRET is unset or the default; set a secret of your own")
	}
	if c.EnableAuth && len(c.JWTSecret) < MinSecretBytes {
		return core.Invalid("DEARDIARY_JWT_SECRET is %d bytes; with DEARDIARY_ENABLE_AUTH on it must be at least %d (`openssl rand -hex 32` makes one of 64)",
			len(c.JWTSecret), MinSecretBytes)
	}
	for _, o := range c.CORSOrigins {
		if o != "*" && http.NewCrossOriginProtection().AddTrustedOrigin(o) != nil {
			return core.Invalid("DEARDIARY_CORS_ORIGINS: %q is not an origin such as https://lab.example or http://localhost:3000 (or * for any)", o)
		}
	}
	for _, h := range c.AllowedHosts {
		if h == "" || strings.ContainsAny(h, "/@ ") {
			return core.Invalid("DEARDIARY_ALLOWED_HOSTS: %q is not a host name such as ddd.lab.example (or * for any)", h)
		}
	}
	switch c.ArtifactBackend {
	case core.BackendInline, core.BackendFilesystem, core.BackendS3:
	default:
		return core.Invalid("DEARDIARY_ARTIFACT_BACKEND=%q: use inline, filesystem or s3", c.ArtifactBackend)
	}
	for name, v := range map[string]int64{"DEARDIARY_MAX_BODY_BYTES": c.MaxBodyBytes, "DEARDIARY_MAX_SNAPSHOT_BYTES": c.MaxSnapshotBytes,
		"DEARDIARY_MAX_UPLOAD_BYTES": c.MaxUploadBytes, "DEARDIARY_MAX_BODY_MEMORY": c.MaxBodyMemory} {
		if v <= 0 {
			return core.Invalid("%s must be a positive number of bytes", name)
		}
	}
	if need := max(c.MaxBodyBytes, c.MaxSnapshotBytes); c.MaxBodyMemory < need {
		return core.Invalid("DEARDIARY_MAX_BODY_MEMORY (%d) must hold the largest body ddd takes whole, %d bytes (DEARDIARY_MAX_BODY_BYTES, DEARDIARY_MAX_SNAPSHOT_BYTES)", c.MaxBodyMemory, need)
	}
	return nil
}
