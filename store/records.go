package store

import "time"

// Client is a registered OAuth 2.0 client (RFC 6749 §2).
type Client struct {
	// ID is the client identifier (RFC 6749 §2.2).
	ID string
	// SecretHash is the hash of the client secret, computed by the server.
	// It is empty for public clients (RFC 6749 §2.1).
	SecretHash string
	// Name is the human-readable name shown on the consent page.
	Name string
	// RedirectURIs are the registered redirection endpoints (RFC 6749 §3.1.2).
	RedirectURIs []string
	// LoginURIs are the registered pages the user returns to when sign-in is
	// cancelled or fails (Prakerja's login_uri).
	LoginURIs []string
	// GrantTypes lists the grant types the client may use, by their RFC 6749
	// names ("authorization_code", "refresh_token", "client_credentials",
	// "password") plus "implicit" for response_type=token.
	GrantTypes []string
	// ResponseTypes lists the response types the client may use at the
	// authorization endpoint (RFC 7591 §2): "code" for the authorization code
	// grant, "token" for the implicit grant.
	ResponseTypes []string
	// Scopes lists the scopes the client may request. Empty means none.
	Scopes []string
	// AuthMethod is the registered token endpoint authentication method
	// (RFC 7591 §2): "client_secret_basic", "client_secret_post", "none"
	// or "private_key_jwt" (RFC 7523 §2.2, OpenID Connect Core §9).
	AuthMethod string
	// ApplicationType is "web" or "native" (OpenID Connect Registration §2);
	// only native clients may use loopback redirect URIs with any port
	// (RFC 8252 §7.3).
	ApplicationType string
	// PKCEOptional lets a confidential client skip PKCE. Public clients always
	// need it (RFC 9700 §2.1.1).
	PKCEOptional bool
	// AccessTokenFormat is "jwt" for RFC 9068 access tokens; empty means opaque.
	AccessTokenFormat string
	// Resources lists the resource indicators (RFC 8707) the client may ask for.
	Resources []string
	// IDTokenSignedResponseAlg is the JWS algorithm of the client's ID
	// Tokens (OpenID Connect Registration §2,
	// id_token_signed_response_alg); empty means RS256.
	IDTokenSignedResponseAlg string
	// RefreshWithoutOfflineAccess gives the client's OpenID Connect grants
	// a refresh token even when it did not ask for offline_access, which
	// OpenID Connect Core §11 makes the way to ask for one.
	RefreshWithoutOfflineAccess bool
	// DefaultMaxAge is the client's default_max_age (OpenID Connect
	// Registration §2): the max_age of its authorization requests that
	// send none. Zero means none.
	DefaultMaxAge time.Duration
	// RequireAuthTime is require_auth_time (OpenID Connect Registration
	// §2): the client's ID Tokens always carry auth_time.
	RequireAuthTime bool
	// PostLogoutRedirectURIs are the registered post_logout_redirect_uris
	// (OpenID Connect RP-Initiated Logout §3.1), compared exactly.
	PostLogoutRedirectURIs []string
	// SubjectType is the subject_type (OpenID Connect Core §8): "pairwise"
	// for a sub derived per sector; empty or "public" for the local
	// subject.
	SubjectType string
	// SectorIdentifier is the host that a pairwise sub is derived for
	// (OpenID Connect Core §8.1); empty means the host of RedirectURIs.
	SectorIdentifier string
	// JWKS is the client's public keys inline (RFC 7591 §2, jwks): a JSON
	// JWK Set, nil when none.
	JWKS []byte
	// JWKSURI is where the client publishes its public keys (RFC 7591 §2,
	// jwks_uri); empty when none.
	JWKSURI string
	// AuthSigningAlg is token_endpoint_auth_signing_alg (OpenID Connect
	// Registration §2): the one JWS algorithm of the client's
	// private_key_jwt assertions; empty means any the server accepts.
	AuthSigningAlg string
	// AcceptEndpointAudience lets the client's assertions name an endpoint
	// URL as their aud, not only the issuer identifier (RFC 7523 §3 as
	// read before draft-ietf-oauth-rfc7523bis): a legacy switch.
	AcceptEndpointAudience bool
	// RequirePushedAuthorizationRequests is
	// require_pushed_authorization_requests (RFC 9126 §6): the client's
	// authorization requests must arrive through a pushed request.
	RequirePushedAuthorizationRequests bool
	// DPoPBoundAccessTokens is dpop_bound_access_tokens (RFC 9449 §5.2):
	// the client's token requests must carry a DPoP proof.
	DPoPBoundAccessTokens bool
	// LogoURI, ClientURI, PolicyURI and TOSURI are logo_uri, client_uri,
	// policy_uri and tos_uri (RFC 7591 §2), which the consent page shows.
	LogoURI   string
	ClientURI string
	PolicyURI string
	TOSURI    string
	// CreatedAt is when the client was registered.
	CreatedAt time.Time
}

// Public reports whether c is a public client (RFC 6749 §2.1): one that
// holds no credential, neither a secret nor, with AuthMethod
// "private_key_jwt", a key (RFC 7523 §2.2).
func (c Client) Public() bool { return c.SecretHash == "" && c.AuthMethod != "private_key_jwt" }

// Grant is the family of everything issued from one authorization: the
// resource owner's approval, the session data the token endpoint needs
// again on every refresh, and the state of the grant's refresh token
// (RFC 6749 §1.5, RFC 9700 §4.14.2). Codes and access tokens name their
// grant by ID; a refresh token is not a record of its own but the
// RefreshHash of its grant.
//
// Nothing of a grant outlives its ExpiresAt, its absolute lifetime: codes,
// access tokens and refresh tokens of it expire by then at the latest.
type Grant struct {
	// ID names the grant. The server chooses it (unguessable) and carries
	// it in the codes and refresh tokens it issues, so that every lookup
	// of a code or refresh token is given the grant ID. Access tokens,
	// which resource servers see, do not show it.
	ID string
	// ClientID is the client the grant was made to.
	ClientID string
	// Subject identifies the resource owner who approved it.
	Subject string
	// Scopes are the scopes the resource owner approved (RFC 6749 §3.3).
	Scopes []string
	// Audience lists the resource indicators of the grant (RFC 8707).
	Audience []string
	// AuthTime is when the resource owner signed in (OpenID Connect Core
	// §2, auth_time).
	AuthTime time.Time
	// ACR is the authentication context class reference the sign-in met
	// (OpenID Connect Core §2, acr).
	ACR string
	// AMR lists the authentication methods used (OpenID Connect Core §2,
	// amr; RFC 8176).
	AMR []string
	// SessionID is the sign-in session's identifier, the sid claim of
	// OpenID Connect Front-Channel and Back-Channel Logout.
	SessionID string
	// Nonce is the nonce of the authorization request, repeated in the ID
	// token (OpenID Connect Core §3.1.2.1).
	Nonce string
	// Claims is the claims request parameter of the authorization request
	// (OpenID Connect Core §5.5) as the user approved it: JSON, without
	// the claims the approval did not release; nil when none.
	Claims []byte
	// JKT is the JWK SHA-256 thumbprint of the DPoP key the grant's tokens
	// are bound to (RFC 9449 §6, §10); empty when they are not bound.
	JKT string

	// RefreshHash is the hash of the grant's current refresh token, empty
	// while the grant has none.
	RefreshHash string
	// RefreshIssuedAt and RefreshExpiresAt bound the current refresh
	// token's life; RefreshExpiresAt is never after ExpiresAt.
	RefreshIssuedAt  time.Time
	RefreshExpiresAt time.Time
	// RefreshCount counts the rotations so far; 0 for the first refresh
	// token.
	RefreshCount int
	// PreviousRefreshHash is the hash of the refresh token the last rotation
	// retired, and RotatedAt when that rotation happened (the IssuedAt of
	// the token that replaced it). The server's grace window for a client
	// that lost a refresh response uses them. Both are empty before the
	// first rotation.
	PreviousRefreshHash string
	RotatedAt           time.Time

	// CreatedAt is when the grant was made.
	CreatedAt time.Time
	// ExpiresAt is the grant's absolute lifetime.
	ExpiresAt time.Time
}

// RefreshState is a grant's new refresh token, as
// [GrantStore.RotateRefreshToken] installs it.
type RefreshState struct {
	// Hash is the hash of the new refresh token.
	Hash string
	// IssuedAt is when the server issued it; it becomes the grant's
	// RefreshIssuedAt and, when a token is retired, its RotatedAt.
	IssuedAt time.Time
	// ExpiresAt is when it expires, not after the grant's ExpiresAt.
	ExpiresAt time.Time
}

// AuthCode is an issued authorization code (RFC 6749 §4.1.2). What the
// resource owner approved (subject, scopes, resources, the time of sign-in)
// lives in the code's [Grant].
type AuthCode struct {
	// Hash is the hash of the code. The code itself never reaches the store.
	Hash string
	// GrantID names the grant the code was issued for; it is required.
	GrantID string
	// ClientID is the client the code was issued to.
	ClientID string
	// RedirectURI is the redirect_uri of the authorization request, empty when
	// the request left it out (RFC 6749 §4.1.3).
	RedirectURI string
	// CodeChallenge and CodeChallengeMethod bind the code to a PKCE verifier
	// (RFC 7636 §4.4).
	CodeChallenge       string
	CodeChallengeMethod string
	// IssuedAt and ExpiresAt bound the code's life; ExpiresAt is not after
	// the grant's.
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AccessToken is an issued access token (RFC 6749 §1.4), opaque or JWT. For a
// JWT the hash is that of its jti, so that revocation and introspection work
// on it too.
type AccessToken struct {
	// Hash is the hash of the token.
	Hash string
	// GrantID names the token's grant. It is empty for a token that
	// belongs to no grant, which only DeleteAccessToken and its expiry
	// remove: the server issues client_credentials tokens so.
	GrantID string
	// ClientID is the client the token was issued to.
	ClientID string
	// Subject identifies the resource owner; empty for client_credentials.
	Subject string
	// Scopes are the scopes the token carries (RFC 6749 §3.3).
	Scopes []string
	// Audience lists the resources the token is meant for (RFC 8707).
	Audience []string
	// Claims holds a JSON object of extra claims the host added; nil when none.
	Claims []byte
	// JKT is the JWK SHA-256 thumbprint of the DPoP key the token is bound
	// to (RFC 9449 §6); empty for a bearer token.
	JKT string
	// IssuedAt and ExpiresAt bound the token's life; ExpiresAt is not after
	// the grant's.
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AuthRequest is a pending authorization request: what the server stored when
// the client sent the user to the authorization endpoint, kept while the user
// signs in and decides on consent (RFC 6749 §4.1.1).
//
// A pushed authorization request (RFC 9126) is an AuthRequest too, with
// Pushed set: the client sent its parameters to the pushed authorization
// request endpoint (after authenticating, or identified by its client_id
// alone for a public client), and the server answered with a
// request_uri that names this record (§2.2). The authorization endpoint
// then reads it by that ID instead of from the query.
type AuthRequest struct {
	// ID is the opaque identifier the server puts in login and consent URLs,
	// or in the request_uri of a pushed request.
	ID string
	// ClientID, RedirectURI, ResponseType, State, Scopes and Resources are the
	// request's parameters. RedirectURI is the one the client sent, empty when
	// it sent none.
	ClientID     string
	RedirectURI  string
	ResponseType string
	State        string
	Scopes       []string
	Resources    []string
	// CodeChallenge and CodeChallengeMethod are the PKCE parameters.
	CodeChallenge       string
	CodeChallengeMethod string
	// Nonce is the nonce of an OpenID Connect authentication request
	// (OpenID Connect Core §3.1.2.1), which the approval hands to the
	// grant for its ID Tokens; empty when none.
	Nonce string
	// ResponseMode is the response_mode parameter (OAuth 2.0 Multiple
	// Response Type Encoding Practices §2.1, OAuth 2.0 Form Post Response
	// Mode §2): how the answer reaches the redirect URI. Empty means the
	// default of the response type.
	ResponseMode string
	// Prompt lists the values of the prompt parameter (OpenID Connect Core
	// §3.1.2.1): "none", "login", "consent", "select_account". A max_age of
	// zero is kept as "login".
	Prompt []string
	// MaxAge is the longest time since the user last authenticated that
	// the request accepts: its max_age, or the client's DefaultMaxAge
	// (OpenID Connect Core §3.1.2.1). Zero means no limit.
	MaxAge time.Duration
	// LoginHint, ACRValues and UILocales are the login_hint, acr_values
	// and ui_locales parameters (OpenID Connect Core §3.1.2.1), which the
	// host's login page receives.
	LoginHint string
	ACRValues []string
	UILocales []string
	// RequiredSubject is the user the request may be answered for alone:
	// the subject of its id_token_hint or the sub value of its claims
	// request (OpenID Connect Core §3.1.2.1, §5.5.1); empty when any user
	// may sign in.
	RequiredSubject string
	// Claims is the claims request parameter (OpenID Connect Core §5.5),
	// JSON as the server normalized it; nil when none.
	Claims []byte
	// LoginURI is the registered page to return to when sign-in is cancelled.
	LoginURI string
	// CSRFHash is the hash of the consent form's CSRF token joined with the
	// value of the binding cookie set when the form was rendered: the POST
	// must carry both back, from the browser that loaded the page.
	CSRFHash string
	// Subject is the signed-in user the consent page was shown to, empty before.
	Subject string
	// JKT is the dpop_jkt parameter (RFC 9449 §10): the JWK SHA-256
	// thumbprint of the DPoP key the code must be redeemed with; empty
	// when none.
	JKT string
	// Pushed reports a request pushed to the pushed authorization request
	// endpoint (RFC 9126 §2.1) by its client, authenticated or, for a
	// public client, identified by its client_id; it is addressed by its
	// request_uri. Only the client that pushed it may
	// use it, and only once (§2.2, §4).
	Pushed bool
	// CreatedAt and ExpiresAt bound the request's life.
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Consent is a resource owner's remembered approval of scopes for a client.
type Consent struct {
	// Subject identifies the resource owner.
	Subject string
	// ClientID is the client the scopes were granted to.
	ClientID string
	// Scopes are the approved scopes.
	Scopes []string
	// GrantedAt and ExpiresAt bound how long the approval is remembered.
	GrantedAt time.Time
	ExpiresAt time.Time
}
