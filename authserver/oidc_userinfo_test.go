package authserver_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// bearerGet is a GET of path with token in the Authorization header.
func bearerGet(t *testing.T, path, token string) *http.Request {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// rpAccessToken returns an access token of rp for user-alice with scopes,
// from a code exchange.
func rpAccessToken(t *testing.T, srv http.Handler, st store.Store, scopes ...string) string {
	t.Helper()
	code := issueCode(t, st, codeSpec{clientID: rpID, redirectURI: testRedirect, challenge: testChallenge, scopes: scopes})
	return str(exchange(t, srv, code), "access_token")
}

// UserInfo answers with sub and the claims the token's scopes release,
// as the host's callback gives them (Core §5.3.2, §5.4): the standard
// scopes by default, basic_info by its configured Claims, never a claim the
// scopes do not release.
func TestUserInfoClaimsPerScope(t *testing.T) {
	srv, st, host := newOIDCServer(t, nil)
	for _, tc := range []struct {
		name   string
		scopes []string
		asked  []string // the names the callback receives; nil: not called
		body   string
	}{
		{"openid alone releases sub", []string{"openid"}, nil, `{"sub":"user-alice"}`},
		{"profile releases what the host has of Core §5.4's list", []string{"openid", "profile"},
			[]string{"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile",
				"picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
			`{"name":"Alice Liddell","nickname":"alice","sub":"user-alice"}`},
		{"email", []string{"openid", "email"}, []string{"email", "email_verified"},
			`{"email":"alice@example.com","email_verified":true,"sub":"user-alice"}`},
		{"address is an object", []string{"openid", "address"}, []string{"address"},
			`{"address":{"country":"ID","locality":"Jakarta"},"sub":"user-alice"}`},
		{"phone without the verified flag the host lacks", []string{"openid", "phone"},
			[]string{"phone_number", "phone_number_verified"}, `{"phone_number":"+62 812 0000 0001","sub":"user-alice"}`},
		{"a scope with configured Claims, names asked once", []string{"openid", "basic_info", "email"},
			[]string{"name", "email", "email_verified"},
			`{"email":"alice@example.com","email_verified":true,"name":"Alice Liddell","sub":"user-alice"}`},
		{"offline_access releases nothing", []string{"openid", "offline_access"}, nil, `{"sub":"user-alice"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token := rpAccessToken(t, srv, st, tc.scopes...)
			host.calls = nil
			rec := serve(srv, bearerGet(t, "/oauth/userinfo", token))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json;charset=UTF-8", rec.Header().Get("Content-Type"))
			assertNoStore(t, rec)
			assert.Equal(t, tc.body, rec.Body.String())
			if tc.asked == nil {
				assert.Nil(t, host.last())
			} else {
				assert.Equal(t, append([]string{"user-alice"}, tc.asked...), host.last())
			}
		})
	}
}

// The token may come in the Authorization header with GET or POST, or in a
// POST form body (RFC 6750 §2.1, §2.2); a JWT access token works as an
// opaque one does.
func TestUserInfoBearerMethods(t *testing.T) {
	srv, st, _ := newOIDCServer(t, nil)
	token := rpAccessToken(t, srv, st, "openid", "email")
	want := `{"email":"alice@example.com","email_verified":true,"sub":"user-alice"}`

	rec := serve(srv, bearerGet(t, "/oauth/userinfo", token))
	assert.Equal(t, want, rec.Body.String())
	rec = serve(srv, postReq(t, "/oauth/userinfo", "", "", "Bearer "+token))
	assert.Equal(t, want, rec.Body.String())
	rec = serve(srv, postReq(t, "/oauth/userinfo", url.Values{"access_token": {token}}.Encode(), "application/x-www-form-urlencoded", ""))
	assert.Equal(t, want, rec.Body.String())

	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "rp-jwt", Secret: rpSecret,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"), Scopes: []string{"openid", "email"},
		AccessTokenFormat: authserver.TokenFormatJWT}))
	code := issueCode(t, st, codeSpec{clientID: "rp-jwt", redirectURI: testRedirect, challenge: testChallenge, scopes: []string{"openid", "email"}})
	jwt := str(tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic("rp-jwt", rpSecret))), "access_token")
	require.Equal(t, 2, strings.Count(jwt, "."), "a JWT access token")
	rec = serve(srv, bearerGet(t, "/oauth/userinfo", jwt))
	assert.Equal(t, want, rec.Body.String())
}

// Refusals are RFC 6750 §3 challenges with the issuer as realm, and the
// endpoint never answers for a token that is not an OpenID Connect user's.
func TestUserInfoRefusals(t *testing.T) {
	srv, st, host := newOIDCServer(t, nil)
	openid := rpAccessToken(t, srv, st, "openid", "email")
	plain := rpAccessToken(t, srv, st, "basic_info")
	service := str(tokenOK(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass))), "access_token")
	revoked := rpAccessToken(t, srv, st, "openid")
	require.NoError(t, srv.RevokeToken(t.Context(), revoked))

	const realm = `Bearer realm="https://auth.example.com"`
	get := func(token string) *http.Request { return bearerGet(t, "/oauth/userinfo", token) }
	for _, tc := range []struct {
		name      string
		req       *http.Request
		status    int
		challenge string
	}{
		{"no token", httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/userinfo", nil), http.StatusUnauthorized, realm},
		{"a token in the query is not read", httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/userinfo?access_token="+openid, nil),
			http.StatusUnauthorized, realm},
		{"an unknown token", get("kat_unknown"), http.StatusUnauthorized, realm + `, error="invalid_token"`},
		{"a revoked token", get(revoked), http.StatusUnauthorized, realm + `, error="invalid_token"`},
		{"a token for no user (client_credentials)", get(service), http.StatusUnauthorized, realm + `, error="invalid_token"`},
		{"a token without openid", get(plain), http.StatusForbidden, realm + `, error="insufficient_scope", scope="openid"`},
		{"a token in the header and the body", postReq(t, "/oauth/userinfo", url.Values{"access_token": {openid}}.Encode(),
			"application/x-www-form-urlencoded", "Bearer "+openid), http.StatusBadRequest,
			realm + `, error="invalid_request", error_description="more than one access token in the request"`},
		{"a malformed header", postReq(t, "/oauth/userinfo", "", "", "Bearer "), http.StatusBadRequest,
			realm + `, error="invalid_request", error_description="malformed Authorization header"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host.calls = nil
			rec := serve(srv, tc.req)
			assert.Equal(t, tc.status, rec.Code, rec.Body.String())
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.NotContains(t, rec.Body.String(), "alice")
			assert.Nil(t, host.last(), "the host is not asked")
		})
	}

	t.Run("another method", func(t *testing.T) {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPut, "/oauth/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+openid)
		rec := serve(srv, req)
		assertOAuthError(t, rec, http.StatusMethodNotAllowed, "invalid_request")
		assert.Equal(t, "GET, POST", rec.Header().Get("Allow"))
	})
	t.Run("a body over the size limit", func(t *testing.T) {
		body := "access_token=" + openid + "&pad=" + strings.Repeat("x", 1<<20)
		rec := serve(srv, postReq(t, "/oauth/userinfo", body, "application/x-www-form-urlencoded", ""))
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Equal(t, realm+`, error="invalid_request", error_description="unreadable form body"`, rec.Header().Get("WWW-Authenticate"))
	})
	t.Run("the host fails", func(t *testing.T) {
		host.err = errors.New("directory down")
		defer func() { host.err = nil }()
		rec := serve(srv, get(openid))
		body := assertOAuthError(t, rec, http.StatusInternalServerError, "server_error")
		assert.Equal(t, "internal error", body["error_description"])
		assert.NotContains(t, rec.Body.String(), "directory")
	})
}

// go-oidc's UserInfo call, as a relying party makes it after discovery.
func TestUserInfoThroughGoOIDC(t *testing.T) {
	srv, st, _ := newOIDCServer(t, nil)
	token := rpAccessToken(t, srv, st, "openid", "email", "profile")
	ctx := oidc.ClientContext(t.Context(), &http.Client{Transport: handlerTransport{srv}})
	provider, err := oidc.NewProvider(ctx, testIssuer)
	require.NoError(t, err)
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}))
	require.NoError(t, err)
	assert.Equal(t, "user-alice", info.Subject)
	assert.Equal(t, "alice@example.com", info.Email)
	assert.True(t, info.EmailVerified)
	var c struct {
		Name     string `json:"name"`
		Nickname string `json:"nickname"`
	}
	require.NoError(t, info.Claims(&c))
	assert.Equal(t, "Alice Liddell", c.Name)
	assert.Equal(t, "alice", c.Nickname)
}
