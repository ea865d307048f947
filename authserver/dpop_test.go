package authserver_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/internal/dpop/dpoptest"
	"github.com/kunci/kunci/store"
)

// tokenHTU is the htu of proofs for the test server's token endpoint.
const tokenHTU = testIssuer + "/oauth/token"

// withDPoP turns DPoP on.
func withDPoP(c *authserver.Config) { c.DPoP.Enabled = true }

// postDPoP is postForm with the DPoP headers proofs (none when empty).
func postDPoP(t *testing.T, h http.Handler, form url.Values, authz string, proofs ...string) *httptest.ResponseRecorder {
	t.Helper()
	return postDPoPTo(t, h, "/oauth/token", form, authz, proofs...)
}

// postDPoPTo is postDPoP to path.
func postDPoPTo(t *testing.T, h http.Handler, path string, form url.Values, authz string, proofs ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	return serve(h, req)
}

// tokenProof is a proof of k for the token endpoint.
func tokenProof(t *testing.T, k dpoptest.Key) string {
	t.Helper()
	return k.Proof(t, dpoptest.Claims{HTM: http.MethodPost, HTU: tokenHTU})
}

// dpopTokenOK requires a successful token response with token_type DPoP.
func dpopTokenOK(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, "body: %s", rec.Body.String())
	assertNoStore(t, rec)
	body := decodeJSON(t, rec)
	assert.Equal(t, "DPoP", body["token_type"])
	require.IsType(t, "", body["access_token"])
	return body
}

func TestDPoPTokenIsBoundToTheProofKey(t *testing.T) {
	srv, _ := newTestServer(t, withDPoP)
	k := dpoptest.NewKey(t, jose.ES256)
	body := dpopTokenOK(t, postDPoP(t, srv, ccForm(), basic(serviceID, servicePass), tokenProof(t, k)))

	info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, k.JKT(t), info.JKT)

	rec := postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(serviceID, servicePass))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	got := decodeJSON(t, rec)
	assert.Equal(t, true, got["active"])
	assert.Equal(t, "DPoP", got["token_type"])
	assert.Equal(t, map[string]any{"jkt": k.JKT(t)}, got["cnf"])

	// Without a proof the token is a bearer token, as before.
	plain := tokenOK(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)))
	info, err = srv.VerifyAccessToken(t.Context(), str(plain, "access_token"))
	require.NoError(t, err)
	assert.Empty(t, info.JKT)
	rec = postForm(t, srv, "/oauth/introspect", introspectForm(str(plain, "access_token")), basic(serviceID, servicePass))
	got = decodeJSON(t, rec)
	assert.Equal(t, "Bearer", got["token_type"])
	assert.NotContains(t, got, "cnf")
}

func TestDPoPJWTAccessTokenCarriesCnf(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		withDPoP(c)
		c.JWT.SigningKeys = []jose.JSONWebKey{genKey(t, jose.ES256)}
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "jwt-service", Secret: servicePass,
		GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}, AccessTokenFormat: authserver.TokenFormatJWT}))
	k := dpoptest.NewKey(t, jose.EdDSA)
	body := dpopTokenOK(t, postDPoP(t, srv, ccForm(), basic("jwt-service", servicePass), tokenProof(t, k)))
	parts := strings.Split(str(body, "access_token"), ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	assert.Equal(t, map[string]any{"jkt": k.JKT(t)}, claims["cnf"])
	info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, k.JKT(t), info.JKT)
}

func TestDPoPTokenEndpointRefusesBadProofs(t *testing.T) {
	srv, _ := newTestServer(t, withDPoP)
	k := dpoptest.NewKey(t, jose.ES256)
	now := time.Now().Unix()
	good := dpoptest.Claims{HTM: http.MethodPost, HTU: tokenHTU}
	with := func(f func(*dpoptest.Claims)) dpoptest.Claims { c := good; f(&c); return c }
	tests := []struct {
		name   string
		proofs []string
	}{
		{"a private key in jwk", []string{k.ProofWith(t, good, map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": jose.JSONWebKey{Key: k.Private, Algorithm: "ES256"}})}},
		{"alg none", []string{dpoptest.Unsigned(t, k, good)}},
		{"HS256", []string{dpoptest.HMAC(t, k, []byte(strings.Repeat("s", 32)), good)}},
		{"a wrong htm", []string{k.Proof(t, with(func(c *dpoptest.Claims) { c.HTM = http.MethodGet }))}},
		{"a wrong htu", []string{k.Proof(t, with(func(c *dpoptest.Claims) { c.HTU = testIssuer + "/oauth/introspect" }))}},
		{"a stale iat", []string{k.Proof(t, with(func(c *dpoptest.Claims) { c.IAT = now - 3600 }))}},
		{"a future iat", []string{k.Proof(t, with(func(c *dpoptest.Claims) { c.IAT = now + 3600 }))}},
		{"two DPoP headers", []string{tokenProof(t, k), tokenProof(t, k)}},
		{"an empty DPoP header", []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := postDPoP(t, srv, ccForm(), basic(serviceID, servicePass), tc.proofs...)
			assertOAuthError(t, rec, http.StatusBadRequest, "invalid_dpop_proof")
			assert.Empty(t, rec.Header().Get("DPoP-Nonce"))
		})
	}
}

func TestDPoPReplayedJTIAcrossServersSharingAStore(t *testing.T) {
	st := store.NewMemoryWithCleanup(0)
	cfg := testConfig()
	withDPoP(&cfg)
	a, err := authserver.New(cfg, st)
	require.NoError(t, err)
	b, err := authserver.New(cfg, st)
	require.NoError(t, err)
	require.NoError(t, a.RegisterClient(t.Context(), authserver.Client{ID: serviceID, Secret: servicePass,
		GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}}))
	k := dpoptest.NewKey(t, jose.ES256)
	proof := tokenProof(t, k)
	dpopTokenOK(t, postDPoP(t, a, ccForm(), basic(serviceID, servicePass), proof))
	body := assertOAuthError(t, postDPoP(t, a, ccForm(), basic(serviceID, servicePass), proof), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "DPoP proof jti was used before", body["error_description"])
	body = assertOAuthError(t, postDPoP(t, b, ccForm(), basic(serviceID, servicePass), proof), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "DPoP proof jti was used before", body["error_description"])
}

func TestDPoPNonce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := []byte(strings.Repeat("n", 32))
		st := store.NewMemoryWithCleanup(0)
		cfg := testConfig()
		cfg.DPoP = authserver.DPoP{Enabled: true, Nonce: true, NonceKey: key, NonceLifetime: time.Minute}
		a, err := authserver.New(cfg, st)
		require.NoError(t, err)
		b, err := authserver.New(cfg, st)
		require.NoError(t, err)
		cfg.DPoP.NonceKey = []byte(strings.Repeat("o", 32))
		stranger, err := authserver.New(cfg, st)
		require.NoError(t, err)
		require.NoError(t, a.RegisterClient(t.Context(), authserver.Client{ID: serviceID, Secret: servicePass,
			GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}}))
		k := dpoptest.NewKey(t, jose.ES256)
		proof := func(nonce string) string {
			return k.Proof(t, dpoptest.Claims{HTM: http.MethodPost, HTU: tokenHTU, Nonce: nonce})
		}
		auth := basic(serviceID, servicePass)

		// Required: a proof without one is answered with the nonce.
		rec := postDPoP(t, a, ccForm(), auth, proof(""))
		body := assertOAuthError(t, rec, http.StatusBadRequest, "use_dpop_nonce")
		assert.Equal(t, "a DPoP nonce is required", body["error_description"])
		nonce := rec.Header().Get("DPoP-Nonce")
		require.NotEmpty(t, nonce)

		// The retry with it works, on either instance sharing the key.
		rec = postDPoP(t, a, ccForm(), auth, proof(nonce))
		dpopTokenOK(t, rec)
		assert.Equal(t, nonce, rec.Header().Get("DPoP-Nonce"))
		dpopTokenOK(t, postDPoP(t, b, ccForm(), auth, proof(nonce)))

		// Forged: another key's nonce, or a made-up one.
		body = assertOAuthError(t, postDPoP(t, stranger, ccForm(), auth, proof(nonce)), http.StatusBadRequest, "use_dpop_nonce")
		assert.Equal(t, "the DPoP nonce is not this server's", body["error_description"])
		body = assertOAuthError(t, postDPoP(t, a, ccForm(), auth, proof("made-up")), http.StatusBadRequest, "use_dpop_nonce")
		assert.Equal(t, "the DPoP nonce is not this server's", body["error_description"])

		// Expired: two lifetimes later.
		time.Sleep(2 * time.Minute)
		rec = postDPoP(t, a, ccForm(), auth, proof(nonce))
		body = assertOAuthError(t, rec, http.StatusBadRequest, "use_dpop_nonce")
		assert.Equal(t, "the DPoP nonce has expired", body["error_description"])
		fresh := rec.Header().Get("DPoP-Nonce")
		assert.NotEqual(t, nonce, fresh)
		dpopTokenOK(t, postDPoP(t, a, ccForm(), auth, proof(fresh)))
	})
}

func TestDPoPRequiredByClientAndServer(t *testing.T) {
	srv, _ := newTestServer(t, withDPoP)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "bound", Secret: servicePass,
		GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}, DPoPBoundAccessTokens: true}))
	body := assertOAuthError(t, postForm(t, srv, "/oauth/token", ccForm(), basic("bound", servicePass)), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "a DPoP proof is required", body["error_description"])
	dpopTokenOK(t, postDPoP(t, srv, ccForm(), basic("bound", servicePass), tokenProof(t, dpoptest.NewKey(t, jose.ES256))))
	// Other clients may still get bearer tokens.
	tokenOK(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)))

	required, _ := newTestServer(t, func(c *authserver.Config) { c.DPoP = authserver.DPoP{Enabled: true, Required: true} })
	assertOAuthError(t, postForm(t, required, "/oauth/token", ccForm(), basic(serviceID, servicePass)), http.StatusBadRequest, "invalid_dpop_proof")
	dpopTokenOK(t, postDPoP(t, required, ccForm(), basic(serviceID, servicePass), tokenProof(t, dpoptest.NewKey(t, jose.ES256))))
}

func TestDPoPOffIgnoresTheHeader(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	body := tokenOK(t, postDPoP(t, srv, ccForm(), basic(serviceID, servicePass), "junk"))
	info, err := srv.VerifyAccessToken(t.Context(), str(body, "access_token"))
	require.NoError(t, err)
	assert.Empty(t, info.JKT)
	err = srv.RegisterClient(t.Context(), authserver.Client{ID: "bound", Secret: servicePass,
		GrantTypes: grants("client_credentials"), DPoPBoundAccessTokens: true})
	var fe *authserver.FieldError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.Equal(t, "DPoPBoundAccessTokens", fe.Field)
}

// codeBoundTo runs the public client's authorization request with dpop_jkt
// jkt through the browser as user-alice and returns the code.
func codeBoundTo(t *testing.T, srv http.Handler, jkt string) string {
	t.Helper()
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"dpop_jkt": {jkt}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	form["scope"] = []string{"basic_info"}
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	code := location(t, resp).Query().Get("code")
	require.NotEmpty(t, code, resp.Header.Get("Location"))
	return code
}

// publicCodeForm is the public client's code redemption.
func publicCodeForm(code string) url.Values {
	return withValue(codeForm(code, testVerifier), "client_id", publicID)
}

func TestDPoPJKTBindsTheCodeAndThePublicClientsRefreshToken(t *testing.T) {
	srv, _ := newTestServer(t, withDPoP)
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	code := codeBoundTo(t, srv, k.JKT(t))

	// The code needs a proof by the dpop_jkt key; a refusal leaves it
	// unspent.
	body := assertOAuthError(t, postDPoP(t, srv, publicCodeForm(code), ""), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "a DPoP proof is required", body["error_description"])
	body = assertOAuthError(t, postDPoP(t, srv, publicCodeForm(code), "", tokenProof(t, other)), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "the DPoP proof is made with another key", body["error_description"])
	tokens := dpopTokenOK(t, postDPoP(t, srv, publicCodeForm(code), "", tokenProof(t, k)))
	refresh := str(tokens, "refresh_token")
	require.NotEmpty(t, refresh)

	// The public client's refresh token is bound to the key too (RFC 9449
	// §5): refused without a proof or with another key, and the grant
	// lives on.
	form := withValue(refreshForm(refresh), "client_id", publicID)
	body = assertOAuthError(t, postDPoP(t, srv, form, ""), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "a DPoP proof is required", body["error_description"])
	body = assertOAuthError(t, postDPoP(t, srv, form, "", tokenProof(t, other)), http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "the DPoP proof is made with another key", body["error_description"])
	next := dpopTokenOK(t, postDPoP(t, srv, form, "", tokenProof(t, k)))
	info, err := srv.VerifyAccessToken(t.Context(), str(next, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, k.JKT(t), info.JKT)
}

func TestDPoPJKTMalformedIsInvalidRequest(t *testing.T) {
	srv, _ := newTestServer(t, withDPoP)
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	resp, _ := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"dpop_jkt": {"not-a-thumbprint"}}), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	q := location(t, resp).Query()
	assert.Equal(t, "invalid_request", q.Get("error"))
	assert.Equal(t, "malformed dpop_jkt", q.Get("error_description"))
	assert.Equal(t, "xyz-state", q.Get("state"))
}

func TestDPoPMetadata(t *testing.T) {
	srv, _ := newTestServer(t, withDPoP)
	rec := serve(srv, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	m := decodeJSON(t, rec)
	assert.Equal(t, []any{"ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256"}, m["dpop_signing_alg_values_supported"])

	off, _ := newTestServer(t, nil)
	rec = serve(off, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	assert.NotContains(t, decodeJSON(t, rec), "dpop_signing_alg_values_supported")
}

func TestDPoPConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		dpop  authserver.DPoP
		field string
	}{
		{"Required without Enabled", authserver.DPoP{Required: true}, "DPoP.Enabled"},
		{"HS256", authserver.DPoP{Enabled: true, Algorithms: []jose.SignatureAlgorithm{jose.HS256}}, "DPoP.Algorithms"},
		{"an empty algorithm list", authserver.DPoP{Enabled: true, Algorithms: []jose.SignatureAlgorithm{}}, "DPoP.Algorithms"},
		{"a window of an hour", authserver.DPoP{Enabled: true, Window: time.Hour}, "DPoP.Window"},
		{"a window under a second", authserver.DPoP{Enabled: true, Window: time.Millisecond}, "DPoP.Window"},
		{"a nonce lifetime of a nanosecond", authserver.DPoP{Enabled: true, Nonce: true, NonceLifetime: time.Nanosecond}, "DPoP.NonceLifetime"},
		{"a nonce lifetime of a year", authserver.DPoP{Enabled: true, Nonce: true, NonceLifetime: 365 * 24 * time.Hour}, "DPoP.NonceLifetime"},
		{"a short nonce key", authserver.DPoP{Enabled: true, Nonce: true, NonceKey: []byte("short")}, "DPoP.NonceKey"},
		{"a nonce key without Nonce", authserver.DPoP{Enabled: true, NonceKey: []byte(strings.Repeat("k", 32))}, "DPoP.Nonce"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.DPoP = tc.dpop
			_, err := authserver.New(cfg, store.NewMemoryWithCleanup(0))
			var fe *authserver.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, tc.field, fe.Field)
		})
	}
}

func TestDPoPPublicClientWithoutDPoPJKTGetsNoUnboundRefreshToken(t *testing.T) {
	srv, st := newTestServer(t, withDPoP)
	k := dpoptest.NewKey(t, jose.ES256)
	code := issueCode(t, st, codeSpec{clientID: publicID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	body := dpopTokenOK(t, postDPoP(t, srv, publicCodeForm(code), "", tokenProof(t, k)))
	assert.NotContains(t, body, "refresh_token")

	// Without a proof it is the bearer flow, refresh token included.
	code = issueCode(t, st, codeSpec{clientID: publicID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	body = tokenOK(t, postForm(t, srv, "/oauth/token", publicCodeForm(code), ""))
	assert.NotEmpty(t, body["refresh_token"])

	// That unbound refresh token cannot answer a proof (§5), and the
	// refused request does not use it up.
	form := refreshForm(str(body, "refresh_token"))
	form.Set("client_id", publicID)
	rec := postDPoP(t, srv, form, "", tokenProof(t, k))
	assertOAuthError(t, rec, http.StatusBadRequest, "invalid_dpop_proof")
	assert.Equal(t, "the refresh token is not bound to a DPoP key: refresh without a proof, or authorize again with one", decodeJSON(t, rec)["error_description"])
	tokenOK(t, postForm(t, srv, "/oauth/token", form, ""))
}

func TestDPoPConfidentialClientRefreshIsNotKeyBound(t *testing.T) {
	srv, st := newTestServer(t, withDPoP)
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.EdDSA)
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	auth := basic(confidentialID, confidentialPass)
	body := dpopTokenOK(t, postDPoP(t, srv, codeForm(code, testVerifier), auth, tokenProof(t, k)))
	// A confidential client's refresh token is bound to its authentication
	// (RFC 9449 §5): a proof by a new key gets a token bound to that key.
	next := dpopTokenOK(t, postDPoP(t, srv, refreshForm(str(body, "refresh_token")), auth, tokenProof(t, other)))
	info, err := srv.VerifyAccessToken(t.Context(), str(next, "access_token"))
	require.NoError(t, err)
	assert.Equal(t, other.JKT(t), info.JKT)
}

func TestDPoPAtARefreshAlias(t *testing.T) {
	srv, st := newTestServer(t, withDPoP)
	k := dpoptest.NewKey(t, jose.ES256)
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier), scopes: []string{"basic_info"}})
	auth := basic(confidentialID, confidentialPass)
	body := dpopTokenOK(t, postDPoP(t, srv, codeForm(code, testVerifier), auth, tokenProof(t, k)))
	form := refreshForm(str(body, "refresh_token"))
	// The htu is the alias the request came to, not the token endpoint.
	assertOAuthError(t, postDPoPTo(t, srv, "/oauth/refresh", form, auth, tokenProof(t, k)), http.StatusBadRequest, "invalid_dpop_proof")
	aliasProof := k.Proof(t, dpoptest.Claims{HTM: http.MethodPost, HTU: testIssuer + "/oauth/refresh"})
	dpopTokenOK(t, postDPoPTo(t, srv, "/oauth/refresh", form, auth, aliasProof))
}

// The authorization endpoint hands out bearer tokens, which no proof
// reaches: with DPoP required server-wide, response_type=token is refused
// in the fragment (RFC 9449 §5).
func TestDPoPRequiredRefusesImplicitTokens(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) {
		c.DPoP = authserver.DPoP{Enabled: true, Required: true}
		c.Grants = append(c.Grants, authserver.GrantImplicit)
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{
		"client_id": {publicID}, "response_type": {"token"}}), nil)
	req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
	rec := serve(srv, req)
	require.Equal(t, http.StatusFound, rec.Code, rec.Body.String())
	u, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	assert.Empty(t, u.RawQuery)
	frag, err := url.ParseQuery(u.Fragment)
	require.NoError(t, err)
	assert.Equal(t, "unauthorized_client", frag.Get("error"))
	assert.Equal(t, "response_type token returns a bearer access token, and this client's access tokens must be DPoP-bound", frag.Get("error_description"))
	assert.Empty(t, frag.Get("access_token"))
}

// A proof refused for its nonce (RFC 9449 §8) does not use up the client
// assertion beside it: the client retries the same request, the same
// assertion with a proof carrying the nonce, and gets its answer, at the
// token endpoint and at the pushed authorization request endpoint.
func TestDPoPNonceRetryKeepsTheClientAssertion(t *testing.T) {
	st := store.NewMemoryWithCleanup(0)
	key := newClientKey(t, "k1")
	srv := newKeyServer(t, st, key, func(c *authserver.Config) { c.DPoP = authserver.DPoP{Enabled: true, Nonce: true} })
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "fapi-client", AuthMethod: authserver.AuthMethodPrivateKeyJWT,
		JWKS: jwks(t, key), RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"}}))
	k := dpoptest.NewKey(t, jose.ES256)
	for _, tc := range []struct {
		name, path, client string
		form               url.Values
		status             int
	}{
		{"token endpoint", "/oauth/token", keyClientID, ccForm(), http.StatusOK},
		{"pushed authorization request", "/oauth/par", "fapi-client", url.Values{
			"response_type": {"code"}, "client_id": {"fapi-client"}, "redirect_uri": {testRedirect}, "scope": {"basic_info"},
			"code_challenge": {testChallenge}, "code_challenge_method": {"S256"},
		}, http.StatusCreated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := withAssertion(tc.form, key.sign(t, assertionClaims(tc.client)))
			proof := func(nonce string) string {
				return k.Proof(t, dpoptest.Claims{HTM: http.MethodPost, HTU: testIssuer + tc.path, Nonce: nonce})
			}
			rec := postDPoPTo(t, srv, tc.path, form, "", proof(""))
			assertOAuthError(t, rec, http.StatusBadRequest, "use_dpop_nonce")
			nonce := rec.Header().Get("DPoP-Nonce")
			require.NotEmpty(t, nonce)
			rec = postDPoPTo(t, srv, tc.path, form, "", proof(nonce))
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			// The assertion is used now: sent a third time, it is a replay.
			assertOAuthError(t, postDPoPTo(t, srv, tc.path, form, "", proof(nonce)), http.StatusUnauthorized, "invalid_client")
		})
	}
}
