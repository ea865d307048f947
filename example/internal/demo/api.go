package demo

import (
	"encoding/json"
	"net/http"

	"github.com/kunci/kunci/middleware"
)

// profile is the body of GET /api/me.
type profile struct {
	Subject string `json:"sub"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone,omitempty"`
}

// apiError is the body of a refusal the API makes itself (the middleware
// answers token and scope problems with RFC 6750 §3 challenges).
type apiError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	ClientID    string `json:"client_id,omitempty"`
}

// serveMe answers GET /api/me behind Authenticate and
// RequireScope("basic_info"): the token's user with name and email, and the
// phone number only when the token also has scope phone. A token from the
// client_credentials grant (RFC 6749 §4.4) acts for a client, not a user,
// so it is refused with 403.
func (a *App) serveMe(w http.ResponseWriter, r *http.Request) {
	info, _ := middleware.TokenInfoFromContext(r.Context())
	if info.Subject == "" {
		writeJSON(w, http.StatusForbidden, apiError{
			Error:       "no_user",
			Description: "this token acts for a client, not for a user",
			ClientID:    info.ClientID,
		})
		return
	}
	u, ok := a.users[info.Subject]
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{Error: "unknown_user", Description: "the token's user no longer exists"})
		return
	}
	p := profile{Subject: u.Username, Name: u.Name, Email: u.Email}
	if info.HasScope("phone") {
		p.Phone = u.Phone
	}
	writeJSON(w, http.StatusOK, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
