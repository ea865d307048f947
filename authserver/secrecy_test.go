package authserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// spyStore records every value a server hands to its store.
type spyStore struct {
	store.Store
	mu    sync.Mutex
	saved []string
}

func (s *spyStore) keep(v any) {
	raw, _ := json.Marshal(v)
	s.mu.Lock()
	s.saved = append(s.saved, string(raw))
	s.mu.Unlock()
}

func (s *spyStore) SaveClient(ctx context.Context, c store.Client) error {
	s.keep(c)
	return s.Store.SaveClient(ctx, c)
}
func (s *spyStore) SaveCode(ctx context.Context, c store.AuthCode) error {
	s.keep(c)
	return s.Store.SaveCode(ctx, c)
}
func (s *spyStore) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	s.keep(t)
	return s.Store.SaveAccessToken(ctx, t)
}
func (s *spyStore) SaveGrant(ctx context.Context, g store.Grant) error {
	s.keep(g)
	return s.Store.SaveGrant(ctx, g)
}
func (s *spyStore) RotateRefreshToken(ctx context.Context, grantID, old string, next store.RefreshState) (store.Grant, error) {
	s.keep(grantID)
	s.keep(old)
	s.keep(next)
	return s.Store.RotateRefreshToken(ctx, grantID, old, next)
}
func (s *spyStore) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	s.keep(r)
	return s.Store.SaveAuthRequest(ctx, r)
}
func (s *spyStore) SaveConsent(ctx context.Context, c store.Consent) error {
	s.keep(c)
	return s.Store.SaveConsent(ctx, c)
}

// The store never sees a usable secret: every code, token, client secret,
// CSRF token and consent binding cookie that the server hands out or
// accepts reaches it only as a hash (and a JWT only by the hash of its jti).
// A code or opaque token names its grant, which the store knows, but never
// its random part.
func TestStoreNeverSeesSecrets(t *testing.T) {
	spy := &spyStore{Store: store.NewMemoryWithCleanup(0)}
	key := genKey(t, jose.ES256)
	srv, err := authserver.New(authserver.Config{
		Issuer: testIssuer, Scopes: testScopes, JWT: authserver.JWT{SigningKeys: []jose.JSONWebKey{key}},
		Browser: authserver.Browser{LoginURL: "/login", Session: signedIn("user-alice")},
		Grants: []authserver.GrantType{authserver.GrantAuthorizationCode, authserver.GrantRefreshToken,
			authserver.GrantClientCredentials, authserver.GrantPassword},
		CheckPassword: func(_ context.Context, u, p string) (string, bool, error) {
			return "user-alice", u == "alice" && p == "wonderland", nil
		},
	}, spy)
	require.NoError(t, err)
	secrets := []string{confidentialPass, servicePass}
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: confidentialID, Secret: confidentialPass,
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token", "password"), Scopes: []string{"basic_info"}}))
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: serviceID, Secret: servicePass,
		GrantTypes: grants("client_credentials"), Scopes: []string{"basic_info"}, AccessTokenFormat: "jwt"}))
	collect := func(body map[string]any) {
		for _, k := range []string{"access_token", "refresh_token"} {
			if v, ok := body[k].(string); ok {
				secrets = append(secrets, v)
			}
		}
	}

	// Browser flow: pending request, consent page (CSRF token), code.
	b := newBrowser(t, srv)
	pageResp, page := b.do(http.MethodGet, "/oauth/authorize?"+authorizeQuery(url.Values{"client_id": {confidentialID}, "scope": {"basic_info"}}), nil)
	form := consentForm(t, page)
	secrets = append(secrets, form.Get("csrf_token"))
	require.Len(t, pageResp.Cookies(), 1, "the consent binding cookie")
	secrets = append(secrets, pageResp.Cookies()[0].Value)
	form.Set("decision", "approve")
	form.Set("scope", "basic_info")
	resp, _ := b.do(http.MethodPost, "/oauth/consent", form)
	code := location(t, resp).Query().Get("code")
	require.NotEmpty(t, code)
	secrets = append(secrets, code)

	tok := tokenOK(t, postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "code_verifier": {testVerifier}}, basic(confidentialID, confidentialPass)))
	collect(tok)
	collect(tokenOK(t, postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {str(tok, "refresh_token")}}, basic(confidentialID, confidentialPass))))
	collect(tokenOK(t, postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {"wonderland"}}, basic(confidentialID, confidentialPass))))
	secrets = append(secrets, "wonderland")
	jwt := tokenOK(t, postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, servicePass)))
	collect(jwt)

	require.Greater(t, len(secrets), 8)
	spy.mu.Lock()
	defer spy.mu.Unlock()
	require.NotEmpty(t, spy.saved)
	for _, rec := range spy.saved {
		for _, secret := range secrets {
			assert.NotContains(t, rec, secret)
			if i := strings.LastIndexByte(secret, '.'); i >= 0 {
				assert.NotContains(t, rec, secret[i+1:], "the random part of a token, or a JWT's signature")
			}
		}
	}
}

// An unexpected failure is answered as server_error with a generic
// description; its cause goes only to the log, at Error level.
func TestUnexpectedErrorIsServerError(t *testing.T) {
	var logs strings.Builder
	key := genKey(t, jose.ES256)
	srv := newJWTServer(t, store.NewMemoryWithCleanup(0), []jose.JSONWebKey{key}, func(c *authserver.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Hooks.AccessTokenClaims = func(context.Context, authserver.IssuedToken) map[string]any {
			return map[string]any{"bad": func() {}} // cannot be encoded
		}
	})
	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(jwtClientID, jwtClientPass))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, `{"error":"server_error","error_description":"internal error"}`, rec.Body.String())
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Contains(t, logs.String(), "level=ERROR")
	assert.Contains(t, logs.String(), "extra claims")
	assert.NotContains(t, rec.Body.String(), "extra claims")
}

// clientReadFails fails every read of clients.
type clientReadFails struct{ store.Store }

func (clientReadFails) Client(context.Context, string) (store.Client, error) {
	return store.Client{}, errors.New("connection refused")
}

func TestStoreFailureIsNeverSuccess(t *testing.T) {
	srv, err := authserver.New(authserver.Config{Issuer: testIssuer}, clientReadFails{store.NewMemoryWithCleanup(0)})
	require.NoError(t, err)
	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, basic(serviceID, servicePass))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, `{"error":"temporarily_unavailable","error_description":"try again later"}`, rec.Body.String())
	assert.NotContains(t, rec.Body.String(), "connection refused")
}

// Nothing is derived from Host or X-Forwarded-* headers.
func TestSpoofedHostHeadersChangeNothing(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	spoof := func(req *http.Request) {
		req.Host = "evil.example"
		req.Header.Set("X-Forwarded-Host", "evil.example")
		req.Header.Set("X-Forwarded-Proto", "http")
		req.Header.Set("Forwarded", "host=evil.example;proto=http")
	}
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/.well-known/oauth-authorization-server", nil)
	spoof(req)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	assert.NotContains(t, rec.Body.String(), "evil")

	req = httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/oauth/authorize?"+authorizeQuery(nil), nil)
	spoof(req)
	req.AddCookie(&http.Cookie{Name: "user", Value: "user-alice"})
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), "evil")
	assert.Contains(t, rec.Body.String(), `action="/oauth/consent"`)
}
