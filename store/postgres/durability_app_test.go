package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kunci/kunci/authserver"
)

// The app process of TestDurabilityAfterAppSIGKILL and of its
// WithGracePeriod variant is this test binary run again with appEnv set:
// TestMain then serves an authorization server over the PostgreSQL store
// instead of running tests, prints appReady and its address, and serves
// until it is killed.

// appEnv names the environment variable that makes the test binary an app
// process; it holds the connection string of the database to serve from.
const appEnv = "KUNCI_DURABILITY_APP"

// appGraceEnv and appKeyEnv name the environment variables that hand an
// app process the refresh rotation of its test: the grace period, as
// time.Duration prints it, and the key, in hex. Unset, the app rotates
// strictly.
const (
	appGraceEnv = "KUNCI_DURABILITY_GRACE_PERIOD"
	appKeyEnv   = "KUNCI_DURABILITY_REFRESH_KEY"
)

// appReady starts the line an app process prints once it listens, followed
// by its base URL.
const appReady = "listening on "

// durabilityConfig is the authorization server of the durability tests:
// the refresh_token grant (RFC 6749 §6), rotated as rotation says. Its zero
// value is strict rotation, no grace period, so that presenting a rotated
// refresh token again revokes its grant (RFC 9700 §4.14.2).
func durabilityConfig(logger *slog.Logger, rotation authserver.RefreshRotation) authserver.Config {
	return authserver.Config{
		Issuer:          "https://auth.example.com",
		Scopes:          []authserver.Scope{{Name: "basic_info", Description: "Read your name and email"}},
		Grants:          []authserver.GrantType{authserver.GrantRefreshToken},
		RefreshRotation: rotation,
		Logger:          logger,
	}
}

// appName is the application_name under which the app process with the
// given process ID connects to PostgreSQL.
func appName(pid int) string { return "kunci-durability-app-" + strconv.Itoa(pid) }

// graceRotation is the rotation README.md recommends for production: a
// grace period of a minute, far longer than a test runs, so that a client
// that lost a response gets the same successor again, and a random key of
// 32 bytes that every instance on the store is given.
func graceRotation() authserver.RefreshRotation {
	key := make([]byte, 32)
	rand.Read(key) // crypto/rand.Read never returns an error
	return authserver.RefreshRotation{GracePeriod: time.Minute, Key: key}
}

// rotationEnv is rotation as the environment of an app process carries it.
func rotationEnv(rotation authserver.RefreshRotation) []string {
	if rotation.GracePeriod == 0 && rotation.Key == nil {
		return nil
	}
	return []string{appGraceEnv + "=" + rotation.GracePeriod.String(), appKeyEnv + "=" + hex.EncodeToString(rotation.Key)}
}

// envRotation is the rotation that rotationEnv put in the environment of
// this app process.
func envRotation() (authserver.RefreshRotation, error) {
	grace, key := os.Getenv(appGraceEnv), os.Getenv(appKeyEnv)
	if grace == "" && key == "" {
		return authserver.RefreshRotation{}, nil
	}
	var rotation authserver.RefreshRotation
	var err error
	if rotation.GracePeriod, err = time.ParseDuration(grace); err != nil {
		return rotation, fmt.Errorf("%s: %w", appGraceEnv, err)
	}
	if rotation.Key, err = hex.DecodeString(key); err != nil {
		return rotation, fmt.Errorf("%s: %w", appKeyEnv, err)
	}
	return rotation, nil
}

// serveApp is the app process: it serves durabilityConfig, with the
// rotation its environment names, over the store at conn on a free loopback
// port and returns an exit code only if it cannot start or stops serving.
func serveApp(conn string) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rotation, err := envRotation()
	if err != nil {
		logger.Error("refresh rotation", "err", err)
		return 1
	}
	cfg, err := pgxpool.ParseConfig(conn)
	if err != nil {
		logger.Error("connection string", "err", err)
		return 1
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = appName(os.Getpid())
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		logger.Error("connect", "err", err)
		return 1
	}
	defer pool.Close()
	srv, err := authserver.New(durabilityConfig(logger, rotation), New(pool))
	if err != nil {
		logger.Error("new server", "err", err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		logger.Error("listen", "err", err)
		return 1
	}
	fmt.Printf("%shttp://%s\n", appReady, l.Addr())
	logger.Error("serve", "err", http.Serve(l, srv))
	return 1
}

// appProcess is a running app process.
type appProcess struct {
	cmd  *exec.Cmd
	url  string        // its base URL
	done chan struct{} // closed once it has exited
}

// startApp starts an app process on the database at conn, rotating refresh
// tokens as rotation says, its standard error going to logPath, and waits
// until it listens. The app gets SIGQUIT
// if the test binary dies, so it never outlives a crashed test.
func startApp(conn string, rotation authserver.RefreshRotation, logPath string) (*appProcess, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// -test.run matches nothing, in case TestMain ever stops catching appEnv.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), appEnv+"="+conn), rotationEnv(rotation)...)
	cmd.Stdout, cmd.Stderr = w, logFile
	cmd.SysProcAttr = procAttr(nil)
	err = cmd.Start()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("start app: %w", err)
	}
	app := &appProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // a killed app's exit status says nothing
		close(app.done)
	}()

	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(r)
		s.Scan()
		line <- s.Text() // "" when the app exits without a word
	}()
	select {
	case l := <-line:
		if url, ok := strings.CutPrefix(l, appReady); ok {
			app.url = url
			return app, nil
		}
		_ = app.kill()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("app did not start: %q\n%s", l, log)
	case <-time.After(60 * time.Second):
		_ = app.kill()
		return nil, errors.New("app did not listen within a minute")
	}
}

// kill sends the app SIGKILL, unless it has exited, and waits until it is
// gone.
func (a *appProcess) kill() error {
	if err := a.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill app: %w", err)
	}
	<-a.done
	return nil
}

// crash kills the app with SIGKILL and then waits until PostgreSQL, as
// pool sees it, has no backend of the app left. A backend that was running
// a statement of the app when it died finishes it (a rotation is one
// statement, committed on its own) and exits once it reads the end of its
// connection, so from then on nothing the dead app sent can still change a
// grant. The deadline only keeps a broken run from hanging.
func (a *appProcess) crash(ctx context.Context, pool *pgxpool.Pool) error {
	name := appName(a.cmd.Process.Pid)
	backends := func() (int, error) {
		var n int
		err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("pg_stat_activity: %w", err)
		}
		return n, nil
	}
	// Killed in the middle of the load, the app has backends; without them
	// the wait below would prove nothing.
	n, err := backends()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("postgres lists no backend of the app %s before the kill", name)
	}
	if err := a.kill(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := backends()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres still lists %d backends of the killed app %s after 30s", n, name)
		}
		time.Sleep(time.Millisecond)
	}
}
