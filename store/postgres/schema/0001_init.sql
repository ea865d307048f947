-- 0001_init.sql: the first version of kunci's PostgreSQL schema.
--
-- Migrate runs this file once, inside a transaction, in the first schema of
-- the connection's search_path. Every table name starts with "kunci_" so that
-- the tables can share a schema with the host application's own.
--
-- Conventions:
--   * Codes and tokens are keyed by the hash the server computed (SHA-256,
--     unpadded base64url); the secrets themselves never reach the database.
--   * Lists are text[]; NULL keeps a nil Go slice apart from an empty one.
--   * Times are timestamptz (microsecond precision). Optional times are NULL
--     when the Go value is the zero time.
--   * expires_at is always set. Reads compare it with the caller's clock,
--     passed in as a parameter, so the application and the database never
--     disagree about what has expired.
--   * grant_id is '' for records that belong to no grant (access tokens from
--     client_credentials). The grant_id indexes leave those rows out, so
--     queries by grant spell out "grant_id <> ''" to use them.

-- Registered clients (RFC 6749 §2).
CREATE TABLE kunci_clients (
    id                  text PRIMARY KEY,
    secret_hash         text        NOT NULL,
    name                text        NOT NULL,
    redirect_uris       text[],
    login_uris          text[],
    grant_types         text[],
    scopes              text[],
    auth_method         text        NOT NULL,
    pkce_optional       boolean     NOT NULL,
    access_token_format text        NOT NULL,
    resources           text[],
    created_at          timestamptz
);

-- Authorization codes (RFC 6749 §4.1.2). consumed_at is set, in the same
-- UPDATE that hands the code out, when the code is exchanged; a consumed code
-- stays until expires_at so that a second exchange is reported as reuse.
CREATE TABLE kunci_codes (
    hash                  text PRIMARY KEY,
    grant_id              text        NOT NULL,
    client_id             text        NOT NULL,
    subject               text        NOT NULL,
    redirect_uri          text        NOT NULL,
    scopes                text[],
    resources             text[],
    code_challenge        text        NOT NULL,
    code_challenge_method text        NOT NULL,
    auth_time             timestamptz,
    issued_at             timestamptz,
    expires_at            timestamptz NOT NULL,
    consumed_at           timestamptz
);
CREATE INDEX kunci_codes_grant_id ON kunci_codes (grant_id) WHERE grant_id <> '';
CREATE INDEX kunci_codes_expires_at ON kunci_codes (expires_at);

-- Access tokens (RFC 6749 §1.4) and refresh tokens (RFC 6749 §1.5), live and
-- retired, share one table so that a token hash names one token: DeleteToken
-- takes either kind, and a save or rotation to a hash any token holds fails
-- on the primary key.
--
-- Access tokens may be opaque or JWTs (then hash is that of the jti); claims
-- is the host's JSON object kept byte for byte, hence bytea.
--
-- Refresh tokens always have a grant. Rotation sets rotated_at and
-- successor_hash on the old row and inserts the successor, in one statement.
-- A retired row is kept while any record of its grant is live, so that
-- replaying it is detected (RFC 9700 §4.14.2). Access tokens never set
-- rotated_at, so "rotated_at IS NULL AND expires_at > now" means "live" for
-- both kinds.
CREATE TABLE kunci_tokens (
    hash           text PRIMARY KEY,
    kind           text        NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id       text        NOT NULL,
    client_id      text        NOT NULL,
    subject        text        NOT NULL,
    scopes         text[],
    audience       text[],
    claims         bytea,       -- access tokens only
    refresh_count  bigint,      -- refresh tokens only
    auth_time      timestamptz, -- refresh tokens only
    issued_at      timestamptz,
    expires_at     timestamptz NOT NULL,
    rotated_at     timestamptz, -- refresh tokens only
    successor_hash text,        -- refresh tokens only
    CHECK (kind = 'access' OR (grant_id <> '' AND refresh_count IS NOT NULL)),
    CHECK (kind = 'refresh' OR rotated_at IS NULL)
);
CREATE INDEX kunci_tokens_grant_id ON kunci_tokens (grant_id) WHERE grant_id <> '';
CREATE INDEX kunci_tokens_expires_at ON kunci_tokens (expires_at) WHERE rotated_at IS NULL;
-- Lets Purge find retired tokens without scanning every token.
CREATE INDEX kunci_tokens_retired ON kunci_tokens (grant_id) WHERE rotated_at IS NOT NULL;

-- Revoked grants. Every read of a code or token checks this table, so a
-- record of a revoked grant stays unreadable even when it is saved after the
-- revocation. Purge drops a row only when it is a day old and no code or
-- token of the grant is left.
CREATE TABLE kunci_revoked_grants (
    grant_id   text PRIMARY KEY,
    revoked_at timestamptz NOT NULL
);

-- Pending authorization requests (RFC 6749 §4.1.1) between the authorization
-- endpoint, the login page and the consent page.
CREATE TABLE kunci_auth_requests (
    id                    text PRIMARY KEY,
    client_id             text        NOT NULL,
    redirect_uri          text        NOT NULL,
    response_type         text        NOT NULL,
    state                 text        NOT NULL,
    scopes                text[],
    resources             text[],
    code_challenge        text        NOT NULL,
    code_challenge_method text        NOT NULL,
    login_uri             text        NOT NULL,
    csrf_hash             text        NOT NULL,
    subject               text        NOT NULL,
    created_at            timestamptz,
    expires_at            timestamptz NOT NULL
);
CREATE INDEX kunci_auth_requests_expires_at ON kunci_auth_requests (expires_at);

-- Remembered consents, one per subject and client.
CREATE TABLE kunci_consents (
    subject    text        NOT NULL,
    client_id  text        NOT NULL,
    scopes     text[],
    granted_at timestamptz,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (subject, client_id)
);
CREATE INDEX kunci_consents_expires_at ON kunci_consents (expires_at);
