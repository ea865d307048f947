package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/kunci/kunci/internal/jws"
	"github.com/kunci/kunci/internal/policy"
)

// Bounds and defaults of JWTConfig, stated in its field docs.
const (
	defaultLeeway          = 30 * time.Second
	maxLeeway              = 5 * time.Minute
	defaultJWKSMinInterval = 30 * time.Second
	defaultJWKSMaxAge      = time.Hour
	defaultJWTCacheTTL     = 5 * time.Minute
	// maxJWTLength caps the tokens the verifier parses.
	maxJWTLength = 16 << 10
)

// JWTConfig configures [NewJWTVerifier]. Issuer, Audience and exactly one of
// JWKSURL and KeySet are required; every other zero value is documented.
type JWTConfig struct {
	// Issuer must equal the token's iss claim exactly (RFC 9068 §4).
	Issuer string
	// Audience must be one of the values of the token's aud claim: the
	// identifier of this resource server (RFC 9068 §4, RFC 8707).
	Audience string
	// JWKSURL is where the issuer publishes its JSON Web Key Set (the
	// jwks_uri of RFC 8414 §2). It must be an absolute http or https URL.
	JWKSURL string
	// KeySet is a fixed key set used instead of JWKSURL, for tests and for
	// issuers whose keys are configured by hand. Symmetric keys in it are
	// ignored.
	KeySet *jose.JSONWebKeySet
	// HTTPClient fetches the key set. Nil means a client with a 10 second
	// timeout.
	HTTPClient *http.Client
	// Algorithms lists the JWS algorithms accepted in the alg header. Nil
	// means the algorithms kunci's authorization server signs with: ES256,
	// ES384, ES512, EdDSA, RS256 (which RFC 9068 §2.1 requires) and PS256.
	// Only asymmetric algorithms (RS256/384/512, PS256/384/512,
	// ES256/384/512, EdDSA) are allowed: "none" and the HMAC algorithms are
	// an error, as RFC 9068 §4 and RFC 8725 §3.1 require.
	Algorithms []jose.SignatureAlgorithm
	// Leeway is the clock skew allowed when checking exp, nbf and iat. Zero
	// means 30 seconds; negative or more than 5 minutes is an error.
	Leeway time.Duration
	// JWKSMinInterval is the shortest time between two fetches of the key
	// set. A token naming an unknown kid triggers a fetch only when the last
	// one is at least this old. Zero means 30 seconds; negative is an
	// error.
	JWKSMinInterval time.Duration
	// JWKSMaxAge is how long a fetched key set is used before it is fetched
	// again (if that fetch fails the old set stays in use). Zero means one
	// hour; negative is an error.
	JWKSMaxAge time.Duration
	// CacheTTL is how long a verified token is remembered, so that repeated
	// requests with it skip the signature check (and, behind
	// [Authenticate], the b64token syntax check); never past the token's
	// exp.
	// Zero means 5 minutes; negative turns the cache off. Only tokens that
	// passed every check are cached.
	CacheTTL time.Duration
	// MaxCacheEntries bounds that cache; when it is full, a newly verified
	// token replaces an expired entry or one that expires soon. Zero means
	// 10,000 entries; negative is an error.
	MaxCacheEntries int
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Logger receives key set fetch failures. Nil discards them.
	Logger *slog.Logger
}

// JWTVerifier is a [Verifier] for JWT access tokens as profiled by RFC 9068.
// It checks, in this order: the token is a compact JWS with an allowed
// asymmetric alg; the typ header is "at+jwt" or "application/at+jwt" (RFC
// 9068 §2.1, case-insensitive); the signature verifies with the issuer's key
// named by kid; iss equals the configured issuer; aud contains the configured
// audience; exp has not passed and nbf and iat are not in the future (each
// within the leeway); client_id is present. Tokens that pass are cached for
// a short while, by the SHA-256 of their signature, which is not kept
// itself. sub and jti are read but not required.
//
// A token failing any check gives an error wrapping [ErrInvalidToken]; a key
// set that cannot be fetched is a system failure. It is safe for concurrent
// use.
type JWTVerifier struct {
	issuer   string
	audience string
	algs     []jose.SignatureAlgorithm
	leeway   time.Duration
	cacheTTL time.Duration
	now      func() time.Time
	keys     *keySource
	cache    jwtCache
}

// NewJWTVerifier validates cfg and returns a verifier. It does no network
// I/O: the key set is fetched when the first token arrives.
func NewJWTVerifier(cfg JWTConfig) (*JWTVerifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("middleware: jwt Issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("middleware: jwt Audience is required")
	}
	if (cfg.JWKSURL == "") == (cfg.KeySet == nil) {
		return nil, errors.New("middleware: jwt needs exactly one of JWKSURL and KeySet")
	}
	if cfg.JWKSURL != "" {
		u, err := url.Parse(cfg.JWKSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("middleware: JWKSURL must be an absolute http or https URL")
		}
	}
	v := &JWTVerifier{issuer: cfg.Issuer, audience: cfg.Audience, now: cfg.Now}
	if v.now == nil {
		v.now = time.Now
	}
	v.algs = slices.Clone(cfg.Algorithms)
	if v.algs == nil {
		v.algs = policy.SigningAlgorithms()
	}
	if len(v.algs) == 0 {
		return nil, errors.New("middleware: jwt Algorithms is empty")
	}
	for _, a := range v.algs {
		if !policy.Asymmetric(a) {
			return nil, fmt.Errorf("middleware: jwt algorithm %q not allowed", string(a))
		}
	}
	switch {
	case cfg.Leeway < 0 || cfg.Leeway > maxLeeway:
		return nil, fmt.Errorf("middleware: jwt Leeway must be between 0 and %v", maxLeeway)
	case cfg.Leeway == 0:
		v.leeway = defaultLeeway
	default:
		v.leeway = cfg.Leeway
	}
	switch {
	case cfg.JWKSMinInterval < 0:
		return nil, errors.New("middleware: negative jwt JWKSMinInterval")
	case cfg.JWKSMinInterval == 0:
		cfg.JWKSMinInterval = defaultJWKSMinInterval
	}
	switch {
	case cfg.JWKSMaxAge < 0:
		return nil, errors.New("middleware: negative jwt JWKSMaxAge")
	case cfg.JWKSMaxAge == 0:
		cfg.JWKSMaxAge = defaultJWKSMaxAge
	}
	switch {
	case cfg.CacheTTL == 0:
		v.cacheTTL = defaultJWTCacheTTL
	case cfg.CacheTTL > 0:
		v.cacheTTL = cfg.CacheTTL
	}
	switch {
	case cfg.MaxCacheEntries < 0:
		return nil, errors.New("middleware: negative jwt MaxCacheEntries")
	case cfg.MaxCacheEntries == 0:
		cfg.MaxCacheEntries = defaultCacheEntries
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v.keys = &keySource{
		url:         cfg.JWKSURL,
		client:      cfg.HTTPClient,
		minInterval: cfg.JWKSMinInterval,
		maxAge:      cfg.JWKSMaxAge,
		now:         v.now,
		log:         cfg.Logger,
	}
	if cfg.KeySet != nil {
		v.keys.setKeys(cfg.KeySet.Keys, v.now())
	}
	v.cache = newJWTCache(cfg.MaxCacheEntries, v.now)
	return v, nil
}

// known returns the cached answer for token (see knownTokens).
func (v *JWTVerifier) known(token string) (TokenInfo, bool) {
	if v.cacheTTL <= 0 || len(token) > maxJWTLength {
		return TokenInfo{}, false
	}
	return v.cache.get(token)
}

// accessTokenClaims are the RFC 9068 §2.2 claims the verifier reads.
type accessTokenClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	// Cnf is the confirmation of a DPoP-bound token (RFC 9449 §6.1).
	Cnf confirmation `json:"cnf"`
}

// confirmation is the cnf member of RFC 7800 §3.1, as far as DPoP uses it
// (RFC 9449 §6).
type confirmation struct {
	JKT string `json:"jkt"`
}

func invalid(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, reason)
}

// VerifyAccessToken checks token as described on [JWTVerifier].
func (v *JWTVerifier) VerifyAccessToken(ctx context.Context, token string) (TokenInfo, error) {
	if len(token) > maxJWTLength {
		return TokenInfo{}, invalid("token too long")
	}
	if info, ok := v.known(token); ok {
		return info, nil
	}
	// jws.Parse is strict where go-jose is general (no padding, no crit,
	// case-sensitive unique header names); BenchmarkJWT/first measures what
	// it saves and internal/jws's FuzzParseAgreesWithGoJose keeps the two
	// in agreement.
	tok, err := jws.Parse(token)
	if err != nil || !slices.Contains(v.algs, tok.Header.Alg) {
		return TokenInfo{}, invalid("not a JWS with an allowed algorithm")
	}
	typ := tok.Header.Typ
	if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return TokenInfo{}, invalid(`typ is not "at+jwt"`)
	}
	k, err := v.keys.key(ctx, tok.Header.Kid, string(tok.Header.Alg))
	if err != nil {
		return TokenInfo{}, err
	}
	var c accessTokenClaims
	if err := tok.Verify(k.Key); err != nil {
		return TokenInfo{}, invalid("bad signature or claims")
	}
	// go-jose's JSON decoder, as its own Claims uses: member names are
	// case-sensitive and a duplicate is an error.
	if err := josejson.Unmarshal(tok.Payload, &c); err != nil {
		return TokenInfo{}, invalid("bad signature or claims")
	}
	now := v.now()
	switch {
	case c.Issuer != v.issuer:
		return TokenInfo{}, invalid("wrong issuer")
	case !c.Audience.Contains(v.audience):
		return TokenInfo{}, invalid("wrong audience")
	case c.Expiry == nil:
		return TokenInfo{}, invalid("no exp")
	case !now.Before(c.Expiry.Time().Add(v.leeway)):
		return TokenInfo{}, invalid("expired")
	case c.NotBefore != nil && now.Add(v.leeway).Before(c.NotBefore.Time()):
		return TokenInfo{}, invalid("not yet valid")
	case c.IssuedAt == nil:
		return TokenInfo{}, invalid("no iat")
	case now.Add(v.leeway).Before(c.IssuedAt.Time()):
		return TokenInfo{}, invalid("issued in the future")
	case c.ClientID == "":
		return TokenInfo{}, invalid("no client_id")
	}
	info := TokenInfo{
		Subject:   c.Subject,
		ClientID:  c.ClientID,
		Scopes:    strings.Fields(c.Scope),
		Audience:  []string(c.Audience),
		ExpiresAt: c.Expiry.Time(),
		IssuedAt:  c.IssuedAt.Time(),
		JKT:       c.Cnf.JKT,
	}
	if v.cacheTTL > 0 {
		until := now.Add(v.cacheTTL)
		if info.ExpiresAt.Before(until) {
			until = info.ExpiresAt
		}
		v.cache.put(token, info, until)
	}
	return info, nil
}
