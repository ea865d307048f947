package authserver_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// webLoopbackID is a web client that registered a loopback http redirect
// URI, as a developer's local web app does.
const webLoopbackID = "web-loopback"

// TestLoopbackAnyPortOnlyForNativeCodeFlow: the any-port rule of RFC 8252
// §7.3 lets a client registered with application_type native use another
// port on its loopback http redirect URI, in the code flow only. A web
// client, and the implicit grant of a native client, must name the
// registered URI exactly; anything else is the error page, never a
// redirect.
func TestLoopbackAnyPortOnlyForNativeCodeFlow(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: webLoopbackID, Secret: confidentialPass,
		Name: "Local Web App", RedirectURIs: []string{"http://127.0.0.1/cb"},
		GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"}}))
	b := newBrowser(t, srv)
	tests := []struct {
		name         string
		clientID     string
		responseType []string
		redirectURI  string
		// location is the exact error redirect; "" means the error page.
		location string
	}{
		{"a native client in the code flow on another port", publicID, []string{"code"}, "http://127.0.0.1:51234/cb",
			"http://127.0.0.1:51234/cb?error=invalid_scope&error_description=scope+not+allowed%3A+nope&iss=https%3A%2F%2Fauth.example.com&state=xyz-state"},
		{"a native client in the code flow on the registered URI", publicID, []string{"code"}, "http://127.0.0.1/cb",
			"http://127.0.0.1/cb?error=invalid_scope&error_description=scope+not+allowed%3A+nope&iss=https%3A%2F%2Fauth.example.com&state=xyz-state"},
		{"a native client in the implicit grant on another port", publicID, []string{"token"}, "http://127.0.0.1:51234/cb", ""},
		{"a native client in the implicit grant on the registered URI", publicID, []string{"token"}, "http://127.0.0.1/cb",
			"http://127.0.0.1/cb#error=invalid_scope&error_description=scope+not+allowed%3A+nope&iss=https%3A%2F%2Fauth.example.com&state=xyz-state"},
		{"a native client naming code and token on another port", publicID, []string{"code", "token"}, "http://127.0.0.1:51234/cb", ""},
		{"a web client on another port", webLoopbackID, []string{"code"}, "http://127.0.0.1:51234/cb", ""},
		{"a web client on the registered URI", webLoopbackID, []string{"code"}, "http://127.0.0.1/cb",
			"http://127.0.0.1/cb?error=invalid_scope&error_description=scope+not+allowed%3A+nope&iss=https%3A%2F%2Fauth.example.com&state=xyz-state"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := authorizeQuery(url.Values{"client_id": {tc.clientID}, "response_type": tc.responseType,
				"redirect_uri": {tc.redirectURI}, "scope": {"nope"}})
			resp, body := b.do(http.MethodGet, "/oauth/authorize?"+q, nil)
			if tc.location == "" {
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
				assert.Empty(t, resp.Header.Get("Location"))
				assert.Contains(t, body, `<p id="error-code">invalid_request</p>`)
				assert.Contains(t, body, `<p id="error-description">redirect_uri is not registered for this client</p>`)
				return
			}
			assert.Equal(t, http.StatusFound, resp.StatusCode, body)
			assert.Equal(t, tc.location, resp.Header.Get("Location"))
		})
	}
}

// TestParameterInQueryAndBodyIsInvalidRequest: the POST endpoints take
// their parameters from the body. One that is also in the query is
// invalid_request (RFC 6749 §3.1, §3.2: a parameter must not be included
// more than once), whichever value each carries; a query parameter the
// body does not repeat is still ignored.
func TestParameterInQueryAndBodyIsInvalidRequest(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	const want = `{"error":"invalid_request","error_description":"a parameter is in both the query and the body"}`
	tests := []struct {
		path, query, body, authz string
		// ignored is the status when the query's parameter is renamed so
		// that the body does not repeat it.
		ignored int
	}{
		{"/oauth/token", "scope=keys_op", "grant_type=client_credentials&scope=basic_info", basic(serviceID, servicePass), http.StatusOK},
		{"/oauth/token", "grant_type=client_credentials", "grant_type=client_credentials", basic(serviceID, servicePass), http.StatusOK},
		{"/oauth/refresh", "refresh_token=krt_other", "grant_type=refresh_token&refresh_token=krt_x", basic(confidentialID, confidentialPass), http.StatusBadRequest},
		{"/oauth/refreshAccessToken", "grant_type=refresh_token", "grant_type=refresh_token&refresh_token=krt_x", basic(confidentialID, confidentialPass), http.StatusBadRequest},
		{"/oauth/revoke", "token=kat_other", "token=kat_x", basic(confidentialID, confidentialPass), http.StatusOK},
		{"/oauth/introspect", "token_type_hint=access_token", "token=kat_x&token_type_hint=refresh_token", basic(confidentialID, confidentialPass), http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.path+"?"+tc.query, func(t *testing.T) {
			rec := serve(srv, postReq(t, tc.path+"?"+tc.query, tc.body, "application/x-www-form-urlencoded", tc.authz))
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.JSONEq(t, want, rec.Body.String())
			assertNoStore(t, rec)
			assert.Empty(t, rec.Header().Get("WWW-Authenticate"))

			rec = serve(srv, postReq(t, tc.path+"?x-"+tc.query, tc.body, "application/x-www-form-urlencoded", tc.authz))
			assert.Equal(t, tc.ignored, rec.Code, rec.Body.String())
			assert.NotContains(t, rec.Body.String(), "query")
		})
	}
}

// TestConsentParameterInQueryAndBodyIsInvalidRequest: the consent form
// takes its parameters from the body too; a decision also in the query is
// refused with the error page and leaves the pending request for a proper
// submission.
func TestConsentParameterInQueryAndBodyIsInvalidRequest(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form.Set("scope", "basic_info")

	resp, page = b.do(http.MethodPost, "/oauth/consent?decision=deny", form)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Location"))
	assert.Contains(t, page, `<p id="error-code">invalid_request</p>`)
	assert.Contains(t, page, `<p id="error-description">a parameter is in both the query and the body</p>`)

	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cb := location(t, resp)
	assert.Equal(t, testRedirect, cb.Scheme+"://"+cb.Host+cb.Path)
	assert.True(t, strings.HasPrefix(cb.Query().Get("code"), "kac_"), cb.String())
}

// TestUnknownPathIsLoggedWithWhatIsMounted: a request for a path the server
// does not serve, inside its mount, is 404 as before and logged at debug
// level with the paths that are mounted (under the same prefix), never with
// its query.
func TestUnknownPathIsLoggedWithWhatIsMounted(t *testing.T) {
	var logs bytes.Buffer
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	host := http.NewServeMux()
	host.Handle("/api/", http.StripPrefix("/api", srv))

	rec := serve(host, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/oauth/tokn?token=kat_secret", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Equal(t, "404 page not found\n", rec.Body.String())
	var entry map[string]any
	require.NoError(t, json.Unmarshal(logs.Bytes(), &entry), logs.String())
	delete(entry, "time")
	assert.Equal(t, map[string]any{
		"level": "DEBUG", "msg": "authserver: no endpoint at this path", "method": "GET", "path": "/api/oauth/tokn",
		"mounted": []any{"/api/oauth/authorize", "/api/oauth/consent", "/api/oauth/token", "/api/oauth/revoke",
			"/api/oauth/introspect", "/api/oauth/par", "/api/consent-sso", "/api/oauth/refresh", "/api/oauth/refreshAccessToken",
			"/api/.well-known/oauth-authorization-server"},
	}, entry)
	assert.NotContains(t, logs.String(), "kat_secret")

	logs.Reset()
	rec = serve(host, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/.well-known/oauth-authorization-server", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, logs.String(), "a served path logs nothing")
}

// TestRootPathLeavesNoPathUnserved: a server whose token endpoint is "/"
// serves every path; New does not panic on the catch-all it would otherwise
// add.
func TestRootPathLeavesNoPathUnserved(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.Paths.Token = "/" })
	rec := serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/elsewhere", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.JSONEq(t, `{"error":"invalid_request","error_description":"method must be POST"}`, rec.Body.String())
}

// Issue 13 review: at the authorization endpoint too, a POST with a
// parameter in both the query and the body is invalid_request, resource
// included (which may otherwise repeat, RFC 8707 §2).
func TestAuthorizePostParameterInQueryAndBodyIsInvalidRequest(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, key := range []string{"resource", "scope", "state"} {
		q, err := url.ParseQuery(authorizeQuery(nil))
		require.NoError(t, err)
		body := url.Values{key: {"https://api.example.com/"}}
		if key != "resource" {
			body = url.Values{key: {q.Get(key)}}
		}
		q.Set("resource", "https://api.example.com/")
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/oauth/authorize?"+q.Encode(), strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := serve(srv, req)
		assert.Equal(t, http.StatusBadRequest, rec.Code, key)
		assert.Empty(t, rec.Header().Get("Location"), key)
		assert.Contains(t, rec.Body.String(), `<p id="error-code">invalid_request</p>`, key)
		assert.Contains(t, rec.Body.String(), `<p id="error-description">a parameter is in both the query and the body</p>`, key)
	}
}
