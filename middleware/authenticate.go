package middleware

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/kunci/kunci/internal/dpop"
)

// Authenticate returns middleware that requires a valid bearer access token
// (RFC 6750) on every request. It reads the token from the Authorization
// request header field (RFC 6750 §2.1), and also from the query or the form
// body when opts allow it; checks it with v; checks its audience when
// [Options.Audience] is set; and calls the next handler with the
// [TokenInfo] in the request context, where [TokenInfoFromContext] finds it.
//
// It fails closed: the next handler is never called without a verified
// token. Refusals follow RFC 6750 §3 and always carry Cache-Control: no-store:
//
//   - no bearer token: 401 with WWW-Authenticate: Bearer and no error code;
//   - a malformed Authorization header or more than one, a token sent by
//     more than one method (RFC 6750 §2), or a token longer than
//     [Options.MaxTokenLength]: 400 error="invalid_request";
//   - a token v rejects (an error wrapping [ErrInvalidToken]), or one whose
//     audience lacks [Options.Audience]: 401 error="invalid_token";
//   - any other error from v (a system failure): 503 with no challenge and
//     nothing about the token.
//
// A token the Verifier reports bound to a DPoP key ([TokenInfo.JKT]) is
// refused as a bearer token with 401 error="invalid_token". With
// [Options.DPoP] it is accepted with the DPoP scheme (RFC 9449 §7.1) and a
// DPoP proof header by its key that carries the token's ath; a bad or
// missing proof is 401 error="invalid_dpop_proof", a missing nonce 401
// error="use_dpop_nonce" with the DPoP-Nonce header, and every challenge
// adds WWW-Authenticate: DPoP with the accepted algs.
//
// Authenticate returns an error, and no middleware, when v is nil or opts is
// invalid, so bad configuration fails at start-up rather than on each
// request. The middleware is safe for concurrent use.
func Authenticate(v Verifier, opts Options) (func(http.Handler) http.Handler, error) {
	if isNil(v) {
		return nil, errors.New("middleware: Authenticate needs a Verifier, got nil")
	}
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	d, err := newDPoPCheck(o.DPoP)
	if err != nil {
		return nil, err
	}
	// Only the verifiers themselves: a host type that embeds one inherits
	// known, and would be answered from its cache without its own checks.
	var known knownTokens
	switch v := v.(type) {
	case *JWTVerifier:
		known = v
	case *IntrospectionVerifier:
		known = v
	}
	a := &authenticator{
		v:     v,
		known: known,
		opts:  o,
		dpop:  d,
		resp:  responder{realm: o.Realm, handle: o.ErrorHandler, log: o.Logger},
	}
	if d != nil {
		a.resp.dpopAlgs, a.resp.noBearer = d.algs(), d.required
	}
	return a.middleware, nil
}

// authenticator holds one Authenticate configuration; it is immutable once
// built and so safe for concurrent use. The scope checks behind it reach its
// responder through the request context.
type authenticator struct {
	v     Verifier
	known knownTokens // v, when it is a JWTVerifier or IntrospectionVerifier; else nil
	opts  Options     // normalized
	dpop  *dpopCheck
	resp  responder
}

func (a *authenticator) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, next)
	})
}

func (a *authenticator) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	c, e := a.extract(r)
	if e != nil {
		a.resp.refuse(w, r, e)
		return
	}
	// The proof is checked before the token, which costs no call to the
	// Verifier; its jti is recorded last, so that only a request with a
	// token bound to the proof's key reaches the replay store.
	var proof dpop.Proof
	if c.dpop {
		if proof, e = a.dpop.proof(r, c.token); e != nil {
			a.resp.refuse(w, r, e)
			return
		}
	}
	ctx := r.Context()
	info := c.info
	if !c.known {
		var err error
		info, err = a.v.VerifyAccessToken(ctx, c.token)
		switch {
		case errors.Is(err, ErrInvalidToken):
			a.resp.refuse(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Err: err, DPoP: c.dpop})
			return
		case err != nil:
			a.resp.refuse(w, r, &Error{Status: http.StatusServiceUnavailable, Err: err})
			return
		}
	}
	if e := checkBinding(info, c.dpop, proof.JKT); e != nil {
		a.resp.refuse(w, r, e)
		return
	}
	if a.opts.Audience != "" && !slices.Contains(info.Audience, a.opts.Audience) {
		a.resp.refuse(w, r, &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Err: errors.New("middleware: token not meant for this audience"), DPoP: c.dpop})
		return
	}
	if c.dpop {
		if e := a.dpop.use(r, proof); e != nil {
			a.resp.refuse(w, r, e)
			return
		}
	}
	next.ServeHTTP(w, r.WithContext(&infoContext{Context: ctx, info: info, resp: &a.resp, dpop: c.dpop}))
}

// credential is the access token extract finds in a request.
type credential struct {
	token string
	// dpop is set for an Authorization header of the DPoP scheme (RFC
	// 9449 §7.1).
	dpop bool
	// known is set when the Verifier knew the token (see knownTokens),
	// and info is then its answer.
	known bool
	info  TokenInfo
}

// extract finds the one access token of r (RFC 6750 §2): in the
// Authorization header, or where opts allow it in the query or the form
// body; with DPoP on, also an Authorization header of the DPoP scheme. A
// request that carries none gets a 401 without an error code; one that
// carries a malformed or oversized token, or tokens by more than one
// method, gets a 400.
func (a *authenticator) extract(r *http.Request) (credential, *Error) {
	c, e := a.extractAny(r)
	if e == nil && !c.dpop && a.dpop != nil && a.dpop.required {
		return credential{}, &Error{Status: http.StatusUnauthorized, Code: CodeInvalidToken, Description: "only DPoP-bound tokens are accepted", DPoP: true}
	}
	return c, e
}

// extractAny is extract without the DPoP-only rule.
func (a *authenticator) extractAny(r *http.Request) (credential, *Error) {
	var c credential
	found := false
	switch vals := r.Header["Authorization"]; len(vals) {
	case 0:
	case 1:
		t, res := splitCredentials(vals[0], "Bearer")
		if res == bearerAbsent && a.dpop != nil {
			t, res = splitCredentials(vals[0], "DPoP")
			c.dpop = res != bearerAbsent
		}
		switch res {
		case bearerMalformed:
			return credential{}, malformed("malformed Authorization header")
		case bearerOK:
			// The header is the usual place of a token, and the only one
			// asked of the Verifier's cache: a token found there was well
			// formed when it was cached.
			if a.known != nil && len(t) <= a.opts.MaxTokenLength {
				c.info, c.known = a.known.known(t)
			}
			if !c.known && !isB64token(t) {
				return credential{}, malformed("malformed Authorization header")
			}
			c.token, found = t, true
		}
	default:
		return credential{}, malformed("more than one Authorization header")
	}
	// The query is checked even when query tokens are not allowed: a token
	// there beside the header is two methods in one request.
	inQuery := queryTokens(r.URL.RawQuery)
	if len(inQuery) > 0 {
		if found {
			return credential{}, malformed("more than one access token in the request")
		}
		if a.opts.AllowQueryToken {
			if len(inQuery) > 1 {
				return credential{}, malformed("more than one access token in the request")
			}
			if !isB64token(inQuery[0]) {
				return credential{}, malformed("malformed access_token parameter")
			}
			c.token, found = inQuery[0], true
		}
	}
	if a.opts.AllowFormToken && hasFormBody(r) {
		if err := r.ParseForm(); err != nil {
			return credential{}, malformed("unreadable form body")
		}
		vals := r.PostForm["access_token"]
		switch {
		case len(vals) == 0:
		case len(vals) > 1 || found || len(inQuery) > 0:
			return credential{}, malformed("more than one access token in the request")
		case !isB64token(vals[0]):
			return credential{}, malformed("malformed access_token parameter")
		default:
			c.token, found = vals[0], true
		}
	}
	if !found {
		return credential{}, &Error{Status: http.StatusUnauthorized}
	}
	if len(c.token) > a.opts.MaxTokenLength {
		return credential{}, malformed("access token too long")
	}
	return c, nil
}

// queryTokens returns the decoded values of the access_token parameters of
// a raw URI query (RFC 6750 §2.3), nil when there are none. A name is
// matched after percent-decoding, as [net/url.ParseQuery] does; a value that
// does not decode is returned as "", which no b64token matches. It allocates
// only when the parameter is present.
func queryTokens(rawQuery string) []string {
	if rawQuery == "" {
		return nil
	}
	var out []string
	for pair := range strings.SplitSeq(rawQuery, "&") {
		name, value, _ := strings.Cut(pair, "=")
		if name != "access_token" {
			if !strings.Contains(name, "%") {
				continue
			}
			if n, err := url.QueryUnescape(name); err != nil || n != "access_token" {
				continue
			}
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			v = ""
		}
		out = append(out, v)
	}
	return out
}

// hasFormBody reports whether r may carry the token in its body under the
// conditions of RFC 6750 §2.2: a single-part form-encoded body and a method
// whose body has defined semantics (not GET or HEAD).
func hasFormBody(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// malformed is the 400 invalid_request refusal of RFC 6750 §3.1 with a fixed
// description.
func malformed(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Description: desc}
}

// isNil reports whether v is nil or an interface holding a nil pointer,
// func, map, slice or channel (such as a (*JWTVerifier)(nil)), which would
// fail on the first request instead of here.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Slice, reflect.Chan, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
