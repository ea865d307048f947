package dpop_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/internal/dpop"
	"github.com/kunci/kunci/internal/dpop/dpoptest"
	"github.com/kunci/kunci/store"
)

const tokenURL = "https://as.example.com/oauth/token"

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newVerifier returns a Verifier on st (a fresh memory store when nil)
// whose clock is c.
func newVerifier(t *testing.T, st store.ReplayStore, c *clock, mutate func(*dpop.Config)) *dpop.Verifier {
	t.Helper()
	if st == nil {
		st = store.NewMemoryWithCleanup(0)
	}
	cfg := dpop.Config{Replay: st, Now: c.now}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := dpop.New(cfg)
	require.NoError(t, err)
	return v
}

// assertRefused checks that err is a refusal with code and description.
func assertRefused(t *testing.T, err error, code, desc string) {
	t.Helper()
	var e *dpop.Error
	require.True(t, errors.As(err, &e), "error %v", err)
	assert.Equal(t, code, e.Code)
	assert.Equal(t, desc, e.Description)
}

func TestVerifyAcceptsEachAlgorithm(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.RS256, jose.PS256} {
		t.Run(string(alg), func(t *testing.T) {
			c := &clock{time.Now()}
			v := newVerifier(t, nil, c, nil)
			k := dpoptest.NewKey(t, alg)
			p, err := v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, IAT: c.t.Unix()}),
				dpop.Request{Method: "POST", URL: tokenURL})
			require.NoError(t, err)
			assert.Equal(t, k.JKT(t), p.JKT)
			assert.Equal(t, c.t.Unix(), p.IssuedAt.Unix())
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	now := c.t.Unix()
	k := dpoptest.NewKey(t, jose.ES256)
	good := dpoptest.Claims{HTM: "GET", HTU: "https://rs.example.com/api/me", IAT: now, ATH: dpoptest.ATH("tok")}
	with := func(f func(*dpoptest.Claims)) dpoptest.Claims { cl := good; f(&cl); return cl }
	private := jose.JSONWebKey{Key: k.Private, Algorithm: "ES256"}
	rsaKey := dpoptest.NewKey(t, jose.RS256)
	tests := []struct {
		name  string
		proof string
		desc  string
	}{
		{"an empty proof", "", "missing DPoP proof"},
		{"a proof that is too long", strings.Repeat("a", dpop.MaxProofLength+1), "DPoP proof too long"},
		{"junk", "not.a.jws", "DPoP proof is not a JWS with an accepted algorithm"},
		{"alg none", dpoptest.Unsigned(t, k, good), "DPoP proof is not a JWS with an accepted algorithm"},
		{"HS256 keyed with anything", dpoptest.HMAC(t, k, []byte("0123456789abcdef0123456789abcdef"), good), "DPoP proof is not a JWS with an accepted algorithm"},
		{"a private key in jwk", k.ProofWith(t, good, map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": private}), "DPoP proof is not a JWS with an accepted algorithm"}, // go-jose refuses an embedded private key as it parses
		{"no jwk", k.ProofWith(t, good, map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt"}), "DPoP proof jwk is not a public key"},
		{"typ JWT", k.ProofWith(t, good, map[jose.HeaderKey]any{jose.HeaderType: "JWT", "jwk": k.JWK}), `DPoP proof typ is not "dpop+jwt"`},
		{"no typ", k.ProofWith(t, good, map[jose.HeaderKey]any{"jwk": k.JWK}), `DPoP proof typ is not "dpop+jwt"`},
		{"a jwk of another type than alg", k.ProofWith(t, good, map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": rsaKey.JWK}), "DPoP proof jwk does not fit its alg"},
		{"a jwk that did not sign", k.ProofWith(t, good, map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": dpoptest.NewKey(t, jose.ES256).JWK}), "DPoP proof signature does not verify"},
		{"a wrong htm", k.Proof(t, with(func(c *dpoptest.Claims) { c.HTM = "POST" })), "DPoP proof htm does not match the request"},
		{"a lower-case htm", k.Proof(t, with(func(c *dpoptest.Claims) { c.HTM = "get" })), "DPoP proof htm does not match the request"},
		{"a wrong htu path", k.Proof(t, with(func(c *dpoptest.Claims) { c.HTU = "https://rs.example.com/api/you" })), "DPoP proof htu does not match the request"},
		{"a wrong htu host", k.Proof(t, with(func(c *dpoptest.Claims) { c.HTU = "https://evil.example.com/api/me" })), "DPoP proof htu does not match the request"},
		{"an http htu for https", k.Proof(t, with(func(c *dpoptest.Claims) { c.HTU = "http://rs.example.com/api/me" })), "DPoP proof htu does not match the request"},
		{"a stale iat", k.Proof(t, with(func(c *dpoptest.Claims) { c.IAT = now - 61 })), "DPoP proof is too old"},
		{"a future iat", k.Proof(t, with(func(c *dpoptest.Claims) { c.IAT = now + 61 })), "DPoP proof iat is in the future"},
		{"a missing ath", k.Proof(t, with(func(c *dpoptest.Claims) { c.ATH = "" })), "DPoP proof lacks ath"},
		{"a wrong ath", k.Proof(t, with(func(c *dpoptest.Claims) { c.ATH = dpoptest.ATH("other") })), "DPoP proof ath does not match the access token"},
		{"a jti too long", k.Proof(t, with(func(c *dpoptest.Claims) { c.JTI = strings.Repeat("j", 257) })), "DPoP proof jti is missing or too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerifier(t, nil, c, nil)
			_, err := v.Verify(t.Context(), tc.proof, dpop.Request{Method: "GET", URL: "https://rs.example.com/api/me", AccessToken: "tok"})
			assertRefused(t, err, dpop.CodeInvalidProof, tc.desc)
		})
	}
}

func TestVerifyIATWindowEdges(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	k := dpoptest.NewKey(t, jose.EdDSA)
	v := newVerifier(t, nil, c, func(cfg *dpop.Config) { cfg.Window = 2 * time.Minute })
	for _, iat := range []int64{c.t.Unix() - 120, c.t.Unix() + 120} {
		_, err := v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, IAT: iat}), dpop.Request{Method: "POST", URL: tokenURL})
		assert.NoError(t, err, "iat %d", iat)
	}
	_, err := v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, IAT: c.t.Unix() - 121}), dpop.Request{Method: "POST", URL: tokenURL})
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof is too old")
}

func TestVerifyHTUNormalisation(t *testing.T) {
	c := &clock{time.Now()}
	k := dpoptest.NewKey(t, jose.ES256)
	for _, htu := range []string{
		"https://as.example.com/oauth/token",
		"HTTPS://AS.Example.COM/oauth/token",
		"https://as.example.com:443/oauth/token",
		"https://as.example.com/oauth/token?x=1",
		"https://as.example.com/oauth/token#frag",
	} {
		v := newVerifier(t, nil, c, nil)
		_, err := v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: htu}), dpop.Request{Method: "POST", URL: tokenURL})
		assert.NoError(t, err, htu)
	}
	for _, htu := range []string{
		"https://as.example.com/OAUTH/token",
		"https://as.example.com:8443/oauth/token",
		"https://as.example.com/oauth/token/",
		"/oauth/token",
		"ftp://as.example.com/oauth/token",
	} {
		v := newVerifier(t, nil, c, nil)
		_, err := v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: htu}), dpop.Request{Method: "POST", URL: tokenURL})
		assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof htu does not match the request")
	}
	assert.True(t, dpop.SameURI("http://h.example/", "http://H.example:80"))
	assert.True(t, dpop.SameURI("https://[::1]:443/a", "https://[::1]/a"))
}

func TestVerifyReplayedJTI(t *testing.T) {
	c := &clock{time.Now()}
	k := dpoptest.NewKey(t, jose.ES256)
	st := store.NewMemoryWithCleanup(0)
	a := newVerifier(t, st, c, nil)
	b := newVerifier(t, st, c, nil)
	req := dpop.Request{Method: "POST", URL: tokenURL}
	proof := k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, JTI: "once"})
	_, err := a.Verify(t.Context(), proof, req)
	require.NoError(t, err)
	_, err = a.Verify(t.Context(), proof, req)
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof jti was used before")
	// Another instance on the same store sees the jti too.
	_, err = b.Verify(t.Context(), proof, req)
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof jti was used before")
	// A new proof with the same jti is a replay as well.
	_, err = b.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, JTI: "once"}), req)
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof jti was used before")
}

func TestVerifyRecordsJTIOnlyAfterSignature(t *testing.T) {
	c := &clock{time.Now()}
	k := dpoptest.NewKey(t, jose.ES256)
	v := newVerifier(t, nil, c, nil)
	req := dpop.Request{Method: "POST", URL: tokenURL}
	forged := k.ProofWith(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, JTI: "j1"},
		map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": dpoptest.NewKey(t, jose.ES256).JWK})
	_, err := v.Verify(t.Context(), forged, req)
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof signature does not verify")
	wrongURL := k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: "https://other.example/", JTI: "j1"})
	_, err = v.Verify(t.Context(), wrongURL, req)
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof htu does not match the request")
	_, err = v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, JTI: "j1"}), req)
	assert.NoError(t, err)
}

// failingReplay is a replay store that is down.
type failingReplay struct{}

func (failingReplay) UseOnce(_ context.Context, _ string, _ time.Time) error {
	return errors.New("replay store down")
}

func TestVerifyReplayStoreFailureIsNotARefusal(t *testing.T) {
	c := &clock{time.Now()}
	k := dpoptest.NewKey(t, jose.ES256)
	v := newVerifier(t, failingReplay{}, c, nil)
	_, err := v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL}), dpop.Request{Method: "POST", URL: tokenURL})
	require.Error(t, err)
	var e *dpop.Error
	assert.False(t, errors.As(err, &e))
	assert.EqualError(t, err, "dpop: recording jti: replay store down")
}

// aheadReplay is a replay store whose clock is past every deadline: it
// answers as a store slightly ahead of the verifier's clock does for a
// proof at the edge of the iat window.
type aheadReplay struct{}

func (aheadReplay) UseOnce(_ context.Context, _ string, _ time.Time) error {
	return fmt.Errorf("replay: %w", store.ErrExpired)
}

// A proof the store finds already past its window is refused as too old
// (RFC 9449 §11.1), invalid_dpop_proof, not a store failure.
func TestVerifyProofExpiredByTheStoreIsARefusal(t *testing.T) {
	c := &clock{time.Now()}
	k := dpoptest.NewKey(t, jose.ES256)
	v := newVerifier(t, aheadReplay{}, c, nil)
	_, err := v.Verify(t.Context(), k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL}), dpop.Request{Method: "POST", URL: tokenURL})
	var e *dpop.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, dpop.CodeInvalidProof, e.Code)
	assert.Equal(t, "DPoP proof iat is too old", e.Description)
}

func TestVerifyNonce(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	c := &clock{time.Unix(1_800_000_000, 0)}
	k := dpoptest.NewKey(t, jose.ES256)
	st := store.NewMemoryWithCleanup(0)
	mk := func(nonceKey []byte) *dpop.Verifier {
		return newVerifier(t, st, c, func(cfg *dpop.Config) { cfg.NonceKey = nonceKey; cfg.NonceSlot = time.Minute })
	}
	v, other, stranger := mk(key), mk(key), mk([]byte(strings.Repeat("x", 32)))
	req := dpop.Request{Method: "POST", URL: tokenURL}
	proof := func(nonce string) string {
		return k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, IAT: c.t.Unix(), Nonce: nonce})
	}

	_, err := v.Verify(t.Context(), proof(""), req)
	assertRefused(t, err, dpop.CodeUseNonce, "a DPoP nonce is required")

	nonce := v.Nonce()
	require.NotEmpty(t, nonce)
	_, err = v.Verify(t.Context(), proof(nonce), req)
	assert.NoError(t, err)
	// Another instance with the same key accepts it; one with another key
	// does not.
	_, err = other.Verify(t.Context(), proof(nonce), req)
	assert.NoError(t, err)
	_, err = stranger.Verify(t.Context(), proof(nonce), req)
	assertRefused(t, err, dpop.CodeUseNonce, "the DPoP nonce is not this server's")
	_, err = v.Verify(t.Context(), proof(nonce[:len(nonce)-1]+"A"), req)
	assertRefused(t, err, dpop.CodeUseNonce, "the DPoP nonce is not this server's")
	_, err = v.Verify(t.Context(), proof("made-up"), req)
	assertRefused(t, err, dpop.CodeUseNonce, "the DPoP nonce is not this server's")

	// Still good in the next slot, expired in the one after.
	c.t = c.t.Add(time.Minute)
	_, err = v.Verify(t.Context(), proof(nonce), req)
	assert.NoError(t, err)
	assert.NotEqual(t, nonce, v.Nonce())
	c.t = c.t.Add(time.Minute)
	_, err = v.Verify(t.Context(), proof(nonce), req)
	assertRefused(t, err, dpop.CodeUseNonce, "the DPoP nonce has expired")
}

func TestNewRefusesBadConfig(t *testing.T) {
	st := store.NewMemoryWithCleanup(0)
	tests := []struct {
		name string
		cfg  dpop.Config
		want string
	}{
		{"no replay store", dpop.Config{}, "dpop: Replay is required"},
		{"HS256", dpop.Config{Replay: st, Algorithms: []jose.SignatureAlgorithm{jose.HS256}}, `dpop: algorithm "HS256" is not asymmetric`},
		{"none", dpop.Config{Replay: st, Algorithms: []jose.SignatureAlgorithm{"none"}}, `dpop: algorithm "none" is not asymmetric`},
		{"empty algorithms", dpop.Config{Replay: st, Algorithms: []jose.SignatureAlgorithm{}}, "dpop: Algorithms is empty"},
		{"a window too long", dpop.Config{Replay: st, Window: time.Hour}, "dpop: Window must be between 0 and 10m0s"},
		{"a short nonce key", dpop.Config{Replay: st, NonceKey: []byte("short")}, "dpop: NonceKey shorter than 32 bytes"},
		{"a negative slot", dpop.Config{Replay: st, NonceSlot: -1}, "dpop: negative NonceSlot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dpop.New(tc.cfg)
			assert.EqualError(t, err, tc.want)
		})
	}
}

func TestThumbprintShape(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	jkt, err := dpop.Thumbprint(&k.JWK)
	require.NoError(t, err)
	assert.Equal(t, k.JKT(t), jkt)
	assert.True(t, dpop.IsThumbprint(jkt))
	assert.False(t, dpop.IsThumbprint(jkt[1:]))
	assert.False(t, dpop.IsThumbprint(strings.Repeat("+", 43)))
}

func TestCheckRecordsNothingUseRecordsOnce(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	k := dpoptest.NewKey(t, jose.ES256)
	v := newVerifier(t, nil, c, nil)
	req := dpop.Request{Method: "POST", URL: tokenURL}
	proof := k.Proof(t, dpoptest.Claims{HTM: "POST", HTU: tokenURL, IAT: c.t.Unix() - 5})
	p, err := v.Check(proof, req)
	require.NoError(t, err)
	_, err = v.Check(proof, req)
	require.NoError(t, err)
	require.NoError(t, v.Use(t.Context(), p))
	assertRefused(t, v.Use(t.Context(), p), dpop.CodeInvalidProof, "DPoP proof jti was used before")
	_, err = v.Verify(t.Context(), proof, req)
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof jti was used before")
}

// A NumericDate is a JSON number (RFC 7519 §2): an iat given as a string
// is refused, though it spells a valid time.
func TestVerifyRefusesStringIAT(t *testing.T) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	k := dpoptest.NewKey(t, jose.ES256)
	payload := []byte(`{"jti":"s-1","htm":"POST","htu":"` + tokenURL + `","iat":"1800000000"}`)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.Private},
		&jose.SignerOptions{ExtraHeaders: map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt", "jwk": k.JWK}})
	require.NoError(t, err)
	sig, err := signer.Sign(payload)
	require.NoError(t, err)
	proof, err := sig.CompactSerialize()
	require.NoError(t, err)
	_, err = newVerifier(t, nil, c, nil).Verify(t.Context(), proof, dpop.Request{Method: "POST", URL: tokenURL})
	assertRefused(t, err, dpop.CodeInvalidProof, "DPoP proof iat is missing or not a NumericDate")
}
