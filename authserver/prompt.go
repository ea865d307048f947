package authserver

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kunci/kunci/store"
)

// The values of the prompt parameter (OpenID Connect Core §3.1.2.1).
const (
	// promptNone asks that no page be shown: the request is answered at
	// once, with login_required or consent_required when a page would be
	// needed (Core §3.1.2.6).
	promptNone = "none"
	// promptLogin asks that the user authenticate again, even when signed
	// in.
	promptLogin = "login"
	// promptConsent asks that the consent page be shown even when the
	// user's approval is remembered.
	promptConsent = "consent"
	// promptSelectAccount asks the host to let the user choose an account.
	promptSelectAccount = "select_account"
)

// promptValues lists the prompt values kunci understands, for the
// metadata's prompt_values_supported.
func promptValues() []string {
	return []string{promptNone, promptLogin, promptConsent, promptSelectAccount}
}

// maxHintLen bounds login_hint, acr_values and ui_locales, which a pending
// request keeps and the host's login page receives.
const maxHintLen = 1024

// maxMaxAge caps max_age: any longer limit is the same for every session
// a host keeps, and a duration of it cannot overflow.
const maxMaxAge = 100 * 365 * 24 * time.Hour

// checkInteraction reads into req the parameters that shape the login and
// consent steps (OpenID Connect Core §3.1.2.1): prompt, max_age or else
// the client's default_max_age (OpenID Connect Registration §2),
// login_hint, acr_values and ui_locales. As in other OpenID Providers they
// apply to plain OAuth 2.0 requests too, so any client can force the login
// or the consent page. A parameter without a value is left out (RFC 6749
// §3.1). Its errors, invalid_request, go to the client.
func checkInteraction(client store.Client, params url.Values, req *store.AuthRequest) *Error {
	for _, v := range strings.Fields(params.Get("prompt")) {
		switch {
		case !slices.Contains(promptValues(), v):
			return oauthError(CodeInvalidRequest, "unknown prompt value")
		case slices.Contains(req.Prompt, v):
			return oauthError(CodeInvalidRequest, "prompt names "+v+" twice")
		}
		req.Prompt = append(req.Prompt, v)
	}
	if slices.Contains(req.Prompt, promptNone) && len(req.Prompt) > 1 {
		return oauthError(CodeInvalidRequest, "prompt none cannot be combined with another value")
	}
	req.MaxAge = client.DefaultMaxAge
	if v := params.Get("max_age"); v != "" {
		if !allDigits(v) {
			return oauthError(CodeInvalidRequest, "max_age must be a whole number of seconds")
		}
		req.MaxAge = maxMaxAge
		if secs, err := strconv.ParseUint(v, 10, 64); err == nil && secs < uint64(maxMaxAge/time.Second) {
			req.MaxAge = time.Duration(secs) * time.Second
		}
		if req.MaxAge == 0 && !slices.Contains(req.Prompt, promptLogin) {
			// Zero seconds since the last authentication: the user
			// authenticates now, which is what prompt=login asks.
			req.Prompt = append(req.Prompt, promptLogin)
		}
	}
	hints := []struct {
		name  string
		ascii bool
	}{{"login_hint", false}, {"acr_values", true}, {"ui_locales", true}}
	for _, h := range hints {
		if v := params.Get(h.name); len(v) > maxHintLen || (h.ascii && !vschar(v)) {
			return oauthError(CodeInvalidRequest, h.name+" is malformed or too long")
		}
	}
	req.LoginHint = params.Get("login_hint")
	req.ACRValues = strings.Fields(params.Get("acr_values"))
	req.UILocales = strings.Fields(params.Get("ui_locales"))
	return nil
}

// sessionFit is how the host's session does for a pending request.
type sessionFit int

const (
	// sessionFits: the signed-in user may answer the request.
	sessionFits sessionFit = iota
	// sessionNone: nobody is signed in.
	sessionNone
	// sessionStale: a user is signed in, but must authenticate again.
	sessionStale
	// sessionChoose: the client asked the host to let the user choose an
	// account (prompt=select_account).
	sessionChoose
)

// fitSession decides whether sess may answer req (OpenID Connect Core
// §3.1.2.1, §5.5.1), and for sessionStale says why. A signed-in user must
// authenticate again when:
//   - the session's AuthTime is more than futureAuthTime ahead of now;
//   - the request has prompt=login (or max_age=0) and the host's login
//     page has not yet been shown for it; once it has (returned), the
//     session's AuthTime must be after the request began: an AuthTime in
//     whole seconds that names the second the request began in is not,
//     since it cannot tell a sign-in after the request from one before;
//   - the request has a max_age (or the client a default_max_age) and the
//     session's AuthTime is unknown or more than max_age ago (authOlder);
//   - the claims request asks for auth_time as essential and the session's
//     AuthTime is unknown, or for acr as essential with values that the
//     session's ACR is not one of;
//   - the request names a user (id_token_hint, or sub in the claims
//     request) and another one is signed in; names says whether the sub
//     the client sent names the local subject (for a pairwise client the
//     sub is the client's own value, Core §8.1).
//
// prompt=select_account sends a fresh request to the host's login page.
// returned is true when the browser comes back from the login page, and at
// the consent form's POST.
func fitSession(req store.AuthRequest, sess Session, signedIn, returned bool, now time.Time, names func(sub, local string) bool) (fit sessionFit, why string) {
	if !signedIn {
		return sessionNone, "the user is not signed in"
	}
	claims := storedClaimsRequest(req.Claims)
	authTime := sess.AuthTime
	switch {
	case authTime.After(now.Add(futureAuthTime)):
		return sessionStale, "the session says the user signed in at a time still to come"
	case slices.Contains(req.Prompt, promptLogin) && !returned:
		return sessionStale, "the client asked the user to sign in again"
	case slices.Contains(req.Prompt, promptLogin) && !authTime.After(req.CreatedAt):
		return sessionStale, "the user did not sign in again after the request began"
	case req.RequiredSubject != "" && !names(req.RequiredSubject, sess.Subject):
		return sessionStale, "another user is signed in than the request names"
	case req.MaxAge > 0 && authTime.IsZero():
		return sessionStale, "the session does not say when the user signed in, which max_age needs"
	case req.MaxAge > 0 && authOlder(authTime, now, req.MaxAge):
		return sessionStale, "the user signed in longer ago than max_age allows"
	case claims.authTimeEssential() && authTime.IsZero():
		return sessionStale, "the session does not say when the user signed in, which the claims request needs"
	case claims.essentialACR() != nil && !slices.Contains(claims.essentialACR(), sess.ACR):
		return sessionStale, "the sign-in does not meet the acr the claims request needs"
	case slices.Contains(req.Prompt, promptSelectAccount) && !returned:
		return sessionChoose, ""
	}
	return sessionFits, ""
}

// authOlder reports whether the user authenticated, by AuthTime, more
// than maxAge before now. An AuthTime in whole seconds, as auth_time is
// (Core §2), is read as the second it names: the age is counted in whole
// seconds, as a relying party checks auth_time against max_age, so a host
// that keeps AuthTime so is not refused for the fraction it dropped. One
// with a fraction is read exactly. Seconds are compared as integers, so no
// AuthTime is too old to count as old.
func authOlder(authTime, now time.Time, maxAge time.Duration) bool {
	if authTime.Nanosecond() == 0 {
		return now.Unix()-authTime.Unix() > int64(maxAge/time.Second)
	}
	return now.Sub(authTime) > maxAge
}

// futureAuthTime is how far ahead of the server's clock a session's
// AuthTime may be, for a host that takes it from another clock (such as an
// upstream auth_time). One further ahead is a host's mistake, such as a
// local time read as UTC, that would make any sign-in look fresh.
const futureAuthTime = time.Minute

// fitClientSession is fitSession for a request of client, with the
// client's require_auth_time (OpenID Connect Registration §2): its ID
// Tokens always carry auth_time, so a session that does not say when the
// user authenticated must sign in again, as for max_age.
func fitClientSession(req store.AuthRequest, client store.Client, sess Session, signedIn, returned bool, now time.Time, names func(sub, local string) bool) (sessionFit, string) {
	fit, why := fitSession(req, sess, signedIn, returned, now, names)
	if fit == sessionFits && authTimeMissing(req, client, sess) {
		return sessionStale, whyAuthTimeMissing
	}
	return fit, why
}

// whyAuthTimeMissing is the login_required description when a client's
// require_auth_time meets a session without AuthTime.
const whyAuthTimeMissing = "the session does not say when the user signed in, which the client's require_auth_time needs"

// authTimeMissing reports whether req is an OpenID Connect request of a
// client that registered require_auth_time and sess does not say when the
// user authenticated. A plain OAuth 2.0 request gets no ID Token, so the
// rule does not concern it.
func authTimeMissing(req store.AuthRequest, client store.Client, sess Session) bool {
	return client.RequireAuthTime && slices.Contains(req.Scopes, scopeOpenID) && sess.AuthTime.IsZero()
}

// loginParams are the query parameters of the host's login page beyond
// return_to and cancel_to (see Browser.LoginURL): what the request asks of
// the sign-in. again says the signed-in user must authenticate again.
func loginParams(req store.AuthRequest, again, pairwise bool) url.Values {
	q := url.Values{}
	var prompt []string
	if again || slices.Contains(req.Prompt, promptLogin) {
		prompt = append(prompt, promptLogin)
	}
	if slices.Contains(req.Prompt, promptSelectAccount) {
		prompt = append(prompt, promptSelectAccount)
	}
	acr := slices.Clone(req.ACRValues)
	for _, v := range storedClaimsRequest(req.Claims).acrValues() {
		if !slices.Contains(acr, v) {
			acr = append(acr, v)
		}
	}
	subject := req.RequiredSubject
	if pairwise {
		// The client's own value for the user, which the host cannot map
		// back (Core §8.1): no hint for the login page.
		subject = ""
	}
	for k, v := range map[string]string{
		"prompt":     strings.Join(prompt, " "),
		"subject":    subject,
		"login_hint": req.LoginHint,
		"acr_values": strings.Join(acr, " "),
		"ui_locales": strings.Join(req.UILocales, " "),
	} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}
