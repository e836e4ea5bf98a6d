package duckdb

import (
	"os"
	"syscall"
)

// syncData makes f's written bytes durable: fdatasync, which leaves out
// metadata that reading them back does not need, such as the modification
// time.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
