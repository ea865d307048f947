// Package digest hashes strings with SHA-256 (FIPS 180-4) without the heap
// allocation of converting them to a byte slice: the token hashes the
// server stores and the keys of the middleware's verified-token cache.
package digest

import "crypto/sha256"

// shortLen is the longest input copied to the small stack buffer: the
// server's own tokens, secrets and PKCE verifiers. stackLen is the longest
// copied to the stack at all, which covers typical JWT access tokens; a
// longer input is converted on the heap, as sha256.Sum256([]byte(s)) would
// be. Two sizes, so that a short input does not pay for clearing the long
// buffer.
const (
	shortLen = 256
	stackLen = 2048
)

// SHA256 returns the SHA-256 digest of s.
func SHA256(s string) [sha256.Size]byte {
	switch {
	case len(s) <= shortLen:
		var in [shortLen]byte
		return sha256.Sum256(append(in[:0], s...))
	case len(s) <= stackLen:
		var in [stackLen]byte
		return sha256.Sum256(append(in[:0], s...))
	}
	return sha256.Sum256([]byte(s))
}
