package authserver_test

import (
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

const inactive = `{"active":false}`

func TestIntrospectActiveAccessToken(t *testing.T) {
	srv, st := newTestServer(t, nil)
	before := time.Now().Unix()
	body := redeem(t, srv, st)
	rec := postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(confidentialID, confidentialPass))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "application/json;charset=UTF-8", rec.Header().Get("Content-Type"))
	assertNoStore(t, rec)
	got := decodeJSON(t, rec)
	iat, exp := int64(got["iat"].(float64)), int64(got["exp"].(float64))
	assert.GreaterOrEqual(t, iat, before)
	assert.Equal(t, int64(1800), exp-iat)
	delete(got, "iat")
	delete(got, "exp")
	assert.Equal(t, map[string]any{
		"active":     true,
		"scope":      "basic_info phone",
		"client_id":  confidentialID,
		"sub":        "user-alice",
		"token_type": "Bearer",
		"iss":        testIssuer,
	}, got)
}

func TestIntrospectActiveRefreshToken(t *testing.T) {
	srv, st := newTestServer(t, nil)
	body := redeem(t, srv, st, "basic_info")
	rec := postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
	require.Equal(t, http.StatusOK, rec.Code)
	got := decodeJSON(t, rec)
	assert.Equal(t, true, got["active"])
	assert.Equal(t, "basic_info", got["scope"])
	assert.Equal(t, "user-alice", got["sub"])
	assert.Equal(t, int64(24*3600), int64(got["exp"].(float64))-int64(got["iat"].(float64)))

	// After a rotation the successor is active, with its own times.
	next := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
	rec = postForm(t, srv, "/oauth/introspect", introspectForm(str(next, "refresh_token")), basic(confidentialID, confidentialPass))
	got = decodeJSON(t, rec)
	assert.Equal(t, true, got["active"])
	assert.Equal(t, int64(24*3600), int64(got["exp"].(float64))-int64(got["iat"].(float64)))
}

// token_type in an introspection response is an access token type
// (RFC 7662 §2.2 refers to RFC 6749 §5.1), so a refresh token's answer has
// none, while an access token's says Bearer.
func TestIntrospectRefreshTokenHasNoAccessTokenType(t *testing.T) {
	srv, st := newTestServer(t, nil)
	body := redeem(t, srv, st, "basic_info")
	rec := postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
	require.Equal(t, http.StatusOK, rec.Code)
	got := decodeJSON(t, rec)
	require.IsType(t, float64(0), got["iat"])
	require.IsType(t, float64(0), got["exp"])
	delete(got, "iat")
	delete(got, "exp")
	assert.Equal(t, map[string]any{
		"active":    true,
		"scope":     "basic_info",
		"client_id": confidentialID,
		"sub":       "user-alice",
		"iss":       testIssuer,
	}, got)

	rec = postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(confidentialID, confidentialPass))
	assert.Equal(t, "Bearer", decodeJSON(t, rec)["token_type"])
}

func TestIntrospectClientCredentialsToken(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	body := tokenOK(t, postForm(t, srv, "/oauth/token", withValue(ccForm(), "scope", "keys_op"), basic(serviceID, servicePass)))
	rec := postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(serviceID, servicePass))
	require.Equal(t, http.StatusOK, rec.Code)
	got := decodeJSON(t, rec)
	assert.Equal(t, true, got["active"])
	assert.Equal(t, serviceID, got["client_id"])
	assert.Equal(t, "keys_op", got["scope"])
	assert.NotContains(t, got, "sub")
}

// Anything the caller may not learn about is exactly {"active":false}
// (RFC 7662 §2.2).
func TestIntrospectInactive(t *testing.T) {
	srv, st := newTestServer(t, nil)
	revokedAccess := redeem(t, srv, st)
	assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(str(revokedAccess, "access_token"), ""), basic(confidentialID, confidentialPass)))
	rotated := redeem(t, srv, st)
	tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(rotated, "refresh_token")), basic(confidentialID, confidentialPass)))
	revokedGrant := redeem(t, srv, st)
	assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(str(revokedGrant, "refresh_token"), ""), basic(confidentialID, confidentialPass)))
	others := redeem(t, srv, st)
	code := issueCode(t, st, codeSpec{clientID: confidentialID, redirectURI: testRedirect})

	tests := []struct {
		name  string
		token string
		authz string
	}{
		{"an unknown access token", "kat_" + randomString(), basic(confidentialID, confidentialPass)},
		{"an unknown refresh token", "krt_" + randomString(), basic(confidentialID, confidentialPass)},
		{"a refresh token of an unknown grant", grantToken("krt_", newGrantID()), basic(confidentialID, confidentialPass)},
		{"an access token of an unknown grant", grantToken("kat_", newGrantID()), basic(confidentialID, confidentialPass)},
		{"a forged refresh token of a live grant", str(others, "refresh_token")[:len("krt_")+22+1] + randomString(), basic(confidentialID, confidentialPass)},
		{"a string of no known kind", "hello", basic(confidentialID, confidentialPass)},
		{"an authorization code", code, basic(confidentialID, confidentialPass)},
		{"a revoked access token", str(revokedAccess, "access_token"), basic(confidentialID, confidentialPass)},
		{"a rotated refresh token", str(rotated, "refresh_token"), basic(confidentialID, confidentialPass)},
		{"an access token of a revoked grant", str(revokedGrant, "access_token"), basic(confidentialID, confidentialPass)},
		{"a refresh token of a revoked grant", str(revokedGrant, "refresh_token"), basic(confidentialID, confidentialPass)},
		{"another client's access token", str(others, "access_token"), basic(serviceID, servicePass)},
		{"another client's refresh token", str(others, "refresh_token"), basic(serviceID, servicePass)},
		{"an overlong token", "kat_" + string(make([]byte, 2000)), basic(confidentialID, confidentialPass)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := postForm(t, srv, "/oauth/introspect", introspectForm(tc.token), tc.authz)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, inactive, rec.Body.String())
			assertNoStore(t, rec)
		})
	}
}

func TestIntrospectExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, st := newTestServer(t, nil)
		body := redeem(t, srv, st)
		time.Sleep(30*time.Minute + time.Second)
		rec := postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(confidentialID, confidentialPass))
		assert.Equal(t, inactive, rec.Body.String())
		rec = postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
		assert.Equal(t, true, decodeJSON(t, rec)["active"], "the refresh token lives 24 hours")
	})
}

func TestIntrospectCallerMustBeConfidential(t *testing.T) {
	srv, st := newTestServer(t, nil)
	code := issueCode(t, st, codeSpec{clientID: publicID, redirectURI: testRedirect, challenge: s256(testVerifier)})
	form := codeForm(code, testVerifier)
	form.Set("client_id", publicID)
	body := tokenOK(t, postForm(t, srv, "/oauth/token", form, ""))
	tok := str(body, "access_token")

	tests := []struct {
		name  string
		form  url.Values
		authz string
	}{
		{"a public client, even about its own token", withValue(introspectForm(tok), "client_id", publicID), ""},
		{"no client authentication", introspectForm(tok), ""},
		{"a wrong secret", introspectForm(tok), basic(confidentialID, "wrong-secret-0123456789")},
		{"an unknown client", introspectForm(tok), basic("ghost", "wrong-secret-0123456789")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := postForm(t, srv, "/oauth/introspect", tc.form, tc.authz)
			assertOAuthError(t, rec, http.StatusUnauthorized, "invalid_client")
			assert.NotContains(t, rec.Body.String(), tok)
			assert.NotContains(t, rec.Body.String(), "active")
		})
	}
	rec := postForm(t, srv, "/oauth/introspect", url.Values{}, basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, http.StatusBadRequest, "invalid_request")
}

func TestIntrospectCanIntrospect(t *testing.T) {
	var calls []string
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.Hooks.CanIntrospect = func(caller store.Client, info middleware.TokenInfo) bool {
			calls = append(calls, caller.ID+">"+info.ClientID)
			return caller.ID == serviceID
		}
	})
	body := redeem(t, srv, st)
	rec := postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(serviceID, servicePass))
	assert.Equal(t, true, decodeJSON(t, rec)["active"])
	rec = postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(confidentialID, confidentialPass))
	assert.Equal(t, inactive, rec.Body.String(), "the policy replaces the default, even for the token's own client")
	assert.Equal(t, []string{serviceID + ">" + confidentialID, confidentialID + ">" + confidentialID}, calls)
}

func TestIntrospectStoreFailureIs503(t *testing.T) {
	for _, method := range []string{"AccessToken", "Grant"} {
		t.Run(method, func(t *testing.T) {
			srv, fs := newFailingServer(t, method)
			code := issueCode(t, fs, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
			body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
			fs.broken.Store(true)
			for _, tok := range []string{str(body, "access_token"), str(body, "refresh_token")} {
				rec := postForm(t, srv, "/oauth/introspect", introspectForm(tok), basic(confidentialID, confidentialPass))
				if (method == "AccessToken") == (tok == str(body, "access_token")) {
					assertOAuthError(t, rec, http.StatusServiceUnavailable, "temporarily_unavailable")
				} else {
					assert.Equal(t, http.StatusOK, rec.Code)
				}
			}
		})
	}
}
