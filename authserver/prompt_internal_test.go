package authserver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kunci/kunci/store"
)

// TestFitSessionComparesWholeSeconds: max_age reads an AuthTime in whole
// seconds, the unit of auth_time (Core §2), as the second it names, so a
// host that keeps it that way is not refused for the fraction it dropped,
// while one with a fraction is held to it; prompt=login needs an AuthTime
// after the request began, which one in whole seconds naming the same
// second is not.
func TestFitSessionComparesWholeSeconds(t *testing.T) {
	t.Parallel()
	x := time.Unix(1_800_000_000, 0)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	anyone := func(string, string) bool { return true }
	login := store.AuthRequest{Prompt: []string{promptLogin}, CreatedAt: x.Add(ms(100))}
	maxAge := func(secs int) store.AuthRequest {
		return store.AuthRequest{MaxAge: time.Duration(secs) * time.Second, CreatedAt: x}
	}
	for _, tc := range []struct {
		name     string
		req      store.AuthRequest
		authTime time.Time
		now      time.Time
		want     sessionFit
		why      string
	}{
		{"prompt=login, kept in seconds, the second the request began", login, x, x.Add(ms(300)), sessionStale, "the user did not sign in again after the request began"},
		{"prompt=login, kept in seconds, the second after", login, x.Add(time.Second), x.Add(ms(1300)), sessionFits, ""},
		{"prompt=login, signed in again later", login, x.Add(ms(200)), x.Add(ms(300)), sessionFits, ""},
		{"prompt=login, signed in a moment before, to the millisecond", login, x.Add(ms(50)), x.Add(ms(300)), sessionStale, "the user did not sign in again after the request began"},
		{"prompt=login, signed in at the instant the request began", login, x.Add(ms(100)), x.Add(ms(300)), sessionStale, "the user did not sign in again after the request began"},
		{"prompt=login, signed in the second before", login, x.Add(-time.Second), x.Add(ms(300)), sessionStale, "the user did not sign in again after the request began"},
		{"prompt=login, signed in long before", login, x.Add(-time.Hour), x.Add(ms(300)), sessionStale, "the user did not sign in again after the request began"},
		{"max_age=1, one whole second ago", maxAge(1), x, x.Add(ms(1100)), sessionFits, ""},
		{"max_age=1, AuthTime kept in seconds, 1.9 s before now", maxAge(1), x, x.Add(ms(1900)), sessionFits, ""},
		{"max_age=1, two whole seconds ago", maxAge(1), x, x.Add(2 * time.Second), sessionStale, "the user signed in longer ago than max_age allows"},
		{"max_age=10, exactly ten seconds ago", maxAge(10), x, x.Add(10 * time.Second), sessionFits, ""},
		{"max_age=10, eleven seconds ago", maxAge(10), x, x.Add(11 * time.Second), sessionStale, "the user signed in longer ago than max_age allows"},
		{"max_age=1, to the millisecond, 1.998 s ago", maxAge(1), x.Add(ms(1)), x.Add(ms(1999)), sessionStale, "the user signed in longer ago than max_age allows"},
		{"max_age=1, to the millisecond, 0.999 s ago", maxAge(1), x.Add(ms(1)), x.Add(ms(1000)), sessionFits, ""},
		{"max_age=3600, kept in seconds, in 1700", maxAge(3600), time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), x, sessionStale, "the user signed in longer ago than max_age allows"},
		{"max_age=3600, to the nanosecond, in 1700", maxAge(3600), time.Date(1700, 1, 1, 0, 0, 0, 1, time.UTC), x, sessionStale, "the user signed in longer ago than max_age allows"},
		{"max_age=3600, kept in seconds, in year 1", maxAge(3600), time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), x, sessionStale, "the user signed in longer ago than max_age allows"},
		{"max_age=10, AuthTime seven hours ahead", maxAge(10), x.Add(7 * time.Hour), x, sessionStale, "the session says the user signed in at a time still to come"},
		{"prompt=login, AuthTime seven hours ahead", login, x.Add(7 * time.Hour), x.Add(ms(300)), sessionStale, "the session says the user signed in at a time still to come"},
		{"no prompt, AuthTime seven hours ahead", store.AuthRequest{CreatedAt: x}, x.Add(7 * time.Hour), x, sessionStale, "the session says the user signed in at a time still to come"},
		{"max_age=10, AuthTime a minute ahead, within the allowance", maxAge(10), x.Add(time.Minute), x, sessionFits, ""},
		{"max_age without an AuthTime", maxAge(10), time.Time{}, x, sessionStale, "the session does not say when the user signed in, which max_age needs"},
	} {
		fit, why := fitSession(tc.req, Session{Subject: "alice", AuthTime: tc.authTime}, true, true, tc.now, anyone)
		assert.Equal(t, tc.want, fit, tc.name)
		assert.Equal(t, tc.why, why, tc.name)
	}
}
