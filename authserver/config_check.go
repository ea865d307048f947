package authserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	gopath "path"
	"slices"
	"strings"
	"time"

	"github.com/kunci/kunci/internal/policy"
)

// FieldError reports a setting that cannot work or is unsafe: a field of
// [Config] (Field is its path, such as "Browser.LoginURL") or of a [Client]
// given to [Server.RegisterClient] (Client is then its ID). [New] and
// RegisterClient return every problem they find, joined with
// [errors.Join]; match one with [errors.As].
type FieldError struct {
	// Client is the client ID for a registration error, empty for Config.
	Client string
	// Field names the offending field, as a Go selector path.
	Field string
	// Problem says what is wrong, in lower case.
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Client != "" {
		return fmt.Sprintf("authserver: client %q: %s: %s", e.Client, e.Field, e.Problem)
	}
	return "authserver: config: " + e.Field + ": " + e.Problem
}

// Defaults applied by New.
const (
	defaultAccessTTL          = 30 * time.Minute
	defaultRefreshTTL         = 24 * time.Hour
	defaultCodeTTL            = time.Minute
	maxCodeTTL                = 10 * time.Minute
	defaultAuthRequestTTL     = 15 * time.Minute
	defaultConsentTTL         = 30 * 24 * time.Hour
	defaultGrantTTL           = 30 * 24 * time.Hour
	defaultFailureLimit       = 20
	defaultFailureWindow      = time.Minute
	defaultAuthorizeRateLimit = 300
	defaultMaxPending         = 50_000
	maxGracePeriod            = time.Minute
	defaultConsentSSOPath     = "/consent-sso"
)

// problems collects the FieldErrors of one check.
type problems struct {
	client string
	errs   []error
}

func (p *problems) add(field, format string, args ...any) {
	p.errs = append(p.errs, &FieldError{Client: p.client, Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// withDefaults returns a copy of c with defaults filled in, or an error
// naming every invalid field.
func (c Config) withDefaults() (Config, error) {
	var p problems
	c.checkIgnored(&p)
	if err := checkIssuer(c.Issuer, c.Development.AllowHTTPIssuer); err != nil {
		p.add("Issuer", "%v", err)
	}
	ttl := func(name string, d *time.Duration, def time.Duration) {
		switch {
		case *d < 0:
			p.add(name, "must not be negative")
		case *d == 0:
			*d = def
		}
	}
	l := &c.Lifetimes
	ttl("Lifetimes.AccessToken", &l.AccessToken, defaultAccessTTL)
	ttl("Lifetimes.RefreshToken", &l.RefreshToken, defaultRefreshTTL)
	ttl("Lifetimes.Code", &l.Code, defaultCodeTTL)
	if l.Code > maxCodeTTL {
		p.add("Lifetimes.Code", "must be at most %v (RFC 6749 §4.1.2)", maxCodeTTL)
	}
	ttl("Lifetimes.AuthRequest", &l.AuthRequest, defaultAuthRequestTTL)
	if l.Consent == 0 {
		l.Consent = defaultConsentTTL
	}
	longest := max(l.AccessToken, l.RefreshToken, l.Code)
	for _, lt := range l.PerGrant {
		longest = max(longest, lt.Access, lt.Refresh)
	}
	switch {
	case l.Grant < 0:
		p.add("Lifetimes.Grant", "must not be negative")
	case l.Grant == 0:
		l.Grant = max(defaultGrantTTL, longest)
	case l.Grant < longest:
		p.add("Lifetimes.Grant", "must be at least %v, the longest code or token lifetime: nothing of a grant outlives it", longest)
	}
	ttl("Limits.FailureWindow", &c.Limits.FailureWindow, defaultFailureWindow)
	if c.Limits.FailureLimit == 0 {
		c.Limits.FailureLimit = defaultFailureLimit
	}
	if c.Limits.AuthorizeRateLimit == 0 {
		c.Limits.AuthorizeRateLimit = defaultAuthorizeRateLimit
	}
	if c.Limits.MaxPendingAuthRequests == 0 {
		c.Limits.MaxPendingAuthRequests = defaultMaxPending
	}
	if g := c.RefreshRotation.GracePeriod; g < 0 || g > maxGracePeriod {
		p.add("RefreshRotation.GracePeriod", "must be between 0 and %v", maxGracePeriod)
	}
	if k := c.RefreshRotation.Key; k != nil && len(k) < 32 {
		p.add("RefreshRotation.Key", "must be at least 32 bytes")
	}

	seen := map[string]bool{}
	for _, sc := range c.Scopes {
		if !policy.ValidScopeToken(sc.Name) {
			p.add("Scopes", "%q is not a valid scope token (RFC 6749 §3.3)", sc.Name)
		}
		if seen[sc.Name] {
			p.add("Scopes", "%q is listed twice", sc.Name)
		}
		seen[sc.Name] = true
	}
	for _, sc := range c.DefaultScopes {
		if !seen[sc] {
			p.add("DefaultScopes", "%q is not in Scopes", sc)
		}
	}
	c.checkOpenID(&p, seen)
	c.checkLogout(&p)
	c.checkDPoP(&p)

	c.checkBrowser(&p)
	c.checkLanguages(&p)
	c.checkGrants(&p)
	c.checkCORS(&p)
	c.checkPushed(&p)
	c.checkClientAssertions(&p)
	for g, lt := range l.PerGrant {
		field := fmt.Sprintf("Lifetimes.PerGrant[%q]", g)
		if lt.Access < 0 || lt.Refresh < 0 {
			p.add(field, "must not be negative")
		}
		if !slices.Contains(c.Grants, g) {
			p.add(field, "%q is not a grant in Grants, so this lifetime would never apply", g)
		}
	}

	if len(c.JWT.Resources) > 0 && len(c.JWT.SigningKeys) == 0 {
		p.add("JWT.Resources", "need JWT.SigningKeys")
	}
	for _, r := range c.JWT.Resources {
		if checkResource(r) != nil {
			p.add("JWT.Resources", "%q is not an absolute URI", r)
		}
	}
	if c.JWT.DefaultResource != "" && checkResource(c.JWT.DefaultResource) != nil {
		p.add("JWT.DefaultResource", "must be an absolute URI")
	}

	c.Paths = c.Paths.withDefaults()
	if c.Compat.ConsentSSOPath == "" {
		c.Compat.ConsentSSOPath = defaultConsentSSOPath
	}
	if c.Compat.RefreshAliases == nil {
		c.Compat.RefreshAliases = []string{"/oauth/refresh", "/oauth/refreshAccessToken"}
	}
	checkPaths(&p, c.routePaths())
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, p.err()
}

// checkBrowser checks that the browser side is configured whole or not at
// all.
func (c *Config) checkBrowser(p *problems) {
	b := c.Browser
	switch {
	case b.Session != nil && b.LoginURL == "":
		p.add("Browser.LoginURL", "is required with Browser.Session: users who are not signed in need a login page")
	case b.Session == nil && b.LoginURL != "":
		p.add("Browser.Session", "is required with Browser.LoginURL: the authorization endpoint must know who signed in")
	}
	if b.LoginURL != "" {
		if u, err := url.Parse(b.LoginURL); err != nil || u.Fragment != "" || (u.Scheme == "" && !isAbsPath(u.Path)) {
			p.add("Browser.LoginURL", "must be an absolute URL or an absolute path without fragment")
		}
	}
}

// checkIgnored reports settings that would silently do nothing, which New
// never accepts: each names a feature that is off, or contradicts the
// switch that turns it off. It looks at the fields as the host set them,
// before defaults are filled in.
func (c *Config) checkIgnored(p *problems) {
	if c.Grants != nil && len(c.Grants) == 0 {
		p.add("Grants", "is empty, which would serve no grant; nil means the defaults")
	}
	c.checkOpenIDIgnored(p)
	if c.Compat.NoRefreshAliases && len(c.Compat.RefreshAliases) > 0 {
		p.add("Compat.RefreshAliases", "are set but Compat.NoRefreshAliases turns them off")
	}
	if c.Compat.NoConsentSSO && c.Compat.ConsentSSOPath != "" {
		p.add("Compat.ConsentSSOPath", "is set but Compat.NoConsentSSO turns it off")
	}
	rotation := c.RefreshRotation.GracePeriod != 0 || c.RefreshRotation.Key != nil
	if rotation && c.Grants != nil && !slices.Contains(c.Grants, GrantRefreshToken) {
		p.add("RefreshRotation", "is set but Grants does not offer refresh_token")
	}
	if c.browserEnabled() || c.Browser.Session != nil || c.Browser.LoginURL != "" {
		return // checkBrowser reports a half-configured browser side
	}
	// Without the browser side there is no authorization endpoint: these
	// settings belong to it.
	unused := []struct {
		set   bool
		field string
	}{
		{c.Browser.ConsentTemplate != nil, "Browser.ConsentTemplate"},
		{c.Browser.ErrorTemplate != nil, "Browser.ErrorTemplate"},
		{c.Browser.DefaultLanguage != "", "Browser.DefaultLanguage"},
		{c.Browser.Texts != nil, "Browser.Texts"},
		{c.Lifetimes.Consent != 0, "Lifetimes.Consent"},
		{c.Compat.ConsentSSOPath != "", "Compat.ConsentSSOPath"},
		{c.Compat.AcceptPlainPKCE, "Compat.AcceptPlainPKCE"},
	}
	for _, u := range unused {
		if u.set {
			p.add(u.field, "is set but the browser side is off: set Browser.Session and Browser.LoginURL")
		}
	}
}

// browserEnabled reports whether the browser side is configured.
func (c *Config) browserEnabled() bool {
	return c.Browser.Session != nil && c.Browser.LoginURL != ""
}

// checkGrants fills in the default grants and checks that each offered one
// can work.
func (c *Config) checkGrants(p *problems) {
	if c.Grants == nil {
		if c.browserEnabled() {
			c.Grants = []GrantType{GrantAuthorizationCode, GrantRefreshToken}
		}
		c.Grants = append(c.Grants, GrantClientCredentials)
	}
	for _, g := range c.Grants {
		switch g {
		case GrantRefreshToken, GrantClientCredentials:
		case GrantAuthorizationCode, GrantImplicit:
			if !c.browserEnabled() {
				p.add("Grants", "%s needs the authorization endpoint: set Browser.Session and Browser.LoginURL", g)
			}
		case GrantPassword:
			if c.CheckPassword == nil {
				p.add("CheckPassword", "is required when Grants offers password")
			}
		default:
			p.add("Grants", "unknown grant type %q", g)
		}
	}
	if c.CheckPassword != nil && !slices.Contains(c.Grants, GrantPassword) {
		p.add("CheckPassword", "is set but Grants does not offer password")
	}
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
	if u.RawQuery != "" || u.ForceQuery || strings.Contains(issuer, "?") {
		return errors.New("must not have a query (RFC 8414 §2)")
	}
	if u.Fragment != "" || strings.Contains(issuer, "#") {
		return errors.New("must not have a fragment (RFC 8414 §2)")
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return errors.New("must be an absolute URL without user info")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP && isLoopbackHost(u.Hostname()) {
			return nil
		}
		return errors.New("must use https (http is allowed only on a loopback host with Development.AllowHTTPIssuer)")
	}
	return errors.New("must use https")
}

// isLoopbackHost reports whether an issuer's host is the local machine:
// "localhost" or a loopback IP address.
func isLoopbackHost(host string) bool {
	return host == "localhost" || isLoopbackIP(host)
}

// isLoopbackIP reports whether host is a loopback IP literal (127.0.0.0/8
// or ::1).
func isLoopbackIP(host string) bool {
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
	def(&p.Token, "/oauth/token")
	def(&p.Revoke, "/oauth/revoke")
	def(&p.Introspect, "/oauth/introspect")
	def(&p.JWKS, "/oauth/jwks")
	def(&p.UserInfo, "/oauth/userinfo")
	def(&p.EndSession, "/oauth/logout")
	def(&p.PushedAuthorization, "/oauth/par")
	return p
}

// routePath is a path the server answers on and the field that sets it.
type routePath struct{ field, path string }

// routePaths lists every path the server answers on, the compatibility
// routes that are on and the metadata paths the issuer implies, each with
// the field that sets it.
func (c *Config) routePaths() []routePath {
	p := c.Paths
	paths := []routePath{
		{"Paths.Authorize", p.Authorize}, {"Paths.Consent", p.Consent}, {"Paths.Token", p.Token},
		{"Paths.Revoke", p.Revoke}, {"Paths.Introspect", p.Introspect}, {"Paths.JWKS", p.JWKS},
	}
	if c.OpenID.Enabled {
		paths = append(paths, routePath{"Paths.UserInfo", p.UserInfo}, routePath{"OpenID.Enabled", wellKnownOpenID})
	}
	if c.endSessionEnabled() {
		paths = append(paths, routePath{"Paths.EndSession", p.EndSession})
	}
	paths = append(paths, routePath{"Paths.PushedAuthorization", p.PushedAuthorization})
	if !c.Compat.NoConsentSSO {
		paths = append(paths, routePath{"Compat.ConsentSSOPath", c.Compat.ConsentSSOPath})
	}
	if !c.Compat.NoRefreshAliases {
		for _, alias := range c.Compat.RefreshAliases {
			paths = append(paths, routePath{"Compat.RefreshAliases", alias})
		}
	}
	for _, m := range metadataPaths(c.Issuer) {
		paths = append(paths, routePath{"Issuer", m})
	}
	return paths
}

// checkPaths reports every path that a ServeMux would read as a pattern,
// and every path used twice, under the field of its second use.
func checkPaths(p *problems, paths []routePath) {
	seen := make(map[string]string, len(paths))
	for _, rp := range paths {
		// Paths are matched literally: no ServeMux wildcards, methods or
		// hosts, nothing path.Clean would change, and no "%", which the
		// mux would read as an escape in the pattern but the router's map
		// as itself.
		if !isAbsPath(rp.path) || rp.path != gopath.Clean(rp.path) || strings.ContainsAny(rp.path, "{}% \t\n\r") {
			p.add(rp.field, "%q must be a clean absolute path without wildcards, spaces or %%", rp.path)
			continue
		}
		if first, ok := seen[rp.path]; ok {
			p.add(rp.field, "%q is already the path of %s", rp.path, first)
			continue
		}
		seen[rp.path] = rp.field
	}
}

// lifetime returns the token lifetimes for grant.
func (c *Config) lifetime(grant GrantType) (access, refresh time.Duration) {
	access, refresh = c.Lifetimes.AccessToken, c.Lifetimes.RefreshToken
	if l, ok := c.Lifetimes.PerGrant[grant]; ok {
		if l.Access > 0 {
			access = l.Access
		}
		if l.Refresh > 0 {
			refresh = l.Refresh
		}
	}
	return access, refresh
}
