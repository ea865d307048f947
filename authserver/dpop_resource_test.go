package authserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/internal/dpop/dpoptest"
	"github.com/kunci/kunci/middleware"
)

// dpopGet is a GET of path with the DPoP scheme and a proof for htu by k
// (none when k is nil).
func dpopGet(t *testing.T, h http.Handler, path, scheme, token, htu string, k *dpoptest.Key) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.Header.Set("Authorization", scheme+" "+token)
	if k != nil {
		req.Header.Set("DPoP", k.Proof(t, dpoptest.Claims{HTM: http.MethodGet, HTU: htu, ATH: dpoptest.ATH(token)}))
	}
	return serve(h, req)
}

func TestDPoPUserInfo(t *testing.T) {
	srv, _, _ := newOIDCServer(t, withDPoP)
	k, other := dpoptest.NewKey(t, jose.ES256), dpoptest.NewKey(t, jose.ES256)
	code := signIn(t, newRPBrowser(t, srv), nil)
	tokens := dpopTokenOK(t, postDPoP(t, srv, codeForm(code, testVerifier), basic(rpID, rpSecret), tokenProof(t, k)))
	token := str(tokens, "access_token")
	const htu = testIssuer + "/oauth/userinfo"

	rec := dpopGet(t, srv, "/oauth/userinfo", "DPoP", token, htu, &k)
	require.Equal(t, http.StatusOK, rec.Code, rec.Header())
	assert.Equal(t, "user-alice", decodeJSON(t, rec)["sub"])

	algs := `algs="ES256 ES384 ES512 EdDSA RS256 PS256"`
	rec = dpopGet(t, srv, "/oauth/userinfo", "Bearer", token, "", nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, []string{
		`Bearer realm="` + testIssuer + `", error="invalid_token", error_description="a DPoP-bound token needs the DPoP scheme"`,
		`DPoP realm="` + testIssuer + `", ` + algs,
	}, rec.Header().Values("WWW-Authenticate"))

	rec = dpopGet(t, srv, "/oauth/userinfo", "DPoP", token, htu, &other)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `DPoP realm="`+testIssuer+`", `+algs+`, error="invalid_token", error_description="the DPoP proof is made with another key than the token's"`,
		rec.Header().Values("WWW-Authenticate")[1])

	rec = dpopGet(t, srv, "/oauth/userinfo", "DPoP", token, testIssuer+"/oauth/token", &k)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `DPoP realm="`+testIssuer+`", `+algs+`, error="invalid_dpop_proof", error_description="DPoP proof htu does not match the request"`,
		rec.Header().Values("WWW-Authenticate")[1])
}

// TestDPoPServerAsMiddlewareVerifier protects an API with the server
// itself as the Verifier: the binding the store records is enforced.
func TestDPoPServerAsMiddlewareVerifier(t *testing.T) {
	srv, st := newTestServer(t, withDPoP)
	k := dpoptest.NewKey(t, jose.RS256)
	tokens := dpopTokenOK(t, postDPoP(t, srv, ccForm(), basic(serviceID, servicePass), tokenProof(t, k)))
	token := str(tokens, "access_token")
	auth, err := middleware.Authenticate(srv, middleware.Options{DPoP: &middleware.DPoPOptions{ExternalURL: "https://api.example.com", Replay: st}})
	require.NoError(t, err)
	api := auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := middleware.TokenInfoFromContext(r.Context())
		fmt.Fprint(w, info.ClientID)
	}))
	rec := dpopGet(t, api, "/things?page=2", "DPoP", token, "https://api.example.com/things", &k)
	assert.Equal(t, http.StatusOK, rec.Code, rec.Header())
	assert.Equal(t, serviceID, rec.Body.String())
	rec = dpopGet(t, api, "/things", "Bearer", token, "", nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}
