package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
	"github.com/deardiary/deardiary-go/daemon"
)

// Config is ddd's configuration: DearDiary.jl's DEARDIARY_* variables plus
// ddd's own. Values come from the process environment, then an optional env
// file, then flags, each overriding the last; an empty value means unset.
type Config struct {
	Host   string
	Port   int
	DBFile string
	// Server is what the HTTP server itself is given.
	Server         daemon.Config
	ArtifactFSRoot string
	// ArtifactS3 reaches the object store of the s3 backend, and of rows
	// in S3 under any backend.
	ArtifactS3 artifact.S3Config
	// DBMemoryLimit caps DuckDB's buffer memory.
	DBMemoryLimit string
	// IntegerIDs creates a new database with DearDiary.jl 0.9.1's integer
	// ids instead of UUIDs.
	IntegerIDs bool
	// MaxConnections bounds the connections served at once (see
	// daemon.LimitConnections); Run lowers it below the process's file
	// descriptor limit.
	MaxConnections int
}

// Setting describes one configuration variable, for --help and parsing.
type Setting struct {
	Env     string
	Flag    string
	Default string
	Help    string
	set     func(c *Config, v string) error
}

// databaseURL is an alias of DEARDIARY_DB_FILE, for a postgres:// URL.
const databaseURL = "DEARDIARY_DATABASE_URL"

// Settings lists every variable ddd reads, in the order --help shows them.
var Settings = []Setting{
	{"DEARDIARY_HOST", "host", "127.0.0.1", "address to listen on", func(c *Config, v string) error { c.Host = v; return nil }},
	{"DEARDIARY_PORT", "port", "9000", "port to listen on (0 picks a free one)", func(c *Config, v string) error { return parseInt(&c.Port, v, 0, 65535) }},
	{"DEARDIARY_DB_FILE", "db", "deardiary.db", "the database: a DuckDB file, created if missing, or a postgres:// URL (alias DEARDIARY_DATABASE_URL)", func(c *Config, v string) error { c.DBFile = v; return nil }},
	{"DEARDIARY_ENABLE_AUTH", "auth", "false", "require a bearer token on every request but /health and /auth", func(c *Config, v string) error { return parseBool(&c.Server.EnableAuth, v) }},
	{"DEARDIARY_JWT_SECRET", "jwt-secret", daemon.DefaultSecret, "HS256 key for tokens; with auth on, at least 32 bytes and not the default (openssl rand -hex 32)", func(c *Config, v string) error { c.Server.JWTSecret = v; return nil }},
	{"DEARDIARY_CORS_ORIGINS", "cors-origins", "", "comma-separated origins (https://lab.example) whose web pages may call the API; none by default, * for any", func(c *Config, v string) error {
		c.Server.CORSOrigins = splitList(v)
		return nil
	}},
	{"DEARDIARY_ALLOWED_HOSTS", "allowed-hosts", "", "comma-separated host names clients may address ddd by, besides IP addresses and localhost; * for any; when none are set and ddd listens beyond loopback, any", func(c *Config, v string) error {
		c.Server.AllowedHosts = splitList(v)
		return nil
	}},
	{"DEARDIARY_ARTIFACT_BACKEND", "artifact-backend", "inline", "where resource bytes go: inline, filesystem or s3", func(c *Config, v string) error { c.Server.ArtifactBackend = v; return nil }},
	{"DEARDIARY_ARTIFACT_FS_ROOT", "artifact-root", "./deardiary_artifacts", "root directory of the filesystem backend", func(c *Config, v string) error { c.ArtifactFSRoot = v; return nil }},
	{"DEARDIARY_ARTIFACT_S3_BUCKET", "artifact-s3-bucket", "", "bucket of the s3 backend, which must exist; objects go to <bucket>/<aa>/<uuid>", func(c *Config, v string) error { c.ArtifactS3.Bucket = v; return nil }},
	{"DEARDIARY_ARTIFACT_S3_ENDPOINT", "artifact-s3-endpoint", "", "scheme://host[:port] of an S3-compatible store, such as http://localhost:9000; none means AWS", func(c *Config, v string) error { c.ArtifactS3.Endpoint = v; return nil }},
	{"DEARDIARY_ARTIFACT_S3_REGION", "artifact-s3-region", artifact.DefaultRegion, "region S3 requests are signed for", func(c *Config, v string) error { c.ArtifactS3.Region = v; return nil }},
	{"DEARDIARY_ARTIFACT_S3_ACCESS_KEY", "artifact-s3-access-key", "", "access key of the S3 store", func(c *Config, v string) error { c.ArtifactS3.AccessKey = v; return nil }},
	{"DEARDIARY_ARTIFACT_S3_SECRET_KEY", "artifact-s3-secret-key", "", "secret key of the S3 store (better in the environment or --env-file than in a flag others can see)", func(c *Config, v string) error { c.ArtifactS3.SecretKey = v; return nil }},
	{"DEARDIARY_IDS", "ids", "uuid", "the ids of a new database: uuid, or integer as DearDiary.jl 0.9.1 (the release its users install) has them; an existing file keeps its own", func(c *Config, v string) error {
		switch v {
		case "uuid", "integer":
			c.IntegerIDs = v == "integer"
			return nil
		}
		return fmt.Errorf("want uuid or integer")
	}},
	{"DEARDIARY_DB_MEMORY_LIMIT", "db-memory-limit", "48MB", "DuckDB's buffer memory before it spills to disk (large values borrow more while they are written or read)", func(c *Config, v string) error { c.DBMemoryLimit = v; return nil }},
	{"DEARDIARY_MAX_BODY_BYTES", "max-body-bytes", "8388608", "largest JSON request body (413 past it)", func(c *Config, v string) error { return parseInt64(&c.Server.MaxBodyBytes, v) }},
	{"DEARDIARY_MAX_SNAPSHOT_BYTES", "max-snapshot-bytes", "268435456", "largest full snapshot upload", func(c *Config, v string) error { return parseInt64(&c.Server.MaxSnapshotBytes, v) }},
	{"DEARDIARY_MAX_UPLOAD_BYTES", "max-upload-bytes", "4294967296", "largest resource upload", func(c *Config, v string) error { return parseInt64(&c.Server.MaxUploadBytes, v) }},
	{"DEARDIARY_MAX_CONNECTIONS", "max-connections", "1024", "connections served at once; past it a new one gets 503 at once (kept below the open-file limit)", func(c *Config, v string) error {
		return parseInt(&c.MaxConnections, v, 1, 1<<20)
	}},
	{"DEARDIARY_MAX_BODY_MEMORY", "max-body-memory", "268435456", "memory that request bodies read whole (JSON, inline uploads) may take together; past it requests get 503 and Retry-After", func(c *Config, v string) error { return parseInt64(&c.Server.MaxBodyMemory, v) }},
}

// ignored are upstream variables ddd accepts but has no use for: it has no
// web UI.
var ignored = map[string]string{
	"DEARDIARY_ENABLE_UI": "ddd has no web UI", "DEARDIARY_UI_HOST": "ddd has no web UI", "DEARDIARY_UI_PORT": "ddd has no web UI",
	"DEARDIARY_ENABLE_API": "unused upstream too",
}

// splitList reads a comma-separated list; empty items are dropped.
func splitList(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func parseInt(dst *int, v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	*dst = n
	return nil
}

func parseInt64(dst *int64, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("want a positive whole number of bytes")
	}
	*dst = n
	return nil
}

func parseBool(dst *bool, v string) error {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		*dst = true
	case "false", "0", "no", "off":
		*dst = false
	default:
		return fmt.Errorf("want true or false")
	}
	return nil
}

// DefaultConfig is the configuration with nothing set.
func DefaultConfig() Config {
	var c Config
	for _, s := range Settings {
		if err := s.set(&c, s.Default); err != nil {
			panic(s.Env + ": " + err.Error())
		}
	}
	return c
}

// LoadConfig builds the configuration from the environment (getenv), then
// the env file if envFile is not empty, then flags (keyed by flag name).
func LoadConfig(getenv func(string) string, envFile string, flags map[string]string) (Config, error) {
	c := DefaultConfig()
	values := map[string]string{}
	for _, s := range Settings {
		if v := getenv(s.Env); v != "" {
			values[s.Env] = v
		}
	}
	if v := getenv(databaseURL); v != "" {
		values[databaseURL] = v
	}
	if envFile != "" {
		fromFile, err := readEnvFile(envFile)
		if err != nil {
			return c, err
		}
		for k, v := range fromFile {
			values[k] = v
		}
	}
	// DEARDIARY_DATABASE_URL names the database as DEARDIARY_DB_FILE does,
	// as MLflow-style deployments spell it; the file's name wins if both
	// are set, and --db over both.
	if values["DEARDIARY_DB_FILE"] == "" {
		values["DEARDIARY_DB_FILE"] = values[databaseURL]
	}
	for _, s := range Settings {
		if v, ok := flags[s.Flag]; ok && v != "" {
			values[s.Env] = v
		}
	}
	for _, s := range Settings {
		if v, ok := values[s.Env]; ok && v != "" {
			if err := s.set(&c, v); err != nil {
				return c, core.Invalid("%s=%q: %v", s.Env, v, err)
			}
		}
	}
	return c, c.Validate()
}

// readEnvFile reads KEY=VALUE lines; # starts a comment line, values may be
// quoted, and keys that are not DEARDIARY_ settings are errors so a typo does
// not pass silently.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer f.Close()
	known := map[string]bool{databaseURL: true}
	for _, s := range Settings {
		known[s.Env] = true
	}
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok {
			return nil, core.Invalid("%s:%d: want KEY=VALUE", path, n)
		}
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		if _, skip := ignored[key]; skip {
			continue
		}
		if !known[key] {
			return nil, core.Invalid("%s:%d: unknown setting %s", path, n, key)
		}
		out[key] = value
	}
	return out, sc.Err()
}

// Validate refuses configurations that would be unsafe or cannot work.
func (c Config) Validate() error {
	if c.DBFile == "" {
		return core.Invalid("DEARDIARY_DB_FILE is empty")
	}
	if c.Server.ArtifactBackend == core.BackendS3 && c.ArtifactS3.Bucket == "" {
		return core.Invalid("DEARDIARY_ARTIFACT_BACKEND=s3 needs a bucket: set DEARDIARY_ARTIFACT_S3_BUCKET (--artifact-s3-bucket) to an existing one")
	}
	return c.Server.Validate()
}

// serverConfig is the server's configuration as ddd runs it, and what its
// Host check admits, for the start log. Listening on loopback, the check
// admits IP addresses, localhost and DEARDIARY_ALLOWED_HOSTS; listening
// beyond it (0.0.0.0, an interface's address or name), clients come by
// names ddd cannot know, so without DEARDIARY_ALLOWED_HOSTS the check is
// off; with it, the listening name is admitted too.
func (c Config) serverConfig() (server daemon.Config, hosts string) {
	server = c.Server
	switch {
	case slices.Contains(server.AllowedHosts, "*"):
		return server, "any (DEARDIARY_ALLOWED_HOSTS=*)"
	case len(server.AllowedHosts) == 0 && !loopback(c.Host):
		server.AllowedHosts = []string{"*"}
		return server, "any: listening beyond loopback without DEARDIARY_ALLOWED_HOSTS, so a web page could reach ddd through DNS rebinding; set it to the names clients use"
	}
	if _, err := netip.ParseAddr(c.Host); err != nil && c.Host != "" && !loopback(c.Host) {
		server.AllowedHosts = append(slices.Clip(server.AllowedHosts), c.Host)
	}
	return server, strings.Join(append([]string{"IP addresses", "localhost"}, server.AllowedHosts...), ", ")
}

// loopback reports whether listening on host serves this machine only.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// Addr is the address to listen on.
func (c Config) Addr() string { return c.Host + ":" + strconv.Itoa(c.Port) }

// Artifacts is the configuration of the store's artifact backends.
func (c Config) Artifacts() artifact.Config {
	return artifact.Config{Backend: c.Server.ArtifactBackend, Root: c.ArtifactRoot(), S3: c.ArtifactS3}
}

// ArtifactRoot is the absolute filesystem root.
func (c Config) ArtifactRoot() string {
	abs, err := filepath.Abs(c.ArtifactFSRoot)
	if err != nil {
		return c.ArtifactFSRoot
	}
	return abs
}
