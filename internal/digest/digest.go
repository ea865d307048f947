// Package digest hashes strings with SHA-256 (FIPS 180-4) without the heap
// allocation of converting them to a byte slice: the token hashes the
// server stores and the keys of the middleware's verified-token cache.
package digest

import "crypto/sha256"

// stackLen is the longest input copied to the stack before it is hashed.
// It covers the server's own tokens and typical JWT access tokens; a longer
// input is converted on the heap, as sha256.Sum256([]byte(s)) would be.
const stackLen = 2048

// SHA256 returns the SHA-256 digest of s.
func SHA256(s string) [sha256.Size]byte {
	if len(s) > stackLen {
		return sha256.Sum256([]byte(s))
	}
	var in [stackLen]byte
	return sha256.Sum256(append(in[:0], s...))
}
