package authserver

import (
	"net/url"
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

// TestSingleValuesKeepsEachResourceWhole: each resource parameter is one
// resource indicator (RFC 8707 §2), spaces included, so one parameter never
// becomes many; a single empty one is none.
func TestSingleValuesKeepsEachResourceWhole(t *testing.T) {
	tests := []struct {
		name string
		vals url.Values
		want []string
	}{
		{"none", url.Values{"grant_type": {"x"}}, nil},
		{"a single empty one", url.Values{"resource": {""}}, nil},
		{"one", url.Values{"resource": {"https://a.example/"}}, []string{"https://a.example/"}},
		{"two", url.Values{"resource": {"https://a.example/", "https://b.example/"}}, []string{"https://a.example/", "https://b.example/"}},
		{"one with a space", url.Values{"resource": {"https://a.example/ https://b.example/"}}, []string{"https://a.example/ https://b.example/"}},
		{"two empty ones", url.Values{"resource": {"", ""}}, []string{"", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, e := singleValues(tc.vals)
			require.Nil(t, e)
			assert.Equal(t, tc.want, f.resources())
			assert.False(t, f.has("resource"))
		})
	}
}
