package authserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kunci/kunci/authserver"
)

// floodAddr returns the i-th address of a flood: IPv4 and IPv6 /64s spread
// over the whole address space, none of them the victims' addresses.
func floodAddr(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("10.%d.%d.%d:4000", i>>16&0xff, i>>8&0xff, i&0xff)
	}
	return fmt.Sprintf("[2001:db8:%x:%x::1]:4000", i>>16&0xffff, i&0xffff)
}

// Issue 13: a flood of failures for other client IDs, usernames and
// addresses never blocks a correct credential from another address. The
// flood below is more than twice the throttle's address table, so it cycles
// every row; the throttle's own tests flood it with millions of keys.
func TestThrottleFloodOfOtherKeysNeverBlocksCorrectCredential(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.FailureLimit = 3 })
	const victim = "192.0.2.10:5000"
	// The victims mistyped once themselves.
	assertOAuthError(t, postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, "wrong-secret-0123456789"), victim), 401, "invalid_client")
	assertOAuthError(t, postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "looking-glass"), basic(confidentialID, confidentialPass), victim), 400, "invalid_grant")

	flood := 40_000
	if testing.Short() {
		flood = 4_000
	}
	for i := range flood {
		addr := floodAddr(i)
		switch i % 4 {
		case 0: // an unknown client
			postFormFrom(t, srv, "/oauth/token", ccForm(), basic(fmt.Sprintf("ghost-%d", i), "wrong-secret-0123456789"), addr)
		case 1: // the victim client with a wrong secret, from elsewhere
			postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, "wrong-secret-0123456789"), addr)
		case 2: // other usernames
			postFormFrom(t, srv, "/oauth/token", passwordForm(fmt.Sprintf("user-%d", i), "x"), basic(confidentialID, confidentialPass), addr)
		case 3: // the victim username with a wrong password, from elsewhere
			postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "x"), basic(confidentialID, confidentialPass), addr)
		}
	}
	tokenOK(t, postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass), victim))
	tokenOK(t, postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass), victim))
}

// Issue 13: x/oauth2's default AuthStyle first sends a public client's ID as
// Basic with an empty password. That is authentication method none: 100
// consecutive refreshes all succeed and none counts as a failed client
// authentication (which a limit of 3 would turn into 429s).
func TestPublicClientBasicWithEmptySecretIsNoneForXOAuth2(t *testing.T) {
	var log eventLog
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Limits.FailureLimit = 3
		c.Hooks.Events = log.record
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := oauth2.Config{ClientID: publicID, RedirectURL: testRedirect,
		Endpoint: oauth2.Endpoint{TokenURL: ts.URL + "/oauth/token"}} // AuthStyleAutoDetect
	verifier := oauth2.GenerateVerifier()
	code := issueCode(t, st, codeSpec{clientID: publicID, redirectURI: testRedirect,
		challenge: oauth2.S256ChallengeFromVerifier(verifier), scopes: []string{"basic_info"}})
	tok, err := cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	for i := range 100 {
		expired := *tok
		expired.Expiry = time.Now().Add(-time.Minute)
		next, err := cfg.TokenSource(t.Context(), &expired).Token()
		require.NoError(t, err, "refresh %d", i)
		require.NotEqual(t, tok.RefreshToken, next.RefreshToken)
		tok = next
	}
	assertActive(t, srv, tok.AccessToken, true)
	for _, k := range log.kinds() {
		assert.NotEqual(t, authserver.EventClientAuthFailed, k)
		assert.NotEqual(t, authserver.EventThrottled, k)
	}
}

// Issue 13: at debug level every refused client authentication logs the
// client ID and the reason, never the secret.
func TestClientAuthRefusalIsLoggedWithReasonAtDebug(t *testing.T) {
	var buf syncBuffer
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Limits.FailureLimit = 2
		c.Logger = debugLogger(&buf)
	})
	const wrong = "wrong-secret-0123456789"
	tests := []struct {
		name   string
		form   url.Values
		authz  string
		id     string
		reason string
	}{
		{"unknown client", ccForm(), basic("no-such-client", wrong), "no-such-client", `"unknown client"`},
		{"wrong method", withValue(withValue(ccForm(), "client_id", serviceID), "client_secret", servicePass), "", serviceID, `"wrong authentication method"`},
		{"wrong secret", ccForm(), basic(serviceID, wrong), serviceID, `"wrong secret"`},
		{"throttled", ccForm(), basic(serviceID, servicePass), serviceID, `throttled`},
		{"two credentials", withValue(ccForm(), "client_secret", "x"), basic(confidentialID, wrong), confidentialID, `"more than one client authentication method"`},
		{"a malformed secret with a client_id in the body", withValue(withValue(ccForm(), "client_id", postID), "client_secret", "bad\x01"), "", postID, `"client authentication failed"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			postForm(t, srv, "/oauth/token", tc.form, tc.authz)
			out := buf.String()
			assert.Contains(t, out, fmt.Sprintf(`level=DEBUG msg="authserver: client authentication refused" client_id=%s reason=%s`, tc.id, tc.reason))
			assert.NotContains(t, out, wrong)
			assert.NotContains(t, out, servicePass)
		})
	}
	rec := postForm(t, srv, "/oauth/introspect", url.Values{"token": {"kat_x"}, "client_id": {publicID}}, "")
	assertOAuthError(t, rec, http.StatusUnauthorized, "invalid_client")
	assert.Equal(t, basicChallenge, rec.Header().Get("WWW-Authenticate"))
	assert.Contains(t, buf.String(), `level=DEBUG msg="authserver: client authentication refused" client_id=`+publicID+` reason="public client"`)
}

// Issue 13: the per-address limit on started authorization requests keys an
// IPv6 address by its /64, so one host cannot escape it by rotating the low
// bits; another /64 is not affected.
func TestAuthorizeStartLimitKeysIPv6ByPrefix(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.AuthorizeRateLimit = 2 })
	start := func(addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
		req.RemoteAddr = addr
		return serve(srv, req)
	}
	assert.Equal(t, http.StatusFound, start("[2001:db8:1:2::1]:1").Code)
	assert.Equal(t, http.StatusFound, start("[2001:db8:1:2::ffff]:1").Code)
	rec := start("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:1")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "60", rec.Header().Get("Retry-After"))
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), `<p id="error-code">temporarily_unavailable</p>`)
	assert.Contains(t, rec.Body.String(), `<p id="error-description">too many authorization requests from your network; try again later</p>`)
	assert.Equal(t, http.StatusFound, start("[2001:db8:1:3::1]:1").Code)
}

// Issue 13: a server-wide cap bounds the pending authorization requests that
// anonymous traffic from any number of addresses can make the store keep;
// once it is reached, new requests get a 503 error page with Retry-After,
// and none of them is stored.
func TestAuthorizeServerWidePendingCapShowsErrorPage(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Limits.MaxPendingAuthRequests = 5
		c.Lifetimes.AuthRequest = 10 * time.Minute
	})
	for i := range 5 {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
		req.RemoteAddr = floodAddr(i)
		require.Equal(t, http.StatusFound, serve(srv, req).Code)
	}
	before := st.Len()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	req.RemoteAddr = floodAddr(99)
	rec := serve(srv, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), `<p id="error-code">temporarily_unavailable</p>`)
	assert.Contains(t, rec.Body.String(), `<p id="error-description">the server is handling too many sign-ins; try again later</p>`)
	// The cap frees a bucket of a sixteenth of the 10-minute lifetime at a
	// time; the wait is at most the whole lifetime plus one bucket.
	retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	require.NoError(t, err)
	assert.True(t, retry >= 1 && retry <= 600+38, "Retry-After %d", retry)
	assert.Equal(t, before, st.Len(), "a refused request is not stored")

	// A signed-in user is not counted by the cap, nor refused by it.
	req = httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	req.RemoteAddr = floodAddr(100)
	req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
	assert.Equal(t, http.StatusOK, serve(srv, req).Code, "the consent page")
}

// Issue 13 review: from one address, failures for other usernames (more than
// the throttle counts on their own) do not lock out a user with the right
// password before the address's total reaches ten times the limit; unknown
// client IDs from that address never do.
func TestThrottleSameAddressNeedsTenTimesTheLimitToBlockOthers(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.FailureLimit = 3 })
	const addr = "198.51.100.30:1"
	for i := range 29 {
		assertOAuthError(t, postFormFrom(t, srv, "/oauth/token", passwordForm(fmt.Sprintf("user-%d", i), "x"), basic(confidentialID, confidentialPass), addr), 400, "invalid_grant")
	}
	for i := range 100 {
		postFormFrom(t, srv, "/oauth/token", ccForm(), basic(fmt.Sprintf("ghost-%d", i), "wrong-secret-0123456789"), addr)
	}
	tokenOK(t, postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass), addr))
	tokenOK(t, postFormFrom(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass), addr))
	// The thirtieth failure of an existing identifier blocks the address.
	assertOAuthError(t, postFormFrom(t, srv, "/oauth/token", passwordForm("user-x", "x"), basic(confidentialID, confidentialPass), addr), 400, "invalid_grant")
	assertThrottled(t, postFormFrom(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass), addr), 60)
}

// The host's session callback runs once per authorization request, though
// both the start limit and the login/consent decision need its answer.
func TestAuthorizeAsksTheSessionOnce(t *testing.T) {
	var calls atomic.Int32
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser.Session = func(*http.Request) (authserver.Session, bool) {
			calls.Add(1)
			return authserver.Session{Subject: "user-alice", AuthTime: testAuthTime}, true
		}
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	assert.Equal(t, http.StatusOK, serve(srv, req).Code, "the consent page")
	assert.Equal(t, int32(1), calls.Load())
}
