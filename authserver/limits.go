package authserver

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/kunci/kunci/internal/throttle"
)

// sourceIP returns the address r is throttled by: what Limits.ClientIP
// says, or the host part of the remote address.
func (s *Server) sourceIP(r *http.Request) string {
	if s.cfg.Limits.ClientIP != nil {
		return s.cfg.Limits.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// throttled is the 429 answer to a throttled client or username (RFC 6585
// §4), with Retry-After.
func throttled(wait time.Duration) *Error {
	return &Error{
		Code:        CodeTemporarilyUnavailable,
		Description: "too many failed attempts",
		Status:      http.StatusTooManyRequests,
		retryAfter:  retryAfterSeconds(wait),
	}
}

// retryAfterSeconds rounds d up to whole seconds, at least one (RFC 9110
// §10.2.3).
func retryAfterSeconds(d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// allowStart counts an authorization request about to be kept in the store
// as pending, or answers with an error page: 429 when its source address
// started too many (Limits.AuthorizeRateLimit), 503 when the server-wide cap
// is reached (Limits.MaxPendingAuthRequests; it bounds anonymous traffic,
// so requests of signed-in users neither count nor meet it), both with
// Retry-After. anonymous says nobody is signed in. It runs after the
// request was validated, so invalid requests, which are never stored, do
// not use up an address's budget.
func (s *Server) allowStart(w http.ResponseWriter, r *http.Request, anonymous bool) bool {
	wait, refusal, err := s.limits.start(r.Context(), s.sourceIP(r), anonymous)
	if err != nil {
		s.errorPage(w, r, unavailable(err))
		return false
	}
	if refusal == throttle.Allowed {
		return true
	}
	e := &Error{Code: CodeTemporarilyUnavailable, Description: "too many authorization requests from your network; try again later", Status: http.StatusTooManyRequests}
	if refusal == throttle.ServerFull {
		e = &Error{Code: CodeTemporarilyUnavailable, Description: "the server is handling too many sign-ins; try again later"}
	}
	s.emit(r.Context(), Event{Kind: EventThrottled})
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	s.errorPage(w, r, e)
	return false
}

// countFailure counts a failed authentication of id ("" for an identifier
// that does not exist) from addr. The request has failed already; a shared
// Counter that cannot count is logged, not reported to the client.
func (s *Server) countFailure(ctx context.Context, id, addr string) {
	if err := s.limits.fail(ctx, id, addr); err != nil {
		s.log.ErrorContext(ctx, "authserver: Limits.Counter failed to count a failed authentication", slog.Any("error", err))
	}
}
