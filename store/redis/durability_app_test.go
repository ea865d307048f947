package redis

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/store"
	"github.com/kunci/kunci/storetest/durability"
)

// The app process of TestDurabilityAfterAppSIGKILLOnRedis and of its
// WithGracePeriod variant is this test binary run again with appEnv set:
// TestMain then serves an authorization server over this store
// (durability.ServeApp) instead of running tests, until it is killed.

// appEnv names the environment variable that makes the test binary an app
// process; it holds the address of the redis-server to serve from.
const appEnv = "KUNCI_REDIS_DURABILITY_APP"

// appClientName is the name (CLIENT SETNAME) under which the app process
// with the given process ID opens its Redis connections.
func appClientName(pid int) string { return "kunci-durability-app-" + strconv.Itoa(pid) }

// serveApp is the app process: it serves durability.Config over the Redis
// at addr, its connections named appClientName, and returns an exit code
// only if it cannot start or stops serving.
func serveApp(addr string) int {
	return durability.ServeApp(func() (store.Store, func(), error) {
		client := goredis.NewClient(&goredis.Options{Addr: addr, ClientName: appClientName(os.Getpid())})
		st, err := New(client, Options{})
		if err != nil {
			_ = client.Close()
			return nil, nil, fmt.Errorf("new store: %w", err)
		}
		return st, func() { _ = client.Close() }, nil
	})
}

// crashApp kills app with SIGKILL and then waits until the Redis that rdb
// talks to has dropped every connection of the app. A command the app had
// sent before it died may still wait in such a connection; Redis runs the
// commands of a connection in order as it reads them and drops the
// connection only once it has read to its end, so from then on nothing the
// dead app sent can still change a grant. The deadline only keeps a broken
// run from hanging.
func crashApp(ctx context.Context, app *durability.App, rdb *goredis.Client) error {
	name := appClientName(app.Pid())
	// Killed in the middle of the load, the app has connections open;
	// without them the wait below would prove nothing.
	list, err := rdb.ClientList(ctx).Result()
	if err != nil {
		return fmt.Errorf("client list: %w", err)
	}
	if !hasClientNamed(list, name) {
		return fmt.Errorf("redis lists no connection of the app %s before the kill", name)
	}
	if err := app.Kill(); err != nil {
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
