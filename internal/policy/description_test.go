package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestErrorDescription: what RFC 6749 §5.2 allows passes untouched and
// without allocating; everything else is replaced one character for one.
func TestErrorDescription(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "",
		"scope not allowed: read":               "scope not allowed: read",
		"~ !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}": "~ !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}",
		`x"y is repeated`:                       "x'y is repeated",
		`a\b`:                                   "a/b",
		"RFC 9126 §2.1":                         "RFC 9126 ?2.1",
		"tab\there, line\nfeed, del\x7f":        "tab?here, line?feed, del?",
		"naïve 日本":                              "na?ve ??",
		"broken \xff\xfe utf-8":                 "broken ?? utf-8",
		"\x00":                                  "?",
	} {
		got := ErrorDescription(in)
		assert.Equal(t, want, got, "%q", in)
		for i := 0; i < len(got); i++ {
			assert.True(t, descriptionChar(got[i]), "%q holds %#x", got, got[i])
		}
	}
	s := "the user did not sign in again after the request began"
	assert.Zero(t, testing.AllocsPerRun(10, func() { _ = ErrorDescription(s) }))
	for c := range 256 {
		want := c >= 0x20 && c <= 0x7e && c != 0x22 && c != 0x5c
		assert.Equal(t, want, descriptionChar(byte(c)), "%#x", c)
	}
}
