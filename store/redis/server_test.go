package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// The tests of this package run against throwaway redis-server processes
// that they start themselves on free loopback ports, each with a temporary
// directory: a single node and a three-primary Redis Cluster shared by the
// tests that need them (started on first use, killed when TestMain ends),
// and servers of their own for the tests that kill, restart or replicate
// them (killed by t.Cleanup). Every child also gets SIGKILL from the kernel
// if the test binary dies. Each Store under test gets a key prefix of its
// own, so tests never see each other's keys.

// testEnv is what the tests share. Its servers start on first use.
type testEnv struct {
	serverBin, cliBin string
	missing           error // why no Redis can be started; nil when it can
	dir               string

	mu      sync.Mutex
	started []*redisServer // every shared server, to kill at exit

	singleOnce, clusterOnce, ringOnce sync.Once
	single                            *goredis.Client
	cluster                           *goredis.ClusterClient
	ring                              *goredis.Ring
	singleErr, clusterErr, ringErr    error

	stores atomic.Int64 // numbers key prefixes
}

// env is set up by TestMain before any test runs.
var env testEnv

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if addr := os.Getenv(appEnv); addr != "" {
		return serveApp(addr) // an app process of durability_app_test.go
	}
	env.serverBin, env.missing = exec.LookPath("redis-server")
	if env.missing == nil {
		env.cliBin, env.missing = exec.LookPath("redis-cli")
	}
	if env.missing == nil {
		dir, err := os.MkdirTemp("", "kunci-redis-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "redis tests:", err)
			return 1
		}
		env.dir = dir
		defer os.RemoveAll(dir)
	}
	defer env.stopShared()
	return m.Run()
}

// inCI reports whether the tests run in CI, where a missing redis-server
// fails the run instead of skipping: CI is set to a true value ("true",
// "1") or to anything that is not a boolean at all.
func inCI() bool {
	v := os.Getenv("CI")
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

// needRedis skips t when redis-server or redis-cli is missing, and fails it
// instead in CI.
func needRedis(t testing.TB) {
	t.Helper()
	if env.missing == nil {
		return
	}
	msg := fmt.Sprintf("no Redis: %v; install it with `apt-get install redis-server` (Debian/Ubuntu) to run these tests", env.missing)
	if inCI() {
		t.Fatal(msg + " (in CI a missing Redis fails the run)")
	}
	t.Skip(msg)
}

// redisServer is a running redis-server child process.
type redisServer struct {
	port   int
	dir    string
	args   []string // extra arguments, kept for a restart
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	log    string
}

func (r *redisServer) addr() string { return "127.0.0.1:" + r.addrPort() }

func (r *redisServer) addrPort() string { return strconv.Itoa(r.port) }

// startRedis starts redis-server on port, with its working directory dir
// and the extra arguments, and returns once it answers PING.
func startRedis(dir string, port int, extra ...string) (*redisServer, error) {
	r := &redisServer{port: port, dir: dir, args: extra}
	return r, r.start()
}

func (r *redisServer) start() error {
	args := append([]string{
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "no", "--loglevel", "warning", "--daemonize", "no",
		// A replica syncs at once; WAIT timeouts fire within 10ms, not 100.
		"--repl-diskless-sync-delay", "0", "--hz", "100",
	}, r.args...)
	r.log = filepath.Join(r.dir, fmt.Sprintf("redis-%d.log", r.port))
	logFile, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(env.serverBin, args...)
	cmd.Dir = r.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	r.cmd, r.exited = cmd, exited

	c := goredis.NewClient(&goredis.Options{Addr: r.addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(r.log)
			return fmt.Errorf("redis-server on port %d exited before answering:\n%s", r.port, log)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.kill()
			return fmt.Errorf("redis-server on port %d did not answer within 30s: %w", r.port, err)
		}
	}
}

// kill sends SIGKILL and waits until the process has gone.
func (r *redisServer) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.exited
	r.cmd = nil
}

// startFree starts a server in a new directory under parent on a free
// port, trying another port when the one found free is taken meanwhile.
// With cluster set, the port's cluster bus port (port + 10000) is free too.
func startFree(parent string, cluster bool, extra ...string) (*redisServer, error) {
	var err error
	for range 3 {
		var port int
		if port, err = freePort(cluster); err != nil {
			continue
		}
		dir := filepath.Join(parent, strconv.Itoa(port))
		if err = os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		var r *redisServer
		if r, err = startRedis(dir, port, extra...); err == nil {
			return r, nil
		}
	}
	return nil, err
}

// freePort asks the kernel for an unused loopback port; with bus set, one
// whose cluster bus port is unused as well.
func freePort(bus bool) (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !bus {
			l.Close()
			return port, nil
		}
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		lb, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		l.Close()
		if err != nil {
			continue
		}
		lb.Close()
		return port, nil
	}
	return 0, errors.New("no free port with a free cluster bus port")
}

// share records a shared server, to be killed when TestMain ends.
func (e *testEnv) share(r *redisServer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.started = append(e.started, r)
}

func (e *testEnv) stopShared() {
	if e.single != nil {
		_ = e.single.Close()
	}
	if e.cluster != nil {
		_ = e.cluster.Close()
	}
	if e.ring != nil {
		_ = e.ring.Close()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.started {
		r.kill()
	}
}

// singleClient returns a client of the shared single node. It keeps
// nothing on disk, unless KUNCI_REDIS_DURABLE is set (for benchmarks with
// the settings README.md recommends).
func singleClient(t testing.TB) *goredis.Client {
	t.Helper()
	needRedis(t)
	env.singleOnce.Do(func() {
		var extra []string
		if os.Getenv("KUNCI_REDIS_DURABLE") != "" {
			// As in production: every write fsynced before the reply.
			extra = []string{"--appendonly", "yes", "--appendfsync", "always"}
		}
		var r *redisServer
		r, env.singleErr = startFree(env.dir, false, extra...)
		if env.singleErr == nil {
			env.share(r)
			env.single = goredis.NewClient(&goredis.Options{Addr: r.addr()})
		}
	})
	require.NoError(t, env.singleErr, "start the single node")
	return env.single
}

// ringClient returns a Ring over the shared single node and a second one.
func ringClient(t testing.TB) *goredis.Ring {
	t.Helper()
	first := singleClient(t)
	env.ringOnce.Do(func() {
		var r *redisServer
		r, env.ringErr = startFree(env.dir, false)
		if env.ringErr == nil {
			env.share(r)
			env.ring = goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{
				"one": first.Options().Addr, "two": r.addr(),
			}})
		}
	})
	require.NoError(t, env.ringErr, "start the ring's second node")
	return env.ring
}

// clusterClient returns a client of the shared three-primary cluster.
func clusterClient(t testing.TB) *goredis.ClusterClient {
	t.Helper()
	needRedis(t)
	env.clusterOnce.Do(func() {
		var addrs []string
		addrs, env.clusterErr = startCluster(env.dir, 3, env.share)
		if env.clusterErr == nil {
			env.cluster = goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
		}
	})
	require.NoError(t, env.clusterErr, "start the cluster")
	return env.cluster
}

// startCluster starts n cluster-enabled servers under parent, joins them
// into a cluster of n primaries with redis-cli, waits until every node
// reports cluster_state:ok, and returns their addresses. keep gets every
// server started, so that the caller can kill them.
func startCluster(parent string, n int, keep func(*redisServer)) ([]string, error) {
	var addrs []string
	for range n {
		r, err := startFree(parent, true, "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		if err != nil {
			return nil, err
		}
		keep(r)
		addrs = append(addrs, r.addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(env.cliBin, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %w\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, addr := range addrs {
		c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", n)) {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				return nil, fmt.Errorf("cluster not ok at %s within 30s: %v\n%s", addr, err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.Close()
	}
	return addrs, nil
}

// newPrefix returns a key prefix no other store of this test binary uses.
func newPrefix() string { return fmt.Sprintf("t%d:", env.stores.Add(1)) }

// newStoreOn returns a Store on client with a prefix of its own, and
// deletes its keys when t ends.
func newStoreOn(t testing.TB, client goredis.UniversalClient, opts Options) *Store {
	t.Helper()
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = newPrefix()
	}
	s, err := New(client, opts)
	require.NoError(t, err)
	t.Cleanup(func() { deletePrefix(client, opts.KeyPrefix) })
	return s
}

// deletePrefix deletes every key that starts with prefix, on every node.
func deletePrefix(client goredis.UniversalClient, prefix string) {
	ctx := context.Background()
	del := func(ctx context.Context, c *goredis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
		return iter.Err()
	}
	switch c := client.(type) {
	case *goredis.Client:
		_ = del(ctx, c)
	case *goredis.ClusterClient:
		_ = c.ForEachMaster(ctx, del)
	case *goredis.Ring:
		_ = c.ForEachShard(ctx, del)
	}
}

// countKeys counts the keys that start with prefix, on every node.
func countKeys(t testing.TB, client goredis.UniversalClient, prefix string) int {
	t.Helper()
	ctx := context.Background()
	var n atomic.Int64
	count := func(ctx context.Context, c *goredis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			n.Add(1)
		}
		return iter.Err()
	}
	var err error
	switch c := client.(type) {
	case *goredis.Client:
		err = count(ctx, c)
	case *goredis.ClusterClient:
		err = c.ForEachMaster(ctx, count)
	case *goredis.Ring:
		err = c.ForEachShard(ctx, count)
	}
	require.NoError(t, err)
	return int(n.Load())
}
