package authserver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorDescriptionsKeepToTheirCharacterSet: whatever text an Error
// carries, the JSON error body (RFC 6749 §5.2) and the error redirect
// (§4.1.2.1) send an error_description of %x20-21 / %x23-5B / %x5D-7E only.
func TestErrorDescriptionsKeepToTheirCharacterSet(t *testing.T) {
	t.Parallel()
	s := &Server{log: slog.New(slog.DiscardHandler), realm: "https://as.example"}
	e := oauthError(CodeInvalidRequest, "x\"y\\z is repeated (RFC 9126 §2.1)\n")
	const want = "x'y/z is repeated (RFC 9126 ?2.1)?"

	rec := httptest.NewRecorder()
	s.writeError(t.Context(), rec, e)
	var body map[string]string
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	assert.Equal(t, map[string]string{"error": "invalid_request", "error_description": want}, body)

	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/oauth/authorize", nil)
	s.redirectError(rec, req, newAuthRedirect("https://app.example/cb", "st", ResponseCode, ""), e)
	require.Equal(t, http.StatusFound, rec.Code)
	loc, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, want, loc.Query().Get("error_description"))
	assert.Equal(t, "st", loc.Query().Get("state"))
}
