package authserver_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSmokeClientCredentialsVerifyRevoke(t *testing.T) {
	srv, _ := newTestServer(t, nil)
	rec := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"basic_info"}}, basic(serviceID, servicePass))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body := decodeJSON(t, rec)
	assert.Equal(t, "Bearer", body["token_type"])
	assert.EqualValues(t, 1800, body["expires_in"])
	assert.NotContains(t, body, "refresh_token")
	assert.NotContains(t, body, "scope")
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, "no-cache", rec.Header().Get("Pragma"))
	tok := body["access_token"].(string)

	info, err := srv.VerifyAccessToken(t.Context(), tok)
	require.NoError(t, err)
	assert.Equal(t, serviceID, info.ClientID)
	assert.Equal(t, []string{"basic_info"}, info.Scopes)

	rec = postForm(t, srv, "/oauth/revoke", url.Values{"token": {tok}}, basic(serviceID, servicePass))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Empty(t, rec.Body.String())
	_, err = srv.VerifyAccessToken(t.Context(), tok)
	assert.Error(t, err)
}
