package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deardiary/deardiary-go/core"
	"github.com/deardiary/deardiary-go/daemon"
)

func TestTailBufferKeepsWholeLastLines(t *testing.T) {
	t.Parallel()
	b := &tailBuffer{max: 40}
	for _, line := range []string{"epoch 1\n", "epoch 2\n", "Traceback (most recent call last):\n", "  File \"train.py\"\n", "RuntimeError: CUDA\n"} {
		b.Write([]byte(line))
	}
	if got := b.lines(20); got != "  File \"train.py\"\nRuntimeError: CUDA" {
		t.Errorf("lines = %q: the cut first line must go, the rest stay", got)
	}
	if got := b.lines(1); got != "RuntimeError: CUDA" {
		t.Errorf("last line = %q", got)
	}
	b = &tailBuffer{max: 64}
	b.Write([]byte("bad \xff byte\n"))
	if got := b.lines(5); got != "bad \uFFFD byte" {
		t.Errorf("lines = %q, want valid UTF-8", got)
	}
}

func TestParseRunFlags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DEARDIARY_PARENT_ITERATION_ID": "outer", "DEARDIARY_URL": "http://ddd:9000"}
	r, err := ParseRunFlags([]string{"--project", "p", "--experiment", "e", "--param", "lr = 0.1=x", "--tag", "a", "--no-snapshot", "--", "python", "train.py", "--lr", "1"},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Params[0].Key != "lr" || r.Params[0].Value != " 0.1=x" || r.Tags[0] != "a" || *r.Snapshot || r.Parent != "outer" || !r.parentFromEnv {
		t.Errorf("parsed %+v", r)
	}
	if strings.Join(r.Command, " ") != "python train.py --lr 1" {
		t.Errorf("command %q", r.Command)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--project", "p", "--experiment", "e"}, "name the command"},
		{[]string{"--project", "p", "--experiment", "e", "--param", "lr", "--", "x"}, "key=value"},
		{[]string{"--project", "p", "--experiment", "e", "--snapshot", "--no-snapshot", "--", "x"}, "not both"},
		{[]string{"--experiment", "e", "--", "x"}, "--project NAME"},
	} {
		if _, err := ParseRunFlags(c.args, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseRunFlags(%q) = %v, want %q", c.args, err, c.want)
		}
	}
}

func TestParseAllTakesFlagsAnywhere(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", "", "")
	force := fs.Bool("force", false, "")
	if err := parseAll(fs, []string{"--force", "ID", "--dir", "d"}, 1); err != nil || fs.Arg(0) != "ID" || *dir != "d" || !*force {
		t.Errorf("err %v, args %q, dir %q, force %v", err, fs.Args(), *dir, *force)
	}
	if err := parseAll(fs, []string{"a", "b"}, 1); err == nil {
		t.Error("two arguments where one is wanted")
	}
	if err := parseAll(fs, nil, 1); err == nil {
		t.Error("no argument where one is wanted")
	}
}

// TestRunHelpListsTheVariables: the command's environment is ddd run's
// interface; --help names every variable, one a line.
func TestRunHelpListsTheVariables(t *testing.T) {
	t.Parallel()
	var help strings.Builder
	if _, err := ParseRunFlags([]string{"--help"}, func(string) string { return "" }, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	lines := strings.Split(help.String(), "\n")
	for _, name := range []string{"DEARDIARY_URL", "DEARDIARY_TOKEN", "DEARDIARY_ITERATION_ID", "DEARDIARY_EXPERIMENT_ID",
		"DEARDIARY_PROJECT_ID", "DEARDIARY_PARENT_ITERATION_ID"} {
		n := 0
		for _, line := range lines {
			if f := strings.Fields(line); len(f) > 1 && f[0] == name {
				n++
			}
		}
		if n != 1 {
			t.Errorf("--help has %d lines that start with %s, want 1:\n%s", n, name, help.String())
		}
	}
}

// TestRunSaysWhatAccessIsMissing: when the daemon refuses ddd run, the
// message says what to change: the password, the missing credentials, or
// which permission on which project, never "is ddd running there?" for a
// daemon that answered, nor "this needs an admin" for a project that exists.
func TestRunSaysWhatAccessIsMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	m := startDaemon(t, filepath.Join(dir, "served.db"), 0)
	defer m.Close()
	admin, err := daemon.Connect(ctx, m.URL, daemon.Options{Username: "default", Password: "default"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := admin.CreateUser(ctx, core.UserCreate{Username: "bob", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	project := func(name string, p core.Permissions, experiment bool) {
		id, err := admin.CreateProject(ctx, core.ProjectCreate{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if experiment {
			admin.CreateExperiment(ctx, core.ExperimentCreate{ProjectID: id, Name: "e"})
		}
		if p != (core.Permissions{}) {
			if _, err := admin.CreateUserPermission(ctx, bob, id, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	project("hidden", core.Permissions{}, true)
	project("create-only", core.Permissions{Create: true}, true)
	project("read-only", core.Permissions{Read: true}, false)
	project("read-only-with-e", core.Permissions{Read: true}, true)
	marker := filepath.Join(dir, "ran")
	bobArgs := []string{"--user", "bob", "--password", "pw"}
	for _, c := range []struct {
		name    string
		args    []string
		say     []string
		notSay  string
		project string
	}{
		{"a wrong password", []string{"--user", "default", "--password", "wrong"}, []string{"invalid username or password"}, "is ddd running", "p"},
		{"no credentials", nil, []string{m.URL, "--user", "--password", "--token"}, "Authorization header", "p"},
		{"no permission on an existing project", bobArgs, []string{"bob", `"hidden"`, "read and create permissions"}, "needs an admin", "hidden"},
		{"create without read", bobArgs, []string{"bob", `"create-only"`, "read and create permissions"}, "needs an admin", "create-only"},
		{"read without create, a new experiment", bobArgs, []string{"bob", `create permission on project "read-only"`, `experiment "e"`}, "in this project", "read-only"},
		{"read without create, an existing experiment", bobArgs, []string{"bob", `create permission on project "read-only-with-e"`, "iteration"}, "in this project", "read-only-with-e"},
	} {
		args := append(append([]string{"run", "--server", m.URL}, c.args...), "--project", c.project, "--experiment", "e", "--", "touch", marker)
		r := ddd(t, dir, nil, args...)
		for _, want := range c.say {
			if r.code != ExitRunError || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, c.notSay) {
				t.Errorf("%s: exit %d, %q; want %d, saying %q and not %q", c.name, r.code, r.stderr, ExitRunError, want, c.notSay)
				break
			}
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%s: the command ran", c.name)
		}
	}
}
