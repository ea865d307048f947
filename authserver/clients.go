package authserver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/store"
)

// Client is a client registration as a host writes it: like [store.Client],
// but with the plain secret, which [Server.RegisterClient] hashes before it
// reaches the store. Field names follow the client metadata of RFC 7591 §2
// and OpenID Connect Registration §2.
type Client struct {
	// ID is the client_id. Required.
	ID string
	// Secret is the client_secret, at least 16 characters. It is required
	// unless AuthMethod is AuthMethodNone: an empty secret never turns a
	// client into a public one by accident.
	Secret string
	// AuthMethod is the token_endpoint_auth_method. Empty means
	// client_secret_basic; a public client (RFC 6749 §2.1) must say
	// AuthMethodNone and have no Secret.
	AuthMethod AuthMethod
	// Name is the client_name shown on the consent page.
	Name string
	// ApplicationType is "web" (the default) or "native" (OpenID Connect
	// Registration §2). Only a native client may use another port than the
	// registered one on a loopback http redirect URI, and only in the code
	// flow (RFC 8252 §7.3).
	ApplicationType ApplicationType
	// RedirectURIs are the redirect_uris, compared exactly (RFC 9700
	// §4.1.3); required for the authorization code and implicit grants. An
	// http URI must be on a loopback host (RFC 9700 §2.1, OAuth 2.1 §2.3.1)
	// unless Config.Development.AllowHTTPRedirectURIs.
	RedirectURIs []string
	// LoginURIs are pages to return to when the user abandons sign-in, as
	// Prakerja's login_uri.
	LoginURIs []string
	// GrantTypes are the grant_types the client may use. GrantImplicit
	// enables response_type=token.
	GrantTypes []GrantType
	// ResponseTypes are the response_types the client may use. Nil means
	// the ones its GrantTypes imply (RFC 7591 §2.1: code for
	// authorization_code, token for implicit); when set they must agree.
	// The response types of OpenID Connect's implicit and hybrid flows
	// ([ResponseIDToken] and the others) are never implied: a client lists
	// those it uses, when the server offers them
	// (Config.OpenID.ResponseTypes), with the grant types they imply
	// (OpenID Connect Registration §2: implicit, and authorization_code
	// for those that return a code) and the scope openid.
	ResponseTypes []ResponseType
	// Scopes are the scopes the client may request; each must be in
	// Config.Scopes.
	Scopes []string
	// PKCEOptional lets a confidential client skip PKCE. A public client
	// always needs it (RFC 9700 §2.1.1); setting it there is an error.
	PKCEOptional bool
	// AccessTokenFormat is TokenFormatJWT for RFC 9068 access tokens, or
	// TokenFormatOpaque (the zero value).
	AccessTokenFormat TokenFormat
	// Resources are the RFC 8707 resource indicators the client may request.
	Resources []string
	// IDTokenSignedResponseAlg is the id_token_signed_response_alg (OpenID
	// Connect Registration §2): the algorithm of the client's ID Tokens,
	// one of the algorithms of Config.JWT.SigningKeys. Empty means RS256,
	// which Core §15.1 makes every client able to verify; "none" is
	// refused. Setting it needs Config.OpenID.Enabled.
	IDTokenSignedResponseAlg jose.SignatureAlgorithm
	// RefreshWithoutOfflineAccess gives the client's OpenID Connect grants
	// a refresh token whether or not it asked for offline_access (OpenID
	// Connect Core §11 makes that scope, approved by the user, the way to
	// get one), as its plain OAuth 2.0 grants have. It is for clients
	// written before they signed users in with OpenID Connect. Setting it
	// needs Config.OpenID.Enabled and the refresh_token grant.
	RefreshWithoutOfflineAccess bool
	// DefaultMaxAge is the default_max_age (OpenID Connect Registration
	// §2): the max_age of the client's authorization requests that send
	// none, so that the user signs in again once the last authentication
	// is older (OpenID Connect Core §3.1.2.1). It needs the host's
	// Session to report AuthTime. Zero means none; otherwise it must be a
	// positive whole number of seconds. It applies to plain OAuth 2.0
	// requests too, as max_age does.
	DefaultMaxAge time.Duration
	// RequireAuthTime is the require_auth_time (OpenID Connect
	// Registration §2): every ID Token of the client carries auth_time.
	// A Session that does not say when the user authenticated then cannot
	// answer the client's OpenID Connect requests (plain OAuth 2.0 ones,
	// which get no ID Token, are not concerned): the user signs in again, and when the
	// host's Session still gives no AuthTime, the client gets
	// login_required, as with max_age. Setting it needs
	// Config.OpenID.Enabled.
	RequireAuthTime bool
	// PostLogoutRedirectURIs are the post_logout_redirect_uris (OpenID
	// Connect RP-Initiated Logout 1.0 §3.1): where the end_session_endpoint
	// may send the browser after signing out, compared exactly. Each is
	// checked as a redirect URI is. Setting them needs
	// Config.OpenID.EndSession.
	PostLogoutRedirectURIs []string
	// SubjectType is the subject_type (OpenID Connect Core §8,
	// Registration §2): empty or SubjectPublic for the host's subject,
	// SubjectPairwise for one derived per sector, which needs
	// Config.OpenID.PairwiseKey.
	SubjectType SubjectType
	// SectorIdentifier is the host a pairwise sub is derived for (OpenID
	// Connect Core §8.1), such as "example.com": clients with the same
	// sector see the same sub for a user. Empty means the host of
	// RedirectURIs, which must then all have one host. Fetching a
	// sector_identifier_uri waits for dynamic registration. Setting it
	// needs SubjectType pairwise.
	SectorIdentifier string
	// JWKS is the client's JSON Web Key Set inline (RFC 7591 §2, jwks;
	// RFC 7517 §5): the public keys that verify its private_key_jwt
	// assertions, at most 32, no private or symmetric key. Set it or
	// JWKSURI, not both, exactly when AuthMethod is private_key_jwt.
	JWKS []byte
	// JWKSURI is where the client publishes its JSON Web Key Set (RFC 7591
	// §2, jwks_uri): an https URL, or http on a loopback IP address. The
	// server fetches it as Config.ClientAssertions says.
	JWKSURI string
	// AuthSigningAlg is the token_endpoint_auth_signing_alg (OpenID
	// Connect Registration §2): the one JWS algorithm the client's
	// assertions may use, one of those the metadata lists in
	// token_endpoint_auth_signing_alg_values_supported. Empty means any of
	// them. Needs AuthMethod private_key_jwt.
	AuthSigningAlg jose.SignatureAlgorithm
	// AcceptEndpointAudience lets the client's assertions name, as aud, the
	// URL of the token endpoint (or of the pushed authorization,
	// introspection or revocation endpoint) instead of the issuer
	// identifier, as RFC 7523 §3 allowed. It is a legacy switch:
	// draft-ietf-oauth-rfc7523bis requires the issuer identifier, so that an
	// assertion made for one server cannot be replayed at another that
	// claims its endpoints (audience injection). Needs AuthMethod
	// private_key_jwt.
	AcceptEndpointAudience bool
	// RequirePushedAuthorizationRequests is
	// require_pushed_authorization_requests (RFC 9126 §6): the
	// authorization endpoint refuses the client's requests unless they
	// come through a pushed request_uri. Needs the browser side.
	RequirePushedAuthorizationRequests bool
	// LogoURI, ClientURI, PolicyURI and TOSURI are the logo_uri,
	// client_uri, policy_uri and tos_uri (RFC 7591 §2) that the consent
	// page shows: the client's logo at a fixed size (loaded by the
	// browser, never fetched by the server), and links to its web site,
	// privacy policy and terms of service. Each is optional; when set it
	// must be an absolute https URL with a host and without user info,
	// made of visible ASCII characters other than <>"'`\ (so an
	// internationalized host is written in its A-label form). They are
	// what the client says about itself; beside them the page shows the
	// host of the redirect URI the user will be sent to.
	LogoURI   string
	ClientURI string
	PolicyURI string
	TOSURI    string
	// DPoPBoundAccessTokens is dpop_bound_access_tokens (RFC 9449 §5.2):
	// every token request of the client must carry a DPoP proof, and so
	// every access token it gets is DPoP-bound. Needs Config.DPoP.Enabled.
	DPoPBoundAccessTokens bool
}

// minSecretLen is the shortest client secret RegisterClient accepts. Secrets
// are stored as unsalted SHA-256 hashes, which is safe only for secrets that
// cannot be guessed.
const minSecretLen = 16

// RegisterClient validates c and saves it, with its secret hashed. A client
// with the same ID is replaced: registering is also how a host updates a
// client. Every problem is a [*FieldError]. The Server also records the
// origins of the client's redirect URIs, for which it answers CORS
// preflights (see [CORS]).
func (s *Server) RegisterClient(ctx context.Context, c Client) error {
	rec, err := s.clientRecord(c)
	if err != nil {
		return err
	}
	if err := s.store.SaveClient(ctx, rec); err != nil {
		return fmt.Errorf("authserver: saving client: %w", err)
	}
	s.cors.register(rec.ID, rec.RedirectURIs)
	return nil
}

// clientRecord validates a registration and turns it into a store record.
func (s *Server) clientRecord(c Client) (store.Client, error) {
	p := problems{client: c.ID}
	if c.ID == "" || !vschar(c.ID) {
		p.add("ID", "must be non-empty visible ASCII (RFC 6749 Appendix A)")
	}
	if !vschar(c.Secret) {
		p.add("Secret", "must be visible ASCII (RFC 6749 Appendix A)")
	}
	method := c.AuthMethod
	if method == "" {
		method = AuthMethodBasic
	}
	switch method {
	case AuthMethodNone:
		if c.Secret != "" {
			p.add("Secret", "must be empty for a public client (AuthMethod none)")
		}
		if c.PKCEOptional {
			p.add("PKCEOptional", "a public client always needs PKCE (RFC 9700 §2.1.1)")
		}
	case AuthMethodBasic, AuthMethodPost:
		switch {
		case c.Secret == "":
			p.add("Secret", "is required for AuthMethod %s; a public client says AuthMethod none", method)
		case len(c.Secret) < minSecretLen:
			p.add("Secret", "must be at least %d characters", minSecretLen)
		}
	case AuthMethodPrivateKeyJWT:
		if c.Secret != "" {
			p.add("Secret", "must be empty for AuthMethod private_key_jwt, which authenticates with keys (JWKS or JWKSURI)")
		}
	default:
		p.add("AuthMethod", "unknown token_endpoint_auth_method %q", method)
	}
	appType := c.ApplicationType
	switch appType {
	case "":
		appType = ApplicationWeb
	case ApplicationWeb, ApplicationNative:
	default:
		p.add("ApplicationType", "must be web or native, not %q", appType)
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantPassword, GrantImplicit:
		case GrantClientCredentials:
			if method == AuthMethodNone {
				p.add("GrantTypes", "client_credentials needs a confidential client (RFC 6749 §4.4)")
			}
		default:
			p.add("GrantTypes", "unknown grant type %q", g)
			continue
		}
		if !slices.Contains(s.cfg.Grants, g) {
			// A client cannot use a grant the server does not offer; saying
			// so now beats a runtime unsupported_grant_type.
			p.add("GrantTypes", "%s is not offered by this server (Config.Grants)", g)
		}
	}
	responseTypes := s.checkResponseTypes(&p, c)
	if (slices.Contains(c.GrantTypes, GrantAuthorizationCode) || slices.Contains(c.GrantTypes, GrantImplicit)) && len(c.RedirectURIs) == 0 {
		p.add("RedirectURIs", "are required for authorization_code and implicit")
	}
	for _, u := range c.RedirectURIs {
		if err := s.checkRedirectURI(u); err != nil {
			p.add("RedirectURIs", "%q: %v", u, err)
		}
	}
	s.checkFrontChannelRedirects(&p, c, responseTypes)
	for _, u := range c.LoginURIs {
		if err := s.checkRedirectURI(u); err != nil {
			p.add("LoginURIs", "%q: %v", u, err)
		}
	}
	for _, sc := range c.Scopes {
		if _, ok := s.scopes[sc]; !ok {
			p.add("Scopes", "%q is not in Config.Scopes", sc)
		}
	}
	switch {
	case c.AccessTokenFormat != TokenFormatOpaque && c.AccessTokenFormat != TokenFormatJWT:
		p.add("AccessTokenFormat", "must be empty or %q", TokenFormatJWT)
	case c.AccessTokenFormat == TokenFormatJWT && s.keys == nil:
		p.add("AccessTokenFormat", "JWT access tokens need Config.JWT.SigningKeys")
	}
	for _, r := range c.Resources {
		if err := checkResource(r); err != nil {
			p.add("Resources", "%q: %v", r, err)
		}
	}
	if c.DefaultMaxAge < 0 || c.DefaultMaxAge%time.Second != 0 || c.DefaultMaxAge > maxMaxAge {
		p.add("DefaultMaxAge", "must be zero (none) or a positive whole number of seconds, at most 100 years")
	}
	s.checkClientOpenID(&p, c)
	s.checkClientSubject(&p, c)
	s.checkClientLogout(&p, c)
	s.checkClientHighSecurity(&p, c, method)
	checkClientPageURIs(&p, c)
	if c.DPoPBoundAccessTokens && s.dpop == nil {
		p.add("DPoPBoundAccessTokens", "is set but DPoP is off (Config.DPoP.Enabled)")
	}
	if err := p.err(); err != nil {
		return store.Client{}, err
	}
	rec := store.Client{
		ID:                c.ID,
		Name:              c.Name,
		ApplicationType:   string(appType),
		RedirectURIs:      slices.Clone(c.RedirectURIs),
		LoginURIs:         slices.Clone(c.LoginURIs),
		GrantTypes:        names(c.GrantTypes),
		ResponseTypes:     names(responseTypes),
		Scopes:            slices.Clone(c.Scopes),
		AuthMethod:        string(method),
		PKCEOptional:      c.PKCEOptional,
		AccessTokenFormat: string(c.AccessTokenFormat),
		Resources:         slices.Clone(c.Resources),
		CreatedAt:         time.Now(),

		IDTokenSignedResponseAlg:    string(c.IDTokenSignedResponseAlg),
		RefreshWithoutOfflineAccess: c.RefreshWithoutOfflineAccess,
		DefaultMaxAge:               c.DefaultMaxAge,
		RequireAuthTime:             c.RequireAuthTime,

		PostLogoutRedirectURIs:             slices.Clone(c.PostLogoutRedirectURIs),
		SubjectType:                        string(c.SubjectType),
		SectorIdentifier:                   c.SectorIdentifier,
		JWKS:                               slices.Clone(c.JWKS),
		JWKSURI:                            c.JWKSURI,
		AuthSigningAlg:                     string(c.AuthSigningAlg),
		AcceptEndpointAudience:             c.AcceptEndpointAudience,
		RequirePushedAuthorizationRequests: c.RequirePushedAuthorizationRequests,
		LogoURI:                            c.LogoURI,
		ClientURI:                          c.ClientURI,
		PolicyURI:                          c.PolicyURI,
		TOSURI:                             c.TOSURI,
		DPoPBoundAccessTokens:              c.DPoPBoundAccessTokens,
	}
	if c.Secret != "" {
		rec.SecretHash = hashToken(c.Secret)
	}
	return rec, nil
}

// checkClientOpenID checks the OpenID Connect settings of a registration.
func (s *Server) checkClientOpenID(p *problems, c Client) {
	alg := c.IDTokenSignedResponseAlg
	if !s.cfg.OpenID.Enabled {
		if alg != "" {
			p.add("IDTokenSignedResponseAlg", "is set but OpenID Connect is off (Config.OpenID.Enabled)")
		}
		if c.RefreshWithoutOfflineAccess {
			p.add("RefreshWithoutOfflineAccess", "is set but OpenID Connect is off (Config.OpenID.Enabled)")
		}
		if c.RequireAuthTime {
			p.add("RequireAuthTime", "is set but OpenID Connect is off (Config.OpenID.Enabled)")
		}
		return
	}
	switch {
	case alg == "":
	case strings.EqualFold(string(alg), "none"):
		p.add("IDTokenSignedResponseAlg", "none is refused: ID Tokens are always signed")
	case s.keys.idTokenSigners[alg] == nil:
		p.add("IDTokenSignedResponseAlg", "%q is not the algorithm of a key in Config.JWT.SigningKeys, which sign %v", alg, s.keys.idTokenAlgs)
	}
	if c.RefreshWithoutOfflineAccess && !slices.Contains(c.GrantTypes, GrantRefreshToken) {
		p.add("RefreshWithoutOfflineAccess", "needs the refresh_token grant in GrantTypes")
	}
}

// checkFrontChannelRedirects refuses plain http redirect URIs, loopback
// ones included, for a web client registered for the OpenID Connect
// implicit or hybrid flows (OpenID Connect Registration §2,
// application_type: such a web client registers only https URIs and not
// localhost); a native client may use loopback as RFC 8252 §7.3 lets it.
// The OAuth 2.0 implicit grant (response_type token) keeps RFC 6749's
// rules, which the seed APIs rely on.
func (s *Server) checkFrontChannelRedirects(p *problems, c Client, responseTypes []ResponseType) {
	if c.ApplicationType == ApplicationNative || s.cfg.Development.AllowHTTPRedirectURIs ||
		!slices.ContainsFunc(responseTypes, func(rt ResponseType) bool { return rt != ResponseToken && rt.frontChannel() }) {
		return
	}
	for _, u := range c.RedirectURIs {
		if pu, err := url.Parse(u); err == nil && pu.Scheme == "http" {
			p.add("RedirectURIs", "%q: a web client that gets tokens from the authorization endpoint registers only https redirect URIs (OpenID Connect Registration §2)", u)
		}
	}
}

// checkResponseTypes returns the client's response types, derived from its
// grant types when it names none, and reports a pair that disagrees
// (RFC 7591 §2.1).
func (s *Server) checkResponseTypes(p *problems, c Client) []ResponseType {
	implied := func(rt ResponseType) bool { return slices.Contains(c.GrantTypes, rt.grant()) }
	if c.ResponseTypes == nil {
		var out []ResponseType
		for _, rt := range []ResponseType{ResponseCode, ResponseToken} {
			if implied(rt) {
				out = append(out, rt)
			}
		}
		return out
	}
	out := make([]ResponseType, len(c.ResponseTypes))
	for i, rt := range c.ResponseTypes {
		rt = canonicalResponseType(string(rt))
		out[i] = rt
		switch {
		case slices.Contains(openIDResponseTypes(), rt):
			s.checkClientOpenIDResponseType(p, c, rt)
		case rt != ResponseCode && rt != ResponseToken:
			p.add("ResponseTypes", "unknown response type %q", rt)
		case !implied(rt):
			p.add("ResponseTypes", "%s needs grant type %s (RFC 7591 §2.1)", rt, rt.grant())
		}
	}
	for _, rt := range []ResponseType{ResponseCode, ResponseToken} {
		// A grant type is used by a response type that implies it.
		uses := func(x ResponseType) bool { return slices.Contains(x.grants(), rt.grant()) }
		if implied(rt) && !slices.ContainsFunc(out, uses) {
			p.add("GrantTypes", "%s needs response type %s (RFC 7591 §2.1)", rt.grant(), rt)
		}
	}
	return out
}

// names converts typed protocol values to the strings a store record keeps.
func names[T ~string](vs []T) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// checkRedirectURI enforces RFC 6749 §3.1.2 (an absolute URI without a
// fragment) and RFC 9700 §2.1 (http only on loopback IP addresses unless
// Development.AllowHTTPRedirectURIs). Schemes that run code in the browser
// are refused.
func (s *Server) checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URI")
	}
	if !u.IsAbs() {
		return errors.New("must be absolute")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not have a fragment")
	}
	if codeScheme(u.Scheme) {
		return fmt.Errorf("scheme %q is not allowed", u.Scheme)
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		if u.Host == "" {
			return errors.New("must have a host")
		}
	case "http":
		if u.Host == "" {
			return errors.New("must have a host")
		}
		if !isLoopbackIP(u.Hostname()) && !s.cfg.Development.AllowHTTPRedirectURIs {
			// RFC 8252 §8.3: a loopback redirect names the IP literal;
			// "localhost" depends on name resolution.
			return errors.New("http is allowed only on a loopback IP address such as 127.0.0.1 or [::1] (RFC 9700 §2.1, RFC 8252 §8.3); use https")
		}
	}
	return nil
}

// codeScheme reports whether a URI of scheme runs code or reads files in
// the browser, which no redirect URI may do.
func codeScheme(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "javascript", "data", "vbscript", "file":
		return true
	}
	return false
}
