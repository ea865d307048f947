// Package storetest is the conformance suite for [store.Store]
// implementations. It proves that a store keeps the contracts the store
// package documents: exact keys, expiry on every read, refusal to save
// expired records, keys that are free again once their record has expired
// or been deleted, grants that end everything of them, single use of codes,
// refresh tokens, pending requests and use-once keys under concurrency,
// reuse detection of every retired refresh token (RFC 6749 §4.1.2, RFC 9700
// §4.14.2), revocation that also hides what is saved later and wins every
// race with saves, rotations and consumptions of its grant, value copies,
// and the round trip of every exported field of every record.
//
// A typical use, in the implementation's own tests:
//
//	func TestPostgres(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
//	}
//
// The factory is called once per subtest and registers its own cleanup with
// [testing.T.Cleanup] (stopping a janitor, dropping tables). Subtests have
// stable two-level names, such as "Code/ConsumeConcurrent", so that one can be
// run with -run. They are not parallel, because external stores may share one
// database. Run the suite under the race detector: Concurrency/PlainMethods
// calls every method from many goroutines at once, and a data race the
// results do not show is still a bug. Every atomicity race runs eight rounds
// of 32 goroutines and checks each loser's error and record.
//
// The round trip fills every exported field of every record by reflection,
// so a field added to a record later is checked at once; a field of a type
// the suite cannot fill fails it until the suite is taught the type.
//
// # Clocks
//
// A store judges expiry by its own clock, and the suite asks the store what
// its clock says: to wait until a record's ExpiresAt has passed it saves a
// probe grant that expires at the same instant and polls Grant until the
// probe is gone, then requires the record to be gone too. The checks do not
// depend on scheduling. A store's clock may lag the test process's by up
// to two seconds (a lagging store only makes the polls take longer); it may
// not lead it by more than the shortest record life the suite uses, 20
// milliseconds, or records read before their ExpiresAt are found missing.
// A rotation's RotatedAt is the caller's next.IssuedAt and must be kept
// exactly (to the microsecond): a store stamps no time of its own.
package storetest
