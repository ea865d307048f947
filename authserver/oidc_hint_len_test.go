package authserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An id_token_hint longer than 8 KiB is refused before it is parsed, with
// the error of a malformed hint, even when the server's own key signed
// it; one just within the bound is read as usual.
func TestIDTokenHintTooLong(t *testing.T) {
	host := &testHost{}
	_, c, _ := newHostOIDCServer(t, host)
	host.signInNow("user-alice")
	hint := func(pad int) string {
		return signHint(t, oidcRSAKey(), "JWT", map[string]any{"iss": testIssuer, "sub": "user-alice", "aud": rpID, "exp": 1, "iat": 1,
			"pad": strings.Repeat("a", pad)})
	}
	// Base64url makes three bytes of padding four characters of hint.
	pad := 5000 + (8<<10-len(hint(5000)))*3/4 - 3
	for len(hint(pad+1)) <= 8<<10 {
		pad++
	}
	within, beyond := hint(pad), hint(pad+1)
	require.LessOrEqual(t, len(within), 8<<10)
	require.Greater(t, len(beyond), 8<<10)

	// Read: its user is signed in, and without an approval prompt=none
	// is consent_required.
	assert.Equal(t, clientError("consent_required", "the user has not approved this request"),
		atClient(t, c.authorize(rpQuery(url.Values{"id_token_hint": {within}, "prompt": {"none"}})), http.StatusFound, testRedirect),
		"a hint of %d bytes", len(within))

	for _, h := range []string{beyond, "eyJ" + strings.Repeat("A", 1<<20) + ".e30.sig"} {
		assert.Equal(t, clientError("invalid_request", "id_token_hint is not an ID Token this server issued to the client"),
			atClient(t, c.authorize(rpQuery(url.Values{"id_token_hint": {h}})), http.StatusFound, testRedirect), "%d bytes", len(h))
	}
}
