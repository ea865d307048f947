-- 0004_openid.sql: OpenID Connect. Client metadata of OpenID Connect
-- Registration §2 and Core §11 that the server reads at the token endpoint,
-- and the nonce of a pending authentication request (Core §3.1.2.1), which
-- the approval hands to the grant (kunci_grants.nonce).
ALTER TABLE kunci_clients ADD COLUMN id_token_signed_response_alg text NOT NULL DEFAULT '';
ALTER TABLE kunci_clients ADD COLUMN refresh_without_offline_access boolean NOT NULL DEFAULT false;
ALTER TABLE kunci_auth_requests ADD COLUMN nonce text NOT NULL DEFAULT '';
