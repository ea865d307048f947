package authserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

const racers = 20

// race sends the same form from racers goroutines released together at a
// closed-channel barrier, and returns the recorded statuses and bodies.
func race(t *testing.T, h http.Handler, form url.Values, authz string) (statuses []int, bodies []map[string]any) {
	t.Helper()
	type result struct {
		status int
		body   []byte
	}
	start := make(chan struct{})
	results := make([]result, racers)
	var ready, done sync.WaitGroup
	ready.Add(racers)
	for i := range racers {
		done.Go(func() {
			// No require here: this is not the test goroutine.
			req := postReq(t, "/oauth/token", form.Encode(), "application/x-www-form-urlencoded", authz)
			ready.Done()
			<-start
			rec := serve(h, req)
			results[i] = result{rec.Code, rec.Body.Bytes()}
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	for _, r := range results {
		statuses = append(statuses, r.status)
		var m map[string]any
		require.NoError(t, jsonUnmarshal(r.body, &m), "%s", r.body)
		bodies = append(bodies, m)
	}
	return statuses, bodies
}

// gateCounter counts the requests that pass the single-use gates of a
// store: consumed codes and rotated refresh tokens.
type gateCounter struct {
	store.Store
	consumed, rotated atomic.Int32
}

func (g *gateCounter) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	c, err := g.Store.ConsumeCode(ctx, grantID, hash)
	if err == nil {
		g.consumed.Add(1)
	}
	return c, err
}

func (g *gateCounter) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	before, err := g.Store.RotateRefreshToken(ctx, grantID, oldHash, next)
	if err == nil && oldHash != "" {
		g.rotated.Add(1)
	}
	return before, err
}

// newGateServer returns a server of the test configuration on a
// gateCounter around the fixtures' memory store.
func newGateServer(t *testing.T, mutate func(*authserver.Config)) (*authserver.Server, *gateCounter) {
	t.Helper()
	_, st := newTestServer(t, nil)
	gc := &gateCounter{Store: st}
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := authserver.New(cfg, gc)
	require.NoError(t, err)
	return srv, gc
}

// Of twenty concurrent redemptions of one code exactly one passes the
// single-use gate; the others are replays, so they revoke the grant. The
// winner's tokens die with it, or, when a replay revoked the grant before
// the winner saved them, the winner is refused too: at most one 200.
func TestConcurrentCodeRedemption(t *testing.T) {
	srv, gc := newGateServer(t, nil)
	code := issueCode(t, gc, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
	statuses, bodies := race(t, srv, codeForm(code, testVerifier), basic(confidentialID, confidentialPass))

	assert.EqualValues(t, 1, gc.consumed.Load(), "redemptions past the single-use gate")
	var winner map[string]any
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			assert.Nil(t, winner, "more than one redemption succeeded")
			winner = bodies[i]
		default:
			assert.Equal(t, http.StatusBadRequest, s)
			assert.Equal(t, "invalid_grant", bodies[i]["error"])
		}
	}
	if winner != nil {
		assertActive(t, srv, str(winner, "access_token"), false)
		rec := postForm(t, srv, "/oauth/token", refreshForm(str(winner, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 400, "invalid_grant")
	}
}

// Of twenty concurrent refreshes with one token exactly one rotates it; the
// others present a retired token, which revokes the grant. As with codes,
// the winner's access token dies with the grant or is never issued.
func TestConcurrentRefresh(t *testing.T) {
	srv, gc := newGateServer(t, nil)
	first := redeem(t, srv, gc)
	statuses, bodies := race(t, srv, refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
	assert.EqualValues(t, 1, gc.rotated.Load(), "rotations")
	ok := 0
	for i, s := range statuses {
		if s == http.StatusOK {
			ok++
			assertActive(t, srv, str(bodies[i], "access_token"), false)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, s)
		assert.Equal(t, "invalid_grant", bodies[i]["error"])
	}
	assert.LessOrEqual(t, ok, 1, "statuses: %v", statuses)
	assertActive(t, srv, str(first, "access_token"), false)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Within a grace period every concurrent refresh is answered, with one and
// the same successor, and the token is rotated once.
func TestConcurrentRefreshWithGracePeriod(t *testing.T) {
	srv, gc := newGateServer(t, func(c *authserver.Config) { c.RefreshRotation.GracePeriod = 30 * time.Second })
	first := redeem(t, srv, gc)
	statuses, bodies := race(t, srv, refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
	successors := map[string]bool{}
	for i, s := range statuses {
		require.Equal(t, http.StatusOK, s, "%v", bodies[i])
		successors[str(bodies[i], "refresh_token")] = true
		assertActive(t, srv, str(bodies[i], "access_token"), true)
	}
	assert.Len(t, successors, 1)
	assert.EqualValues(t, 1, gc.rotated.Load(), "rotations")
}
