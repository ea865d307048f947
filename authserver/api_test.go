package authserver_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/middleware"
)

func TestIssueToken(t *testing.T) {
	srv, _ := newTestServer(t, func(c *authserver.Config) { c.DefaultScopes = []string{"basic_info"} })
	it, err := srv.IssueToken(t.Context(), authserver.TokenRequest{
		ClientID: confidentialID, Subject: "user-bob", Scopes: []string{"phone"}, Refresh: true, GrantType: authserver.GrantPassword,
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(it.AccessToken, "kat_"))
	assert.True(t, strings.HasPrefix(it.RefreshToken, "krt_"))
	assert.Equal(t, "Bearer", it.TokenType)
	assert.Equal(t, []string{"phone"}, it.Scopes)
	assert.Equal(t, "Confidential App", it.ClientName)
	assert.NotEmpty(t, it.GrantID)
	assert.Equal(t, defaultTTL, it.ExpiresAt.Sub(it.IssuedAt))

	info, err := srv.VerifyAccessToken(t.Context(), it.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "user-bob", info.Subject)
	assert.Equal(t, []string{"phone"}, info.Scopes)

	// The refresh token works at the token endpoint.
	body := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(it.RefreshToken), basic(confidentialID, confidentialPass)))
	assertActive(t, srv, str(body, "access_token"), true)

	// No scopes means the default ones. A token of the client acting for
	// itself has a grant of its own too.
	other, err := srv.IssueToken(t.Context(), authserver.TokenRequest{ClientID: serviceID})
	require.NoError(t, err)
	assert.Equal(t, []string{"basic_info"}, other.Scopes)
	assert.Empty(t, other.RefreshToken)
	assert.NotEmpty(t, other.GrantID)
	assert.NotEqual(t, it.GrantID, other.GrantID)
	assert.Equal(t, defaultTTL, other.ExpiresAt.Sub(other.IssuedAt))
}

func TestIssueTokenErrors(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	tests := []struct {
		name string
		req  authserver.TokenRequest
		code authserver.ErrorCode
	}{
		{"an unknown client", authserver.TokenRequest{ClientID: "ghost"}, authserver.CodeInvalidClient},
		{"a scope the client did not register", authserver.TokenRequest{ClientID: serviceID, Scopes: []string{"phone"}}, authserver.CodeInvalidScope},
		{"an unknown scope", authserver.TokenRequest{ClientID: serviceID, Scopes: []string{"admin"}}, authserver.CodeInvalidScope},
		{"a refresh token without a subject", authserver.TokenRequest{ClientID: confidentialID, Refresh: true}, authserver.CodeUnauthorizedClient},
		{"a refresh token for a client without the grant", authserver.TokenRequest{ClientID: serviceID, Subject: "u", Refresh: true}, authserver.CodeUnauthorizedClient},
		{"an unknown grant type", authserver.TokenRequest{ClientID: serviceID, GrantType: "bogus"}, authserver.CodeUnauthorizedClient},
		{"a grant type the client did not register", authserver.TokenRequest{ClientID: serviceID, Subject: "u", GrantType: authserver.GrantPassword}, authserver.CodeUnauthorizedClient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, err := srv.IssueToken(t.Context(), tc.req)
			var e *authserver.Error
			require.True(t, errors.As(err, &e), "%v", err)
			assert.Equal(t, tc.code, e.Code)
			assert.Empty(t, it.AccessToken)
		})
	}
}

func TestIssueTokenStoreFailure(t *testing.T) {
	srv, fs := newFailingServer(t, "SaveAccessToken", "Client")
	fs.broken.Store(true)
	_, err := srv.IssueToken(t.Context(), authserver.TokenRequest{ClientID: serviceID})
	require.Error(t, err)
	assert.ErrorIs(t, err, errStoreDown)
	var e *authserver.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, 503, e.HTTPStatus())
}

func TestRevokeToken(t *testing.T) {
	srv, st := newTestServer(t, nil)
	body := redeem(t, srv, st)
	require.NoError(t, srv.RevokeToken(t.Context(), str(body, "access_token")))
	assertActive(t, srv, str(body, "access_token"), false)

	other := redeem(t, srv, st)
	require.NoError(t, srv.RevokeToken(t.Context(), str(other, "refresh_token")))
	assertActive(t, srv, str(other, "access_token"), false)
	rec := postForm(t, srv, "/oauth/token", refreshForm(str(other, "refresh_token")), basic(confidentialID, confidentialPass))
	assertOAuthError(t, rec, 400, "invalid_grant")

	assert.NoError(t, srv.RevokeToken(t.Context(), "kat_"+randomString()))
	assert.NoError(t, srv.RevokeToken(t.Context(), "garbage"))
}

func TestVerifyAccessToken(t *testing.T) {
	srv, st := newTestServer(t, nil)
	body := redeem(t, srv, st)
	for _, tok := range []string{"", "kat_", "kat_" + randomString(), str(body, "refresh_token"), "Bearer " + str(body, "access_token"), str(body, "access_token") + " "} {
		_, err := srv.VerifyAccessToken(t.Context(), tok)
		assert.ErrorIs(t, err, middleware.ErrInvalidToken, "%q", tok)
	}

	failing, fs := newFailingServer(t, "AccessToken")
	code := issueCode(t, fs, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
	b := tokenOK(t, postForm(t, failing, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
	fs.broken.Store(true)
	_, err := failing.VerifyAccessToken(t.Context(), str(b, "access_token"))
	assert.ErrorIs(t, err, errStoreDown)
	assert.NotErrorIs(t, err, middleware.ErrInvalidToken, "a store failure is not an invalid token")
}

// A store failure is 503 at the token endpoint. A failure before the code
// is consumed leaves it for a retry; one after (saving the issued tokens)
// leaves it spent, so that a retry is a replay.
func TestTokenStoreFailureIs503(t *testing.T) {
	for _, tc := range []struct {
		method string
		spent  bool
	}{
		{"Client", false},
		{"Code", false},
		{"Grant", false},
		{"ConsumeCode", false},
		{"SaveAccessToken", true},
		{"RotateRefreshToken", true},
	} {
		t.Run("code exchange/"+tc.method, func(t *testing.T) {
			srv, fs := newFailingServer(t, tc.method)
			code := issueCode(t, fs, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
			fs.broken.Store(true)
			rec := postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass))
			assertOAuthError(t, rec, 503, "temporarily_unavailable")
			assert.NotContains(t, rec.Body.String(), "10.0.0.5")
			fs.broken.Store(false)
			rec = postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass))
			if tc.spent {
				assertOAuthError(t, rec, 400, "invalid_grant")
			} else {
				tokenOK(t, rec)
			}
		})
	}
	t.Run("client_credentials/SaveAccessToken", func(t *testing.T) {
		srv, fs := newFailingServer(t, "SaveAccessToken")
		fs.broken.Store(true)
		rec := postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass))
		assertOAuthError(t, rec, 503, "temporarily_unavailable")
		assert.NotContains(t, rec.Body.String(), "10.0.0.5")
	})
	t.Run("refresh/RotateRefreshToken", func(t *testing.T) {
		srv, fs := newFailingServer(t, "RotateRefreshToken")
		code := issueCode(t, fs, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
		body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
		fs.broken.Store(true)
		rec := postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass))
		assertOAuthError(t, rec, 503, "temporarily_unavailable")
		fs.broken.Store(false)
		// The token was not rotated, so it still works.
		tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
	})
}

const defaultTTL = 30 * time.Minute
