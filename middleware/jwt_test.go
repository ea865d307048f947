package middleware

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/internal/policy"
)

const (
	testIssuer   = "https://as.example"
	testAudience = "https://api.example"
)

// signingKey is a private key with its kid and alg.
type signingKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key any // private key
	pub any
}

// testSigningKeys makes one key per algorithm kunci's server can sign with,
// once per test binary (RSA key generation is slow). RS256 and PS256 share
// the RSA key under two key IDs.
var testSigningKeys = sync.OnceValue(func() map[jose.SignatureAlgorithm]signingKey {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	edPub, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	rs, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		panic(err)
	}
	ec521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[jose.SignatureAlgorithm]signingKey{
		jose.ES256: {kid: "es-1", alg: jose.ES256, key: ec, pub: &ec.PublicKey},
		jose.ES384: {kid: "es384-1", alg: jose.ES384, key: ec384, pub: &ec384.PublicKey},
		jose.ES512: {kid: "es512-1", alg: jose.ES512, key: ec521, pub: &ec521.PublicKey},
		jose.EdDSA: {kid: "ed-1", alg: jose.EdDSA, key: ed, pub: edPub},
		jose.RS256: {kid: "rs-1", alg: jose.RS256, key: rs, pub: &rs.PublicKey},
		jose.PS256: {kid: "ps-1", alg: jose.PS256, key: rs, pub: &rs.PublicKey},
	}
})

// publicJWKS returns the public halves of keys as a key set.
func publicJWKS(keys ...signingKey) jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	return set
}

// testClaims are the claims of a good token at time now.
func testClaims(now time.Time) map[string]any {
	return map[string]any{
		"iss":       testIssuer,
		"aud":       []string{testAudience, "other"},
		"sub":       "alice",
		"client_id": "app",
		"scope":     "read write",
		"exp":       now.Add(10 * time.Minute).Unix(),
		"iat":       now.Add(-time.Minute).Unix(),
		"nbf":       now.Add(-time.Minute).Unix(),
		"jti":       "id-1",
	}
}

// sign makes a compact JWS of claims with k and the given typ header.
func sign(t testing.TB, k signingKey, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}}, opts)
	require.NoError(t, err)
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return tok
}

// jwksServer serves a key set that tests can replace, counting requests.
type jwksServer struct {
	mu     sync.Mutex
	set    jose.JSONWebKeySet
	status int
	hits   int
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_ = json.NewEncoder(w).Encode(s.set)
}

func (s *jwksServer) setKeys(set jose.JSONWebKeySet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set = set
}

func (s *jwksServer) hitCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

type jwtFixture struct {
	v     *JWTVerifier
	jwks  *jwksServer
	clock *fakeClock
	keys  map[jose.SignatureAlgorithm]signingKey
}

func newJWTFixture(t testing.TB, cfg JWTConfig) *jwtFixture {
	t.Helper()
	keys := testSigningKeys()
	js := &jwksServer{set: publicJWKS(keys[jose.ES256], keys[jose.EdDSA], keys[jose.RS256])}
	srv := httptest.NewServer(js)
	t.Cleanup(srv.Close)
	clock := newFakeClock()
	cfg.Issuer, cfg.Audience = testIssuer, testAudience
	if cfg.KeySet == nil {
		cfg.JWKSURL = srv.URL + "/jwks.json"
		cfg.HTTPClient = srv.Client()
	}
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	v, err := NewJWTVerifier(cfg)
	require.NoError(t, err)
	return &jwtFixture{v: v, jwks: js, clock: clock, keys: keys}
}

func TestJWTVerifierAccepts(t *testing.T) {
	t.Parallel()
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256} {
		for _, typ := range []string{"at+jwt", "AT+JWT", "application/at+jwt"} {
			t.Run(string(alg)+" "+typ, func(t *testing.T) {
				t.Parallel()
				f := newJWTFixture(t, JWTConfig{})
				now := f.clock.Now()
				info, err := f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[alg], typ, testClaims(now)))
				require.NoError(t, err)
				assert.Equal(t, TokenInfo{
					Subject:   "alice",
					ClientID:  "app",
					Scopes:    []string{"read", "write"},
					Audience:  []string{testAudience, "other"},
					ExpiresAt: time.Unix(now.Add(10*time.Minute).Unix(), 0),
					IssuedAt:  time.Unix(now.Add(-time.Minute).Unix(), 0),
				}, info)
				assert.Equal(t, 1, f.jwks.hitCount())
			})
		}
	}
}

// noneToken builds an unsigned token with alg "none".
func noneToken(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "at+jwt", "kid": "es-1"}) + "." + enc(claims) + "."
}

func TestJWTVerifierRejects(t *testing.T) {
	t.Parallel()
	keys := testSigningKeys()
	es := keys[jose.ES256]
	rsDER, err := x509.MarshalPKIXPublicKey(keys[jose.RS256].pub)
	require.NoError(t, err)
	with := func(now time.Time, change func(map[string]any)) map[string]any {
		c := testClaims(now)
		change(c)
		return c
	}
	cases := []struct {
		name  string
		token func(t *testing.T, now time.Time) string
	}{
		{"wrong typ", func(t *testing.T, now time.Time) string { return sign(t, es, "JWT", testClaims(now)) }},
		{"missing typ", func(t *testing.T, now time.Time) string { return sign(t, es, "", testClaims(now)) }},
		{"alg none", func(_ *testing.T, now time.Time) string { return noneToken(testClaims(now)) }},
		{"HS256 with the public key bytes as the secret", func(t *testing.T, now time.Time) string {
			return sign(t, signingKey{kid: "rs-1", alg: jose.HS256, key: rsDER}, "at+jwt", testClaims(now))
		}},
		{"wrong issuer", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { c["iss"] = testIssuer + "/" }))
		}},
		{"missing issuer", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { delete(c, "iss") }))
		}},
		{"wrong audience", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { c["aud"] = "https://evil.example" }))
		}},
		{"expired beyond the leeway", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { c["exp"] = now.Add(-defaultLeeway).Unix() }))
		}},
		{"no exp", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { delete(c, "exp") }))
		}},
		{"nbf in the future", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }))
		}},
		{"iat in the future", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }))
		}},
		{"no iat", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { delete(c, "iat") }))
		}},
		{"no client_id", func(t *testing.T, now time.Time) string {
			return sign(t, es, "at+jwt", with(now, func(c map[string]any) { delete(c, "client_id") }))
		}},
		{"tampered payload", func(t *testing.T, now time.Time) string {
			good := strings.Split(sign(t, es, "at+jwt", testClaims(now)), ".")
			b, _ := json.Marshal(with(now, func(c map[string]any) { c["scope"] = "read write admin" }))
			return good[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + good[2]
		}},
		{"signed by another key under a known kid", func(t *testing.T, now time.Time) string {
			other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			return sign(t, signingKey{kid: "es-1", alg: jose.ES256, key: other}, "at+jwt", testClaims(now))
		}},
		{"kid of a key of another type", func(t *testing.T, now time.Time) string {
			return sign(t, signingKey{kid: "rs-1", alg: jose.ES256, key: es.key}, "at+jwt", testClaims(now))
		}},
		{"not a JWT", func(*testing.T, time.Time) string { return "mF_9.B5f-4.1JqM" }},
		{"too long", func(*testing.T, time.Time) string { return strings.Repeat("a", maxJWTLength+1) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newJWTFixture(t, JWTConfig{})
			_, err := f.v.VerifyAccessToken(t.Context(), tc.token(t, f.clock.Now()))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidToken)
		})
	}
}

func TestJWTVerifierLeeway(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{CacheTTL: -1})
	now := f.clock.Now()
	c := testClaims(now)
	c["exp"] = now.Add(-defaultLeeway + time.Second).Unix()
	c["iat"] = now.Add(defaultLeeway - time.Second).Unix()
	_, err := f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[jose.ES256], "at+jwt", c))
	assert.NoError(t, err)
}

func TestJWTVerifierUnknownKidRefetchesOnceThenFails(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	now := f.clock.Now()
	_, err := f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[jose.ES256], "at+jwt", testClaims(now)))
	require.NoError(t, err)
	require.Equal(t, 1, f.jwks.hitCount())

	stranger := signingKey{kid: "unknown", alg: jose.EdDSA, key: f.keys[jose.EdDSA].key}
	// Within the rate limit an unknown kid fails without a fetch.
	_, err = f.v.VerifyAccessToken(t.Context(), sign(t, stranger, "at+jwt", testClaims(now)))
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 1, f.jwks.hitCount())

	f.clock.Advance(defaultJWKSMinInterval)
	now = f.clock.Now()
	_, err = f.v.VerifyAccessToken(t.Context(), sign(t, stranger, "at+jwt", testClaims(now)))
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 2, f.jwks.hitCount(), "one refetch for the unknown kid")
	for range 3 {
		_, err = f.v.VerifyAccessToken(t.Context(), sign(t, stranger, "at+jwt", testClaims(now)))
		assert.ErrorIs(t, err, ErrInvalidToken)
	}
	assert.Equal(t, 2, f.jwks.hitCount(), "no more refetches within the interval")
}

func TestJWTVerifierKeyRotation(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	now := f.clock.Now()
	_, err := f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[jose.ES256], "at+jwt", testClaims(now)))
	require.NoError(t, err)

	rotated := signingKey{kid: "es-2", alg: jose.ES256, key: f.keys[jose.ES256].key, pub: f.keys[jose.ES256].pub}
	f.jwks.setKeys(publicJWKS(rotated))
	f.clock.Advance(defaultJWKSMinInterval)
	now = f.clock.Now()
	_, err = f.v.VerifyAccessToken(t.Context(), sign(t, rotated, "at+jwt", testClaims(now)))
	require.NoError(t, err)
	assert.Equal(t, 2, f.jwks.hitCount())
}

func TestJWTVerifierJWKSFailures(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	f.jwks.status = http.StatusInternalServerError
	now := f.clock.Now()
	tok := sign(t, f.keys[jose.ES256], "at+jwt", testClaims(now))
	_, err := f.v.VerifyAccessToken(t.Context(), tok)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidToken, "no keys at all is a system failure")
	// The failed attempt counts for the rate limit too.
	_, err = f.v.VerifyAccessToken(t.Context(), tok)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 1, f.jwks.hitCount())

	// Through Authenticate a key set outage is a 503.
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	mustAuthenticate(t, f.v, Options{})(okHandler).ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)

	// Once the set is back, keys are fetched after the interval.
	f.jwks.mu.Lock()
	f.jwks.status = 0
	f.jwks.mu.Unlock()
	f.clock.Advance(defaultJWKSMinInterval)
	_, err = f.v.VerifyAccessToken(t.Context(), tok)
	assert.NoError(t, err)

	// A stale set whose refresh fails keeps being used.
	f.jwks.mu.Lock()
	f.jwks.status = http.StatusBadGateway
	f.jwks.mu.Unlock()
	f.clock.Advance(defaultJWKSMaxAge)
	_, err = f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[jose.RS256], "at+jwt", testClaims(f.clock.Now())))
	assert.NoError(t, err)
}

func TestJWTVerifierCache(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{})
	now := f.clock.Now()
	c := testClaims(now)
	c["exp"] = now.Add(2 * time.Minute).Unix() // shorter than the 5 minute cache
	tok := sign(t, f.keys[jose.ES256], "at+jwt", c)
	_, err := f.v.VerifyAccessToken(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, 1, f.v.cache.c.size())
	assert.True(t, f.v.cache.holds(tok), "keyed by the SHA-256 of the token's signature")

	// A cached token skips parsing: the cache answers even if the key set
	// were to forget the key.
	f.v.keys.setKeys(nil, now)
	_, err = f.v.VerifyAccessToken(t.Context(), tok)
	assert.NoError(t, err)

	// Never trusted past exp, even though the leeway would still accept it
	// and the cache TTL has not run out.
	f.v.keys.setKeys(publicJWKS(f.keys[jose.ES256]).Keys, now)
	f.clock.Advance(2*time.Minute + time.Second)
	_, err = f.v.VerifyAccessToken(t.Context(), tok)
	assert.NoError(t, err, "within the leeway, verified afresh")
	f.v.keys.setKeys(nil, f.clock.Now())
	f.jwks.setKeys(jose.JSONWebKeySet{})
	_, err = f.v.VerifyAccessToken(t.Context(), tok)
	assert.ErrorIs(t, err, ErrInvalidToken, "not answered from the cache after exp")
}

// TestJWTVerifierAcceptsEverySigningAlgorithmByDefault: with Algorithms
// left nil, a token signed with any algorithm the authorization server can
// sign with verifies; this is the list both packages take from one place.
func TestJWTVerifierAcceptsEverySigningAlgorithmByDefault(t *testing.T) {
	t.Parallel()
	keys := testSigningKeys()
	var all []signingKey
	for _, alg := range policy.SigningAlgorithms() {
		k, ok := keys[alg]
		require.True(t, ok, "a test key for %s", alg)
		all = append(all, k)
	}
	set := publicJWKS(all...)
	f := newJWTFixture(t, JWTConfig{KeySet: &set, CacheTTL: -1})
	for _, k := range all {
		_, err := f.v.VerifyAccessToken(t.Context(), sign(t, k, "at+jwt", testClaims(f.clock.Now())))
		assert.NoError(t, err, k.alg)
	}
}

// TestJWTCacheEvictsWhenFull: a full verified-token cache makes room for a
// newly verified token instead of refusing to cache it.
func TestJWTCacheEvictsWhenFull(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{MaxCacheEntries: 1})
	now := f.clock.Now()
	first := sign(t, f.keys[jose.ES256], "at+jwt", testClaims(now))
	second := sign(t, f.keys[jose.EdDSA], "at+jwt", testClaims(now))
	for _, tok := range []string{first, second} {
		_, err := f.v.VerifyAccessToken(t.Context(), tok)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.v.cache.c.size())
	assert.True(t, f.v.cache.holds(second), "the newest token is cached")
	assert.False(t, f.v.cache.holds(first))

	// Without keys only the cache can still accept a token.
	f.v.keys.setKeys(nil, now)
	f.jwks.setKeys(jose.JSONWebKeySet{})
	_, err := f.v.VerifyAccessToken(t.Context(), second)
	assert.NoError(t, err, "answered from the cache")
	_, err = f.v.VerifyAccessToken(t.Context(), first)
	assert.ErrorIs(t, err, ErrInvalidToken, "evicted, so checked again and refused")
}

func TestJWTVerifierStaticKeySet(t *testing.T) {
	t.Parallel()
	keys := testSigningKeys()
	set := publicJWKS(keys[jose.EdDSA])
	// A symmetric key in the set is ignored, never used for HMAC.
	set.Keys = append(set.Keys, jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac", Algorithm: "HS256"})
	f := newJWTFixture(t, JWTConfig{KeySet: &set})
	now := f.clock.Now()
	_, err := f.v.VerifyAccessToken(t.Context(), sign(t, keys[jose.EdDSA], "at+jwt", testClaims(now)))
	require.NoError(t, err)
	_, err = f.v.VerifyAccessToken(t.Context(), sign(t, keys[jose.ES256], "at+jwt", testClaims(now)))
	assert.ErrorIs(t, err, ErrInvalidToken)
	assert.Equal(t, 0, f.jwks.hitCount())
}

func TestJWTVerifierThroughMiddleware(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{Now: time.Now})
	tok := sign(t, f.keys[jose.ES256], "at+jwt", testClaims(time.Now()))
	h := protect(t, f.v, okHandler, "read")
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "hello alice", rec.Body.String())
}

func TestNewJWTVerifierConfig(t *testing.T) {
	t.Parallel()
	base := func(change func(*JWTConfig)) JWTConfig {
		c := JWTConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "https://as.example/jwks"}
		change(&c)
		return c
	}
	cases := []struct {
		name string
		cfg  JWTConfig
		err  string
	}{
		{"no issuer", base(func(c *JWTConfig) { c.Issuer = "" }), "middleware: jwt Issuer is required"},
		{"no audience", base(func(c *JWTConfig) { c.Audience = "" }), "middleware: jwt Audience is required"},
		{"no keys", base(func(c *JWTConfig) { c.JWKSURL = "" }), "middleware: jwt needs exactly one of JWKSURL and KeySet"},
		{"both key sources", base(func(c *JWTConfig) { c.KeySet = &jose.JSONWebKeySet{} }), "middleware: jwt needs exactly one of JWKSURL and KeySet"},
		{"relative JWKS URL", base(func(c *JWTConfig) { c.JWKSURL = "/jwks" }), "middleware: JWKSURL must be an absolute http or https URL"},
		{"HS256 allowed", base(func(c *JWTConfig) { c.Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.HS256} }), `middleware: jwt algorithm "HS256" not allowed`},
		{"none allowed", base(func(c *JWTConfig) { c.Algorithms = []jose.SignatureAlgorithm{"none"} }), `middleware: jwt algorithm "none" not allowed`},
		{"empty algorithms", base(func(c *JWTConfig) { c.Algorithms = []jose.SignatureAlgorithm{} }), "middleware: jwt Algorithms is empty"},
		{"leeway too large", base(func(c *JWTConfig) { c.Leeway = time.Hour }), "middleware: jwt Leeway must be between 0 and 5m0s"},
		{"negative leeway", base(func(c *JWTConfig) { c.Leeway = -time.Second }), "middleware: jwt Leeway must be between 0 and 5m0s"},
		{"negative interval", base(func(c *JWTConfig) { c.JWKSMinInterval = -time.Second }), "middleware: negative jwt JWKSMinInterval"},
		{"negative max age", base(func(c *JWTConfig) { c.JWKSMaxAge = -time.Second }), "middleware: negative jwt JWKSMaxAge"},
		{"negative cache size", base(func(c *JWTConfig) { c.MaxCacheEntries = -1 }), "middleware: negative jwt MaxCacheEntries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewJWTVerifier(tc.cfg)
			assert.EqualError(t, err, tc.err)
			assert.Nil(t, v)
		})
	}
}

func TestJWTVerifierRestrictedAlgorithms(t *testing.T) {
	t.Parallel()
	f := newJWTFixture(t, JWTConfig{Algorithms: []jose.SignatureAlgorithm{jose.EdDSA}})
	now := f.clock.Now()
	_, err := f.v.VerifyAccessToken(t.Context(), sign(t, f.keys[jose.ES256], "at+jwt", testClaims(now)))
	assert.True(t, errors.Is(err, ErrInvalidToken))
	assert.Equal(t, 0, f.jwks.hitCount(), "rejected before any key lookup")
}
