-- 0006_client_registration.sql: the client metadata that OpenID Connect
-- logout and pairwise subjects (RP-Initiated Logout §3.1, Core §8),
-- private_key_jwt client authentication (RFC 7591 §2, RFC 7523), pushed
-- authorization requests (RFC 9126 §6), DPoP (RFC 9449 §5.2) and the consent
-- page (RFC 7591 §2) read, and the dpop_jkt of a pending request
-- (RFC 9449 §10). jwks is the client's JWK Set JSON kept byte for byte.
ALTER TABLE kunci_clients ADD COLUMN require_auth_time boolean NOT NULL DEFAULT false;
ALTER TABLE kunci_clients ADD COLUMN post_logout_redirect_uris text[];
ALTER TABLE kunci_clients ADD COLUMN subject_type text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN sector_identifier text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN jwks bytea;
ALTER TABLE kunci_clients ADD COLUMN jwks_uri text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN auth_signing_alg text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN accept_endpoint_audience boolean NOT NULL DEFAULT false;
ALTER TABLE kunci_clients ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false;
ALTER TABLE kunci_clients ADD COLUMN dpop_bound_access_tokens boolean NOT NULL DEFAULT false;
ALTER TABLE kunci_clients ADD COLUMN logo_uri text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN client_uri text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN policy_uri text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN tos_uri text NOT NULL DEFAULT '';
ALTER TABLE kunci_auth_requests ADD COLUMN jkt text NOT NULL DEFAULT '';
