package s3test

import "syscall"

// sysProcAttr makes the gateway die with the test binary, should the test
// binary die without running its cleanups.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
