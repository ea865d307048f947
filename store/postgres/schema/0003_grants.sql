-- 0003_grants.sql: store contract v2. A grant is a row of its own that holds
-- its refresh token state, so a grant takes one row however often it is
-- refreshed; codes and access tokens reference their grant.
--
-- This replaces the token tables of 0001 (kunci_codes, kunci_tokens,
-- kunci_revoked_grants): their rows are dropped, which signs every user out
-- once. kunci had no users when contract v2 was made.
--
-- Every read compares expires_at with the caller's clock, passed in as a
-- parameter. A row is live while its expires_at is after that time; a grant
-- also while revoked_at is NULL, and a code or access token also while its
-- grant is live.

DROP TABLE kunci_tokens;
DROP TABLE kunci_codes;
DROP TABLE kunci_revoked_grants;

-- Grants: everything issued from one authorization (RFC 6749 §1.5,
-- RFC 9700 §4.14.2), with the OpenID Connect and DPoP session data and the
-- refresh token state. refresh_hash is the current refresh token ('' when
-- the grant has none); previous_refresh_hash and rotated_at are the token
-- the last rotation retired and when. Rotation is one compare-and-swap on
-- refresh_hash. A refresh token that names a live grant but is not its
-- current one is a reuse, so no retired token needs a row.
--
-- RevokeGrant sets revoked_at: the row is then a tombstone that keeps the
-- ID taken, and every code and access token of it unreadable, until
-- expires_at, when Purge deletes it. Nothing of a grant outlives its
-- expires_at: saves refuse codes, access tokens and refresh tokens that
-- would.
CREATE TABLE kunci_grants (
    id                    text PRIMARY KEY,
    client_id             text        NOT NULL,
    subject               text        NOT NULL,
    scopes                text[],
    audience              text[],
    auth_time             timestamptz,
    acr                   text        NOT NULL,
    amr                   text[],
    session_id            text        NOT NULL,
    nonce                 text        NOT NULL,
    claims                bytea,      -- the OIDC claims request, byte for byte
    jkt                   text        NOT NULL,
    refresh_hash          text        NOT NULL,
    refresh_issued_at     timestamptz,
    refresh_expires_at    timestamptz,
    refresh_count         bigint      NOT NULL,
    previous_refresh_hash text        NOT NULL,
    rotated_at            timestamptz,
    created_at            timestamptz,
    expires_at            timestamptz NOT NULL,
    revoked_at            timestamptz,
    CHECK (refresh_hash = '' OR refresh_expires_at <= expires_at)
);
CREATE INDEX kunci_grants_expires_at ON kunci_grants (expires_at);

-- Authorization codes (RFC 6749 §4.1.2), named by their grant and hash.
-- consumed_at is set, in the same statement that hands the code out, when
-- the code is exchanged; a consumed code stays until expires_at so that a
-- second exchange is reported as reuse.
CREATE TABLE kunci_codes (
    grant_id              text        NOT NULL REFERENCES kunci_grants (id) ON DELETE CASCADE,
    hash                  text        NOT NULL,
    client_id             text        NOT NULL,
    redirect_uri          text        NOT NULL,
    code_challenge        text        NOT NULL,
    code_challenge_method text        NOT NULL,
    issued_at             timestamptz,
    expires_at            timestamptz NOT NULL,
    consumed_at           timestamptz,
    PRIMARY KEY (grant_id, hash)
);
CREATE INDEX kunci_codes_expires_at ON kunci_codes (expires_at);

-- Access tokens (RFC 6749 §1.4), opaque or JWT (then hash is that of the
-- jti). grant_id is NULL for tokens of no grant (client_credentials).
-- claims is the host's JSON object kept byte for byte; jkt binds the token
-- to a DPoP key (RFC 9449 §6), '' for a bearer token.
CREATE TABLE kunci_access_tokens (
    hash       text PRIMARY KEY,
    grant_id   text        REFERENCES kunci_grants (id) ON DELETE CASCADE,
    client_id  text        NOT NULL,
    subject    text        NOT NULL,
    scopes     text[],
    audience   text[],
    claims     bytea,
    jkt        text        NOT NULL,
    issued_at  timestamptz,
    expires_at timestamptz NOT NULL
);
CREATE INDEX kunci_access_tokens_grant_id ON kunci_access_tokens (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX kunci_access_tokens_expires_at ON kunci_access_tokens (expires_at);

-- Values used once within a lifetime: DPoP proof and client assertion jti,
-- pushed request_uri (RFC 9449 §11.1, RFC 7523 §3, RFC 9126 §2.2). The key
-- space is the caller's.
CREATE TABLE kunci_use_once (
    key        text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX kunci_use_once_expires_at ON kunci_use_once (expires_at);

-- Pushed authorization requests (RFC 9126) are pending requests too.
ALTER TABLE kunci_auth_requests ADD COLUMN pushed boolean NOT NULL DEFAULT false;
