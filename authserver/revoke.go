package authserver

import (
	"context"
	"net/http"
)

// RevokeHandler returns the revocation endpoint (RFC 7009) on its own. The
// client authenticates as at the token endpoint and names a token it holds.
// The answer is 200 with an empty body whether or not the token was known or
// belonged to the client (§2.2), so the endpoint reveals nothing about other
// clients' tokens. Revoking a refresh token revokes its whole grant, access
// tokens included; revoking an access token revokes that token. A store
// failure is 503 (§2.2.1), never 200. token_type_hint is advisory: the token's
// own prefix tells its type. With Config.Compat.AcceptTokenOnlyRevocation a request
// without any client credentials revokes the token it names.
func (s *Server) RevokeHandler() http.Handler {
	return s.postEndpoint(func(r *http.Request, f form) ([]byte, error) {
		ctx := r.Context()
		clientID := ""
		if !s.cfg.Compat.AcceptTokenOnlyRevocation || r.Header.Get("Authorization") != "" || f.has("client_id") {
			client, e := s.authenticateClient(ctx, r, f)
			if e != nil {
				return nil, e
			}
			clientID = client.ID
		}
		token := f.get("token")
		if token == "" {
			return nil, oauthError(CodeInvalidRequest, "missing token")
		}
		return nil, s.revoke(ctx, token, clientID)
	})
}

// revoke revokes token if it is an access or refresh token of clientID; an
// empty clientID revokes it whoever holds it. Unknown tokens are not an
// error (RFC 7009 §2.2).
func (s *Server) revoke(ctx context.Context, token, clientID string) error {
	t, found, err := s.findToken(ctx, token)
	if err != nil || !found || (clientID != "" && t.info.ClientID != clientID) {
		return err
	}
	if t.refresh {
		return s.revokeGrant(ctx, t.grantID, t.info.ClientID, EventGrantRevoked)
	}
	if err := s.store.DeleteAccessToken(ctx, t.hash); err != nil {
		return unavailable(err)
	}
	s.emit(ctx, Event{Kind: EventTokenRevoked, ClientID: t.info.ClientID, Subject: t.info.Subject, GrantID: t.grantID})
	return nil
}

// revokeGrant revokes every token of a grant and reports why. A store
// failure is logged: the request is refused either way.
func (s *Server) revokeGrant(ctx context.Context, grantID, clientID string, why EventKind) error {
	if grantID == "" {
		return nil
	}
	if err := s.store.RevokeGrant(ctx, grantID); err != nil {
		return unavailable(err) // the caller's error writer logs it
	}
	s.emit(ctx, Event{Kind: why, ClientID: clientID, GrantID: grantID})
	if why != EventGrantRevoked {
		s.emit(ctx, Event{Kind: EventGrantRevoked, ClientID: clientID, GrantID: grantID})
	}
	return nil
}
