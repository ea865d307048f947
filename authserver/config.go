package authserver

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/store"
)

// Config configures a [Server]. Issuer is required; the zero value of every
// other field is valid and documented, and [New] fills in the defaults.
// Fields are grouped by concern: the core protocol first, then one struct
// per group (lifetimes, the browser side, JWTs, OpenID Connect, limits,
// hooks), and last
// the behaviours that exist only for compatibility ([Compat]) or
// development ([Development]).
//
// New copies the Config; changing it afterwards has no effect. Every
// setting that cannot work or is unsafe is an error from New that names the
// field ([FieldError]); New never serves less than it was configured for.
type Config struct {
	// Issuer is the server's issuer identifier (RFC 8414 §2): an absolute
	// https URL with no query or fragment. It is sent as "iss" in
	// authorization responses (RFC 9207) and never derived from request
	// headers. Required.
	Issuer string

	// Paths are the endpoint paths; see [Paths] for the defaults.
	Paths Paths

	// Scopes are the scopes the server knows. A request for any other scope
	// is invalid_scope (RFC 6749 §3.3). Clients may request only the scopes
	// they registered.
	Scopes []Scope

	// DefaultScopes are granted when a request names no scope (RFC 6749
	// §3.3), limited to what the client registered. Empty means none.
	DefaultScopes []string

	// Grants lists the grant types the server offers (RFC 6749 §1.3); each
	// client must also register the ones it uses. Nil means
	// authorization_code and refresh_token when the browser side is
	// configured (see [Browser]), and client_credentials. The legacy grants,
	// password (RFC 9700 §2.4) and implicit (RFC 9700 §2.1.2), are offered
	// only when listed here. Metadata lists exactly what is offered.
	Grants []GrantType

	// CheckPassword checks a resource owner's credentials for the password
	// grant (RFC 6749 §4.3) and returns the subject. ok is false for wrong
	// credentials; err is for system failures. Required when Grants offers
	// password, and an error when it does not.
	CheckPassword func(ctx context.Context, username, password string) (subject string, ok bool, err error)

	// Lifetimes sets how long codes, tokens, pending requests and
	// remembered consents live.
	Lifetimes Lifetimes

	// RefreshRotation tunes refresh token rotation (RFC 9700 §4.14.2).
	RefreshRotation RefreshRotation

	// Browser configures the authorization endpoint and the consent page:
	// who is signed in, where users sign in, and the pages.
	Browser Browser

	// JWT configures RFC 9068 JWT access tokens, and holds the keys that
	// sign ID Tokens.
	JWT JWT

	// OpenID turns on OpenID Connect. The zero value leaves it off, and the
	// server is the plain OAuth 2.0 server it is without it.
	OpenID OpenID

	// Limits throttles failed authentication and bounds what anonymous
	// traffic may make the server keep.
	Limits Limits

	// Hooks let the host add claims and response fields, decide
	// introspection, and observe events.
	Hooks Hooks

	// Compat switches behaviours that exist only for the APIs kunci was
	// specified from (NU.ID, Apigee, Prakerja) and for legacy clients.
	Compat Compat

	// Development relaxes rules that protect production deployments. Never
	// set it in production.
	Development Development

	// Logger receives the server's logs. Nil discards them. Tokens, codes
	// and secrets are never logged.
	Logger *slog.Logger

	// CORS configures cross-origin requests from single-page apps
	// (Fetch §3.2). The zero value allows the origins of each client's
	// redirect URIs on the endpoints such an app calls; see [CORS].
	CORS CORS
	// PushedAuthorization configures pushed authorization requests (RFC
	// 9126).
	PushedAuthorization PushedAuthorization

	// ClientAssertions configures private_key_jwt client authentication
	// (RFC 7523 §2.2): how clients' jwks_uri documents are fetched.
	ClientAssertions ClientAssertions
	// DPoP turns on DPoP sender-constrained tokens (RFC 9449). The zero
	// value leaves it off.
	DPoP DPoP
}

// Scope is a scope the server knows, with the text the consent page shows for
// it (RFC 6749 §3.3) and, with OpenID Connect, the user's claims it
// releases (OpenID Connect Core §5.4).
type Scope struct {
	// Name is the scope token, e.g. "basic_info".
	Name string
	// Description tells the user what the scope lets the client do.
	Description string
	// Claims are the names of the claims about the user that a token with
	// this scope may read at the UserInfo endpoint, as the host's
	// OpenID.Claims returns them (OpenID Connect Core §5.3, §5.4). Nil
	// means the standard claims of Core §5.4 for a scope named profile,
	// email, address or phone, and none for any other scope; an empty
	// non-nil list releases none. The protocol claims of an ID Token
	// (sub, iss, aud, exp, iat, auth_time, nonce, acr, amr, azp, at_hash,
	// c_hash, sid, nbf, jti) cannot be named: sub is always released, the
	// rest never come from the host. Setting Claims needs OpenID.Enabled.
	Claims []string
	// Descriptions are Description in other languages, keyed by language
	// tag (RFC 5646), such as "en" or "id": the consent page shows the
	// one in its language (see [Browser].Texts for how that is chosen), and
	// Description when there is none. Each key must be a language the pages
	// have: built in (LanguageEnglish, LanguageIndonesian) or a key of
	// Browser.Texts.
	Descriptions map[string]string
	// Required marks a scope the host says clients need in order to work:
	// the consent page lists it apart from the scopes the user may untick,
	// as something the user refuses only by denying the request, and its
	// form posts it back with the approval. It is how the page presents
	// the scope, not a rule of the consent endpoint: a form crafted to
	// leave it out is approved without it, as a user may always approve
	// fewer scopes than were asked for (RFC 6749 §3.3), so an API still
	// checks the scopes of every token. It applies to every client that
	// requests the scope.
	Required bool
}

// Paths are the paths the server answers on, relative to where it is mounted.
// Every empty field takes its default. Each is matched literally: [New]
// refuses one that is not clean and absolute or holds a ServeMux wildcard,
// a space or a "%", and one used twice. To mount under a prefix such as /api,
// wrap the server in [http.StripPrefix]. The paths of the compatibility
// routes are in [Compat].
type Paths struct {
	// Authorize is the authorization endpoint (RFC 6749 §3.1); default
	// "/oauth/authorize".
	Authorize string
	// Consent receives the consent form; default "/oauth/consent".
	Consent string
	// Token is the token endpoint (RFC 6749 §3.2); default "/oauth/token".
	Token string
	// Revoke is the revocation endpoint (RFC 7009); default "/oauth/revoke".
	Revoke string
	// Introspect is the introspection endpoint (RFC 7662); default
	// "/oauth/introspect".
	Introspect string
	// JWKS serves the public signing keys (RFC 7517 §5); default
	// "/oauth/jwks". It is served only when JWT.SigningKeys is set.
	JWKS string
	// UserInfo is the UserInfo endpoint (OpenID Connect Core §5.3);
	// default "/oauth/userinfo". It is served only with OpenID.Enabled,
	// and setting it without is an error.
	UserInfo string
	// EndSession is the end_session_endpoint (OpenID Connect RP-Initiated
	// Logout 1.0 §2); default "/oauth/logout". It is served only with
	// OpenID.Enabled and OpenID.EndSession, and setting it without them is
	// an error.
	EndSession string
	// PushedAuthorization is the pushed authorization request endpoint
	// (RFC 9126 §2); default "/oauth/par". It is served with the
	// authorization endpoint.
	PushedAuthorization string
}

// Lifetimes are the lifetimes of what the server issues and keeps. Zero
// takes the default; negative is an error unless said otherwise. Every code
// and token belongs to a grant and expires by the grant's end (see Grant).
type Lifetimes struct {
	// AccessToken is the access token lifetime; default 30 minutes.
	AccessToken time.Duration
	// RefreshToken is the refresh token lifetime, renewed on every rotation;
	// default 24 hours.
	RefreshToken time.Duration
	// Code is the authorization code lifetime; default one minute. RFC 6749
	// §4.1.2 allows at most ten.
	Code time.Duration
	// AuthRequest bounds how long a pending authorization request waits for
	// the user to sign in and decide; default 15 minutes.
	AuthRequest time.Duration
	// IDToken is the lifetime of an ID Token (OpenID Connect Core §2,
	// exp); default one hour. An ID Token is a signed statement about a
	// sign-in that the client checks once, not a credential this server
	// accepts, so it is not bounded by its grant: revoking the grant does
	// not recall it. Setting it needs OpenID.Enabled.
	IDToken time.Duration
	// Consent is how long a user's approval is remembered, so the consent
	// page is skipped; default 30 days. Negative means never remembered. A
	// remembered approval is never applied to a client whose redirect URI
	// cannot prove its identity (a public client on a loopback or
	// custom-scheme URI, RFC 8252 §8.6): it sees the page every time.
	Consent time.Duration
	// PerGrant overrides the token lifetimes per grant type, for example
	// Apigee's ExpiresIn and RefreshTokenExpiresIn per policy.
	PerGrant map[GrantType]Lifetime
	// Grant is the absolute lifetime of a grant that may get refresh
	// tokens, counted from the approval (or the password grant's request):
	// however often its refresh token rotates, the chain ends then and the
	// user has to authorize again (RFC 9700 §4.14.2, "refresh tokens
	// SHOULD expire"). No code or token of a grant outlives it, so a
	// refresh token issued near its end expires with it. A grant that gets
	// no refresh token ends with its last access token. Default 30 days,
	// or the longest lifetime above when that is longer; it must not be
	// shorter than any of them.
	Grant time.Duration
}

// Lifetime sets how long the tokens of one grant type live.
type Lifetime struct {
	// Access is the access token lifetime; zero means Lifetimes.AccessToken.
	Access time.Duration
	// Refresh is the refresh token lifetime; zero means
	// Lifetimes.RefreshToken.
	Refresh time.Duration
}

// RefreshRotation tunes refresh token rotation. Every refresh rotates the
// token, and presenting a rotated token again revokes its grant (RFC 9700
// §4.14.2); the zero value keeps that strict rule.
type RefreshRotation struct {
	// GracePeriod lets a client that lost a refresh response present the
	// rotated token again within this period and receive the same successor
	// instead of having its grant revoked. Zero, the default, turns the
	// window off; at most one minute is allowed. The price: within the
	// window a thief holding the rotated token gets the successor too, and
	// is detected only once either side presents a token outside it.
	GracePeriod time.Duration
	// Key is the secret that authenticates refresh tokens and from which
	// successors are derived during the grace period (at least 32 bytes).
	// Instances that share a store must share it; nil means a random key
	// for this Server only. With a Key set, a made-up refresh token that
	// names a grant (whose ID its codes show) is refused without ending the
	// grant; without one, any refresh token of a live grant that is not
	// its current one counts as a reuse and ends it.
	Key []byte
}

// Browser configures the browser side: the authorization endpoint (RFC 6749
// §3.1) and the consent page. kunci does not sign users in; the host says
// who is signed in and where users sign in. Session and LoginURL go
// together: with neither the authorization endpoint is not served (and
// metadata does not list it); with only one, New fails.
type Browser struct {
	// Session reports who is signed in to the host app, if anyone. It
	// decides between "login needed" and "consent needed" at the
	// authorization endpoint; ok false, or an empty Subject, means nobody.
	Session func(r *http.Request) (s Session, ok bool)

	// LoginURL is the host's sign-in page, an absolute URL or an absolute
	// path without fragment. When no user is signed in, or the signed-in
	// user must authenticate again, the authorization endpoint redirects
	// there with a "return_to" query parameter holding a path that resumes
	// the request once the user has signed in, and a "cancel_to" one that
	// abandons it. What the request asks of the sign-in (OpenID Connect
	// Core §3.1.2.1) comes as further parameters, each only when it has a
	// value:
	//   - "prompt": "login" when the user must authenticate now, even if
	//     signed in (the request said prompt=login or max_age=0, its
	//     max_age is exceeded, or another user is signed in than it names),
	//     and "select_account" when the client asked that the user choose
	//     an account; space-separated.
	//   - "subject": the user the request names (by id_token_hint or the
	//     sub of its claims request); no other may answer it. It is not
	//     sent for a client with pairwise subjects, whose sub values the
	//     host cannot read (OpenID Connect Core §8.1).
	//   - "login_hint", "acr_values" (with the acr values of the claims
	//     request) and "ui_locales", as the client sent them.
	//
	// They are hints from the client: the page must treat them as
	// untrusted input. Once back at return_to, the session must satisfy
	// the request, else the client gets login_required: with "prompt"
	// login, Session.AuthTime must be after the request began (an
	// AuthTime in whole seconds must name a later second).
	LoginURL string

	// ConsentTemplate and ErrorTemplate replace the built-in pages. See
	// [ConsentPage] and [ErrorPage] for the data they receive. Nil means the
	// built-in page.
	ConsentTemplate *template.Template
	ErrorTemplate   *template.Template

	// DefaultLanguage is the language of the pages when neither the
	// request's ui_locales (OpenID Connect Core §3.1.2.1) nor the
	// browser's Accept-Language (RFC 9110 §12.5.4) names one the pages
	// have, as a language tag (RFC 5646). Empty means LanguageEnglish. It
	// must be LanguageEnglish, LanguageIndonesian or a key of Texts.
	DefaultLanguage string

	// Texts adds languages to the pages, or replaces some of their texts,
	// keyed by language tag (RFC 5646), such as "id" or "jv". A field
	// left empty keeps the built-in text of that language (see
	// [PageTexts]). The language of a page is the first of the request's
	// ui_locales that the pages have, else the one the browser's
	// Accept-Language prefers most among those the pages have, else
	// DefaultLanguage; a tag finds its primary language ("id-ID" finds
	// "id", RFC 4647 §3.4), and a malformed or unknown one is skipped.
	// The page's <html lang> is that language; the built-in and replaced
	// templates receive it and its texts ([ConsentPage].Lang and Texts,
	// [ErrorPage].Lang and Texts). Nil means the built-in languages only.
	Texts map[string]PageTexts
}

// Session describes the user signed in to the host app, as
// Browser.Session reports it. Only Subject is required; the rest is what
// OpenID Connect needs to answer auth_time, max_age, acr and sid (OpenID
// Connect Core §2, §3.1.2.1), recorded with every grant the session
// approves.
type Session struct {
	// Subject is the user's stable identifier at the host ("sub").
	Subject string
	// AuthTime is when the user last authenticated. The zero time means the
	// host does not know; such a grant carries no auth_time, and a request
	// with prompt=login or a max_age (or a client with DefaultMaxAge)
	// cannot be answered (login_required). Set it when the user
	// authenticates, with at least second precision. One more than a
	// minute ahead of the server's clock is a mistake (a local time read
	// as UTC, say), and the user must authenticate again.
	AuthTime time.Time
	// ACR is the Authentication Context Class Reference the authentication
	// satisfied, empty when none (OpenID Connect Core §2).
	ACR string
	// AMR lists the authentication methods used, such as "pwd" or "otp"
	// (RFC 8176), empty when unknown.
	AMR []string
	// ID identifies the host's session ("sid", OpenID Connect Front- and
	// Back-Channel Logout); empty when the host has none.
	ID string
}

// JWT configures RFC 9068 JWT access tokens. Without SigningKeys every access
// token is opaque.
type JWT struct {
	// SigningKeys are private keys for JWT access tokens; each must carry its
	// "alg" (ES256, ES384, ES512, EdDSA, RS256 or PS256; ES256 and EdDSA are
	// fastest) and a key ID. The first key signs; every key is published at
	// the JWKS endpoint. To rotate, add the new key at the end (published
	// before use), later move it to the front (it signs), and drop the old
	// key once the tokens it signed have expired. [GenerateSigningKey] makes
	// one for development.
	SigningKeys []jose.JSONWebKey

	// Resources lists RFC 8707 resource indicators whose access tokens are
	// JWTs, whatever the client's format. A client can also ask for JWTs for
	// all its tokens (Client.AccessTokenFormat). Either needs SigningKeys.
	Resources []string

	// DefaultResource is the "aud" of a JWT access token requested without a
	// resource parameter (RFC 9068 §3); empty means Issuer.
	DefaultResource string
}

// OpenID configures OpenID Connect 1.0 (OpenID Connect Core 1.0, Discovery
// 1.0). The zero value leaves it off: then "openid" is an ordinary scope if
// Config.Scopes lists it, and nothing the server does changes.
//
// When Enabled, an authorization request with the scope "openid" is an
// authentication request (Core §3.1.2.1): it must name its redirect_uri
// and use response_type code, or one of the implicit and hybrid response
// types the host offers in ResponseTypes (Core §3.2, §3.3; never token
// alone). With code it may carry a nonce, and its code exchanges for
// tokens with an ID Token (Core §3.1.3.3); the implicit and hybrid types
// need a nonce and return an ID Token (with at_hash and c_hash for the
// access token and code beside it, Core §3.2.2.10, §3.3.2.11), an access
// token, a code, or several of them, from the authorization endpoint, in
// the redirect URI's fragment or by response_mode form_post, never in a
// query. Every ID Token is signed with the client's
// id_token_signed_response_alg (RS256 unless the client chose another),
// and every refresh of an OpenID grant returns one (Core §12.2). Its grant gets a refresh token only when the client
// asked for offline_access and the user approved it on the consent page
// (Core §11), unless the client sets Client.RefreshWithoutOfflineAccess.
// Requests without "openid" are handled as before. The scopes "openid" and
// "offline_access" are added to Config.Scopes when it does not list them,
// and clients register them like any other scope. The UserInfo endpoint
// (Paths.UserInfo) is served, and the metadata document is also served as
// the OpenID Provider configuration at /.well-known/openid-configuration
// (Discovery §4), below the issuer's path as every endpoint is.
//
// An authentication request may name its user with id_token_hint, an ID
// Token this server issued to the client (expired ones too): no other user
// may answer it. Its claims parameter (Core §5.5) asks for claims by name,
// for the UserInfo response and for the ID Token: a claim is released
// when a scope the user approved releases it, or when a scope the client
// registered releases it and the consent page listed it
// ([ConsentPage].Claims), which it does for every claim beyond the
// requested scopes, so a remembered approval never covers one; any other
// claim is ignored. A claim asked for with value or values is released
// only with one of them; sub with a value names the user as id_token_hint
// does; auth_time as essential needs a Session that says when the user
// authenticated, and acr as essential with values a Session whose ACR is
// one of them (Core §5.5.1.1), or the user signs in again.
//
// Only the authorization endpoint starts an OpenID Connect grant: the
// token endpoint's password and client_credentials grants and
// [Server.IssueToken] refuse the scope "openid" (invalid_scope), and
// DefaultScopes may not name it.
//
// New fails unless the browser side is configured, Grants offers
// authorization_code, JWT.SigningKeys holds an RS256 key (Core §15.1 makes
// RS256 mandatory) and Claims is set; ResponseTypes needs Grants to offer
// implicit.
type OpenID struct {
	// Enabled turns OpenID Connect on.
	Enabled bool

	// Claims returns the claims about the user subject (Core §5.1) named
	// in names, for the UserInfo endpoint and for ID Tokens: names are
	// the claims the token's scopes release (Scope.Claims) and those its
	// grant's claims request asks for (see above), never empty; an ID
	// Token asks only for the claims of the claims request, and without
	// one the token endpoint never calls it. It returns the values it has
	// and leaves out names it has none for (Core §5.3.2); keys it returns
	// that were not asked for are dropped, and "sub" is always the token's
	// subject as its client knows it (pairwise subjects, Core §8.1). An
	// error answers the request with server_error and is
	// logged. Required with Enabled.
	Claims func(ctx context.Context, subject string, names []string) (map[string]any, error)

	// ACRValues are the Authentication Context Class References the
	// host's sign-in can satisfy, published as acr_values_supported
	// (Discovery §3) so that relying parties know which acr_values to
	// ask for. kunci itself only passes acr_values to the login page and
	// reports the Session's ACR; nil publishes none. Each must be a
	// non-empty string of visible ASCII without spaces, listed once.
	ACRValues []string

	// ResponseTypes are the response types of the implicit and hybrid
	// flows the authorization endpoint offers beside code (Core §3.2,
	// §3.3): ResponseIDToken, ResponseIDTokenToken, ResponseCodeIDToken,
	// ResponseCodeToken and ResponseCodeIDTokenToken, each listed once.
	// Nil offers none, and OpenID Connect is the code flow alone. Like the
	// OAuth implicit grant they hand tokens to the browser, so each needs
	// Grants to offer implicit, and a client uses only those it lists in
	// Client.ResponseTypes. Their requests need scope openid and a nonce;
	// they are answered in the fragment, or with response_mode form_post,
	// never in a query.
	ResponseTypes []ResponseType
	// EndSession ends the host's session of the signed-in user, as
	// Browser.Session reported it in s, at the end_session_endpoint
	// (Paths.EndSession, RP-Initiated Logout 1.0): it clears the host's
	// cookie on w, say, and must write no status or body, since the
	// server answers the request afterwards (a redirect to the client's
	// post_logout_redirect_uri, or the signed-out page). An error is a 500
	// server_error page, and is logged. It is called only for a signed-in
	// user, and only when the client's id_token_hint names that user or
	// the user confirmed on the logout page. kunci forgets nothing itself:
	// remembered consents, grants and their refresh tokens stay valid
	// (revoke them with [Server.RevokeConsent] and [Server.RevokeToken] if
	// signing out should end them). Nil, the default, serves no
	// end_session_endpoint.
	EndSession func(w http.ResponseWriter, r *http.Request, s Session) error

	// LogoutTemplate and SignedOutTemplate replace the built-in logout
	// pages: the one that asks the user to confirm signing out, and the
	// one that says the user is signed out. See [LogoutPage] for the data
	// they receive. Nil means the built-in page. Setting them needs
	// EndSession.
	LogoutTemplate    *template.Template
	SignedOutTemplate *template.Template

	// PairwiseKey is the secret pairwise subject identifiers are derived
	// with (OpenID Connect Core §8.1; see [SubjectPairwise]), at least 32
	// bytes. Instances that share a store must share it, and it must never
	// change: a new key gives every user a new sub at every pairwise
	// client. Nil offers public subjects only, and [Server.RegisterClient]
	// refuses a pairwise client. Setting it needs Enabled.
	PairwiseKey []byte
}

// Limits bound failed authentication and what anonymous traffic may make the
// server keep. Zero takes the default.
type Limits struct {
	// FailureLimit is how many failed client authentications (per client and
	// source address) or failed password checks (per username and source
	// address) are allowed within FailureWindow before further attempts are
	// answered with 429. Zero means 20; negative turns throttling off.
	FailureLimit int
	// FailureWindow is the throttling window; zero means one minute.
	FailureWindow time.Duration
	// AuthorizeRateLimit is how many authorization requests one source
	// address may start per minute. Each one is kept in the store until it
	// is decided or Lifetimes.AuthRequest passes, so anonymous traffic must
	// not start them without bound. Pushed requests (RFC 9126) of public
	// clients count as well; those of clients that authenticated do not
	// (see PushedAuthorization). Zero means 300; negative turns the limit
	// off.
	AuthorizeRateLimit int
	// MaxPendingAuthRequests caps, server wide, the authorization requests
	// that anonymous traffic (no Browser.Session) may start within one
	// Lifetimes.AuthRequest, so that traffic from many addresses together
	// cannot fill the store either; signed-in users, and pushed requests of
	// clients that authenticated, are not counted, so a flood cannot lock
	// them out. When it is
	// reached, new requests get an error page with status 503 and
	// Retry-After. Zero means 50,000; negative turns the cap off.
	MaxPendingAuthRequests int
	// Counter, when set, keeps these counts where every instance of the
	// server sees them (store/redis provides one), instead of in this
	// process. Failures then count per identifier and address and per
	// address as in process, and the server-wide cap counts the requests
	// started in fixed windows of Lifetimes.AuthRequest. A Counter error
	// fails the request with 503 temporarily_unavailable.
	Counter Counter
	// ClientIP returns the source address used as a throttling key. Nil
	// means the host part of Request.RemoteAddr. Set it when behind a proxy
	// you trust; kunci never reads X-Forwarded-For on its own.
	ClientIP func(r *http.Request) string
}

// Hooks are the host's callbacks into the server. Each may be nil.
type Hooks struct {
	// AccessTokenClaims returns extra claims for an access token, such as a
	// tenant or a role. They go into JWT access tokens and into
	// introspection responses; registered claims (iss, sub, aud, exp, iat,
	// jti, client_id, scope, ...) can never be replaced.
	AccessTokenClaims func(ctx context.Context, t IssuedToken) map[string]any

	// TokenResponse may add fields to every successful token response
	// (RFC 6749 §5.1 allows additional parameters). Fields that the server
	// sets itself cannot be replaced.
	TokenResponse func(ctx context.Context, t IssuedToken) map[string]any

	// CanIntrospect decides whether caller may learn about a token at the
	// introspection endpoint (RFC 7662 §4). Nil means: the token was issued
	// to caller, or caller's ID is in the token's audience, so a resource
	// server registers as a client whose ID is its RFC 8707 resource
	// indicator.
	CanIntrospect func(caller store.Client, token TokenInfo) bool

	// Events is called synchronously for every [Event]. It must not block
	// for long.
	Events func(ctx context.Context, e Event)
}

// Compat switches protocol behaviours that exist only for the APIs kunci was
// specified from and for legacy clients. The ones that loosen a rule of the
// specifications are off by default; the extra routes that the seed APIs
// document are on by default and can each be turned off.
type Compat struct {
	// AcceptMissingGrantType accepts a token request without grant_type as
	// an authorization_code request when it carries a code. Version 1 of the
	// NU.ID API sends its code exchange this way. Off by default: RFC 6749
	// §4.1.3 requires grant_type, and such a request is invalid_request.
	AcceptMissingGrantType bool

	// AcceptTokenOnlyRevocation lets a revocation request that carries no
	// client credentials at all revoke the token it names: whoever holds a
	// token may end it. NU.ID's revoke call sends only the token. Off by
	// default: RFC 7009 §2.1 has the client authenticate.
	AcceptTokenOnlyRevocation bool

	// ExtendedTokenResponse adds fields to every token response: issued_at,
	// refresh_token_issued_at, refresh_token_expires_in, refresh_count,
	// client_id, application_name, status and refresh_token_status, and
	// echoes a state sent to the token endpoint. Apigee's token responses
	// carry them. Off by default.
	ExtendedTokenResponse bool

	// RefreshAliases are extra paths of the token endpoint that accept only
	// the refresh_token grant. Nil means "/oauth/refresh" (Apigee) and
	// "/oauth/refreshAccessToken" (NU.ID).
	RefreshAliases []string
	// NoRefreshAliases serves no refresh alias at all.
	NoRefreshAliases bool

	// ConsentSSOPath is a second authorization endpoint that also takes
	// client_name (checked against the registered name) and login_uri (where
	// a user who abandons sign-in returns), and where a missing
	// response_type means code. Prakerja's consent-sso works this way.
	// Empty means "/consent-sso". It is served with the browser side.
	ConsentSSOPath string
	// NoConsentSSO serves no consent-sso endpoint.
	NoConsentSSO bool

	// AcceptPlainPKCE accepts code_challenge_method=plain (RFC 7636 §4.2)
	// from clients that cannot compute SHA-256. Off by default: only S256
	// (RFC 9700 §2.1.1).
	AcceptPlainPKCE bool
}

// Development relaxes rules that protect production deployments, so that a
// server can run on a developer's machine. Each field is off by default.
type Development struct {
	// AllowHTTPIssuer permits an http Issuer whose host is a loopback
	// address.
	AllowHTTPIssuer bool
	// AllowHTTPRedirectURIs lets clients register http redirect URIs on any
	// host. Without it only loopback hosts may use http (RFC 9700 §2.1,
	// OAuth 2.1 §2.3.1).
	AllowHTTPRedirectURIs bool
}
