-- 0002_client_metadata.sql: client metadata of RFC 7591 §2 and OpenID Connect
-- Registration §2 that the server checks at the authorization endpoint.
ALTER TABLE kunci_clients ADD COLUMN response_types text[];
ALTER TABLE kunci_clients ADD COLUMN application_type text NOT NULL DEFAULT '';
