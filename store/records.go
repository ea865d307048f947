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
	// (RFC 7591 §2): "client_secret_basic", "client_secret_post" or "none".
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
	// CreatedAt is when the client was registered.
	CreatedAt time.Time
}

// Public reports whether c is a public client: one without a secret.
func (c Client) Public() bool { return c.SecretHash == "" }

// AuthCode is an issued authorization code (RFC 6749 §4.1.2).
type AuthCode struct {
	// Hash is the hash of the code. The code itself never reaches the store.
	Hash string
	// GrantID ties the code to every token issued from it.
	GrantID string
	// ClientID is the client the code was issued to.
	ClientID string
	// Subject identifies the resource owner who approved the request.
	Subject string
	// RedirectURI is the redirect_uri of the authorization request, empty when
	// the request left it out (RFC 6749 §4.1.3).
	RedirectURI string
	// Scopes are the scopes the resource owner granted.
	Scopes []string
	// Resources are the RFC 8707 resource indicators of the request.
	Resources []string
	// CodeChallenge and CodeChallengeMethod bind the code to a PKCE verifier
	// (RFC 7636 §4.4).
	CodeChallenge       string
	CodeChallengeMethod string
	// AuthTime is when the resource owner signed in.
	AuthTime time.Time
	// IssuedAt and ExpiresAt bound the code's life.
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AccessToken is an issued access token (RFC 6749 §1.4), opaque or JWT. For a
// JWT the hash is that of its jti, so that revocation and introspection work
// on it too.
type AccessToken struct {
	// Hash is the hash of the token.
	Hash string
	// GrantID ties the token to its grant. It may be empty for tokens that
	// belong to no grant (client_credentials), which then only DeleteToken
	// removes.
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
	// IssuedAt and ExpiresAt bound the token's life.
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// RefreshToken is an issued refresh token (RFC 6749 §1.5). Every rotation
// retires a token and saves its successor in the same grant, its family.
type RefreshToken struct {
	// Hash is the hash of the token.
	Hash string
	// GrantID names the token's family; it is required.
	GrantID string
	// ClientID is the client the token was issued to.
	ClientID string
	// Subject identifies the resource owner.
	Subject string
	// Scopes are the scopes of the grant; a refresh may narrow them.
	Scopes []string
	// Audience lists the resources of the grant (RFC 8707).
	Audience []string
	// RefreshCount counts the rotations before this token; 0 for the first.
	RefreshCount int
	// AuthTime is when the resource owner signed in.
	AuthTime time.Time
	// IssuedAt and ExpiresAt bound the token's life.
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RotatedAt is set by the store when the token is rotated; zero while the
	// token is live.
	RotatedAt time.Time
	// SuccessorHash is set by the store when the token is rotated: the hash of
	// the token that replaced it.
	SuccessorHash string
}

// Rotated reports whether the token has been rotated and is no longer usable.
func (t RefreshToken) Rotated() bool { return !t.RotatedAt.IsZero() }

// AuthRequest is a pending authorization request: what the server stored when
// the client sent the user to the authorization endpoint, kept while the user
// signs in and decides on consent (RFC 6749 §4.1.1).
type AuthRequest struct {
	// ID is the opaque identifier the server puts in login and consent URLs.
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
	// LoginURI is the registered page to return to when sign-in is cancelled.
	LoginURI string
	// CSRFHash is the hash of the token that the consent form must carry back.
	CSRFHash string
	// Subject is the signed-in user the consent page was shown to, empty before.
	Subject string
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
