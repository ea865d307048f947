package postgres

import "syscall"

// procAttr runs a child as u (when not nil) and has the kernel send it
// SIGQUIT when the test binary dies, so that no server outlives a crash.
func procAttr(u *osUser) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if u != nil {
		attr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{}}
	}
	return attr
}

// processAlive reports whether a process with the given id exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
