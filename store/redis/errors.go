package redis

import (
	"errors"
	"fmt"

	"github.com/kunci/kunci/store"
)

// ErrNotReplicated reports a write that fewer replicas than
// [Options.WaitReplicas] acknowledged within [Options.WaitTimeout]. The
// write was applied on the primary, but a failover may lose it, so the
// server must not report it as a success.
var ErrNotReplicated = errors.New("redis: write not acknowledged by enough replicas")

// fail wraps a sentinel or system error with the operation's name.
func fail(op string, err error) error {
	return fmt.Errorf("redis: %s: %w", op, err)
}

// statusErr maps a script's refusal to the store's sentinel error, wrapped
// with the operation's name.
func statusErr(op string, r reply) error {
	switch r.status() {
	case "notfound":
		return fail(op, store.ErrNotFound)
	case "reused":
		return fail(op, store.ErrReused)
	case "expired":
		return fail(op, store.ErrExpired)
	case "invalid":
		return fail(op, store.ErrInvalid)
	case "exists":
		return fail(op, store.ErrAlreadyExists)
	}
	return fmt.Errorf("redis: %s: unexpected script reply %q", op, r.status())
}

// invalid is the error of a record or argument that breaks the contract.
func invalid(op, why string) error {
	return fmt.Errorf("redis: %s: %w: %s", op, store.ErrInvalid, why)
}

// noExpiry is the error of a record saved without an ExpiresAt.
func noExpiry(op string) error {
	return fmt.Errorf("redis: %s: %w: no expiry", op, store.ErrExpired)
}
