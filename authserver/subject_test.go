package authserver_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// pairwiseKey is the test server's OpenID.PairwiseKey.
var pairwiseKey = []byte("pairwise-key-pairwise-key-012345")

// The pairwise test clients: pw-a1 and pw-a2 share the sector of their
// redirect URIs' host, pw-sector names that sector for redirect URIs on
// two hosts, and pw-b names another sector.
const (
	pwSecret        = "pw-s3cret-pw-s3cret"
	pwOtherRedirect = "https://other.example.com/cb"
)

// newPairwiseServer returns newLogoutServer's server with a PairwiseKey
// and the pairwise test clients.
func newPairwiseServer(t *testing.T) (*authserver.Server, *store.Memory, *endSessions) {
	t.Helper()
	srv, st, ends := newLogoutServer(t, func(c *authserver.Config) { c.OpenID.PairwiseKey = pairwiseKey })
	for _, c := range []authserver.Client{
		{ID: "pw-a1", RedirectURIs: []string{testRedirect}},
		{ID: "pw-a2", RedirectURIs: []string{testRedirect, "https://app.example.com/other"}},
		{ID: "pw-sector", RedirectURIs: []string{testRedirect, pwOtherRedirect}, SectorIdentifier: "app.example.com"},
		{ID: "pw-b", RedirectURIs: []string{testRedirect}, SectorIdentifier: "b.example.com"},
	} {
		c.Secret, c.SubjectType, c.Scopes = pwSecret, authserver.SubjectPairwise, rpScopes
		c.GrantTypes, c.PostLogoutRedirectURIs = grants("authorization_code"), []string{rpLogoutURI}
		require.NoError(t, srv.RegisterClient(t.Context(), c))
	}
	return srv, st, ends
}

// wantPairwise is the pairwise sub of local in sector under pairwiseKey,
// computed as Core §8.1 leaves it to the OP: HMAC-SHA-256 of the sector,
// a NUL and the local subject.
func wantPairwise(sector, local string) string {
	mac := hmac.New(sha256.New, pairwiseKey)
	mac.Write([]byte(sector + "\x00" + local))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// pairwiseTokens exchanges a fresh code of clientID for user-alice and
// returns the token response, its ID Token verified by go-oidc.
func pairwiseTokens(t *testing.T, srv *authserver.Server, st store.Store, clientID string) (body map[string]any, sub string) {
	t.Helper()
	code := issueCode(t, st, codeSpec{clientID: clientID, redirectURI: testRedirect, challenge: testChallenge, scopes: []string{"openid", "email"}})
	body = tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(clientID, pwSecret)))
	verifier, ctx := rpVerifier(t, srv, clientID)
	idt, err := verifier.Verify(ctx, str(body, "id_token"))
	require.NoError(t, err)
	return body, idt.Subject
}

// A pairwise client's ID Token and UserInfo carry the sub of its sector:
// stable for a user, the same across a sector's clients (by redirect host
// or by SectorIdentifier), different across sectors; introspection keeps
// the local subject.
func TestPairwiseSubject(t *testing.T) {
	srv, st, _ := newPairwiseServer(t)
	sectorApp, sectorB := wantPairwise("app.example.com", "user-alice"), wantPairwise("b.example.com", "user-alice")
	for _, tc := range []struct{ client, want string }{
		{"pw-a1", sectorApp}, {"pw-a1", sectorApp}, {"pw-a2", sectorApp}, {"pw-sector", sectorApp}, {"pw-b", sectorB},
	} {
		body, sub := pairwiseTokens(t, srv, st, tc.client)
		assert.Equal(t, tc.want, sub, tc.client)
		rec := serve(srv, bearerGet(t, "/oauth/userinfo", str(body, "access_token")))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, map[string]any{"sub": tc.want, "email": "alice@example.com", "email_verified": true}, decodeJSON(t, rec), tc.client)
		rec = postForm(t, srv, "/oauth/introspect", introspectForm(str(body, "access_token")), basic(tc.client, pwSecret))
		intro := decodeJSON(t, rec)
		assert.Equal(t, true, intro["active"])
		assert.Equal(t, "user-alice", intro["sub"], tc.client)
	}
	assert.NotEqual(t, sectorApp, sectorB)
	// A public client still sees the local subject.
	_, sub := pairwiseTokens(t, srv, st, publicPairwiseControl(t, srv))
	assert.Equal(t, "user-alice", sub)
	// Another user has another pairwise sub in the same sector.
	code := issueCode(t, st, codeSpec{clientID: "pw-a1", redirectURI: testRedirect, challenge: testChallenge, subject: "user-bob", scopes: []string{"openid"}})
	body := tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic("pw-a1", pwSecret)))
	verifier, ctx := rpVerifier(t, srv, "pw-a1")
	idt, err := verifier.Verify(ctx, str(body, "id_token"))
	require.NoError(t, err)
	assert.Equal(t, wantPairwise("app.example.com", "user-bob"), idt.Subject)
}

// publicPairwiseControl registers a public-subject client beside the
// pairwise ones and returns its ID.
func publicPairwiseControl(t *testing.T, srv *authserver.Server) string {
	t.Helper()
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "pw-public", Secret: pwSecret, RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code"), Scopes: rpScopes, SubjectType: authserver.SubjectPublic}))
	return "pw-public"
}

// Discovery offers pairwise only with a PairwiseKey.
func TestPairwiseDiscovery(t *testing.T) {
	srv, _, _ := newPairwiseServer(t)
	assert.Equal(t, []any{"public", "pairwise"}, getMetadata(t, srv, "/.well-known/openid-configuration")["subject_types_supported"])
	plain, _, _ := newOIDCServer(t, nil)
	assert.Equal(t, []any{"public"}, getMetadata(t, plain, "/.well-known/openid-configuration")["subject_types_supported"])
}

// The logout endpoint compares a pairwise hint with the pairwise sub of the
// signed-in user: alice's hint signs alice out at once, and asks bob.
func TestPairwiseLogoutHint(t *testing.T) {
	srv, st, ends := newPairwiseServer(t)
	_, sub := pairwiseTokens(t, srv, st, "pw-a1")
	body, _ := pairwiseTokens(t, srv, st, "pw-a1")
	hint := str(body, "id_token")
	require.Equal(t, wantPairwise("app.example.com", "user-alice"), sub)

	b := newRPBrowser(t, srv)
	b.signIn("user-bob")
	params := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {rpLogoutURI}}
	resp, page := b.do(http.MethodGet, logoutPath(params), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, logoutMark)
	assert.Empty(t, ends.calls)

	b.signIn("user-alice")
	resp, page = b.do(http.MethodGet, logoutPath(params), nil)
	assertSignedOutAt(t, resp, page, http.StatusFound, "")
	assert.Equal(t, []string{"user-alice"}, ends.subjects())

	// A hint with alice's local subject is not a sub pw-a1 knows her by.
	b.signIn("user-alice")
	local := hintClaims("user-alice")
	local["aud"] = "pw-a1"
	resp, page = b.do(http.MethodGet, logoutPath(url.Values{"id_token_hint": {mintIDToken(t, oidcRSAKey(), local)}}), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	assert.Contains(t, page, logoutMark)
	assert.Len(t, ends.calls, 1)
}

// RegisterClient refuses a pairwise client that cannot get a sector or a
// key, naming the field.
func TestPairwiseRegistration(t *testing.T) {
	srv, _, _ := newPairwiseServer(t)
	plain, _, _ := newOIDCServer(t, nil)
	base := func(mutate func(*authserver.Client)) authserver.Client {
		c := authserver.Client{ID: "pw-x", Secret: pwSecret, RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code"),
			SubjectType: authserver.SubjectPairwise}
		mutate(&c)
		return c
	}
	cases := []struct {
		name   string
		srv    *authserver.Server
		client authserver.Client
		field  string
		want   string
	}{
		{"no key", plain, base(func(*authserver.Client) {}), "SubjectType", "pairwise needs Config.OpenID.PairwiseKey"},
		{"redirect URIs on two hosts", srv, base(func(c *authserver.Client) { c.RedirectURIs = append(c.RedirectURIs, pwOtherRedirect) }),
			"SectorIdentifier", "is required for a pairwise client whose redirect URIs span several hosts (OpenID Connect Core §8.1)"},
		{"a loopback redirect URI", srv, base(func(c *authserver.Client) {
			c.ApplicationType, c.RedirectURIs = authserver.ApplicationNative, []string{"http://127.0.0.1/cb"}
		}), "SectorIdentifier", "is required for a pairwise client with a loopback or host-less redirect URI: such URIs name no sector of the client's own (OpenID Connect Core §8.1)"},
		{"a private-use scheme redirect URI", srv, base(func(c *authserver.Client) {
			c.ApplicationType, c.RedirectURIs = authserver.ApplicationNative, []string{"com.example.app:/callback"}
		}), "SectorIdentifier", "is required for a pairwise client with a loopback or host-less redirect URI: such URIs name no sector of the client's own (OpenID Connect Core §8.1)"},
		{"no redirect URIs", srv, base(func(c *authserver.Client) { c.RedirectURIs, c.GrantTypes = nil, nil }),
			"SectorIdentifier", "is required for a pairwise client without redirect URIs: there is no host to derive sub for (OpenID Connect Core §8.1)"},
		{"a sector that is a URL", srv, base(func(c *authserver.Client) { c.SectorIdentifier = "https://app.example.com/" }),
			"SectorIdentifier", `"https://app.example.com/" must be a host name in lower case, without scheme, port or path`},
		{"a sector with a public subject", srv, base(func(c *authserver.Client) { c.SubjectType, c.SectorIdentifier = "", "app.example.com" }),
			"SectorIdentifier", "is set but SubjectType is not pairwise"},
		{"an unknown subject type", srv, base(func(c *authserver.Client) { c.SubjectType = "secret" }),
			"SubjectType", `must be public or pairwise, not "secret"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.srv.RegisterClient(t.Context(), tc.client)
			var fe *authserver.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, &authserver.FieldError{Client: "pw-x", Field: tc.field, Problem: tc.want}, fe)
		})
	}
}

// A pairwise record the server has no key for (stored by another
// instance, say) gets no ID Token and no UserInfo with the local subject:
// both fail with server_error.
func TestPairwiseRecordWithoutKeyFailsClosed(t *testing.T) {
	srv, st, _ := newOIDCServer(t, nil)
	token := rpAccessToken(t, srv, st, "openid")
	rec, err := st.Client(t.Context(), rpID)
	require.NoError(t, err)
	rec.SubjectType = "pairwise"
	require.NoError(t, st.SaveClient(t.Context(), rec))
	assertOAuthError(t, serve(srv, bearerGet(t, "/oauth/userinfo", token)), http.StatusInternalServerError, "server_error")
	code := issueCode(t, st, codeSpec{clientID: rpID, redirectURI: testRedirect, challenge: testChallenge, scopes: []string{"openid"}})
	got := postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(rpID, rpSecret))
	assertOAuthError(t, got, http.StatusInternalServerError, "server_error")
}

// An id_token_hint of a pairwise client names the user by the client's
// own sub: the signed-in user it names may answer, another is sent to sign
// in again, and the host's login page is not given the pairwise value.
func TestPairwiseIDTokenHintAtAuthorization(t *testing.T) {
	host := &testHost{}
	srv, _, _ := newOIDCServer(t, func(c *authserver.Config) {
		c.Browser.Session = host.session
		c.OpenID.PairwiseKey = pairwiseKey
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: "pw-a1", Secret: pwSecret,
		SubjectType: authserver.SubjectPairwise, Scopes: rpScopes, RedirectURIs: []string{testRedirect},
		GrantTypes: grants("authorization_code")}))
	c := newInproc(t, srv)
	claims := hintClaims(wantPairwise("app.example.com", "user-alice"))
	claims["aud"], claims["azp"] = "pw-a1", "pw-a1"
	query := authorizeQuery(url.Values{"client_id": {"pw-a1"}, "scope": {"openid"}, "nonce": {"n-1"},
		"id_token_hint": {mintIDToken(t, oidcRSAKey(), claims)}})

	host.signInNow("user-alice")
	rec := c.authorize(query)
	require.Equal(t, http.StatusOK, rec.Code, "the hint's user is signed in: the consent page, %s", rec.Header().Get("Location"))

	host.signInNow("user-bob")
	assert.Equal(t, url.Values{"prompt": {"login"}}, withoutReturn(loginPage(t, c.authorize(query))))

	// Alice's local subject is not what pw-a1 knows her by.
	host.signInNow("user-alice")
	local := hintClaims("user-alice")
	local["aud"], local["azp"] = "pw-a1", "pw-a1"
	query = authorizeQuery(url.Values{"client_id": {"pw-a1"}, "scope": {"openid"}, "nonce": {"n-1"},
		"id_token_hint": {mintIDToken(t, oidcRSAKey(), local)}})
	assert.Equal(t, url.Values{"prompt": {"login"}}, withoutReturn(loginPage(t, c.authorize(query))))
}
