package authserver

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParseParamsCountsBeforeParsing: a query or body of more than
// maxParams parameters is refused from its separators alone, with one
// allocation (the error) whatever its length; maxParams parameters parse.
func TestParseParamsCountsBeforeParsing(t *testing.T) {
	tooMany := strings.Repeat("resource=a&", 5000)
	allocs := testing.AllocsPerRun(10, func() {
		_, e := parseParams(tooMany)
		if e == nil {
			panic("accepted")
		}
	})
	assert.Equal(t, 1.0, allocs)
	_, e := parseParams(tooMany)
	require.NotNil(t, e)
	assert.Equal(t, CodeInvalidRequest, e.Code)
	assert.Equal(t, "too many parameters", e.Description)

	atLimit := strings.TrimSuffix(strings.Repeat("resource=a&", maxParams), "&")
	vals, e := parseParams(atLimit)
	require.Nil(t, e)
	assert.Len(t, vals["resource"], maxParams)
	_, e = parseParams(atLimit + "&x=1")
	require.NotNil(t, e)
	assert.Equal(t, "too many parameters", e.Description)
}

// TestParseSingleValuesKeepsEachResourceWhole: each resource parameter is one
// resource indicator (RFC 8707 §2), spaces included, so one parameter never
// becomes many; a single empty one is none.
func TestParseSingleValuesKeepsEachResourceWhole(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"none", "grant_type=x", nil},
		{"a single empty one", "resource=", nil},
		{"one", "resource=https%3A%2F%2Fa.example%2F", []string{"https://a.example/"}},
		{"two", "resource=https://a.example/&resource=https://b.example/", []string{"https://a.example/", "https://b.example/"}},
		{"one with a space", "resource=https://a.example/+https://b.example/", []string{"https://a.example/ https://b.example/"}},
		{"two empty ones", "resource=&resource=", []string{"", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _, e := parseSingleValues(tc.body)
			require.Nil(t, e)
			assert.Equal(t, tc.want, f.resources())
			assert.False(t, f.has("resource"))
		})
	}
}
