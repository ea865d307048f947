package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kunci/kunci/store"
)

// Client implements [store.ClientStore] (RFC 6749 §2).
func (s *Store) Client(ctx context.Context, id string) (store.Client, error) {
	c := store.Client{ID: id}
	var created *time.Time
	var maxAge int64
	err := s.pool.QueryRow(ctx, `
		SELECT secret_hash, name, redirect_uris, login_uris, grant_types, scopes,
		       auth_method, pkce_optional, access_token_format, resources, created_at,
		       response_types, application_type, id_token_signed_response_alg,
		       refresh_without_offline_access, default_max_age_ns,
		       require_auth_time, post_logout_redirect_uris, subject_type, sector_identifier,
		       jwks, jwks_uri, auth_signing_alg, accept_endpoint_audience,
		       require_pushed_authorization_requests, dpop_bound_access_tokens,
		       logo_uri, client_uri, policy_uri, tos_uri
		FROM kunci_clients WHERE id = $1`, id).Scan(
		&c.SecretHash, &c.Name, &c.RedirectURIs, &c.LoginURIs, &c.GrantTypes, &c.Scopes,
		&c.AuthMethod, &c.PKCEOptional, &c.AccessTokenFormat, &c.Resources, &created,
		&c.ResponseTypes, &c.ApplicationType, &c.IDTokenSignedResponseAlg,
		&c.RefreshWithoutOfflineAccess, &maxAge,
		&c.RequireAuthTime, &c.PostLogoutRedirectURIs, &c.SubjectType, &c.SectorIdentifier,
		&c.JWKS, &c.JWKSURI, &c.AuthSigningAlg, &c.AcceptEndpointAudience,
		&c.RequirePushedAuthorizationRequests, &c.DPoPBoundAccessTokens,
		&c.LogoURI, &c.ClientURI, &c.PolicyURI, &c.TOSURI)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Client{}, notFound("client")
	}
	if err != nil {
		return store.Client{}, wrap("client", err)
	}
	c.CreatedAt = fromNull(created)
	c.DefaultMaxAge = time.Duration(maxAge)
	return c, nil
}

// SaveClient implements [store.ClientStore]: it inserts c or replaces the
// client with the same ID.
func (s *Store) SaveClient(ctx context.Context, c store.Client) error {
	if c.ID == "" {
		return fmt.Errorf("postgres: save client: %w: client without id", store.ErrInvalid)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO kunci_clients (id, secret_hash, name, redirect_uris, login_uris, grant_types,
		       scopes, auth_method, pkce_optional, access_token_format, resources, created_at,
		       response_types, application_type, id_token_signed_response_alg,
		       refresh_without_offline_access, default_max_age_ns,
		       require_auth_time, post_logout_redirect_uris, subject_type, sector_identifier,
		       jwks, jwks_uri, auth_signing_alg, accept_endpoint_audience,
		       require_pushed_authorization_requests, dpop_bound_access_tokens,
		       logo_uri, client_uri, policy_uri, tos_uri)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
		        $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
		ON CONFLICT (id) DO UPDATE SET
		       secret_hash = EXCLUDED.secret_hash, name = EXCLUDED.name,
		       redirect_uris = EXCLUDED.redirect_uris, login_uris = EXCLUDED.login_uris,
		       grant_types = EXCLUDED.grant_types, scopes = EXCLUDED.scopes,
		       auth_method = EXCLUDED.auth_method, pkce_optional = EXCLUDED.pkce_optional,
		       access_token_format = EXCLUDED.access_token_format,
		       resources = EXCLUDED.resources, created_at = EXCLUDED.created_at,
		       response_types = EXCLUDED.response_types,
		       application_type = EXCLUDED.application_type,
		       id_token_signed_response_alg = EXCLUDED.id_token_signed_response_alg,
		       refresh_without_offline_access = EXCLUDED.refresh_without_offline_access,
		       default_max_age_ns = EXCLUDED.default_max_age_ns,
		       require_auth_time = EXCLUDED.require_auth_time,
		       post_logout_redirect_uris = EXCLUDED.post_logout_redirect_uris,
		       subject_type = EXCLUDED.subject_type, sector_identifier = EXCLUDED.sector_identifier,
		       jwks = EXCLUDED.jwks, jwks_uri = EXCLUDED.jwks_uri,
		       auth_signing_alg = EXCLUDED.auth_signing_alg,
		       accept_endpoint_audience = EXCLUDED.accept_endpoint_audience,
		       require_pushed_authorization_requests = EXCLUDED.require_pushed_authorization_requests,
		       dpop_bound_access_tokens = EXCLUDED.dpop_bound_access_tokens,
		       logo_uri = EXCLUDED.logo_uri, client_uri = EXCLUDED.client_uri,
		       policy_uri = EXCLUDED.policy_uri, tos_uri = EXCLUDED.tos_uri`,
		c.ID, c.SecretHash, c.Name, c.RedirectURIs, c.LoginURIs, c.GrantTypes,
		c.Scopes, c.AuthMethod, c.PKCEOptional, c.AccessTokenFormat, c.Resources, nullTime(c.CreatedAt),
		c.ResponseTypes, c.ApplicationType, c.IDTokenSignedResponseAlg, c.RefreshWithoutOfflineAccess, int64(c.DefaultMaxAge),
		c.RequireAuthTime, c.PostLogoutRedirectURIs, c.SubjectType, c.SectorIdentifier,
		c.JWKS, c.JWKSURI, c.AuthSigningAlg, c.AcceptEndpointAudience,
		c.RequirePushedAuthorizationRequests, c.DPoPBoundAccessTokens,
		c.LogoURI, c.ClientURI, c.PolicyURI, c.TOSURI)
	if err != nil {
		return wrap("save client", err)
	}
	return nil
}
