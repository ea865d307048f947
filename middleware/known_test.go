package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveWith sends one GET to h with the given Authorization header and
// query, and returns the recorder.
func serveWith(h http.Handler, authorization, query string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/me"+query, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestAuthenticateTakesKnownTokensFromTheCache: once a JWT verified, the
// middleware answers it from the verifier's cache, even with no key left
// to verify it by; the refusals around it stay those of RFC 6750.
func TestAuthenticateTakesKnownTokensFromTheCache(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	tok := sign(t, f.keys[jose.ES256], "at+jwt", testClaims(f.clock.Now()))
	h := protect(t, f.v, benchOK, "read")
	require.Equal(t, http.StatusOK, serveWith(h, "Bearer "+tok, "").Code)

	f.v.keys.setKeys(nil, f.clock.Now())
	f.jwks.setKeys(jose.JSONWebKeySet{})
	assert.Equal(t, http.StatusOK, serveWith(h, "Bearer "+tok, "").Code, "known")
	assert.Equal(t, http.StatusOK, serveWith(h, "bearer   "+tok+" ", "").Code, "known, in another spelling of the header")

	rec := serveWith(h, "Bearer "+tok, "?access_token="+tok)
	assert.Equal(t, http.StatusBadRequest, rec.Code, "a known token beside another is two methods")
	assert.Equal(t, `Bearer error="invalid_request", error_description="more than one access token in the request"`, rec.Header().Get("WWW-Authenticate"))
	rec = serveWith(h, "Bearer "+tok+"=.", "")
	assert.Equal(t, http.StatusBadRequest, rec.Code, "a known token with something after it is checked as any other")
	assert.Equal(t, `Bearer error="invalid_request", error_description="malformed Authorization header"`, rec.Header().Get("WWW-Authenticate"))
	rec = serveWith(h, "Bearer "+tok+"A", "")
	assert.Equal(t, http.StatusUnauthorized, rec.Code, "unknown, and no key to verify it")

	short := mustAuthenticate(t, f.v, Options{MaxTokenLength: len(tok) - 1})(benchOK)
	rec = serveWith(short, "Bearer "+tok, "")
	assert.Equal(t, http.StatusBadRequest, rec.Code, "known, but over this middleware's limit")
	assert.Equal(t, `Bearer error="invalid_request", error_description="access token too long"`, rec.Header().Get("WWW-Authenticate"))

	// A Verifier that wraps the JWTVerifier is always asked.
	asked := 0
	wrapped := protect(t, VerifierFunc(func(ctx context.Context, token string) (TokenInfo, error) {
		asked++
		return f.v.VerifyAccessToken(ctx, token)
	}), benchOK, "read")
	assert.Equal(t, http.StatusOK, serveWith(wrapped, "Bearer "+tok, "").Code)
	assert.Equal(t, 1, asked)
}

// revokingVerifier is a host's Verifier that embeds the JWTVerifier, and
// so its unexported methods, and adds a check of its own.
type revokingVerifier struct {
	*JWTVerifier
	revoked bool
}

func (v *revokingVerifier) VerifyAccessToken(ctx context.Context, token string) (TokenInfo, error) {
	if v.revoked {
		return TokenInfo{}, ErrInvalidToken
	}
	return v.JWTVerifier.VerifyAccessToken(ctx, token)
}

// TestAuthenticateAsksAVerifierThatEmbedsOurs: the cache is asked only
// when the Verifier is the JWTVerifier itself; a host type that embeds it
// is called on every request, so its own checks hold.
func TestAuthenticateAsksAVerifierThatEmbedsOurs(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	tok := sign(t, f.keys[jose.ES256], "at+jwt", testClaims(f.clock.Now()))
	v := &revokingVerifier{JWTVerifier: f.v}
	var _ knownTokens = v // it has the method; Authenticate must not use it
	h := protect(t, v, benchOK, "read")
	require.Equal(t, http.StatusOK, serveWith(h, "Bearer "+tok, "").Code)
	_, cached := f.v.known(tok)
	require.True(t, cached)
	v.revoked = true
	assert.Equal(t, http.StatusUnauthorized, serveWith(h, "Bearer "+tok, "").Code)
}

// TestIntrospectionRemembersOnlyB64tokens: a direct caller may ask about a
// string that is no RFC 6750 token; an active answer for it is not cached,
// so the middleware can never take such a string from the cache without
// checking its syntax.
func TestIntrospectionRemembersOnlyB64tokens(t *testing.T) {
	t.Parallel()
	v, f, _ := newIntrospectionFixture(t, IntrospectionConfig{})
	f.mu.Lock()
	f.answers["odd token"] = f.answers["user-token"]
	f.mu.Unlock()
	_, err := v.VerifyAccessToken(t.Context(), "odd token")
	require.NoError(t, err)
	assert.Zero(t, v.active.size())
	_, ok := v.known("odd token")
	assert.False(t, ok)

	h := protect(t, v, benchOK, "read")
	rec := serveWith(h, "Bearer odd token", "")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, 1, f.hitCount(), "refused without asking the endpoint")

	assert.Equal(t, http.StatusOK, serveWith(h, "Bearer user-token", "").Code)
	assert.Equal(t, http.StatusOK, serveWith(h, "Bearer user-token", "").Code)
	assert.Equal(t, 2, f.hitCount(), "a b64token is asked about once, then known")
	_, ok = v.known("user-token")
	assert.True(t, ok)
}
