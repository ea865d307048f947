package storetest

import (
	"testing"
	"testing/synctest"

	"github.com/kunci/kunci/store"
)

func newMemory(t *testing.T) *store.Memory {
	m := store.NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestRunMemory(t *testing.T) {
	Run(t, func(t *testing.T) store.Store { return newMemory(t) })
}

// TestSuiteNames pins the subtest names implementers pass to -run.
func TestSuiteNames(t *testing.T) {
	seen := make(map[string]bool)
	for _, g := range suite() {
		for _, c := range g.checks {
			name := g.name + "/" + c.name
			if seen[name] {
				t.Errorf("check %s is listed twice", name)
			}
			seen[name] = true
		}
	}
	for _, name := range []string{
		"Client/NotFound", "Client/SaveReplace", "Grant/SaveLookup", "Grant/Expired", "Grant/Revoke",
		"Grant/RevokeHidesLater", "Grant/RevokedIDTaken", "Grant/RevokeUnknown", "Grant/RevokeRace", "Refresh/First",
		"Refresh/FirstConcurrent", "Refresh/Rotate", "Refresh/RotateConcurrent",
		"Refresh/ReuseAfterRotations", "Refresh/RetiredPastOwnExpiry", "Refresh/CurrentExpired",
		"Refresh/RotateInvalid", "Code/ReadDoesNotConsume", "Code/ConsumeOnce", "Code/ConsumeConcurrent",
		"Code/Expired", "Code/Duplicate", "Code/KeyedByGrant", "Code/ExpiredKeyFree", "Access/SaveLookup", "Access/Expired",
		"Access/Delete", "Access/ApartFromCodes", "Access/ExpiredKeyFree", "Access/DeletedKeyFree", "UseOnce/First", "UseOnce/Concurrent",
		"UseOnce/FreeAfterExpiry", "AuthRequest/ReplaceExpiry", "AuthRequest/ConsumeConcurrent",
		"Consent/ReplaceExpiry", "Consent/Expired", "Expiry/Grant", "Expiry/Code", "Expiry/AccessToken",
		"Expiry/UseOnce", "Lookup/OtherCase", "Lookup/Prefix", "Lookup/EmptyKey", "Lookup/ConsentPairs", "Lookup/CodePairs",
		"Records/RoundTrip", "Records/CopyIsolated", "Records/TimesKept", "Concurrency/PlainMethods",
	} {
		if !seen[name] {
			t.Errorf("check %s is missing", name)
		}
	}
}

// lookup returns the check with the given "Group/Name".
func lookup(t *testing.T, name string) check {
	t.Helper()
	for _, g := range suite() {
		for _, c := range g.checks {
			if g.name+"/"+c.name == name {
				return c.fn
			}
		}
	}
	t.Fatalf("no check named %s", name)
	return nil
}

// runCheck runs the check called name on a store from newStore, inside a
// testing/synctest bubble when bubble is set.
func runCheck(t *testing.T, name string, newStore func(t *testing.T) store.Store, bubble bool) error {
	t.Helper()
	fn := lookup(t, name)
	if !bubble {
		return fn(t.Context(), newStore(t))
	}
	var err error
	synctest.Test(t, func(t *testing.T) { err = fn(t.Context(), newStore(t)) })
	return err
}

// TestChecksCatchBrokenStores feeds the checks stores that each break one
// contract (see broken_test.go), and requires the checks for that contract
// to fail. Each case also names checks the broken store still passes, which
// shows that the failures come from the defect and not from a faulty fake.
// A case with bubble set runs every check in a testing/synctest bubble,
// whose fake clock orders the broken store's steps.
func TestChecksCatchBrokenStores(t *testing.T) {
	tests := []struct {
		name     string
		newStore func(t *testing.T) store.Store
		bubble   bool
		fail     []string
		pass     []string
	}{
		{
			name:     "consume, rotate and use once read then write in two steps",
			newStore: func(t *testing.T) store.Store { return newNonAtomic(newMemory(t)) },
			fail: []string{"Code/ConsumeConcurrent", "Refresh/RotateConcurrent", "Refresh/FirstConcurrent",
				"AuthRequest/ConsumeConcurrent", "UseOnce/Concurrent"},
			pass: []string{"Access/SaveLookup", "Consent/SaveGet", "Grant/SaveLookup"},
		},
		{
			name:     "losers of a race get ErrReused without the record",
			newStore: func(t *testing.T) store.Store { return &reuseWithoutRecord{newMemory(t)} },
			fail: []string{"Code/ConsumeConcurrent", "Code/ConsumeOnce", "Refresh/RotateConcurrent",
				"Refresh/FirstConcurrent", "Refresh/ReuseAfterRotations"},
			pass: []string{"Refresh/First", "Refresh/Rotate", "Code/NotFound", "Access/SaveLookup"},
		},
		{
			name:     "reads trust the cache TTL and never check ExpiresAt",
			newStore: func(t *testing.T) store.Store { return &staleReads{newMemory(t)} },
			fail: []string{"Code/Expired", "Access/Expired", "AuthRequest/Expired", "Consent/Expired",
				"UseOnce/FreeAfterExpiry"},
			pass: []string{"Code/ConsumeOnce", "Access/SaveLookup", "Refresh/Rotate", "AuthRequest/SaveGet", "Consent/SaveGet"},
		},
		{
			name:     "grants outlive their ExpiresAt",
			newStore: func(t *testing.T) store.Store { return &staleGrants{newMemory(t)} },
			fail:     []string{"Grant/Expired"},
			pass:     []string{"Grant/SaveLookup", "Grant/Duplicate", "Refresh/Rotate"},
		},
		{
			name:     "a refresh token rotates until its grant expires, past its own expiry",
			newStore: func(t *testing.T) store.Store { return newRefreshLivesWithGrant(newMemory(t)) },
			fail:     []string{"Refresh/CurrentExpired"},
			pass:     []string{"Refresh/First", "Refresh/Rotate", "Grant/SaveLookup", "Refresh/RetiredPastOwnExpiry"},
		},
		{
			name:     "saves of expired records are accepted",
			newStore: func(t *testing.T) store.Store { return &acceptsExpired{newMemory(t)} },
			fail: []string{"Expiry/Grant", "Expiry/Code", "Expiry/AccessToken", "Expiry/AuthRequest",
				"Expiry/Consent", "Expiry/UseOnce"},
			pass: []string{"Access/SaveLookup", "Access/Expired", "Code/ConsumeOnce"},
		},
		{
			name:     "saved records keep the caller's slices",
			newStore: func(t *testing.T) store.Store { return &aliasing{Memory: newMemory(t), keepInput: true} },
			fail:     []string{"Records/CopyIsolated"},
			pass:     []string{"Client/SaveLookup", "Client/SaveReplace", "Access/SaveLookup"},
		},
		{
			name:     "reads return the stored slices",
			newStore: func(t *testing.T) store.Store { return &aliasing{Memory: newMemory(t)} },
			fail:     []string{"Records/CopyIsolated"},
			pass:     []string{"Client/SaveLookup", "Client/SaveReplace", "Access/SaveLookup"},
		},
		{
			name:     "a grant returned with ErrReused shares the stored slices",
			newStore: func(t *testing.T) store.Store { return newReusedAliasing(newMemory(t)) },
			fail:     []string{"Records/CopyIsolated"},
			pass:     []string{"Grant/SaveLookup", "Refresh/Rotate", "Refresh/ReuseAfterRotations"},
		},
		{
			name:     "rotation forgets retired tokens: a reuse is reported as unknown",
			newStore: func(t *testing.T) store.Store { return &forgetsRotated{newMemory(t)} },
			fail:     []string{"Refresh/ReuseAfterRotations", "Refresh/RotateConcurrent", "Refresh/FirstTwice"},
			pass:     []string{"Refresh/First", "Refresh/Rotate"},
		},
		{
			name:     "only the last retired token is recognised",
			newStore: func(t *testing.T) store.Store { return &lastRetiredOnly{newMemory(t)} },
			fail:     []string{"Refresh/ReuseAfterRotations"},
			pass:     []string{"Refresh/Rotate", "Refresh/RotateConcurrent", "Refresh/FirstTwice"},
		},
		{
			name:     "a retired token is forgotten when its own expiry passes",
			newStore: func(t *testing.T) store.Store { return newRetiredExpires(newMemory(t)) },
			fail:     []string{"Refresh/RetiredPastOwnExpiry"},
			pass:     []string{"Refresh/ReuseAfterRotations", "Refresh/Rotate"},
		},
		{
			name:     "revocation leaves the refresh token rotating",
			newStore: func(t *testing.T) store.Store { return newRevokeMissesRefresh(newMemory(t)) },
			fail:     []string{"Grant/Revoke"},
			pass:     []string{"Refresh/Rotate", "Access/NoGrant", "Grant/RevokeHidesLater"},
		},
		{
			name:     "revocation hides only records saved before it",
			newStore: func(t *testing.T) store.Store { return newRevokeSnapshot(newMemory(t)) },
			fail:     []string{"Grant/RevokeHidesLater"},
			pass:     []string{"Grant/Revoke", "Refresh/Rotate", "Code/ConsumeOnce"},
		},
		{
			name:     "revocation leaves no tombstone: the id is saved again and its records return",
			newStore: func(t *testing.T) store.Store { return newRevokeForgets(newMemory(t)) },
			fail:     []string{"Grant/RevokedIDTaken"},
			pass:     []string{"Grant/Revoke", "Grant/RevokeHidesLater", "Grant/SaveLookup"},
		},
		{
			name:     "reading a code consumes it",
			newStore: func(t *testing.T) store.Store { return &codeReadConsumes{newMemory(t)} },
			fail:     []string{"Code/ReadDoesNotConsume"},
			pass:     []string{"Code/ConsumeOnce", "Code/NotFound", "Code/ConsumeConcurrent"},
		},
		{
			name:     "access token hashes are matched without regard to case",
			newStore: func(t *testing.T) store.Store { return newFoldsCase(newMemory(t)) },
			fail:     []string{"Lookup/OtherCase"},
			pass:     []string{"Access/SaveLookup", "Access/Duplicate", "Lookup/Prefix"},
		},
		{
			name:     "pending requests are matched by prefix",
			newStore: func(t *testing.T) store.Store { return newPrefixRequests(newMemory(t)) },
			fail:     []string{"Lookup/Prefix", "Lookup/EmptyKey"},
			pass:     []string{"AuthRequest/SaveGet", "AuthRequest/ConsumeOnce", "Lookup/OtherCase"},
		},
		{
			name:     "consents are keyed by subject and client joined with a colon",
			newStore: func(t *testing.T) store.Store { return newJoinedConsents(newMemory(t)) },
			fail:     []string{"Lookup/ConsentPairs"},
			pass:     []string{"Consent/SaveGet", "Consent/SaveReplace", "Consent/Delete"},
		},
		{
			name:     "a replaced request or consent keeps the first one's expiry",
			newStore: func(t *testing.T) store.Store { return &replaceKeepsExpiry{newMemory(t)} },
			fail:     []string{"AuthRequest/ReplaceExpiry", "Consent/ReplaceExpiry"},
			pass:     []string{"AuthRequest/SaveGet", "Consent/SaveGet", "AuthRequest/Expired"},
		},
		{
			name:     "concurrent client saves overwrite each other",
			newStore: func(t *testing.T) store.Store { return newLostUpdates(newMemory(t)) },
			fail:     []string{"Concurrency/PlainMethods"},
			pass:     []string{"Grant/SaveLookup", "Access/SaveLookup", "Consent/SaveGet"},
		},
		{
			name:     "a grant's saved rotation history is dropped",
			newStore: func(t *testing.T) store.Store { return &dropsHistory{newMemory(t)} },
			fail:     []string{"Records/RoundTrip"},
			pass:     []string{"Grant/SaveLookup", "Refresh/Rotate", "Records/CopyIsolated"},
		},
		{
			name:     "revocation deletes a grant's records, and a save checks its grant and inserts in two steps",
			newStore: func(t *testing.T) store.Store { return newRevokeDeletes(newMemory(t)) },
			bubble:   true,
			fail:     []string{"Grant/RevokeRace"},
			pass: []string{"Grant/Revoke", "Grant/RevokeHidesLater", "Code/ConsumeOnce", "Code/ConsumeConcurrent",
				"Access/SaveLookup", "Access/Delete"},
		},
		{
			name:     "a rotation writes the grant back whole, outside the revocation's lock",
			newStore: func(t *testing.T) store.Store { return newRotateRewrites(newMemory(t)) },
			bubble:   true,
			fail:     []string{"Grant/RevokeRace"},
			pass: []string{"Grant/Revoke", "Grant/RevokeHidesLater", "Refresh/Rotate", "Refresh/RotateConcurrent",
				"Refresh/ReuseAfterRotations"},
		},
		{
			name:     "codes are keyed by grant id and hash concatenated",
			newStore: func(t *testing.T) store.Store { return newJoinedCodes(newMemory(t)) },
			fail:     []string{"Lookup/CodePairs"},
			pass:     []string{"Code/ConsumeOnce", "Code/Duplicate", "Code/KeyedByGrant", "Code/ReadDoesNotConsume", "Grant/Revoke"},
		},
		{
			name:     "keys of codes and access tokens stay taken past their expiry and deletion",
			newStore: func(t *testing.T) store.Store { return newKeysOutliveRecords(newMemory(t)) },
			fail:     []string{"Code/ExpiredKeyFree", "Access/ExpiredKeyFree", "Access/DeletedKeyFree"},
			pass:     []string{"Code/Duplicate", "Code/Expired", "Access/Duplicate", "Access/Expired", "Access/Delete"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range tc.fail {
				if err := runCheck(t, name, tc.newStore, tc.bubble); err == nil {
					t.Errorf("%s passed, want it to fail", name)
				} else {
					t.Logf("%s failed as it should:\n%v", name, err)
				}
			}
			for _, name := range tc.pass {
				if err := runCheck(t, name, tc.newStore, tc.bubble); err != nil {
					t.Errorf("%s failed, want it to pass: %v", name, err)
				}
			}
		})
	}
}

// TestFilledSetsEveryField checks the round trip's filler: every exported
// field of every record gets a value that is not the zero value.
func TestFilledSetsEveryField(t *testing.T) {
	check := func(name string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := diff(name, v, zeroOf(v)); err == nil {
			t.Errorf("%s: filled record equals the zero record", name)
		}
		if f := firstZeroField(v); f != "" {
			t.Errorf("%s: field %s left zero", name, f)
		}
	}
	base := now()
	c, err := filled[store.Client](base)
	check("Client", c, err)
	g, err := filled[store.Grant](base)
	check("Grant", g, err)
	r, err := filled[store.RefreshState](base)
	check("RefreshState", r, err)
	code, err := filled[store.AuthCode](base)
	check("AuthCode", code, err)
	a, err := filled[store.AccessToken](base)
	check("AccessToken", a, err)
	req, err := filled[store.AuthRequest](base)
	check("AuthRequest", req, err)
	con, err := filled[store.Consent](base)
	check("Consent", con, err)

	type withMap struct{ M map[string]int }
	if _, err := filled[withMap](base); err == nil {
		t.Error("filled accepted a field of a kind it cannot fill")
	}
}
