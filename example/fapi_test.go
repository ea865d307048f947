package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/example/internal/demo"
)

// newFAPIEnv serves the demo as run does without -clients: the default
// data plus fapi-client, whose private key is in the returned file.
func newFAPIEnv(t *testing.T) (*env, string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	data, keyFile, remove, err := defaultDataWithFAPIClient(base)
	require.NoError(t, err)
	t.Cleanup(remove)
	app, err := demo.New(t.Context(), demo.Config{Issuer: base, Data: &data})
	require.NoError(t, err)
	ts.Config.Handler = app
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		assert.NoError(t, app.Close())
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &env{t: t, base: base, app: app, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, keyFile
}

// assertionAuth is fapi-client's private_key_jwt authentication (RFC 7523
// §2.2) with a fresh assertion made with the key in keyFile.
func (e *env) assertionAuth(keyFile string) url.Values {
	e.t.Helper()
	key, err := demo.ReadClientKey(keyFile)
	require.NoError(e.t, err)
	a, err := demo.ClientAssertion(key, demo.FAPIClientID, e.base, time.Now())
	require.NoError(e.t, err)
	return url.Values{"client_id": {demo.FAPIClientID}, "client_assertion_type": {demo.ClientAssertionType}, "client_assertion": {a}}
}

func withForm(a, b url.Values) url.Values {
	out := url.Values{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestFAPIClientFlow runs the walkthrough's PAR + PKCE + private_key_jwt
// section against the demo: a request that was not pushed is refused
// on the error page (RFC 9126 §6), the pushed one answers 201 with a request_uri (§2.2) that
// signs budi in, and the code exchanges, with a new assertion, for an ID
// Token whose sub is pairwise (OpenID Connect Core §8.1) and a DPoP-bound
// access token (RFC 9449 §5) that /api/me takes only with the DPoP scheme
// and a fresh proof (§7.1). An assertion
// used twice is invalid_client (RFC 7523 §3, jti).
func TestFAPIClientFlow(t *testing.T) {
	e, keyFile := newFAPIEnv(t)
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	request := url.Values{
		"response_type": {"code"}, "redirect_uri": {e.base + "/callback"}, "scope": {"openid basic_info"},
		"state": {"fapi-state"}, "nonce": {"fapi-nonce"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}

	resp, page := e.get("/oauth/authorize?" + withForm(request, url.Values{"client_id": {demo.FAPIClientID}}).Encode())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, page, `<p id="error-code">invalid_request</p>`)
	assert.Contains(t, page, `<p id="error-description">this client&#39;s authorization requests must be pushed (RFC 9126)</p>`)

	auth := e.assertionAuth(keyFile)
	resp, body := e.post("/oauth/par", withForm(request, auth))
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
	var pushed struct {
		RequestURI string `json:"request_uri"`
		ExpiresIn  int    `json:"expires_in"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &pushed), body)
	assert.True(t, strings.HasPrefix(pushed.RequestURI, "urn:ietf:params:oauth:request_uri:"), pushed.RequestURI)
	assert.Equal(t, 60, pushed.ExpiresIn)

	resp, body = e.post("/oauth/par", withForm(request, auth))
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	assert.Contains(t, body, `"error":"invalid_client"`, "the assertion's jti was used")

	resp, page = e.get("/oauth/authorize?" + url.Values{"client_id": {demo.FAPIClientID}, "request_uri": {pushed.RequestURI}}.Encode())
	require.Equal(t, http.StatusFound, resp.StatusCode, page)
	resp, page = e.get(e.signInAt(e.location(resp), userName, userPassword).String())
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	cb := e.decide(page, "approve", "openid", "basic_info")
	assert.Equal(t, e.base+"/callback", cb.Scheme+"://"+cb.Host+cb.Path)
	assert.Equal(t, "fapi-state", cb.Query().Get("state"))
	code := cb.Query().Get("code")
	require.NotEmpty(t, code, cb.String())

	exchange := url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {e.base + "/callback"}, "code_verifier": {verifier},
	}
	resp, body = e.post("/oauth/token", withForm(e.assertionAuth(keyFile), exchange))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	assert.Contains(t, body, `"error":"invalid_dpop_proof"`, "fapi-client's tokens must be DPoP-bound (RFC 9449 §5.2)")

	key, err := demo.ReadClientKey(keyFile)
	require.NoError(t, err)
	proof, err := demo.DPoPProof(key, http.MethodPost, e.base+"/oauth/token", "", time.Now())
	require.NoError(t, err)
	resp, body = e.do(http.MethodPost, "/oauth/token", withForm(e.assertionAuth(keyFile), exchange), http.Header{"Dpop": {proof}})
	tok := tokenResponse(t, resp, body)
	assert.Equal(t, "DPoP", tok["token_type"], body)
	raw, ok := tok["id_token"].(string)
	require.True(t, ok, body)
	parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	require.NoError(t, err)
	var claims jwt.Claims
	require.NoError(t, parsed.UnsafeClaimsWithoutVerification(&claims))
	assert.Equal(t, jwt.Audience{demo.FAPIClientID}, claims.Audience)
	assert.NotEmpty(t, claims.Subject)
	assert.NotEqual(t, userName, claims.Subject, "fapi-client gets a pairwise sub")

	access, ok := tok["access_token"].(string)
	require.True(t, ok, body)
	resp, body = e.bearer("/api/me", access)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, body, "a DPoP-bound token as Bearer (RFC 9449 §7.1)")
	assert.Equal(t, "invalid_token\n", body)
	assert.Contains(t, resp.Header.Values("WWW-Authenticate"), `DPoP algs="ES256 ES384 ES512 EdDSA RS256 PS256"`)

	proof, err = demo.DPoPProof(key, http.MethodGet, e.base+"/api/me", access, time.Now())
	require.NoError(t, err)
	dpopHeader := http.Header{"Authorization": {"DPoP " + access}, "Dpop": {proof}}
	resp, body = e.do(http.MethodGet, "/api/me", nil, dpopHeader)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.JSONEq(t, `{"sub":"budi","name":"Budi Santoso","email":"budi@example.id"}`, body, "the API sees the local subject")

	resp, body = e.do(http.MethodGet, "/api/me", nil, dpopHeader)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	assert.Contains(t, resp.Header.Values("WWW-Authenticate"), `DPoP algs="ES256 ES384 ES512 EdDSA RS256 PS256", error="invalid_dpop_proof", error_description="DPoP proof jti was used before"`, "the proof's jti was used")
}
