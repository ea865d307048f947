package demo_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kunci/kunci/example/internal/demo"
)

// The sign-in page speaks Bahasa Indonesia or English: ui_locales first
// (as kunci passes them to the login page), then Accept-Language, then
// English; bad input falls back, never breaks the page.
func TestLoginPageLanguage(t *testing.T) {
	app, err := demo.New(t.Context(), demo.Config{Issuer: "http://127.0.0.1:8080"})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, app.Close()) })
	for _, tc := range []struct {
		name, query, acceptLanguage, lang, label string
	}{
		{"ui_locales", "?ui_locales=id", "en", "id", "Nama pengguna"},
		{"the first ui_locales the page has", "?ui_locales=fr+id-ID+en", "", "id", "Nama pengguna"},
		{"Accept-Language", "", "fr;q=1, id;q=0.8, en;q=0.5", "id", "Nama pengguna"},
		{"the old code of Indonesian", "", "in-ID", "id", "Nama pengguna"},
		{"English by default", "", "", "en", "Username"},
		{"a malformed header", "", "id;q=x, ;;,", "en", "Username"},
		{"ui_locales too long", "?ui_locales=" + strings.Repeat("id+", 400), "", "en", "Username"},
		{"markup in ui_locales", "?ui_locales=%3Cscript%3E", "", "en", "Username"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/login"+tc.query, nil)
			if tc.acceptLanguage != "" {
				req.Header.Set("Accept-Language", tc.acceptLanguage)
			}
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code)
			page := rec.Body.String()
			assert.True(t, strings.HasPrefix(page, "<!doctype html>\n<html lang=\""+tc.lang+"\">"), page)
			assert.Contains(t, page, "<label>"+tc.label+" <input type=\"text\" name=\"username\"")
			assert.NotContains(t, page, "<script>")
		})
	}
}
