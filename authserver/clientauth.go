package authserver

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/kunci/kunci/store"
)

// credentials are what a request presented to identify its client.
type credentials struct {
	method AuthMethod
	id     string
	secret string
	// assertion is the client assertion of private_key_jwt, parsed and
	// not yet verified.
	assertion *clientAssertion
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
	rest = strings.TrimSpace(rest)
	// Decoding through stack buffers leaves one allocation, the decoded
	// string (BenchmarkTokenClientCredentials); longer headers take the
	// general path.
	var src, dst [256]byte
	var raw []byte
	var decErr error
	if len(rest) <= len(src) {
		var n int
		n, decErr = base64.StdEncoding.Decode(dst[:], append(src[:0], rest...))
		raw = dst[:n]
	} else {
		raw, decErr = base64.StdEncoding.DecodeString(rest)
	}
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
// (RFC 6749 §2.3: a client MUST NOT use more than one). A second credential
// (a secret in the header and in the body, a client assertion beside a
// secret), a second Authorization header or a client_id that names another
// client than the credentials is invalid_request; a client_id beside the
// credentials that names the same client is not a second credential.
func readCredentials(r *http.Request, f form) (credentials, *Error) {
	var c credentials
	headers := r.Header.Values("Authorization")
	if len(headers) > 1 {
		return c, oauthError(CodeInvalidRequest, "more than one Authorization header")
	}
	if f.has("client_assertion") || f.has("client_assertion_type") {
		if len(headers) > 0 || f.get("client_secret") != "" {
			return c, oauthError(CodeInvalidRequest, "more than one client authentication method")
		}
		return readAssertion(f)
	}
	if len(headers) == 1 {
		id, secret, isBasic, err := parseBasicAuth(headers[0])
		if !isBasic {
			// RFC 6749 §5.2: a client that tried the Authorization header
			// is told which scheme to use.
			return c, oauthError(CodeInvalidClient, "unsupported authentication scheme")
		}
		if err != nil {
			return c, oauthError(CodeInvalidClient, "malformed basic credentials")
		}
		if f.get("client_secret") != "" {
			return c, oauthError(CodeInvalidRequest, "more than one client authentication method")
		}
		if f.has("client_id") && f.get("client_id") != id {
			return c, oauthError(CodeInvalidRequest, "client_id does not match the credentials")
		}
		if !vschar(id) || !vschar(secret) {
			return c, oauthError(CodeInvalidClient, "malformed basic credentials")
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

// Reasons a client authentication is refused, as logged at debug level.
const (
	refusedUnknownClient = "unknown client"
	refusedWrongSecret   = "wrong secret"
	refusedWrongMethod   = "wrong authentication method"
	refusedThrottled     = "throttled"
	refusedPublicClient  = "public client"
)

// authenticateClient identifies and authenticates the client of a request to
// the token, revocation or introspection endpoint (RFC 6749 §2.3). Unknown
// client, wrong secret and wrong method all give the same invalid_client
// error. Failures are counted by the failure throttle per client and source
// address; failures for unknown client IDs are counted apart and throttle
// only further unknown IDs from that address (see package
// internal/throttle).
//
// A public client that sends Basic credentials with an empty password
// (base64 of "client_id:") is authenticated as method none: it is what
// clients such as golang.org/x/oauth2 send first by default, and it proves
// no more and no less than a client_id in the body.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, f form) (store.Client, *Error) {
	creds, e := readCredentials(r, f)
	if e != nil {
		if e.Code == CodeInvalidClient {
			s.emit(ctx, Event{Kind: EventClientAuthFailed})
		}
		s.logRefusedClient(ctx, presentedClientID(r, f), e.Description)
		return store.Client{}, e
	}
	// The client is looked up first: failures for client IDs that do not
	// exist are counted apart, so they can never block a real client.
	client, err := s.store.Client(ctx, creds.id)
	unknown := errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid)
	if err != nil && !unknown {
		return store.Client{}, unavailable(err)
	}
	addr, throttleID := s.sourceIP(r), "c:"+creds.id
	if unknown {
		throttleID = ""
	}
	if wait, blocked, err := s.limits.blocked(ctx, throttleID, addr); err != nil {
		return store.Client{}, unavailable(err)
	} else if blocked {
		s.emit(ctx, Event{Kind: EventThrottled, ClientID: creds.id})
		s.logRefusedClient(ctx, creds.id, refusedThrottled)
		return store.Client{}, throttled(wait)
	}
	if unknown {
		// Spend the same work as a real comparison, so timing does not tell
		// whether a client ID exists.
		secretMatches(creds.secret, s.dummySecretHash)
		s.countFailure(ctx, "", addr)
		return s.clientAuthFailed(ctx, creds.id, refusedUnknownClient)
	}
	method := AuthMethod(client.AuthMethod)
	if method == "" {
		method = defaultAuthMethod(client)
	}
	presented := creds.method
	if presented == AuthMethodBasic && creds.secret == "" && method == AuthMethodNone {
		presented = AuthMethodNone
	}
	reason := ""
	switch {
	case method != presented:
		reason = refusedWrongMethod
	case method == AuthMethodNone && client.SecretHash != "":
		// A record written by hand that says "none" but has a secret is
		// inconsistent; it must not authenticate without the secret.
		reason = refusedWrongMethod
	}
	switch {
	case method == AuthMethodPrivateKeyJWT && reason == "":
		why, e := s.verifyClientAssertion(ctx, client, creds.assertion)
		if e != nil {
			return store.Client{}, e
		}
		reason = why
	case method == AuthMethodPrivateKeyJWT:
		// Refused already: a secret, or nothing, from a client that signs.
	case method != AuthMethodNone:
		// Always compare, even after a method mismatch.
		if !secretMatches(creds.secret, client.SecretHash) || client.SecretHash == "" {
			reason = cmp.Or(reason, refusedWrongSecret)
		}
	}
	if reason != "" {
		// Keys that could not be had are the server's trouble, or the
		// client's host's, not a failed attempt of that client: counting
		// them would let anyone who names the client throttle it.
		if reason != refusedAssertionKeys {
			s.countFailure(ctx, throttleID, addr)
		}
		return s.clientAuthFailed(ctx, client.ID, reason)
	}
	return client, nil
}

// clientAuthFailed reports a refused authentication of the client with id
// (as presented) and answers invalid_client (RFC 6749 §5.2).
func (s *Server) clientAuthFailed(ctx context.Context, id, reason string) (store.Client, *Error) {
	eventID := id
	if reason == refusedUnknownClient {
		eventID = ""
	}
	s.emit(ctx, Event{Kind: EventClientAuthFailed, ClientID: eventID})
	s.logRefusedClient(ctx, id, reason)
	return store.Client{}, oauthError(CodeInvalidClient, "client authentication failed")
}

// presentedClientID is the client ID a request whose credentials were
// refused names, for the log: the Basic user name if the first
// Authorization header decodes, else the body's client_id.
func presentedClientID(r *http.Request, f form) string {
	if id, _, ok, err := parseBasicAuth(r.Header.Get("Authorization")); ok && err == nil {
		return id
	}
	return f.get("client_id")
}

// logRefusedClient logs at debug level why a client authentication was
// refused. The client ID is what the request presented, cut to a bounded
// length; the secret is never logged.
func (s *Server) logRefusedClient(ctx context.Context, id, reason string) {
	const maxLoggedID = 128
	if len(id) > maxLoggedID {
		id = id[:maxLoggedID] + "..."
	}
	s.log.DebugContext(ctx, "authserver: client authentication refused",
		slog.String("client_id", id), slog.String("reason", reason))
}

// defaultAuthMethod is the method of a client that registered none:
// client_secret_basic with a secret (RFC 7591 §2), none without.
func defaultAuthMethod(c store.Client) AuthMethod {
	if c.Public() {
		return AuthMethodNone
	}
	return AuthMethodBasic
}
