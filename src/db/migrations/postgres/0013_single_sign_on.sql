-- Single sign-on (OpenID Connect, ADR 0026).
-- An account made by a single sign-on login: the provider's issuer and
-- subject ("issuer|sub"), which never change for that person; its
-- password_hash is empty, so it cannot log in with a password.
ALTER TABLE staff_users ADD COLUMN sso_subject TEXT;
CREATE UNIQUE INDEX staff_users_by_sso_subject ON staff_users (sso_subject);

-- A session started by single sign-on keeps the provider's refresh token
-- here, on the server only (never in a cookie), to ask the provider again
-- every [sso] recheck whether the user is still in a mapped group.
ALTER TABLE staff_sessions ADD COLUMN sso_refresh_token TEXT;
ALTER TABLE staff_sessions ADD COLUMN sso_checked_at BIGINT;

-- Logins under way: between the redirect to the provider and its answer.
-- Keyed by the SHA-256 of the state, taken (deleted) once: a state works
-- a single time. Holds the nonce and the PKCE verifier, never a token.
CREATE TABLE sso_logins (
    state_hash       TEXT    PRIMARY KEY,
    nonce            TEXT    NOT NULL,
    pkce_verifier    TEXT    NOT NULL,
    expires_at       BIGINT NOT NULL
);
