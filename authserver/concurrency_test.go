package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
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

// Of twenty concurrent redemptions of one code exactly one succeeds; the
// others are replays, so they revoke the grant, and the winner's token dies.
func TestConcurrentCodeRedemption(t *testing.T) {
	srv, st := newTestServer(t, nil)
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
	statuses, bodies := race(t, srv, codeForm(code, testVerifier), basic(confidentialID, confidentialPass))

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
	require.NotNil(t, winner, "no redemption succeeded")
	assertActive(t, srv, str(winner, "access_token"), false)
	rec := postForm(t, srv, "/oauth/token", refreshForm(str(winner, "refresh_token")), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")
}

// Of twenty concurrent refreshes with one token exactly one succeeds.
func TestConcurrentRefresh(t *testing.T) {
	srv, st := newTestServer(t, nil)
	first := redeem(t, srv, st)
	statuses, bodies := race(t, srv, refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
	ok := 0
	for i, s := range statuses {
		if s == http.StatusOK {
			ok++
			continue
		}
		assert.Equal(t, http.StatusBadRequest, s)
		assert.Equal(t, "invalid_grant", bodies[i]["error"])
	}
	assert.Equal(t, 1, ok, "statuses: %v", statuses)
	// The losers presented a rotated token, so the grant is revoked.
	assertActive(t, srv, str(first, "access_token"), false)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Within a grace period every concurrent refresh is answered, with one and
// the same successor.
func TestConcurrentRefreshWithGracePeriod(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) { c.RefreshRotation.GracePeriod = 30 * time.Second })
	first := redeem(t, srv, st)
	statuses, bodies := race(t, srv, refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass))
	successors := map[string]bool{}
	for i, s := range statuses {
		require.Equal(t, http.StatusOK, s, "%v", bodies[i])
		successors[str(bodies[i], "refresh_token")] = true
		assertActive(t, srv, str(bodies[i], "access_token"), true)
	}
	assert.Len(t, successors, 1)
}
