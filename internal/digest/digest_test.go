package digest

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// SHA256 equals crypto/sha256 on both sides of stackLen, and allocates
// nothing up to it.
func TestSHA256(t *testing.T) {
	for _, n := range []int{0, 1, 43, 600, stackLen - 1, stackLen, stackLen + 1, 3 * stackLen} {
		s := strings.Repeat("k", n)
		assert.Equal(t, sha256.Sum256([]byte(s)), SHA256(s), "length %d", n)
	}
	s := strings.Repeat("k", stackLen)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = SHA256(s) }))
}
