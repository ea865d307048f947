package authserver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kunci/kunci/internal/policy"
	"github.com/kunci/kunci/store"
)

// authRedirect is where the answer to an authorization request goes, and
// how (see responseMode).
type authRedirect struct {
	uri      string
	state    string
	fragment bool // a token or ID Token is returned: parameters go in the fragment (RFC 6749 §4.2.2, Multiple Response Types §3)
	formPost bool // response_mode form_post: posted by a page (Form Post Response Mode §2)
	// uiLocales are the stored request's ui_locales, for the language of
	// the form_post page; nil for a request not yet stored (the query's
	// are used).
	uiLocales []string
}

// newAuthRedirect returns the redirect to uri for a request of rt in mode
// (see responseMode).
func newAuthRedirect(uri, state string, rt ResponseType, mode string) *authRedirect {
	formPost := mode == responseModeFormPost
	return &authRedirect{uri: uri, state: state, fragment: rt.frontChannel() && !formPost, formPost: formPost}
}

// redirectFor returns the redirect for a stored request.
func redirectFor(req store.AuthRequest, client store.Client) *authRedirect {
	uri := req.RedirectURI
	if uri == "" && len(client.RedirectURIs) > 0 {
		uri = client.RedirectURIs[0]
	}
	to := newAuthRedirect(uri, req.State, ResponseType(req.ResponseType), req.ResponseMode)
	to.uiLocales = req.UILocales
	return to
}

// redirect sends the browser to the client with params plus state and iss
// (RFC 9207): with status in the redirect URI's query or fragment, or
// with response_mode form_post in a page that posts them (status 200).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to *authRedirect, params url.Values, status int) {
	if to.state != "" {
		params.Set("state", to.state)
	}
	params.Set("iss", s.cfg.Issuer)
	if to.formPost {
		s.formPost(w, r, to, params)
		return
	}
	pageHeaders(w.Header())
	w.Header().Set("Location", appendParams(to.uri, params, to.fragment))
	w.WriteHeader(status)
}

// redirectError answers an authorization request with an error redirect
// (RFC 6749 §4.1.2.1, §4.2.2.1).
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, to *authRedirect, e *Error) {
	s.redirectErrorStatus(w, r, to, e, http.StatusFound)
}

func (s *Server) redirectErrorStatus(w http.ResponseWriter, r *http.Request, to *authRedirect, e *Error, status int) {
	s.logError(r.Context(), e)
	params := url.Values{"error": {string(e.Code)}}
	if e.Description != "" {
		params.Set("error_description", policy.ErrorDescription(e.Description))
	}
	s.redirect(w, r, to, params, status)
}

// approve issues what an approved request asked for: a code (RFC 6749
// §4.1.2) or, for the implicit grant, an access token in the fragment
// (§4.2.2, never with a refresh token), or for the implicit and hybrid
// flows of OpenID Connect what their response type names (Core §3.2.2.5,
// §3.3.2.5): an ID Token, an access token and a code. The access token
// and the ID Token go in the fragment or a form post; a code of a hybrid
// response exchanges at the token endpoint as any other.
//
// The approval starts a grant, which records who approved what, the
// host's session (when and how the user authenticated, the session ID) and
// the nonce and claims request of an OpenID Connect request, for its ID
// Tokens and UserInfo responses.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, req store.AuthRequest, client store.Client, sess Session, scopes []string, status int) {
	ctx := r.Context()
	to := redirectFor(req, client)
	if authTimeMissing(req, client, sess) {
		// The consent page's POST, whose session the host may have
		// changed since the page was shown.
		s.redirectErrorStatus(w, r, to, oauthError(CodeLoginRequired, whyAuthTimeMissing), status)
		return
	}
	now := time.Now()
	parts := ResponseType(req.ResponseType).parts()
	grantType, refresh := GrantAuthorizationCode, s.refreshes(client, scopes)
	if !parts.code {
		grantType, refresh = GrantImplicit, false
	}
	g := newGrant(client, sess, scopes, req.Resources, now, s.grantEnd(now, grantType, refresh))
	g.Nonce = req.Nonce
	g.JKT = req.JKT
	g.Claims = s.approvedClaims(req, client, scopes)
	if err := s.saveGrant(ctx, g); err != nil {
		s.redirectErrorStatus(w, r, to, asError(err), status)
		return
	}
	params := url.Values{}
	var code string
	if parts.code {
		code = newGrantToken(prefixCode, g.ID)
	}
	var it IssuedToken
	if parts.token {
		var err error
		it, err = s.mint(ctx, issueRequest{
			client:    client,
			grantType: GrantImplicit,
			grant:     g,
			scopes:    scopes,
			audience:  req.Resources,
			now:       now,
		})
		if err != nil {
			s.redirectErrorStatus(w, r, to, asError(err), status)
			return
		}
		params.Set("access_token", it.AccessToken)
		params.Set("token_type", it.TokenType)
		params.Set("expires_in", strconv.FormatInt(int64(it.ExpiresAt.Sub(it.IssuedAt)/time.Second), 10))
		if !slices.Equal(scopes, req.Scopes) {
			params.Set("scope", strings.Join(scopes, " "))
		}
	}
	if parts.idToken {
		idToken, err := s.signIDTokenFor(ctx, issueRequest{client: client, grantType: grantType, grant: g, scopes: scopes, now: now},
			frontChannelIDToken(it.AccessToken, code))
		if err != nil {
			s.discardFront(ctx, it)
			s.redirectErrorStatus(w, r, to, serverError(fmt.Errorf("signing ID token: %w", err)), status)
			return
		}
		params.Set("id_token", idToken)
	}
	if parts.code {
		err := s.store.SaveCode(ctx, store.AuthCode{
			Hash:                hashToken(code),
			GrantID:             g.ID,
			ClientID:            client.ID,
			RedirectURI:         req.RedirectURI,
			CodeChallenge:       req.CodeChallenge,
			CodeChallengeMethod: req.CodeChallengeMethod,
			IssuedAt:            now,
			ExpiresAt:           now.Add(s.cfg.Lifetimes.Code),
		})
		if err != nil {
			s.discardFront(ctx, it)
			s.redirectErrorStatus(w, r, to, unavailable(err), status)
			return
		}
		params.Set("code", code)
	}
	s.redirect(w, r, to, params, status)
}

// discardFront deletes the access token of a front-channel response that
// is not sent, if one was made.
func (s *Server) discardFront(ctx context.Context, it IssuedToken) {
	if it.AccessToken != "" {
		s.discard(ctx, it)
	}
}
