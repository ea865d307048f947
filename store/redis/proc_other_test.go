//go:build !linux

package redis

import "syscall"

// procAttr returns nil: outside Linux a crashed test binary may leave its
// redis-server children running.
func procAttr() *syscall.SysProcAttr { return nil }
