package authserver_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// failingStore wraps a Store and fails the methods named in fail while
// broken is set.
type failingStore struct {
	store.Store
	broken atomic.Bool
	fail   map[string]bool
}

var errStoreDown = errors.New("store: database at 10.0.0.5 is down")

func (f *failingStore) err(method string) error {
	if f.broken.Load() && f.fail[method] {
		return errStoreDown
	}
	return nil
}

func (f *failingStore) AccessToken(ctx context.Context, hash string) (store.AccessToken, error) {
	if err := f.err("AccessToken"); err != nil {
		return store.AccessToken{}, err
	}
	return f.Store.AccessToken(ctx, hash)
}

func (f *failingStore) Grant(ctx context.Context, id string) (store.Grant, error) {
	if err := f.err("Grant"); err != nil {
		return store.Grant{}, err
	}
	return f.Store.Grant(ctx, id)
}

func (f *failingStore) SaveGrant(ctx context.Context, g store.Grant) error {
	if err := f.err("SaveGrant"); err != nil {
		return err
	}
	return f.Store.SaveGrant(ctx, g)
}

func (f *failingStore) DeleteAccessToken(ctx context.Context, hash string) error {
	if err := f.err("DeleteAccessToken"); err != nil {
		return err
	}
	return f.Store.DeleteAccessToken(ctx, hash)
}

func (f *failingStore) RevokeGrant(ctx context.Context, grantID string) error {
	if err := f.err("RevokeGrant"); err != nil {
		return err
	}
	return f.Store.RevokeGrant(ctx, grantID)
}

func (f *failingStore) Client(ctx context.Context, id string) (store.Client, error) {
	if err := f.err("Client"); err != nil {
		return store.Client{}, err
	}
	return f.Store.Client(ctx, id)
}

func (f *failingStore) SaveAccessToken(ctx context.Context, t store.AccessToken) error {
	if err := f.err("SaveAccessToken"); err != nil {
		return err
	}
	return f.Store.SaveAccessToken(ctx, t)
}

func (f *failingStore) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	if err := f.err("Code"); err != nil {
		return store.AuthCode{}, err
	}
	return f.Store.Code(ctx, grantID, hash)
}

func (f *failingStore) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	if err := f.err("ConsumeCode"); err != nil {
		return store.AuthCode{}, err
	}
	return f.Store.ConsumeCode(ctx, grantID, hash)
}

func (f *failingStore) RotateRefreshToken(ctx context.Context, grantID, oldHash string, next store.RefreshState) (store.Grant, error) {
	if err := f.err("RotateRefreshToken"); err != nil {
		return store.Grant{}, err
	}
	return f.Store.RotateRefreshToken(ctx, grantID, oldHash, next)
}

// newFailingServer returns a server on a failingStore around the fixtures'
// memory store, and the wrapper. Nothing fails until broken is set.
func newFailingServer(t *testing.T, methods ...string) (*authserver.Server, *failingStore) {
	t.Helper()
	_, st := newTestServer(t, nil)
	fs := &failingStore{Store: st, fail: map[string]bool{}}
	for _, m := range methods {
		fs.fail[m] = true
	}
	srv, err := authserver.New(testConfig(), fs)
	require.NoError(t, err)
	return srv, fs
}

func TestRevokeAccessToken(t *testing.T) {
	for _, hint := range []string{"", "access_token", "refresh_token", "something_else"} {
		t.Run("hint="+hint, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			body := redeem(t, srv, st)
			rec := postForm(t, srv, "/oauth/revoke", revokeForm(str(body, "access_token"), hint), basic(confidentialID, confidentialPass))
			assertRevokeOK(t, rec)
			assertActive(t, srv, str(body, "access_token"), false)
			// Only that access token: the refresh token still works.
			next := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
			assertActive(t, srv, str(next, "access_token"), true)
		})
	}
}

func TestRevokeRefreshTokenRevokesGrant(t *testing.T) {
	for _, hint := range []string{"", "refresh_token", "access_token"} {
		t.Run("hint="+hint, func(t *testing.T) {
			srv, st := newTestServer(t, nil)
			first := redeem(t, srv, st)
			second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
			rec := postForm(t, srv, "/oauth/revoke", revokeForm(str(second, "refresh_token"), hint), basic(confidentialID, confidentialPass))
			assertRevokeOK(t, rec)
			assertActive(t, srv, str(first, "access_token"), false)
			assertActive(t, srv, str(second, "access_token"), false)
			rec = postForm(t, srv, "/oauth/token", refreshForm(str(second, "refresh_token")), basic(confidentialID, confidentialPass))
			assertOAuthError(t, rec, 400, "invalid_grant")
		})
	}
}

func TestRevokeClientCredentialsToken(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	body := tokenOK(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)))
	other := tokenOK(t, postForm(t, srv, "/oauth/token", ccForm(), basic(serviceID, servicePass)))
	assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(str(body, "access_token"), ""), basic(serviceID, servicePass)))
	assertActive(t, srv, str(body, "access_token"), false)
	assertActive(t, srv, str(other, "access_token"), true)
}

// NU.ID's revoke sends only the token; a public client identifies itself
// with client_id.
func TestRevokePublicClient(t *testing.T) {
	srv, st := newTestServer(t, nil)
	code := issueCode(t, st, codeSpec{clientID: publicID, redirectURI: testRedirect, challenge: s256(testVerifier)})
	form := codeForm(code, testVerifier)
	form.Set("client_id", publicID)
	body := tokenOK(t, postForm(t, srv, "/oauth/token", form, ""))
	assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", url.Values{"token": {str(body, "access_token")}, "client_id": {publicID}}, ""))
	assertActive(t, srv, str(body, "access_token"), false)
}

func TestRevokeUnknownTokenIs200(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	for _, tok := range []string{"kat_" + randomString(), "krt_" + randomString(), "kac_" + randomString(), "not-a-token", "kat_" + string(make([]byte, 1000)),
		grantToken("kat_", newGrantID()), grantToken("krt_", newGrantID())} {
		assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(tok, ""), basic(confidentialID, confidentialPass)))
	}
}

// Revocation acts on the refresh tokens a grant names exactly, its current
// one and the one its last rotation retired. Any other refresh token of the
// grant, a forged one or one retired longer ago, is an unknown token (200,
// RFC 7009 §2.2) and ends nothing: reuse detection is the token endpoint's.
func TestRevokeRefreshTokensTheGrantNames(t *testing.T) {
	t.Run("a forged token of a live grant ends nothing", func(t *testing.T) {
		srv, st := newTestServer(t, nil)
		body := redeem(t, srv, st)
		forged := str(body, "refresh_token")[:len("krt_")+22+1] + randomString()
		assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(forged, ""), basic(confidentialID, confidentialPass)))
		assertActive(t, srv, str(body, "access_token"), true)
		tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
	})
	t.Run("the token the last rotation retired ends the grant", func(t *testing.T) {
		srv, st := newTestServer(t, nil)
		first := redeem(t, srv, st)
		second := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(first, "refresh_token")), basic(confidentialID, confidentialPass)))
		assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(str(first, "refresh_token"), ""), basic(confidentialID, confidentialPass)))
		assertActive(t, srv, str(second, "access_token"), false)
	})
	t.Run("a token retired two rotations ago is unknown", func(t *testing.T) {
		srv, st := newTestServer(t, nil)
		a := redeem(t, srv, st)
		b := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(a, "refresh_token")), basic(confidentialID, confidentialPass)))
		c := tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(b, "refresh_token")), basic(confidentialID, confidentialPass)))
		assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(str(a, "refresh_token"), ""), basic(confidentialID, confidentialPass)))
		assertActive(t, srv, str(c, "access_token"), true)
	})
}

// A client cannot revoke another client's tokens, and cannot tell that it
// failed (RFC 7009 §2.1, §2.2).
func TestRevokeOtherClientsToken(t *testing.T) {
	srv, st := newTestServer(t, nil)
	body := redeem(t, srv, st)
	for _, tok := range []string{str(body, "access_token"), str(body, "refresh_token")} {
		assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", withPost(revokeForm(tok, "")), ""))
		assertRevokeOK(t, postForm(t, srv, "/oauth/revoke", revokeForm(tok, ""), basic(serviceID, servicePass)))
	}
	assertActive(t, srv, str(body, "access_token"), true)
	tokenOK(t, postForm(t, srv, "/oauth/token", refreshForm(str(body, "refresh_token")), basic(confidentialID, confidentialPass)))
}

func TestRevokeErrors(t *testing.T) {
	srv, st := newTestServer(t, nil)
	body := redeem(t, srv, st)
	tok := str(body, "access_token")
	tests := []struct {
		name   string
		form   url.Values
		authz  string
		status int
		code   string
	}{
		{"a missing token is invalid_request", url.Values{"token_type_hint": {"access_token"}}, basic(confidentialID, confidentialPass), 400, "invalid_request"},
		{"an empty token is invalid_request", url.Values{"token": {""}}, basic(confidentialID, confidentialPass), 400, "invalid_request"},
		{"no client authentication is invalid_client", revokeForm(tok, ""), "", 401, "invalid_client"},
		{"a wrong secret is invalid_client", revokeForm(tok, ""), basic(confidentialID, "wrong-secret-0123456789"), 401, "invalid_client"},
		{"two methods at once is invalid_request", withValue(revokeForm(tok, ""), "client_secret", confidentialPass), basic(confidentialID, confidentialPass), 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := postForm(t, srv, "/oauth/revoke", tc.form, tc.authz)
			assertOAuthError(t, rec, tc.status, tc.code)
			assert.NotContains(t, rec.Body.String(), tok)
		})
	}
	assertActive(t, srv, tok, true)
}

// A store failure is 503, never a 200 that tells the client its token is
// gone (RFC 7009 §2.2.1).
func TestRevokeStoreFailureIs503(t *testing.T) {
	tests := []struct {
		name   string
		method string
		token  func(body map[string]any) string
	}{
		{"access token lookup", "AccessToken", func(b map[string]any) string { return str(b, "access_token") }},
		{"access token delete", "DeleteAccessToken", func(b map[string]any) string { return str(b, "access_token") }},
		{"refresh token lookup", "Grant", func(b map[string]any) string { return str(b, "refresh_token") }},
		{"grant revocation", "RevokeGrant", func(b map[string]any) string { return str(b, "refresh_token") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, fs := newFailingServer(t, tc.method)
			code := issueCode(t, fs, codeSpec{clientID: confidentialID, redirectURI: testRedirect, challenge: s256(testVerifier)})
			body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(confidentialID, confidentialPass)))
			fs.broken.Store(true)
			rec := postForm(t, srv, "/oauth/revoke", revokeForm(tc.token(body), ""), basic(confidentialID, confidentialPass))
			assertOAuthError(t, rec, http.StatusServiceUnavailable, "temporarily_unavailable")
			assert.NotContains(t, rec.Body.String(), "10.0.0.5")
			fs.broken.Store(false)
			assertActive(t, srv, str(body, "access_token"), true)
		})
	}
}
