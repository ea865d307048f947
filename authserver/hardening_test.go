package authserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// A client record written by hand that says "none" but has a secret must not
// authenticate without the secret (and so pass as confidential).
func TestNoneClientWithSecretDoesNotAuthenticate(t *testing.T) {
	srv, st := newTestServer(t, nil)
	require.NoError(t, st.SaveClient(t.Context(), store.Client{ID: "legacy", SecretHash: hashOf("legacy-secret-0123456"),
		AuthMethod: "none", GrantTypes: []string{"client_credentials"}}))
	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"legacy"}}, "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `{"error":"invalid_client","error_description":"client authentication failed"}`, rec.Body.String())
}

// RFC 6749 §5.2: a client that tried the Authorization header gets a
// challenge, whatever scheme it used.
func TestTokenEndpointOtherSchemeGetsChallenge(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, "Bearer abc")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `Basic realm="`+testIssuer+`", charset="UTF-8"`, rec.Header().Get("WWW-Authenticate"))
}

func TestMetadataWithoutBrowserSide(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser = authserver.Browser{}
		c.Grants = []authserver.GrantType{authserver.GrantRefreshToken, authserver.GrantClientCredentials, authserver.GrantPassword}
	})
	m := getMetadata(t, srv, "/.well-known/oauth-authorization-server")
	assert.Equal(t, []any{"refresh_token", "client_credentials", "password"}, m["grant_types_supported"])
	assert.NotContains(t, m, "authorization_endpoint")
	assert.NotContains(t, m, "authorization_response_iss_parameter_supported")
}

func TestNewRejectsPathsThatClashWithMetadataOrIssuer(t *testing.T) {
	for name, cfg := range map[string]authserver.Config{
		"token path on the metadata path": {Issuer: testIssuer, Paths: authserver.Paths{Token: "/.well-known/oauth-authorization-server"}},
		"wildcard in the issuer path":     {Issuer: "https://auth.example.com/x{"},
		"space in the issuer path":        {Issuer: "https://auth.example.com/a%20b"},
		"issuer path is a wildcard":       {Issuer: "https://auth.example.com/{x}"},
	} {
		t.Run(name, func(t *testing.T) {
			assert.NotPanics(t, func() {
				_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
				assert.Error(t, err)
			})
		})
	}
}

func TestTokenOnlyRevocation(t *testing.T) {
	for _, allow := range []bool{false, true} {
		srv, _ := newTestServer(t, func(c *authserver.Config) { c.Compat.AcceptTokenOnlyRevocation = allow })
		it, err := srv.IssueToken(t.Context(), authserver.TokenRequest{ClientID: serviceID, Scopes: []string{"basic_info"}})
		require.NoError(t, err)
		rec := postForm(t, srv, "/oauth/revoke", url.Values{"token": {it.AccessToken}}, "")
		_, verr := srv.VerifyAccessToken(t.Context(), it.AccessToken)
		if allow {
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Empty(t, rec.Body.String())
			assert.Error(t, verr, "NU.ID-style revocation with only the token")
		} else {
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.NoError(t, verr)
		}
		// Presented credentials are still checked when sent.
		rec = postForm(t, srv, "/oauth/revoke", url.Values{"token": {it.AccessToken}}, basic(serviceID, "wrong-secret-0123456789"))
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
	}
}

func TestRepeatedResourcesAreMergedAndBounded(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "rs-user", Secret: "rs-user-secret-0123456",
		GrantTypes: grants("client_credentials"), Resources: []string{"https://a.example/", "https://b.example/"}}))
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://a.example/", "https://a.example/", "https://b.example/"}}
	rec := postForm(t, srv, "/oauth/token", form, basic("rs-user", "rs-user-secret-0123456"))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	info, err := srv.VerifyAccessToken(t.Context(), decodeJSON(t, rec)["access_token"].(string))
	require.NoError(t, err)
	assert.Equal(t, []string{"https://a.example/", "https://b.example/"}, info.Audience)

	many := url.Values{"grant_type": {"client_credentials"}}
	for i := range 17 {
		many.Add("resource", "https://r"+strings.Repeat("x", i)+".example/")
	}
	rec = postForm(t, srv, "/oauth/token", many, basic("rs-user", "rs-user-secret-0123456"))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "invalid_target", decodeJSON(t, rec)["error"])
}

// interceptStore runs a hook inside AuthRequest reads, to force an
// interleaving of two requests without timing.
type interceptStore struct {
	store.Store
	onRead func()
}

func (s *interceptStore) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := s.Store.AuthRequest(ctx, id)
	if hook := s.onRead; hook != nil {
		s.onRead = nil
		hook()
	}
	return r, err
}

// A consent page rendered while the same request's consent POST completes
// must not bring the consumed request back to be decided a second time.
func TestConsentPageCannotResurrectConsumedRequest(t *testing.T) {
	mem := store.NewMemoryWithCleanup(0)
	st := &interceptStore{Store: mem}
	codes := 0
	srv, err := authserver.New(authserver.Config{
		Issuer: testIssuer, Scopes: testScopes, Lifetimes: authserver.Lifetimes{Consent: -1},
		Browser: authserver.Browser{LoginURL: "/login", Session: signedIn("user-alice")},
	}, st)
	require.NoError(t, err)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: publicID, AuthMethod: authserver.AuthMethodNone, RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"}}))

	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil))
		return rec
	}
	var binding []*http.Cookie // the consent page's binding cookie
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/oauth/consent", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range binding {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if strings.Contains(rec.Header().Get("Location"), "code=") {
			codes++
		}
		return rec
	}
	page := get("/oauth/authorize?" + authorizeQuery(url.Values{"scope": {"basic_info"}}))
	require.Equal(t, http.StatusOK, page.Code)
	binding = page.Result().Cookies()
	require.Len(t, binding, 1)
	form := consentForm(t, page.Body.String())
	form.Set("decision", "approve")

	// Reload the consent page; while it reads the request, the first form
	// is submitted and consumes it.
	st.onRead = func() { assert.Equal(t, http.StatusSeeOther, post(form).Code) }
	reload := get("/oauth/authorize?request_id=" + url.QueryEscape(form.Get("request_id")))
	assert.Equal(t, http.StatusBadRequest, reload.Code, "the consumed request stays consumed")

	// Nothing can decide it again.
	assert.Equal(t, http.StatusForbidden, post(form).Code)
	assert.Equal(t, 1, codes)
}

// Anonymous traffic cannot fill the store with pending requests: each source
// address may start only so many per minute.
func TestAuthorizeRateLimit(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Limits.AuthorizeRateLimit = 2 })
	start := func(addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	assert.Equal(t, http.StatusFound, start("198.51.100.1:1000").Code)
	assert.Equal(t, http.StatusFound, start("198.51.100.1:1001").Code)
	rec := start("198.51.100.1:1002")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	require.NoError(t, err)
	assert.True(t, retry >= 1 && retry <= 60, "Retry-After %d", retry)
	assert.Contains(t, rec.Body.String(), "too many authorization requests")
	assert.Equal(t, http.StatusFound, start("198.51.100.2:1000").Code, "another address is not affected")
}

// Control characters never reach the store: some databases refuse them, and
// a refused query must not turn a client's mistake into a 503.
func TestControlCharactersStopAtTheEdge(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	get := func(target string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
		req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	assert.Equal(t, http.StatusBadRequest, get("/oauth/authorize?client_id=%00").Code)
	assert.Equal(t, http.StatusBadRequest, get("/oauth/authorize?request_id=%00").Code)
	assert.Equal(t, http.StatusBadRequest, get("/oauth/authorize?request_id=not-an-id").Code)

	rec := get("/oauth/authorize?" + authorizeQuery(url.Values{"state": {"a\x00b"}}))
	require.Equal(t, http.StatusFound, rec.Code)
	u, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "invalid_request", u.Query().Get("error"))
	assert.False(t, u.Query().Has("state"), "a malformed state is not echoed")

	for _, authz := range []string{basic("\xff", "x"), basic("a\x00", "secret"), basic(serviceID, "s\x00")} {
		rec = postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, authz)
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Equal(t, "invalid_client", decodeJSON(t, rec)["error"])
	}
	rec = postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"a\x00"}}, "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/oauth/consent", strings.NewReader("request_id=%00&csrf_token=x&decision=approve"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)

	assert.Error(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "bad\x00id", GrantTypes: grants("refresh_token")}))
}
