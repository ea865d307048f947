package authserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/kunci/kunci/internal/throttle"
)

// Counter keeps counts that several server instances share, so that they
// throttle failed authentications and bound pending authorization requests
// together (Limits.Counter). A store that several instances already share
// provides one (store/redis.Counter). Implementations must be safe for
// concurrent use.
type Counter interface {
	// Add adds n to the count of key within the current fixed window of
	// length window, and returns the count and how long until the window
	// ends. The first Add of a key starts its window; when the window
	// ends, the key is gone and counts from zero. n == 0 only reads: it
	// returns 0 and no error for a key that is not counted, without
	// starting a window. n may be negative, to take back an Add. Keys are at most 128 bytes of printable ASCII.
	Add(ctx context.Context, key string, n int64, window time.Duration) (count int64, resets time.Duration, err error)
}

// limiter is what the server throttles with: the in-process counts of
// package internal/throttle, or a shared [Counter]. Errors are the
// Counter's failures.
type limiter interface {
	// blocked reports whether id may not be tried from addr now, and for
	// how long; id == "" asks for identifiers that do not exist (unknown
	// client IDs), which are counted apart.
	blocked(ctx context.Context, id, addr string) (time.Duration, bool, error)
	// fail counts a failed authentication of id from addr; id == "" is an
	// identifier that does not exist, which never counts against one that
	// does.
	fail(ctx context.Context, id, addr string) error
	// start counts an authorization request started from addr, or refuses
	// it; only anonymous ones (nobody signed in) meet the server-wide cap.
	start(ctx context.Context, addr string, anonymous bool) (time.Duration, throttle.Refusal, error)
}

// newLimiter returns the limiter for l: shared when l.Counter is set.
func newLimiter(l Limits, pendingWindow time.Duration) limiter {
	if l.Counter != nil {
		return &sharedLimiter{Counter: l.Counter, limits: l, pendingWindow: pendingWindow}
	}
	return localLimiter{
		failures: throttle.NewFailures(l.FailureLimit, l.FailureWindow, time.Now),
		starts:   throttle.NewStarts(l.AuthorizeRateLimit, time.Minute, l.MaxPendingAuthRequests, pendingWindow, time.Now),
	}
}

// localLimiter counts in this process, in bounded memory.
type localLimiter struct {
	failures *throttle.Failures
	starts   *throttle.Starts
}

func (l localLimiter) blocked(_ context.Context, id, addr string) (time.Duration, bool, error) {
	if id == "" {
		wait, blocked := l.failures.BlockedUnknown(addr)
		return wait, blocked, nil
	}
	wait, blocked := l.failures.Blocked(id, addr)
	return wait, blocked, nil
}

func (l localLimiter) fail(_ context.Context, id, addr string) error {
	if id == "" {
		l.failures.FailUnknown(addr)
	} else {
		l.failures.Fail(id, addr)
	}
	return nil
}

func (l localLimiter) start(_ context.Context, addr string, anonymous bool) (time.Duration, throttle.Refusal, error) {
	wait, refusal := l.starts.Allow(addr, anonymous)
	return wait, refusal, nil
}

// sharedLimiter applies the same rules as the in-process counts on a
// [Counter]: an identifier is blocked from an address after FailureLimit
// failures there, or after ten times that many failures of existing
// identifiers from the address; unknown identifiers are counted apart and
// block only each other; authorization requests are limited per address
// and, for anonymous traffic, server wide. Keys hold the address's [throttle.AddressKey] and a digest
// of the identifier, never the identifier itself.
type sharedLimiter struct {
	Counter
	limits        Limits
	pendingWindow time.Duration
}

// addressFailureFactor matches the in-process throttle's address limit.
const addressFailureFactor = 10

func sharedKey(kind, addr, id string) string {
	enc := base64.RawURLEncoding
	key := kind + "/" + enc.EncodeToString([]byte(throttle.AddressKey(addr)))
	if id != "" {
		sum := sha256.Sum256([]byte(id))
		key += "/" + enc.EncodeToString(sum[:16])
	}
	return key
}

func (l *sharedLimiter) blocked(ctx context.Context, id, addr string) (time.Duration, bool, error) {
	limit := int64(l.limits.FailureLimit)
	if limit <= 0 {
		return 0, false, nil
	}
	checks := []struct {
		key   string
		limit int64
	}{{sharedKey("fail", addr, id), limit}, {sharedKey("fail", addr, ""), limit * addressFailureFactor}}
	if id == "" {
		checks = checks[:0]
		checks = append(checks, struct {
			key   string
			limit int64
		}{sharedKey("unknown", addr, ""), limit * addressFailureFactor})
	}
	for _, c := range checks {
		n, resets, err := l.Add(ctx, c.key, 0, l.limits.FailureWindow)
		if err != nil {
			return 0, false, err
		}
		if n >= c.limit {
			return resets, true, nil
		}
	}
	return 0, false, nil
}

func (l *sharedLimiter) fail(ctx context.Context, id, addr string) error {
	if l.limits.FailureLimit <= 0 {
		return nil
	}
	if id == "" {
		_, _, err := l.Add(ctx, sharedKey("unknown", addr, ""), 1, l.limits.FailureWindow)
		return err
	}
	if _, _, err := l.Add(ctx, sharedKey("fail", addr, id), 1, l.limits.FailureWindow); err != nil {
		return err
	}
	_, _, err := l.Add(ctx, sharedKey("fail", addr, ""), 1, l.limits.FailureWindow)
	return err
}

func (l *sharedLimiter) start(ctx context.Context, addr string, anonymous bool) (time.Duration, throttle.Refusal, error) {
	// Each count is one Add of 1 whose result decides, so that instances
	// starting at once cannot both pass a limit; a refused start takes its
	// count back.
	addrKey := sharedKey("start", addr, "")
	if per := int64(l.limits.AuthorizeRateLimit); per > 0 {
		n, resets, err := l.Add(ctx, addrKey, 1, time.Minute)
		if err != nil {
			return 0, throttle.Allowed, err
		}
		if n > per {
			l.takeBack(ctx, addrKey, time.Minute)
			return resets, throttle.AddressLimited, nil
		}
	}
	if max := int64(l.limits.MaxPendingAuthRequests); max > 0 && anonymous {
		n, resets, err := l.Add(ctx, "start", 1, l.pendingWindow)
		if err != nil {
			return 0, throttle.Allowed, err
		}
		if n > max {
			l.takeBack(ctx, "start", l.pendingWindow)
			if l.limits.AuthorizeRateLimit > 0 {
				l.takeBack(ctx, addrKey, time.Minute)
			}
			return resets, throttle.ServerFull, nil
		}
	}
	return 0, throttle.Allowed, nil
}

// takeBack undoes the Add of a start that was refused. It is best effort:
// if it fails, a refused start counts until its window ends.
func (l *sharedLimiter) takeBack(ctx context.Context, key string, window time.Duration) {
	_, _, _ = l.Add(ctx, key, -1, window)
}
