package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// Durability, proven (issue 14). Clients rotate refresh tokens (RFC 6749 §6)
// through the real token endpoint while the database server, or the app
// process, is killed with SIGKILL and started again on the same data.
// Afterwards every refresh token a client received in a 200 response still
// works exactly once: none was lost, and none is usable twice.
//
// A request that failed (a 5xx, or no response at all) has an unknown
// outcome: the rotation may have committed before the response was lost.
// Its client keeps the token it has and retries, as a real client would,
// until it gets an answer. Either the rotation had not happened, and the
// retry rotates, or it had, and the retry presents a rotated token, which
// revokes the grant (RFC 9700 §4.14.2; the tests run without a grace
// period). Such a refused chain cannot be checked through the endpoint, so
// the test reads its grant and checks that it rotated exactly once more than
// its client saw: the lost response's token had been stored.

const (
	durableChains   = 200 // refresh chains, one grant each
	durableWorkers  = 4   // clients rotating at once
	durableClientID = "durable-app"
	durableSecret   = "durable-app-secret-0123456789"
	// downFailures is how many failed requests each worker must see after
	// the kill before the killed process is started again.
	downFailures = 3
	// upRotations is how many rotations each worker must complete after
	// the restart before the load stops.
	upRotations = 5
	// retryPause paces the retries of a request with an unknown outcome.
	retryPause = 5 * time.Millisecond
	// retriesAfterStop bounds those retries once the load is stopping,
	// when every process is up again.
	retriesAfterStop = 200
)

// TestDurabilityAfterPostgresSIGKILL kills a dedicated PostgreSQL server,
// running with its crash-safe defaults (fsync and synchronous_commit on),
// with SIGKILL in the middle of refresh token rotations, and restarts it on
// the same data directory and port; the app and its connection pool live on.
func TestDurabilityAfterPostgresSIGKILL(t *testing.T) {
	if env.connString == "" {
		t.Skip(env.skip) // in CI, TestMain has already failed the run
	}
	pg, err := startServer(true)
	require.NoError(t, err)
	t.Cleanup(pg.stop)
	cfg, err := pgxpool.ParseConfig(pg.connString(testDatabase))
	require.NoError(t, err)
	cfg.MaxConns = 16
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var settings [2]string
	require.NoError(t, pool.QueryRow(t.Context(),
		`SELECT current_setting('fsync'), current_setting('synchronous_commit')`).Scan(&settings[0], &settings[1]))
	require.Equal(t, [2]string{"on", "on"}, settings, "fsync and synchronous_commit")

	st := New(pool)
	require.NoError(t, st.Migrate(t.Context()))
	srv, err := authserver.New(durabilityConfig(nil), st)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	runDurability(t, durabilityCase{
		srv:  srv,
		pool: pool,
		url:  ts.URL,
		kill: pg.crash,
		restart: func() (string, error) {
			return ts.URL, pg.restart()
		},
		appSurvives: true,
	})
}

// TestDurabilityAfterAppSIGKILL kills the app process, an authorization
// server over the PostgreSQL store in a child process, with SIGKILL in the
// middle of refresh token rotations, and starts a new one on the same
// database; the check runs through the new process.
func TestDurabilityAfterAppSIGKILL(t *testing.T) {
	pool := newTestPool(t)
	st := New(pool)
	require.NoError(t, st.Migrate(t.Context()))
	// This in-process instance only registers the client and issues the
	// first tokens, as a host's own handler would.
	srv, err := authserver.New(durabilityConfig(nil), st)
	require.NoError(t, err)
	conn := env.connString + "&search_path=" + url.QueryEscape(pool.Config().ConnConfig.RuntimeParams["search_path"])

	var logs []string // the apps' standard error
	start := func() (*appProcess, error) {
		logs = append(logs, filepath.Join(t.TempDir(), fmt.Sprintf("app-%d.log", len(logs)+1)))
		app, err := startApp(conn, logs[len(logs)-1])
		if err == nil {
			t.Cleanup(func() { _ = app.kill() })
		}
		return app, err
	}
	app, err := start()
	require.NoError(t, err)

	runDurability(t, durabilityCase{
		srv:  srv,
		pool: pool,
		url:  app.url,
		kill: app.kill,
		restart: func() (string, error) {
			next, err := start()
			if err != nil {
				return "", err
			}
			return next.url, nil
		},
	})
	// Under -race the apps are instrumented too, and report to their logs.
	for _, path := range logs {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "DATA RACE", path)
		assert.NotContains(t, string(raw), "panic:", path)
	}
}

// durabilityCase is what differs between the durability tests.
type durabilityCase struct {
	srv  *authserver.Server // registers the client and issues the first tokens
	pool *pgxpool.Pool      // reads the grants of refused chains
	url  string             // base URL of the app serving the token endpoint
	// kill kills a process with SIGKILL and returns once it is gone;
	// restart starts it again and returns the app's base URL.
	kill    func() error
	restart func() (string, error)
	// appSurvives says the app process lives throughout, so every request
	// must get an HTTP response.
	appSurvives bool
}

// runDurability issues the chains, runs the load across a kill and a
// restart, and checks every chain.
func runDurability(t *testing.T, c durabilityCase) {
	ctx := t.Context()
	require.NoError(t, c.srv.RegisterClient(ctx, authserver.Client{
		ID: durableClientID, Secret: durableSecret,
		GrantTypes: []authserver.GrantType{authserver.GrantRefreshToken}, Scopes: []string{"basic_info"},
	}))
	chains := make([]*chain, durableChains)
	for i := range chains {
		it, err := c.srv.IssueToken(ctx, authserver.TokenRequest{
			ClientID: durableClientID, Subject: fmt.Sprintf("user-%d", i), Scopes: []string{"basic_info"}, Refresh: true,
		})
		require.NoError(t, err)
		chains[i] = &chain{id: i, grantID: it.GrantID, token: it.RefreshToken}
	}

	killAt := int64(100 + rand.IntN(400))
	l := newLoad(c.url, chains, killAt)
	t.Cleanup(l.halt)
	l.start(ctx)
	l.await(t, l.killPoint, "the kill point")
	require.NoError(t, c.kill())
	l.phase.Store(phaseDown)
	l.await(t, l.down.done(), "every worker to fail while it is down")
	base, err := c.restart()
	require.NoError(t, err)
	l.url.Store(&base)
	l.phase.Store(phaseUp)
	l.await(t, l.up.done(), "every worker to rotate after the restart")
	l.halt()

	assert.Empty(t, l.violations, "during the load")
	if c.appSurvives {
		assert.Zero(t, l.outcomes[transportError], "requests the living app did not answer")
	}

	strict, refused := 0, 0
	for _, ch := range chains {
		switch {
		case ch.broken:
			// Already a violation.
		case ch.refused:
			refused++
			o := l.rotate(ctx, ch.token)
			assert.Equal(t, kindRefused, o.kind, "chain %d: a refused token again: %s", ch.id, o.detail)
			var count int64
			var revoked bool
			err := c.pool.QueryRow(ctx, `SELECT refresh_count, revoked_at IS NOT NULL FROM kunci_grants WHERE id = $1`,
				ch.grantID).Scan(&count, &revoked)
			if assert.NoError(t, err, "chain %d: its grant", ch.id) {
				assert.Equal(t, int64(ch.rotations+1), count,
					"chain %d: refused after a request with an unknown outcome, which must have rotated it", ch.id)
				assert.True(t, revoked, "chain %d: the reuse revoked the grant", ch.id)
			}
		default:
			strict++
			first := l.rotate(ctx, ch.token)
			if assert.Equal(t, kindAnswered, first.kind, "chain %d after %d rotations: its last refresh token: %s",
				ch.id, ch.rotations, first.detail) {
				second := l.rotate(ctx, ch.token)
				assert.Equal(t, kindRefused, second.kind, "chain %d: its last refresh token used twice: %s", ch.id, second.detail)
			}
		}
	}
	t.Logf("killed after %d rotations; %d in all; responses %v; %d chains checked strictly, %d refused after an unknown outcome",
		killAt, l.answered.Load(), l.outcomes, strict, refused)
	assert.LessOrEqual(t, refused, durableWorkers, "chains refused after an unknown outcome")
	assert.Equal(t, durableChains, strict+refused, "chains checked")
}

// chain is one grant's refresh chain as its client knows it. A worker holds
// mu while it uses the chain, so that a chain has one request at a time.
type chain struct {
	mu      sync.Mutex
	id      int
	grantID string
	// token is the refresh token of the chain's last 200 response (or the
	// first one, issued through the Go API); rotations counts those 200s.
	token     string
	rotations int
	// unsure: the last request with token has an unknown outcome. refused:
	// then a retry with token was refused. broken: a violation.
	unsure, refused, broken bool
}

// Phases of the load.
const (
	phaseRunning int32 = iota
	phaseDown          // the killed process is gone
	phaseUp            // it runs again
)

// load is the workers rotating chains, and what they saw.
type load struct {
	client *http.Client
	url    atomic.Pointer[string]
	chains []*chain

	killAt    int64
	answered  atomic.Int64  // 200 responses
	killPoint chan struct{} // closed at the killAt-th 200
	phase     atomic.Int32
	down, up  *latch // every worker failed after the kill, rotated after the restart

	stop     chan struct{}
	stopOnce sync.Once
	workers  sync.WaitGroup
	exited   chan struct{} // closed when every worker has returned

	mu         sync.Mutex
	outcomes   map[string]int // responses by status and error code
	violations []string
}

func newLoad(base string, chains []*chain, killAt int64) *load {
	l := &load{
		client:    &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: durableWorkers}},
		chains:    chains,
		killAt:    killAt,
		killPoint: make(chan struct{}),
		down:      newLatch(durableWorkers),
		up:        newLatch(durableWorkers),
		stop:      make(chan struct{}),
		exited:    make(chan struct{}),
		outcomes:  map[string]int{},
	}
	l.url.Store(&base)
	return l
}

func (l *load) start(ctx context.Context) {
	l.workers.Add(durableWorkers)
	for range durableWorkers {
		go l.work(ctx)
	}
	go func() {
		l.workers.Wait()
		close(l.exited)
	}()
}

// halt stops the load and waits for the workers; each first settles a
// request with an unknown outcome.
func (l *load) halt() {
	l.stopOnce.Do(func() { close(l.stop) })
	l.workers.Wait()
	l.client.CloseIdleConnections()
}

// await waits until done is closed. The deadline only keeps a broken run
// from hanging; no assertion depends on timing.
func (l *load) await(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-l.exited:
		require.FailNow(t, "the load stopped before "+what, "%v", l.violations)
	case <-time.After(time.Minute):
		require.FailNow(t, "timed out waiting for "+what)
	}
}

func (l *load) stopping() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// work rotates random chains until the load stops. A request with an
// unknown outcome is retried with the same token until it gets an answer.
func (l *load) work(ctx context.Context) {
	defer l.workers.Done()
	var stuck *chain // held, retried
	downSeen, upSeen, retries := 0, 0, 0
	for {
		c := stuck
		if c == nil {
			if l.stopping() {
				return
			}
			if c = l.pick(); c == nil {
				l.violate("no chain left to rotate")
				return
			}
		}
		phase := l.phase.Load()
		o := l.rotate(ctx, c.token)
		l.count(o.detail, o.kind)
		switch o.kind {
		case kindAnswered:
			c.token, c.unsure = o.token, false
			c.rotations++
			if l.answered.Add(1) == l.killAt {
				close(l.killPoint)
			}
			if phase == phaseUp {
				if upSeen++; upSeen == upRotations {
					l.up.count()
				}
			}
		case kindUnknown:
			c.unsure = true
			if phase == phaseDown {
				if downSeen++; downSeen == downFailures {
					l.down.count()
				}
			}
			if l.stopping() {
				if retries++; retries > retriesAfterStop {
					c.broken = true
					l.violate(fmt.Sprintf("chain %d: still no answer after %d retries with every process up: %s", c.id, retries, o.detail))
				}
			}
		case kindRefused:
			if c.unsure {
				c.refused = true
			} else {
				c.broken = true
				l.violate(fmt.Sprintf("chain %d: the refresh token of its last 200 response was refused (%d rotations)", c.id, c.rotations))
			}
		default:
			c.broken = true
			l.violate(fmt.Sprintf("chain %d: %s", c.id, o.detail))
		}
		if o.kind == kindUnknown && !c.broken {
			stuck = c
			time.Sleep(retryPause)
			continue
		}
		stuck, retries = nil, 0
		c.mu.Unlock()
	}
}

// pick locks and returns a random chain that no other worker holds and
// that can still rotate, or nil when none is found.
func (l *load) pick() *chain {
	for range 100 * len(l.chains) {
		c := l.chains[rand.IntN(len(l.chains))]
		if !c.mu.TryLock() {
			continue
		}
		if !c.refused && !c.broken {
			return c
		}
		c.mu.Unlock()
	}
	return nil
}

func (l *load) violate(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.violations = append(l.violations, msg)
}

func (l *load) count(detail string, kind outcomeKind) {
	if kind == kindUnexpected {
		detail = "unexpected"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes[detail]++
}

// outcomeKind classifies the answer to a refresh request.
type outcomeKind int

const (
	kindAnswered   outcomeKind = iota // 200 with a new refresh token
	kindUnknown                       // a 5xx or no response: the rotation may or may not have happened
	kindRefused                       // 400 invalid_grant
	kindUnexpected                    // anything else: a violation
)

// transportError is the outcome of a request that got no HTTP response.
const transportError = "transport error"

type outcome struct {
	kind   outcomeKind
	token  string // the new refresh token, for kindAnswered
	detail string // status and error code, or what was wrong
}

// rotate presents token at the token endpoint with grant_type=refresh_token
// (RFC 6749 §6), the client authenticating with HTTP Basic (§2.3.1).
func (l *load) rotate(ctx context.Context, token string) outcome {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *l.url.Load()+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return outcome{kind: kindUnexpected, detail: err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(durableClientID, durableSecret)
	resp, err := l.client.Do(req)
	if err != nil {
		return outcome{kind: kindUnknown, detail: transportError}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return outcome{kind: kindUnknown, detail: transportError}
	}
	var body struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		RefreshToken string `json:"refresh_token"`
		Error        string `json:"error"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return outcome{kind: kindUnexpected, detail: fmt.Sprintf("%d with a body that is not JSON: %q", resp.StatusCode, raw)}
	}
	detail := fmt.Sprintf("%d %s", resp.StatusCode, body.Error)
	switch {
	case resp.StatusCode == http.StatusOK && body.AccessToken != "" && body.TokenType == "Bearer" &&
		body.RefreshToken != "" && body.RefreshToken != token:
		return outcome{kind: kindAnswered, token: body.RefreshToken, detail: "200"}
	case resp.StatusCode == http.StatusServiceUnavailable && body.Error == string(authserver.CodeTemporarilyUnavailable),
		resp.StatusCode == http.StatusInternalServerError && body.Error == string(authserver.CodeServerError):
		return outcome{kind: kindUnknown, detail: detail}
	case resp.StatusCode == http.StatusBadRequest && body.Error == string(authserver.CodeInvalidGrant):
		return outcome{kind: kindRefused, detail: detail}
	}
	return outcome{kind: kindUnexpected, detail: fmt.Sprintf("unexpected response %d: %s", resp.StatusCode, raw)}
}

// latch is closed once count has been called n times.
type latch struct {
	left atomic.Int32
	ch   chan struct{}
}

func newLatch(n int32) *latch {
	l := &latch{ch: make(chan struct{})}
	l.left.Store(n)
	return l
}

func (l *latch) count() {
	if l.left.Add(-1) == 0 {
		close(l.ch)
	}
}

func (l *latch) done() <-chan struct{} { return l.ch }
