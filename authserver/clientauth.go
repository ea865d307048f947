package authserver

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kunci/kunci/store"
)

// credentials are what a request presented to identify its client.
type credentials struct {
	method AuthMethod
	id     string
	secret string
}

// parseBasicAuth decodes an Authorization header of the Basic scheme
// (RFC 7617) carrying client credentials. RFC 6749 §2.3.1 has the client ID
// and secret form-encoded before they are joined with ":" and base64-encoded,
// so both are form-decoded here. ok is false if the header is not Basic;
// err is set if it is Basic but malformed.
func parseBasicAuth(header string) (id, secret string, ok bool, err error) {
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, decErr := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if decErr != nil {
		return "", "", true, errors.New("malformed basic credentials")
	}
	rawID, rawSecret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", true, errors.New("malformed basic credentials")
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil || id == "" {
		return "", "", true, errors.New("malformed basic credentials")
	}
	return id, secret, true, nil
}

// readCredentials finds the one client authentication method a request uses
// (RFC 6749 §2.3: a client MUST NOT use more than one).
func readCredentials(r *http.Request, f form) (credentials, *Error) {
	var c credentials
	header := r.Header.Get("Authorization")
	if header != "" {
		id, secret, isBasic, err := parseBasicAuth(header)
		if !isBasic {
			// RFC 6749 §5.2: a client that tried the Authorization header
			// is told which scheme to use.
			return c, &Error{Code: CodeInvalidClient, Description: "unsupported authentication scheme", challengeBasic: true}
		}
		if err != nil {
			return c, &Error{Code: CodeInvalidClient, Description: "malformed basic credentials", challengeBasic: true}
		}
		if f.get("client_secret") != "" {
			return c, oauthError(CodeInvalidRequest, "more than one client authentication method")
		}
		if f.has("client_id") && f.get("client_id") != id {
			return c, oauthError(CodeInvalidRequest, "client_id does not match the credentials")
		}
		if !vschar(id) || !vschar(secret) {
			return c, &Error{Code: CodeInvalidClient, Description: "malformed basic credentials", challengeBasic: true}
		}
		return credentials{method: AuthMethodBasic, id: id, secret: secret}, nil
	}
	id := f.get("client_id")
	if id == "" {
		return c, oauthError(CodeInvalidClient, "client authentication required")
	}
	if !vschar(id) || !vschar(f.get("client_secret")) {
		return c, oauthError(CodeInvalidClient, "client authentication failed")
	}
	// An empty client_secret is treated as absent (RFC 6749 §2.3.1).
	if f.get("client_secret") != "" {
		return credentials{method: AuthMethodPost, id: id, secret: f.get("client_secret")}, nil
	}
	return credentials{method: AuthMethodNone, id: id}, nil
}

// authenticateClient identifies and authenticates the client of a request to
// the token, revocation or introspection endpoint. Unknown client, wrong
// secret and wrong method all give the same invalid_client error. Repeated
// failures from one address for one client are throttled.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, f form) (store.Client, *Error) {
	creds, e := readCredentials(r, f)
	if e != nil {
		if e.Code == CodeInvalidClient {
			s.emit(ctx, Event{Kind: EventClientAuthFailed})
		}
		return store.Client{}, e
	}
	key := throttleKey("c", creds.id, s.sourceIP(r))
	if wait, blocked := s.failures.blocked(key); blocked {
		s.emit(ctx, Event{Kind: EventThrottled, ClientID: creds.id})
		return store.Client{}, throttled(wait)
	}
	client, err := s.store.Client(ctx, creds.id)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		// Spend the same work as a real comparison, so timing does not tell
		// whether a client ID exists.
		secretMatches(creds.secret, s.dummySecretHash)
		return s.clientAuthFailed(ctx, key, creds, nil)
	case err != nil:
		return store.Client{}, unavailable(err)
	}
	method := AuthMethod(client.AuthMethod)
	if method == "" {
		method = defaultAuthMethod(client)
	}
	ok := method == creds.method
	if method == AuthMethodNone && client.SecretHash != "" {
		// A record written by hand that says "none" but has a secret is
		// inconsistent; it must not authenticate without the secret.
		ok = false
	}
	if method != AuthMethodNone {
		// Always compare, even after a method mismatch.
		ok = secretMatches(creds.secret, client.SecretHash) && ok && client.SecretHash != ""
	}
	if !ok {
		return s.clientAuthFailed(ctx, key, creds, &client)
	}
	return client, nil
}

func (s *Server) clientAuthFailed(ctx context.Context, key string, creds credentials, client *store.Client) (store.Client, *Error) {
	s.failures.count(key)
	id := ""
	if client != nil {
		id = client.ID
	}
	s.emit(ctx, Event{Kind: EventClientAuthFailed, ClientID: id})
	return store.Client{}, &Error{
		Code:           CodeInvalidClient,
		Description:    "client authentication failed",
		challengeBasic: creds.method == AuthMethodBasic,
	}
}

// defaultAuthMethod is the method of a client that registered none:
// client_secret_basic with a secret (RFC 7591 §2), none without.
func defaultAuthMethod(c store.Client) AuthMethod {
	if c.Public() {
		return AuthMethodNone
	}
	return AuthMethodBasic
}

// throttled is the 429 answer to a throttled key.
func throttled(wait time.Duration) *Error {
	return &Error{
		Code:        CodeTemporarilyUnavailable,
		Description: "too many failed attempts",
		Status:      http.StatusTooManyRequests,
		retryAfter:  retryAfterSeconds(wait),
	}
}
