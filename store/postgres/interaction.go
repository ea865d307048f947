package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kunci/kunci/store"
)

// authRequestColumns are the columns scanAuthRequest reads, in its order.
const authRequestColumns = `id, client_id, redirect_uri, response_type, state, scopes, resources,
	code_challenge, code_challenge_method, login_uri, csrf_hash, subject, pushed, created_at, expires_at, nonce,
	response_mode, prompt, max_age_ns, login_hint, acr_values, ui_locales, required_subject, claims, jkt`

// scanAuthRequest reads authRequestColumns from row.
func scanAuthRequest(row pgx.Row) (store.AuthRequest, error) {
	var r store.AuthRequest
	var createdAt *time.Time
	var maxAge int64
	err := row.Scan(&r.ID, &r.ClientID, &r.RedirectURI, &r.ResponseType, &r.State, &r.Scopes, &r.Resources,
		&r.CodeChallenge, &r.CodeChallengeMethod, &r.LoginURI, &r.CSRFHash, &r.Subject, &r.Pushed, &createdAt, &r.ExpiresAt, &r.Nonce,
		&r.ResponseMode, &r.Prompt, &maxAge, &r.LoginHint, &r.ACRValues, &r.UILocales, &r.RequiredSubject, &r.Claims, &r.JKT)
	if err != nil {
		return store.AuthRequest{}, err
	}
	r.CreatedAt = fromNull(createdAt)
	r.MaxAge = time.Duration(maxAge)
	return r, nil
}

// SaveAuthRequest implements [store.InteractionStore] (RFC 6749 §4.1.1): it
// inserts r or replaces the request with the same ID.
func (s *Store) SaveAuthRequest(ctx context.Context, r store.AuthRequest) error {
	const op = "save auth request"
	if r.ID == "" {
		return fmt.Errorf("postgres: %s: %w: auth request without id", op, store.ErrInvalid)
	}
	if err := checkExpiry(op, r.ExpiresAt, s.now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_auth_requests (`+authRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
		        $17, $18, $19, $20, $21, $22, $23, $24, $25)
		ON CONFLICT (id) DO UPDATE SET
		       client_id = EXCLUDED.client_id, redirect_uri = EXCLUDED.redirect_uri,
		       response_type = EXCLUDED.response_type, state = EXCLUDED.state,
		       scopes = EXCLUDED.scopes, resources = EXCLUDED.resources,
		       code_challenge = EXCLUDED.code_challenge,
		       code_challenge_method = EXCLUDED.code_challenge_method,
		       login_uri = EXCLUDED.login_uri, csrf_hash = EXCLUDED.csrf_hash,
		       subject = EXCLUDED.subject, pushed = EXCLUDED.pushed, created_at = EXCLUDED.created_at,
		       expires_at = EXCLUDED.expires_at, nonce = EXCLUDED.nonce,
		       response_mode = EXCLUDED.response_mode, prompt = EXCLUDED.prompt,
		       max_age_ns = EXCLUDED.max_age_ns, login_hint = EXCLUDED.login_hint,
		       acr_values = EXCLUDED.acr_values, ui_locales = EXCLUDED.ui_locales,
		       required_subject = EXCLUDED.required_subject, claims = EXCLUDED.claims,
		       jkt = EXCLUDED.jkt`,
		r.ID, r.ClientID, r.RedirectURI, r.ResponseType, r.State, r.Scopes, r.Resources,
		r.CodeChallenge, r.CodeChallengeMethod, r.LoginURI, r.CSRFHash, r.Subject, r.Pushed, nullTime(r.CreatedAt), r.ExpiresAt,
		r.Nonce, r.ResponseMode, r.Prompt, int64(r.MaxAge), r.LoginHint, r.ACRValues, r.UILocales, r.RequiredSubject, r.Claims, r.JKT)
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// AuthRequest implements [store.InteractionStore].
func (s *Store) AuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := scanAuthRequest(s.pool.QueryRow(ctx,
		`SELECT `+authRequestColumns+` FROM kunci_auth_requests WHERE id = $1 AND expires_at > $2`,
		id, s.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AuthRequest{}, notFound("auth request")
	}
	if err != nil {
		return store.AuthRequest{}, wrap("auth request", err)
	}
	return r, nil
}

// ConsumeAuthRequest implements [store.InteractionStore] with one
// DELETE … RETURNING: of concurrent callers only the one whose DELETE removes
// the row gets it.
func (s *Store) ConsumeAuthRequest(ctx context.Context, id string) (store.AuthRequest, error) {
	r, err := scanAuthRequest(s.pool.QueryRow(ctx,
		`DELETE FROM kunci_auth_requests WHERE id = $1 AND expires_at > $2 RETURNING `+authRequestColumns,
		id, s.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AuthRequest{}, notFound("consume auth request")
	}
	if err != nil {
		return store.AuthRequest{}, wrap("consume auth request", err)
	}
	return r, nil
}

// SaveConsent implements [store.InteractionStore]: it inserts c or replaces
// the consent of the same subject for the same client.
func (s *Store) SaveConsent(ctx context.Context, c store.Consent) error {
	const op = "save consent"
	if c.Subject == "" || c.ClientID == "" {
		return fmt.Errorf("postgres: %s: %w: consent without subject or client", op, store.ErrInvalid)
	}
	if err := checkExpiry(op, c.ExpiresAt, s.now()); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_consents (subject, client_id, scopes, granted_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (subject, client_id) DO UPDATE SET
		       scopes = EXCLUDED.scopes, granted_at = EXCLUDED.granted_at, expires_at = EXCLUDED.expires_at`,
		c.Subject, c.ClientID, c.Scopes, nullTime(c.GrantedAt), c.ExpiresAt)
	if err != nil {
		return wrap(op, err)
	}
	return nil
}

// Consent implements [store.InteractionStore].
func (s *Store) Consent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	c := store.Consent{Subject: subject, ClientID: clientID}
	var grantedAt *time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT scopes, granted_at, expires_at FROM kunci_consents
		WHERE subject = $1 AND client_id = $2 AND expires_at > $3`,
		subject, clientID, s.now()).Scan(&c.Scopes, &grantedAt, &c.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Consent{}, notFound("consent")
	}
	if err != nil {
		return store.Consent{}, wrap("consent", err)
	}
	c.GrantedAt = fromNull(grantedAt)
	return c, nil
}

// DeleteConsent implements [store.InteractionStore]. Forgetting an unknown
// consent is not an error.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM kunci_consents WHERE subject = $1 AND client_id = $2`, subject, clientID)
	if err != nil {
		return wrap("delete consent", err)
	}
	return nil
}
