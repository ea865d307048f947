package authserver

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLegacyThrottleSurvivesFlooding(t *testing.T) {
	th := newThrottle(20, time.Minute)
	victim := throttleKey("c", "svc", "192.0.2.1")
	// An attacker first fills the table with a hundred thousand junk keys...
	for i := range 100_000 {
		th.count(throttleKey("c", "junk"+strconv.Itoa(i), "198.51.100.7"))
	}
	// ...which blocks nobody else by itself...
	_, blocked := th.blocked(victim)
	assert.False(t, blocked)
	// ...and does not stop the victim's key from being throttled.
	for range 20 {
		th.count(victim)
	}
	wait, blocked := th.blocked(victim)
	assert.True(t, blocked)
	assert.Greater(t, wait, time.Duration(0))
	assert.LessOrEqual(t, wait, time.Minute)
}

func TestLegacyThrottleKeyIsBounded(t *testing.T) {
	long := throttleKey("c", strings.Repeat("x", 10_000), "192.0.2.1")
	assert.Len(t, long, 1+1+maxKeyPart+1+len("192.0.2.1"))
}

func TestLegacyThrottleOff(t *testing.T) {
	th := newThrottle(-1, time.Minute)
	for range 100 {
		th.count("k")
	}
	_, blocked := th.blocked("k")
	assert.False(t, blocked)
}
