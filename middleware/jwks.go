package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/kunci/kunci/internal/policy"
)

// maxJWKSResponse caps how much of a JWKS response is read.
const maxJWKSResponse = 1 << 20

// keySource finds the public key that should have signed a JWT. It holds an
// issuer's JSON Web Key Set (RFC 7517 §5), fetched from a URL (RFC 8414
// jwks_uri) or given once. Fetches are rate limited: at most one per
// minInterval, whether it succeeded or not, so tokens naming unknown key IDs
// cannot make it hammer the issuer. It is safe for concurrent use.
type keySource struct {
	url         string // empty for a static set
	client      *http.Client
	minInterval time.Duration
	maxAge      time.Duration
	now         func() time.Time
	log         *slog.Logger

	fetchMu sync.Mutex // serializes fetches

	mu          sync.RWMutex
	keys        []jose.JSONWebKey
	loaded      bool
	fetchedAt   time.Time
	lastAttempt time.Time
	fetches     int // for tests
}

// setKeys replaces the key set with the usable public signing keys of set.
func (s *keySource) setKeys(keys []jose.JSONWebKey, now time.Time) {
	var usable []jose.JSONWebKey
	for _, k := range keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if _, symmetric := k.Key.([]byte); symmetric {
			continue // never verify with a shared secret
		}
		if !k.IsPublic() {
			k = k.Public()
		}
		if !k.Valid() {
			continue
		}
		usable = append(usable, k)
	}
	s.mu.Lock()
	s.keys, s.loaded, s.fetchedAt = usable, true, now
	s.mu.Unlock()
}

// lookup returns a key for kid and alg from the current set, and whether the
// set is younger than maxAge.
func (s *keySource) lookup(kid, alg string) (jose.JSONWebKey, bool, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fresh := s.loaded && (s.url == "" || s.now().Sub(s.fetchedAt) < s.maxAge)
	if kid == "" && len(s.keys) != 1 {
		// Without a kid only an unambiguous single-key set will do.
		return jose.JSONWebKey{}, false, fresh
	}
	for _, k := range s.keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if policy.KeyFits(k.Key, jose.SignatureAlgorithm(alg)) {
			return k, true, fresh
		}
	}
	return jose.JSONWebKey{}, false, fresh
}

// key returns the key that should have verified a JWS with header kid and
// alg. An unknown key is an error wrapping ErrInvalidToken; a key set that
// cannot be fetched at all is a system failure.
func (s *keySource) key(ctx context.Context, kid, alg string) (jose.JSONWebKey, error) {
	if k, ok, fresh := s.lookup(kid, alg); ok && fresh {
		return k, nil
	}
	if s.url == "" {
		return jose.JSONWebKey{}, fmt.Errorf("%w: unknown signing key", ErrInvalidToken)
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	// Another request may have fetched while this one waited.
	k, ok, fresh := s.lookup(kid, alg)
	if ok && fresh {
		return k, nil
	}
	s.mu.RLock()
	loaded, last := s.loaded, s.lastAttempt
	s.mu.RUnlock()
	if !last.IsZero() && s.now().Sub(last) < s.minInterval {
		switch {
		case ok: // stale, but the best there is
			return k, nil
		case loaded:
			return jose.JSONWebKey{}, fmt.Errorf("%w: unknown signing key", ErrInvalidToken)
		default:
			return jose.JSONWebKey{}, errors.New("middleware: jwks unavailable")
		}
	}
	if err := s.fetch(ctx); err != nil {
		s.log.ErrorContext(ctx, "middleware: cannot fetch jwks", "url", s.url, "err", err)
		if ok {
			return k, nil
		}
		return jose.JSONWebKey{}, err
	}
	if k, ok, _ := s.lookup(kid, alg); ok {
		return k, nil
	}
	return jose.JSONWebKey{}, fmt.Errorf("%w: unknown signing key", ErrInvalidToken)
}

// fetch downloads the key set once; the caller holds fetchMu.
func (s *keySource) fetch(ctx context.Context) error {
	now := s.now()
	s.mu.Lock()
	s.lastAttempt = now
	s.fetches++
	s.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return fmt.Errorf("middleware: jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("middleware: jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("middleware: jwks: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSResponse+1))
	if err != nil {
		return fmt.Errorf("middleware: jwks: reading response: %w", err)
	}
	if len(body) > maxJWKSResponse {
		return errors.New("middleware: jwks: response too large")
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return err
	}
	s.setKeys(keys, now)
	return nil
}

// parseJWKS decodes a JWK Set, skipping keys it cannot use (an unknown key
// type must not make the whole set unusable, RFC 7517 §5).
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("middleware: jwks: malformed: %w", err)
	}
	keys := make([]jose.JSONWebKey, 0, len(raw.Keys))
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}
