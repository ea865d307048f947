package durability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// The load of Run: workers rotating refresh chains through the token
// endpoint, and what they saw.

const (
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

// state is what c's client knows at the end of the load.
func (c *chain) state() ChainState {
	return ChainState{ID: c.id, GrantID: c.grantID, Token: c.token, Rotations: c.rotations}
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
	grant  func(ctx context.Context, grantID string) (store.Grant, error) // the test's own view of the grants
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

func newLoad(base string, grant func(context.Context, string) (store.Grant, error), chains []*chain, killAt int64, grace bool) *load {
	l := &load{
		client:    &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: Workers}},
		grant:     grant,
		chains:    chains,
		grace:     grace,
		killAt:    killAt,
		killPoint: make(chan struct{}),
		down:      newLatch(Workers),
		up:        newLatch(Workers),
		stop:      make(chan struct{}),
		exited:    make(chan struct{}),
		outcomes:  map[string]int{},
	}
	l.url.Store(&base)
	return l
}

func (l *load) start(ctx context.Context) {
	l.workers.Add(Workers)
	for range Workers {
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
				case TokenHash(o.token) != c.seen.RefreshHash:
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
	g, err := l.grant(ctx, c.grantID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return outcome{kind: kindUnexpected, detail: fmt.Sprintf("its grant is gone after %d rotations and an unknown outcome", c.rotations)}, false
	case err != nil:
		return outcome{kind: kindUnknown, detail: grantReadError}, false
	}
	hash := TokenHash(c.token)
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
	req.SetBasicAuth(ClientID, clientSecret)
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
