package authserver

import (
	"reflect"
	"strings"
)

// The languages the pages are built in: English and Bahasa Indonesia, as
// language tags (RFC 5646).
const (
	// LanguageEnglish is English, the default language of the pages.
	LanguageEnglish = "en"
	// LanguageIndonesian is Bahasa Indonesia.
	LanguageIndonesian = "id"
)

// PageTexts are the words of the pages the server renders (the consent,
// error, form_post and logout pages), in one language. Every field is plain text:
// the templates escape it, so it cannot carry markup. In ConsentTitle and
// ConsentHeading, "{client}" stands for the client's registered name (see
// [ConsentPage.Fill]).
//
// [Browser].Texts adds languages and replaces texts: a field left empty
// takes the built-in text of the same language, or of its primary language
// ("id" for "id-ID"), or else the English one. New fields may be added to
// PageTexts in later versions; a language the host adds then shows them in
// English until the host sets them.
type PageTexts struct {
	// ConsentTitle is the consent page's title; "Allow {client}?".
	ConsentTitle string
	// ConsentHeading is its heading; "{client} wants to access your
	// account".
	ConsentHeading string
	// SignedInAs comes before the signed-in user's subject; "Signed in as".
	SignedInAs string
	// RedirectHost labels the host of the redirect URI the user is sent to
	// after deciding; "After you decide, you will be sent to".
	RedirectHost string
	// ClientURI, PolicyURI and TOSURI label the client's registered web
	// site, privacy policy and terms of service (RFC 7591 §2); "Website",
	// "Privacy policy", "Terms of service".
	ClientURI string
	PolicyURI string
	TOSURI    string
	// Scopes introduces the scopes the user may untick when no scope is
	// required; "It asks to:".
	Scopes string
	// RequiredScopes introduces the scopes the client requires
	// ([Scope].Required), which the user can refuse only by denying the
	// request; "It needs these to work (to refuse them, deny the
	// request):".
	RequiredScopes string
	// OptionalScopes introduces the scopes the user may untick when some
	// are required; "It also asks to (untick what you do not want to
	// allow):".
	OptionalScopes string
	// Claims introduces the claims asked for by name ([ConsentPage].Claims);
	// "It also asks for these details about you:".
	Claims string
	// ClaimNeeded follows a claim the client marked essential; "(needed)".
	ClaimNeeded string
	// Allow and Deny are the consent page's buttons; "Allow", "Deny".
	Allow string
	Deny  string

	// ErrorTitle is the error page's title; "Authorization error".
	ErrorTitle string
	// ErrorHeading is its heading; "This authorization request cannot be
	// completed".
	ErrorHeading string
	// ErrorAdvice tells the user what to do; "Go back to the application
	// and try again.".
	ErrorAdvice string
	// ErrorDetails introduces the error code and description, which are
	// protocol text in English (RFC 6749 §4.1.2.1); "Details for the
	// application's developer:".
	ErrorDetails string

	// FormPostTitle is the title of the page that posts the answer to the
	// client (OAuth 2.0 Form Post Response Mode §2); "Returning to the
	// application".
	FormPostTitle string
	// FormPostNoScript is what that page says when scripts are off;
	// "JavaScript is turned off. Press Continue to return to the
	// application.".
	FormPostNoScript string
	// Continue is that page's button; "Continue".
	Continue string

	// LogoutTitle, LogoutQuestion, LogoutRequestedBy and LogoutButton are
	// the logout confirmation page's title, question, the label before the
	// client that asked, and its button (OpenID Connect RP-Initiated
	// Logout 1.0 §2); "Sign out?", "Do you want to sign out?", "Asked by",
	// "Sign out". It shows SignedInAs before the user.
	LogoutTitle       string
	LogoutQuestion    string
	LogoutRequestedBy string
	LogoutButton      string
	// SignedOutTitle and SignedOutBody are the signed-out page's title and
	// text; "Signed out", "You are signed out. You may close this window.".
	SignedOutTitle string
	SignedOutBody  string
}

// builtinTexts are the texts of the built-in languages.
func builtinTexts() map[string]PageTexts {
	return map[string]PageTexts{
		LanguageEnglish: {
			ConsentTitle:     "Allow {client}?",
			ConsentHeading:   "{client} wants to access your account",
			SignedInAs:       "Signed in as",
			RedirectHost:     "After you decide, you will be sent to",
			ClientURI:        "Website",
			PolicyURI:        "Privacy policy",
			TOSURI:           "Terms of service",
			Scopes:           "It asks to:",
			RequiredScopes:   "It needs these to work (to refuse them, deny the request):",
			OptionalScopes:   "It also asks to (untick what you do not want to allow):",
			Claims:           "It also asks for these details about you:",
			ClaimNeeded:      "(needed)",
			Allow:            "Allow",
			Deny:             "Deny",
			ErrorTitle:       "Authorization error",
			ErrorHeading:     "This authorization request cannot be completed",
			ErrorAdvice:      "Go back to the application and try again.",
			ErrorDetails:     "Details for the application's developer:",
			FormPostTitle:    "Returning to the application",
			FormPostNoScript: "JavaScript is turned off. Press Continue to return to the application.",
			Continue:         "Continue",

			LogoutTitle:       "Sign out?",
			LogoutQuestion:    "Do you want to sign out?",
			LogoutRequestedBy: "Asked by",
			LogoutButton:      "Sign out",
			SignedOutTitle:    "Signed out",
			SignedOutBody:     "You are signed out. You may close this window.",
		},
		LanguageIndonesian: {
			ConsentTitle:     "Izinkan {client}?",
			ConsentHeading:   "{client} ingin mengakses akun Anda",
			SignedInAs:       "Masuk sebagai",
			RedirectHost:     "Setelah Anda memutuskan, Anda akan diarahkan ke",
			ClientURI:        "Situs web",
			PolicyURI:        "Kebijakan privasi",
			TOSURI:           "Ketentuan layanan",
			Scopes:           "Aplikasi ini meminta izin untuk:",
			RequiredScopes:   "Aplikasi ini memerlukan izin berikut (untuk menolaknya, tolak permintaan ini):",
			OptionalScopes:   "Aplikasi ini juga meminta izin untuk (hapus centang yang tidak ingin Anda izinkan):",
			Claims:           "Aplikasi ini juga meminta data berikut tentang Anda:",
			ClaimNeeded:      "(diperlukan)",
			Allow:            "Izinkan",
			Deny:             "Tolak",
			ErrorTitle:       "Kesalahan otorisasi",
			ErrorHeading:     "Permintaan otorisasi ini tidak dapat diselesaikan",
			ErrorAdvice:      "Kembali ke aplikasi, lalu coba lagi.",
			ErrorDetails:     "Rincian untuk pengembang aplikasi:",
			FormPostTitle:    "Kembali ke aplikasi",
			FormPostNoScript: "JavaScript dinonaktifkan. Tekan Lanjutkan untuk kembali ke aplikasi.",
			Continue:         "Lanjutkan",

			LogoutTitle:       "Keluar?",
			LogoutQuestion:    "Apakah Anda ingin keluar?",
			LogoutRequestedBy: "Diminta oleh",
			LogoutButton:      "Keluar",
			SignedOutTitle:    "Anda telah keluar",
			SignedOutBody:     "Anda telah keluar. Anda boleh menutup jendela ini.",
		},
	}
}

// builtinScopeDescriptions are the texts, per built-in language, of the
// scopes New adds with OpenID Connect (builtinOpenIDScopes), keyed by scope
// name. English is their Description.
var builtinScopeDescriptions = map[string]map[string]string{
	scopeOpenID:        {LanguageIndonesian: "Masuk ke aplikasi dengan akun Anda"},
	scopeOfflineAccess: {LanguageIndonesian: "Tetap dapat mengakses akun Anda saat Anda tidak sedang memakai aplikasi"},
}

// withFallback returns t with every empty (or blank) field taken from
// base.
func (t PageTexts) withFallback(base PageTexts) PageTexts {
	dst, src := reflect.ValueOf(&t).Elem(), reflect.ValueOf(base)
	for i := range dst.NumField() {
		if f := dst.Field(i); strings.TrimSpace(f.String()) == "" {
			f.SetString(src.Field(i).String())
		}
	}
	return t
}
