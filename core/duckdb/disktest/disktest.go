//go:build linux

// Package disktest gives tests a disk of their own to fill up or make
// read-only: a small tmpfs. Mounting needs root (CI has it); elsewhere the
// tests that ask for one skip.
package disktest

import (
	"syscall"
	"testing"
)

// Small mounts a tmpfs of size (such as "8m") on a new directory, and
// returns the directory and the function that remounts it: "ro" makes it
// read-only, and options such as "size=64m" resize it and make it writable.
func Small(t testing.TB, size string) (dir string, remount func(opts string)) {
	t.Helper()
	dir = t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (%v): run as root to test a full or read-only disk", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	remount = func(opts string) {
		t.Helper()
		flags := uintptr(syscall.MS_REMOUNT)
		if opts == "ro" {
			flags |= syscall.MS_RDONLY
			opts = ""
		}
		if err := syscall.Mount("tmpfs", dir, "tmpfs", flags, opts); err != nil {
			t.Fatalf("remount %q: %v", opts, err)
		}
	}
	return dir, remount
}
