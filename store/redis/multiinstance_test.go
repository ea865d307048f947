package redis

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// Two authorization server instances on one Redis, each with a connection
// pool of its own, as two app replicas behind a load balancer would run:
// on the single node and on the cluster.

const (
	flowIssuer   = "https://auth.example.com"
	flowRedirect = "https://app.example.com/cb"
	flowVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	flowChalleng = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	flowClient   = "web"
	flowSecret   = "web-secret-0123456789abcdef"
	flowService  = "service"
	flowSvcPass  = "service-secret-0123456789"
)

// onSingleAndCluster runs test on the shared single node and the
// three-primary cluster.
func onSingleAndCluster(t *testing.T, test func(t *testing.T, client goredis.UniversalClient)) {
	t.Run("SingleNode", func(t *testing.T) { test(t, singleClient(t)) })
	t.Run("Cluster", func(t *testing.T) { test(t, clusterClient(t)) })
}

// otherClient returns a new client, with a pool of its own, of the Redis
// client talks to: the other instance's. It is closed when t ends.
func otherClient(t *testing.T, client goredis.UniversalClient) goredis.UniversalClient {
	t.Helper()
	var other goredis.UniversalClient
	switch c := client.(type) {
	case *goredis.Client:
		other = goredis.NewClient(&goredis.Options{Addr: c.Options().Addr})
	case *goredis.ClusterClient:
		other = goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Options().Addrs})
	default:
		t.Fatalf("no second client for a %T", client)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// instance is one authorization server and its test HTTP server.
type instance struct {
	srv *authserver.Server
	ts  *httptest.Server
}

// newInstances returns two instances on client and a second client of
// the same Redis, which share their store and their Counter under one
// fresh key prefix. limits is each instance's Limits, with Counter set.
// The first instance registers a confidential web client (code and
// refresh grants) and a service (client credentials).
func newInstances(t *testing.T, client goredis.UniversalClient, limits authserver.Limits) (a, b instance, prefix string) {
	t.Helper()
	prefix = newPrefix()
	t.Cleanup(func() { deletePrefix(client, prefix) })
	newInstance := func(rc goredis.UniversalClient) instance {
		st, err := New(rc, Options{KeyPrefix: prefix})
		require.NoError(t, err)
		counter, err := NewCounter(rc, CounterOptions{KeyPrefix: prefix})
		require.NoError(t, err)
		l := limits
		l.Counter = counter
		srv, err := authserver.New(authserver.Config{
			Issuer: flowIssuer,
			Scopes: []authserver.Scope{{Name: "basic_info", Description: "Read your name and email"}},
			Browser: authserver.Browser{
				Session: func(r *http.Request) (authserver.Session, bool) {
					c, err := r.Cookie("user")
					if err != nil {
						return authserver.Session{}, false
					}
					return authserver.Session{Subject: c.Value}, true
				},
				LoginURL: "/login",
			},
			Limits: l,
		}, st)
		require.NoError(t, err)
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		return instance{srv, ts}
	}
	a, b = newInstance(client), newInstance(otherClient(t, client))
	for _, c := range []authserver.Client{
		{ID: flowClient, Secret: flowSecret, Name: "Web App", RedirectURIs: []string{flowRedirect},
			GrantTypes: []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken}, Scopes: []string{"basic_info"}},
		{ID: flowService, Secret: flowSvcPass, Name: "Service",
			GrantTypes: []authserver.GrantType{authserver.GrantClientCredentials}, Scopes: []string{"basic_info"}},
	} {
		require.NoError(t, a.srv.RegisterClient(t.Context(), c))
	}
	return a, b, prefix
}

// postBasic posts form to base+path with the Basic credentials of id and
// returns the status and the decoded JSON body.
func postBasic(t *testing.T, base, path, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// TestTwoServerInstancesShareOneRedis runs one user's authorization across
// two instances: the request starts at B, the user consents and gets the
// code at A, exchanges it at B and refreshes at A; the replay of the
// rotated refresh token at B is a reuse (RFC 9700 §4.14.2) that revokes
// the grant for both, and introspection (RFC 7662) at either instance
// sees every token of the grant active before and inactive after.
func TestTwoServerInstancesShareOneRedis(t *testing.T) {
	onSingleAndCluster(t, func(t *testing.T, client goredis.UniversalClient) {
		a, b, _ := newInstances(t, client, authserver.Limits{})

		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(base, path string) (*http.Response, string) {
			resp, err := browser.Get(base + path)
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			return resp, string(raw)
		}

		// 1. The authorization request starts on B: sign-in needed.
		q := url.Values{"response_type": {"code"}, "client_id": {flowClient}, "redirect_uri": {flowRedirect}, "state": {"s1"},
			"scope": {"basic_info"}, "code_challenge": {flowChalleng}, "code_challenge_method": {"S256"}}
		resp, _ := get(b.ts.URL, "/oauth/authorize?"+q.Encode())
		require.Equal(t, http.StatusFound, resp.StatusCode)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, "/login", loc.Path)
		returnTo := loc.Query().Get("return_to")

		// 2. The user signs in and comes back on A, consents there and gets
		// the code from A.
		for _, base := range []string{a.ts.URL, b.ts.URL} {
			u, err := url.Parse(base)
			require.NoError(t, err)
			jar.SetCookies(u, []*http.Cookie{{Name: "user", Value: "user-1", Path: "/"}})
		}
		resp, page := get(a.ts.URL, returnTo)
		require.Equal(t, http.StatusOK, resp.StatusCode, page)
		form := url.Values{"decision": {"approve"}, "scope": {"basic_info"}}
		for _, m := range regexp.MustCompile(`name="(request_id|csrf_token)" value="([^"]+)"`).FindAllStringSubmatch(page, -1) {
			form.Set(m[1], m[2])
		}
		require.NotEmpty(t, form.Get("request_id"))
		require.NotEmpty(t, form.Get("csrf_token"))
		resp, err = browser.PostForm(a.ts.URL+"/oauth/consent", form)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		cb, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "s1", cb.Query().Get("state"))
		code := cb.Query().Get("code")
		require.NotEmpty(t, code)

		token := func(base string, form url.Values) (int, map[string]any) {
			return postBasic(t, base, "/oauth/token", flowClient, flowSecret, form)
		}
		introspect := func(base, tok string) map[string]any {
			status, body := postBasic(t, base, "/oauth/introspect", flowClient, flowSecret, url.Values{"token": {tok}})
			require.Equal(t, http.StatusOK, status, body)
			return body
		}

		// 3. The code is exchanged on B.
		status, body := token(b.ts.URL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {flowRedirect}, "code_verifier": {flowVerifier}})
		require.Equal(t, http.StatusOK, status, body)
		access1, refresh1 := body["access_token"].(string), body["refresh_token"].(string)
		require.NotEmpty(t, access1)
		require.NotEmpty(t, refresh1)
		info, err := a.srv.VerifyAccessToken(t.Context(), access1)
		require.NoError(t, err, "a token issued by B verifies on A")
		assert.Equal(t, "user-1", info.Subject)

		// 4. Refresh on A.
		status, body = token(a.ts.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh1}})
		require.Equal(t, http.StatusOK, status, body)
		access2, refresh2 := body["access_token"].(string), body["refresh_token"].(string)
		require.NotEmpty(t, access2)
		require.NotEqual(t, refresh1, refresh2)

		// Introspection at either instance sees the grant's live tokens.
		for _, inst := range []instance{a, b} {
			for _, tok := range []string{access1, access2, refresh2} {
				body := introspect(inst.ts.URL, tok)
				assert.Equal(t, true, body["active"], "before the replay")
				assert.Equal(t, flowClient, body["client_id"])
				assert.Equal(t, "user-1", body["sub"])
			}
			assert.Equal(t, map[string]any{"active": false}, introspect(inst.ts.URL, refresh1), "the rotated token")
		}

		// 5. The rotated token replayed on B: refused, and the grant revoked
		// on both instances.
		status, body = token(b.ts.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh1}})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body["error"])
		for _, inst := range []instance{a, b} {
			for _, tok := range []string{access1, access2, refresh1, refresh2} {
				assert.Equal(t, map[string]any{"active": false}, introspect(inst.ts.URL, tok), "after the replay")
			}
			for _, tok := range []string{access1, access2} {
				_, err := inst.srv.VerifyAccessToken(t.Context(), tok)
				assert.Error(t, err)
			}
		}
		status, body = token(a.ts.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh2}})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "invalid_grant", body["error"], "the successor died with its grant")
	})
}

// TestCounterSharedByTwoServers runs two instances whose Limits.Counter is
// a Counter on one Redis: failed client authentications counted by one
// block the client and address at the other (429, Retry-After, RFC 6585
// §4), other addresses are not blocked, the keys hold no client ID, and
// the per-address rate and the server-wide cap on pending authorization
// requests (503) are each one count for both.
func TestCounterSharedByTwoServers(t *testing.T) {
	onSingleAndCluster(t, func(t *testing.T, client goredis.UniversalClient) {
		a, b, prefix := newInstances(t, client, authserver.Limits{
			FailureLimit: 2, FailureWindow: time.Minute, AuthorizeRateLimit: 1, MaxPendingAuthRequests: 2,
		})
		cc := url.Values{"grant_type": {"client_credentials"}, "scope": {"basic_info"}}
		tokenFrom := func(inst instance, secret, addr string) *httptest.ResponseRecorder {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/oauth/token", strings.NewReader(cc.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(flowService, secret)
			req.RemoteAddr = addr
			rec := httptest.NewRecorder()
			inst.srv.ServeHTTP(rec, req)
			return rec
		}
		assertError := func(rec *httptest.ResponseRecorder, status int, code string) {
			t.Helper()
			assert.Equal(t, status, rec.Code, rec.Body.String())
			var body map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
			assert.Equal(t, code, body["error"])
		}
		assertRetryAfter := func(rec *httptest.ResponseRecorder, max int) {
			t.Helper()
			secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
			require.NoError(t, err, "Retry-After %q", rec.Header().Get("Retry-After"))
			assert.GreaterOrEqual(t, secs, 1)
			assert.LessOrEqual(t, secs, max)
		}

		const addr, other = "198.51.100.20:1", "203.0.113.5:1"
		const wrong = "wrong-secret-0123456789"
		assertError(tokenFrom(a, wrong, addr), http.StatusUnauthorized, "invalid_client")
		assertError(tokenFrom(b, wrong, addr), http.StatusUnauthorized, "invalid_client")
		for _, inst := range []instance{a, b} {
			rec := tokenFrom(inst, flowSvcPass, addr)
			assertError(rec, http.StatusTooManyRequests, "temporarily_unavailable")
			assertRetryAfter(rec, 60)
		}
		rec := tokenFrom(b, flowSvcPass, other)
		assert.Equal(t, http.StatusOK, rec.Code, "another address is not blocked: %s", rec.Body.String())

		// The two failures are one count per key for both instances: the
		// client at the address, and the address.
		keys := scanKeys(t, client, prefix+"t:fail/")
		require.Len(t, keys, 2, "the failure counts")
		for _, key := range keys {
			assert.NotContains(t, key, flowService, "no client ID in a key")
			n, err := client.Get(t.Context(), key).Int64()
			require.NoError(t, err)
			assert.Equal(t, int64(2), n, key)
			ttl, err := client.PTTL(t.Context(), key).Result()
			require.NoError(t, err)
			assert.Positive(t, ttl, "%s expires with its window", key)
			assert.LessOrEqual(t, ttl, time.Minute)
		}

		// Authorization requests: one per address per minute, two pending
		// server wide, counted together.
		start := func(inst instance, addr string) *httptest.ResponseRecorder {
			q := url.Values{"response_type": {"code"}, "client_id": {flowClient}, "redirect_uri": {flowRedirect}, "state": {"s"},
				"scope": {"basic_info"}, "code_challenge": {flowChalleng}, "code_challenge_method": {"S256"}}
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
			req.RemoteAddr = addr
			rec := httptest.NewRecorder()
			inst.srv.ServeHTTP(rec, req)
			return rec
		}
		rec = start(a, "192.0.2.1:1")
		assert.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
		rec = start(b, "192.0.2.1:1")
		assert.Equal(t, http.StatusTooManyRequests, rec.Code, "the address's one start a minute is spent at A")
		assertRetryAfter(rec, 60)
		rec = start(b, "192.0.2.2:1")
		assert.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
		rec = start(a, "192.0.2.3:1")
		assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "the server-wide cap of 2 is shared")
		assert.Contains(t, rec.Body.String(), "temporarily_unavailable")
		assertRetryAfter(rec, 15*60) // the default Lifetimes.AuthRequest
	})
}

// scanKeys returns the keys that start with prefix, on every node.
func scanKeys(t *testing.T, client goredis.UniversalClient, prefix string) []string {
	t.Helper()
	var mu sync.Mutex
	var keys []string
	collect := func(ctx context.Context, c *goredis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := client.(type) {
	case *goredis.Client:
		err = collect(t.Context(), c)
	case *goredis.ClusterClient:
		err = c.ForEachMaster(t.Context(), collect)
	}
	require.NoError(t, err)
	return keys
}
