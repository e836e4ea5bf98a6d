package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// probeTimeout bounds every command a capture runs: a capture must never hang
// a training run.
const probeTimeout = 10 * time.Second

// run runs a command in dir and returns its standard output. Git gets a
// stable environment: no pager, prompts, locale or optional locks.
func run(ctx context.Context, dir string, args ...string) (string, error) {
	b, err := runBytes(ctx, dir, args...)
	return string(b), err
}

func runBytes(ctx context.Context, dir string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0", "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return stdout.Bytes(), fmt.Errorf("%w: %s", err, firstLine(msg))
		}
		return stdout.Bytes(), err
	}
	return stdout.Bytes(), nil
}

// describe says in a few words why a probe failed.
func describe(command string, err error) string {
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return command + " not found on PATH"
	case errors.Is(err, context.DeadlineExceeded):
		return command + " did not answer within " + probeTimeout.String()
	}
	return command + " failed: " + err.Error()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
