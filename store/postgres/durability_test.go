package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
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
	"github.com/kunci/kunci/store"
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
// revokes the grant (RFC 9700 §4.14.2). Once the killed process is gone,
// and nothing it sent can still change a grant, the test reads the grant
// before every retry of a request with an unknown outcome: it must hold
// either the client's token, after exactly the rotations the client saw, or
// that token's successor, after one more. The retry must then be answered
// in the first case and refused in the second.
//
// Each test has a WithGracePeriod variant that runs the same load with the
// rotation README.md recommends, a grace period (Config.RefreshRotation)
// whose key every instance shares. There the retry must be answered in both
// cases, in the second with the very successor the grant holds, so no chain
// may be refused; and presenting a token twice within the period must give
// the identical successor: the rotation is idempotent, not a second branch
// of the chain.

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
	durabilityAfterPostgresSIGKILL(t, authserver.RefreshRotation{})
}

// TestDurabilityAfterPostgresSIGKILLWithGracePeriod is
// TestDurabilityAfterPostgresSIGKILL with a grace period: no chain is lost.
func TestDurabilityAfterPostgresSIGKILLWithGracePeriod(t *testing.T) {
	durabilityAfterPostgresSIGKILL(t, graceRotation())
}

func durabilityAfterPostgresSIGKILL(t *testing.T, rotation authserver.RefreshRotation) {
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
	srv, err := authserver.New(durabilityConfig(nil, rotation), st)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	runDurability(t, durabilityCase{
		srv:   srv,
		pool:  pool,
		url:   ts.URL,
		grace: rotation.GracePeriod > 0,
		kill:  pg.crash,
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
	durabilityAfterAppSIGKILL(t, authserver.RefreshRotation{})
}

// TestDurabilityAfterAppSIGKILLWithGracePeriod is
// TestDurabilityAfterAppSIGKILL with a grace period, the killed app and its
// replacement sharing the key: no chain is lost, although the retry of a
// response the killed app never sent is answered by the new one.
func TestDurabilityAfterAppSIGKILLWithGracePeriod(t *testing.T) {
	durabilityAfterAppSIGKILL(t, graceRotation())
}

func durabilityAfterAppSIGKILL(t *testing.T, rotation authserver.RefreshRotation) {
	pool := newTestPool(t)
	st := New(pool)
	require.NoError(t, st.Migrate(t.Context()))
	// This in-process instance only registers the client and issues the
	// first tokens, as a host's own handler would.
	srv, err := authserver.New(durabilityConfig(nil, rotation), st)
	require.NoError(t, err)
	conn := env.connString + "&search_path=" + url.QueryEscape(pool.Config().ConnConfig.RuntimeParams["search_path"])

	var logs []string // the apps' standard error
	start := func() (*appProcess, error) {
		logs = append(logs, filepath.Join(t.TempDir(), fmt.Sprintf("app-%d.log", len(logs)+1)))
		app, err := startApp(conn, rotation, logs[len(logs)-1])
		if err == nil {
			t.Cleanup(func() { _ = app.kill() })
		}
		return app, err
	}
	app, err := start()
	require.NoError(t, err)

	runDurability(t, durabilityCase{
		srv:   srv,
		pool:  pool,
		url:   app.url,
		grace: rotation.GracePeriod > 0,
		kill: func() error {
			return app.crash(t.Context(), pool)
		},
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
	pool *pgxpool.Pool      // reads the grants, on the test's own connections or the app's
	url  string             // base URL of the app serving the token endpoint
	// grace says the apps rotate with a grace period, and a key shared by
	// all of them.
	grace bool
	// kill kills a process with SIGKILL and returns once it is gone and
	// nothing it sent can still change a grant; restart starts it again and
	// returns the app's base URL.
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
	l := newLoad(c.url, New(c.pool), chains, killAt, c.grace)
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
			// The grant as read before the refused retry: one rotation
			// more than its client saw, the last one retiring the
			// client's token.
			if assert.True(t, ch.inspected, "chain %d: refused without its grant read first", ch.id) {
				assert.Equal(t, ch.rotations+1, ch.seen.RefreshCount,
					"chain %d: refused after a request with an unknown outcome, which must have rotated it", ch.id)
				assert.Equal(t, tokenHash(ch.token), ch.seen.PreviousRefreshHash,
					"chain %d: the rotation retired the client's token", ch.id)
			}
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
			// The grant holds the client's token after exactly the
			// rotations the client saw: a rotation whose response was
			// lost was either not stored or answered again.
			var hash string
			var count int64
			var revoked bool
			err := c.pool.QueryRow(ctx, `SELECT refresh_hash, refresh_count, revoked_at IS NOT NULL FROM kunci_grants WHERE id = $1`,
				ch.grantID).Scan(&hash, &count, &revoked)
			if assert.NoError(t, err, "chain %d: its grant", ch.id) {
				assert.Equal(t, tokenHash(ch.token), hash, "chain %d: the grant's refresh token is the client's", ch.id)
				assert.Equal(t, int64(ch.rotations), count, "chain %d: rotations", ch.id)
				assert.False(t, revoked, "chain %d: revoked", ch.id)
			}
			checkLastToken(t, l, ch, c.grace)
		}
	}
	t.Logf("killed after %d rotations; %d in all; responses %v; %d retries answered after a rotation whose response was lost; %d chains checked strictly, %d refused after an unknown outcome",
		killAt, l.answered.Load(), l.outcomes, l.recovered.Load(), strict, refused)
	if c.grace {
		assert.Zero(t, refused, "chains refused with a grace period")
	} else {
		assert.LessOrEqual(t, refused, durableWorkers, "chains refused after an unknown outcome")
	}
	assert.Equal(t, durableChains, strict+refused, "chains checked")
}

// checkLastToken checks that ch's token, the refresh token of its last 200
// response, works exactly once. With strict rotation it is answered once
// and then refused. With a grace period, presenting it again within the
// period is answered with the identical successor, the rotation being
// idempotent; the successor then works, after which the token is a reuse,
// refused, and revokes the grant.
func checkLastToken(t *testing.T, l *load, ch *chain, grace bool) {
	t.Helper()
	ctx := t.Context()
	first := l.rotate(ctx, ch.token)
	if !assert.Equal(t, kindAnswered, first.kind, "chain %d after %d rotations: its last refresh token: %s",
		ch.id, ch.rotations, first.detail) {
		return
	}
	if !grace {
		second := l.rotate(ctx, ch.token)
		assert.Equal(t, kindRefused, second.kind, "chain %d: its last refresh token used twice: %s", ch.id, second.detail)
		return
	}
	again := l.rotate(ctx, ch.token)
	if !assert.Equal(t, kindAnswered, again.kind, "chain %d: its last refresh token again within the grace period: %s", ch.id, again.detail) ||
		!assert.Equal(t, first.token, again.token, "chain %d: its last refresh token again: the successor", ch.id) {
		return
	}
	next := l.rotate(ctx, first.token)
	if !assert.Equal(t, kindAnswered, next.kind, "chain %d: the successor: %s", ch.id, next.detail) {
		return
	}
	old := l.rotate(ctx, ch.token)
	assert.Equal(t, kindRefused, old.kind, "chain %d: its last refresh token once its successor was used: %s", ch.id, old.detail)
	revoked := l.rotate(ctx, next.token)
	assert.Equal(t, kindRefused, revoked.kind, "chain %d: the successor's successor after the reuse: %s", ch.id, revoked.detail)
}

// tokenHash is the hash under which the server stores a token: SHA-256,
// base64url without padding (RFC 4648 §5).
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
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
	// seen is the grant as read before the last retry with token, when
	// inspected is set; committed says it had rotated token away.
	seen                 store.Grant
	inspected, committed bool
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
	grants *Store // the test's own view of the grants
	chains []*chain

	// grace says the apps rotate with a grace period: a retry after an
	// unknown outcome must then be answered, never refused, and after a
	// rotation whose response was lost, with the successor it stored.
	grace bool

	killAt    int64
	answered  atomic.Int64  // 200 responses
	recovered atomic.Int64  // of them, retries after a rotation whose response was lost
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

func newLoad(base string, grants *Store, chains []*chain, killAt int64, grace bool) *load {
	l := &load{
		client:    &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: durableWorkers}},
		grants:    grants,
		chains:    chains,
		grace:     grace,
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
		o := l.attempt(ctx, c, phase)
		l.count(o.detail, o.kind)
		switch o.kind {
		case kindAnswered:
			if c.unsure && c.inspected && c.committed {
				switch {
				case !l.grace:
					c.broken = true
					l.violate(fmt.Sprintf("chain %d: a retry was answered although its grant had rotated the token away (%d rotations)", c.id, c.seen.RefreshCount))
				case tokenHash(o.token) != c.seen.RefreshHash:
					c.broken = true
					l.violate(fmt.Sprintf("chain %d: a retry within the grace period was answered with a successor other than the one the lost rotation stored (%d rotations)", c.id, c.seen.RefreshCount))
				default:
					l.recovered.Add(1)
				}
				if c.broken {
					break
				}
			}
			c.token, c.unsure, c.inspected = o.token, false, false
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
			switch {
			case l.grace:
				c.broken = true
				l.violate(fmt.Sprintf("chain %d: refused with a grace period (%d rotations; after an unknown outcome: %t, grant read: %t, rotated: %t)",
					c.id, c.rotations, c.unsure, c.inspected, c.committed))
			case !c.unsure:
				c.broken = true
				l.violate(fmt.Sprintf("chain %d: the refresh token of its last 200 response was refused (%d rotations)", c.id, c.rotations))
			case !c.inspected:
				c.broken = true
				l.violate(fmt.Sprintf("chain %d: refused after an unknown outcome, retried before the killed process was gone (%d rotations)", c.id, c.rotations))
			case !c.committed:
				c.broken = true
				l.violate(fmt.Sprintf("chain %d: a retry was refused although its grant held the token (%d rotations)", c.id, c.rotations))
			default:
				c.refused = true
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

// attempt presents c's token once. A retry after an unknown outcome, once
// the killed process is gone (phase is not phaseRunning), first reads c's
// grant and is sent only when that read succeeds: from then on nothing in
// flight can change the grant, so the read tells what the retry must get.
func (l *load) attempt(ctx context.Context, c *chain, phase int32) outcome {
	if c.unsure && phase != phaseRunning {
		if o, ok := l.inspect(ctx, c); !ok {
			return o
		}
	}
	return l.rotate(ctx, c.token)
}

// grantReadError is the outcome of an attempt whose grant read failed.
const grantReadError = "grant read error"

// inspect reads c's grant and records in c whether it holds c's token
// after exactly the rotations the client saw (the request with the unknown
// outcome did not rotate it) or that token's successor after one more (it
// did). ok is false when the retry must not be sent: the read failed, a
// kindUnknown outcome, or the grant holds neither, a violation.
func (l *load) inspect(ctx context.Context, c *chain) (o outcome, ok bool) {
	c.inspected = false
	g, err := l.grants.Grant(ctx, c.grantID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return outcome{kind: kindUnexpected, detail: fmt.Sprintf("its grant is gone after %d rotations and an unknown outcome", c.rotations)}, false
	case err != nil:
		return outcome{kind: kindUnknown, detail: grantReadError}, false
	}
	hash := tokenHash(c.token)
	switch {
	case g.RefreshCount == c.rotations && g.RefreshHash == hash:
		c.committed = false
	case g.RefreshCount == c.rotations+1 && g.PreviousRefreshHash == hash:
		c.committed = true
	default:
		return outcome{kind: kindUnexpected, detail: fmt.Sprintf(
			"after %d rotations and an unknown outcome its grant has %d rotations and holds neither the client's token nor its successor",
			c.rotations, g.RefreshCount)}, false
	}
	c.seen, c.inspected = g, true
	return outcome{}, true
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
