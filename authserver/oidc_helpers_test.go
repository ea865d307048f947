package authserver_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// The OpenID Connect fixtures: a relying party "rp" of a server that signs
// ID Tokens with one RSA key, and the claims its host knows about alice.
const (
	rpID     = "rp"
	rpSecret = "rp-s3cret-rp-s3cret"
)

// rpScopes are the scopes rp registers.
var rpScopes = []string{"openid", "offline_access", "profile", "email", "address", "phone", "basic_info"}

// oidcRSAKey is the RS256 key of the OpenID tests, generated once: a
// 2048-bit RSA key takes long enough to make every test pay for its own.
var oidcRSAKey = sync.OnceValue(func() jose.JSONWebKey {
	k, err := authserver.GenerateSigningKey(jose.RS256)
	if err != nil {
		panic(err)
	}
	return k
})

// aliceClaims are the claims the test host has for user-alice: some of
// profile's, both of email's, address, and phone_number without
// phone_number_verified.
func aliceClaims() map[string]any {
	return map[string]any{
		"name": "Alice Liddell", "nickname": "alice", "email": "alice@example.com", "email_verified": true,
		"phone_number": "+62 812 0000 0001", "address": map[string]any{"country": "ID", "locality": "Jakarta"},
		"tenant": "never released",
	}
}

// claimsCall records the calls of the test host's claims callback.
type claimsCall struct {
	mu    sync.Mutex
	calls [][]string
	err   error
}

func (c *claimsCall) claims(_ context.Context, subject string, names []string) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, append([]string{subject}, names...))
	if c.err != nil {
		return nil, c.err
	}
	if subject != "user-alice" {
		return nil, errors.New("unknown user")
	}
	return aliceClaims(), nil
}

func (c *claimsCall) last() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.calls) == 0 {
		return nil
	}
	return c.calls[len(c.calls)-1]
}

// oidcSession is the host session of the OpenID tests: the "user" cookie,
// signed in at testAuthTime with an ACR, AMR and a session ID.
func oidcSession(r *http.Request) (authserver.Session, bool) {
	c, err := r.Cookie("user")
	if err != nil {
		return authserver.Session{}, false
	}
	return authserver.Session{Subject: c.Value, AuthTime: testAuthTime, ACR: "urn:kunci:loa:2", AMR: []string{"pwd", "otp"}, ID: "sid-7"}, true
}

// newOIDCServer returns a server with OpenID Connect on, on a fresh memory
// store, with the standard test clients and rp registered. mutate, if not
// nil, adjusts the config first.
func newOIDCServer(t *testing.T, mutate func(*authserver.Config)) (*authserver.Server, *store.Memory, *claimsCall) {
	t.Helper()
	host := &claimsCall{}
	srv, st := newTestServer(t, func(c *authserver.Config) {
		c.OpenID = authserver.OpenID{Enabled: true, Claims: host.claims}
		c.JWT.SigningKeys = []jose.JSONWebKey{oidcRSAKey()}
		c.Browser.Session = oidcSession
		c.Scopes = append(c.Scopes,
			authserver.Scope{Name: "profile", Description: "Read your profile"},
			authserver.Scope{Name: "email", Description: "Read your email address"},
			authserver.Scope{Name: "address", Description: "Read your address"})
		for i := range c.Scopes {
			if c.Scopes[i].Name == "basic_info" {
				c.Scopes[i].Claims = []string{"name", "email"}
			}
		}
		if mutate != nil {
			mutate(c)
		}
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: rpID, Secret: rpSecret, Name: "Relying Party",
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"), Scopes: rpScopes}))
	return srv, st, host
}

// signIn runs an authorization request with extra parameters for rp as
// user-alice through the browser b, approves every scope on the consent
// page (unless the user's approval is remembered), and returns the code.
func signIn(t *testing.T, b *browser, extra url.Values) string {
	t.Helper()
	resp, page := b.do(http.MethodGet, "/oauth/authorize?"+rpQuery(extra), nil)
	if resp.StatusCode == http.StatusFound {
		code := location(t, resp).Query().Get("code")
		require.NotEmpty(t, code, resp.Header.Get("Location"))
		return code
	}
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	form := consentForm(t, page)
	form.Set("decision", "approve")
	q, err := url.ParseQuery(rpQuery(extra))
	require.NoError(t, err)
	form["scope"] = strings.Fields(q.Get("scope"))
	resp, _ = b.do(http.MethodPost, "/oauth/consent", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	code := location(t, resp).Query().Get("code")
	require.NotEmpty(t, code, resp.Header.Get("Location"))
	return code
}

// rpQuery is an OpenID Connect authorization request of rp, with extra
// parameters set (or, when nil, removed).
func rpQuery(extra url.Values) string {
	base := url.Values{"client_id": {rpID}, "scope": {"openid"}, "nonce": {"n-0S6_WzA2Mj"}}
	for k, v := range extra {
		base[k] = v
	}
	return authorizeQuery(base)
}

// newRPBrowser returns a browser signed in as user-alice.
func newRPBrowser(t *testing.T, srv http.Handler) *browser {
	t.Helper()
	b := newBrowser(t, srv)
	b.signIn("user-alice")
	return b
}

// exchange redeems an authorization code of rp and returns the token
// response.
func exchange(t *testing.T, srv http.Handler, code string) map[string]any {
	t.Helper()
	return tokenOK(t, postForm(t, srv, "/oauth/token", codeForm(code, testVerifier), basic(rpID, rpSecret)))
}

// handlerTransport serves every request with h in process, so that a
// relying-party library reaches the server at its real issuer URL.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// rpVerifier discovers the server with go-oidc, as a relying party does
// (OpenID Connect Discovery §4), and returns its ID Token verifier for
// clientID, with the context that reaches the server.
func rpVerifier(t *testing.T, srv http.Handler, clientID string) (*oidc.IDTokenVerifier, context.Context) {
	t.Helper()
	ctx := oidc.ClientContext(t.Context(), &http.Client{Transport: handlerTransport{srv}})
	provider, err := oidc.NewProvider(ctx, testIssuer)
	require.NoError(t, err)
	return provider.Verifier(&oidc.Config{ClientID: clientID}), ctx
}
