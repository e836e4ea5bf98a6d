#!/usr/bin/env bash
# Drives the real ddtui binary in tmux through README's demo flow, as a
# person would: open the demo, browse to a sweep, open a run, compare two
# runs, and restore one. One key per send-keys call (keys sent together can
# arrive as one read). Exits non-zero, showing the screen, when a step does
# not show what it should.
#
#   cmd/ddtui/testdata/tmux-demo.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
work=$(mktemp -d)
# A tmux server of its own, so that it meets no one else's sessions.
sock="ddtui-demo-$$"
tm() { tmux -L "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/ddtui" ./cmd/ddtui

tm new-session -d -s ddtui-demo -x 120 -y 40 "cd $work && ./ddtui --demo --restore-dir $work/restore; sleep 30"

screen() { tm capture-pane -p -t ddtui-demo; }
expect() {
  for _ in $(seq 1 50); do
    if screen | grep -qF -- "$1"; then return 0; fi
    sleep 0.2
  done
  echo "FAIL: the screen does not show: $1" >&2
  screen >&2
  exit 1
}
key() { tm send-keys -t ddtui-demo "$1"; sleep 0.3; }

expect "3 projects"
key Enter;  expect "resnet18 learning-rate sweep"
key Enter;  expect "7 of 7 runs"
key Down;   key Down; key Enter; expect "1 Overview"
key 3;      expect "val_accuracy"
key 6;      expect "uv.lock"
key Escape; expect "7 of 7 runs"
key Escape; expect "augmentation ablation"
key Down;   key Enter; expect "4 of 4 runs"
key Space;  key Down; key Down; key Down; key Space; key c; expect "compare 2 runs"
key 4;      expect "torch 2.4.1"
key Escape; key R; expect "Restore the environment"
key Enter;  expect "Restored 3 files"
expect "git apply $work/restore/"   # absolute, whatever the working directory
key Escape; key R; key Enter; expect "already exists and is not empty"
key o;      expect "Restored 3 files"
key Escape; key 2; key "?"; expect "Navigation"
key Escape; key Escape; expect "2 experiments in vision"
key q
echo "ok: the demo flow works in tmux"
