package authserver_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// accessGrant returns the grant ID of opaque access token, which the token
// itself does not show: from its record in st.
func accessGrant(t *testing.T, st store.Store, token string) string {
	t.Helper()
	rec, err := st.AccessToken(t.Context(), hashOf(token))
	require.NoError(t, err)
	require.NotEmpty(t, rec.GrantID)
	return rec.GrantID
}

// grantOf returns the grant ID that a code or refresh token names:
// kac_<grant ID>.<randomness>.
func grantOf(t *testing.T, token string) string {
	t.Helper()
	require.Greater(t, len(token), len("kat_")+22, token)
	require.Equal(t, byte('.'), token[len("kat_")+22], token)
	return token[len("kat_") : len("kat_")+22]
}

// An approval saves a grant before the code exists: it records who approved
// what and the host's session, and it lives Lifetimes.Grant. Its first
// refresh token is installed when the code is redeemed, capped by the
// grant, and every token names the grant.
func TestGrantRecordsTheApproval(t *testing.T) {
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Browser.Session = func(*http.Request) (authserver.Session, bool) {
			return authserver.Session{Subject: "user-alice", AuthTime: testAuthTime, ACR: "urn:x:loa:2",
				AMR: []string{"pwd", "otp"}, ID: "sid-1"}, true
		}
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "rich", Secret: confidentialPass,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"),
		Scopes: []string{"basic_info", "phone"}, Resources: []string{"https://api.example.com/"}}))
	b := newBrowser(t, srv)
	before := time.Now()
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"client_id": {"rich"},
		"scope": {"basic_info phone"}, "resource": {"https://api.example.com/"}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"basic_info"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	after := time.Now()
	code := location(t, resp).Query().Get("code")
	grantID := grantOf(t, code)

	g, err := st.Grant(t.Context(), grantID)
	require.NoError(t, err)
	assert.WithinRange(t, g.CreatedAt, before, after)
	assert.Equal(t, store.Grant{
		ID: grantID, ClientID: "rich", Subject: "user-alice", Scopes: []string{"basic_info"},
		Audience: []string{"https://api.example.com/"}, AuthTime: testAuthTime, ACR: "urn:x:loa:2",
		AMR: []string{"pwd", "otp"}, SessionID: "sid-1",
		CreatedAt: g.CreatedAt, ExpiresAt: g.CreatedAt.Add(30 * 24 * time.Hour),
	}, g)

	body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic("rich", confidentialPass)))
	assert.Equal(t, grantID, accessGrant(t, st, str(body, "access_token")))
	assert.Len(t, str(body, "access_token"), len("kat_")+43, "an access token does not show its grant")
	assert.Equal(t, grantID, grantOf(t, str(body, "refresh_token")))
	g, err = st.Grant(t.Context(), grantID)
	require.NoError(t, err)
	assert.Equal(t, hashOf(str(body, "refresh_token")), g.RefreshHash)
	assert.Equal(t, 24*time.Hour, g.RefreshExpiresAt.Sub(g.RefreshIssuedAt))
	assert.Zero(t, g.RefreshCount)
	assert.Empty(t, g.PreviousRefreshHash)
	info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, []string{"https://api.example.com/"}, info.Audience)
}

// Every grant type but client_credentials saves a grant. One that may get
// refresh tokens lives Lifetimes.Grant; one that cannot ends with its
// access token, so an implicit token leaves nothing behind once it expires.
// A client_credentials token belongs to no grant: it is the one record.
func TestGrantOfEveryGrantType(t *testing.T) {
	srv, st := newTestServer(t, nil)
	lookup := func(t *testing.T, token string) store.Grant {
		t.Helper()
		g, err := st.Grant(t.Context(), accessGrant(t, st, token))
		require.NoError(t, err)
		return g
	}

	t.Run("password", func(t *testing.T) {
		body := tokenOK(t, postForm(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass)))
		g := lookup(t, str(body, "access_token"))
		assert.Equal(t, confidentialID, g.ClientID)
		assert.Equal(t, "user-alice", g.Subject)
		assert.Equal(t, g.CreatedAt, g.AuthTime, "the password grant authenticated the user just now")
		assert.Equal(t, 30*24*time.Hour, g.ExpiresAt.Sub(g.CreatedAt))
		assert.Equal(t, hashOf(str(body, "refresh_token")), g.RefreshHash)
	})
	t.Run("client_credentials", func(t *testing.T) {
		before := time.Now()
		body := tokenOK(t, postForm(t, srv, "/oauth/token", withValue(ccForm(), "scope", "keys_op"), basic(serviceID, servicePass)))
		rec, err := st.AccessToken(t.Context(), hashOf(str(body, "access_token")))
		require.NoError(t, err)
		assert.Empty(t, rec.GrantID, "a client_credentials token belongs to no grant")
		assert.Equal(t, serviceID, rec.ClientID)
		assert.Empty(t, rec.Subject)
		assert.Equal(t, []string{"keys_op"}, rec.Scopes)
		assert.Equal(t, defaultTTL, rec.ExpiresAt.Sub(rec.IssuedAt))
		assert.WithinRange(t, rec.IssuedAt, before, time.Now())
		info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
		require.NoError(t, err)
		assert.Equal(t, serviceID, info.ClientID)
		require.NoError(t, srv.RevokeToken(t.Context(), str(body, "access_token")))
		_, err = srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
		assert.ErrorIs(t, err, middleware.ErrInvalidToken, "revoking the token is all it takes")
	})
	t.Run("implicit", func(t *testing.T) {
		b := newBrowser(t, srv)
		b.signIn("user-alice")
		resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"response_type": {"token"},
			"code_challenge": nil, "code_challenge_method": nil}), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, page)
		form := consentForm(t, page)
		form.Set("decision", "approve")
		form["scope"] = []string{"basic_info", "phone"}
		resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		fragment, err := url.ParseQuery(location(t, resp).Fragment)
		require.NoError(t, err)
		g := lookup(t, fragment.Get("access_token"))
		assert.Equal(t, publicID, g.ClientID)
		assert.Equal(t, testAuthTime, g.AuthTime)
		assert.Equal(t, defaultTTL, g.ExpiresAt.Sub(g.CreatedAt))
		assert.Equal(t, "1800", fragment.Get("expires_in"))
	})
}

// Lifetimes.Grant ends a refresh chain however often it rotates: a refresh
// token issued near the end expires with the grant, and so does the access
// token that comes with it. The clock is testing/synctest's.
func TestGrantLifetimeEndsRefreshChain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _ := newTestServer(t, func(c *authserver.Config) {
			c.Compat.ExtendedTokenResponse = true
			c.Lifetimes.AccessToken = 10 * time.Minute
			c.Lifetimes.RefreshToken = time.Hour
			c.Lifetimes.Grant = 3 * time.Hour
		})
		body := tokenOK(t, postForm(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass)))
		// Refreshes at 50, 100 and 150 minutes; at 150 the grant has 30
		// minutes left, and the successor gets those.
		for _, want := range []string{"3600", "3600", "1800"} {
			time.Sleep(50 * time.Minute)
			body = tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
			assert.Equal(t, want, str(body, "refresh_token_expires_in"))
			assert.EqualValues(t, 600, body["expires_in"])
		}
		time.Sleep(25 * time.Minute)
		body = tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
		assert.Equal(t, "300", str(body, "refresh_token_expires_in"))
		assert.EqualValues(t, 300, body["expires_in"], "the access token ends with the grant too")

		time.Sleep(5*time.Minute + time.Second)
		rec := postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, http.StatusBadRequest, "invalid_grant")
		assertActive(t, srv, str(body, "access_token"), false)
	})
}

// Lifetimes.Grant defaults to 30 days, or to the longest refresh token
// lifetime when that is longer, and may not be shorter than one.
func TestGrantLifetimeDefault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refresh time.Duration
		want    time.Duration
	}{
		{"default refresh tokens", 0, 30 * 24 * time.Hour},
		{"refresh tokens of 60 days", 60 * 24 * time.Hour, 60 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, st := newTestServer(t, func(c *authserver.Config) { c.Lifetimes.RefreshToken = tc.refresh })
			body := tokenOK(t, postForm(t, srv, "/oauth/token", passwordForm("alice", "wonderland"), basic(confidentialID, confidentialPass)))
			g, err := st.Grant(t.Context(), accessGrant(t, st, str(body, "access_token")))
			require.NoError(t, err)
			assert.Equal(t, tc.want, g.ExpiresAt.Sub(g.CreatedAt))
		})
	}

	cfg := testConfig()
	cfg.Lifetimes.Grant = 12 * time.Hour
	_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
	var fe *authserver.FieldError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.Equal(t, "authserver: config: Lifetimes.Grant: must be at least 24h0m0s, the longest code or token lifetime: nothing of a grant outlives it", err.Error())
}
