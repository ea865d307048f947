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
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// The tests of this package run against a throwaway PostgreSQL server that
// TestMain starts once per test binary: initdb into a temporary directory,
// postgres listening on a free loopback port, one database. Each test then
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
	if conn := os.Getenv(appEnv); conn != "" {
		// A child that TestDurabilityAfterAppSIGKILL started to be killed.
		os.Exit(serveApp(conn))
	}
	os.Exit(runMain(m))
}

// inCI reports whether the tests run in CI, where a missing PostgreSQL
// fails the run instead of skipping: CI is set to a true value ("true", "1")
// or to anything that is not a boolean at all.
func inCI() bool {
	v := os.Getenv("CI")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

func runMain(m *testing.M) int {
	srv, err := startServer(false)
	if err != nil {
		if inCI() {
			fmt.Fprintf(os.Stderr, "postgres tests: %v\n(in CI a missing PostgreSQL fails the run; install it with apt-get install postgresql)\n", err)
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
	bin    string // directory holding initdb and postgres
	dir    string // temporary directory holding data and socket directories
	port   int
	asUser *osUser // the user to run the server as; nil to run it as ourselves
	cmd    *exec.Cmd
	exited chan error // receives the server's exit

	// durable keeps PostgreSQL's crash-safe defaults (fsync,
	// synchronous_commit, full_page_writes) even without KUNCI_PG_DURABLE.
	durable bool
}

// osUser is an unprivileged account to run PostgreSQL as.
type osUser struct{ uid, gid uint32 }

func (p *pgServer) connString(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, db)
}

// findBin returns the directory of the newest PostgreSQL server binaries:
// $PG_BIN, Debian's /usr/lib/postgresql/<version>/bin, or wherever initdb is
// on PATH.
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

// tempPrefix names the temporary directories of throwaway servers.
const tempPrefix = "kunci-pg-"

// ownerFile holds the process ID of the test binary that made a directory.
const ownerFile = "owner.pid"

// removeStale deletes the directories that earlier test binaries left behind
// when they crashed: their servers died with them (see startPostgres), so a
// directory whose owner is no longer running is garbage.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		owner, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // being set up, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(owner)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// startServer initialises a cluster in a temporary directory and starts it,
// crash-safe when durable is true (see pgServer.durable). As root it runs
// the server as the unprivileged postgres user, because initdb and postgres
// refuse to run as root.
func startServer(durable bool) (*pgServer, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	p := &pgServer{bin: bin, dir: dir, durable: durable}
	ok := false
	defer func() {
		if !ok {
			p.stop()
		}
	}()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		p.asUser = &osUser{uid: uint32(uid), gid: uint32(gid)}
	}
	if err := p.mkdir(p.sockets()); err != nil {
		return nil, err
	}
	if err := p.chown(dir); err != nil {
		return nil, err
	}
	initdb := p.command("initdb", "-D", p.data(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// A port found free can be taken before the server binds it; try a few.
	for attempt := 1; ; attempt++ {
		err := p.startPostgres()
		if err == nil {
			break
		}
		if attempt == 3 {
			return nil, err
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

// startPostgres runs the postgres server as a child process on a free
// loopback port and waits until it accepts connections. The child gets
// SIGQUIT (immediate shutdown) if this process dies, so a crashed test binary
// leaves no server behind.
func (p *pgServer) startPostgres() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	p.port = port
	return p.runPostgres()
}

// runPostgres runs the postgres server on p.port, as startPostgres says.
func (p *pgServer) runPostgres() error {
	args := []string{"-D", p.data(), "-p", strconv.Itoa(p.port), "-k", p.sockets(),
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"}
	if !p.durable && os.Getenv("KUNCI_PG_DURABLE") == "" {
		// Tests need no crash safety; skipping fsync makes them fast.
		// Set KUNCI_PG_DURABLE=1 to benchmark with the default settings.
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logFile, err := os.OpenFile(filepath.Join(p.dir, fmt.Sprintf("server-%d.log", p.port)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := p.command("postgres", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	p.cmd, p.exited = cmd, exited

	// Poll until the server answers; it usually takes well under a second.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.connString("postgres"))
		cancel()
		if err == nil {
			_ = conn.Close(context.Background())
			return nil
		}
		select {
		case werr := <-exited:
			p.cmd = nil
			log, _ := os.ReadFile(logFile.Name())
			return fmt.Errorf("postgres exited (%v) before accepting connections:\n%s", werr, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres did not accept connections within a minute: %w", err)
		}
	}
}

func (p *pgServer) data() string    { return filepath.Join(p.dir, "data") }
func (p *pgServer) sockets() string { return filepath.Join(p.dir, "sockets") }

// command prepares one of the server's programs, to run as the postgres user
// when needed.
func (p *pgServer) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME="+p.dir)
	cmd.SysProcAttr = procAttr(p.asUser)
	return cmd
}

func (p *pgServer) mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	return p.chown(dir)
}

func (p *pgServer) chown(path string) error {
	if p.asUser == nil {
		return nil
	}
	return os.Chown(path, int(p.asUser.uid), int(p.asUser.gid))
}

// stop shuts the server down (fast shutdown, then a kill if it hangs) and
// removes its directory.
func (p *pgServer) stop() {
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		p.cmd = nil
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
