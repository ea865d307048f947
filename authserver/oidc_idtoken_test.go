package authserver_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

// idTokenParts returns the JOSE header and the claims of an ID Token,
// without checking it.
func idTokenParts(t *testing.T, token string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	for i, into := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, into))
	}
	return header, claims
}

// wantHash is at_hash computed here, independently of the server: the
// left half of the hash of token, base64url.
func wantHash(h hash.Hash, token string) string {
	h.Write([]byte(token))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// The code flow of OpenID Connect Core §3.1, checked by go-oidc as a relying
// party: discovery, the signature through the published JWKS, iss, aud,
// exp, the nonce echoed byte for byte, at_hash, and the session's
// auth_time, acr, amr and sid.
func TestOpenIDCodeFlowVerifiedByGoOIDC(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	nonce := "n-0S6_WzA2Mj ü+/=&\"<"
	code := signIn(t, b, url.Values{"nonce": {nonce}, "scope": {"openid profile"}})
	body := exchange(t, srv, code)
	raw := str(body, "id_token")
	require.NotEmpty(t, raw, "the token response carries an ID Token (Core §3.1.3.3)")
	assert.Nil(t, body["refresh_token"], "no offline_access, no refresh token (Core §11)")

	verifier, ctx := rpVerifier(t, srv, rpID)
	idt, err := verifier.Verify(ctx, raw)
	require.NoError(t, err)
	assert.Equal(t, testIssuer, idt.Issuer)
	assert.Equal(t, []string{rpID}, idt.Audience)
	assert.Equal(t, "user-alice", idt.Subject)
	assert.Equal(t, nonce, idt.Nonce)
	assert.Equal(t, 3600.0, idt.Expiry.Sub(idt.IssuedAt).Seconds(), "the default ID Token lifetime is one hour")
	assert.NoError(t, idt.VerifyAccessToken(str(body, "access_token")), "at_hash")
	var c struct {
		AuthTime int64    `json:"auth_time"`
		ACR      string   `json:"acr"`
		AMR      []string `json:"amr"`
		AZP      string   `json:"azp"`
		SID      string   `json:"sid"`
	}
	require.NoError(t, idt.Claims(&c))
	assert.Equal(t, testAuthTime.Unix(), c.AuthTime)
	assert.Equal(t, "urn:kunci:loa:2", c.ACR)
	assert.Equal(t, []string{"pwd", "otp"}, c.AMR)
	assert.Equal(t, rpID, c.AZP)
	assert.Equal(t, "sid-7", c.SID)

	header, claims := idTokenParts(t, raw)
	assert.Equal(t, map[string]any{"alg": "RS256", "kid": oidcRSAKey().KeyID, "typ": "JWT"}, header)
	assert.Equal(t, wantHash(sha256.New(), str(body, "access_token")), claims["at_hash"])
	// Only the protocol claims: profile's claims come from UserInfo when an
	// access token is issued (Core §5.4).
	keys := make([]string, 0, len(claims))
	for k := range claims {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "sid"}, keys)

	// Another client's verifier refuses it: the audience is rp alone.
	other, ctx := rpVerifier(t, srv, confidentialID)
	_, err = other.Verify(ctx, raw)
	assert.ErrorContains(t, err, "expected audience")
}

// at_hash uses the hash of the ID Token's algorithm (Core §3.1.3.6):
// SHA-256 for *256, SHA-384 for *384, SHA-512 for *512 and for EdDSA. Each
// client names its algorithm (id_token_signed_response_alg) and go-oidc
// checks signature and hash.
func TestOpenIDTokenHashPerAlgorithm(t *testing.T) {
	keys := map[jose.SignatureAlgorithm]jose.JSONWebKey{}
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA} {
		keys[alg] = genKey(t, alg)
	}
	ps := oidcRSAKey()
	ps.Algorithm, ps.KeyID = string(jose.PS256), ps.KeyID+"-ps"
	keys[jose.PS256] = ps
	srv, _, _ := newOIDCServer(t, func(c *authserver.Config) {
		c.JWT.SigningKeys = []jose.JSONWebKey{oidcRSAKey(), keys[jose.ES256], keys[jose.ES384], keys[jose.ES512], keys[jose.EdDSA], keys[jose.PS256]}
	})
	for _, tc := range []struct {
		alg  jose.SignatureAlgorithm
		hash func() hash.Hash
	}{
		{jose.ES256, sha256.New},
		{jose.PS256, sha256.New},
		{jose.ES384, sha512.New384},
		{jose.ES512, sha512.New},
		{jose.EdDSA, sha512.New},
	} {
		t.Run(string(tc.alg), func(t *testing.T) {
			id := "rp-" + strings.ToLower(string(tc.alg))
			require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: id, Secret: rpSecret,
				RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"openid"},
				IDTokenSignedResponseAlg: tc.alg}))
			b := newRPBrowser(t, srv)
			code := signIn(t, b, url.Values{"client_id": {id}})
			body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(id, rpSecret)))
			raw := str(body, "id_token")
			header, claims := idTokenParts(t, raw)
			assert.Equal(t, map[string]any{"alg": string(tc.alg), "kid": keys[tc.alg].KeyID, "typ": "JWT"}, header)
			assert.Equal(t, wantHash(tc.hash(), str(body, "access_token")), claims["at_hash"])

			verifier, ctx := rpVerifier(t, srv, id)
			idt, err := verifier.Verify(ctx, raw)
			require.NoError(t, err)
			assert.NoError(t, idt.VerifyAccessToken(str(body, "access_token")))
			assert.Equal(t, "n-0S6_WzA2Mj", idt.Nonce)
		})
	}
}

// A refresh of an OpenID Connect grant returns a new ID Token with the same
// iss, sub, aud, azp and auth_time, a new iat and at_hash, and no nonce
// (Core §12.2); it verifies like the first.
func TestOpenIDRefreshReturnsIDToken(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	code := signIn(t, b, url.Values{"scope": {"openid offline_access"}})
	first := exchange(t, srv, code)
	require.NotEmpty(t, str(first, "refresh_token"))

	body := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(rpID, rpSecret)))
	raw := str(body, "id_token")
	require.NotEmpty(t, raw)
	assert.NotEqual(t, str(first, "id_token"), raw)
	verifier, ctx := rpVerifier(t, srv, rpID)
	idt, err := verifier.Verify(ctx, raw)
	require.NoError(t, err)
	assert.NoError(t, idt.VerifyAccessToken(str(body, "access_token")))
	_, before := idTokenParts(t, str(first, "id_token"))
	_, after := idTokenParts(t, raw)
	for _, k := range []string{"iss", "sub", "aud", "azp", "auth_time", "acr", "amr", "sid"} {
		assert.Equal(t, before[k], after[k], k)
	}
	assert.Equal(t, "n-0S6_WzA2Mj", before["nonce"])
	assert.Nil(t, after["nonce"], "a refreshed ID Token carries no nonce")
	assert.Equal(t, float64(testAuthTime.Unix()), after["auth_time"])

	// The token endpoint's response still has the plain OAuth fields.
	assert.Equal(t, "Bearer", body["token_type"])
	assert.NotEmpty(t, str(body, "refresh_token"))
}

// A refresh that narrows the scopes to leave out openid gets an access token
// for those scopes and no ID Token.
func TestOpenIDRefreshWithoutOpenIDScopeHasNoIDToken(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	code := signIn(t, b, url.Values{"scope": {"openid offline_access"}})
	first := exchange(t, srv, code)
	body := tokenOK(t, postForm(t, srv, "/oauth/token", withScope(refreshForm(str(first, "refresh_token")), "offline_access"), basic(rpID, rpSecret)))
	assert.NotContains(t, body, "id_token")
	assert.NotEmpty(t, str(body, "access_token"))
}

// An ID Token is never an access token: the server and its UserInfo
// endpoint refuse it (typ JWT, not at+jwt, RFC 9068 §4).
func TestOpenIDIDTokenIsNotAnAccessToken(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	body := exchange(t, srv, signIn(t, b, nil))
	raw := str(body, "id_token")
	_, err := srv.VerifyAccessToken(t.Context(), raw)
	assert.Error(t, err)
	rec := serve(srv, bearerGet(t, "/oauth/userinfo", raw))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `Bearer realm="https://auth.example.com", error="invalid_token"`, rec.Header().Get("WWW-Authenticate"))
}

// With OpenID Connect on, a request without openid is plain OAuth 2.0: no
// ID Token, and a refresh token as before.
func TestOpenIDNotAskedNoIDToken(t *testing.T) {
	srv, _, _ := newOIDCServer(t, nil)
	b := newRPBrowser(t, srv)
	code := signIn(t, b, url.Values{"scope": {"basic_info"}, "nonce": nil})
	body := exchange(t, srv, code)
	assert.Nil(t, body["id_token"])
	assert.NotEmpty(t, str(body, "refresh_token"))
}
