package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kunci/kunci/store"
)

// maxStateLen bounds the state parameter; state is echoed back, so an
// oversized one is refused rather than reflected.
const maxStateLen = 1024

// Response types of the authorization endpoint (RFC 6749 §3.1.1).
const (
	responseCode  = "code"
	responseToken = "token"
)

// AuthorizeHandler returns the authorization endpoint (RFC 6749 §3.1) on its
// own. It accepts GET, and POST with the same parameters in the query or an
// application/x-www-form-urlencoded body.
//
// An unknown client or an unregistered redirect URI is answered with an
// error page, never a redirect (§4.1.2.1); every later error redirects to the
// client with error, state and iss (RFC 9207). A valid request is stored as a
// pending request; a user who is not signed in is sent to Config.LoginURL
// ("login needed"), a signed-in user sees the consent page ("consent
// needed") unless they already approved the same scopes for the client.
func (s *Server) AuthorizeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveAuthorize(w, r, false)
	})
}

// consentSSOHandler is Prakerja's consent-sso entry point: the authorization
// endpoint with client_name and login_uri, where a missing response_type
// means code.
func (s *Server) consentSSOHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveAuthorize(w, r, true)
	})
}

func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, sso bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, r, &Error{Code: CodeInvalidRequest, Description: "method not allowed", Status: http.StatusMethodNotAllowed})
		return
	}
	ctx := r.Context()
	params, e := authorizeParams(w, r)
	if e != nil {
		s.errorPage(w, r, e)
		return
	}
	if id, ok := params["request_id"]; ok {
		s.resume(w, r, params, id)
		return
	}
	key := throttleKey("a", "", s.sourceIP(r))
	if wait, blocked := s.starts.blocked(key); blocked {
		s.emit(ctx, Event{Kind: EventThrottled})
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		s.errorPage(w, r, &Error{Code: CodeTemporarilyUnavailable, Description: "too many authorization requests", Status: http.StatusTooManyRequests})
		return
	}
	req, client, redirect := s.parseAuthorize(ctx, w, r, params, sso)
	if req == nil {
		return
	}
	s.starts.count(key)
	if err := s.store.SaveAuthRequest(ctx, *req); err != nil {
		s.redirectError(w, r, redirect, unavailable(err))
		return
	}
	s.proceed(w, r, *req, client, http.StatusFound)
}

// authorizeParams collects the request's parameters: the query, and for a
// POST also a form body. A repeated parameter or invalid UTF-8 in
// client_id or redirect_uri, the parameters that decide where errors may
// go, is reported here; in any other parameter it is reported by redirect.
func authorizeParams(w http.ResponseWriter, r *http.Request) (map[string][]string, *Error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, oauthError(CodeInvalidRequest, "malformed query")
	}
	if r.Method == http.MethodPost && isFormContent(r) {
		f, e := parsePostFormValues(w, r)
		if e != nil {
			return nil, e
		}
		for k, v := range f {
			vals[k] = append(vals[k], v...)
		}
	}
	for _, k := range []string{"client_id", "redirect_uri", "request_id"} {
		if len(vals[k]) > 1 {
			return nil, oauthError(CodeInvalidRequest, k+" is repeated")
		}
		if v := vals.Get(k); !vschar(v) || len(v) > maxTokenLen*4 {
			return nil, oauthError(CodeInvalidRequest, k+" is malformed")
		}
	}
	if vals.Has("request_id") && !validRequestID(vals.Get("request_id")) {
		return nil, oauthError(CodeInvalidRequest, "authorization request expired or already used")
	}
	return vals, nil
}

// parseAuthorize validates a fresh authorization request and returns it as
// a pending request. When it returns nil it has already answered.
func (s *Server) parseAuthorize(ctx context.Context, w http.ResponseWriter, r *http.Request, params url.Values, sso bool) (*store.AuthRequest, store.Client, *authRedirect) {
	clientID := params.Get("client_id")
	if clientID == "" {
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "missing client_id"))
		return nil, store.Client{}, nil
	}
	client, err := s.store.Client(ctx, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "unknown client"))
		return nil, client, nil
	case err != nil:
		s.errorPage(w, r, unavailable(err))
		return nil, client, nil
	}
	sentRedirect := params.Get("redirect_uri")
	redirectURI, ok := sentRedirect, true
	if sentRedirect == "" {
		// May be left out when exactly one is registered (RFC 6749 §3.1.2.3).
		if len(client.RedirectURIs) != 1 {
			s.errorPage(w, r, oauthError(CodeInvalidRequest, "missing redirect_uri"))
			return nil, client, nil
		}
		redirectURI = client.RedirectURIs[0]
	} else if redirectURI, ok = matchRedirectURI(client.RedirectURIs, sentRedirect); !ok {
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "redirect_uri is not registered for this client"))
		return nil, client, nil
	}
	loginURI := ""
	if params.Has("login_uri") {
		lu := params.Get("login_uri")
		if len(params["login_uri"]) > 1 || !slices.Contains(client.LoginURIs, lu) {
			s.errorPage(w, r, oauthError(CodeInvalidRequest, "login_uri is not registered for this client"))
			return nil, client, nil
		}
		loginURI = lu
	} else if len(client.LoginURIs) == 1 {
		loginURI = client.LoginURIs[0]
	}
	if params.Has("client_name") && params.Get("client_name") != client.Name {
		// The registered name is what the user sees; a different one in the
		// request is a misconfigured or forged link.
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "client_name does not match the registered client"))
		return nil, client, nil
	}

	rt := params.Get("response_type")
	if rt == "" && sso && !params.Has("response_type") {
		rt = responseCode
	}
	red := &authRedirect{uri: redirectURI, fragment: rt == responseToken}
	// state is echoed only when it is well formed (RFC 6749 Appendix A.5).
	if st := params["state"]; len(st) == 1 && len(st[0]) <= maxStateLen && vschar(st[0]) {
		red.state = st[0]
	}
	fail := func(e *Error) (*store.AuthRequest, store.Client, *authRedirect) {
		s.redirectError(w, r, red, e)
		return nil, client, nil
	}
	for k, v := range params {
		if len(v) > 1 {
			return fail(oauthError(CodeInvalidRequest, "a parameter is repeated"))
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v[0]) {
			return fail(oauthError(CodeInvalidRequest, "parameters must be UTF-8"))
		}
	}
	if st := params.Get("state"); len(st) > maxStateLen || !vschar(st) {
		return fail(oauthError(CodeInvalidRequest, "malformed state"))
	}
	switch rt {
	case "":
		return fail(oauthError(CodeInvalidRequest, "missing response_type"))
	case responseCode:
		if !slices.Contains(s.cfg.Grants, GrantAuthorizationCode) {
			return fail(oauthError(CodeUnsupportedResponseType, "unsupported response_type"))
		}
		if !slices.Contains(client.GrantTypes, GrantAuthorizationCode) {
			return fail(oauthError(CodeUnauthorizedClient, "client may not use the authorization code grant"))
		}
	case responseToken:
		if !slices.Contains(s.cfg.Grants, GrantImplicit) {
			return fail(oauthError(CodeUnsupportedResponseType, "unsupported response_type"))
		}
		if !slices.Contains(client.GrantTypes, GrantImplicit) {
			return fail(oauthError(CodeUnauthorizedClient, "client may not use the implicit grant"))
		}
	default:
		return fail(oauthError(CodeUnsupportedResponseType, "unsupported response_type"))
	}
	requested, ok := parseScope(params.Get("scope"))
	if !ok {
		return fail(oauthError(CodeInvalidScope, "malformed scope"))
	}
	scopes, e := s.grantScopes(requested, client.Scopes)
	if e != nil {
		return fail(e)
	}
	resources, e := s.checkResources(client, params["resource"])
	if e != nil {
		return fail(e)
	}
	challenge, method, e := s.checkPKCE(client, params, rt)
	if e != nil {
		return fail(e)
	}
	now := time.Now()
	req := &store.AuthRequest{
		ID:                  newToken(""),
		ClientID:            client.ID,
		RedirectURI:         sentRedirect,
		ResponseType:        rt,
		State:               red.state,
		Scopes:              scopes,
		Resources:           resources,
		CodeChallenge:       challenge,
		CodeChallengeMethod: method,
		LoginURI:            loginURI,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.AuthRequestTTL),
	}
	return req, client, red
}

// checkPKCE validates the PKCE parameters (RFC 7636 §4.3). S256 is required
// for public clients and for confidential ones that did not opt out; plain
// is refused unless Config.AllowPlainPKCE. The implicit grant has no code to
// protect.
func (s *Server) checkPKCE(client store.Client, params url.Values, rt string) (challenge, method string, e *Error) {
	if rt != responseCode {
		return "", "", nil
	}
	challenge, method = params.Get("code_challenge"), params.Get("code_challenge_method")
	if challenge == "" {
		if method != "" {
			return "", "", oauthError(CodeInvalidRequest, "code_challenge_method without code_challenge")
		}
		if client.Public() || !client.PKCEOptional {
			return "", "", oauthError(CodeInvalidRequest, "code_challenge required (PKCE S256)")
		}
		return "", "", nil
	}
	if method == "" {
		method = PKCEMethodPlain // RFC 7636 §4.3 default
	}
	switch {
	case method == PKCEMethodS256:
		if len(challenge) != 43 || !validPKCEValue(challenge) {
			return "", "", oauthError(CodeInvalidRequest, "malformed code_challenge")
		}
	case method == PKCEMethodPlain && s.cfg.AllowPlainPKCE:
		if !validPKCEValue(challenge) {
			return "", "", oauthError(CodeInvalidRequest, "malformed code_challenge")
		}
	default:
		return "", "", oauthError(CodeInvalidRequest, "code_challenge_method must be S256")
	}
	return challenge, method, nil
}

// checkResources validates RFC 8707 resource indicators against what the
// client registered.
func (s *Server) checkResources(client store.Client, resources []string) ([]string, *Error) {
	resources, e := uniqueResources(resources)
	if e != nil {
		return nil, e
	}
	for _, res := range resources {
		if checkResource(res) != nil || !slices.Contains(client.Resources, res) {
			return nil, oauthError(CodeInvalidTarget, "resource not allowed")
		}
	}
	return resources, nil
}

// resume continues a pending request after the user signed in, or cancels
// it when the login page's cancel link was followed.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, params url.Values, id []string) {
	ctx := r.Context()
	for k := range params {
		if k != "request_id" && k != "cancel" {
			s.errorPage(w, r, oauthError(CodeInvalidRequest, "unexpected parameter with request_id"))
			return
		}
	}
	req, err := s.store.AuthRequest(ctx, id[0])
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "authorization request expired or already used"))
		return
	case err != nil:
		s.errorPage(w, r, unavailable(err))
		return
	}
	client, err := s.store.Client(ctx, req.ClientID)
	if err != nil {
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "unknown client"))
		return
	}
	if params.Has("cancel") {
		s.cancel(w, r, req)
		return
	}
	s.proceed(w, r, req, client, http.StatusFound)
}

// proceed moves a stored pending request on: to the login page when nobody
// is signed in, straight to the client when the user already approved these
// scopes, or to the consent page.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, req store.AuthRequest, client store.Client, status int) {
	ctx := r.Context()
	subject, ok := s.cfg.CurrentUser(r)
	if !ok || subject == "" {
		s.loginNeeded(w, r, req)
		return
	}
	if s.cfg.ConsentTTL > 0 {
		c, err := s.store.Consent(ctx, subject, client.ID)
		if err == nil && subset(req.Scopes, c.Scopes) {
			taken, err := s.store.ConsumeAuthRequest(ctx, req.ID)
			if err != nil {
				s.errorPage(w, r, oauthError(CodeInvalidRequest, "authorization request expired or already used"))
				return
			}
			s.approve(w, r, taken, client, subject, taken.Scopes, status)
			return
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.redirectError(w, r, redirectFor(req, client), unavailable(err))
			return
		}
	}
	s.consentNeeded(w, r, req, client, subject)
}

// loginNeeded sends the browser to the host's login page with the address
// that resumes the request and the one that cancels it.
func (s *Server) loginNeeded(w http.ResponseWriter, r *http.Request, req store.AuthRequest) {
	resume := mountPrefix(r) + s.cfg.Paths.Authorize + "?request_id=" + url.QueryEscape(req.ID)
	q := url.Values{"return_to": {resume}, "cancel_to": {resume + "&cancel=1"}}
	pageHeaders(w.Header())
	http.Redirect(w, r, appendParams(s.cfg.LoginURL, q, false), http.StatusFound)
}

// cancel ends a pending request the user abandoned at the login page: back
// to the client's login_uri when it registered one (Prakerja), else to the
// redirect URI with access_denied.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request, req store.AuthRequest) {
	ctx := r.Context()
	if _, err := s.store.ConsumeAuthRequest(ctx, req.ID); err != nil {
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "authorization request expired or already used"))
		return
	}
	client, err := s.store.Client(ctx, req.ClientID)
	if err != nil {
		s.errorPage(w, r, unavailable(err))
		return
	}
	s.emit(ctx, Event{Kind: EventConsentDenied, ClientID: req.ClientID})
	if req.LoginURI != "" {
		q := url.Values{"error": {string(CodeAccessDenied)}}
		if req.State != "" {
			q.Set("state", req.State)
		}
		pageHeaders(w.Header())
		http.Redirect(w, r, appendParams(req.LoginURI, q, false), http.StatusFound)
		return
	}
	s.redirectError(w, r, redirectFor(req, client), oauthError(CodeAccessDenied, "the user cancelled sign-in"))
}

// mountPrefix returns the path prefix that http.StripPrefix removed before
// the request reached the server, so that URLs the server hands the browser
// work wherever it is mounted.
func mountPrefix(r *http.Request) string {
	full := r.RequestURI
	if i := strings.IndexByte(full, '?'); i >= 0 {
		full = full[:i]
	}
	if u, err := url.Parse(full); err == nil && u.Path != "" {
		full = u.Path
	}
	// A prefix must be a plain local path: never "//host" or a backslash,
	// which browsers would take for another origin.
	if p, ok := strings.CutSuffix(full, r.URL.Path); ok && strings.HasPrefix(p, "/") &&
		!strings.HasPrefix(p, "//") && !strings.ContainsAny(p, "\\\r\n") {
		return p
	}
	return ""
}
