package redis

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

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/authserver"
)

// The app process of TestDurabilityAfterAppSIGKILLOnRedis and of its
// WithGracePeriod variant is this test binary run again with appEnv set: TestMain then serves an authorization
// server over this store instead of running tests, prints appReady and its
// address, and serves until it is killed.

// appEnv names the environment variable that makes the test binary an app
// process; it holds the address of the redis-server to serve from.
const appEnv = "KUNCI_REDIS_DURABILITY_APP"

// appGraceEnv and appKeyEnv name the environment variables that hand an
// app process the refresh rotation of its test: the grace period, as
// time.Duration prints it, and the key, in hex. Unset, the app rotates
// strictly.
const (
	appGraceEnv = "KUNCI_REDIS_DURABILITY_GRACE_PERIOD"
	appKeyEnv   = "KUNCI_REDIS_DURABILITY_REFRESH_KEY"
)

// appReady starts the line an app process prints once it listens, followed
// by its base URL.
const appReady = "listening on "

// appClientName is the name (CLIENT SETNAME) under which the app process
// with the given process ID opens its Redis connections.
func appClientName(pid int) string { return "kunci-durability-app-" + strconv.Itoa(pid) }

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
// rotation its environment names, over the Redis at addr on a free loopback
// port and returns an exit code only if it cannot start or stops serving.
func serveApp(addr string) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rotation, err := envRotation()
	if err != nil {
		logger.Error("refresh rotation", "err", err)
		return 1
	}
	client := goredis.NewClient(&goredis.Options{Addr: addr, ClientName: appClientName(os.Getpid())})
	defer client.Close()
	st, err := New(client, Options{})
	if err != nil {
		logger.Error("new store", "err", err)
		return 1
	}
	srv, err := authserver.New(durabilityConfig(logger, rotation), st)
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

// startApp starts an app process on the Redis at addr, rotating refresh
// tokens as rotation says, its standard error going to logPath, and waits
// until it listens. The kernel kills the app if
// the test binary dies, so it never outlives a crashed test.
func startApp(addr string, rotation authserver.RefreshRotation, logPath string) (*appProcess, error) {
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
	cmd.Env = append(append(os.Environ(), appEnv+"="+addr), rotationEnv(rotation)...)
	cmd.Stdout, cmd.Stderr = w, logFile
	cmd.SysProcAttr = procAttr()
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
		_ = app.stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("app did not start: %q\n%s", l, log)
	case <-time.After(time.Minute):
		_ = app.stop()
		return nil, errors.New("app did not listen within a minute")
	}
}

// stop sends the app SIGKILL, unless it has exited, and waits until it is
// gone.
func (a *appProcess) stop() error {
	if err := a.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill app: %w", err)
	}
	<-a.done
	return nil
}

// crash stops the app with SIGKILL and then waits until the Redis that rdb
// talks to has dropped every connection of the app. A command the app had
// sent before it died may still wait in such a connection; Redis runs the
// commands of a connection in order as it reads them and drops the
// connection only once it has read to its end, so from then on nothing the
// dead app sent can still change a grant. The deadline only keeps a broken
// run from hanging.
func (a *appProcess) crash(ctx context.Context, rdb *goredis.Client) error {
	name := appClientName(a.cmd.Process.Pid)
	// Killed in the middle of the load, the app has connections open;
	// without them the wait below would prove nothing.
	list, err := rdb.ClientList(ctx).Result()
	if err != nil {
		return fmt.Errorf("client list: %w", err)
	}
	if !hasClientNamed(list, name) {
		return fmt.Errorf("redis lists no connection of the app %s before the kill", name)
	}
	if err := a.stop(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := rdb.ClientList(ctx).Result()
		if err != nil {
			return fmt.Errorf("client list: %w", err)
		}
		if !hasClientNamed(list, name) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis still lists connections of the killed app %s after 30s", name)
		}
		time.Sleep(time.Millisecond)
	}
}

// hasClientNamed reports whether a CLIENT LIST reply has a connection
// with the given name: one line per connection, of space-separated
// key=value fields.
func hasClientNamed(list, name string) bool {
	for line := range strings.Lines(list) {
		for field := range strings.FieldsSeq(line) {
			if field == "name="+name {
				return true
			}
		}
	}
	return false
}
