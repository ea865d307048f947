package authserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

const (
	jwtClientID   = "jwt-service"
	jwtClientPass = "jwt-service-secret-0123"
	apiResource   = "https://api.example.com/"
)

// newJWTServer returns a server with the given signing keys on st and a
// client that asks for JWT access tokens.
func newJWTServer(t *testing.T, st store.Store, keys []jose.JSONWebKey, mutate func(*authserver.Config)) *authserver.Server {
	t.Helper()
	cfg := authserver.Config{Issuer: testIssuer, Scopes: testScopes, JWT: authserver.JWT{SigningKeys: keys}}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := authserver.New(cfg, st)
	require.NoError(t, err)
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{
		ID: jwtClientID, Secret: jwtClientPass, Name: "JWT Service", GrantTypes: grants("client_credentials"),
		Scopes: []string{"basic_info", "keys_op"}, AccessTokenFormat: "jwt", Resources: []string{apiResource},
	}))
	return srv
}

func genKey(t *testing.T, alg jose.SignatureAlgorithm) jose.JSONWebKey {
	t.Helper()
	k, err := authserver.GenerateSigningKey(alg)
	require.NoError(t, err)
	return k
}

func issueJWT(t *testing.T, srv http.Handler, form url.Values) string {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("grant_type", "client_credentials")
	rec := postForm(t, srv, "/oauth/token", form, basic(jwtClientID, jwtClientPass))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	return decodeJSON(t, rec)["access_token"].(string)
}

// fetchJWKS reads the served JWK Set.
func fetchJWKS(t *testing.T, srv http.Handler) (jose.JSONWebKeySet, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/jwks", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/jwk-set+json", rec.Header().Get("Content-Type"))
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &set))
	return set, rec.Body.String()
}

func TestJWTAccessTokenVerifiesAgainstServedJWKS(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256} {
		t.Run(string(alg), func(t *testing.T) {
			key := genKey(t, alg)
			srv := newJWTServer(t, store.NewMemoryWithCleanup(0), []jose.JSONWebKey{key}, nil)
			token := issueJWT(t, srv, url.Values{"scope": {"basic_info"}})

			set, raw := fetchJWKS(t, srv)
			require.Len(t, set.Keys, 1)
			assert.True(t, set.Keys[0].IsPublic())
			var members []map[string]any
			require.NoError(t, json.Unmarshal([]byte(`[`+raw[strings.Index(raw, "[")+1:strings.LastIndex(raw, "]")]+`]`), &members))
			for _, m := range members {
				for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
					assert.NotContains(t, m, private)
				}
			}

			parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
			require.NoError(t, err)
			h := parsed.Headers[0]
			assert.Equal(t, "at+jwt", h.ExtraHeaders[jose.HeaderType])
			assert.Equal(t, key.KeyID, h.KeyID)
			keys := set.Key(h.KeyID)
			require.Len(t, keys, 1)
			var claims map[string]any
			require.NoError(t, parsed.Claims(keys[0].Key, &claims))
			assert.Equal(t, testIssuer, claims["iss"])
			assert.Equal(t, jwtClientID, claims["sub"], "a client acting for itself is the subject (RFC 9068 §2.2)")
			assert.Equal(t, []any{testIssuer}, claims["aud"])
			assert.Equal(t, jwtClientID, claims["client_id"])
			assert.Equal(t, "basic_info", claims["scope"])
			assert.NotEmpty(t, claims["jti"])
			iat, exp := claims["iat"].(float64), claims["exp"].(float64)
			assert.InDelta(t, float64(time.Now().Unix()), iat, 5)
			assert.Equal(t, float64(1800), exp-iat)

			info, err := srv.VerifyAccessToken(t.Context(), token)
			require.NoError(t, err)
			assert.Equal(t, jwtClientID, info.ClientID)
			assert.Equal(t, []string{"basic_info"}, info.Scopes)
		})
	}
}

func TestJWTTamperingIsRejected(t *testing.T) {
	key := genKey(t, jose.ES256)
	srv := newJWTServer(t, store.NewMemoryWithCleanup(0), []jose.JSONWebKey{key}, nil)
	token := issueJWT(t, srv, nil)
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	set, _ := fetchJWKS(t, srv)

	reencode := func(part string, edit func(map[string]any)) string {
		raw, err := base64.RawURLEncoding.DecodeString(part)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		edit(m)
		out, err := json.Marshal(m)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(out)
	}
	cases := map[string]string{
		"scope widened":  parts[0] + "." + reencode(parts[1], func(m map[string]any) { m["scope"] = "basic_info keys_op" }) + "." + parts[2],
		"exp extended":   parts[0] + "." + reencode(parts[1], func(m map[string]any) { m["exp"] = m["exp"].(float64) + 3600 }) + "." + parts[2],
		"sub changed":    parts[0] + "." + reencode(parts[1], func(m map[string]any) { m["sub"] = "admin" }) + "." + parts[2],
		"typ changed":    reencode(parts[0], func(m map[string]any) { m["typ"] = "JWT" }) + "." + parts[1] + "." + parts[2],
		"alg none":       reencode(parts[0], func(m map[string]any) { m["alg"] = "none" }) + "." + parts[1] + ".",
		"kid unknown":    reencode(parts[0], func(m map[string]any) { m["kid"] = "other" }) + "." + parts[1] + "." + parts[2],
		"signature gone": parts[0] + "." + parts[1] + ".",
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := srv.VerifyAccessToken(t.Context(), bad)
			assert.ErrorIs(t, err, middleware.ErrInvalidToken)
			parsed, err := jwt.ParseSigned(bad, []jose.SignatureAlgorithm{jose.ES256})
			if err == nil {
				var claims map[string]any
				assert.Error(t, parsed.Claims(set.Keys[0].Key, &claims), "go-jose must reject it too")
			}
		})
	}
	// The token in another spelling that a lenient parser reads as the
	// same (go-jose strips whitespace; Go's base64 skips line breaks) is
	// not the token: neither active at introspection nor accepted.
	sig := parts[2]
	for name, bad := range map[string]string{
		"a line feed in the signature": parts[0] + "." + parts[1] + "." + sig[:8] + "\n" + sig[8:],
		"a space in the signature":     parts[0] + "." + parts[1] + "." + sig[:8] + " " + sig[8:],
		"a CRLF in the payload":        parts[0] + "." + parts[1][:8] + "\r\n" + parts[1][8:] + "." + sig,
		"a tab after the first dot":    parts[0] + ".\t" + parts[1] + "." + sig,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := srv.VerifyAccessToken(t.Context(), bad)
			assert.ErrorIs(t, err, middleware.ErrInvalidToken)
			rec := postForm(t, srv, "/oauth/introspect", url.Values{"token": {bad}}, basic(jwtClientID, jwtClientPass))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.JSONEq(t, `{"active":false}`, rec.Body.String())
		})
	}
	_, err := srv.VerifyAccessToken(t.Context(), token)
	assert.NoError(t, err, "the token as issued")
}

func TestJWTKeyRotation(t *testing.T) {
	st := store.NewMemoryWithCleanup(0)
	oldKey, newKey := genKey(t, jose.ES256), genKey(t, jose.EdDSA)

	// Before: only the old key.
	before := newJWTServer(t, st, []jose.JSONWebKey{oldKey}, nil)
	oldToken := issueJWT(t, before, nil)

	// Publish the new key before it signs: old key still first.
	publishing := newJWTServer(t, st, []jose.JSONWebKey{oldKey, newKey}, nil)
	set, _ := fetchJWKS(t, publishing)
	assert.Len(t, set.Keys, 2)
	tok := issueJWT(t, publishing, nil)
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	assert.Equal(t, oldKey.KeyID, parsed.Headers[0].KeyID)

	// Switch: the new key signs, the old one stays published.
	after := newJWTServer(t, st, []jose.JSONWebKey{newKey, oldKey}, nil)
	newToken := issueJWT(t, after, nil)
	parsed, err = jwt.ParseSigned(newToken, []jose.SignatureAlgorithm{jose.EdDSA})
	require.NoError(t, err)
	assert.Equal(t, newKey.KeyID, parsed.Headers[0].KeyID)
	_, err = after.VerifyAccessToken(t.Context(), oldToken)
	assert.NoError(t, err, "tokens of the retired key verify while it is published")

	// Old key dropped: its tokens no longer verify.
	dropped := newJWTServer(t, st, []jose.JSONWebKey{newKey}, nil)
	_, err = dropped.VerifyAccessToken(t.Context(), oldToken)
	assert.ErrorIs(t, err, middleware.ErrInvalidToken)
	_, err = dropped.VerifyAccessToken(t.Context(), newToken)
	assert.NoError(t, err)
}

func TestJWTRevocationAndIntrospectionWithExtraClaims(t *testing.T) {
	key := genKey(t, jose.ES256)
	srv := newJWTServer(t, store.NewMemoryWithCleanup(0), []jose.JSONWebKey{key}, func(c *authserver.Config) {
		c.Hooks.AccessTokenClaims = func(_ context.Context, it authserver.IssuedToken) map[string]any {
			return map[string]any{"tenant": "acme", "role": "admin", "sub": "forged", "scope": "everything", "exp": 1}
		}
	})
	token := issueJWT(t, srv, url.Values{"scope": {"keys_op"}})

	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, parsed.UnsafeClaimsWithoutVerification(&claims))
	assert.Equal(t, "acme", claims["tenant"])
	assert.Equal(t, "admin", claims["role"])
	assert.Equal(t, jwtClientID, claims["sub"], "hooks cannot override registered claims")
	assert.Equal(t, "keys_op", claims["scope"])

	rec := postForm(t, srv, "/oauth/introspect", url.Values{"token": {token}}, basic(jwtClientID, jwtClientPass))
	require.Equal(t, http.StatusOK, rec.Code)
	body := decodeJSON(t, rec)
	assert.Equal(t, true, body["active"])
	assert.Equal(t, "acme", body["tenant"])
	assert.Equal(t, "keys_op", body["scope"])
	assert.Equal(t, jwtClientID, body["client_id"])

	rec = postForm(t, srv, "/oauth/revoke", url.Values{"token": {token}}, basic(jwtClientID, jwtClientPass))
	require.Equal(t, http.StatusOK, rec.Code)
	_, err = srv.VerifyAccessToken(t.Context(), token)
	assert.ErrorIs(t, err, middleware.ErrInvalidToken)
	rec = postForm(t, srv, "/oauth/introspect", url.Values{"token": {token}}, basic(jwtClientID, jwtClientPass))
	assert.Equal(t, `{"active":false}`, rec.Body.String())
}

func TestResourceIndicators(t *testing.T) {
	key := genKey(t, jose.ES256)
	otherAPI := "https://other.example.com/"
	srv := newJWTServer(t, store.NewMemoryWithCleanup(0), []jose.JSONWebKey{key}, func(c *authserver.Config) {
		c.JWT.Resources = []string{otherAPI}
	})
	token := issueJWT(t, srv, url.Values{"resource": {apiResource}})
	info, err := srv.VerifyAccessToken(t.Context(), token)
	require.NoError(t, err)
	assert.Equal(t, []string{apiResource}, info.Audience)

	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {"https://not-allowed.example/"}},
		basic(jwtClientID, jwtClientPass))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, "invalid_target", decodeJSON(t, rec)["error"])

	// A resource listed in JWT.Resources gets a JWT even for an opaque client.
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "opaque", Secret: "opaque-secret-0123456",
		GrantTypes: grants("client_credentials"), Resources: []string{otherAPI, apiResource}}))
	rec = postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {otherAPI}}, basic("opaque", "opaque-secret-0123456"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.True(t, strings.HasPrefix(decodeJSON(t, rec)["access_token"].(string), "eyJ"))
	rec = postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "resource": {apiResource}}, basic("opaque", "opaque-secret-0123456"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.True(t, strings.HasPrefix(decodeJSON(t, rec)["access_token"].(string), "kat_"))
}

func TestSigningKeyConfigErrors(t *testing.T) {
	ec := genKey(t, jose.ES256)
	pub := ec.Public()
	hmac := jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "h", Algorithm: "HS256"}
	mismatch := ec
	mismatch.Algorithm = string(jose.RS256)
	noKid := ec
	noKid.KeyID = ""
	cases := []struct {
		name string
		jwt  authserver.JWT
		want string
	}{
		{"public key only", authserver.JWT{SigningKeys: []jose.JSONWebKey{pub}}, "JWT.SigningKeys[0]: must be a valid private key"},
		{"HMAC key", authserver.JWT{SigningKeys: []jose.JSONWebKey{hmac}}, "JWT.SigningKeys[0]: must be a valid private key"},
		{"algorithm does not fit", authserver.JWT{SigningKeys: []jose.JSONWebKey{mismatch}},
			`JWT.SigningKeys[0]: algorithm "RS256" is not one of [ES256 ES384 ES512 EdDSA RS256 PS256] or does not fit the key`},
		{"missing key ID", authserver.JWT{SigningKeys: []jose.JSONWebKey{noKid}}, "JWT.SigningKeys[0]: has no key ID"},
		{"duplicate key ID", authserver.JWT{SigningKeys: []jose.JSONWebKey{ec, ec}}, fmt.Sprintf("JWT.SigningKeys[1]: key ID %q is used twice", ec.KeyID)},
		{"JWT resources, no keys", authserver.JWT{Resources: []string{apiResource}}, "JWT.Resources: need JWT.SigningKeys"},
		{"relative default audience", authserver.JWT{SigningKeys: []jose.JSONWebKey{ec}, DefaultResource: "api"}, "JWT.DefaultResource: must be an absolute URI"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := authserver.New(authserver.Config{Issuer: testIssuer, JWT: tc.jwt}, store.NewMemoryWithCleanup(0))
			assert.EqualError(t, err, "authserver: config: "+tc.want)
		})
	}
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer}, store.NewMemoryWithCleanup(0))
	require.NoError(t, err)
	err = srv.RegisterClient(t.Context(), authserver.Client{ID: "j", Secret: "0123456789abcdefgh", GrantTypes: grants("client_credentials"), AccessTokenFormat: "jwt"})
	assert.EqualError(t, err, `authserver: client "j": AccessTokenFormat: JWT access tokens need Config.JWT.SigningKeys`)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/jwks", nil))
	assert.Equal(t, http.StatusNotFound, rec.Code, "no keys, no JWKS endpoint")
}
