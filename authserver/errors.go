package authserver

import (
	"errors"
	"log/slog"
	"net/http"
)

// ErrorCode is an OAuth 2.0 error code: the value of the "error" parameter
// (RFC 6749 §4.1.2.1, §5.2; RFC 7009 §2.2.1; RFC 8707 §2; OpenID Connect
// Core §3.1.2.6).
type ErrorCode string

// The error codes kunci sends.
const (
	CodeInvalidRequest          ErrorCode = "invalid_request"
	CodeInvalidClient           ErrorCode = "invalid_client"
	CodeInvalidGrant            ErrorCode = "invalid_grant"
	CodeUnauthorizedClient      ErrorCode = "unauthorized_client"
	CodeUnsupportedGrantType    ErrorCode = "unsupported_grant_type"
	CodeInvalidScope            ErrorCode = "invalid_scope"
	CodeAccessDenied            ErrorCode = "access_denied"
	CodeUnsupportedResponseType ErrorCode = "unsupported_response_type"
	CodeServerError             ErrorCode = "server_error"
	CodeTemporarilyUnavailable  ErrorCode = "temporarily_unavailable"
	CodeUnsupportedTokenType    ErrorCode = "unsupported_token_type"
	CodeInvalidTarget           ErrorCode = "invalid_target"
	// CodeRequestNotSupported and CodeRequestURINotSupported answer an
	// OpenID Connect request that passes a request object by value or by
	// reference (OpenID Connect Core §6), which kunci does not support.
	CodeRequestNotSupported    ErrorCode = "request_not_supported"
	CodeRequestURINotSupported ErrorCode = "request_uri_not_supported"
	// CodeLoginRequired and CodeConsentRequired answer an authorization
	// request with prompt=none that needs the login or the consent page
	// (OpenID Connect Core §3.1.2.6). login_required also answers one whose
	// user, back from the host's login page, still has not signed in as
	// it asks (prompt=login, max_age, id_token_hint).
	CodeLoginRequired   ErrorCode = "login_required"
	CodeConsentRequired ErrorCode = "consent_required"
)

// Error is an OAuth 2.0 error response. Handlers return it and one writer turns
// it into the JSON body of RFC 6749 §5.2 or the redirect of §4.1.2.1.
type Error struct {
	// Code is the "error" value.
	Code ErrorCode
	// Description is the "error_description" value: text safe to show to the
	// client. It never contains a secret, a token or an internal error text.
	Description string
	// Status is the HTTP status; zero means the one RFC 6749 §5.2 gives Code.
	Status int
	// Err is the internal cause. It is logged, never sent.
	Err error

	// retryAfter, when positive, is sent as Retry-After in seconds.
	retryAfter int
}

// Error implements error.
func (e *Error) Error() string {
	msg := "authserver: " + string(e.Code)
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus returns the status the error is sent with: Status when set, else
// 401 for invalid_client, 500 for server_error, 503 for
// temporarily_unavailable and 400 for everything else (RFC 6749 §5.2).
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	switch e.Code {
	case CodeInvalidClient:
		return http.StatusUnauthorized
	case CodeServerError:
		return http.StatusInternalServerError
	case CodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// LogValue implements slog.LogValuer. It includes the internal cause, which
// is why Error values are logged but their text is never sent.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("code", string(e.Code))}
	if e.Description != "" {
		attrs = append(attrs, slog.String("description", e.Description))
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("cause", e.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

// oauthError returns a fresh Error; constructors never hand out shared values.
func oauthError(code ErrorCode, description string) *Error {
	return &Error{Code: code, Description: description}
}

// serverError wraps an unexpected failure. The client sees only a generic
// description; the cause is logged.
func serverError(cause error) *Error {
	return &Error{Code: CodeServerError, Description: "internal error", Err: cause}
}

// unavailable wraps a store failure that the client may retry.
func unavailable(cause error) *Error {
	return &Error{Code: CodeTemporarilyUnavailable, Description: "try again later", Err: cause}
}

// asError turns any error into an *Error, treating unknown errors as server
// errors.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return serverError(err)
}
