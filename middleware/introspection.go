package middleware

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Bounds and defaults of IntrospectionConfig, stated in its field docs.
const (
	defaultIntrospectionCacheTTL = 30 * time.Second
	// maxIntrospectionCacheTTL is short because a revoked token stays usable
	// for up to CacheTTL.
	maxIntrospectionCacheTTL = 5 * time.Minute
	defaultInactiveCacheTTL  = 5 * time.Second
	maxInactiveCacheTTL      = 30 * time.Second
	// maxIntrospectionResponse caps how much of a response is read.
	maxIntrospectionResponse = 1 << 20
)

// IntrospectionConfig configures [NewIntrospectionVerifier]. Every field's
// zero value is documented; URL and ClientID are required.
type IntrospectionConfig struct {
	// URL is the authorization server's introspection endpoint (RFC 7662
	// §2). It must be an absolute http or https URL.
	URL string
	// ClientID and ClientSecret authenticate this resource server to the
	// endpoint with HTTP Basic, each form-encoded first as RFC 6749 §2.3.1
	// requires. ClientID is required; ClientSecret may be empty.
	ClientID     string
	ClientSecret string
	// Audience, when set, must be one of the values of the token's "aud":
	// the identifier of this resource server (RFC 8707). Set it when the
	// authorization server does not itself hide tokens meant for other
	// resources; kunci's default introspection policy does.
	Audience string
	// HTTPClient sends the requests. Nil means a client with a 10 second
	// timeout (never http.DefaultClient, which has none).
	HTTPClient *http.Client
	// CacheTTL is how long an active result is reused, never past the
	// token's exp. Zero means 30 seconds; negative turns caching of active
	// results off; more than 5 minutes is an error. A revoked token stays
	// usable for up to CacheTTL.
	CacheTTL time.Duration
	// InactiveCacheTTL is how long an inactive result is reused, which keeps
	// a bad token sent over and over from reaching the endpoint each time.
	// Zero means 5 seconds; negative turns it off; more than 30 seconds is an
	// error.
	InactiveCacheTTL time.Duration
	// MaxCacheEntries bounds each of the two caches, one for active and one
	// for inactive results, so that a flood of unknown tokens can neither
	// evict valid ones nor keep them from being cached. When a cache is
	// full, a new result replaces an expired entry of the same cache or one
	// that expires soon. Zero means 10,000 entries each; negative is an
	// error.
	MaxCacheEntries int
	// Now is the clock used for expiry and the cache. Nil means time.Now.
	Now func() time.Time
	// Logger receives failures of the endpoint. Nil discards them.
	Logger *slog.Logger
}

// IntrospectionVerifier is a [Verifier] that asks a remote authorization
// server about each token through OAuth 2.0 Token Introspection (RFC 7662)
// and caches the answers briefly. It is safe for concurrent use.
type IntrospectionVerifier struct {
	url         string
	audience    string
	authz       string
	client      *http.Client
	activeTTL   time.Duration
	inactiveTTL time.Duration
	now         func() time.Time
	log         *slog.Logger
	// active holds the TokenInfo of tokens the endpoint called active;
	// inactive only remembers which tokens it did not. Kept apart so that
	// junk tokens only ever displace junk tokens.
	active   *tokenCache[TokenInfo]
	inactive *tokenCache[struct{}]

	// pending holds the requests in flight, by token hash, so that
	// concurrent misses for one token share one request.
	pendingMu sync.Mutex
	pending   map[cacheKey]*introspection
}

// introspection is one request to the endpoint and, once done is closed,
// its outcome.
type introspection struct {
	done   chan struct{}
	info   TokenInfo
	active bool
	err    error

	waiters int // callers that joined it, guarded by pendingMu; for tests
}

// NewIntrospectionVerifier validates cfg and returns a verifier. It does no
// network I/O.
func NewIntrospectionVerifier(cfg IntrospectionConfig) (*IntrospectionVerifier, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("middleware: introspection URL must be an absolute http or https URL")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("middleware: introspection ClientID is required")
	}
	v := &IntrospectionVerifier{url: cfg.URL, audience: cfg.Audience, client: cfg.HTTPClient, now: cfg.Now, log: cfg.Logger}
	switch {
	case cfg.CacheTTL > maxIntrospectionCacheTTL:
		return nil, fmt.Errorf("middleware: introspection CacheTTL above %v", maxIntrospectionCacheTTL)
	case cfg.CacheTTL == 0:
		v.activeTTL = defaultIntrospectionCacheTTL
	case cfg.CacheTTL > 0:
		v.activeTTL = cfg.CacheTTL
	}
	switch {
	case cfg.InactiveCacheTTL > maxInactiveCacheTTL:
		return nil, fmt.Errorf("middleware: introspection InactiveCacheTTL above %v", maxInactiveCacheTTL)
	case cfg.InactiveCacheTTL == 0:
		v.inactiveTTL = defaultInactiveCacheTTL
	case cfg.InactiveCacheTTL > 0:
		v.inactiveTTL = cfg.InactiveCacheTTL
	}
	switch {
	case cfg.MaxCacheEntries < 0:
		return nil, errors.New("middleware: negative introspection MaxCacheEntries")
	case cfg.MaxCacheEntries == 0:
		cfg.MaxCacheEntries = defaultCacheEntries
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: 10 * time.Second}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	cred := url.QueryEscape(cfg.ClientID) + ":" + url.QueryEscape(cfg.ClientSecret)
	v.authz = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred))
	v.active = newTokenCache[TokenInfo](cfg.MaxCacheEntries, v.now)
	v.inactive = newTokenCache[struct{}](cfg.MaxCacheEntries, v.now)
	v.pending = make(map[cacheKey]*introspection)
	return v, nil
}

// introspectionResponse is the RFC 7662 §2.2 response body, as far as it is
// used.
type introspectionResponse struct {
	Active    *bool        `json:"active"`
	Scope     string       `json:"scope"`
	ClientID  string       `json:"client_id"`
	Subject   string       `json:"sub"`
	Audience  stringOrList `json:"aud"`
	Expiry    *json.Number `json:"exp"`
	IssuedAt  *json.Number `json:"iat"`
	NotBefore *json.Number `json:"nbf"`
	TokenType string       `json:"token_type"`
	// Cnf binds a DPoP-bound token to its key (RFC 9449 §6.2).
	Cnf confirmation `json:"cnf"`
}

// stringOrList decodes a JSON string or array of strings, the two forms RFC
// 7519 §4.1.3 allows for "aud".
type stringOrList []string

// UnmarshalJSON accepts a string or an array of strings.
func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringOrList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("middleware: aud is neither a string nor an array of strings")
	}
	*s = many
	return nil
}

// VerifyAccessToken asks the introspection endpoint whether token is active
// (RFC 7662 §2.1), reusing a recent answer when there is one; a token not in
// the cache costs exactly one request, shared by every concurrent call for
// the same token (each waits for it or for its own ctx). An inactive token,
// a refresh token, or one whose exp, nbf or audience rule it out gives an
// error wrapping [ErrInvalidToken]. A transport error, a status other than
// 200 or an unreadable response is a system failure, and is not cached.
func (v *IntrospectionVerifier) VerifyAccessToken(ctx context.Context, token string) (TokenInfo, error) {
	key := keyOf(token)
	if info, ok := v.active.get(key); ok {
		return info.clone(), nil
	}
	if _, ok := v.inactive.get(key); ok {
		return TokenInfo{}, errInactive()
	}
	call, lead := v.join(key)
	if lead {
		v.run(ctx, key, token, call)
	} else {
		select {
		case <-call.done:
		case <-ctx.Done():
			return TokenInfo{}, fmt.Errorf("middleware: introspection: %w", context.Cause(ctx))
		}
	}
	if call.err != nil {
		return TokenInfo{}, call.err
	}
	if !call.active {
		return TokenInfo{}, errInactive()
	}
	return call.info.clone(), nil
}

// known returns the cached answer for a token the endpoint called active
// (see knownTokens).
func (v *IntrospectionVerifier) known(token string) (TokenInfo, bool) {
	info, ok := v.active.get(keyOf(token))
	if !ok {
		return TokenInfo{}, false
	}
	return info.clone(), true
}

// join returns the request in flight for key, or registers a new one that
// the caller, the leader, must run.
func (v *IntrospectionVerifier) join(key cacheKey) (*introspection, bool) {
	v.pendingMu.Lock()
	defer v.pendingMu.Unlock()
	if call, ok := v.pending[key]; ok {
		call.waiters++
		return call, false
	}
	// A leader that finished between the cache lookup and here has already
	// cached its answer: use it rather than ask again.
	if info, ok := v.active.get(key); ok {
		call := &introspection{done: make(chan struct{}), info: info, active: true}
		close(call.done)
		return call, false
	}
	if _, ok := v.inactive.get(key); ok {
		call := &introspection{done: make(chan struct{})}
		close(call.done)
		return call, false
	}
	call := &introspection{done: make(chan struct{})}
	v.pending[key] = call
	return call, true
}

// run makes the request of call, caches its answer, and only then removes
// call from pending and wakes the waiters, so that no caller can miss both.
func (v *IntrospectionVerifier) run(ctx context.Context, key cacheKey, token string, call *introspection) {
	call.info, call.active, call.err = v.introspect(ctx, token)
	if call.err == nil {
		now := v.now()
		switch {
		case !call.active && v.inactiveTTL > 0:
			v.inactive.put(key, struct{}{}, now.Add(v.inactiveTTL))
		case call.active && v.activeTTL > 0 && isB64token(token):
			// Only a b64token is remembered as active: Authenticate takes
			// a token the cache knows without checking its syntax (see
			// knownTokens). Another comes only from a direct caller, and
			// is asked about each time.
			until := now.Add(v.activeTTL)
			if !call.info.ExpiresAt.IsZero() && call.info.ExpiresAt.Before(until) {
				until = call.info.ExpiresAt
			}
			v.active.put(key, call.info.clone(), until)
		}
	}
	v.pendingMu.Lock()
	delete(v.pending, key)
	v.pendingMu.Unlock()
	close(call.done)
}

// errInactive is the error for a token the endpoint did not call active.
func errInactive() error {
	return fmt.Errorf("%w: token is not active", ErrInvalidToken)
}

// introspect makes one request and interprets the answer. active is false
// for a token the answer rules out.
func (v *IntrospectionVerifier) introspect(ctx context.Context, token string) (TokenInfo, bool, error) {
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.url, strings.NewReader(form.Encode()))
	if err != nil {
		return TokenInfo{}, false, fmt.Errorf("middleware: introspection request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", v.authz)
	resp, err := v.client.Do(req)
	if err != nil {
		// The url.Error names the endpoint, never the token, which is in the body.
		return TokenInfo{}, false, fmt.Errorf("middleware: introspection: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIntrospectionResponse+1))
	if err != nil {
		return TokenInfo{}, false, fmt.Errorf("middleware: introspection: reading response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		v.log.ErrorContext(ctx, "middleware: introspection endpoint refused", "status", resp.StatusCode)
		return TokenInfo{}, false, fmt.Errorf("middleware: introspection: status %d", resp.StatusCode)
	}
	if len(body) > maxIntrospectionResponse {
		return TokenInfo{}, false, errors.New("middleware: introspection: response too large")
	}
	var r introspectionResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return TokenInfo{}, false, fmt.Errorf("middleware: introspection: malformed response: %w", err)
	}
	if r.Active == nil {
		return TokenInfo{}, false, errors.New("middleware: introspection: response lacks active")
	}
	if !*r.Active {
		return TokenInfo{}, false, nil
	}
	if strings.EqualFold(r.TokenType, "refresh_token") {
		// Only access tokens may be presented to a resource server.
		return TokenInfo{}, false, nil
	}
	if v.audience != "" && !slices.Contains(r.Audience, v.audience) {
		// Active, but for another resource server.
		return TokenInfo{}, false, nil
	}
	info := TokenInfo{
		Subject:  r.Subject,
		ClientID: r.ClientID,
		Scopes:   strings.Fields(r.Scope),
		Audience: r.Audience,
		JKT:      r.Cnf.JKT,
	}
	if info.ExpiresAt, err = numericDate(r.Expiry); err != nil {
		return TokenInfo{}, false, err
	}
	if info.IssuedAt, err = numericDate(r.IssuedAt); err != nil {
		return TokenInfo{}, false, err
	}
	nbf, err := numericDate(r.NotBefore)
	if err != nil {
		return TokenInfo{}, false, err
	}
	now := v.now()
	if !info.ExpiresAt.IsZero() && !now.Before(info.ExpiresAt) {
		return TokenInfo{}, false, nil
	}
	if !nbf.IsZero() && now.Before(nbf) {
		return TokenInfo{}, false, nil
	}
	return info, true, nil
}

// numericDate converts an RFC 7519 §2 NumericDate (seconds since the epoch,
// possibly fractional) to a time; nil gives the zero time.
func numericDate(n *json.Number) (time.Time, error) {
	if n == nil {
		return time.Time{}, nil
	}
	if i, err := n.Int64(); err == nil {
		return time.Unix(i, 0), nil
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1<<40 {
		return time.Time{}, errors.New("middleware: introspection: bad NumericDate")
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}
