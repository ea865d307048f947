//go:build !linux

package postgres

import (
	"os"
	"syscall"
)

// procAttr returns nil: outside Linux the tests run the server as the
// current user, which must not be root.
func procAttr(*osUser) *syscall.SysProcAttr { return nil }

// processAlive reports whether a process with the given id may exist; it
// errs on the side of keeping directories.
func processAlive(pid int) bool {
	_, err := os.FindProcess(pid)
	return err == nil
}
