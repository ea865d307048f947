package redis

import (
	"context"

	"github.com/kunci/kunci/store"
)

// SaveCode implements [store.CodeStore] (RFC 6749 §4.1.2) in one script on
// the grant's slot: the code's key shares the grant's hash tag, so the
// script checks the grant and saves the code in one atomic step.
func (s *Store) SaveCode(ctx context.Context, c store.AuthCode) error {
	const op = "save code"
	if c.Hash == "" || c.GrantID == "" {
		return invalid(op, "code without hash or grant")
	}
	if c.ExpiresAt.IsZero() {
		return noExpiry(op)
	}
	r, err := s.runWrite(ctx, s.scripts.saveCode, []string{s.grantKey(c.GrantID), s.codeKey(c.GrantID, c.Hash)},
		s.clock(), stamp(c.ExpiresAt), unixMillis(c.ExpiresAt), encodeCode(c), newCallToken())
	switch {
	case err != nil:
		return fail(op, err)
	case r.status() == "notfound":
		return fail(op+": grant of the code", store.ErrNotFound)
	case r.status() == "invalid":
		return invalid(op, "code outlives its grant")
	case r.status() != "ok":
		return statusErr(op, r)
	}
	return nil
}

// Code implements [store.CodeStore] (RFC 6749 §4.1.3): one script that
// checks the grant and the code and consumes nothing, so that the server
// can check the client and PKCE (RFC 7636 §4.6) before spending the code.
func (s *Store) Code(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	return s.readCode(ctx, "code", grantID, hash, false)
}

// ConsumeCode implements [store.CodeStore] (RFC 6749 §4.1.2) in one script
// that reads the live code and marks it used. Redis runs one script at a
// time, so of concurrent callers exactly one finds it unused; the others get
// it with [store.ErrReused] until it expires. The mark keeps the call's
// token, so that a rerun of the script for this call (a retry of a lost
// reply) gets the code as the first run did.
func (s *Store) ConsumeCode(ctx context.Context, grantID, hash string) (store.AuthCode, error) {
	return s.readCode(ctx, "consume code", grantID, hash, true)
}

func (s *Store) readCode(ctx context.Context, op, grantID, hash string, consume bool) (store.AuthCode, error) {
	keys := []string{s.grantKey(grantID), s.codeKey(grantID, hash)}
	var r reply
	var err error
	if consume {
		r, err = s.runWrite(ctx, s.scripts.code, keys, s.clock(), newCallToken())
	} else {
		r, err = s.run(ctx, s.scripts.code, keys, s.clock(), "")
	}
	if err != nil {
		return store.AuthCode{}, fail(op, err)
	}
	if r.status() != "ok" && r.status() != "reused" {
		return store.AuthCode{}, statusErr(op, r)
	}
	c, err := decodeCode(grantID, hash, r.str(1))
	if err != nil {
		return store.AuthCode{}, fail(op, err)
	}
	if r.status() == "reused" {
		return c, fail(op, store.ErrReused)
	}
	return c, nil
}
