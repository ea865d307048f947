package redis

import (
	"errors"
	"strconv"
	"time"
)

// Times in Redis.
//
// A record's own times travel inside its encoding (see encode.go). The
// times a script compares (expiries, and the refresh state of a grant,
// which a rotation changes in place) are stamps: 18 decimal digits, the
// Unix seconds plus stampOffset in 12 digits, then the microseconds in 6.
// Lua numbers are doubles, exact only up to 2^53, which Unix microseconds
// pass in the year 2255; a stamp's two parts are each far below that, so
// the scripts compare them exactly (see the before function of the Lua
// prelude). Redis's TIME gives the same two parts.

// stampOffset makes the seconds of every stamp positive: stamps cover the
// years 1 (Go's zero time) to about 30,000.
const stampOffset = 100_000_000_000

// stampLen is the length of every stamp.
const stampLen = 18

// maxStampSeconds is the largest seconds part a stamp can hold.
const maxStampSeconds = 999_999_999_999 - stampOffset

// stamp returns t, rounded to the microsecond, as a stamp. Times outside
// the stamp's range are clamped to its ends.
func stamp(t time.Time) string {
	t = t.Round(time.Microsecond)
	sec, us := t.Unix(), t.Nanosecond()/1000
	switch {
	case sec < -stampOffset:
		sec, us = -stampOffset, 0
	case sec > maxStampSeconds:
		sec, us = maxStampSeconds, 999_999
	}
	b := make([]byte, 0, stampLen)
	b = appendPadded(b, uint64(sec+stampOffset), 12)
	b = appendPadded(b, uint64(us), 6)
	return string(b)
}

// appendPadded appends v in decimal, padded with zeros to width digits.
func appendPadded(b []byte, v uint64, width int) []byte {
	var digits [20]byte
	i := len(digits)
	for v > 0 || i > len(digits)-width {
		i--
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, digits[i:]...)
}

var errBadStamp = errors.New("redis: corrupt time stamp")

// parseStamp reads a stamp back. The zero time's stamp gives the zero time.
func parseStamp(s string) (time.Time, error) {
	if len(s) != stampLen {
		return time.Time{}, errBadStamp
	}
	sec, err1 := strconv.ParseUint(s[:12], 10, 64)
	us, err2 := strconv.ParseUint(s[12:], 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, errBadStamp
	}
	return time.Unix(int64(sec)-stampOffset, int64(us)*1000).UTC(), nil
}

// maxExpiryMillis bounds the key expiries given to Redis, at the end of
// the year 9999: a record that lives longer is kept until then, which is
// forever in practice; its stamp still decides when it expires.
const maxExpiryMillis = 253_402_300_799_999

// unixMillis returns the Unix milliseconds for PEXPIREAT and SET PXAT: t
// rounded up to the millisecond, so that Redis never drops a key before its
// stamp says it has expired.
func unixMillis(t time.Time) string {
	t = t.Round(time.Microsecond)
	if t.Unix() >= maxExpiryMillis/1000 {
		return strconv.FormatInt(maxExpiryMillis, 10)
	}
	us := t.UnixMicro()
	ms := us / 1000
	if us%1000 > 0 {
		ms++
	}
	return strconv.FormatInt(ms, 10)
}
