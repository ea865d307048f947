package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/kunci/kunci/store"
)

// SaveAuthRequest implements [store.InteractionStore] (RFC 6749 §4.1.1,
// RFC 9126 §2.2) with one script that replaces any request with the ID;
// the key expires at the replacement's ExpiresAt.
func (s *Store) SaveAuthRequest(ctx context.Context, a store.AuthRequest) error {
	const op = "save auth request"
	if a.ID == "" {
		return invalid(op, "auth request without id")
	}
	return s.put(ctx, op, s.requestKey(a.ID), a.ExpiresAt, encodeAuthRequest(a))
}

// AuthRequest implements [store.InteractionStore] (RFC 6749 §4.1.1, RFC
// 9126 §4) with one script that reads the live request.
func (s *Store) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	return s.authRequest(ctx, "auth request", id, false)
}

// ConsumeAuthRequest implements [store.InteractionStore] (RFC 9126 §4) with
// one script that reads the live request and, in its place, leaves a mark
// with the call's token until the request's expiry: of concurrent callers
// exactly one gets it, readers and later callers find nothing, and a rerun
// of the script for this call (a retry of a lost reply) gets the request
// as the first run did.
func (s *Store) ConsumeAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	return s.authRequest(ctx, "consume auth request", id, true)
}

func (s *Store) authRequest(ctx context.Context, op, id string, take bool) (store.AuthRequest, error) {
	v, err := s.get(ctx, op, s.requestKey(id), take)
	if err != nil {
		return store.AuthRequest{}, err
	}
	a, err := decodeAuthRequest(id, v)
	if err != nil {
		return store.AuthRequest{}, fail(op, err)
	}
	return a, nil
}

// SaveConsent implements [store.InteractionStore] (RFC 6749 §4.1.1, the
// resource owner's approval) with one script that replaces the consent of
// the same subject and client; the key expires at the replacement's
// ExpiresAt.
func (s *Store) SaveConsent(ctx context.Context, c store.Consent) error {
	const op = "save consent"
	if c.Subject == "" || c.ClientID == "" {
		return invalid(op, "consent without subject or client")
	}
	return s.put(ctx, op, s.consentKey(c.Subject, c.ClientID), c.ExpiresAt, encodeConsent(c))
}

// Consent implements [store.InteractionStore] with one script that reads
// the live consent of exactly this subject and client.
func (s *Store) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	const op = "consent"
	v, err := s.get(ctx, op, s.consentKey(subject, clientID), false)
	if err != nil {
		return store.Consent{}, err
	}
	c, err := decodeConsent(subject, clientID, v)
	if err != nil {
		return store.Consent{}, fail(op, err)
	}
	return c, nil
}

// DeleteConsent implements [store.InteractionStore] with one DEL; an
// unknown consent is not an error.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	key := s.consentKey(subject, clientID)
	err := s.writePlain(ctx, key,
		func(c goredis.Cmdable) goredis.Cmder { return c.Del(ctx, key) },
		deleted)
	if err != nil {
		return fail("delete consent", err)
	}
	return nil
}

// put saves a record that replaces any record of its key.
func (s *Store) put(ctx context.Context, op, key string, expiresAt time.Time, encoding string) error {
	if expiresAt.IsZero() {
		return noExpiry(op)
	}
	r, err := s.runWrite(ctx, s.scripts.put, []string{key},
		s.clock(), stamp(expiresAt), unixMillis(expiresAt), encoding, "replace")
	switch {
	case err != nil:
		return fail(op, err)
	case r.status() != "ok":
		return statusErr(op, r)
	}
	return nil
}

// get returns the encoding of the live record at key, taking it in the
// same step when take is set (getScript describes the mark it leaves).
func (s *Store) get(ctx context.Context, op, key string, take bool) (string, error) {
	var r reply
	var err error
	if take {
		r, err = s.runWrite(ctx, s.scripts.get, []string{key}, s.clock(), newCallToken())
	} else {
		r, err = s.run(ctx, s.scripts.get, []string{key}, s.clock(), "")
	}
	if err != nil {
		return "", fail(op, err)
	}
	if r.status() != "ok" {
		return "", statusErr(op, r)
	}
	return r.str(1), nil
}
