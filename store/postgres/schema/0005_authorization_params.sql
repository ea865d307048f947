-- 0005_authorization_params.sql: the authorization request parameters a
-- pending request keeps while the user signs in and decides (OpenID Connect
-- Core §3.1.2.1, §5.5; OAuth 2.0 Multiple Response Type Encoding Practices
-- §2.1), and a client's default_max_age (OpenID Connect Registration §2).
-- Durations are nanoseconds, as Go's time.Duration counts them.
ALTER TABLE kunci_clients ADD COLUMN default_max_age_ns bigint NOT NULL DEFAULT 0;
ALTER TABLE kunci_auth_requests ADD COLUMN response_mode text NOT NULL DEFAULT '';
ALTER TABLE kunci_auth_requests ADD COLUMN prompt text[];
ALTER TABLE kunci_auth_requests ADD COLUMN max_age_ns bigint NOT NULL DEFAULT 0;
ALTER TABLE kunci_auth_requests ADD COLUMN login_hint text NOT NULL DEFAULT '';
ALTER TABLE kunci_auth_requests ADD COLUMN acr_values text[];
ALTER TABLE kunci_auth_requests ADD COLUMN ui_locales text[];
ALTER TABLE kunci_auth_requests ADD COLUMN required_subject text NOT NULL DEFAULT '';
ALTER TABLE kunci_auth_requests ADD COLUMN claims bytea; -- the OIDC claims request, normalized
