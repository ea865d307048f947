package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// The tests of this package run against a throwaway PostgreSQL server that
// TestMain starts once per test binary: initdb into a temporary directory,
// pg_ctl start listening on a free loopback port, one database. Each test then
// gets its own schema (see newTestStore), so tests never see each other's rows.

// testDatabase is the database TestMain creates on the throwaway server.
const testDatabase = "kunci_test"

// testEnv is what TestMain found or started; tests read it only.
type testEnv struct {
	connString string // base connection string to testDatabase; "" when skipped
	skip       string // why the tests skip, when they do
	admin      *pgxpool.Pool
	schemas    atomic.Int64
}

// env is set once by TestMain before any test runs.
var env testEnv

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	srv, err := startServer()
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "postgres tests: %v\n(CI=true: a missing PostgreSQL fails the run; install it with apt-get install postgresql)\n", err)
			return 1
		}
		env.skip = fmt.Sprintf("no PostgreSQL server: %v; install it with `apt-get install postgresql` (Debian/Ubuntu) to run these tests", err)
		return m.Run()
	}
	defer srv.stop()
	env.connString = srv.connString(testDatabase)
	ctx := context.Background()
	env.admin, err = pgxpool.New(ctx, env.connString)
	if err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests: connect: %v\n", err)
		return 1
	}
	defer env.admin.Close()
	return m.Run()
}

// pgServer is a running throwaway PostgreSQL server.
type pgServer struct {
	bin  string // directory holding initdb, pg_ctl and postgres
	dir  string // temporary directory holding data and socket directories
	port int
	cred *syscall.Credential // nil when running as a non-root user
	log  string
}

func (p *pgServer) connString(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// findBin returns the directory of the newest PostgreSQL server binaries:
// Debian's /usr/lib/postgresql/<version>/bin, or wherever initdb is on PATH.
func findBin() (string, error) {
	if dir := os.Getenv("PG_BIN"); dir != "" {
		return dir, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) > 0 {
		version := func(p string) int {
			v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
			return v
		}
		slices.SortFunc(matches, func(a, b string) int { return cmp.Compare(version(a), version(b)) })
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("initdb not found in /usr/lib/postgresql/*/bin or on PATH")
}

// startServer initialises a cluster in a temporary directory and starts it.
// As root it runs the server as the unprivileged postgres user, because
// initdb and postgres refuse to run as root.
func startServer() (*pgServer, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "kunci-pg-")
	if err != nil {
		return nil, err
	}
	p := &pgServer{bin: bin, dir: dir, log: filepath.Join(dir, "server.log")}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(dir)
		}
	}()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			return nil, err
		}
	}
	if out, err := p.run("initdb", "-D", p.data(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--no-sync", "--no-instructions"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if err := os.Mkdir(p.sockets(), 0o700); err != nil {
		return nil, err
	}
	if p.cred != nil {
		if err := os.Chown(p.sockets(), int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			return nil, err
		}
	}
	// A port found free can be taken before the server binds it; try a few.
	for attempt := 0; ; attempt++ {
		if p.port, err = freePort(); err != nil {
			return nil, err
		}
		opts := []string{
			"-c listen_addresses=127.0.0.1",
			"-p " + strconv.Itoa(p.port),
			"-k " + p.sockets(),
			"-c max_connections=200",
		}
		if os.Getenv("KUNCI_PG_DURABLE") == "" {
			// Tests need no crash safety; skipping fsync makes them fast.
			// Set KUNCI_PG_DURABLE=1 to benchmark with the default settings.
			opts = append(opts, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
		}
		out, err := p.run("pg_ctl", "-D", p.data(), "-l", p.log, "-w", "-t", "60", "-o", strings.Join(opts, " "), "start")
		if err == nil {
			break
		}
		if attempt == 2 {
			logText, _ := os.ReadFile(p.log)
			return nil, fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, logText)
		}
	}
	ok = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.connString("postgres"))
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+testDatabase); err != nil {
		p.stop()
		return nil, fmt.Errorf("create database: %w", err)
	}
	return p, nil
}

func (p *pgServer) data() string    { return filepath.Join(p.dir, "data") }
func (p *pgServer) sockets() string { return filepath.Join(p.dir, "sockets") }

// run runs one of the server's programs, as the postgres user when needed.
func (p *pgServer) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME="+p.dir)
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	// pg_ctl start leaves the server running with -l's file as its output,
	// so collecting output through a pipe here cannot block on it.
	return cmd.CombinedOutput()
}

// stop shuts the server down and removes its directory.
func (p *pgServer) stop() {
	if out, err := p.run("pg_ctl", "-D", p.data(), "-m", "immediate", "-w", "stop"); err != nil {
		fmt.Fprintf(os.Stderr, "postgres tests: pg_ctl stop: %v\n%s", err, out)
	}
	_ = os.RemoveAll(p.dir)
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// newTestPool returns a pool whose connections use a new, empty schema, and
// closes it when t ends. It skips t when no server is available.
func newTestPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	if env.connString == "" {
		t.Skip(env.skip)
	}
	schema := fmt.Sprintf("s_%d", env.schemas.Add(1))
	ctx := context.Background()
	_, err := env.admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	cfg, err := pgxpool.ParseConfig(env.connString)
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// newTestStore returns a migrated Store in a schema of its own.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	s := New(newTestPool(t))
	require.NoError(t, s.Migrate(context.Background()))
	return s
}
