package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// nonceMACLen is how many bytes of the HMAC a nonce carries.
const nonceMACLen = 16

// nonceLen is the length of an encoded nonce: an 8-byte slot number and the
// truncated MAC, base64url without padding.
var nonceLen = base64.RawURLEncoding.EncodedLen(8 + nonceMACLen)

// nonceFor returns the nonce of time slot n: the slot number and an
// HMAC-SHA256 over it with key, so that any instance holding the key can
// check it without shared state (RFC 9449 §8, §9).
func nonceFor(key []byte, n uint64) string {
	var buf [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(buf[:8], n)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("kunci dpop nonce\x00"))
	mac.Write(buf[:8])
	mac.Sum(buf[8:8])
	return base64.RawURLEncoding.EncodeToString(buf[:8+nonceMACLen])
}

// slot returns the time slot of now.
func (v *Verifier) slot(now time.Time) uint64 {
	return uint64(now.UnixNano() / int64(v.nonceSlot))
}

// Nonce returns the server nonce to send in the DPoP-Nonce header (RFC 9449
// §8.1), or "" when the Verifier requires none. It changes every slot; a
// nonce is accepted during its own slot and the next one.
func (v *Verifier) Nonce() string {
	if v.nonceKey == nil {
		return ""
	}
	return nonceFor(v.nonceKey, v.slot(v.now()))
}

// nonceState says why a presented nonce is not accepted.
type nonceState int

const (
	nonceOK nonceState = iota
	nonceForged
	nonceExpired
)

// checkNonce checks a nonce presented at now.
func (v *Verifier) checkNonce(nonce string, now time.Time) nonceState {
	if len(nonce) != nonceLen {
		return nonceForged
	}
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != 8+nonceMACLen {
		return nonceForged
	}
	n := binary.BigEndian.Uint64(raw[:8])
	if !hmac.Equal([]byte(nonceFor(v.nonceKey, n)), []byte(nonce)) {
		return nonceForged
	}
	cur := v.slot(now)
	if n != cur && n+1 != cur {
		return nonceExpired
	}
	return nonceOK
}
