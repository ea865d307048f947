package postgres

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// TestTwoServerInstancesShareOneDatabase runs one user's authorization across
// two authorization server instances, each with its own connection pool to the
// same database, as two app replicas behind a load balancer would.
func TestTwoServerInstancesShareOneDatabase(t *testing.T) {
	poolA := newTestPool(t)
	require.NoError(t, New(poolA).Migrate(t.Context()))
	// A second pool on the same schema: the other instance.
	cfg := poolA.Config().Copy()
	poolB, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(poolB.Close)

	const (
		issuer   = "https://auth.example.com"
		redirect = "https://app.example.com/cb"
		verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
		challeng = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	)
	newInstance := func(st *Store) (*authserver.Server, *httptest.Server) {
		srv, err := authserver.New(authserver.Config{
			Issuer: issuer,
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
		}, st)
		require.NoError(t, err)
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		return srv, ts
	}
	srvA, tsA := newInstance(New(poolA))
	srvB, tsB := newInstance(New(poolB))
	require.NoError(t, srvA.RegisterClient(t.Context(), authserver.Client{
		ID: "spa", Name: "Single Page App", AuthMethod: authserver.AuthMethodNone, RedirectURIs: []string{redirect},
		GrantTypes: []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken}, Scopes: []string{"basic_info"},
	}))

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

	// 1. The authorization request starts on instance A: login needed.
	q := url.Values{"response_type": {"code"}, "client_id": {"spa"}, "redirect_uri": {redirect}, "state": {"s1"},
		"scope": {"basic_info"}, "code_challenge": {challeng}, "code_challenge_method": {"S256"}}
	resp, _ := get(tsA.URL, "/oauth/authorize?"+q.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	returnTo := loc.Query().Get("return_to")

	// 2. The user signs in and comes back on instance B: consent needed.
	for _, base := range []string{tsA.URL, tsB.URL} {
		u, _ := url.Parse(base)
		jar.SetCookies(u, []*http.Cookie{{Name: "user", Value: "user-1", Path: "/"}})
	}
	resp, page := get(tsB.URL, returnTo)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := url.Values{"decision": {"approve"}, "scope": {"basic_info"}}
	for _, m := range regexp.MustCompile(`name="(request_id|csrf_token)" value="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], m[2])
	}
	resp, err = browser.PostForm(tsB.URL+"/oauth/consent", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "s1", cb.Query().Get("state"))
	code := cb.Query().Get("code")

	token := func(base string, form url.Values) (int, map[string]any) {
		form.Set("client_id", "spa")
		resp, err := http.PostForm(base+"/oauth/token", form)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return resp.StatusCode, body
	}

	// 3. The code is exchanged on B.
	status, body := token(tsB.URL, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirect}, "code_verifier": {verifier}})
	require.Equal(t, http.StatusOK, status, body)
	access1, refresh1 := body["access_token"].(string), body["refresh_token"].(string)
	_, err = srvA.VerifyAccessToken(t.Context(), access1)
	require.NoError(t, err, "a token issued by B verifies on A")

	// 4. Refresh on A.
	status, body = token(tsA.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh1}})
	require.Equal(t, http.StatusOK, status, body)
	access2, refresh2 := body["access_token"].(string), body["refresh_token"].(string)

	// 5. The rotated token replayed on B: refused, and the grant revoked on both.
	status, body = token(tsB.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh1}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", body["error"])
	for _, srv := range []*authserver.Server{srvA, srvB} {
		for _, tok := range []string{access1, access2} {
			_, err := srv.VerifyAccessToken(context.Background(), tok)
			assert.Error(t, err)
		}
	}
	status, body = token(tsA.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh2}})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_grant", body["error"], "the successor died with its grant")
}
