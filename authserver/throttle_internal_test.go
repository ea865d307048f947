package authserver

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestThrottleTableIsBounded(t *testing.T) {
	th := newThrottle(2, time.Minute)
	th.maxKeys = 10
	for i := range 50 {
		th.fail(throttleKey("u", "user"+strconv.Itoa(i), "192.0.2.1"))
	}
	assert.Equal(t, 10, th.counts.ItemCount())

	// Keys already counted keep counting, so they are still throttled.
	k := throttleKey("u", "user0", "192.0.2.1")
	th.fail(k)
	_, blocked := th.blocked(k)
	assert.True(t, blocked)

	long := throttleKey("c", strings.Repeat("x", 10_000), "192.0.2.1")
	assert.Len(t, long, 1+1+maxKeyPart+1+len("192.0.2.1"))
}
