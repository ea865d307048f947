package policy

import (
	"slices"
	"strings"
)

// Limits on the lists one request may carry. They are checked before any
// work that grows faster than the input (duplicate removal), so a request
// costs time and memory in proportion to its size.
const (
	// MaxScopeLen is the longest scope parameter (RFC 6749 §3.3), in bytes.
	MaxScopeLen = 2048
	// MaxScopes is the most scope-tokens one scope parameter may hold,
	// counting duplicates.
	MaxScopes = 64
	// MaxResources is the most resource indicators (RFC 8707 §2) one request
	// may name, counting duplicates.
	MaxResources = 16
)

// ValidScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
//
//	scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
//
// that is, one or more printable ASCII characters other than space, double
// quote and backslash.
func ValidScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ParseScope splits a scope parameter of RFC 6749 §3.3,
//
//	scope = scope-token *( SP scope-token )
//
// into its scope-tokens, dropping repeated ones and keeping the order of
// first appearance. The empty string is no scope: nil and true. It reports
// false for a malformed value (a token that is not a [ValidScopeToken], or
// separators other than single spaces, including leading or trailing ones)
// and for a value longer than [MaxScopeLen] bytes or with more than
// [MaxScopes] tokens; both limits are checked before anything else.
func ParseScope(s string) ([]string, bool) {
	if s == "" {
		return nil, true
	}
	if len(s) > MaxScopeLen || strings.Count(s, " ") >= MaxScopes {
		return nil, false
	}
	parts := strings.Split(s, " ")
	for _, p := range parts {
		if !ValidScopeToken(p) {
			return nil, false
		}
	}
	return dedupe(parts), true
}

// Unique returns the distinct elements of list in the order of their first
// appearance, as a new slice (nil for an empty list). It reports false,
// before doing any other work, when list has more than limit elements,
// duplicates included, so its cost is bounded by limit whatever the input.
// Use it with [MaxResources] for the resource parameters of a request.
func Unique(list []string, limit int) ([]string, bool) {
	if len(list) > limit {
		return nil, false
	}
	if len(list) == 0 {
		return nil, true
	}
	return dedupe(slices.Clone(list)), true
}

// dedupe removes repeated elements of list in place, keeping the first of
// each. Its work is quadratic in len(list), which the callers bound.
func dedupe(list []string) []string {
	out := list[:0]
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
