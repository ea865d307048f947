package durability

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// An app process is the test binary run again with a variable of the store
// module's choosing set: its TestMain then calls ServeApp instead of
// running tests, which prints appReady and the app's address, and serves
// until the process is killed.

// graceEnv and keyEnv name the environment variables that hand an app
// process the refresh rotation of its test: the grace period, as
// time.Duration prints it, and the key, in hex. Unset, the app rotates
// strictly.
const (
	graceEnv = "KUNCI_DURABILITY_GRACE_PERIOD"
	keyEnv   = "KUNCI_DURABILITY_REFRESH_KEY"
)

// appReady starts the line an app process prints once it listens, followed
// by its base URL.
const appReady = "listening on "

// rotationEnv is rotation as the environment of an app process carries it.
func rotationEnv(rotation authserver.RefreshRotation) []string {
	if rotation.GracePeriod == 0 && rotation.Key == nil {
		return nil
	}
	return []string{graceEnv + "=" + rotation.GracePeriod.String(), keyEnv + "=" + hex.EncodeToString(rotation.Key)}
}

// envRotation is the rotation that rotationEnv put in the environment of
// this app process.
func envRotation() (authserver.RefreshRotation, error) {
	grace, key := os.Getenv(graceEnv), os.Getenv(keyEnv)
	if grace == "" && key == "" {
		return authserver.RefreshRotation{}, nil
	}
	var rotation authserver.RefreshRotation
	var err error
	if rotation.GracePeriod, err = time.ParseDuration(grace); err != nil {
		return rotation, fmt.Errorf("durability: %s: %w", graceEnv, err)
	}
	if rotation.Key, err = hex.DecodeString(key); err != nil {
		return rotation, fmt.Errorf("durability: %s: %w", keyEnv, err)
	}
	return rotation, nil
}

// ServeApp is the body of an app process, for the test binary's TestMain
// to call: it serves [Config], with the rotation that [Apps] put in its
// environment, over the store that open returns, on a free loopback port,
// logging warnings to standard error. It returns an exit code only if it
// cannot start or stops serving; closeStore, when open returns one, is
// called then.
func ServeApp(open func() (st store.Store, closeStore func(), err error)) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rotation, err := envRotation()
	if err != nil {
		logger.Error("refresh rotation", "err", err)
		return 1
	}
	st, closeStore, err := open()
	if err != nil {
		logger.Error("open store", "err", err)
		return 1
	}
	if closeStore != nil {
		defer closeStore()
	}
	srv, err := authserver.New(Config(logger, rotation), st)
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

// App is a running app process.
type App struct {
	// URL is its base URL.
	URL  string
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
}

// Pid is the app's process ID.
func (a *App) Pid() int { return a.cmd.Process.Pid }

// Kill sends the app SIGKILL, unless it has exited, and waits until it is
// gone.
func (a *App) Kill() error {
	if err := a.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("durability: kill app: %w", err)
	}
	<-a.done
	return nil
}

// Apps starts the app processes of one test, each a run of the test
// binary, and keeps their standard error in files of the test's own.
type Apps struct {
	t    *testing.T
	env  []string
	attr *syscall.SysProcAttr
	logs []string
}

// NewApps returns the starter of t's app processes. Each gets env added to
// its environment (at least the variable that makes TestMain call
// [ServeApp]) together with rotation, and runs with attr, which should have
// the kernel kill the app if the test binary dies, so that it never
// outlives a crashed test.
func NewApps(t *testing.T, env []string, rotation authserver.RefreshRotation, attr *syscall.SysProcAttr) *Apps {
	return &Apps{t: t, env: append(append([]string(nil), env...), rotationEnv(rotation)...), attr: attr}
}

// Start starts an app process, killed when the test ends, and waits until
// it listens.
func (a *Apps) Start() (*App, error) {
	logPath := filepath.Join(a.t.TempDir(), fmt.Sprintf("app-%d.log", len(a.logs)+1))
	a.logs = append(a.logs, logPath)
	app, err := startApp(a.env, a.attr, logPath)
	if err == nil {
		a.t.Cleanup(func() { _ = app.Kill() })
	}
	return app, err
}

// CheckLogs checks that no app reported a data race or a panic: under
// -race the apps are instrumented too, and report to their logs.
func (a *Apps) CheckLogs() {
	a.t.Helper()
	for _, path := range a.logs {
		raw, err := os.ReadFile(path)
		require.NoError(a.t, err)
		assert.NotContains(a.t, string(raw), "DATA RACE", path)
		assert.NotContains(a.t, string(raw), "panic:", path)
	}
}

// startApp starts an app process with env added to its environment, its
// standard error going to logPath, and waits until it listens.
func startApp(env []string, attr *syscall.SysProcAttr, logPath string) (*App, error) {
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
	// -test.run matches nothing, in case TestMain ever stops catching the
	// app's variable.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = w, logFile
	cmd.SysProcAttr = attr
	err = cmd.Start()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("durability: start app: %w", err)
	}
	app := &App{cmd: cmd, done: make(chan struct{})}
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
			app.URL = url
			return app, nil
		}
		_ = app.Kill()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("durability: app did not start: %q\n%s", l, log)
	case <-time.After(time.Minute):
		_ = app.Kill()
		return nil, errors.New("durability: app did not listen within a minute")
	}
}
