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
		{"Code", []namedCheck{
			{"NotFound", checkCodeNotFound},
			{"ConsumeOnce", checkCodeConsumeOnce},
			{"ConsumeConcurrent", checkCodeConsumeConcurrent},
			{"ReuseReported", checkCodeReuseReported},
			{"Expired", checkCodeExpired},
			{"Duplicate", checkCodeDuplicate},
		}},
		{"Access", []namedCheck{
			{"NotFound", checkAccessNotFound},
			{"SaveLookup", checkAccessSaveLookup},
			{"NoGrant", checkAccessNoGrant},
			{"Expired", checkAccessExpired},
			{"Delete", checkAccessDelete},
			{"Duplicate", checkAccessDuplicate},
		}},
		{"Refresh", []namedCheck{
			{"SaveLookup", checkRefreshSaveLookup},
			{"RequiresGrant", checkRefreshRequiresGrant},
			{"Duplicate", checkRefreshDuplicate},
			{"Rotate", checkRefreshRotate},
			{"RotateConcurrent", checkRefreshRotateConcurrent},
			{"ReuseDetected", checkRefreshReuseDetected},
			{"Expired", checkRefreshExpired},
			{"RotateExpired", checkRefreshRotateExpired},
			{"RetiredExpiresWithGrant", checkRefreshRetiredExpires},
			{"RotateOtherGrantInvalid", checkRefreshRotateOtherGrant},
			{"RotateTakenHash", checkRefreshRotateTakenHash},
			{"Delete", checkRefreshDelete},
		}},
		{"Grant", []namedCheck{
			{"Revoke", checkGrantRevoke},
			{"RevokeUnknown", checkGrantRevokeUnknown},
		}},
		{"Expiry", []namedCheck{
			{"Code", checkExpiryCode},
			{"AccessToken", checkExpiryAccess},
			{"RefreshToken", checkExpiryRefresh},
			{"RotateSuccessor", checkExpiryRotateSuccessor},
			{"AuthRequest", checkExpiryAuthRequest},
			{"Consent", checkExpiryConsent},
		}},
		{"Records", []namedCheck{
			{"CopyIsolated", checkRecordsCopyIsolated},
			{"TimesKept", checkRecordsTimes},
		}},
		{"AuthRequest", []namedCheck{
			{"NotFound", checkAuthRequestNotFound},
			{"SaveGet", checkAuthRequestSaveGet},
			{"SaveReplace", checkAuthRequestReplace},
			{"EmptyIDInvalid", checkAuthRequestEmptyID},
			{"ConsumeOnce", checkAuthRequestConsumeOnce},
			{"ConsumeConcurrent", checkAuthRequestConsumeConcurrent},
			{"Expired", checkAuthRequestExpired},
		}},
		{"Consent", []namedCheck{
			{"NotFound", checkConsentNotFound},
			{"SaveGet", checkConsentSaveGet},
			{"SaveReplace", checkConsentReplace},
			{"Delete", checkConsentDelete},
			{"Expired", checkConsentExpired},
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
