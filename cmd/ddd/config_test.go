package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/core/artifact"
	"github.com/deardiary/deardiary-go/daemon"
)

func TestRefusesUnsafeOrBrokenConfig(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"auth with the default secret":  {"DEARDIARY_ENABLE_AUTH": "true"},
		"auth with an explicit default": {"DEARDIARY_ENABLE_AUTH": "true", "DEARDIARY_JWT_SECRET": daemon.DefaultSecret},
		"auth with a short secret":      {"DEARDIARY_ENABLE_AUTH": "true", "DEARDIARY_JWT_SECRET": "31 bytes: not the default, but."},
		"a bad port":                    {"DEARDIARY_PORT": "ninety"},
		"an unknown backend":            {"DEARDIARY_ARTIFACT_BACKEND": "ftp"},
		"s3 without a bucket":           {"DEARDIARY_ARTIFACT_BACKEND": "s3"},
	} {
		_, err := LoadConfig(func(k string) string { return env[k] }, "", nil)
		if core.ErrorCode(err) != core.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := LoadConfig(func(k string) string {
		return map[string]string{"DEARDIARY_ENABLE_AUTH": "true", "DEARDIARY_JWT_SECRET": "too short"}[k]
	}, "", nil)
	if msg := core.ErrorMessage(err); !strings.Contains(msg, "at least 32") || !strings.Contains(msg, "DEARDIARY_JWT_SECRET is 9 bytes") {
		t.Errorf("a short secret is refused with %q", msg)
	}
	if _, err := LoadConfig(func(k string) string {
		return map[string]string{"DEARDIARY_ENABLE_AUTH": "true", "DEARDIARY_JWT_SECRET": strings.Repeat("s", 32)}[k]
	}, "", nil); err != nil {
		t.Errorf("a secret of 32 bytes: %v", err)
	}
	cfg, err := LoadConfig(func(k string) string { return map[string]string{"DEARDIARY_PORT": "9100", "DEARDIARY_HOST": ""}[k] }, "",
		map[string]string{"port": "9200"})
	if err != nil || cfg.Port != 9200 || cfg.Host != "127.0.0.1" {
		t.Fatalf("flags over environment, empty means unset: %+v, %v", cfg, err)
	}
}

// TestDefaultsAgree: the defaults --help prints are the server's own.
func TestDefaultsAgree(t *testing.T) {
	t.Parallel()
	if got, want := DefaultConfig().Server, daemon.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("ddd's defaults give the server %+v, the server's own are %+v", got, want)
	}
}

// TestS3Settings: the S3 settings come from the environment, an env file
// and flags like the others, and reach the store's configuration.
func TestS3Settings(t *testing.T) {
	t.Parallel()
	envFile := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(envFile, []byte("DEARDIARY_ARTIFACT_S3_SECRET_KEY=from-file\nDEARDIARY_ARTIFACT_S3_REGION=eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DEARDIARY_ARTIFACT_BACKEND": "s3", "DEARDIARY_ARTIFACT_S3_BUCKET": "runs",
		"DEARDIARY_ARTIFACT_S3_ENDPOINT": "http://minio:9000", "DEARDIARY_ARTIFACT_S3_ACCESS_KEY": "env-key", "DEARDIARY_ARTIFACT_S3_SECRET_KEY": "env-secret"}
	cfg, err := LoadConfig(func(k string) string { return env[k] }, envFile, map[string]string{"artifact-s3-access-key": "flag-key"})
	if err != nil {
		t.Fatal(err)
	}
	want := artifact.S3Config{Bucket: "runs", Endpoint: "http://minio:9000", Region: "eu-west-1", AccessKey: "flag-key", SecretKey: "from-file"}
	if got := cfg.Artifacts(); got.Backend != core.BackendS3 || got.S3 != want {
		t.Fatalf("artifacts %+v, want S3 %+v", got, want)
	}
	if got := DefaultConfig().ArtifactS3; got != (artifact.S3Config{Region: artifact.DefaultRegion}) {
		t.Fatalf("default S3 settings %+v", got)
	}
}
