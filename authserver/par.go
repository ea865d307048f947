package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kunci/kunci/internal/throttle"
	"github.com/kunci/kunci/store"
)

// requestURIPrefix is the URN namespace of the request_uri values the
// pushed authorization request endpoint hands out (RFC 9126 §2.2).
const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// pushedIDPrefix starts the ID of every pushed request in the store. It
// makes the ID a shape that validRequestID refuses, so that a pushed
// request can never be resumed or decided on by its ID as a request_id:
// the only way in is its request_uri, with its client's client_id.
const pushedIDPrefix = "par_"

// CodeInvalidRequestURI answers an authorization request whose request_uri
// names no live pushed request of the client: unknown, expired, already
// used or pushed by another client (RFC 9101 §6.2 and OpenID Connect Core
// §3.1.2.6, which define the code; RFC 9126 §4: "An expired request_uri
// MUST be rejected as invalid").
const CodeInvalidRequestURI ErrorCode = "invalid_request_uri"

// pushedResponse is the answer of the pushed authorization request
// endpoint (RFC 9126 §2.2).
type pushedResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int64  `json:"expires_in"`
}

// PushedAuthorizationHandler returns the pushed authorization request
// endpoint (RFC 9126 §2) on its own. It accepts POST with an
// application/x-www-form-urlencoded body holding the parameters of an
// authorization request and the client's authentication, which is checked
// exactly as at the token endpoint (RFC 9126 §2.1), failures counted by
// the same throttle. The request is validated as the authorization
// endpoint validates one (see AuthorizeHandler) before anything reaches the
// browser, and every error is a JSON error response (RFC 9126 §2.3): 400
// with invalid_request and the other codes of the authorization endpoint,
// 401 invalid_client, 429 or 503 with Retry-After when the bounds of
// pending requests (Limits.AuthorizeRateLimit, counted per source
// address, and Limits.MaxPendingAuthRequests) are reached. Only a public
// client's pushes meet those bounds; a client that authenticated is bounded
// by its authentication and the failure throttle instead. A pushed request
// is counted once, here, and not again when the browser brings it to the
// authorization endpoint.
//
// A valid request is kept in the store, bound to the client, and answered
// with 201 Created, a request_uri
// ("urn:ietf:params:oauth:request_uri:..."), and expires_in
// (PushedAuthorization.Lifetime), with Cache-Control: no-store. A
// request_uri parameter in the pushed request itself is invalid_request
// (§2.1). A request object (the request parameter, RFC 9126 §3) is
// request_not_supported, for OAuth 2.0 requests too: the client meant its
// signed parameters to hold, and the server does not read them (RFC 9101
// §6), so the push must not stand for the unsigned ones beside it. With Config.DPoP a DPoP proof may come with it and binds the
// code to its key (RFC 9449 §10.1); the DPoP-Nonce header is sent as at
// the token endpoint.
func (s *Server) PushedAuthorizationHandler() http.Handler {
	return s.withDPoPNonce(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !requirePost(w, r) {
			return
		}
		ctx := r.Context()
		f, e := parsePostForm(w, r)
		if e != nil {
			s.writeError(ctx, w, e)
			return
		}
		body, err := s.push(ctx, r, f)
		if err != nil {
			s.writeError(ctx, w, err)
			return
		}
		writeJSON(w, http.StatusCreated, body)
	}))
}

// push authenticates, validates and keeps one pushed request.
func (s *Server) push(ctx context.Context, r *http.Request, f form) (*pushedResponse, error) {
	proof, err := s.checkProof(r, s.endpoint(s.cfg.Paths.PushedAuthorization))
	if err != nil {
		return nil, err
	}
	client, e := s.authenticateClient(ctx, r, f)
	if e != nil {
		return nil, e
	}
	if f.get("request_uri") != "" { // an empty one is one left out (RFC 6749 §3.1)
		return nil, oauthError(CodeInvalidRequest, "a pushed request must not carry request_uri (RFC 9126, section 2.1)")
	}
	if f.get("request") != "" {
		return nil, oauthError(CodeRequestNotSupported, "request objects are not supported")
	}
	params := make(url.Values, len(f.params)+1)
	for _, p := range f.params {
		params[p.key] = []string{p.value}
	}
	if len(f.resources()) > 0 {
		params["resource"] = f.resources()
	}
	// The parameters of client authentication, which a pushed request
	// carries beside the authorization request's own (RFC 9126 §2.1), are
	// not part of the request that is kept.
	for _, k := range []string{"client_secret", "client_assertion", "client_assertion_type"} {
		delete(params, k)
	}
	// A client that authenticated with Basic or an assertion may leave
	// client_id out of the body; readCredentials refused one naming
	// another client.
	params.Set("client_id", client.ID)
	req, _, _, e := s.parseAuthorize(ctx, params, false)
	if e != nil {
		return nil, e
	}
	// The start limits first: a public client's push is anonymous, and a
	// valid DPoP proof records its jti in the store.
	if e := s.allowPush(ctx, r, client); e != nil {
		return nil, e
	}
	if err := s.pushProof(ctx, proof, req); err != nil {
		return nil, err
	}
	now := time.Now()
	req.ID = pushedIDPrefix + newToken("")
	req.Pushed = true
	req.CreatedAt, req.ExpiresAt = now, now.Add(s.cfg.PushedAuthorization.Lifetime)
	if err := s.store.SaveAuthRequest(ctx, *req); err != nil {
		return nil, unavailable(err)
	}
	return &pushedResponse{
		RequestURI: requestURIPrefix + req.ID,
		ExpiresIn:  int64(s.cfg.PushedAuthorization.Lifetime / time.Second),
	}, nil
}

// allowPush counts a pushed request of client about to be kept under the
// bounds of pending requests, as allowStart counts one at the
// authorization endpoint: nobody is signed in at a client's direct
// request, so a public client's push is anonymous traffic from its source
// address and meets the server-wide cap. A push by a client that
// authenticated (a secret or private_key_jwt) is neither counted nor
// refused here: it is bounded by its authentication and the failure
// throttle, and its backend, one address for all its users, must not be
// held to the per-address limit of a browser, nor locked out by anonymous
// traffic.
func (s *Server) allowPush(ctx context.Context, r *http.Request, client store.Client) *Error {
	if !client.Public() {
		return nil
	}
	wait, refusal, err := s.limits.start(ctx, s.sourceIP(r), true)
	switch {
	case err != nil:
		return unavailable(err)
	case refusal == throttle.Allowed:
		return nil
	}
	s.emit(ctx, Event{Kind: EventThrottled})
	e := &Error{Code: CodeTemporarilyUnavailable, Description: "too many pushed authorization requests from your network; try again later", Status: http.StatusTooManyRequests}
	if refusal == throttle.ServerFull {
		e = &Error{Code: CodeTemporarilyUnavailable, Description: "the server is handling too many sign-ins; try again later"}
	}
	e.retryAfter = retryAfterSeconds(wait)
	return e
}

// pushedAuthorize handles what RFC 9126 §4 adds to the authorization
// endpoint, before the request's own parameters are looked at; handled is
// false when the request is left to the usual path.
//
// A request whose request_uri is a URN this server hands out is answered
// from the pushed request it names, consumed so that it is used once: the
// client_id of the query must be the client that pushed it, and every
// other parameter of the query is ignored (RFC 9101 §6.3: "the
// authorization server MUST only use the parameters in the Request
// Object", which a pushed request stands for, RFC 9126 §4), such as a
// state or redirect_uri. A request_id is not ignored: the authorization
// endpoint looks at it before any request_uri, and resuming a pending
// request allows no other parameter, so a request_id beside a request_uri
// is invalid_request on an error page. A missing client_id is
// invalid_request; a request_uri that names no live request pushed by
// that client (unknown, expired, used, another client's) is
// invalid_request_uri, which the client cannot tell apart. Both are shown
// as an error page, never sent to a redirect URI, since nothing trusted
// names one.
//
// Without such a request_uri, a request of a client that requires pushed
// requests (Client.RequirePushedAuthorizationRequests), or any request
// when PushedAuthorization.Required, is invalid_request on an error page
// (RFC 9126 §4). Other request_uri values keep their meaning: ignored by
// OAuth 2.0, request_uri_not_supported for an OpenID Connect request.
func (s *Server) pushedAuthorize(w http.ResponseWriter, r *http.Request, params url.Values) (handled bool) {
	ctx := r.Context()
	if len(params["request_uri"]) > 1 {
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "request_uri is repeated"))
		return true
	}
	id, isPushed := strings.CutPrefix(params.Get("request_uri"), requestURIPrefix)
	if !isPushed {
		if e := s.checkPushRequired(ctx, params.Get("client_id")); e != nil {
			s.errorPage(w, r, e)
			return true
		}
		return false
	}
	req, client, e := s.takePushed(ctx, params, id)
	if e != nil {
		s.errorPage(w, r, e)
		return true
	}
	if err := s.store.SaveAuthRequest(ctx, req); err != nil {
		s.errorPage(w, r, unavailable(err))
		return true
	}
	sess, signedIn := s.session(r)
	s.proceed(w, r, req, client, sess, signedIn, false)
	return true
}

// checkPushRequired refuses a request that does not use a pushed
// request_uri when the server or its client requires one. A client that
// cannot be found is left to authorizeClient, which shows the page for it.
func (s *Server) checkPushRequired(ctx context.Context, clientID string) *Error {
	if s.cfg.PushedAuthorization.Required {
		return oauthError(CodeInvalidRequest, "authorization requests must be pushed (RFC 9126)")
	}
	if clientID == "" {
		return nil
	}
	client, err := s.store.Client(ctx, clientID)
	switch {
	case err == nil && client.RequirePushedAuthorizationRequests:
		return oauthError(CodeInvalidRequest, "this client's authorization requests must be pushed (RFC 9126)")
	case err == nil, errorIsNotFound(err):
		return nil
	}
	return unavailable(err)
}

// takePushed consumes the pushed request id names for the client the query
// names and returns it as a fresh pending request, with a new ID of the
// usual shape and the lifetime of a pending request.
func (s *Server) takePushed(ctx context.Context, params url.Values, id string) (store.AuthRequest, store.Client, *Error) {
	clientID := params.Get("client_id")
	if clientID == "" {
		return store.AuthRequest{}, store.Client{}, oauthError(CodeInvalidRequest, "missing client_id")
	}
	invalid := oauthError(CodeInvalidRequestURI, "request_uri is unknown, expired or already used")
	if !strings.HasPrefix(id, pushedIDPrefix) || len(id) > len(pushedIDPrefix)+43 {
		return store.AuthRequest{}, store.Client{}, invalid
	}
	pushed, err := s.store.AuthRequest(ctx, id)
	switch {
	case errorIsNotFound(err):
		return store.AuthRequest{}, store.Client{}, invalid
	case err != nil:
		return store.AuthRequest{}, store.Client{}, unavailable(err)
	case !pushed.Pushed || pushed.ClientID != clientID:
		// Left in place: a client that is not the one bound to it cannot
		// use it up for the one that is.
		return store.AuthRequest{}, store.Client{}, invalid
	}
	client, err := s.store.Client(ctx, clientID)
	switch {
	case errorIsNotFound(err):
		return store.AuthRequest{}, store.Client{}, oauthError(CodeInvalidRequest, "unknown client")
	case err != nil:
		return store.AuthRequest{}, store.Client{}, unavailable(err)
	}
	// Of concurrent uses of one request_uri exactly one gets here (RFC 9126
	// §4: "one-time use").
	req, err := s.store.ConsumeAuthRequest(ctx, id)
	switch {
	case errorIsNotFound(err):
		return store.AuthRequest{}, store.Client{}, invalid
	case err != nil:
		return store.AuthRequest{}, store.Client{}, unavailable(err)
	}
	now := time.Now()
	// The pending request that follows is no pushed one: its new ID,
	// which may happen to start with "par_", must never pass for a
	// request_uri, which is used once (RFC 9126 §4).
	req.ID, req.Pushed = newToken(""), false
	req.CreatedAt, req.ExpiresAt = now, now.Add(s.cfg.Lifetimes.AuthRequest)
	return req, client, nil
}

// errorIsNotFound reports whether a store lookup found nothing: no record,
// or an ID the store cannot hold.
func errorIsNotFound(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid)
}
