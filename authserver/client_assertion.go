package authserver

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/store"
)

// AuthMethodPrivateKeyJWT authenticates the client with a JWT it signs
// with its private key (RFC 7523 §2.2, OpenID Connect Core §9), sent as
// client_assertion with client_assertion_type
// urn:ietf:params:oauth:client-assertion-type:jwt-bearer. The client
// registers its public keys inline (Client.JWKS) or by URL
// (Client.JWKSURI).
const AuthMethodPrivateKeyJWT AuthMethod = "private_key_jwt"

// clientAssertionTypeJWT is the client_assertion_type of a JWT client
// assertion (RFC 7523 §2.2).
const clientAssertionTypeJWT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Bounds of a client assertion.
const (
	// maxAssertionLen bounds the compact JWS, before it is parsed.
	maxAssertionLen = 8 << 10
	// maxAssertionAhead is how far in the future an assertion's exp may
	// be: an assertion is made for one request, and its jti is kept until
	// exp (RFC 7523 §3 lets the server limit it).
	maxAssertionAhead = 5 * time.Minute
	// assertionLeeway is the clock skew allowed for nbf and iat.
	assertionLeeway = 30 * time.Second
	// maxJTILen bounds the jti kept in the store.
	maxJTILen = 256
)

// Reasons a client assertion is refused, as logged at debug level.
const (
	refusedAssertionKey      = "assertion signature: no registered key verifies it"
	refusedAssertionAlg      = "assertion algorithm is not the client's token_endpoint_auth_signing_alg"
	refusedAssertionIssuer   = "assertion iss or sub is not the client"
	refusedAssertionAudience = "assertion aud is not the issuer identifier"
	refusedAssertionExpiry   = "assertion expired, not yet valid or exp too far ahead"
	refusedAssertionJTI      = "assertion jti missing or malformed"
	refusedAssertionReplayed = "assertion jti already used"
	refusedAssertionKeys     = "client keys unavailable"
)

// assertionAlgorithms are the JWS algorithms a client assertion may be
// signed with: the asymmetric ones of the server's policy, never "none" or
// HMAC (RFC 8725 §3.1), which a shared-secret client would use through
// client_secret_jwt, which kunci does not offer.
func assertionAlgorithms() []jose.SignatureAlgorithm { return policy.SigningAlgorithms() }

// clientAssertion is a parsed, not yet verified, client assertion.
type clientAssertion struct {
	token  *jwt.JSONWebToken
	claims jwt.Claims
}

// readAssertion reads the client_assertion and client_assertion_type of a
// request (RFC 7521 §4.2) and returns the credentials they claim: the
// client is the assertion's sub (RFC 7523 §3), taken here before the
// signature is checked only to find the client's keys. A type other than
// jwt-bearer, an assertion that is not a JWS of an accepted algorithm, and
// one without a sub are invalid_client; a client_id that names another
// client is invalid_request, as beside Basic credentials.
func readAssertion(f form) (credentials, *Error) {
	if f.get("client_assertion_type") != clientAssertionTypeJWT {
		return credentials{}, oauthError(CodeInvalidClient, "unsupported client_assertion_type")
	}
	raw := f.get("client_assertion")
	a, err := parseClientAssertion(raw)
	if err != nil {
		return credentials{}, oauthError(CodeInvalidClient, "malformed client_assertion")
	}
	id := a.claims.Subject
	if id == "" || !vschar(id) || len(id) > maxTokenLen {
		return credentials{}, oauthError(CodeInvalidClient, "malformed client_assertion")
	}
	if f.has("client_id") && f.get("client_id") != id {
		return credentials{}, oauthError(CodeInvalidRequest, "client_id does not match the client assertion")
	}
	return credentials{method: AuthMethodPrivateKeyJWT, id: id, assertion: a}, nil
}

// parseClientAssertion parses a compact JWS client assertion of at most
// maxAssertionLen bytes, signed with one of assertionAlgorithms, and reads
// its claims without verifying them.
func parseClientAssertion(raw string) (*clientAssertion, error) {
	if raw == "" || len(raw) > maxAssertionLen {
		return nil, errors.New("authserver: client assertion is empty or too long")
	}
	tok, err := jwt.ParseSigned(raw, assertionAlgorithms())
	if err != nil {
		return nil, err
	}
	if len(tok.Headers) != 1 {
		return nil, errors.New("authserver: client assertion must have one signature")
	}
	if typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string); !assertionTypeOK(typ) {
		return nil, errors.New("authserver: client assertion has the typ of another kind of JWT")
	}
	a := &clientAssertion{token: tok}
	if err := tok.UnsafeClaimsWithoutVerification(&a.claims); err != nil {
		return nil, err
	}
	return a, nil
}

// assertionTypeOK reports whether typ may be the typ header of a client
// assertion: absent, "JWT" (RFC 7519 §5.1), the explicit
// "client-authentication+jwt" of draft-ietf-oauth-rfc7523bis, or another
// value that is not the type of another kind of JWT. A token made for one
// purpose must not pass as one made for another (RFC 8725 §3.11): a DPoP
// proof (RFC 9449), an access token (RFC 9068), a request object (RFC
// 9101), a logout token (OpenID Connect Back-Channel Logout) or a security
// event token (RFC 8417). Types compare without case and without the
// "application/" prefix (RFC 7515 §4.1.9).
func assertionTypeOK(typ string) bool {
	switch strings.TrimPrefix(strings.ToLower(typ), "application/") {
	case "dpop+jwt", "at+jwt", "oauth-authz-req+jwt", "logout+jwt", "secevent+jwt":
		return false
	}
	return true
}

// verifyClientAssertion checks a private_key_jwt assertion of client
// (RFC 7523 §3, OpenID Connect Core §9): signed by one of the client's
// keys with its token_endpoint_auth_signing_alg when it registered one;
// iss and sub the client ID; aud the issuer identifier alone (the fix of
// draft-ietf-oauth-rfc7523bis against audience injection), or one of the
// server's endpoint URLs for a client with AcceptEndpointAudience; exp
// present, not passed and at most maxAssertionAhead ahead; nbf and iat,
// when present, not in the future; a jti never used before by the client.
// The jti is recorded only after everything else held, so an assertion
// nobody could sign never costs a store entry. It returns the reason of a
// refusal, or an error for a store failure.
func (s *Server) verifyClientAssertion(ctx context.Context, client store.Client, a *clientAssertion) (string, *Error) {
	alg := jose.SignatureAlgorithm(a.token.Headers[0].Algorithm)
	if client.AuthSigningAlg != "" && alg != jose.SignatureAlgorithm(client.AuthSigningAlg) {
		return refusedAssertionAlg, nil
	}
	var c jwt.Claims
	if reason := s.checkAssertionSignature(ctx, client, a.token, alg, &c); reason != "" {
		return reason, nil
	}
	if c.Issuer != client.ID || c.Subject != client.ID {
		return refusedAssertionIssuer, nil
	}
	if !s.assertionAudienceOK(client, c.Audience) {
		return refusedAssertionAudience, nil
	}
	now := time.Now()
	switch {
	case c.Expiry == nil:
		return refusedAssertionExpiry, nil
	case !now.Before(c.Expiry.Time()), c.Expiry.Time().After(now.Add(maxAssertionAhead)):
		return refusedAssertionExpiry, nil
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(assertionLeeway)):
		return refusedAssertionExpiry, nil
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(assertionLeeway)):
		return refusedAssertionExpiry, nil
	}
	if c.ID == "" || len(c.ID) > maxJTILen || !vschar(c.ID) {
		return refusedAssertionJTI, nil
	}
	// RFC 7523 §3: "The authorization server MAY ensure that JWTs are not
	// replayed by maintaining the set of used "jti" values for the length
	// of time for which the JWT would be considered valid".
	err := s.store.UseOnce(ctx, "client_assertion:"+url.QueryEscape(client.ID)+":"+c.ID, c.Expiry.Time())
	switch {
	case errors.Is(err, store.ErrReused):
		return refusedAssertionReplayed, nil
	case errors.Is(err, store.ErrExpired):
		return refusedAssertionExpiry, nil
	case err != nil:
		return "", unavailable(err)
	}
	return "", nil
}

// checkAssertionSignature verifies tok with the client's key that its kid
// names, or with each of its keys that fit alg when it names none, and
// reads the verified claims into c. An unknown kid has a jwks_uri fetched
// again, at most once per ClientAssertions.RefetchInterval.
func (s *Server) checkAssertionSignature(ctx context.Context, client store.Client, tok *jwt.JSONWebToken, alg jose.SignatureAlgorithm, c *jwt.Claims) string {
	kid := tok.Headers[0].KeyID
	var set *jose.JSONWebKeySet
	switch {
	case len(client.JWKS) > 0:
		set, _ = s.clientKeys.inlineKeys(client.JWKS)
	case client.JWKSURI != "":
		set, _ = s.clientKeys.keys(ctx, client.JWKSURI, kid)
	default:
		return refusedAssertionKeys
	}
	// A fetch failure was logged by the fetcher, once; a cached set
	// outlives it.
	if set == nil {
		return refusedAssertionKeys
	}
	keys := set.Keys
	if kid != "" {
		keys = set.Key(kid)
	}
	for _, k := range keys {
		if (k.Algorithm != "" && k.Algorithm != string(alg)) || (k.Use != "" && k.Use != "sig") || !policy.KeyFits(k.Key, alg) {
			continue
		}
		if tok.Claims(k.Key, c) == nil {
			return ""
		}
	}
	return refusedAssertionKey
}

// assertionAudienceOK reports whether aud is what a client assertion must
// name: exactly one audience, the issuer identifier. A client with
// AcceptEndpointAudience may name instead the URL of the token endpoint or
// of another endpoint it authenticates at (pushed authorization,
// introspection, revocation), as RFC 7523 §3 allowed before
// draft-ietf-oauth-rfc7523bis.
func (s *Server) assertionAudienceOK(client store.Client, aud jwt.Audience) bool {
	if len(aud) != 1 {
		return false
	}
	if aud[0] == s.cfg.Issuer {
		return true
	}
	if !client.AcceptEndpointAudience {
		return false
	}
	p := s.cfg.Paths
	return slices.Contains([]string{s.endpoint(p.Token), s.endpoint(p.PushedAuthorization), s.endpoint(p.Introspect), s.endpoint(p.Revoke)}, aud[0])
}
