package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParsePairwiseKey: -pairwise-key takes 64 or more hex digits;
// empty means a fresh key per run.
func TestParsePairwiseKey(t *testing.T) {
	key, err := parsePairwiseKey("")
	require.NoError(t, err)
	assert.Nil(t, key)
	key, err = parsePairwiseKey(strings.Repeat("ab", 32))
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{0xab}, 32), key)
	for _, bad := range []string{strings.Repeat("ab", 31), strings.Repeat("zz", 32), "abc"} {
		_, err := parsePairwiseKey(bad)
		assert.EqualError(t, err, "example: -pairwise-key (or $KUNCI_DEMO_PAIRWISE_KEY) must be at least 64 hex digits", bad)
	}
	var out strings.Builder
	assert.EqualError(t, run(t.Context(), []string{"-addr", "127.0.0.1:0", "-pairwise-key", "00"}, &out),
		"example: -pairwise-key (or $KUNCI_DEMO_PAIRWISE_KEY) must be at least 64 hex digits")
}
