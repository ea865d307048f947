package authserver

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxCachedJWKS bounds how many jwks_uri documents one Server keeps; when
// it is full, a document that is due for a refetch makes room, or else the
// oldest.
const maxCachedJWKS = 1024

// maxClientKeys bounds the keys of one client's JWK Set, inline or
// fetched, so that an assertion without a kid is tried against a bounded
// number of keys.
const maxClientKeys = 32

// jwksFetcher fetches and caches the jwks_uri documents of private_key_jwt
// clients (ClientAssertions). It is safe for concurrent use. Each URI is
// fetched by one fetch at a time, which every concurrent caller waits for;
// the fetch runs apart from the request that started it (bounded by
// FetchTimeout alone), so a caller that gives up, or an attacker who
// disconnects, stops waiting but cannot cancel it, and its result is cached
// for the next caller.
type jwksFetcher struct {
	cfg ClientAssertions
	now func() time.Time
	log *slog.Logger

	mu      sync.Mutex // guards entries and every entry's fields
	entries map[string]*jwksEntry
	inline  map[[sha256.Size]byte]*jose.JSONWebKeySet // parsed inline JWKS by content
}

// jwksEntry is one cached document.
type jwksEntry struct {
	set     *jose.JSONWebKeySet // nil until a fetch succeeded
	fetched time.Time           // when set was fetched
	tried   time.Time           // when a fetch last started
	err     error               // what the last fetch failed with
	done    chan struct{}       // non-nil while a fetch runs; closed when it ends
}

func newJWKSFetcher(cfg ClientAssertions, now func() time.Time, log *slog.Logger) *jwksFetcher {
	return &jwksFetcher{cfg: cfg, now: now, log: log, entries: make(map[string]*jwksEntry), inline: make(map[[sha256.Size]byte]*jose.JSONWebKeySet)}
}

// keys returns the key set at uri, fetching it when none is cached, when
// the cached one is older than CacheTTL, or when it has no key with kid
// (kid "" is never missing); but never when the last fetch, successful or
// not, started less than RefetchInterval ago. A failed fetch keeps the
// cached set, which is returned with the error until the next fetch; with
// nothing cached the set is nil. When ctx ends while a fetch runs, keys
// returns what is cached and ctx's error; the fetch goes on.
func (j *jwksFetcher) keys(ctx context.Context, uri, kid string) (*jose.JSONWebKeySet, error) {
	j.mu.Lock()
	e := j.entryLocked(uri)
	for {
		if e.done == nil {
			now := j.now()
			fresh := e.set != nil && now.Sub(e.fetched) < j.cfg.CacheTTL
			missing := e.set != nil && kid != "" && len(e.set.Key(kid)) == 0
			switch {
			case fresh && !missing:
				j.mu.Unlock()
				return e.set, nil
			case !e.tried.IsZero() && now.Sub(e.tried) < j.cfg.RefetchInterval:
				// Fetched a moment ago: the kid is not there, or the
				// document could not be had.
				set, err := e.set, e.err
				j.mu.Unlock()
				return set, err
			}
			e.tried, e.done = now, make(chan struct{})
			go j.fetchInto(context.WithoutCancel(ctx), uri, e, e.done)
		}
		done := e.done
		j.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			j.mu.Lock()
			set := e.set
			j.mu.Unlock()
			return set, ctx.Err()
		}
		j.mu.Lock()
	}
}

// fetchInto fetches uri into e and closes done. A failure is logged here,
// once per fetch, not by each caller that is answered with it.
func (j *jwksFetcher) fetchInto(ctx context.Context, uri string, e *jwksEntry, done chan struct{}) {
	set, err := j.fetch(ctx, uri)
	if err != nil {
		j.log.WarnContext(ctx, "authserver: fetching the jwks_uri of a private_key_jwt client", slog.String("jwks_uri", uri), slog.Any("error", err))
	}
	j.mu.Lock()
	e.err = err
	if err == nil {
		e.set, e.fetched = set, j.now()
	}
	e.done = nil
	j.mu.Unlock()
	close(done)
}

// entryLocked returns the cache entry of uri, making one.
func (j *jwksFetcher) entryLocked(uri string) *jwksEntry {
	if e, ok := j.entries[uri]; ok {
		return e
	}
	if len(j.entries) >= maxCachedJWKS {
		j.evictLocked()
	}
	e := &jwksEntry{}
	j.entries[uri] = e
	return e
}

// evictLocked drops the entry tried longest ago that no fetch is running
// for, or else any entry. Callers holding a dropped entry keep using it.
func (j *jwksFetcher) evictLocked() {
	var oldest string
	var at time.Time
	for uri, e := range j.entries {
		if e.done == nil && (oldest == "" || e.tried.Before(at)) {
			oldest, at = uri, e.tried
		}
	}
	if oldest == "" {
		for uri := range j.entries {
			oldest = uri
			break
		}
	}
	delete(j.entries, oldest)
}

// fetch GETs one JWK Set document (RFC 7517 §5) within FetchTimeout and
// MaxJWKSBytes.
func (j *jwksFetcher) fetch(ctx context.Context, uri string) (*jose.JSONWebKeySet, error) {
	ctx, cancel := context.WithTimeout(ctx, j.cfg.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, fmt.Errorf("authserver: jwks_uri: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := j.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("authserver: fetching jwks_uri: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("authserver: fetching jwks_uri: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, j.cfg.MaxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("authserver: reading jwks_uri: %w", err)
	}
	if int64(len(body)) > j.cfg.MaxJWKSBytes {
		return nil, fmt.Errorf("authserver: jwks_uri document is larger than ClientAssertions.MaxJWKSBytes (%d)", j.cfg.MaxJWKSBytes)
	}
	return parseClientJWKS(body)
}

// parseClientJWKS parses a client's JWK Set (RFC 7517 §5): at most
// maxClientKeys members, each parsed alone. A member the server cannot use
// (an unknown kty or crv, an X25519 encryption key) is skipped, as RFC
// 7517 §5 says: "Implementations SHOULD ignore JWKs within a JWK Set that
// use "kty" (key type) values that are not understood by them". A private
// or symmetric key, parsed or not, is an error: the client published what
// it must keep. A set with no usable key is an error too.
func parseClientJWKS(raw []byte) (*jose.JSONWebKeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("authserver: malformed JWK Set: %w", err)
	}
	if len(doc.Keys) > maxClientKeys {
		return nil, fmt.Errorf("authserver: JWK Set has more than %d keys", maxClientKeys)
	}
	set := &jose.JSONWebKeySet{}
	for _, member := range doc.Keys {
		var secret struct {
			Kty string `json:"kty"`
			D   any    `json:"d"`
			K   any    `json:"k"`
		}
		if err := json.Unmarshal(member, &secret); err != nil {
			return nil, fmt.Errorf("authserver: malformed JWK Set: %w", err)
		}
		if secret.Kty == "oct" || secret.D != nil || secret.K != nil {
			return nil, errors.New("authserver: JWK Set holds a private or symmetric key")
		}
		var k jose.JSONWebKey
		if err := json.Unmarshal(member, &k); err != nil {
			continue
		}
		if !k.IsPublic() {
			return nil, errors.New("authserver: JWK Set holds a private or symmetric key")
		}
		set.Keys = append(set.Keys, k)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("authserver: JWK Set has no keys the server can use")
	}
	return set, nil
}

// inlineKeys returns the parsed JWK Set of a client's inline JWKS, parsed
// once per content and kept in a bounded cache (maxCachedJWKS sets; when
// it is full, one is dropped), so an assertion does not parse it again.
func (j *jwksFetcher) inlineKeys(raw []byte) (*jose.JSONWebKeySet, error) {
	sum := sha256.Sum256(raw)
	j.mu.Lock()
	set, ok := j.inline[sum]
	j.mu.Unlock()
	if ok {
		return set, nil
	}
	set, err := parseClientJWKS(raw)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.inline) >= maxCachedJWKS {
		for k := range j.inline {
			delete(j.inline, k)
			break
		}
	}
	j.inline[sum] = set
	return set, nil
}
