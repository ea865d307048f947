package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/store"
)

// maxStateLen bounds the state parameter; state is echoed back, so an
// oversized one is refused rather than reflected.
const maxStateLen = 1024

// AuthorizeHandler returns the authorization endpoint (RFC 6749 §3.1) on its
// own. It accepts GET, and POST with the same parameters in the query or an
// application/x-www-form-urlencoded body.
//
// An unknown client or an unregistered redirect URI is answered with an
// error page, never a redirect (§4.1.2.1); every later error redirects to the
// client with error, state and iss (RFC 9207). A valid request is stored as a
// pending request; a user who is not signed in is sent to Config.Browser.LoginURL
// ("login needed"), a signed-in user sees the consent page ("consent
// needed") unless they already approved the same scopes for the client and
// the client's identity is proven (RFC 8252 §8.6; see identityProven) and
// the request is not an OpenID Connect one asking for offline_access
// (OpenID Connect Core §11).
//
// Every request may carry the parameters of OpenID Connect Core §3.1.2.1
// that shape the login and consent steps (see checkInteraction and
// fitSession): prompt (none answers login_required or consent_required
// instead of showing a page; login has the user authenticate again;
// consent shows the consent page even when an approval is remembered;
// select_account is passed to the login page), max_age (or the client's
// DefaultMaxAge), and login_hint, acr_values and ui_locales, which the
// login page receives (Browser.LoginURL). response_mode may be form_post
// (OAuth 2.0 Form Post Response Mode): the answer is then posted to the
// redirect URI by a page that submits itself.
//
// With Config.OpenID.Enabled, a request whose scope holds openid follows
// the rules of an OpenID Connect authentication request (Core §3.1.2.1):
// redirect_uri is required (an error page without it), response_type is
// code or one of the implicit and hybrid types the server offers
// (OpenID.ResponseTypes; Core §3.2, §3.3), which need a nonce and answer
// in the fragment or by form_post, never in the query; request and
// request_uri are answered with request_not_supported and
// request_uri_not_supported (Core §6), the nonce is kept for the ID
// Token, an id_token_hint must be an ID Token this server issued to the
// client and its user alone may answer the request, and the claims
// parameter (Core §5.5) is honoured as [OpenID] describes.
//
// A request_uri that the pushed authorization request endpoint handed out
// (RFC 9126 §4) is the exception, for every request: the request is the
// one the client pushed, and the query's other parameters are ignored (see
// pushedAuthorize and [Server.PushedAuthorizationHandler]).
func (s *Server) AuthorizeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveAuthorize(w, r, false)
	})
}

// consentSSOHandler is Prakerja's consent-sso entry point: the authorization
// endpoint with client_name (required, and checked against the registered
// name) and login_uri, where a missing response_type means code.
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
	// RFC 9126 §4: a pushed request_uri, or a request that had to be pushed.
	if s.pushedAuthorize(w, r, params) {
		return
	}
	req, client, to, e := s.parseAuthorize(ctx, params, sso)
	switch {
	case e != nil && to == nil:
		s.errorPage(w, r, e)
		return
	case e != nil:
		s.redirectError(w, r, to, e)
		return
	}
	// The host's session callback runs once per request: the start limit
	// and proceed both need its answer.
	sess, signedIn := s.session(r)
	if !s.allowStart(w, r, !signedIn) {
		return
	}
	if err := s.store.SaveAuthRequest(ctx, *req); err != nil {
		s.redirectError(w, r, to, unavailable(err))
		return
	}
	s.proceed(w, r, *req, client, sess, signedIn, false)
}

// authorizeParams collects the request's parameters: the query, and for a
// POST also a form body. A parameter in both the query and the body, and a
// repeated parameter or invalid UTF-8 in client_id or redirect_uri, the
// parameters that decide where errors may go, are reported here; in any
// other parameter they are reported by redirect.
func authorizeParams(w http.ResponseWriter, r *http.Request) (map[string][]string, *Error) {
	vals, e := parseParams(r.URL.RawQuery)
	if e != nil {
		return nil, e
	}
	if r.Method == http.MethodPost && isFormContent(r) {
		f, e := readForm(w, r)
		if e != nil {
			return nil, e
		}
		for k, v := range f {
			if _, dup := vals[k]; dup {
				// As at every POST endpoint: the same parameter in the
				// query and the body is two requests in one.
				return nil, oauthError(CodeInvalidRequest, "a parameter is in both the query and the body")
			}
			vals[k] = v
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
// a pending request, or the error to answer with. When to is nil the error
// must be shown as a page: the client or its redirect URI cannot be trusted
// (RFC 6749 §4.1.2.1); otherwise it is sent to the client at to.
func (s *Server) parseAuthorize(ctx context.Context, params url.Values, sso bool) (req *store.AuthRequest, client store.Client, to *authRedirect, e *Error) {
	client, redirectURI, loginURI, e := s.authorizeClient(ctx, params, sso)
	if e != nil {
		return nil, client, nil, e
	}
	rt := canonicalResponseType(params.Get("response_type"))
	if rt == "" && sso && !params.Has("response_type") {
		rt = ResponseCode
	}
	// state is echoed only when it is well formed (RFC 6749 Appendix A.5).
	state := ""
	if st := params["state"]; len(st) == 1 && len(st[0]) <= maxStateLen && vschar(st[0]) {
		state = st[0]
	}
	// A response type of OpenID Connect that the server does not offer is
	// answered as an unknown one, in the query: the error is all it gets.
	answerAs := rt
	if slices.Contains(openIDResponseTypes(), rt) && !s.offersResponseType(rt) {
		answerAs = ""
	}
	mode, e := responseMode(params, answerAs)
	to = newAuthRedirect(redirectURI, state, answerAs, mode)
	if e != nil {
		return nil, client, to, e
	}
	req, e = s.authorizeRequest(client, params, rt)
	if e != nil {
		return nil, client, to, e
	}
	req.ResponseMode = mode
	req.RedirectURI = params.Get("redirect_uri")
	req.State = to.state
	req.LoginURI = loginURI
	return req, client, to, nil
}

// authorizeClient identifies the client of an authorization request and the
// redirect URI its answer goes to. Every error it returns is shown as a page.
// At consent-sso (sso) client_name is required.
func (s *Server) authorizeClient(ctx context.Context, params url.Values, sso bool) (client store.Client, redirectURI, loginURI string, e *Error) {
	clientID := params.Get("client_id")
	if clientID == "" {
		return client, "", "", oauthError(CodeInvalidRequest, "missing client_id")
	}
	client, err := s.store.Client(ctx, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		return client, "", "", oauthError(CodeInvalidRequest, "unknown client")
	case err != nil:
		return client, "", "", unavailable(err)
	}
	redirectURI = params.Get("redirect_uri")
	if redirectURI == "" {
		// May be left out when exactly one is registered (RFC 6749 §3.1.2.3),
		// but not from an OpenID Connect request (Core §3.1.2.1).
		if s.openIDRequest(params) {
			return client, "", "", oauthError(CodeInvalidRequest, "missing redirect_uri, which an OpenID Connect request must name")
		}
		if len(client.RedirectURIs) != 1 {
			return client, "", "", oauthError(CodeInvalidRequest, "missing redirect_uri")
		}
		redirectURI = client.RedirectURIs[0]
	} else if matched, ok := matchRedirectURI(client.RedirectURIs, redirectURI, loopbackAnyPort(client, params["response_type"])); ok {
		redirectURI = matched
	} else {
		return client, "", "", oauthError(CodeInvalidRequest, "redirect_uri is not registered for this client")
	}
	if params.Has("login_uri") {
		lu := params.Get("login_uri")
		if len(params["login_uri"]) > 1 || !slices.Contains(client.LoginURIs, lu) {
			return client, "", "", oauthError(CodeInvalidRequest, "login_uri is not registered for this client")
		}
		loginURI = lu
	} else if len(client.LoginURIs) == 1 {
		loginURI = client.LoginURIs[0]
	}
	if sso && params.Get("client_name") == "" {
		// Prakerja's consent-sso requires it; answered like a mismatched one.
		return client, "", "", oauthError(CodeInvalidRequest, "missing client_name")
	}
	if params.Has("client_name") && params.Get("client_name") != client.Name {
		// The registered name is what the user sees; a different one in the
		// request is a misconfigured or forged link.
		return client, "", "", oauthError(CodeInvalidRequest, "client_name does not match the registered client")
	}
	return client, redirectURI, loginURI, nil
}

// authorizeRequest validates the parameters of a request whose client and
// redirect URI are trusted; its errors go to the client.
func (s *Server) authorizeRequest(client store.Client, params url.Values, rt ResponseType) (*store.AuthRequest, *Error) {
	for k, v := range params {
		if len(v) > 1 && k != "resource" {
			return nil, oauthError(CodeInvalidRequest, "a parameter is repeated")
		}
		for _, x := range v {
			if !utf8.ValidString(k) || !utf8.ValidString(x) {
				return nil, oauthError(CodeInvalidRequest, "parameters must be UTF-8")
			}
		}
	}
	if st := params.Get("state"); len(st) > maxStateLen || !vschar(st) {
		return nil, oauthError(CodeInvalidRequest, "malformed state")
	}
	switch rt {
	case "":
		return nil, oauthError(CodeInvalidRequest, "missing response_type")
	case ResponseCode, ResponseToken:
		if !slices.Contains(s.cfg.Grants, rt.grant()) {
			return nil, oauthError(CodeUnsupportedResponseType, "unsupported response_type")
		}
		// RFC 7591 §2.1: the client's response_types bound what it may ask
		// for; a record saved before they were kept has none and is
		// decided by its grant types alone.
		if !allows(client, rt.grant()) || (len(client.ResponseTypes) > 0 && !slices.Contains(client.ResponseTypes, string(rt))) {
			return nil, oauthError(CodeUnauthorizedClient, "client may not use response_type "+string(rt))
		}
	default:
		if e := s.checkOpenIDResponseType(client, params, rt); e != nil {
			return nil, e
		}
	}
	if rt.parts().token && (client.DPoPBoundAccessTokens || s.cfg.DPoP.Required) {
		// The authorization endpoint hands out bearer tokens: no proof
		// reaches it (RFC 9449 §5).
		return nil, oauthError(CodeUnauthorizedClient, "response_type "+string(rt)+" returns a bearer access token, and this client's access tokens must be DPoP-bound")
	}
	requested, ok := policy.ParseScope(params.Get("scope"))
	if !ok {
		return nil, oauthError(CodeInvalidScope, "malformed scope")
	}
	req := &store.AuthRequest{ClientID: client.ID, ResponseType: string(rt)}
	if e := s.checkOpenIDRequest(client, params, rt, req); e != nil {
		return nil, e
	}
	scopes, e := s.grantScopes(requested, client.Scopes)
	if e != nil {
		return nil, e
	}
	resources, e := s.checkResources(client, params["resource"])
	if e != nil {
		return nil, e
	}
	challenge, method, e := s.checkPKCE(client, params, rt)
	if e != nil {
		return nil, e
	}
	if e := checkInteraction(client, params, req); e != nil {
		return nil, e
	}
	if e := s.checkDPoPJKT(params, req); e != nil {
		return nil, e
	}
	now := time.Now()
	req.ID = newToken("")
	req.Scopes, req.Resources = scopes, resources
	req.CodeChallenge, req.CodeChallengeMethod = challenge, string(method)
	req.CreatedAt, req.ExpiresAt = now, now.Add(s.cfg.Lifetimes.AuthRequest)
	return req, nil
}

// checkPKCE validates the PKCE parameters (RFC 7636 §4.3). S256 is required
// for public clients and for confidential ones that did not opt out; plain
// is refused unless Config.Compat.AcceptPlainPKCE, for every response type
// that returns a code (the hybrid ones of OpenID Connect too). The
// implicit grant has no code to protect.
func (s *Server) checkPKCE(client store.Client, params url.Values, rt ResponseType) (challenge string, method PKCEMethod, e *Error) {
	if !rt.parts().code {
		return "", "", nil
	}
	challenge, method = params.Get("code_challenge"), PKCEMethod(params.Get("code_challenge_method"))
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
	case method == PKCEMethodPlain && s.cfg.Compat.AcceptPlainPKCE:
		if !validPKCEValue(challenge) {
			return "", "", oauthError(CodeInvalidRequest, "malformed code_challenge")
		}
	default:
		return "", "", oauthError(CodeInvalidRequest, "code_challenge_method must be S256")
	}
	return challenge, method, nil
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
	sess, signedIn := s.session(r)
	s.proceed(w, r, req, client, sess, signedIn, true)
}

// proceed moves a stored pending request on: to the login page when
// nobody is signed in or the signed-in user must authenticate again
// (fitSession), straight to the client when the user already approved
// these scopes and the client's identity is proven, or to the consent
// page. returned is true when the browser comes back from the login page:
// a sign-in that still does not do for the request is then
// login_required, so the login page is shown at most once for a signed-in
// user. With prompt=none no page is shown: what would need one is
// login_required or consent_required (OpenID Connect Core §3.1.2.6).
// sess and signedIn are the host's session as s.session reports it.
func (s *Server) proceed(w http.ResponseWriter, r *http.Request, req store.AuthRequest, client store.Client, sess Session, signedIn, returned bool) {
	ctx := r.Context()
	none := slices.Contains(req.Prompt, promptNone)
	switch fit, why := fitClientSession(req, client, sess, signedIn, returned, time.Now(), s.subjectMatcher(client)); {
	case fit == sessionFits:
	case none || (returned && fit == sessionStale):
		s.refuseRequest(w, r, req, client, oauthError(CodeLoginRequired, why))
		return
	default:
		s.loginNeeded(w, r, req, fit == sessionStale, SubjectType(client.SubjectType) == SubjectPairwise)
		return
	}
	subject := sess.Subject
	if s.consentMayBeRemembered(req, client) {
		c, err := s.store.Consent(ctx, subject, client.ID)
		if err == nil && subset(req.Scopes, c.Scopes) {
			taken, err := s.store.ConsumeAuthRequest(ctx, req.ID)
			if err != nil {
				s.errorPage(w, r, oauthError(CodeInvalidRequest, "authorization request expired or already used"))
				return
			}
			s.approve(w, r, taken, client, sess, taken.Scopes, http.StatusFound)
			return
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.redirectError(w, r, redirectFor(req, client), unavailable(err))
			return
		}
	}
	if none {
		// Also when an approval is remembered but may not be applied
		// (consentMayBeRemembered): the page would be shown.
		s.refuseRequest(w, r, req, client, oauthError(CodeConsentRequired, "the user has not approved this request"))
		return
	}
	s.consentNeeded(w, r, req, client, subject)
}

// consentMayBeRemembered reports whether a remembered approval may answer
// req without the consent page: approvals are remembered
// (Lifetimes.Consent), the client did not ask for the page
// (prompt=consent), its identity is proven (identityProven), it is not an
// OpenID Connect request asking for offline_access (offlineAccessAsked),
// and its claims request names no claim beyond the scopes
// (claimsBeyondScopes), which an approval of scopes does not cover.
func (s *Server) consentMayBeRemembered(req store.AuthRequest, client store.Client) bool {
	return s.cfg.Lifetimes.Consent > 0 && !slices.Contains(req.Prompt, promptConsent) &&
		identityProven(client, req) && !s.offlineAccessAsked(req.Scopes) && len(s.claimsBeyondScopes(req, client)) == 0
}

// refuseRequest ends a pending request with the error e at the redirect
// URI. The request is taken first, so it cannot be resumed afterwards.
func (s *Server) refuseRequest(w http.ResponseWriter, r *http.Request, req store.AuthRequest, client store.Client, e *Error) {
	if _, err := s.store.ConsumeAuthRequest(r.Context(), req.ID); err != nil {
		s.errorPage(w, r, oauthError(CodeInvalidRequest, "authorization request expired or already used"))
		return
	}
	s.redirectError(w, r, redirectFor(req, client), e)
}

// identityProven reports whether a remembered consent may be applied to req
// without asking the user again. RFC 8252 §8.6: unless the client's
// identity can be proven, a request is processed as if nothing had been
// approved before, since any app can claim a public client's ID. A claimed
// https redirect URI proves it (only the owner of the host receives the
// answer), and so does a confidential client redeeming a code (it
// authenticates at the token endpoint); a loopback http or custom-scheme
// redirect URI of a public client, or of any client using the implicit
// grant, does not.
func identityProven(client store.Client, req store.AuthRequest) bool {
	if !client.Public() && ResponseType(req.ResponseType) == ResponseCode {
		return true
	}
	u, err := url.Parse(redirectFor(req, client).uri)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// session asks the host who is signed in. A session without a subject is
// nobody.
func (s *Server) session(r *http.Request) (Session, bool) {
	sess, ok := s.cfg.Browser.Session(r)
	if !ok || sess.Subject == "" {
		return Session{}, false
	}
	return sess, true
}

// loginNeeded sends the browser to the host's login page with the address
// that resumes the request, the one that cancels it, and what the request
// asks of the sign-in (loginParams; again: the signed-in user must
// authenticate again; pairwise: the client sees pairwise subjects, so the
// user it names is not passed on).
func (s *Server) loginNeeded(w http.ResponseWriter, r *http.Request, req store.AuthRequest, again, pairwise bool) {
	resume := mountPrefix(r) + s.cfg.Paths.Authorize + "?request_id=" + url.QueryEscape(req.ID)
	q := loginParams(req, again, pairwise)
	q.Set("return_to", resume)
	q.Set("cancel_to", resume+"&cancel=1")
	pageHeaders(w.Header())
	http.Redirect(w, r, appendParams(s.cfg.Browser.LoginURL, q, false), http.StatusFound)
}

// cancel ends a pending request the user abandoned at the login page: back
// to the client's login_uri when it registered one (Prakerja), else to the
// redirect URI, with access_denied either way. The login_uri gets the
// state and, like every error answer to the client, the issuer (RFC 9207).
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
		q := url.Values{"error": {string(CodeAccessDenied)}, "iss": {s.cfg.Issuer}}
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
	// which browsers would take for another origin, nor a control
	// character, which a browser's URL parser drops (a tab in "/\t/host"
	// makes it "//host").
	if p, ok := strings.CutSuffix(full, r.URL.Path); ok && strings.HasPrefix(p, "/") &&
		!strings.HasPrefix(p, "//") && plainPrefix(p) {
		return p
	}
	return ""
}

// plainPrefix reports whether p holds no backslash and no control
// character.
func plainPrefix(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < ' ' || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
