// Package storetest is the conformance suite for [store.Store]
// implementations. It proves that a store keeps the contracts the store
// package documents: expiry on every read, refusal to save expired records,
// single use of codes and refresh tokens under concurrency, reuse detection
// (RFC 6749 §4.1.2, RFC 9700 §4.14.2), grant revocation and value copies.
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
// database.
//
// # Clocks
//
// The suite judges expiry by the test process's clock. A few checks save a
// record that expires some milliseconds later and wait for that instant (never
// longer than a short bound), then require the record to be gone; a store
// whose clock runs behind the test process's by more than a millisecond fails
// them.
package storetest
