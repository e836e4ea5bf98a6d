package main

import (
	"reflect"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
)

func TestRefusesUnsafeOrBrokenConfig(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"auth with the default secret":  {"DEARDIARY_ENABLE_AUTH": "true"},
		"auth with an explicit default": {"DEARDIARY_ENABLE_AUTH": "true", "DEARDIARY_JWT_SECRET": daemon.DefaultSecret},
		"a bad port":                    {"DEARDIARY_PORT": "ninety"},
		"an unknown backend":            {"DEARDIARY_ARTIFACT_BACKEND": "s3"},
	} {
		_, err := LoadConfig(func(k string) string { return env[k] }, "", nil)
		if core.ErrorCode(err) != core.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
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
