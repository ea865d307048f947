package authserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The built-in logout pages speak the user's language, from ui_locales or
// Accept-Language, with the shared stylesheet and a labelled button.
func TestLogoutPagesLanguage(t *testing.T) {
	srv, _, _ := newLogoutServer(t, nil)
	for _, tc := range []struct {
		acceptLanguage, query, lang, question, button, signedOut string
	}{
		{"id-ID,id;q=0.9", "", "id", "Apakah Anda ingin keluar?", "Keluar", "Anda telah keluar"},
		{"en", "?ui_locales=id", "id", "Apakah Anda ingin keluar?", "Keluar", "Anda telah keluar"},
		{"id", "?ui_locales=en", "en", "Do you want to sign out?", "Sign out", "Signed out"},
		{"", "", "en", "Do you want to sign out?", "Sign out", "Signed out"},
	} {
		c := newLangClient(t, srv, tc.acceptLanguage)
		c.signIn("user-alice")
		rec := c.do(http.MethodGet, "/oauth/logout"+tc.query, nil)
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assertLanguage(t, rec, tc.lang)
		page := rec.Body.String()
		assert.Contains(t, page, "<h1>"+tc.question+"</h1>")
		assert.Contains(t, page, `<button type="submit" id="logout">`+tc.button+`</button>`)
		assert.Contains(t, page, ":root{--bg:#ffffff;", "the shared stylesheet")

		rec = newLangClient(t, srv, tc.acceptLanguage).do(http.MethodGet, "/oauth/logout"+tc.query, nil)
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assertLanguage(t, rec, tc.lang)
		assert.Contains(t, rec.Body.String(), `<h1 id="signed-out">`+tc.signedOut+`</h1>`)
	}
}
