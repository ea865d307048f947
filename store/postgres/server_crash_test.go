package postgres

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// crash kills the postmaster, the process whose ID heads postmaster.pid,
// with SIGKILL: no shutdown checkpoint and no goodbye to clients. Its
// backends notice that their postmaster died and exit on their own. crash
// returns once the postmaster is gone.
func (p *pgServer) crash() error {
	raw, err := os.ReadFile(filepath.Join(p.data(), "postmaster.pid"))
	if err != nil {
		return fmt.Errorf("crash: %w", err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return fmt.Errorf("crash: postmaster.pid: %w", err)
	}
	if p.cmd == nil || p.cmd.Process.Pid != pid {
		return fmt.Errorf("crash: postmaster.pid names %d, not the server this test started", pid)
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return fmt.Errorf("crash: %w", err)
	}
	if err := proc.Kill(); err != nil {
		return fmt.Errorf("crash: kill %d: %w", pid, err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("crash: postmaster %d still running 30 s after SIGKILL", pid)
	}
	p.cmd = nil
	return nil
}

// restart starts postgres again on the data directory and the port it had,
// so that clients reconnect to the address they know; the server replays
// its write-ahead log before it accepts connections (crash recovery). For a
// moment after a crash the dead server's backends still hold its shared
// memory, and postgres refuses to start until they are gone, so restart
// tries again a few times.
func (p *pgServer) restart() error {
	if p.cmd != nil {
		return errors.New("restart: the server is running")
	}
	var err error
	for range 50 {
		if err = p.runPostgres(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("restart: %w", err)
}
