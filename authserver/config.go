package authserver

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	gopath "path"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/middleware"
	"github.com/kunci/kunci/store"
)

// GrantType names an authorization grant (RFC 6749 §1.3), as registered for a
// client in [store.Client.GrantTypes].
type GrantType = string

// The grant types kunci implements. GrantImplicit stands for the implicit
// grant's response_type=token (RFC 6749 §4.2); it has no grant_type value.
const (
	GrantAuthorizationCode GrantType = "authorization_code"
	GrantRefreshToken      GrantType = "refresh_token"
	GrantClientCredentials GrantType = "client_credentials"
	GrantPassword          GrantType = "password"
	GrantImplicit          GrantType = "implicit"
)

// Client authentication methods at the token endpoint (RFC 7591 §2).
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
	AuthMethodNone  = "none"
)

// Scope is a scope the server knows, with the text the consent page shows for
// it (RFC 6749 §3.3).
type Scope struct {
	// Name is the scope token, e.g. "basic_info".
	Name string
	// Description tells the user what the scope lets the client do.
	Description string
}

// Lifetime sets how long the tokens of one grant type live.
type Lifetime struct {
	// Access is the access token lifetime; zero means Config.AccessTokenTTL.
	Access time.Duration
	// Refresh is the refresh token lifetime; zero means Config.RefreshTokenTTL.
	Refresh time.Duration
}

// Paths are the paths the server answers on, relative to where it is mounted.
// Every empty field takes its default. To mount under a prefix such as /api,
// wrap the server in [http.StripPrefix].
type Paths struct {
	// Authorize is the authorization endpoint (RFC 6749 §3.1); default
	// "/oauth/authorize".
	Authorize string
	// Consent receives the consent form; default "/oauth/consent".
	Consent string
	// ConsentSSO is the Prakerja-style alias of Authorize; default "/consent-sso".
	ConsentSSO string
	// Token is the token endpoint (RFC 6749 §3.2); default "/oauth/token".
	Token string
	// Refresh lists aliases of the token endpoint that accept only the
	// refresh_token grant; nil means "/oauth/refresh" and
	// "/oauth/refreshAccessToken". Set it to an empty, non-nil slice for none.
	Refresh []string
	// Revoke is the revocation endpoint (RFC 7009); default "/oauth/revoke".
	Revoke string
	// Introspect is the introspection endpoint (RFC 7662); default
	// "/oauth/introspect".
	Introspect string
	// JWKS serves the public signing keys; default "/oauth/jwks".
	JWKS string
}

// Config configures a [Server]. The zero value of every field except Issuer
// is valid and documented; [New] fills in the defaults and rejects invalid
// values. A Config must not be modified after it is passed to New.
type Config struct {
	// Issuer is the server's issuer identifier (RFC 8414 §2): an absolute
	// https URL with no query or fragment. It is sent as "iss" in
	// authorization responses (RFC 9207) and never derived from request
	// headers. Required.
	Issuer string

	// AllowHTTPIssuer permits an http Issuer whose host is a loopback address,
	// for development only.
	AllowHTTPIssuer bool

	// Paths are the endpoint paths; see [Paths] for the defaults.
	Paths Paths

	// Scopes are the scopes the server knows. A request for any other scope is
	// invalid_scope. Clients may request only the scopes they registered.
	Scopes []Scope

	// DefaultScopes are granted when a request names no scope (RFC 6749
	// §3.3), limited to what the client registered. Empty means none.
	DefaultScopes []string

	// AccessTokenTTL is the access token lifetime; zero means 30 minutes.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the refresh token lifetime, renewed on every
	// rotation; zero means 24 hours.
	RefreshTokenTTL time.Duration
	// CodeTTL is the authorization code lifetime; zero means one minute.
	// RFC 6749 §4.1.2 allows at most ten.
	CodeTTL time.Duration
	// GrantLifetimes overrides the token lifetimes per grant type.
	GrantLifetimes map[GrantType]Lifetime

	// Grants lists the grant types the server offers; each client must also
	// register the ones it uses. Nil means authorization_code,
	// refresh_token, client_credentials and implicit, plus password when
	// CheckPassword is set. Metadata lists exactly these.
	Grants []GrantType

	// SigningKeys are private keys (ES256 and EdDSA recommended, RS256
	// supported) for RFC 9068 JWT access tokens. The first key signs; every
	// key is published at the JWKS endpoint. To rotate, add the new key at the
	// end (published before use), later move it to the front (it signs), and
	// drop the old key once the tokens it signed have expired.
	// [GenerateSigningKey] makes one for development.
	SigningKeys []jose.JSONWebKey

	// JWTResources lists RFC 8707 resource indicators whose access tokens
	// are JWTs, whatever the client's format. A client can also ask for JWTs
	// for all its tokens ([store.Client.AccessTokenFormat]). Either needs
	// SigningKeys.
	JWTResources []string

	// DefaultResource is the "aud" of a JWT access token requested without a
	// resource parameter (RFC 9068 §3); empty means Issuer.
	DefaultResource string

	// AccessTokenClaims, when set, returns extra claims for an access token,
	// such as a tenant or a role. They go into JWT access tokens and into
	// introspection responses; registered claims (iss, sub, aud, exp, iat,
	// jti, client_id, scope, ...) can never be replaced.
	AccessTokenClaims func(ctx context.Context, t IssuedToken) map[string]any

	// AllowTokenOnlyRevocation lets a revocation request that carries no
	// client credentials at all revoke the token it names, as NU.ID's
	// revoke call sends only the token: whoever holds a token may end it.
	// Off by default: RFC 7009 §2.1 has the client authenticate.
	AllowTokenOnlyRevocation bool

	// AllowMissingGrantType accepts a token request without grant_type as an
	// authorization_code request when it carries a code, as version 1 of the
	// NU.ID API sends it. Off by default: such a request is invalid_request.
	AllowMissingGrantType bool

	// RefreshGracePeriod lets a client that lost a refresh response present
	// the rotated token again within this period and receive the same
	// successor instead of having its grant revoked. Zero, the default, turns
	// the window off; at most one minute is allowed.
	RefreshGracePeriod time.Duration
	// RefreshKey is the secret from which successors are derived during the
	// grace period (at least 32 bytes). Instances that share a store must
	// share it; nil means a random key for this Server only.
	RefreshKey []byte

	// ExtendedTokenResponse adds Apigee's fields to token responses:
	// issued_at, refresh_token_issued_at, refresh_token_expires_in,
	// refresh_count, client_id, application_name, status and
	// refresh_token_status, and echoes a state sent to the token endpoint.
	ExtendedTokenResponse bool

	// TokenResponseHook, when set, may add fields to every successful token
	// response. Fields that the server sets itself cannot be replaced.
	TokenResponseHook func(ctx context.Context, t IssuedToken) map[string]any

	// CheckPassword checks a resource owner's credentials for the password
	// grant (RFC 6749 §4.3) and returns the subject. ok is false for wrong
	// credentials; err is for system failures. Nil disables the grant for
	// every client; a client must also register GrantPassword.
	CheckPassword func(ctx context.Context, username, password string) (subject string, ok bool, err error)

	// CurrentUser reports who is signed in to the host app, if anyone. It
	// decides between "login needed" and "consent needed" at the
	// authorization endpoint. Required for the authorization endpoint.
	CurrentUser func(r *http.Request) (subject string, ok bool)

	// LoginURL is the host's sign-in page. When no user is signed in, the
	// authorization endpoint redirects there with a "return_to" query
	// parameter holding a path that resumes the request once the user has
	// signed in. Required for the authorization endpoint.
	LoginURL string

	// AuthRequestTTL bounds how long a pending authorization request waits for
	// the user; zero means 15 minutes.
	AuthRequestTTL time.Duration
	// ConsentTTL is how long a user's approval is remembered, so the consent
	// page is skipped; zero means 30 days, negative means never remembered.
	ConsentTTL time.Duration

	// ConsentTemplate and ErrorTemplate replace the built-in pages. See
	// [ConsentPage] and [ErrorPage] for the data they receive.
	ConsentTemplate *template.Template
	ErrorTemplate   *template.Template

	// AllowPlainPKCE accepts code_challenge_method=plain (RFC 7636 §4.2).
	// Off by default: only S256.
	AllowPlainPKCE bool

	// FailureLimit is how many failed client authentications (per client and
	// source address) or failed password checks (per username and source
	// address) are allowed within FailureWindow before further attempts are
	// answered with 429. Zero means 20; negative turns throttling off.
	FailureLimit int
	// FailureWindow is the throttling window; zero means one minute.
	FailureWindow time.Duration
	// AuthorizeRateLimit is how many authorization requests one source
	// address may start per minute. Each one is kept in the store until it
	// is decided or AuthRequestTTL passes, so anonymous traffic must not
	// start them without bound. Zero means 300; negative turns the limit off.
	AuthorizeRateLimit int

	// ClientIP returns the source address used as a throttling key. Nil means
	// the host part of Request.RemoteAddr. Set it when behind a proxy you
	// trust; kunci never reads X-Forwarded-For on its own.
	ClientIP func(r *http.Request) string

	// CanIntrospect decides whether caller may learn about a token at the
	// introspection endpoint. Nil means: the token was issued to caller, or
	// caller's ID is in the token's audience, so a resource server registers
	// as a client whose ID is its RFC 8707 resource indicator.
	CanIntrospect func(caller store.Client, token middleware.TokenInfo) bool

	// Logger receives the server's logs. Nil discards them. Tokens, codes
	// and secrets are never logged.
	Logger *slog.Logger

	// Events, when set, is called synchronously for every [Event]. It must
	// not block for long.
	Events func(ctx context.Context, e Event)
}

// Defaults applied by New.
const (
	defaultAccessTTL          = 30 * time.Minute
	defaultRefreshTTL         = 24 * time.Hour
	defaultCodeTTL            = time.Minute
	maxCodeTTL                = 10 * time.Minute
	defaultAuthRequestTTL     = 15 * time.Minute
	defaultConsentTTL         = 30 * 24 * time.Hour
	defaultFailureLimit       = 20
	defaultFailureWindow      = time.Minute
	defaultAuthorizeRateLimit = 300
	maxGracePeriod            = time.Minute
)

// withDefaults returns a copy of c with defaults filled in, or an error
// naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("authserver: config: "+format, args...))
	}

	if err := checkIssuer(c.Issuer, c.AllowHTTPIssuer); err != nil {
		bad("Issuer: %v", err)
	}
	ttl := func(name string, d *time.Duration, def time.Duration) {
		switch {
		case *d < 0:
			bad("%s must not be negative", name)
		case *d == 0:
			*d = def
		}
	}
	ttl("AccessTokenTTL", &c.AccessTokenTTL, defaultAccessTTL)
	ttl("RefreshTokenTTL", &c.RefreshTokenTTL, defaultRefreshTTL)
	ttl("CodeTTL", &c.CodeTTL, defaultCodeTTL)
	if c.CodeTTL > maxCodeTTL {
		bad("CodeTTL must be at most %v (RFC 6749 §4.1.2)", maxCodeTTL)
	}
	ttl("AuthRequestTTL", &c.AuthRequestTTL, defaultAuthRequestTTL)
	if c.ConsentTTL == 0 {
		c.ConsentTTL = defaultConsentTTL
	}
	ttl("FailureWindow", &c.FailureWindow, defaultFailureWindow)
	if c.FailureLimit == 0 {
		c.FailureLimit = defaultFailureLimit
	}
	if c.AuthorizeRateLimit == 0 {
		c.AuthorizeRateLimit = defaultAuthorizeRateLimit
	}
	for g, l := range c.GrantLifetimes {
		if l.Access < 0 || l.Refresh < 0 {
			bad("GrantLifetimes[%q] must not be negative", g)
		}
	}
	if c.RefreshGracePeriod < 0 || c.RefreshGracePeriod > maxGracePeriod {
		bad("RefreshGracePeriod must be between 0 and %v", maxGracePeriod)
	}
	if c.RefreshKey != nil && len(c.RefreshKey) < 32 {
		bad("RefreshKey must be at least 32 bytes")
	}

	seen := map[string]bool{}
	for _, sc := range c.Scopes {
		if !validScopeToken(sc.Name) {
			bad("scope %q is not a valid scope token (RFC 6749 §3.3)", sc.Name)
		}
		if seen[sc.Name] {
			bad("scope %q is listed twice", sc.Name)
		}
		seen[sc.Name] = true
	}
	for _, sc := range c.DefaultScopes {
		if !seen[sc] {
			bad("default scope %q is not in Scopes", sc)
		}
	}

	if c.LoginURL != "" {
		if u, err := url.Parse(c.LoginURL); err != nil || u.Fragment != "" || (u.Scheme == "" && !isAbsPath(u.Path)) {
			bad("LoginURL must be an absolute URL or an absolute path without fragment")
		}
	}

	if c.Grants == nil {
		c.Grants = []GrantType{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantImplicit}
		if c.CheckPassword != nil {
			c.Grants = append(c.Grants, GrantPassword)
		}
	}
	for _, g := range c.Grants {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantImplicit:
		case GrantPassword:
			if c.CheckPassword == nil {
				bad("Grants: password needs CheckPassword")
			}
		default:
			bad("Grants: unknown grant type %q", g)
		}
	}
	if len(c.JWTResources) > 0 && len(c.SigningKeys) == 0 {
		bad("JWTResources need SigningKeys")
	}
	for _, r := range c.JWTResources {
		if checkResource(r) != nil {
			bad("JWTResources: %q is not an absolute URI", r)
		}
	}
	if c.DefaultResource != "" && checkResource(c.DefaultResource) != nil {
		bad("DefaultResource must be an absolute URI")
	}

	c.Paths = c.Paths.withDefaults()
	if err := c.Paths.check(metadataPaths(c.Issuer)...); err != nil {
		bad("Paths: %v", err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, errors.Join(errs...)
}

func isAbsPath(p string) bool { return len(p) > 0 && p[0] == '/' }

// checkIssuer enforces RFC 8414 §2: https, no query, no fragment.
func checkIssuer(issuer string, allowHTTP bool) error {
	if issuer == "" {
		return errors.New("required")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		return errors.New("must be an absolute URL without query, fragment or user info")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP && isLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("must use https (http is allowed only on a loopback host with AllowHTTPIssuer)")
	}
	return errors.New("must use https")
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (p Paths) withDefaults() Paths {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&p.Authorize, "/oauth/authorize")
	def(&p.Consent, "/oauth/consent")
	def(&p.ConsentSSO, "/consent-sso")
	def(&p.Token, "/oauth/token")
	def(&p.Revoke, "/oauth/revoke")
	def(&p.Introspect, "/oauth/introspect")
	def(&p.JWKS, "/oauth/jwks")
	if p.Refresh == nil {
		p.Refresh = []string{"/oauth/refresh", "/oauth/refreshAccessToken"}
	}
	return p
}

// all lists every path the server answers on, well-known ones excluded.
func (p Paths) all() []string {
	return append([]string{p.Authorize, p.Consent, p.ConsentSSO, p.Token, p.Revoke, p.Introspect, p.JWKS}, p.Refresh...)
}

func (p Paths) check(more ...string) error {
	var seen []string
	for _, path := range append(p.all(), more...) {
		// Paths are matched literally: no ServeMux wildcards, methods or
		// hosts, and nothing path.Clean would change.
		if !isAbsPath(path) || path != gopath.Clean(path) || strings.ContainsAny(path, "{} \t\n\r") {
			return fmt.Errorf("%q must be a clean absolute path without wildcards or spaces", path)
		}
		if slices.Contains(seen, path) {
			return fmt.Errorf("%q is used twice", path)
		}
		seen = append(seen, path)
	}
	return nil
}

// lifetime returns the token lifetimes for grant.
func (c *Config) lifetime(grant GrantType) (access, refresh time.Duration) {
	access, refresh = c.AccessTokenTTL, c.RefreshTokenTTL
	if l, ok := c.GrantLifetimes[grant]; ok {
		if l.Access > 0 {
			access = l.Access
		}
		if l.Refresh > 0 {
			refresh = l.Refresh
		}
	}
	return access, refresh
}
