package demo_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/example/internal/demo"
)

// TestFAPIClientRoundTripsAndRegisters: the FAPI-style client written as
// a clients file parses back to itself (jwks inline) and registers with
// the server; its jwks holds the public half of the key only.
func TestFAPIClientRoundTripsAndRegisters(t *testing.T) {
	const base = "http://127.0.0.1:8080"
	key, err := demo.NewClientKey()
	require.NoError(t, err)
	client, err := demo.FAPIClient(base, key)
	require.NoError(t, err)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(client.JWKS, &set))
	require.Len(t, set.Keys, 1)
	assert.True(t, set.Keys[0].IsPublic(), "no private key in jwks")
	assert.Equal(t, key.KeyID, set.Keys[0].KeyID)
	assert.NotContains(t, string(client.JWKS), `"d"`)

	want := demo.DefaultData(base)
	want.Clients = append(want.Clients, client)
	b, err := json.Marshal(want)
	require.NoError(t, err)
	got, err := demo.ParseData(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, want, got)

	app, err := demo.New(t.Context(), demo.Config{Issuer: base, Data: &got})
	require.NoError(t, err)
	assert.NoError(t, app.Close())

	_, err = demo.FAPIClient(base, key.Public())
	assert.EqualError(t, err, "demo: FAPI client: the key must be a valid private key")
}

func TestNewRefusesAShortPairwiseKey(t *testing.T) {
	_, err := demo.New(t.Context(), demo.Config{Issuer: "http://127.0.0.1:8080", PairwiseKey: make([]byte, 31)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OpenID.PairwiseKey: must be at least 32 bytes")
}

func TestReadClientKey(t *testing.T) {
	dir := t.TempDir()
	key, err := demo.NewClientKey()
	require.NoError(t, err)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	var buf bytes.Buffer
	require.NoError(t, demo.WriteClientKey(&buf, key))
	good := write("good.json", buf.String())
	got, err := demo.ReadClientKey(good)
	require.NoError(t, err)
	assert.Equal(t, key.KeyID, got.KeyID)
	assert.Equal(t, "ES256", got.Algorithm)

	var noAlg jose.JSONWebKey = key
	noAlg.Algorithm = ""
	b, err := json.Marshal(noAlg)
	require.NoError(t, err)
	cases := map[string]struct{ path, want string }{
		"not JSON":  {write("bad.json", "{"), "demo: client key: " + dir + "/bad.json: unexpected end of JSON input"},
		"no alg":    {write("noalg.json", string(b)), "demo: client key: " + dir + "/noalg.json names no alg"},
		"too large": {write("big.json", strings.Repeat(" ", 64<<10+1)), "demo: client key: " + dir + "/big.json is larger than 64 KiB"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := demo.ReadClientKey(tc.path)
			assert.EqualError(t, err, tc.want)
		})
	}
}

// TestWalkthroughFAPISection: the PAR + PKCE + private_key_jwt section
// names the key file and the assertion helper, and its curl commands send
// exactly the pushed request and the code exchange, each authenticated
// by the assertion in $A (RFC 7523 §2.2).
func TestWalkthroughFAPISection(t *testing.T) {
	const base = "http://127.0.0.1:8080"
	key, err := demo.NewClientKey()
	require.NoError(t, err)
	client, err := demo.FAPIClient(base, key)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, demo.WriteWalkthrough(&out, base, demo.Data{Clients: []demo.ClientSpec{client}}, "/tmp/my key.json"))
	_, section, ok := strings.Cut(out.String(), "== PAR + PKCE + private_key_jwt (fapi-client) ==\n")
	require.True(t, ok, out.String())
	section, _, _ = strings.Cut(section, "\n== ")
	assert.Contains(t, section, "   A=$(go run ./example/cmd/clientassertion -key '/tmp/my key.json' -client fapi-client -aud http://127.0.0.1:8080)\n")
	assert.Contains(t, section, "   http://127.0.0.1:8080/oauth/authorize?client_id=fapi-client&request_uri=REQUEST_URI\n")

	cmds := curlRe.FindAllString(section, -1)
	require.Len(t, cmds, 3, section)
	auth := url.Values{"client_id": {"fapi-client"}, "client_assertion_type": {demo.ClientAssertionType}, "client_assertion": {"ASSERTION"}}
	par := formSent(t, "A=ASSERTION\n"+cmds[0])
	challenge := par.Get("code_challenge")
	assert.Len(t, challenge, 43)
	assert.Equal(t, withAll(auth, url.Values{
		"response_type": {"code"}, "redirect_uri": {base + "/callback"}, "scope": {"openid basic_info"},
		"state": {"fapi-state"}, "nonce": {"fapi-nonce"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}), par)
	assert.Contains(t, cmds[0], "curl -s http://127.0.0.1:8080/oauth/par ")

	token := formSent(t, "A=ASSERTION\n"+cmds[1])
	assert.Len(t, token.Get("code_verifier"), 52)
	assert.Equal(t, withAll(auth, url.Values{
		"grant_type": {"authorization_code"}, "code": {"CODE"}, "redirect_uri": {base + "/callback"},
		"code_verifier": {token.Get("code_verifier")},
	}), token)
	assert.Contains(t, cmds[1], "curl -s http://127.0.0.1:8080/oauth/token ")
	assert.Contains(t, section, "Its ID Token's sub is pairwise")
	assert.Contains(t, cmds[1], `-H "DPoP: $P"`)
	assert.Contains(t, section, "   P=$(go run ./example/cmd/dpopproof -key '/tmp/my key.json' -htm POST -htu http://127.0.0.1:8080/oauth/token)\n")
	assert.Contains(t, section, "   P=$(go run ./example/cmd/dpopproof -key '/tmp/my key.json' -htm GET -htu http://127.0.0.1:8080/api/me -ath ACCESS_TOKEN)\n")
	assert.Equal(t, `   curl -s http://127.0.0.1:8080/api/me -H "Authorization: DPoP ACCESS_TOKEN" -H "DPoP: $P"`, cmds[2])

	// A clients file's private_key_jwt client has no key file to name.
	out.Reset()
	require.NoError(t, demo.WriteWalkthrough(&out, base, demo.Data{Clients: []demo.ClientSpec{client}}, ""))
	assert.Contains(t, out.String(), "   A=$(go run ./example/cmd/clientassertion -key KEY_FILE -client fapi-client -aud http://127.0.0.1:8080)\n")
}

// TestWalkthroughLogoutStep: the OpenID Connect section of a client with
// post_logout_redirect_uris ends with the end_session_endpoint request.
func TestWalkthroughLogoutStep(t *testing.T) {
	const base = "http://127.0.0.1:8080"
	var out bytes.Buffer
	require.NoError(t, demo.WriteWalkthrough(&out, base, demo.DefaultData(base), ""))
	assert.Contains(t, out.String(), "4. Sign out (RP-Initiated Logout 1.0): open, with the id_token of step 2,\n"+
		"   http://127.0.0.1:8080/oauth/logout?id_token_hint=ID_TOKEN&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fsigned-out&state=demo-logout\n")
}

func withAll(a, b url.Values) url.Values {
	out := url.Values{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
