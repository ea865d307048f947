package digest

import (
	"crypto/sha256"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// SHA256 equals crypto/sha256 on both sides of each buffer's length, and
// allocates nothing up to stackLen.
func TestSHA256(t *testing.T) {
	for _, n := range []int{0, 1, 43, shortLen - 1, shortLen, shortLen + 1, 600, stackLen - 1, stackLen, stackLen + 1, 3 * stackLen} {
		s := strings.Repeat("k", n)
		assert.Equal(t, sha256.Sum256([]byte(s)), SHA256(s), "length %d", n)
	}
	for _, n := range []int{shortLen, stackLen} {
		s := strings.Repeat("k", n)
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = SHA256(s) }), "length %d", n)
	}
}

// BenchmarkSHA256 hashes a server token (47 bytes) and a JWT-sized input
// (600 bytes) beside crypto/sha256 on a byte slice made once, the floor.
func BenchmarkSHA256(b *testing.B) {
	for _, n := range []int{47, 600} {
		s := strings.Repeat("k", n)
		in := []byte(s)
		b.Run(strconv.Itoa(n)+"/digest", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = SHA256(s)
			}
		})
		b.Run(strconv.Itoa(n)+"/floor", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = sha256.Sum256(in)
			}
		})
	}
}
