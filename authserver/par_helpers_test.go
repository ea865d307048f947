package authserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// requestURIPrefix is the URN namespace RFC 9126 §2.2 gives request_uri.
const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// pushedQuery is the authorization request of authorizeQuery for the
// confidential test client, as a pushed request's form.
func pushedQuery(t *testing.T, extra url.Values) url.Values {
	t.Helper()
	base := url.Values{"client_id": {confidentialID}}
	for k, v := range extra {
		base[k] = v
	}
	q, err := url.ParseQuery(authorizeQuery(base))
	require.NoError(t, err)
	return q
}

// pushOK pushes form with authz and returns the request_uri of the 201
// answer (RFC 9126 §2.2).
func pushOK(t *testing.T, h http.Handler, form url.Values, authz string) string {
	t.Helper()
	rec := postForm(t, h, "/oauth/par", form, authz)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.Equal(t, "application/json;charset=UTF-8", rec.Header().Get("Content-Type"))
	assertNoStore(t, rec)
	body := decodeJSON(t, rec)
	uri := str(body, "request_uri")
	require.True(t, strings.HasPrefix(uri, requestURIPrefix), uri)
	assert.Equal(t, float64(60), body["expires_in"])
	assert.Len(t, body, 2)
	return uri
}

// byReference is the authorization request that uses a pushed request:
// client_id and request_uri, and extra parameters beside them.
func byReference(clientID, requestURI string, extra url.Values) string {
	q := url.Values{"client_id": {clientID}, "request_uri": {requestURI}}
	for k, v := range extra {
		q[k] = v
	}
	return q.Encode()
}

// assertPage checks that rec is the built-in error page with exactly
// status, code and description.
func assertPage(t *testing.T, rec *httptest.ResponseRecorder, status int, code authserver.ErrorCode, description string) {
	t.Helper()
	assertErrorPage(t, rec.Result(), rec.Body.String(), status, code, description)
}

// addHighSecurityMetadata adds to a wanted metadata document what pushed
// authorization requests and private_key_jwt publish (RFC 9126 §5, RFC
// 8414 §2).
func addHighSecurityMetadata(want map[string]any) {
	algs := []any{"ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256"}
	want["pushed_authorization_request_endpoint"] = testIssuer + "/oauth/par"
	want["token_endpoint_auth_signing_alg_values_supported"] = algs
	want["revocation_endpoint_auth_signing_alg_values_supported"] = algs
	want["introspection_endpoint_auth_signing_alg_values_supported"] = algs
}
