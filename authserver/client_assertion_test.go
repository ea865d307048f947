package authserver_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// The private_key_jwt clients of these tests.
const (
	keyClientID    = "key-client"
	legacyClientID = "legacy-aud-client"
	es384ClientID  = "es384-only-client"
)

// newKeyServer is the test server with three private_key_jwt clients of
// key, inline: one plain, one with AcceptEndpointAudience, one that signs
// with ES384 only.
func newKeyServer(t *testing.T, st *store.Memory, key clientKey, mutate func(*authserver.Config)) *authserver.Server {
	t.Helper()
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := authserver.New(cfg, st)
	require.NoError(t, err)
	for _, c := range []authserver.Client{
		{ID: keyClientID},
		{ID: legacyClientID, AcceptEndpointAudience: true},
		{ID: es384ClientID, AuthSigningAlg: jose.ES384},
	} {
		c.AuthMethod, c.JWKS = authserver.AuthMethodPrivateKeyJWT, jwks(t, key)
		c.GrantTypes, c.Scopes = grants("client_credentials"), []string{"basic_info"}
		require.NoError(t, srv.RegisterClient(t.Context(), c))
	}
	return srv
}

// noneJWT is an unsigned JWT (alg none) with claims.
func noneJWT(t *testing.T, claims jwt.Claims) string {
	t.Helper()
	enc := base64.RawURLEncoding
	payload, err := jwtPayload(claims)
	require.NoError(t, err)
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "."
}

// hs256JWT is claims signed with HMAC, by hand, under kid.
func hs256JWT(t *testing.T, claims jwt.Claims, secret []byte, kid string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	payload, err := jwtPayload(claims)
	require.NoError(t, err)
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+kid+`"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// RFC 7523 §3, draft-ietf-oauth-rfc7523bis: every rule of the assertion,
// each refusal invalid_client with 401.
func TestClientAssertionRules(t *testing.T) {
	key := newClientKey(t, "k1")
	srv := newKeyServer(t, store.NewMemoryWithCleanup(0), key, nil)
	other := newClientKey(t, "k1")
	mutated := func(client string, f func(*jwt.Claims)) jwt.Claims {
		c := assertionClaims(client)
		f(&c)
		return c
	}
	for _, tc := range []struct {
		name      string
		assertion string
		status    int
		code      string
	}{
		{"a valid assertion", key.sign(t, assertionClaims(keyClientID)), 200, ""},
		{"a valid assertion without kid is tried against the keys", clientKey{priv: key.priv, alg: jose.ES256}.sign(t, assertionClaims(keyClientID)), 200, ""},
		{"aud another server", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example.com"} })), 401, "invalid_client"},
		{"aud the issuer and another server", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Audience = jwt.Audience{testIssuer, "https://other.example.com"} })), 401, "invalid_client"},
		{"aud the token endpoint, without the legacy switch", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Audience = jwt.Audience{testIssuer + "/oauth/token"} })), 401, "invalid_client"},
		{"aud the token endpoint, with the legacy switch", key.sign(t, mutated(legacyClientID, func(c *jwt.Claims) { c.Audience = jwt.Audience{testIssuer + "/oauth/token"} })), 200, ""},
		{"aud the issuer, with the legacy switch", key.sign(t, assertionClaims(legacyClientID)), 200, ""},
		{"aud another path, with the legacy switch", key.sign(t, mutated(legacyClientID, func(c *jwt.Claims) { c.Audience = jwt.Audience{testIssuer + "/oauth/authorize"} })), 401, "invalid_client"},
		{"no aud", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Audience = nil })), 401, "invalid_client"},
		{"iss another client", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Issuer = legacyClientID })), 401, "invalid_client"},
		{"sub of an unknown client", key.sign(t, mutated("nobody", func(c *jwt.Claims) {})), 401, "invalid_client"},
		{"expired", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-time.Second)) })), 401, "invalid_client"},
		{"no exp", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Expiry = nil })), 401, "invalid_client"},
		{"exp ten minutes ahead", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(10 * time.Minute)) })), 401, "invalid_client"},
		{"nbf an hour ahead", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour)) })), 401, "invalid_client"},
		{"iat an hour ahead", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.IssuedAt = jwt.NewNumericDate(time.Now().Add(time.Hour)) })), 401, "invalid_client"},
		{"no jti", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.ID = "" })), 401, "invalid_client"},
		{"a jti too long", key.sign(t, mutated(keyClientID, func(c *jwt.Claims) { c.ID = strings.Repeat("j", 257) })), 401, "invalid_client"},
		{"signed by another key with the same kid", other.sign(t, assertionClaims(keyClientID)), 401, "invalid_client"},
		{"ES256 for a client that signs with ES384", key.sign(t, assertionClaims(es384ClientID)), 401, "invalid_client"},
		{"alg none", noneJWT(t, assertionClaims(keyClientID)), 401, "invalid_client"},
		{"HS256 keyed with the public key's kid", hs256JWT(t, assertionClaims(keyClientID), []byte("k1"), "k1"), 401, "invalid_client"},
		{"not a JWT", "eyJ.x.y", 401, "invalid_client"},
		{"too long", strings.Repeat("a", 9<<10), 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := postForm(t, srv, "/oauth/token", withAssertion(ccForm(), tc.assertion), "")
			if tc.status == http.StatusOK {
				tokenOK(t, rec)
				return
			}
			body := assertOAuthError(t, rec, tc.status, tc.code)
			assert.Contains(t, []any{"client authentication failed", "malformed client_assertion"}, body["error_description"])
			assert.Equal(t, `Basic realm="`+testIssuer+`", charset="UTF-8"`, rec.Header().Get("WWW-Authenticate"))
		})
	}
}

// The request around the assertion: its type, client_id, and a second
// method beside it (RFC 7521 §4.2, RFC 6749 §2.3).
func TestClientAssertionRequest(t *testing.T) {
	key := newClientKey(t, "k1")
	srv := newKeyServer(t, store.NewMemoryWithCleanup(0), key, nil)
	for _, tc := range []struct {
		name   string
		form   url.Values
		authz  string
		status int
		code   string
		desc   string
	}{
		{"another assertion type", withValue(withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"), "", 401, "invalid_client", "unsupported client_assertion_type"},
		{"an assertion type without assertion", withValue(ccForm(), "client_assertion_type", clientAssertionType), "", 401, "invalid_client", "malformed client_assertion"},
		{"a client_id naming another client", withValue(withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), "client_id", legacyClientID), "", 400, "invalid_request", "client_id does not match the client assertion"},
		{"a client_secret beside it", withValue(withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), "client_secret", "x"), "", 400, "invalid_request", "more than one client authentication method"},
		{"Basic beside it", withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), basic(keyClientID, "x"), 400, "invalid_request", "more than one client authentication method"},
		{"a secret from a private_key_jwt client", ccForm(), basic(keyClientID, confidentialPass), 401, "invalid_client", "client authentication failed"},
		{"an assertion from a secret client", withAssertion(ccForm(), key.sign(t, assertionClaims(serviceID))), "", 401, "invalid_client", "client authentication failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := postForm(t, srv, "/oauth/token", tc.form, tc.authz)
			body := assertOAuthError(t, rec, tc.status, tc.code)
			assert.Equal(t, tc.desc, body["error_description"])
		})
	}
	t.Run("a matching client_id", func(t *testing.T) {
		tokenOK(t, postForm(t, srv, "/oauth/token", withValue(withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), "client_id", keyClientID), ""))
	})
}

// RFC 7523 §3: a jti is used once, also across two Servers that share a
// store; it is recorded only after the signature verified.
func TestClientAssertionReplay(t *testing.T) {
	key := newClientKey(t, "k1")
	st := store.NewMemoryWithCleanup(0)
	a := newKeyServer(t, st, key, nil)
	b := newKeyServer(t, st, key, nil)

	claims := assertionClaims(keyClientID)
	assertion := key.sign(t, claims)
	tokenOK(t, postForm(t, a, "/oauth/token", withAssertion(ccForm(), assertion), ""))
	assertOAuthError(t, postForm(t, a, "/oauth/token", withAssertion(ccForm(), assertion), ""), 401, "invalid_client")
	assertOAuthError(t, postForm(t, b, "/oauth/token", withAssertion(ccForm(), assertion), ""), 401, "invalid_client")

	// A forged assertion with a fresh jti does not use it up.
	forged := assertionClaims(keyClientID)
	assertOAuthError(t, postForm(t, a, "/oauth/token", withAssertion(ccForm(), newClientKey(t, "k1").sign(t, forged)), ""), 401, "invalid_client")
	tokenOK(t, postForm(t, b, "/oauth/token", withAssertion(ccForm(), key.sign(t, forged)), ""))
}

// Refused assertions are failed authentications: the failure throttle
// counts them.
func TestClientAssertionFailuresAreThrottled(t *testing.T) {
	key := newClientKey(t, "k1")
	srv := newKeyServer(t, store.NewMemoryWithCleanup(0), key, func(c *authserver.Config) { c.Limits.FailureLimit = 2 })
	wrong := newClientKey(t, "k1")
	for range 2 {
		assertOAuthError(t, postForm(t, srv, "/oauth/token", withAssertion(ccForm(), wrong.sign(t, assertionClaims(keyClientID))), ""), 401, "invalid_client")
	}
	assertThrottled(t, postForm(t, srv, "/oauth/token", withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), ""), int(15*time.Minute/time.Second))
}

// private_key_jwt works wherever a client authenticates: token, pushed
// authorization, introspection, revocation.
func TestClientAssertionAtEveryEndpoint(t *testing.T) {
	key := newClientKey(t, "k1")
	srv := newKeyServer(t, store.NewMemoryWithCleanup(0), key, nil)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "web-key", AuthMethod: authserver.AuthMethodPrivateKeyJWT,
		JWKS: jwks(t, key), RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"basic_info"}}))

	token := str(tokenOK(t, postForm(t, srv, "/oauth/token", withAssertion(ccForm(), key.sign(t, assertionClaims(keyClientID))), "")), "access_token")

	rec := postForm(t, srv, "/oauth/introspect", withAssertion(introspectForm(token), key.sign(t, assertionClaims(keyClientID))), "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, true, decodeJSON(t, rec)["active"])

	rec = postForm(t, srv, "/oauth/revoke", withAssertion(revokeForm(token, ""), key.sign(t, assertionClaims(keyClientID))), "")
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assertActive(t, srv, token, false)

	form := pushedQuery(t, url.Values{"client_id": {"web-key"}, "scope": {"basic_info"}})
	pushOK(t, srv, withAssertion(form, key.sign(t, assertionClaims("web-key"))), "")
	form.Del("client_id")
	pushOK(t, srv, withAssertion(form, key.sign(t, assertionClaims("web-key"))), "")
	assertOAuthError(t, postForm(t, srv, "/oauth/par", withAssertion(form, newClientKey(t, "k1").sign(t, assertionClaims("web-key"))), ""), 401, "invalid_client")
}

// A registration of private_key_jwt that cannot work is an error naming
// the field.
func TestClientAssertionRegistration(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	key := newClientKey(t, "k1")
	priv, err := (&jose.JSONWebKey{Key: key.priv, KeyID: "k1"}).MarshalJSON()
	require.NoError(t, err)
	base := func() authserver.Client {
		return authserver.Client{ID: "k", AuthMethod: authserver.AuthMethodPrivateKeyJWT, JWKS: jwks(t, key), GrantTypes: grants("client_credentials")}
	}
	require.NoError(t, srv.RegisterClient(t.Context(), base()))
	for _, tc := range []struct {
		name   string
		mutate func(*authserver.Client)
		field  string
	}{
		{"no keys", func(c *authserver.Client) { c.JWKS = nil }, "JWKS"},
		{"both JWKS and JWKSURI", func(c *authserver.Client) { c.JWKSURI = "https://app.example.com/jwks" }, "JWKSURI"},
		{"a malformed JWKS", func(c *authserver.Client) { c.JWKS = []byte(`{"keys":`) }, "JWKS"},
		{"an empty JWKS", func(c *authserver.Client) { c.JWKS = []byte(`{"keys":[]}`) }, "JWKS"},
		{"a private key in the JWKS", func(c *authserver.Client) { c.JWKS = []byte(`{"keys":[` + string(priv) + `]}`) }, "JWKS"},
		{"an http JWKSURI", func(c *authserver.Client) { c.JWKS, c.JWKSURI = nil, "http://app.example.com/jwks" }, "JWKSURI"},
		{"a relative JWKSURI", func(c *authserver.Client) { c.JWKS, c.JWKSURI = nil, "/jwks" }, "JWKSURI"},
		{"a secret", func(c *authserver.Client) { c.Secret = confidentialPass }, "Secret"},
		{"HS256 as signing alg", func(c *authserver.Client) { c.AuthSigningAlg = jose.HS256 }, "AuthSigningAlg"},
		{"none as signing alg", func(c *authserver.Client) { c.AuthSigningAlg = "none" }, "AuthSigningAlg"},
		{"keys for a secret client", func(c *authserver.Client) { c.AuthMethod, c.Secret = authserver.AuthMethodBasic, confidentialPass }, "JWKS"},
		{"the legacy audience for a secret client", func(c *authserver.Client) {
			c.AuthMethod, c.Secret, c.JWKS, c.AcceptEndpointAudience = authserver.AuthMethodBasic, confidentialPass, nil, true
		}, "AcceptEndpointAudience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mutate(&c)
			err := srv.RegisterClient(t.Context(), c)
			require.Len(t, fieldErrors(err), 1, "%v", err)
			assert.Equal(t, tc.field, fieldErrors(err)[0].Field)
		})
	}
}

// A client assertion's typ header may be absent, "JWT" or
// "client-authentication+jwt"; a JWT made for another purpose is refused
// (RFC 8725 §3.11).
func TestClientAssertionTyp(t *testing.T) {
	key := newClientKey(t, "k1")
	srv := newKeyClientServer(t, testConfig(), authserver.Client{JWKS: jwks(t, key)})
	for _, tc := range []struct {
		typ string
		ok  bool
	}{
		{"", true}, {"JWT", true}, {"client-authentication+jwt", true}, {"application/client-authentication+jwt", true},
		{"dpop+jwt", false}, {"at+jwt", false}, {"application/at+JWT", false}, {"oauth-authz-req+jwt", false},
		{"logout+jwt", false}, {"secevent+jwt", false},
	} {
		t.Run("typ "+tc.typ, func(t *testing.T) {
			opts := (&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), key.kid)
			if tc.typ != "" {
				opts = opts.WithType(jose.ContentType(tc.typ))
			}
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.alg, Key: key.priv}, opts)
			require.NoError(t, err)
			raw, err := jwt.Signed(signer).Claims(assertionClaims(keyClientID)).Serialize()
			require.NoError(t, err)
			rec := postForm(t, srv, "/oauth/token", withAssertion(ccForm(), raw), "")
			if tc.ok {
				tokenOK(t, rec)
			} else {
				assertOAuthError(t, rec, http.StatusUnauthorized, "invalid_client")
			}
		})
	}
}
