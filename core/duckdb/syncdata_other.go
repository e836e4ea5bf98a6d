//go:build !linux

package duckdb

import "os"

// syncData makes f's written bytes durable.
func syncData(f *os.File) error { return f.Sync() }
