package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// Paths.EndSession moves the end_session_endpoint: discovery names the new
// path, the logout runs there, and the default path is not served.
func TestLogoutOnItsConfiguredPath(t *testing.T) {
	srv, _, _ := newLogoutServer(t, func(c *authserver.Config) { c.Paths.EndSession = "/session/end" })
	meta := decodeJSON(t, serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/.well-known/openid-configuration", nil)))
	assert.Equal(t, testIssuer+"/session/end", meta["end_session_endpoint"])

	rec := serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/session/end?"+url.Values{"client_id": {rpID}}.Encode(), nil))
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Body.String(), signedOutMark)

	rec = serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, logoutPath(url.Values{"client_id": {rpID}}), nil))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

// Paths.PushedAuthorization moves the PAR endpoint (RFC 9126 §5):
// metadata names the new path, a push there answers 201, and the default
// path is not served.
func TestPushedAuthorizationOnItsConfiguredPath(t *testing.T) {
	srv, c := signedInServer(t, func(c *authserver.Config) { c.Paths.PushedAuthorization = "/oauth/push" })
	meta := decodeJSON(t, serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/.well-known/oauth-authorization-server", nil)))
	assert.Equal(t, testIssuer+"/oauth/push", meta["pushed_authorization_request_endpoint"])

	rec := postForm(t, srv, "/oauth/push", pushedQuery(t, nil), basic(confidentialID, confidentialPass))
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	uri := str(decodeJSON(t, rec), "request_uri")
	page := c.authorize(byReference(confidentialID, uri, nil))
	assert.Equal(t, http.StatusOK, page.Code, page.Body.String())

	rec = postForm(t, srv, "/oauth/par", pushedQuery(t, nil), basic(confidentialID, confidentialPass))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

// The end_session_endpoint is a page a browser navigates to, never a
// fetch: it answers no preflight and sends no CORS headers to a request
// from an allowed origin.
func TestCORSNeverOnTheLogoutEndpoint(t *testing.T) {
	srv, _, _ := newLogoutServer(t, func(c *authserver.Config) {
		c.CORS.Origins = map[string][]string{rpID: {extraOrigin}}
	})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req := httptest.NewRequestWithContext(t.Context(), method, logoutPath(url.Values{"client_id": {rpID}}), nil)
		req.Header.Set("Origin", extraOrigin)
		rec := serve(srv, req)
		assert.Equal(t, http.Header{}, corsHeaders(rec.Header()), method)
	}
	rec := serve(srv, preflight(t, "/oauth/logout", []string{extraOrigin}, "POST", "content-type"))
	assert.Equal(t, http.Header{}, corsHeaders(rec.Header()))
	assert.NotEqual(t, http.StatusNoContent, rec.Code)
}

// A logout ends the host's session and nothing else kunci keeps (RP-Initiated
// Logout §2 leaves the rest to the OP): the tokens the client got before it
// still work, a refresh included, and the remembered consent still holds
// for the next sign-in, which goes straight back to the client.
func TestLogoutForgetsNothingElse(t *testing.T) {
	srv, _, ends := newLogoutServer(t, nil)
	b := newRPBrowser(t, srv)
	body := exchange(t, srv, signIn(t, b, url.Values{"scope": {"openid offline_access basic_info"}}))
	hint, access, refresh := str(body, "id_token"), str(body, "access_token"), str(body, "refresh_token")
	require.NotEmpty(t, refresh)

	resp, page := b.do(http.MethodGet, logoutPath(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpLogoutURI}}), nil)
	assertSignedOutAt(t, resp, page, http.StatusFound, "")
	require.Equal(t, []string{"user-alice"}, ends.subjects())

	_, err := srv.VerifyAccessToken(t.Context(), access)
	assert.NoError(t, err, "the access token outlives the session")
	tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(refresh), basic(rpID, rpSecret)))

	b.signIn("user-alice")
	// offline_access is asked for every time (Core §11); the rest is not.
	resp, page = b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(url.Values{"scope": {"openid basic_info"}}), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode, page)
	assert.NotEmpty(t, location(t, resp).Query().Get("code"), "the consent was remembered")
}
