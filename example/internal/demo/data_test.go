package demo_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
	"github.com/kunci/kunci/example/internal/demo"
)

func TestParseDataRoundTripsDefaultData(t *testing.T) {
	want := demo.DefaultData("http://127.0.0.1:8080")
	b, err := json.Marshal(want)
	require.NoError(t, err)
	got, err := demo.ParseData(strings.NewReader(string(b) + "\n\t \n"))
	require.NoError(t, err, "trailing white space is fine")
	assert.Equal(t, want, got)
}

func TestParseDataRejectsMalformedFiles(t *testing.T) {
	const user = `{"username":"u","password":"p","name":"N","email":"e@x"}`
	cases := []struct {
		name string
		json string
		want string
	}{
		{"not JSON", `clients:`, "demo: clients file: invalid character 'c' looking for beginning of value"},
		{"an unknown top-level field", `{"clients":[],"groups":[]}`, `demo: clients file: json: unknown field "groups"`},
		{"an unknown client field", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"redirect_uri":"x"}]}`,
			`demo: clients file: json: unknown field "redirect_uri"`},
		{"a wrong type", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":"password"}]}`,
			"demo: clients file: json: cannot unmarshal string into Go struct field ClientSpec.clients.grant_types of type []string"},
		{"trailing data", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}]} {}`,
			"demo: clients file: unexpected data after the JSON object"},
		{"a stray closing brace", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}]}}`,
			"demo: clients file: unexpected data after the JSON object"},
		{"stray closers and garbage", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}]}]]]}garbage`,
			"demo: clients file: unexpected data after the JSON object"},
		{"a stray closing bracket", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}]}` + "\n]\n",
			"demo: clients file: unexpected data after the JSON object"},
		{"a duplicate top-level key", `{"clients":[],"clients":[{"client_id":"a","grant_types":["password"]}]}`,
			`demo: clients file: duplicate key "clients"`},
		{"a duplicate client key", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"client_id":"b"}]}`,
			`demo: clients file: duplicate key "client_id"`},
		{"a duplicate key differing in case", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"Client_ID":"b"}]}`,
			`demo: clients file: duplicate key "Client_ID"`},
		{"a duplicate user key", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}],"users":[{"username":"u","password":"p","name":"N","email":"e@x","password":"q"}]}`,
			`demo: clients file: duplicate key "password"`},
		{"no clients", `{"users":[` + user + `]}`, "demo: clients file: no clients"},
		{"a missing client_id", `{"clients":[{"token_endpoint_auth_method":"none","grant_types":["password"]}]}`, "demo: clients file: clients[0]: missing client_id"},
		{"missing grant_types", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a"}]}`, "demo: clients file: clients[0]: missing grant_types"},
		{"a duplicate client_id", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]},{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}]}`,
			`demo: clients file: clients[1]: duplicate client_id "a"`},
		{"a secret method without a secret", `{"clients":[{"client_id":"a","grant_types":["password"],"token_endpoint_auth_method":"client_secret_post"}]}`,
			"demo: clients file: clients[0]: missing client_secret (token_endpoint_auth_method client_secret_post; a public client says none)"},
		{"no secret and no auth method", `{"clients":[{"client_id":"a","grant_types":["password"]}]}`,
			"demo: clients file: clients[0]: missing client_secret (token_endpoint_auth_method client_secret_basic; a public client says none)"},
		{"an unknown auth method", `{"clients":[{"client_id":"a","grant_types":["password"],"token_endpoint_auth_method":"client_secret_jwt"}]}`,
			`demo: clients file: clients[0]: unknown token_endpoint_auth_method "client_secret_jwt"`},
		{"private_key_jwt without keys", `{"clients":[{"client_id":"a","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt"}]}`,
			"demo: clients file: clients[0]: missing jwks or jwks_uri (token_endpoint_auth_method private_key_jwt)"},
		{"private_key_jwt with a secret", `{"clients":[{"client_id":"a","client_secret":"long-enough-secret-0123","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks_uri":"https://a/jwks"}]}`,
			"demo: clients file: clients[0]: client_secret is not used with token_endpoint_auth_method private_key_jwt"},
		{"jwks that is not an object", `{"clients":[{"client_id":"a","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":[{"kty":"EC"}]}]}`,
			"demo: clients file: clients[0]: jwks must be a JSON object (a JWK Set, RFC 7517 §5)"},
		{"jwks null", `{"clients":[{"client_id":"a","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":null}]}`,
			"demo: clients file: clients[0]: jwks must be a JSON object (a JWK Set, RFC 7517 §5)"},
		{"jwks and jwks_uri", `{"clients":[{"client_id":"a","grant_types":["client_credentials"],"token_endpoint_auth_method":"private_key_jwt","jwks":{"keys":[]},"jwks_uri":"https://a/jwks"}]}`,
			"demo: clients file: clients[0]: jwks and jwks_uri are both set; RFC 7591 §2 allows one"},
		{"jwks_uri without private_key_jwt", `{"clients":[{"client_id":"a","client_secret":"long-enough-secret-0123","grant_types":["client_credentials"],"jwks_uri":"https://a/jwks"}]}`,
			"demo: clients file: clients[0]: jwks and jwks_uri need token_endpoint_auth_method private_key_jwt"},
		{"a signing alg without private_key_jwt", `{"clients":[{"client_id":"a","client_secret":"long-enough-secret-0123","grant_types":["client_credentials"],"token_endpoint_auth_signing_alg":"ES256"}]}`,
			"demo: clients file: clients[0]: token_endpoint_auth_signing_alg needs token_endpoint_auth_method private_key_jwt"},
		{"an unknown subject_type", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"subject_type":"Pairwise"}]}`,
			`demo: clients file: clients[0]: unknown subject_type "Pairwise" (public or pairwise)`},
		{"a sector without pairwise", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"subject_type":"public","sector_identifier":"example.com"}]}`,
			"demo: clients file: clients[0]: sector_identifier needs subject_type pairwise"},
		{"a sector_identifier_uri", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"subject_type":"pairwise","sector_identifier_uri":"https://a/sector.json"}]}`,
			"demo: clients file: clients[0]: sector_identifier_uri is not supported (the server does not fetch it); name the sector's host in sector_identifier"},
		{"require_pushed_authorization_requests not a boolean", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"require_pushed_authorization_requests":"true"}]}`,
			"demo: clients file: json: cannot unmarshal string into Go struct field ClientSpec.clients.require_pushed_authorization_requests of type bool"},
		{"post_logout_redirect_uris not a list", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"post_logout_redirect_uris":"https://a/out"}]}`,
			"demo: clients file: json: cannot unmarshal string into Go struct field ClientSpec.clients.post_logout_redirect_uris of type []string"},
		{"an unknown response type", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["authorization_code"],"response_types":["id_token"],"redirect_uris":["https://a/cb"]}]}`,
			`demo: clients file: clients[0]: unsupported response_type "id_token" (code, token, code id_token, code token, code id_token token)`},
		{"a hybrid response type spelled in another order", `{"clients":[{"client_id":"a","client_secret":"0123456789abcdef","grant_types":["authorization_code"],"response_types":["id_token code"],"scope":"openid","redirect_uris":["https://a/cb"]}]}`,
			`demo: clients file: clients[0]: unsupported response_type "id_token code" (code, token, code id_token, code token, code id_token token)`},
		{"a hybrid response type without the code grant", `{"clients":[{"client_id":"a","client_secret":"0123456789abcdef","grant_types":["implicit"],"response_types":["code id_token"],"scope":"openid","redirect_uris":["https://a/cb"]}]}`,
			"demo: clients file: clients[0]: response_type code id_token needs grant_type authorization_code"},
		{"a hybrid response type without scope openid", `{"clients":[{"client_id":"a","client_secret":"0123456789abcdef","grant_types":["authorization_code"],"response_types":["code id_token"],"scope":"basic_info","redirect_uris":["https://a/cb"]}]}`,
			"demo: clients file: clients[0]: response_type code id_token needs scope openid (OpenID Connect Core §3.3)"},
		{"dpop_bound_access_tokens that is not a boolean", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"dpop_bound_access_tokens":"yes"}]}`,
			"demo: clients file: json: cannot unmarshal string into Go struct field ClientSpec.clients.dpop_bound_access_tokens of type bool"},
		{"response type code without the grant", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"response_types":["code"],"redirect_uris":["https://a/cb"]}]}`,
			"demo: clients file: clients[0]: response_type code needs grant_type authorization_code"},
		{"code without redirect_uris", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["authorization_code"]}]}`,
			"demo: clients file: clients[0]: missing redirect_uris"},
		{"implicit without redirect_uris", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["refresh_token"],"response_types":["token"]}]}`,
			"demo: clients file: clients[0]: missing redirect_uris"},
		{"a user without fields", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}],"users":[{"username":"u","phone":"1"}]}`,
			"demo: clients file: users[0]: missing password\ndemo: clients file: users[0]: missing name\ndemo: clients file: users[0]: missing email"},
		{"a duplicate username", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}],"users":[` + user + `,` + user + `]}`,
			`demo: clients file: users[1]: duplicate username "u"`},
		// Registration metadata the demo does not take yet is an unknown
		// field, never silently ignored.
		{"a registration field the demo does not take", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"software_id":"x"}]}`,
			`demo: clients file: json: unknown field "software_id"`},
		{"an unknown user field", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}],"users":[{"username":"u","password":"p","name":"N","email":"e@x","given_name":"G"}]}`,
			`demo: clients file: json: unknown field "given_name"`},
		{"a negative default_max_age", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"default_max_age":-1}]}`,
			"demo: clients file: clients[0]: default_max_age -1 is not between 0 and 9223372036 seconds"},
		{"a default_max_age too large for a duration", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"],"default_max_age":9223372037}]}`,
			"demo: clients file: clients[0]: default_max_age 9223372037 is not between 0 and 9223372036 seconds"},
		{"a user's claims setting sub and email", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}],"users":[{"username":"u","password":"p","name":"N","email":"e@x","claims":{"sub":"admin","email":"x@y"}}]}`,
			"demo: clients file: users[0]: claims may not set sub\ndemo: clients file: users[0]: claims may not set email"},
		{"a duplicate key inside a user's claims", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"a","grant_types":["password"]}],"users":[{"username":"u","password":"p","name":"N","email":"e@x","claims":{"address":{"country":"ID","country":"MY"}}}]}`,
			`demo: clients file: duplicate key "country"`},
		{"too large", `{"clients":[{"token_endpoint_auth_method":"none","client_id":"` + strings.Repeat("a", 1<<20) + `"}]}`, "demo: clients file: larger than 1 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := demo.ParseData(strings.NewReader(tc.json))
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestClientSpecMapsRFC7591Metadata(t *testing.T) {
	spec := demo.ClientSpec{
		ClientID: "spa", ClientName: "SPA", RedirectURIs: []string{"https://spa.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code", "token"},
		Scope: "basic_info  phone", LoginURI: "https://spa.example/login",
		Resources: []string{"https://api.example/"}, TokenEndpointAuthMethod: "none", ApplicationType: "native",
	}
	assert.Equal(t, authserver.Client{
		ID: "spa", Name: "SPA", RedirectURIs: []string{"https://spa.example/cb"},
		AuthMethod: authserver.AuthMethodNone, ApplicationType: authserver.ApplicationNative,
		LoginURIs:     []string{"https://spa.example/login"},
		GrantTypes:    []authserver.GrantType{"authorization_code", "refresh_token", "implicit"},
		ResponseTypes: []authserver.ResponseType{"code", "token"},
		Scopes:        []string{"basic_info", "phone"},
		Resources:     []string{"https://api.example/"},
	}, spec.Client())
	assert.True(t, spec.Public())

	// The OpenID Connect Registration §2 names map onto the OpenID fields.
	oidcSpec := demo.ClientSpec{ClientID: "rp", IDTokenSignedResponseAlg: "ES256", DefaultMaxAge: 300}
	got := oidcSpec.Client()
	assert.Equal(t, jose.ES256, got.IDTokenSignedResponseAlg)
	assert.Equal(t, 5*time.Minute, got.DefaultMaxAge)

	// The logout, pairwise, key and PAR names map onto their fields; a
	// private_key_jwt client has no secret but is not public.
	fapi := demo.ClientSpec{
		ClientID: "fapi", TokenEndpointAuthMethod: "private_key_jwt", JWKS: []byte(`{"keys":[]}`),
		JWKSURI: "https://fapi.example/jwks", TokenEndpointAuthSigningAlg: "PS256",
		RequirePushedAuthorizationRequests: true, SubjectType: "pairwise", SectorIdentifier: "fapi.example",
		PostLogoutRedirectURIs: []string{"https://fapi.example/out"},
	}
	got = fapi.Client()
	assert.Equal(t, authserver.AuthMethodPrivateKeyJWT, got.AuthMethod)
	assert.Equal(t, []byte(`{"keys":[]}`), got.JWKS)
	assert.Equal(t, "https://fapi.example/jwks", got.JWKSURI)
	assert.Equal(t, jose.PS256, got.AuthSigningAlg)
	assert.True(t, got.RequirePushedAuthorizationRequests)
	assert.Equal(t, authserver.SubjectPairwise, got.SubjectType)
	assert.Equal(t, "fapi.example", got.SectorIdentifier)
	assert.Equal(t, []string{"https://fapi.example/out"}, got.PostLogoutRedirectURIs)
	assert.False(t, fapi.Public())

	// The OpenID Connect Registration, RFC 7591 and RFC 9449 names of this
	// round map onto their fields; a hybrid response type adds implicit.
	rp := demo.ClientSpec{
		ClientID: "rp", GrantTypes: []string{"authorization_code"}, ResponseTypes: []string{"code", "code id_token"},
		RequireAuthTime: true, LogoURI: "https://rp.example/logo.png", ClientURI: "https://rp.example/",
		PolicyURI: "https://rp.example/privacy", TOSURI: "https://rp.example/tos", DPoPBoundAccessTokens: true,
	}
	got = rp.Client()
	assert.True(t, got.RequireAuthTime)
	assert.Equal(t, "https://rp.example/logo.png", got.LogoURI)
	assert.Equal(t, "https://rp.example/", got.ClientURI)
	assert.Equal(t, "https://rp.example/privacy", got.PolicyURI)
	assert.Equal(t, "https://rp.example/tos", got.TOSURI)
	assert.True(t, got.DPoPBoundAccessTokens)
	assert.Equal(t, []authserver.ResponseType{"code", authserver.ResponseCodeIDToken}, got.ResponseTypes)
	assert.Equal(t, []authserver.GrantType{"authorization_code", "implicit"}, got.GrantTypes)

	// "implicit" named directly in grant_types is kept once.
	spec.GrantTypes = []string{"implicit"}
	spec.ResponseTypes = []string{"token"}
	assert.Equal(t, []authserver.GrantType{"implicit"}, spec.Client().GrantTypes)
}

func TestLoadDataNamesTheFile(t *testing.T) {
	_, err := demo.LoadData("testdata/does-not-exist.json")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "demo: clients file: open testdata/does-not-exist.json")
}

func TestNewRejectsClientsTheServerRefuses(t *testing.T) {
	d := demo.Data{Clients: []demo.ClientSpec{
		{ClientID: "short", ClientSecret: "too-short", GrantTypes: []string{"client_credentials"}},
		{ClientID: "scoped", ClientSecret: "long-enough-secret-0123", GrantTypes: []string{"client_credentials"}, Scope: "admin"},
	}}
	_, err := demo.New(t.Context(), demo.Config{Issuer: "http://127.0.0.1:8080", Data: &d})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "demo: registering clients: ")
	assert.Contains(t, err.Error(), `client "short": Secret: must be at least 16 characters`)
	assert.Contains(t, err.Error(), `client "scoped": Scopes: "admin" is not in Config.Scopes`)

	// authserver refuses what its OpenID Connect cannot serve, naming the
	// field: no signing key for the algorithm, a max_age over 100 years.
	d = demo.Data{Clients: []demo.ClientSpec{
		{ClientID: "eddsa", ClientSecret: "long-enough-secret-0123", GrantTypes: []string{"authorization_code"},
			RedirectURIs: []string{"http://127.0.0.1:8080/callback"}, Scope: "openid", IDTokenSignedResponseAlg: "EdDSA"},
		{ClientID: "forever", ClientSecret: "long-enough-secret-0123", GrantTypes: []string{"authorization_code"},
			RedirectURIs: []string{"http://127.0.0.1:8080/callback"}, Scope: "openid", DefaultMaxAge: 200 * 366 * 24 * 3600},
	}}
	_, err = demo.New(t.Context(), demo.Config{Issuer: "http://127.0.0.1:8080", Data: &d})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `client "eddsa": IDTokenSignedResponseAlg: `)
	assert.Contains(t, err.Error(), `client "forever": DefaultMaxAge: must be zero (none) or a positive whole number of seconds, at most 100 years`)

	_, err = demo.New(t.Context(), demo.Config{Issuer: "ftp://127.0.0.1"})
	assert.EqualError(t, err, `demo: issuer "ftp://127.0.0.1" is not an absolute http(s) URL`)
	_, err = demo.New(t.Context(), demo.Config{Issuer: "http://auth.example.com"})
	require.Error(t, err, "http is for loopback only")
}

// TestNewRegistersThisRoundsMetadata: a clients file client with
// require_auth_time, the four URIs, dpop_bound_access_tokens and
// "code id_token" registers with the demo server, and a bad logo_uri is
// refused by name.
func TestNewRegistersThisRoundsMetadata(t *testing.T) {
	const base = "http://127.0.0.1:8080"
	d, err := demo.ParseData(strings.NewReader(`{"clients":[{"client_id":"rp","client_secret":"rp-secret-0123456789",
		"redirect_uris":["` + base + `/callback"],"application_type":"native","grant_types":["authorization_code"],"response_types":["code","code id_token"],
		"scope":"openid basic_info","require_auth_time":true,"logo_uri":"https://rp.example/logo.png","client_uri":"https://rp.example/",
		"policy_uri":"https://rp.example/privacy","tos_uri":"https://rp.example/tos","dpop_bound_access_tokens":true}],
		"users":[{"username":"u","password":"p","name":"N","email":"e@x"}]}`))
	require.NoError(t, err)
	app, err := demo.New(t.Context(), demo.Config{Issuer: base, Data: &d})
	require.NoError(t, err)
	assert.NoError(t, app.Close())

	d.Clients[0].LogoURI = "javascript:alert(1)"
	_, err = demo.New(t.Context(), demo.Config{Issuer: base, Data: &d})
	require.Error(t, err)
	assert.EqualError(t, err, `demo: registering clients: authserver: client "rp": LogoURI: must be an absolute https URL`)
}
