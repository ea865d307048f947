package durability

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/authserver"
)

func TestRotationEnvRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rotation authserver.RefreshRotation
	}{
		{"strict rotation leaves the environment alone", authserver.RefreshRotation{}},
		{"a grace period and its key reach the app", authserver.RefreshRotation{GracePeriod: time.Minute, Key: []byte{0x00, 0xff, 0x10}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(graceEnv, "")
			t.Setenv(keyEnv, "")
			env := rotationEnv(tc.rotation)
			for _, kv := range env {
				name, value, ok := strings.Cut(kv, "=")
				require.True(t, ok, kv)
				t.Setenv(name, value)
			}
			got, err := envRotation()
			require.NoError(t, err)
			assert.Equal(t, tc.rotation, got)
		})
	}
}

func TestEnvRotationRejectsBadValues(t *testing.T) {
	t.Setenv(graceEnv, "a minute")
	t.Setenv(keyEnv, "00")
	_, err := envRotation()
	assert.ErrorContains(t, err, "durability: "+graceEnv+": ")

	t.Setenv(graceEnv, "1m0s")
	t.Setenv(keyEnv, "not hex")
	_, err = envRotation()
	assert.ErrorContains(t, err, "durability: "+keyEnv+": ")
}

func TestTokenHash(t *testing.T) {
	// SHA-256 of "abc" (FIPS 180-2 appendix B.1), base64url without padding.
	assert.Equal(t, "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0", TokenHash("abc"))
}
