package storetest

import (
	"context"
	"testing"

	"github.com/kunci/kunci/store"
)

// check is one conformance check. It gets a fresh, empty store and returns
// nil when the store keeps the contract, or an error (several joined with
// [errors.Join]) describing each way it does not.
type check func(ctx context.Context, s store.Store) error

// group is a first-level subtest and the checks it runs as second-level ones.
type group struct {
	name   string
	checks []namedCheck
}

type namedCheck struct {
	name string
	fn   check
}

// suite lists every check by its stable subtest name.
func suite() []group {
	return []group{
		{"Client", []namedCheck{
			{"NotFound", checkClientNotFound},
			{"SaveLookup", checkClientSaveLookup},
			{"SaveReplace", checkClientSaveReplace},
			{"EmptyIDInvalid", checkClientEmptyID},
		}},
		{"Grant", []namedCheck{
			{"NotFound", checkGrantNotFound},
			{"SaveLookup", checkGrantSaveLookup},
			{"SaveInvalid", checkGrantInvalid},
			{"Duplicate", checkGrantDuplicate},
			{"Expired", checkGrantExpired},
			{"Revoke", checkGrantRevoke},
			{"RevokeHidesLater", checkGrantRevokeHidesLater},
			{"RevokedIDTaken", checkGrantRevokedIDTaken},
			{"RevokeUnknown", checkGrantRevokeUnknown},
			{"RevokeRace", checkGrantRevokeRace},
		}},
		{"Refresh", []namedCheck{
			{"First", checkRefreshFirst},
			{"FirstTwice", checkRefreshFirstTwice},
			{"FirstConcurrent", checkRefreshFirstConcurrent},
			{"Rotate", checkRefreshRotate},
			{"RotateConcurrent", checkRefreshRotateConcurrent},
			{"ReuseAfterRotations", checkRefreshReuseAfterRotations},
			{"RetiredPastOwnExpiry", checkRefreshRetiredPastOwnExpiry},
			{"CurrentExpired", checkRefreshCurrentExpired},
			{"RotateInvalid", checkRefreshRotateInvalid},
			{"NoGrant", checkRefreshNoGrant},
		}},
		{"Code", []namedCheck{
			{"NotFound", checkCodeNotFound},
			{"SaveInvalid", checkCodeSaveInvalid},
			{"ReadDoesNotConsume", checkCodeReadDoesNotConsume},
			{"ConsumeOnce", checkCodeConsumeOnce},
			{"ConsumeConcurrent", checkCodeConsumeConcurrent},
			{"Expired", checkCodeExpired},
			{"Duplicate", checkCodeDuplicate},
			{"KeyedByGrant", checkCodeKeyedByGrant},
			{"ExpiredKeyFree", checkCodeExpiredKeyFree},
		}},
		{"Access", []namedCheck{
			{"NotFound", checkAccessNotFound},
			{"SaveLookup", checkAccessSaveLookup},
			{"NoGrant", checkAccessNoGrant},
			{"SaveInvalid", checkAccessSaveInvalid},
			{"Expired", checkAccessExpired},
			{"Delete", checkAccessDelete},
			{"Duplicate", checkAccessDuplicate},
			{"ApartFromCodes", checkAccessApartFromCodes},
			{"ExpiredKeyFree", checkAccessExpiredKeyFree},
			{"DeletedKeyFree", checkAccessDeletedKeyFree},
		}},
		{"UseOnce", []namedCheck{
			{"First", checkUseOnceFirst},
			{"Concurrent", checkUseOnceConcurrent},
			{"EmptyKeyInvalid", checkUseOnceEmptyKey},
			{"FreeAfterExpiry", checkUseOnceFreeAfterExpiry},
		}},
		{"AuthRequest", []namedCheck{
			{"NotFound", checkAuthRequestNotFound},
			{"SaveGet", checkAuthRequestSaveGet},
			{"SaveReplace", checkAuthRequestReplace},
			{"ReplaceExpiry", checkAuthRequestReplaceExpiry},
			{"EmptyIDInvalid", checkAuthRequestEmptyID},
			{"ConsumeOnce", checkAuthRequestConsumeOnce},
			{"ConsumeConcurrent", checkAuthRequestConsumeConcurrent},
			{"Expired", checkAuthRequestExpired},
		}},
		{"Consent", []namedCheck{
			{"NotFound", checkConsentNotFound},
			{"SaveGet", checkConsentSaveGet},
			{"SaveReplace", checkConsentReplace},
			{"ReplaceExpiry", checkConsentReplaceExpiry},
			{"Delete", checkConsentDelete},
			{"Expired", checkConsentExpired},
		}},
		{"Expiry", []namedCheck{
			{"Grant", checkExpiryGrant},
			{"Code", checkExpiryCode},
			{"AccessToken", checkExpiryAccess},
			{"AuthRequest", checkExpiryAuthRequest},
			{"Consent", checkExpiryConsent},
			{"UseOnce", checkExpiryUseOnce},
		}},
		{"Lookup", []namedCheck{
			{"OtherCase", checkLookupCase},
			{"Prefix", checkLookupPrefix},
			{"EmptyKey", checkLookupEmpty},
			{"ConsentPairs", checkLookupConsentPairs},
			{"CodePairs", checkLookupCodePairs},
		}},
		{"Records", []namedCheck{
			{"RoundTrip", checkRecordsRoundTrip},
			{"CopyIsolated", checkRecordsCopyIsolated},
			{"TimesKept", checkRecordsTimes},
		}},
		{"Concurrency", []namedCheck{
			{"PlainMethods", checkConcurrencyPlainMethods},
		}},
	}
}

// Run runs the conformance suite against stores made by newStore. Every
// subtest calls newStore for a fresh store; newStore registers whatever
// cleanup the store needs with t.Cleanup. Subtests are named
// "Group/Check" (for example "Code/ConsumeConcurrent") and run one after
// another, never in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	for _, g := range suite() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.checks {
				t.Run(c.name, func(t *testing.T) {
					s := newStore(t)
					if s == nil {
						t.Fatal("storetest: newStore returned nil")
					}
					if err := c.fn(t.Context(), s); err != nil {
						t.Error(err)
					}
				})
			}
		})
	}
}
