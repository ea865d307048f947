package middleware_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/internal/dpop/dpoptest"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

const (
	apiURL   = "https://api.example.com"
	allAlgs  = `algs="ES256 ES384 ES512 EdDSA RS256 PS256"`
	boundTok = "bound-token"
	plainTok = "plain-token"
)

// boundVerifier knows boundTok, bound to jkt, and plainTok, a bearer token.
func boundVerifier(jkt string) middleware.Verifier {
	return middleware.VerifierFunc(func(_ context.Context, token string) (middleware.TokenInfo, error) {
		switch token {
		case boundTok:
			return middleware.TokenInfo{Subject: "alice", ClientID: "app", Scopes: []string{"read"}, JKT: jkt}, nil
		case plainTok:
			return middleware.TokenInfo{Subject: "bob", ClientID: "app", Scopes: []string{"read"}}, nil
		}
		return middleware.TokenInfo{}, middleware.ErrInvalidToken
	})
}

// dpopProtect returns a handler behind Authenticate with DPoP options o
// that answers 200 with the subject.
func dpopProtect(t *testing.T, v middleware.Verifier, o *middleware.DPoPOptions) http.Handler {
	t.Helper()
	if o != nil && o.Replay == nil {
		o.Replay = store.NewMemoryWithCleanup(0)
	}
	auth, err := middleware.Authenticate(v, middleware.Options{DPoP: o})
	require.NoError(t, err)
	return auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprint(w, info.Subject)
	}))
}

// dpopGet sends GET path with an Authorization header and DPoP proofs.
func dpopGet(t *testing.T, h http.Handler, path, authz string, proofs ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://internal:8080"+path, nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// resourceProof is a proof of k for GET htu with the ath of token.
func resourceProof(t *testing.T, k dpoptest.Key, htu, token string) string {
	t.Helper()
	return k.Proof(t, dpoptest.Claims{HTM: http.MethodGet, HTU: htu, ATH: dpoptest.ATH(token)})
}

func TestDPoPAcceptsABoundTokenWithItsProof(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	h := dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL})
	rec := dpopGet(t, h, "/me?x=1", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/me", boundTok))
	assert.Equal(t, http.StatusOK, rec.Code, rec.Header())
	assert.Equal(t, "alice", rec.Body.String())
	// A bearer token still works as a bearer token.
	rec = dpopGet(t, h, "/me", "Bearer "+plainTok)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "bob", rec.Body.String())
}

func TestDPoPRefusals(t *testing.T) {
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	h := dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL})
	tests := []struct {
		name   string
		authz  string
		proofs []string
		status int
		bearer string
		dpop   string
	}{
		{
			name: "a bound token presented as Bearer", authz: "Bearer " + boundTok,
			status: 401,
			bearer: `Bearer error="invalid_token", error_description="a DPoP-bound token needs the DPoP scheme"`,
			dpop:   "DPoP " + allAlgs,
		},
		{
			name: "no proof", authz: "DPoP " + boundTok,
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_dpop_proof", error_description="exactly one DPoP proof header is required"`,
		},
		{
			name: "two proofs", authz: "DPoP " + boundTok,
			proofs: []string{resourceProof(t, k, apiURL+"/me", boundTok), resourceProof(t, k, apiURL+"/me", boundTok)},
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_dpop_proof", error_description="exactly one DPoP proof header is required"`,
		},
		{
			name: "a proof without ath", authz: "DPoP " + boundTok,
			proofs: []string{k.Proof(t, dpoptest.Claims{HTM: http.MethodGet, HTU: apiURL + "/me"})},
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_dpop_proof", error_description="DPoP proof lacks ath"`,
		},
		{
			name: "a proof with the ath of another token", authz: "DPoP " + boundTok,
			proofs: []string{resourceProof(t, k, apiURL+"/me", plainTok)},
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_dpop_proof", error_description="DPoP proof ath does not match the access token"`,
		},
		{
			name: "a proof for the internal URL", authz: "DPoP " + boundTok,
			proofs: []string{resourceProof(t, k, "http://internal:8080/me", boundTok)},
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_dpop_proof", error_description="DPoP proof htu does not match the request"`,
		},
		{
			name: "a proof by another key", authz: "DPoP " + boundTok,
			proofs: []string{resourceProof(t, other, apiURL+"/me", boundTok)},
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_token", error_description="the DPoP proof is made with another key than the token's"`,
		},
		{
			name: "a bearer token presented as DPoP", authz: "DPoP " + plainTok,
			proofs: []string{resourceProof(t, k, apiURL+"/me", plainTok)},
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_token", error_description="the token is not DPoP-bound"`,
		},
		{
			name: "an unknown token with a good proof", authz: "DPoP nope",
			proofs: []string{resourceProof(t, k, apiURL+"/me", "nope")},
			status: 401, bearer: "Bearer",
			dpop: "DPoP " + allAlgs + `, error="invalid_token"`,
		},
		{
			name: "a malformed DPoP credential", authz: "DPoP a b",
			status: 400, bearer: `Bearer error="invalid_request", error_description="malformed Authorization header"`,
			dpop: "DPoP " + allAlgs,
		},
		{
			name: "no credentials", status: 401, bearer: "Bearer", dpop: "DPoP " + allAlgs,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := dpopGet(t, h, "/me", tc.authz, tc.proofs...)
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, []string{tc.bearer, tc.dpop}, rec.Header().Values("WWW-Authenticate"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.Empty(t, rec.Header().Get("DPoP-Nonce"))
		})
	}
}

func TestDPoPReplayedProofAtTheResourceServer(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	st := store.NewMemoryWithCleanup(0)
	a := dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL, Replay: st})
	b := dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL, Replay: st})
	proof := resourceProof(t, k, apiURL+"/me", boundTok)
	assert.Equal(t, http.StatusOK, dpopGet(t, a, "/me", "DPoP "+boundTok, proof).Code)
	for _, h := range []http.Handler{a, b} {
		rec := dpopGet(t, h, "/me", "DPoP "+boundTok, proof)
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Equal(t, "DPoP "+allAlgs+`, error="invalid_dpop_proof", error_description="DPoP proof jti was used before"`, rec.Header().Values("WWW-Authenticate")[1])
	}
}

func TestDPoPBehindStripPrefix(t *testing.T) {
	k := dpoptest.NewKey(t, jose.EdDSA)
	mux := http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api", dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL + "/api"})))
	rec := dpopGet(t, mux, "/api/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/api/me", boundTok))
	assert.Equal(t, http.StatusOK, rec.Code, rec.Header())
	rec = dpopGet(t, mux, "/api/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/me", boundTok))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	// StripPrefix with the trailing slash leaves a path without one.
	mux = http.NewServeMux()
	mux.Handle("/api/", http.StripPrefix("/api/", dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL + "/api"})))
	rec = dpopGet(t, mux, "/api/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/api/me", boundTok))
	assert.Equal(t, http.StatusOK, rec.Code, rec.Header())
	rec = dpopGet(t, mux, "/api/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/apime", boundTok))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestDPoPNonceAtTheResourceServer(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	h := dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL, NonceKey: []byte(strings.Repeat("n", 32))})
	rec := dpopGet(t, h, "/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/me", boundTok))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, []string{"Bearer", "DPoP " + allAlgs + `, error="use_dpop_nonce", error_description="a DPoP nonce is required"`}, rec.Header().Values("WWW-Authenticate"))
	nonce := rec.Header().Get("DPoP-Nonce")
	require.NotEmpty(t, nonce)
	proof := k.Proof(t, dpoptest.Claims{HTM: http.MethodGet, HTU: apiURL + "/me", ATH: dpoptest.ATH(boundTok), Nonce: nonce})
	rec = dpopGet(t, h, "/me", "DPoP "+boundTok, proof)
	assert.Equal(t, http.StatusOK, rec.Code, rec.Header())
}

func TestDPoPRequiredRefusesBearer(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	h := dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL, Required: true, Algorithms: []jose.SignatureAlgorithm{jose.ES256}})
	rec := dpopGet(t, h, "/me", "Bearer "+plainTok)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, []string{`DPoP algs="ES256", error="invalid_token", error_description="only DPoP-bound tokens are accepted"`}, rec.Header().Values("WWW-Authenticate"))
	rec = dpopGet(t, h, "/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/me", boundTok))
	assert.Equal(t, http.StatusOK, rec.Code)
	// An algorithm outside the list is refused.
	ed := dpoptest.NewKey(t, jose.EdDSA)
	h = dpopProtect(t, boundVerifier(ed.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL, Algorithms: []jose.SignatureAlgorithm{jose.ES256}})
	rec = dpopGet(t, h, "/me", "DPoP "+boundTok, resourceProof(t, ed, apiURL+"/me", boundTok))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestWithoutDPoPABoundTokenIsRefused(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	h := dpopProtect(t, boundVerifier(k.JKT(t)), nil)
	rec := dpopGet(t, h, "/me", "Bearer "+boundTok)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, []string{`Bearer error="invalid_token", error_description="a DPoP-bound token needs the DPoP scheme"`}, rec.Header().Values("WWW-Authenticate"))
	// The DPoP scheme is another scheme to a bearer-only resource.
	rec = dpopGet(t, h, "/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/me", boundTok))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, []string{"Bearer"}, rec.Header().Values("WWW-Authenticate"))
}

func TestDPoPScopeRefusalChallengesWithDPoP(t *testing.T) {
	k := dpoptest.NewKey(t, jose.ES256)
	auth, err := middleware.Authenticate(boundVerifier(k.JKT(t)), middleware.Options{DPoP: &middleware.DPoPOptions{ExternalURL: apiURL, Replay: store.NewMemoryWithCleanup(0)}})
	require.NoError(t, err)
	scope, err := middleware.RequireScope("write")
	require.NoError(t, err)
	h := auth(scope(http.NotFoundHandler()))
	rec := dpopGet(t, h, "/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/me", boundTok))
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, []string{"Bearer", "DPoP " + allAlgs + `, error="insufficient_scope", scope="write"`}, rec.Header().Values("WWW-Authenticate"))
}

func TestDPoPOptionsErrors(t *testing.T) {
	st := store.NewMemoryWithCleanup(0)
	v := boundVerifier("")
	for _, tc := range []struct {
		name string
		o    middleware.DPoPOptions
		want string
	}{
		{"no ExternalURL", middleware.DPoPOptions{Replay: st}, "middleware: DPoP.ExternalURL must be an absolute http or https URL without query or fragment"},
		{"a relative ExternalURL", middleware.DPoPOptions{ExternalURL: "/api", Replay: st}, "middleware: DPoP.ExternalURL must be an absolute http or https URL without query or fragment"},
		{"an ExternalURL with a query", middleware.DPoPOptions{ExternalURL: apiURL + "?a=1", Replay: st}, "middleware: DPoP.ExternalURL must be an absolute http or https URL without query or fragment"},
		{"no Replay", middleware.DPoPOptions{ExternalURL: apiURL}, "middleware: DPoP.Replay is required"},
		{"HS256", middleware.DPoPOptions{ExternalURL: apiURL, Replay: st, Algorithms: []jose.SignatureAlgorithm{jose.HS256}}, `middleware: DPoP: dpop: algorithm "HS256" is not asymmetric`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			_, err := middleware.Authenticate(v, middleware.Options{DPoP: &o})
			assert.EqualError(t, err, tc.want)
		})
	}
}

// countingReplay counts the keys it is asked to record.
type countingReplay struct {
	*store.Memory
	n int
}

func (c *countingReplay) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	c.n++
	return c.Memory.UseOnce(ctx, key, expiresAt)
}

func TestDPoPRecordsTheJTIOnlyForABoundToken(t *testing.T) {
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	replay := &countingReplay{Memory: store.NewMemoryWithCleanup(0)}
	h := dpopProtect(t, boundVerifier(k.JKT(t)), &middleware.DPoPOptions{ExternalURL: apiURL, Replay: replay})
	assert.Equal(t, http.StatusUnauthorized, dpopGet(t, h, "/me", "DPoP nope", resourceProof(t, k, apiURL+"/me", "nope")).Code)
	assert.Equal(t, http.StatusUnauthorized, dpopGet(t, h, "/me", "DPoP "+boundTok, resourceProof(t, other, apiURL+"/me", boundTok)).Code)
	assert.Equal(t, http.StatusUnauthorized, dpopGet(t, h, "/me", "DPoP "+plainTok, resourceProof(t, k, apiURL+"/me", plainTok)).Code)
	assert.Equal(t, 0, replay.n)
	assert.Equal(t, http.StatusOK, dpopGet(t, h, "/me", "DPoP "+boundTok, resourceProof(t, k, apiURL+"/me", boundTok)).Code)
	assert.Equal(t, 1, replay.n)
}
