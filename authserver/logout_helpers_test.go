package authserver_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/store"
)

// The logout fixtures: rp's registered post_logout_redirect_uri, and the
// built-in pages' marks.
const (
	rpLogoutURI   = "https://app.example.com/signed-out"
	signedOutMark = `<h1 id="signed-out">Signed out</h1>`
	logoutMark    = `<button type="submit" id="logout">Sign out</button>`
)

// endSessions records the calls of the host's OpenID.EndSession, which
// clears the test session's "user" cookie.
type endSessions struct {
	mu    sync.Mutex
	calls []authserver.Session
	err   error
}

func (e *endSessions) end(w http.ResponseWriter, _ *http.Request, s authserver.Session) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	e.calls = append(e.calls, s)
	http.SetCookie(w, &http.Cookie{Name: "user", Value: "", Path: "/", MaxAge: -1})
	return nil
}

func (e *endSessions) subjects() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, s := range e.calls {
		out = append(out, s.Subject)
	}
	return out
}

// newLogoutServer returns newOIDCServer's server with the end_session
// endpoint on, and rp registered with rpLogoutURI.
func newLogoutServer(t *testing.T, mutate func(*authserver.Config)) (*authserver.Server, *store.Memory, *endSessions) {
	t.Helper()
	ends := &endSessions{}
	srv, st, _ := newOIDCServer(t, func(c *authserver.Config) {
		c.OpenID.EndSession = ends.end
		if mutate != nil {
			mutate(c)
		}
	})
	require.NoError(t, srv.RegisterClient(t.Context(), authserver.Client{ID: rpID, Secret: rpSecret, Name: "Relying Party",
		RedirectURIs: []string{testRedirect}, GrantTypes: grants("authorization_code", "refresh_token"), Scopes: rpScopes,
		PostLogoutRedirectURIs: []string{rpLogoutURI}}))
	return srv, st, ends
}

// idTokenOf signs user-alice in to rp through b and returns the ID Token
// of the code exchange.
func idTokenOf(t *testing.T, srv http.Handler, b *browser) string {
	t.Helper()
	tok := str(exchange(t, srv, signIn(t, b, nil)), "id_token")
	require.NotEmpty(t, tok)
	return tok
}

// mintIDToken signs claims as an ID Token with key: the header names the
// key and the type JWT, as the server's own ID Tokens do.
func mintIDToken(t *testing.T, key jose.JSONWebKey, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), key.KeyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(key.Algorithm), Key: key.Key}, opts)
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	sig, err := signer.Sign(payload)
	require.NoError(t, err)
	out, err := sig.CompactSerialize()
	require.NoError(t, err)
	return out
}

// hintClaims are the claims of an ID Token of rp for sub, which expired
// in 2020.
func hintClaims(sub string) map[string]any {
	return map[string]any{"iss": testIssuer, "sub": sub, "aud": rpID, "azp": rpID, "iat": 1577836800, "exp": 1577840400}
}

var logoutHiddenRe = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// logoutForm extracts the hidden fields of a logout page.
func logoutForm(t *testing.T, page string) url.Values {
	t.Helper()
	f := url.Values{}
	for _, m := range logoutHiddenRe.FindAllStringSubmatch(page, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	require.NotEmpty(t, f.Get("csrf_token"), page)
	return f
}

// logoutPath is the end_session endpoint with params in its query.
func logoutPath(params url.Values) string {
	return "/oauth/logout?" + params.Encode()
}
