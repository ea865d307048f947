package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// signedInServer is the test server with alice always signed in.
func signedInServer(t *testing.T, mutate func(*authserver.Config)) (*authserver.Server, *inproc) {
	t.Helper()
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Browser.Session = signedIn("user-alice")
		if mutate != nil {
			mutate(c)
		}
	})
	return srv, newInproc(t, srv)
}

// A pushed request (RFC 9126 §2) is answered with 201 and a request_uri
// that the authorization endpoint then runs: consent, code, token.
func TestPushedAuthorizationRequestFlow(t *testing.T) {
	srv, c := signedInServer(t, nil)
	uri := pushOK(t, srv, pushedQuery(t, nil), basic(confidentialID, confidentialPass))

	rec := c.authorize(byReference(confidentialID, uri, nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "Confidential App wants to access your account")
	got := atClient(t, c.approve(rec, "basic_info"), http.StatusSeeOther, testRedirect)
	assert.Equal(t, "xyz-state", got.Get("state"))
	code := got.Get("code")
	require.True(t, strings.HasPrefix(code, "kac_"), code)

	body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
	assert.Equal(t, "basic_info", body["scope"])
}

// RFC 9101 §6.3, RFC 9126 §4: only the pushed parameters count; those in
// the query beside client_id and request_uri are ignored.
func TestPushedRequestIgnoresParametersBesideRequestURI(t *testing.T) {
	srv, c := signedInServer(t, nil)
	uri := pushOK(t, srv, pushedQuery(t, url.Values{"scope": {"basic_info"}, "state": {"pushed-state"}}), basic(confidentialID, confidentialPass))

	rec := c.authorize(byReference(confidentialID, uri, url.Values{
		"scope": {"keys_op"}, "state": {"query-state"}, "redirect_uri": {"https://evil.example.com/cb"},
		"response_type": {"token"}, "code_challenge": {"x"}, "prompt": {"none"},
	}))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "Read your name and email")
	assert.NotContains(t, rec.Body.String(), "key pairs")
	got := atClient(t, c.approve(rec, "basic_info"), http.StatusSeeOther, testRedirect)
	assert.Equal(t, "pushed-state", got.Get("state"))
	assert.True(t, strings.HasPrefix(got.Get("code"), "kac_"))
}

// A request_uri is single use (RFC 9126 §4), and bound to its client
// (§2.2): unknown, used, another client's and expired ones are
// invalid_request_uri on an error page.
func TestPushedRequestURIRefusals(t *testing.T) {
	const unknown = "request_uri is unknown, expired or already used"
	srv, c := signedInServer(t, nil)
	auth := basic(confidentialID, confidentialPass)

	t.Run("used twice", func(t *testing.T) {
		uri := pushOK(t, srv, pushedQuery(t, nil), auth)
		require.Equal(t, http.StatusOK, c.authorize(byReference(confidentialID, uri, nil)).Code)
		assertPage(t, c.authorize(byReference(confidentialID, uri, nil)), http.StatusBadRequest, authserver.CodeInvalidRequestURI, unknown)
	})
	t.Run("by another client, which does not use it up", func(t *testing.T) {
		uri := pushOK(t, srv, pushedQuery(t, nil), auth)
		assertPage(t, c.authorize(byReference(postID, uri, nil)), http.StatusBadRequest, authserver.CodeInvalidRequestURI, unknown)
		assert.Equal(t, http.StatusOK, c.authorize(byReference(confidentialID, uri, nil)).Code)
	})
	t.Run("unknown", func(t *testing.T) {
		for _, uri := range []string{requestURIPrefix + "par_" + strings.Repeat("A", 43), requestURIPrefix + "x", requestURIPrefix} {
			assertPage(t, c.authorize(byReference(confidentialID, uri, nil)), http.StatusBadRequest, authserver.CodeInvalidRequestURI, unknown)
		}
	})
	t.Run("without client_id", func(t *testing.T) {
		uri := pushOK(t, srv, pushedQuery(t, nil), auth)
		rec := c.authorize(url.Values{"request_uri": {uri}}.Encode())
		assertPage(t, rec, http.StatusBadRequest, authserver.CodeInvalidRequest, "missing client_id")
	})
	t.Run("repeated", func(t *testing.T) {
		uri := pushOK(t, srv, pushedQuery(t, nil), auth)
		rec := c.authorize(url.Values{"client_id": {confidentialID}, "request_uri": {uri, uri}}.Encode())
		assertPage(t, rec, http.StatusBadRequest, authserver.CodeInvalidRequest, "request_uri is repeated")
	})
	t.Run("not a pushed request_uri", func(t *testing.T) {
		// Any other request_uri keeps its old meaning: nothing, for OAuth.
		rec := c.authorize(authorizeQuery(url.Values{"client_id": {confidentialID}, "request_uri": {"https://app.example.com/req"}}))
		assert.Equal(t, http.StatusOK, rec.Code)
	})
}

// RFC 9126 §4: "An expired request_uri MUST be rejected as invalid."
func TestPushedRequestURIExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c := signedInServer(t, func(cfg *authserver.Config) { cfg.PushedAuthorization.Lifetime = 30 * time.Second })
		rec := postForm(t, srv, "/oauth/par", pushedQuery(t, nil), basic(confidentialID, confidentialPass))
		require.Equal(t, http.StatusCreated, rec.Code)
		body := decodeJSON(t, rec)
		assert.Equal(t, float64(30), body["expires_in"])
		time.Sleep(31 * time.Second)
		assertPage(t, c.authorize(byReference(confidentialID, str(body, "request_uri"), nil)),
			http.StatusBadRequest, authserver.CodeInvalidRequestURI, "request_uri is unknown, expired or already used")
	})
}

// TestPushedRequestWithAnEmptyRequestURI: a request_uri sent without a
// value is one left out (RFC 6749 §3.1), so the push is accepted.
func TestPushedRequestWithAnEmptyRequestURI(t *testing.T) {
	srv, _ := signedInServer(t, nil)
	uri := pushOK(t, srv, pushedQuery(t, url.Values{"request_uri": {""}}), basic(confidentialID, confidentialPass))
	assert.True(t, strings.HasPrefix(uri, requestURIPrefix), uri)
}

// The endpoint authenticates the client as the token endpoint does, runs
// the authorization endpoint's validation, and answers every error as JSON
// (RFC 9126 §2.3).
func TestPushedAuthorizationErrors(t *testing.T) {
	srv, _ := signedInServer(t, nil)
	auth := basic(confidentialID, confidentialPass)
	for _, tc := range []struct {
		name        string
		form        url.Values
		authz       string
		status      int
		code        string
		description string
	}{
		{"no client authentication", pushedQuery(t, nil), "", 401, "invalid_client", "client authentication failed"},
		{"no credentials at all", pushedQuery(t, url.Values{"client_id": nil}), "", 401, "invalid_client", "client authentication required"},
		{"a wrong secret", pushedQuery(t, nil), basic(confidentialID, "wrong-wrong-wrong-wrong"), 401, "invalid_client", "client authentication failed"},
		{"a client_id naming another client", pushedQuery(t, url.Values{"client_id": {postID}}), auth, 400, "invalid_request", "client_id does not match the credentials"},
		{"a request_uri in the pushed request", pushedQuery(t, url.Values{"request_uri": {requestURIPrefix + "x"}}), auth, 400, "invalid_request", "a pushed request must not carry request_uri (RFC 9126, section 2.1)"},
		// alg none, naming another scope and state: its parameters are not
		// read, so the push must not stand for the ones beside it.
		{"a request object in an OAuth 2.0 request", pushedQuery(t, url.Values{"request": {"eyJhbGciOiJub25lIn0.eyJzY29wZSI6ImtleXNfb3AiLCJzdGF0ZSI6ImphciJ9."}}), auth, 400, "request_not_supported", "request objects are not supported"},
		{"an unregistered redirect_uri", pushedQuery(t, url.Values{"redirect_uri": {"https://evil.example.com/cb"}}), auth, 400, "invalid_request", "redirect_uri is not registered for this client"},
		{"no PKCE", pushedQuery(t, url.Values{"code_challenge": nil, "code_challenge_method": nil}), auth, 400, "invalid_request", "code_challenge required (PKCE S256)"},
		{"an unknown scope", pushedQuery(t, url.Values{"scope": {"admin"}}), auth, 400, "invalid_scope", ""},
		{"an unsupported response_type", pushedQuery(t, url.Values{"response_type": {"id_token"}}), auth, 400, "unsupported_response_type", "unsupported response_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := postForm(t, srv, "/oauth/par", tc.form, tc.authz)
			body := assertOAuthError(t, rec, tc.status, tc.code)
			if tc.description != "" {
				assert.Equal(t, tc.description, body["error_description"])
			}
			if tc.status == http.StatusUnauthorized {
				assert.Equal(t, `Basic realm="`+testIssuer+`", charset="UTF-8"`, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("GET", func(t *testing.T) {
		rec := serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/par", nil))
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		assert.Equal(t, "POST", rec.Header().Get("Allow"))
	})
	t.Run("a public client pushes with its client_id", func(t *testing.T) {
		pushOK(t, srv, pushedQuery(t, url.Values{"client_id": {publicID}}), "")
	})
}

// Pushed requests of public clients are pending requests of anonymous
// traffic: they meet the same bounds (Limits.AuthorizeRateLimit), counted
// once, when pushed.
func TestPushedAuthorizationRateLimit(t *testing.T) {
	srv, c := signedInServer(t, func(cfg *authserver.Config) { cfg.Limits.AuthorizeRateLimit = 1 })
	public := pushedQuery(t, url.Values{"client_id": {publicID}})
	uri := pushOK(t, srv, public, "")
	assertThrottled(t, postForm(t, srv, "/oauth/par", public, ""), 60)
	// Bringing the pushed request to the authorization endpoint counts
	// nothing more.
	assert.Equal(t, http.StatusOK, c.authorize(byReference(publicID, uri, nil)).Code)
}

// RFC 9126 §4, §5, §6: a client or the server that requires pushed
// requests refuses a plain one with invalid_request, on an error page.
func TestPushedAuthorizationRequired(t *testing.T) {
	t.Run("by the client", func(t *testing.T) {
		srv, c := signedInServer(t, nil)
		require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "par-only", Secret: confidentialPass, Name: "PAR App",
			RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"},
			RequirePushedAuthorizationRequests: true}))
		rec := c.authorize(authorizeQuery(url.Values{"client_id": {"par-only"}, "scope": {"basic_info"}}))
		assertPage(t, rec, http.StatusBadRequest, authserver.CodeInvalidRequest, "this client&#39;s authorization requests must be pushed (RFC 9126)")
		uri := pushOK(t, srv, pushedQuery(t, url.Values{"client_id": {"par-only"}, "scope": {"basic_info"}}), basic("par-only", confidentialPass))
		assert.Equal(t, http.StatusOK, c.authorize(byReference("par-only", uri, nil)).Code)
		// Other clients are not affected.
		assert.Equal(t, http.StatusOK, c.authorize(authorizeQuery(url.Values{"client_id": {confidentialID}})).Code)
	})
	t.Run("by the server", func(t *testing.T) {
		srv, c := signedInServer(t, func(cfg *authserver.Config) { cfg.PushedAuthorization.Required = true })
		rec := c.authorize(authorizeQuery(nil))
		assertPage(t, rec, http.StatusBadRequest, authserver.CodeInvalidRequest, "authorization requests must be pushed (RFC 9126)")
		uri := pushOK(t, srv, pushedQuery(t, nil), basic(confidentialID, confidentialPass))
		assert.Equal(t, http.StatusOK, c.authorize(byReference(confidentialID, uri, nil)).Code)
		m := getMetadata(t, srv, "/.well-known/oauth-authorization-server")
		assert.Equal(t, true, m["require_pushed_authorization_requests"])
		assert.Equal(t, testIssuer+"/oauth/par", m["pushed_authorization_request_endpoint"])
	})
}

// A configuration or registration that cannot work is an error naming the
// field.
func TestPushedAuthorizationConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*authserver.Config)
		field  string
	}{
		{"a negative lifetime", func(c *authserver.Config) { c.PushedAuthorization.Lifetime = -time.Second }, "PushedAuthorization.Lifetime"},
		{"a lifetime over ten minutes", func(c *authserver.Config) { c.PushedAuthorization.Lifetime = 11 * time.Minute }, "PushedAuthorization.Lifetime"},
		{"a lifetime of a fraction of a second", func(c *authserver.Config) { c.PushedAuthorization.Lifetime = 1500 * time.Millisecond }, "PushedAuthorization.Lifetime"},
		{"required without the browser side", func(c *authserver.Config) {
			c.Browser = authserver.Browser{}
			c.Grants = grants("client_credentials")
			c.CheckPassword = nil
			c.PushedAuthorization.Required = true
		}, "PushedAuthorization.Required"},
		{"a path used twice", func(c *authserver.Config) { c.Paths.PushedAuthorization = "/oauth/token" }, "Paths.PushedAuthorization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.mutate(&cfg)
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.Equal(t, tc.field, fieldErrors(err)[0].Field)
		})
	}
}

// A push by an authenticated client meets neither the server-wide cap of
// anonymous traffic nor the per-address start limit; a public client's
// push meets both.
func TestPushedAuthenticatedClientNotAnonymous(t *testing.T) {
	t.Run("server-wide cap", func(t *testing.T) {
		srv, _ := signedInServer(t, func(cfg *authserver.Config) { cfg.Limits.MaxPendingAuthRequests = 1 })
		q, err := url.ParseQuery(authorizeQuery(url.Values{"client_id": {publicID}}))
		require.NoError(t, err)
		rec := postFormFrom(t, srv, "/oauth/par", q, "", "198.51.100.7:1")
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		assertOAuthError(t, postFormFrom(t, srv, "/oauth/par", q, "", "198.51.100.8:1"), http.StatusServiceUnavailable, "temporarily_unavailable")
		pushOK(t, srv, pushedQuery(t, nil), basic(confidentialID, confidentialPass))
	})
	t.Run("per-address limit", func(t *testing.T) {
		srv, _ := signedInServer(t, func(cfg *authserver.Config) { cfg.Limits.AuthorizeRateLimit = 1 })
		for range 3 {
			pushOK(t, srv, pushedQuery(t, nil), basic(confidentialID, confidentialPass))
		}
		q, err := url.ParseQuery(authorizeQuery(url.Values{"client_id": {publicID}}))
		require.NoError(t, err)
		rec := postForm(t, srv, "/oauth/par", q, "")
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		assertOAuthError(t, postForm(t, srv, "/oauth/par", q, ""), http.StatusTooManyRequests, "temporarily_unavailable")
	})
}

// A request_id beside a pushed request_uri is invalid_request on an error
// page, and leaves the pushed request unused.
func TestPushedRequestIDBesideRequestURI(t *testing.T) {
	srv, c := signedInServer(t, nil)
	uri := pushOK(t, srv, pushedQuery(t, nil), basic(confidentialID, confidentialPass))
	rec := c.authorize(byReference(confidentialID, uri, url.Values{"request_id": {strings.Repeat("A", 43)}}))
	assertPage(t, rec, http.StatusBadRequest, "invalid_request", "unexpected parameter with request_id")
	assert.Equal(t, http.StatusOK, c.authorize(byReference(confidentialID, uri, nil)).Code)
}

// The pending request made from a request_uri is no pushed request any
// more: were its new ID to start with "par_", it must still never pass for
// a request_uri, which is used once (RFC 9126 §4).
func TestPushedRequestTakenIsNoLongerPushed(t *testing.T) {
	srv, st := newTestServer(t, nil) // nobody signed in
	c := newInproc(t, srv)
	uri := pushOK(t, srv, pushedQuery(t, nil), basic(confidentialID, confidentialPass))
	q := loginPage(t, c.authorize(byReference(confidentialID, uri, nil)))
	id, ok := strings.CutPrefix(q.Get("return_to"), "/oauth/authorize?request_id=")
	require.True(t, ok, q.Get("return_to"))
	req, err := st.AuthRequest(t.Context(), id)
	require.NoError(t, err)
	assert.False(t, req.Pushed)
	assert.Equal(t, confidentialID, req.ClientID)
}
