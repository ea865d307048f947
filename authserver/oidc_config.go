package authserver

import (
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The scopes OpenID Connect defines a meaning for.
const (
	// scopeOpenID makes an authorization request an OpenID Connect
	// authentication request (OpenID Connect Core §3.1.2.1).
	scopeOpenID = "openid"
	// scopeOfflineAccess asks for a refresh token that works while the
	// user is away (OpenID Connect Core §11).
	scopeOfflineAccess = "offline_access"
)

// defaultIDTokenTTL is the default lifetime of an ID Token.
const defaultIDTokenTTL = time.Hour

// standardScopeClaims are the claims the standard scopes release (OpenID
// Connect Core §5.4) when Config.Scopes leaves their Claims nil.
var standardScopeClaims = map[string][]string{
	"profile": {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	"email":   {"email", "email_verified"},
	"address": {"address"},
	"phone":   {"phone_number", "phone_number_verified"},
}

// protocolClaims are the claims of an ID Token that the server sets
// itself (OpenID Connect Core §2, §3.1.3.6, §3.3.2.11; Front-Channel
// Logout §3). No scope releases them from the host: sub is always the
// grant's subject as the client knows it (pairwise, Core §8.1), and the
// rest describe the token or the sign-in.
var protocolClaims = []string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce",
	"acr", "amr", "azp", "at_hash", "c_hash", "sid",
}

// builtinOpenIDScopes are the scopes New adds to Config.Scopes when OpenID
// Connect is on and the host did not list them, with the text the consent
// page shows.
var builtinOpenIDScopes = []Scope{
	{Name: scopeOpenID, Description: "Sign you in with your account", Claims: []string{}},
	{Name: scopeOfflineAccess, Description: "Keep access to your account while you are not using the app", Claims: []string{}},
}

// checkOpenID checks the OpenID Connect settings and fills in their
// defaults: the built-in scopes, the standard claims of the standard
// scopes, the ID Token lifetime. seen holds the names of Config.Scopes.
func (c *Config) checkOpenID(p *problems, seen map[string]bool) {
	if !c.OpenID.Enabled {
		return
	}
	if c.OpenID.Claims == nil {
		p.add("OpenID.Claims", "is required with OpenID.Enabled: the UserInfo endpoint answers with the claims it returns")
	}
	if !c.browserEnabled() && c.Browser.Session == nil && c.Browser.LoginURL == "" {
		p.add("Browser", "OpenID Connect needs the authorization endpoint: set Browser.Session and Browser.LoginURL")
	}
	if c.Grants != nil && !slices.Contains(c.Grants, GrantAuthorizationCode) {
		p.add("Grants", "OpenID Connect needs authorization_code")
	}
	if !slices.ContainsFunc(c.JWT.SigningKeys, func(k jose.JSONWebKey) bool { return k.Algorithm == string(jose.RS256) }) {
		p.add("JWT.SigningKeys", "OpenID Connect needs a key with alg RS256 (OpenID Connect Core §15.1)")
	}
	for _, sc := range c.DefaultScopes {
		if sc == scopeOpenID {
			p.add("DefaultScopes", "must not name openid: a client asks for an OpenID Connect sign-in itself (OpenID Connect Core §3.1.2.1)")
		}
	}
	// A copy, so that filling in defaults never writes to the host's slice.
	c.Scopes = slices.Clone(c.Scopes)
	for i := range c.Scopes {
		sc := &c.Scopes[i]
		for _, name := range sc.Claims {
			switch {
			case name == "":
				p.add("Scopes", "%q names an empty claim", sc.Name)
			case slices.Contains(protocolClaims, name):
				p.add("Scopes", "%q names the claim %q, which the server sets itself", sc.Name, name)
			}
		}
		if sc.Claims == nil {
			sc.Claims = slices.Clone(standardScopeClaims[sc.Name])
		}
	}
	for _, sc := range builtinOpenIDScopes {
		if !seen[sc.Name] {
			c.Scopes = append(c.Scopes, sc)
			seen[sc.Name] = true
		}
	}
	for i, v := range c.OpenID.ACRValues {
		if v == "" || !vschar(v) || strings.Contains(v, " ") || slices.Contains(c.OpenID.ACRValues[:i], v) {
			p.add("OpenID.ACRValues", "%q must be non-empty visible ASCII without spaces, listed once (OpenID Connect Core §2)", v)
		}
	}
	c.OpenID.ACRValues = slices.Clone(c.OpenID.ACRValues)
	c.checkOpenIDResponseTypes(p)
	if c.Lifetimes.IDToken < 0 {
		p.add("Lifetimes.IDToken", "must not be negative")
	}
	if c.Lifetimes.IDToken == 0 {
		c.Lifetimes.IDToken = defaultIDTokenTTL
	}
}

// checkOpenIDIgnored reports OpenID Connect settings made while OpenID
// Connect is off, which would do nothing.
func (c *Config) checkOpenIDIgnored(p *problems) {
	if c.OpenID.Enabled {
		return
	}
	const off = "is set but OpenID Connect is off: set OpenID.Enabled"
	if c.OpenID.Claims != nil {
		p.add("OpenID.Claims", off)
	}
	if c.OpenID.ACRValues != nil {
		p.add("OpenID.ACRValues", off)
	}
	if c.OpenID.ResponseTypes != nil {
		p.add("OpenID.ResponseTypes", off)
	}
	if c.Paths.UserInfo != "" {
		p.add("Paths.UserInfo", off)
	}
	if c.Lifetimes.IDToken != 0 {
		p.add("Lifetimes.IDToken", off)
	}
	for _, sc := range c.Scopes {
		if sc.Claims != nil {
			p.add("Scopes", "%q has Claims but OpenID Connect is off: set OpenID.Enabled", sc.Name)
		}
	}
}

// scopeClaims returns the claims that scopes release, each once, in the
// order of scopes and of each scope's Claims.
func (s *Server) scopeClaims(scopes []string) []string {
	n := 0
	for _, sc := range scopes {
		n += len(s.scopes[sc].Claims)
	}
	if n == 0 {
		return nil
	}
	names := make([]string, 0, n)
	for _, sc := range scopes {
		for _, name := range s.scopes[sc].Claims {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}
