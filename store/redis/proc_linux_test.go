package redis

import "syscall"

// procAttr has the kernel send a child SIGKILL when the test binary dies,
// so that no redis-server outlives a crash.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
