package demo

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/kunci/kunci/authserver"
)

// WriteWalkthrough prints the clients, the users and copy-paste commands
// for every flow the data supports: the authorization code grant with PKCE
// (RFC 6749 §4.1, RFC 7636), refresh with rotation through NU.ID's and
// Apigee's aliases (§6), the implicit grant (§4.2), the password grant
// (§4.3), client credentials (§4.4), JWT access tokens for the API (RFC
// 9068, RFC 8707), OpenID Connect sign-in with form_post, the ID Token and
// UserInfo (OpenID Connect Core §3.1, §5.3), introspection (RFC 7662),
// revocation (RFC 7009), RP-Initiated Logout 1.0, pushed authorization
// requests with private_key_jwt (RFC 9126, RFC 7523) and Prakerja's
// consent-sso. It draws a fresh PKCE verifier each time. keyFile is where
// the private key of a private_key_jwt client is, for the assertion
// helper (example/cmd/clientassertion); empty prints a placeholder.
func WriteWalkthrough(w io.Writer, issuer string, d Data, keyFile string) error {
	base := strings.TrimSuffix(issuer, "/")
	p := &printer{w: w}
	p.f("kunci demo: authorization server and API at %s\n", base)
	p.f("Metadata:   curl -s %s\n", endpoint(base, "/.well-known/oauth-authorization-server"))
	p.f("Home page:  %s/ (sign in and out there)\n\n", base)

	p.f("Clients:\n")
	for _, c := range d.Clients {
		secret := "public, no secret"
		if authserver.AuthMethod(c.TokenEndpointAuthMethod) == authserver.AuthMethodPrivateKeyJWT {
			secret = "private_key_jwt"
		} else if !c.Public() {
			secret = "secret " + c.ClientSecret
		}
		p.f("  %-18s %s (%s)\n", c.ClientID, c.ClientName, secret)
		p.f("  %-18s grants: %s; scope: %s\n", "", strings.Join(c.grants(), " "), c.Scope)
	}
	p.f("Users (username / password):\n")
	for _, u := range d.Users {
		p.f("  %s / %s  (%s <%s>)\n", u.Username, u.Password, u.Name, u.Email)
	}
	var user User
	if len(d.Users) > 0 {
		user = d.Users[0]
	}

	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])

	code := find(d, func(c ClientSpec) bool { return c.LoginURI == "" && c.has(authserver.GrantAuthorizationCode) })
	if code != nil {
		p.section("Authorization code with PKCE (%s)", code.ClientID)
		p.f("1. Open this in a browser, sign in as %s and allow:\n", user.Username)
		p.f("   %s/oauth/authorize?%s\n", base, url.Values{
			"response_type": {"code"}, "client_id": {code.ClientID}, "redirect_uri": {code.RedirectURIs[0]},
			"scope": {code.Scope}, "state": {"demo-state"},
			"code_challenge": {challenge}, "code_challenge_method": {"S256"},
		}.Encode())
		p.f("2. Within a minute, exchange the code shown on the callback page:\n")
		p.f("   curl -s %s %s -d grant_type=authorization_code -d code=CODE \\\n"+
			"     %s -d code_verifier=%s\n",
			endpoint(base, "/oauth/token"), clientAuth(*code), field("redirect_uri", code.RedirectURIs[0]), verifier)
		p.f("3. Call the API with the access_token:\n")
		p.f("   curl -si %s -H 'Authorization: Bearer ACCESS_TOKEN'\n", endpoint(base, "/api/me"))
		p.f("   (no token: 401; a token without basic_info: 403 insufficient_scope)\n")
		if code.has(authserver.GrantRefreshToken) {
			p.section("Refresh with rotation (%s)", code.ClientID)
			p.f("   curl -s %s %s -d grant_type=refresh_token -d refresh_token=REFRESH_TOKEN\n",
				endpoint(base, "/oauth/refreshAccessToken"), clientAuth(*code))
			p.f("   /oauth/refresh (Apigee) and /oauth/token work the same way. Each refresh returns a new\n" +
				"   refresh token; presenting the old one again revokes the whole grant.\n")
		}
	}
	if c := find(d, func(c ClientSpec) bool {
		return c.LoginURI == "" && c.has(authserver.GrantAuthorizationCode) && slices.Contains(strings.Fields(c.Scope), "openid")
	}); c != nil {
		p.section("OpenID Connect sign-in (%s)", c.ClientID)
		p.f("   Provider configuration: curl -s %s\n", endpoint(base, "/.well-known/openid-configuration"))
		p.f("1. Open, sign in and allow (the callback page receives code, state and iss by POST):\n")
		p.f("   %s/oauth/authorize?%s\n", base, url.Values{
			"response_type": {"code"}, "client_id": {c.ClientID}, "redirect_uri": {c.RedirectURIs[0]},
			"scope": {"openid profile email phone"}, "state": {"demo-state"}, "nonce": {"demo-nonce"},
			"response_mode": {"form_post"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		}.Encode())
		p.f("2. Exchange the code; the answer adds an id_token (a JWT signed %s, checked against\n"+
			"   %s/oauth/jwks):\n", idTokenAlg(*c), base)
		p.f("   curl -s %s %s -d grant_type=authorization_code -d code=CODE \\\n"+
			"     %s -d code_verifier=%s\n",
			endpoint(base, "/oauth/token"), clientAuth(*c), field("redirect_uri", c.RedirectURIs[0]), verifier)
		p.f("3. UserInfo returns the claims of the approved scopes:\n")
		p.f("   curl -s %s -H 'Authorization: Bearer ACCESS_TOKEN'\n", endpoint(base, "/oauth/userinfo"))
		if len(c.PostLogoutRedirectURIs) > 0 {
			p.f("4. Sign out (RP-Initiated Logout 1.0): open, with the id_token of step 2,\n")
			p.f("   %s/oauth/logout?%s\n", base, url.Values{
				"id_token_hint": {"ID_TOKEN"}, "post_logout_redirect_uri": {c.PostLogoutRedirectURIs[0]}, "state": {"demo-logout"},
			}.Encode())
			p.f("   The hint names the signed-in user, so the demo session ends at once and the browser lands\n"+
				"   on %s with state. With client_id=%s instead of the hint, the server asks first.\n",
				c.PostLogoutRedirectURIs[0], c.ClientID)
		}
	}
	if c := find(d, func(c ClientSpec) bool {
		return authserver.AuthMethod(c.TokenEndpointAuthMethod) == authserver.AuthMethodPrivateKeyJWT &&
			c.RequirePushedAuthorizationRequests && c.has(authserver.GrantAuthorizationCode)
	}); c != nil {
		writeFAPI(p, base, *c, keyFile, challenge, verifier)
	}
	if c := find(d, func(c ClientSpec) bool { return c.has(authserver.GrantImplicit) }); c != nil {
		p.section("Implicit grant (%s)", c.ClientID)
		p.f("   Open: %s/oauth/authorize?%s\n", base, url.Values{
			"response_type": {"token"}, "client_id": {c.ClientID}, "redirect_uri": {c.RedirectURIs[0]},
			"scope": {c.Scope}, "state": {"demo-state"},
		}.Encode())
		p.f("   The access token comes back in the callback URL's fragment; there is no refresh token.\n")
	}
	if c := find(d, func(c ClientSpec) bool { return c.has(authserver.GrantPassword) }); c != nil {
		p.section("Password grant (%s)", c.ClientID)
		p.f("   curl -s %s %s -d grant_type=password \\\n"+
			"     %s %s %s\n",
			endpoint(base, "/oauth/token"), clientAuth(*c),
			field("username", user.Username), field("password", user.Password), field("scope", withoutOpenID(c.Scope)))
	}
	api := APIResource(base)
	if c := find(d, func(c ClientSpec) bool {
		return slices.Contains(c.Resources, api) && (c.has(authserver.GrantPassword) || c.has(authserver.GrantClientCredentials))
	}); c != nil {
		p.section("JWT access token for %s (%s)", api, c.ClientID)
		if c.has(authserver.GrantPassword) {
			p.f("   curl -s %s %s -d grant_type=password \\\n"+
				"     %s %s -d scope=basic_info %s\n",
				endpoint(base, "/oauth/token"), clientAuth(*c),
				field("username", user.Username), field("password", user.Password), field("resource", api))
		} else {
			p.f("   curl -s %s %s -d grant_type=client_credentials %s\n",
				endpoint(base, "/oauth/token"), clientAuth(*c), field("resource", api))
		}
		p.f("   curl -si %s -H 'Authorization: Bearer JWT'\n", endpoint(base, "/api/jwt/me"))
		p.f("   /api/jwt/me checks the signature against %s/oauth/jwks and accepts only JWTs for %s.\n", base, api)
	}
	if c := find(d, func(c ClientSpec) bool { return c.has(authserver.GrantClientCredentials) }); c != nil {
		p.section("Client credentials (%s)", c.ClientID)
		p.f("   curl -s %s %s -d grant_type=client_credentials -d scope=basic_info\n",
			endpoint(base, "/oauth/token"), clientAuth(*c))
		p.f("   /api/me answers such a token with 403: it acts for a client, not a user.\n")
	}
	if c := find(d, func(c ClientSpec) bool { return !c.Public() }); c != nil {
		p.section("Introspection and revocation (%s)", c.ClientID)
		p.f("   curl -s %s %s -d token=ACCESS_TOKEN\n", endpoint(base, "/oauth/introspect"), clientAuth(*c))
		p.f("   curl -si %s %s -d token=ACCESS_TOKEN_OR_REFRESH_TOKEN\n", endpoint(base, "/oauth/revoke"), clientAuth(*c))
		p.f("   A client introspects and revokes only its own tokens; revoking a refresh token ends its grant.\n")
	}
	if c := find(d, func(c ClientSpec) bool { return c.LoginURI != "" && c.has(authserver.GrantAuthorizationCode) }); c != nil {
		p.section("Prakerja consent-sso (%s)", c.ClientID)
		p.f("   Open: %s/consent-sso?%s\n", base, url.Values{
			"client_id": {c.ClientID}, "client_name": {c.ClientName}, "login_uri": {c.LoginURI},
			"redirect_uri": {c.RedirectURIs[0]}, "scope": {c.Scope}, "state": {"partner-state"},
		}.Encode())
		p.f("   Cancel on the sign-in page goes back to the login_uri with error=access_denied;\n" +
			"   signing in and allowing gives a code to exchange:\n")
		p.f("   curl -s %s %s -d grant_type=authorization_code -d code=CODE \\\n"+
			"     %s\n", endpoint(base, "/oauth/token"), clientAuth(*c), field("redirect_uri", c.RedirectURIs[0]))
	}
	return p.err
}

// writeFAPI prints the section for a client that authenticates with
// private_key_jwt and pushes its requests: PAR (RFC 9126) with PKCE, then
// the code exchange, each with a fresh client assertion (RFC 7523 §2.2).
func writeFAPI(p *printer, base string, c ClientSpec, keyFile, challenge, verifier string) {
	key := "KEY_FILE"
	p.section("PAR + PKCE + private_key_jwt (%s)", c.ClientID)
	if keyFile != "" {
		key = shellQuote(keyFile)
		p.f("   %s signs its client assertions with a demo-only key drawn for this run, kept in\n"+
			"   %s until the demo stops.\n", c.ClientID, keyFile)
	} else {
		p.f("   KEY_FILE is the client's private JWK (a JSON object with \"d\" and \"alg\").\n")
	}
	p.f("   An assertion is a JWT signed with that key: iss = sub = %s, aud = %s,\n"+
		"   a random jti (single use, so make one per request) and exp two minutes ahead. From the\n"+
		"   repository root:\n", c.ClientID, base)
	assertion := fmt.Sprintf("   A=$(go run ./example/cmd/clientassertion -key %s -client %s -aud %s)\n",
		key, shellQuote(c.ClientID), shellQuote(base))
	auth := clientAuth(c)
	p.f("%s", assertion)
	p.f("1. Push the authorization request; the answer is 201 with request_uri and expires_in:\n")
	p.f("   curl -s %s %s \\\n"+
		"     -d response_type=code %s %s \\\n"+
		"     -d state=fapi-state -d nonce=fapi-nonce -d code_challenge=%s -d code_challenge_method=S256\n",
		endpoint(base, "/oauth/par"), auth, field("redirect_uri", c.RedirectURIs[0]), field("scope", c.Scope), challenge)
	p.f("2. Within a minute, open this with the request_uri, sign in and allow (a request that\n" +
		"   was not pushed is refused):\n")
	p.f("   %s/oauth/authorize?client_id=%s&request_uri=REQUEST_URI\n", base, url.QueryEscape(c.ClientID))
	p.f("3. Exchange the code with a new assertion:\n")
	p.f("%s", assertion)
	if !c.DPoPBoundAccessTokens {
		p.f("   curl -s %s %s \\\n"+
			"     -d grant_type=authorization_code -d code=CODE %s -d code_verifier=%s\n",
			endpoint(base, "/oauth/token"), auth, field("redirect_uri", c.RedirectURIs[0]), verifier)
	} else {
		writeDPoP(p, base, c, key, auth, verifier)
	}
	if authserver.SubjectType(c.SubjectType) == authserver.SubjectPairwise {
		p.f("   Its ID Token's sub is pairwise (OpenID Connect Core §8.1): not the username.\n")
	}
}

// withoutOpenID drops openid and offline_access from a scope list: only an
// authentication request at the authorization endpoint may ask for them
// (OpenID Connect Core §3.1, §11), and the password grant refuses them.
func withoutOpenID(scope string) string {
	return strings.Join(slices.DeleteFunc(strings.Fields(scope), func(s string) bool {
		return s == "openid" || s == "offline_access"
	}), " ")
}

// idTokenAlg is the algorithm of c's ID Tokens: its
// id_token_signed_response_alg, RS256 by default (OpenID Connect
// Registration §2).
func idTokenAlg(c ClientSpec) string {
	if c.IDTokenSignedResponseAlg == "" {
		return "RS256"
	}
	return c.IDTokenSignedResponseAlg
}

// printer remembers the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) section(format string, args ...any) {
	p.f("\n== "+format+" ==\n", args...)
}

func (c ClientSpec) has(grant authserver.GrantType) bool {
	return slices.Contains(c.grants(), string(grant))
}

func find(d Data, ok func(ClientSpec) bool) *ClientSpec {
	for i := range d.Clients {
		if ok(d.Clients[i]) {
			return &d.Clients[i]
		}
	}
	return nil
}

// clientAuth returns the curl arguments that authenticate c at the token
// endpoint (RFC 6749 §2.3.1): HTTP Basic with form-encoded credentials,
// form fields, a client assertion in the shell variable A (RFC 7523 §2.2),
// or just client_id for a public client.
func clientAuth(c ClientSpec) string {
	switch {
	case authserver.AuthMethod(c.TokenEndpointAuthMethod) == authserver.AuthMethodPrivateKeyJWT:
		return field("client_id", c.ClientID) + " -d client_assertion_type=" + ClientAssertionType +
			` --data-urlencode "client_assertion=$A"`
	case c.Public() || authserver.AuthMethod(c.TokenEndpointAuthMethod) == authserver.AuthMethodNone:
		return field("client_id", c.ClientID)
	case authserver.AuthMethod(c.TokenEndpointAuthMethod) == authserver.AuthMethodPost:
		return field("client_id", c.ClientID) + " " + field("client_secret", c.ClientSecret)
	default:
		return "-u " + shellQuote(url.QueryEscape(c.ClientID)+":"+url.QueryEscape(c.ClientSecret))
	}
}

// field returns the curl argument that sends name=value as a form field
// (application/x-www-form-urlencoded): curl's --data-urlencode percent-
// encodes value, so "&", "+", "%" and "=" in it arrive intact, and the
// argument is quoted for the shell.
func field(name, value string) string {
	return "--data-urlencode " + shellQuote(name+"="+value)
}

// endpoint is the URL base+path quoted for the shell.
func endpoint(base, path string) string { return shellQuote(base + path) }

// shellQuote quotes s for a POSIX shell when it needs quoting: inside
// single quotes every character is literal, and a single quote in s
// becomes: close the quotes, a backslash-escaped quote, reopen them.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/@+=,%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
