package authserver_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// The origins of the CORS tests.
const (
	// appOrigin is the origin of testRedirect, which every standard test
	// client and rp register.
	appOrigin = "https://app.example.com"
	// loopbackOrigin is the origin of publicID's http://127.0.0.1/cb.
	loopbackOrigin = "http://127.0.0.1"
	// otherOrigin is the origin of otherSPA's only redirect URI.
	otherOrigin = "https://other.example.net"
	// extraOrigin is allowed for rp by Config.CORS.Origins.
	extraOrigin = "https://rp-spa.example.org"
	// strangerOrigin is allowed for nobody.
	strangerOrigin = "https://stranger.example"
	otherSPA       = "other-spa"
)

// The CORS headers the endpoints answer with (Fetch §3.2.3).
var (
	corsVaryOnly      = http.Header{"Vary": {"Origin"}}
	corsRefused       = http.Header{"Vary": {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}}
	corsPublicPreflit = http.Header{"Access-Control-Allow-Origin": {"*"}, "Access-Control-Allow-Methods": {"GET, HEAD"},
		"Access-Control-Max-Age": {"600"}}
)

// corsAllowed is the answer to an allowed actual request from origin.
func corsAllowed(origin string) http.Header {
	return http.Header{"Access-Control-Allow-Origin": {origin}, "Access-Control-Expose-Headers": {"WWW-Authenticate, DPoP-Nonce"},
		"Vary": {"Origin"}}
}

// corsPreflightOK is the answer to an allowed preflight from origin for
// an endpoint that takes methods.
func corsPreflightOK(origin, methods string) http.Header {
	return http.Header{"Access-Control-Allow-Origin": {origin}, "Access-Control-Allow-Methods": {methods},
		"Access-Control-Allow-Headers": {"Authorization, Content-Type, DPoP"}, "Access-Control-Max-Age": {"600"},
		"Vary": {"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}}
}

// corsHeaders returns the CORS headers of h, and Vary; an empty header
// when there are none.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" {
			out[k] = v
		}
	}
	return out
}

// newCORSServer is the OpenID server with otherSPA, a public client at
// otherOrigin, and extraOrigin configured for rp.
func newCORSServer(t *testing.T, mutate func(*authserver.Config)) (*authserver.Server, string) {
	t.Helper()
	srv, st, _ := newOIDCServer(t, func(c *authserver.Config) {
		c.CORS.Origins = map[string][]string{rpID: {extraOrigin}}
		if mutate != nil {
			mutate(c)
		}
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: otherSPA, AuthMethod: authserver.AuthMethodNone,
		RedirectURIs: []string{otherOrigin + "/cb"}, GrantTypes: grants("authorization_code", "refresh_token"), Scopes: []string{"basic_info"}}))
	return srv, rpAccessToken(t, srv, st, "openid")
}

// preflight is the OPTIONS request a browser sends before a cross-origin
// request with method and the request headers named in headers.
func preflight(t *testing.T, path string, origins []string, method, headers string) *http.Request {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodOptions, path, nil)
	req.Header["Origin"] = origins
	req.Header.Set("Access-Control-Request-Method", method)
	if headers != "" {
		req.Header.Set("Access-Control-Request-Headers", headers)
	}
	return req
}

// fromOrigin adds the Origin header a browser sends to req.
func fromOrigin(req *http.Request, origins ...string) *http.Request {
	req.Header["Origin"] = origins
	return req
}

// A preflight names no client: it is answered for any origin some client
// registered or the host configured, with the methods of the endpoint and
// the three request headers, and refused (403, no Allow-Origin) for
// anything else.
func TestCORSPreflight(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	for _, tc := range []struct {
		name    string
		path    string
		origin  []string
		method  string
		headers string
		status  int
		want    http.Header
	}{
		{"token from a registered origin, with a DPoP proof", "/oauth/token", []string{appOrigin}, "POST", "content-type,DPoP",
			http.StatusNoContent, corsPreflightOK(appOrigin, "POST")},
		{"token from a loopback redirect's origin", "/oauth/token", []string{loopbackOrigin}, "POST", "",
			http.StatusNoContent, corsPreflightOK(loopbackOrigin, "POST")},
		{"token from another client's origin: no client to tell them apart", "/oauth/token", []string{otherOrigin}, "POST", "",
			http.StatusNoContent, corsPreflightOK(otherOrigin, "POST")},
		{"token from an origin configured for a client", "/oauth/token", []string{extraOrigin}, "POST", "Authorization",
			http.StatusNoContent, corsPreflightOK(extraOrigin, "POST")},
		{"a refresh alias", "/oauth/refreshAccessToken", []string{appOrigin}, "POST", "Content-Type",
			http.StatusNoContent, corsPreflightOK(appOrigin, "POST")},
		{"revocation", "/oauth/revoke", []string{appOrigin}, "POST", "authorization, content-type",
			http.StatusNoContent, corsPreflightOK(appOrigin, "POST")},
		{"UserInfo by GET with a token", "/oauth/userinfo", []string{appOrigin}, "GET", "authorization",
			http.StatusNoContent, corsPreflightOK(appOrigin, "GET, POST")},
		{"UserInfo by POST with DPoP", "/oauth/userinfo", []string{appOrigin}, "POST", "authorization, dpop",
			http.StatusNoContent, corsPreflightOK(appOrigin, "GET, POST")},
		{"an unregistered origin", "/oauth/token", []string{strangerOrigin}, "POST", "", http.StatusForbidden, corsRefused},
		{"an unregistered origin at UserInfo", "/oauth/userinfo", []string{strangerOrigin}, "GET", "authorization", http.StatusForbidden, corsRefused},
		{"the opaque origin null", "/oauth/token", []string{"null"}, "POST", "", http.StatusForbidden, corsRefused},
		{"an origin with a trailing slash", "/oauth/token", []string{appOrigin + "/"}, "POST", "", http.StatusForbidden, corsRefused},
		{"an origin in upper case", "/oauth/token", []string{"HTTPS://APP.EXAMPLE.COM"}, "POST", "", http.StatusForbidden, corsRefused},
		{"an origin with the default port", "/oauth/token", []string{appOrigin + ":443"}, "POST", "", http.StatusForbidden, corsRefused},
		{"an origin with user info", "/oauth/token", []string{"https://u@app.example.com"}, "POST", "", http.StatusForbidden, corsRefused},
		{"a host without scheme", "/oauth/token", []string{"app.example.com"}, "POST", "", http.StatusForbidden, corsRefused},
		{"a port with a leading zero", "/oauth/token", []string{"http://127.0.0.1:080"}, "POST", "", http.StatusForbidden, corsRefused},
		{"two Origin headers", "/oauth/token", []string{appOrigin, appOrigin}, "POST", "", http.StatusForbidden, corsRefused},
		{"a method the endpoint does not take", "/oauth/token", []string{appOrigin}, "PUT", "", http.StatusForbidden, corsRefused},
		{"GET at the token endpoint", "/oauth/token", []string{appOrigin}, "GET", "", http.StatusForbidden, corsRefused},
		{"a method in lower case", "/oauth/token", []string{appOrigin}, "post", "", http.StatusForbidden, corsRefused},
		{"a header that is not allowed", "/oauth/token", []string{appOrigin}, "POST", "content-type, x-requested-with",
			http.StatusForbidden, corsRefused},
		{"an overlong header list", "/oauth/token", []string{appOrigin}, "POST", strings.Repeat("dpop,", 100),
			http.StatusForbidden, corsRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(srv, preflight(t, tc.path, tc.origin, tc.method, tc.headers))
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.want, corsHeaders(rec.Header()))
			assert.Empty(t, rec.Body.String())
			assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
		})
	}
}

// An OPTIONS request without Access-Control-Request-Method is no
// preflight: the endpoint answers it as any other method it does not take.
func TestCORSOptionsWithoutRequestMethodIsNoPreflight(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	rec := serve(srv, fromOrigin(httptest.NewRequestWithContext(t.Context(), http.MethodOptions, "/oauth/token", nil), appOrigin))
	assertOAuthError(t, rec, http.StatusMethodNotAllowed, "invalid_request")
	assert.Equal(t, "POST", rec.Header().Get("Allow"))
	assert.Equal(t, corsVaryOnly, corsHeaders(rec.Header()))
}

// On the actual request only the origins of the client the request names
// get Access-Control-Allow-Origin, errors included, so a single-page app
// can read why it was refused; every answer varies by Origin.
func TestCORSActualTokenAndRevocationRequests(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	badCode := url.Values{"grant_type": {"authorization_code"}, "code": {"kac_unknown.code"}, "redirect_uri": {testRedirect},
		"code_verifier": {testVerifier}}
	public := func(id string) url.Values {
		f := url.Values{"client_id": {id}}
		for k, v := range badCode {
			f[k] = v
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		path   string
		origin []string
		form   url.Values
		authz  string
		status int
		code   string
		want   http.Header
	}{
		{"a public client from its redirect URI's origin", "/oauth/token", []string{appOrigin}, public(publicID), "",
			400, "invalid_grant", corsAllowed(appOrigin)},
		{"a public client from its loopback origin", "/oauth/token", []string{loopbackOrigin}, public(publicID), "",
			400, "invalid_grant", corsAllowed(loopbackOrigin)},
		{"a public client from another client's origin", "/oauth/token", []string{otherOrigin}, public(publicID), "",
			400, "invalid_grant", corsVaryOnly},
		{"the other client from its own origin", "/oauth/token", []string{otherOrigin}, public(otherSPA), "",
			400, "invalid_grant", corsAllowed(otherOrigin)},
		{"an origin configured for another client", "/oauth/token", []string{extraOrigin}, public(publicID), "",
			400, "invalid_grant", corsVaryOnly},
		{"a confidential client from its configured origin", "/oauth/token", []string{extraOrigin}, badCode, basic(rpID, rpSecret),
			400, "invalid_grant", corsAllowed(extraOrigin)},
		{"a refused secret still names its client", "/oauth/token", []string{appOrigin}, badCode, basic(rpID, "wrong-secret-wrong"),
			401, "invalid_client", corsAllowed(appOrigin)},
		{"an unknown client", "/oauth/token", []string{appOrigin}, public("nobody"), "", 401, "invalid_client", corsVaryOnly},
		{"no client at all", "/oauth/token", []string{appOrigin}, badCode, "", 401, "invalid_client", corsVaryOnly},
		{"a bearer header names no client", "/oauth/token", []string{appOrigin}, public(publicID), "Bearer abc",
			401, "invalid_client", corsVaryOnly},
		{"an unregistered origin", "/oauth/token", []string{strangerOrigin}, public(publicID), "", 400, "invalid_grant", corsVaryOnly},
		{"the opaque origin null", "/oauth/token", []string{"null"}, public(publicID), "", 400, "invalid_grant", corsVaryOnly},
		{"a malformed origin", "/oauth/token", []string{appOrigin + "/callback"}, public(publicID), "", 400, "invalid_grant", corsVaryOnly},
		{"two Origin headers", "/oauth/token", []string{appOrigin, appOrigin}, public(publicID), "", 400, "invalid_grant", corsVaryOnly},
		{"no Origin: a same-origin or server request", "/oauth/token", nil, public(publicID), "", 400, "invalid_grant", corsVaryOnly},
		{"a refresh alias", "/oauth/refresh", []string{appOrigin},
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"krt_unknown"}, "client_id": {publicID}}, "",
			400, "invalid_grant", corsAllowed(appOrigin)},
		{"revocation by a public client", "/oauth/revoke", []string{appOrigin},
			url.Values{"token": {"krt_unknown"}, "client_id": {publicID}}, "", 200, "", corsAllowed(appOrigin)},
		{"revocation from another client's origin", "/oauth/revoke", []string{otherOrigin},
			url.Values{"token": {"krt_unknown"}, "client_id": {publicID}}, "", 200, "", corsVaryOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := postReq(t, tc.path, tc.form.Encode(), "application/x-www-form-urlencoded", tc.authz)
			req.Header["Origin"] = tc.origin
			rec := serve(srv, req)
			if tc.code != "" {
				assertOAuthError(t, rec, tc.status, tc.code)
			} else {
				assertRevokeOK(t, rec)
			}
			assert.Equal(t, tc.want, corsHeaders(rec.Header()))
		})
	}
}

// Reading the body to find the client changes nothing the endpoint sees:
// an oversized body is refused as it is without an Origin.
func TestCORSTokenBodyLimitUnchanged(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	body := "client_id=" + publicID + "&pad=" + strings.Repeat("a", 70<<10)
	for _, origin := range [][]string{nil, {appOrigin}} {
		req := postReq(t, "/oauth/token", body, "application/x-www-form-urlencoded", "")
		req.Header["Origin"] = origin
		rec := serve(srv, req)
		e := assertOAuthError(t, rec, http.StatusBadRequest, "invalid_request")
		assert.Equal(t, "request body too large", e["error_description"])
		assert.Equal(t, corsVaryOnly, corsHeaders(rec.Header()))
	}
}

// UserInfo's client is the one its access token was issued to.
func TestCORSActualUserInfoRequests(t *testing.T) {
	srv, token := newCORSServer(t, nil)
	get := func(token string, origin ...string) *http.Request {
		return fromOrigin(bearerGet(t, "/oauth/userinfo", token), origin...)
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		want   http.Header
	}{
		{"the token's client's redirect origin", get(token, appOrigin), 200, corsAllowed(appOrigin)},
		{"the token's client's configured origin", get(token, extraOrigin), 200, corsAllowed(extraOrigin)},
		{"a token in the body", fromOrigin(postReq(t, "/oauth/userinfo", url.Values{"access_token": {token}}.Encode(),
			"application/x-www-form-urlencoded", ""), appOrigin), 200, corsAllowed(appOrigin)},
		{"another client's origin", get(token, otherOrigin), 200, corsVaryOnly},
		{"an unregistered origin", get(token, strangerOrigin), 200, corsVaryOnly},
		{"the opaque origin null", get(token, "null"), 200, corsVaryOnly},
		{"an unknown token names no client", get("kat_unknown", appOrigin), 401, corsVaryOnly},
		{"no Origin", get(token), 200, corsVaryOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(srv, tc.req)
			assert.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.Equal(t, tc.want, corsHeaders(rec.Header()))
		})
	}
}

// The metadata documents and the JWK Set are public: any origin may read
// them, with no credentials and no Vary.
func TestCORSPublicDocuments(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/oauth/jwks"} {
		t.Run(path, func(t *testing.T) {
			for _, origin := range [][]string{{strangerOrigin}, {"null"}, nil} {
				rec := serve(srv, fromOrigin(httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil), origin...))
				assert.Equal(t, http.StatusOK, rec.Code)
				assert.Equal(t, http.Header{"Access-Control-Allow-Origin": {"*"}}, corsHeaders(rec.Header()))
			}
			rec := serve(srv, preflight(t, path, []string{strangerOrigin}, "GET", ""))
			assert.Equal(t, http.StatusNoContent, rec.Code)
			assert.Equal(t, corsPublicPreflit, corsHeaders(rec.Header()))

			rec = serve(srv, preflight(t, path, []string{strangerOrigin}, "POST", ""))
			assert.Equal(t, http.StatusForbidden, rec.Code)
			assert.Equal(t, http.Header{}, corsHeaders(rec.Header()))
		})
	}
}

// The browser-facing pages and the server-to-server introspection endpoint
// never carry a CORS header, preflight or not, whatever the origin.
func TestCORSNeverOnBrowserEndpoints(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	for _, path := range []string{"/oauth/authorize?" + authorizeQuery(nil), "/oauth/consent", "/consent-sso?client_id=" + publicID,
		"/oauth/introspect", "/oauth/nowhere"} {
		t.Run(path, func(t *testing.T) {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				req := httptest.NewRequestWithContext(t.Context(), method, path, nil)
				req.Header.Set("Origin", appOrigin)
				req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
				assert.Equal(t, http.Header{}, corsHeaders(serve(srv, req).Header()), method)
			}
			rec := serve(srv, preflight(t, path, []string{appOrigin}, "POST", "content-type"))
			assert.Equal(t, http.Header{}, corsHeaders(rec.Header()))
			assert.NotEqual(t, http.StatusNoContent, rec.Code)
		})
	}
}

// A public client in a browser at its own origin runs its whole life
// through CORS: sign-in at the authorization endpoint (same-site, no CORS),
// then a preflight and a request with Origin for the code exchange with
// PKCE, a refresh with rotation, and revocation on logout, after which the
// refresh token is refused, readably.
func TestCORSBrowserPublicClientSequence(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	b := newInproc(t, srv)
	issuer, err := url.Parse(testIssuer)
	require.NoError(t, err)
	b.jar.SetCookies(issuer, []*http.Cookie{{Name: "user", Value: "user-alice", Path: "/"}})
	rec := b.approve(b.authorize(authorizeQuery(nil)), "basic_info")
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, http.Header{}, corsHeaders(rec.Header()))
	cb, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	code := cb.Query().Get("code")
	require.NotEmpty(t, code)

	// spa is the app's fetch: a form POST from appOrigin, no cookies,
	// after the preflight a DPoP-capable app would cause.
	spa := func(path string, form url.Values) *httptest.ResponseRecorder {
		t.Helper()
		pre := serve(srv, preflight(t, path, []string{appOrigin}, "POST", "content-type"))
		assert.Equal(t, http.StatusNoContent, pre.Code)
		assert.Equal(t, corsPreflightOK(appOrigin, "POST"), corsHeaders(pre.Header()))
		req := postReq(t, path, form.Encode(), "application/x-www-form-urlencoded", "")
		req.Header.Set("Origin", appOrigin)
		rec := serve(srv, req)
		assert.Equal(t, corsAllowed(appOrigin), corsHeaders(rec.Header()))
		return rec
	}
	tokens := tokenOK(t, spa("/oauth/token", withValue(codeForm(code, testVerifier), "client_id", publicID)))
	first := str(tokens, "refresh_token")
	require.NotEmpty(t, first)
	assertActive(t, srv, str(tokens, "access_token"), true)

	refreshed := tokenOK(t, spa("/oauth/token", withValue(refreshForm(first), "client_id", publicID)))
	second := str(refreshed, "refresh_token")
	require.NotEmpty(t, second)
	assert.NotEqual(t, first, second, "the refresh token rotates")

	assertRevokeOK(t, spa("/oauth/revoke", url.Values{"token": {second}, "client_id": {publicID}}))
	assertActive(t, srv, str(refreshed, "access_token"), false)
	assertOAuthError(t, spa("/oauth/token", withValue(refreshForm(second), "client_id", publicID)), http.StatusBadRequest, "invalid_grant")
}

// CORS.AllowOrigin decides for origins nothing else allows: with an empty
// client ID for a preflight, with the named client's ID for a request, and
// never for a malformed or null origin.
func TestCORSAllowOrigin(t *testing.T) {
	var mu sync.Mutex
	var asked [][2]string
	srv, _ := newCORSServer(t, func(c *authserver.Config) {
		c.CORS.AllowOrigin = func(origin, clientID string) bool {
			mu.Lock()
			defer mu.Unlock()
			asked = append(asked, [2]string{origin, clientID})
			return origin == "https://tenant.example"
		}
	})
	rec := serve(srv, preflight(t, "/oauth/token", []string{"https://tenant.example"}, "POST", ""))
	assert.Equal(t, corsPreflightOK("https://tenant.example", "POST"), corsHeaders(rec.Header()))

	req := postReq(t, "/oauth/revoke", url.Values{"token": {"krt_unknown"}, "client_id": {publicID}}.Encode(), "application/x-www-form-urlencoded", "")
	req.Header.Set("Origin", "https://tenant.example")
	assert.Equal(t, corsAllowed("https://tenant.example"), corsHeaders(serve(srv, req).Header()))

	rec = serve(srv, preflight(t, "/oauth/token", []string{strangerOrigin}, "POST", ""))
	assert.Equal(t, corsRefused, corsHeaders(rec.Header()))
	for _, o := range []string{"null", "https://tenant.example/"} {
		serve(srv, preflight(t, "/oauth/token", []string{o}, "POST", ""))
	}
	// A registered origin never reaches the callback.
	serve(srv, preflight(t, "/oauth/token", []string{appOrigin}, "POST", ""))
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, [][2]string{{"https://tenant.example", ""}, {"https://tenant.example", publicID}, {strangerOrigin, ""}}, asked)
}

// Registering a client again replaces the origins its earlier
// registration added to the preflight union; an origin two clients share
// stays until neither has it.
func TestCORSRegisterReplacesOrigins(t *testing.T) {
	srv, _ := newCORSServer(t, nil)
	register := func(id string, uris ...string) {
		t.Helper()
		require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: id, AuthMethod: authserver.AuthMethodNone,
			RedirectURIs: uris, GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"}}))
	}
	allowed := func(origin string) bool {
		return serve(srv, preflight(t, "/oauth/token", []string{origin}, "POST", "")).Code == http.StatusNoContent
	}
	register("mover", "https://old.example/cb", "https://shared.example/a")
	register("stayer", "https://shared.example/b")
	assert.True(t, allowed("https://old.example"))
	register("mover", "https://new.example:8443/cb")
	assert.False(t, allowed("https://old.example"))
	assert.True(t, allowed("https://new.example:8443"))
	assert.True(t, allowed("https://shared.example"))
	register("stayer", "https://elsewhere.example/cb")
	assert.False(t, allowed("https://shared.example"))
}

// With CORS.Disabled no endpoint answers a CORS header and a preflight
// reaches the endpoint as any OPTIONS request.
func TestCORSDisabled(t *testing.T) {
	srv, token := newCORSServer(t, func(c *authserver.Config) {
		c.CORS = authserver.CORS{Disabled: true}
	})
	for _, req := range []*http.Request{
		preflight(t, "/oauth/token", []string{appOrigin}, "POST", ""),
		fromOrigin(postReq(t, "/oauth/token", "client_id="+publicID, "application/x-www-form-urlencoded", ""), appOrigin),
		fromOrigin(bearerGet(t, "/oauth/userinfo", token), appOrigin),
		fromOrigin(httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/jwks", nil), appOrigin),
	} {
		rec := serve(srv, req)
		assert.Equal(t, http.Header{}, corsHeaders(rec.Header()), req.URL.Path)
	}
	rec := serve(srv, preflight(t, "/oauth/token", []string{appOrigin}, "POST", ""))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// Config.CORS is checked by New: every problem is a FieldError naming the
// field.
func TestCORSConfigErrors(t *testing.T) {
	const syntax = "must be a serialized origin such as https://spa.example.com: scheme, host and port only, lowercase, without the default port (Fetch §3.2.1)"
	for _, tc := range []struct {
		name    string
		cors    authserver.CORS
		field   string
		problem string
	}{
		{"null", authserver.CORS{Origins: map[string][]string{"spa": {"null"}}}, `CORS.Origins["spa"]`, `"null": null never names an app's origin`},
		{"a wildcard", authserver.CORS{Origins: map[string][]string{"spa": {"*"}}}, `CORS.Origins["spa"]`, `"*": * never names an app's origin`},
		{"a path", authserver.CORS{Origins: map[string][]string{"spa": {"https://spa.example/"}}}, `CORS.Origins["spa"]`, `"https://spa.example/": ` + syntax},
		{"upper case", authserver.CORS{Origins: map[string][]string{"spa": {"https://SPA.example"}}}, `CORS.Origins["spa"]`, `"https://SPA.example": ` + syntax},
		{"the default port", authserver.CORS{Origins: map[string][]string{"spa": {"https://spa.example:443"}}}, `CORS.Origins["spa"]`, `"https://spa.example:443": ` + syntax},
		{"another scheme", authserver.CORS{Origins: map[string][]string{"spa": {"ftp://spa.example"}}}, `CORS.Origins["spa"]`, `"ftp://spa.example": ` + syntax},
		{"plain http", authserver.CORS{Origins: map[string][]string{"spa": {"http://spa.example"}}}, `CORS.Origins["spa"]`,
			`"http://spa.example": http is allowed only on a loopback IP address (RFC 9700 §2.1); use https`},
		{"an empty client ID", authserver.CORS{Origins: map[string][]string{"": {"https://spa.example"}}}, `CORS.Origins[""]`,
			"the client ID must be non-empty visible ASCII (RFC 6749 Appendix A)"},
		{"origins while disabled", authserver.CORS{Disabled: true, Origins: map[string][]string{}}, "CORS.Origins", "is set but CORS.Disabled turns CORS off"},
		{"a callback while disabled", authserver.CORS{Disabled: true, AllowOrigin: func(string, string) bool { return true }},
			"CORS.AllowOrigin", "is set but CORS.Disabled turns CORS off"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.CORS = tc.cors
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			var fe *authserver.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, []*authserver.FieldError{{Field: tc.field, Problem: tc.problem}}, fieldErrors(err))
		})
	}
	cfg := testConfig()
	cfg.CORS.Origins = map[string][]string{"spa": {"https://spa.example:8443", "http://127.0.0.1:3000", "http://[::1]:3000"}}
	_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
	assert.NoError(t, err)
	cfg.CORS.Origins = map[string][]string{"spa": {"http://spa.example"}}
	cfg.Development.AllowHTTPRedirectURIs = true
	_, err = authserver.New(cfg, store.NewMemoryWithCleanup(0))
	assert.NoError(t, err)
}

// FuzzCORSPreflight: whatever a preflight carries, the answer is a 204 only
// for an origin some client registered or the host configured, echoed
// exactly, and otherwise a 403 without Access-Control-Allow-Origin; never a
// 5xx, never credentials.
func FuzzCORSPreflight(f *testing.F) {
	for _, seed := range [][3]string{
		{appOrigin, "POST", "content-type, dpop"},
		{loopbackOrigin, "POST", ""},
		{"null", "POST", ""},
		{appOrigin + ":443", "POST", ""},
		{"HTTPS://app.example.com", "POST", ""},
		{"https://app.example.com.", "POST", ""},
		{"https://[::1]:0", "GET", "authorization"},
		{strangerOrigin, "PUT", "x-custom"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	cfg := testConfig()
	cfg.CORS.Origins = map[string][]string{publicID: {extraOrigin}}
	srv, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
	require.NoError(f, err)
	require.NoError(f, srv.RegisterClient(f.Context(), authserver.Client{ID: publicID, AuthMethod: authserver.AuthMethodNone,
		RedirectURIs: []string{testRedirect, loopbackOrigin + "/cb", otherOrigin + ":8443/cb"}, GrantTypes: grants("authorization_code")}))
	allowed := map[string]bool{appOrigin: true, loopbackOrigin: true, otherOrigin + ":8443": true, extraOrigin: true}
	f.Fuzz(func(t *testing.T, origin, method, headers string) {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodOptions, "/oauth/token", nil)
		req.Header["Origin"] = []string{origin}
		req.Header["Access-Control-Request-Method"] = []string{method}
		req.Header["Access-Control-Request-Headers"] = []string{headers}
		rec := serve(srv, req)
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))
		switch {
		case origin == "" || method == "":
			// No preflight: the endpoint refuses OPTIONS.
			assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
			assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
		case rec.Code == http.StatusNoContent:
			assert.True(t, allowed[origin], "answered for %q", origin)
			assert.Equal(t, origin, rec.Header().Get("Access-Control-Allow-Origin"))
			assert.Equal(t, "POST", method)
		default:
			assert.Equal(t, http.StatusForbidden, rec.Code)
			assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
		}
	})
}
