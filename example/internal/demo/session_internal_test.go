package demo

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestSessionsExpire uses an injected clock: a session ends after
// sessionTTL.
func TestSessionsExpire(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSessions(func() time.Time { return now })
	id := s.create("budi")
	other := s.create("siti")
	assert.NotEqual(t, id, other)

	sess, ok := s.lookup(id)
	assert.True(t, ok)
	assert.Equal(t, "budi", sess.username)
	assert.Equal(t, now, sess.signedIn)

	now = now.Add(sessionTTL - time.Nanosecond)
	_, ok = s.lookup(id)
	assert.True(t, ok, "still live just before the TTL")
	now = now.Add(time.Nanosecond)
	_, ok = s.lookup(id)
	assert.False(t, ok, "expired at the TTL")
	assert.Len(t, s.m, 1, "an expired session is dropped when looked up")

	s.end(other)
	_, ok = s.lookup(other)
	assert.False(t, ok, "ended")
}

func TestSessionsArePrunedWhenMany(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSessions(func() time.Time { return now })
	for range pruneAt {
		s.create("budi")
	}
	assert.Equal(t, pruneAt, len(s.m))
	s.create("budi")
	assert.Equal(t, pruneAt+1, len(s.m), "live sessions are never pruned")
	now = now.Add(sessionTTL)
	fresh := s.create("siti")
	assert.Equal(t, 1, len(s.m), "expired sessions are pruned once the map is large")
	sess, ok := s.lookup(fresh)
	assert.True(t, ok)
	assert.Equal(t, "siti", sess.username)
}
