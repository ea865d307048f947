package authserver_test

import (
	"net/http"
	"net/url"
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
