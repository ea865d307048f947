package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kunci/kunci/authserver"
)

// The app process of TestDurabilityAfterAppSIGKILL is this test binary run
// again with appEnv set: TestMain then serves an authorization server over
// the PostgreSQL store instead of running tests, prints appReady and its
// address, and serves until it is killed.

// appEnv names the environment variable that makes the test binary an app
// process; it holds the connection string of the database to serve from.
const appEnv = "KUNCI_DURABILITY_APP"

// appReady starts the line an app process prints once it listens, followed
// by its base URL.
const appReady = "listening on "

// durabilityConfig is the authorization server of both durability tests:
// the refresh_token grant (RFC 6749 §6) with strict rotation, no grace
// period, so that presenting a rotated refresh token again revokes its
// grant (RFC 9700 §4.14.2).
func durabilityConfig(logger *slog.Logger) authserver.Config {
	return authserver.Config{
		Issuer: "https://auth.example.com",
		Scopes: []authserver.Scope{{Name: "basic_info", Description: "Read your name and email"}},
		Grants: []authserver.GrantType{authserver.GrantRefreshToken},
		Logger: logger,
	}
}

// serveApp is the app process: it serves durabilityConfig over the store at
// conn on a free loopback port and returns an exit code only if it cannot
// start or stops serving.
func serveApp(conn string) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, err := pgxpool.New(context.Background(), conn)
	if err != nil {
		logger.Error("connect", "err", err)
		return 1
	}
	defer pool.Close()
	srv, err := authserver.New(durabilityConfig(logger), New(pool))
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

// startApp starts an app process on the database at conn, its standard
// error going to logPath, and waits until it listens. The app gets SIGQUIT
// if the test binary dies, so it never outlives a crashed test.
func startApp(conn, logPath string) (*appProcess, error) {
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
	cmd.Env = append(os.Environ(), appEnv+"="+conn)
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
