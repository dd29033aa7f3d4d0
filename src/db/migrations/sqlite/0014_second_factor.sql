-- A second factor for local password accounts (TOTP, RFC 6238; ADR 0027),
-- its recovery codes, and sessions that may only set it up.

-- One authenticator per account. The secret must be readable to check a
-- code, so it is stored as it is (base32): this table is as private as
-- the rest of the database (file mode 0600, never logged). `enabled_at`
-- NULL: enrolment started, not yet confirmed with a code. `last_step`:
-- the 30-second step of the last accepted code; a code of that step or an
-- earlier one is refused (no replay).
CREATE TABLE staff_totp (
    user_id          INTEGER PRIMARY KEY REFERENCES staff_users (id),
    secret           TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    enabled_at       INTEGER,
    last_step        INTEGER
);

-- Recovery codes: SHA-256 of 80 random bits each, usable once.
CREATE TABLE staff_recovery_codes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES staff_users (id),
    code_hash        TEXT    NOT NULL,
    used_at          INTEGER
);
CREATE INDEX staff_recovery_codes_by_user ON staff_recovery_codes (user_id);

-- 1: a password login of an account that must still set up its second
-- factor ([staff] require_mfa); such a session may only enrol or log out.
ALTER TABLE staff_sessions ADD COLUMN enrolment_only INTEGER NOT NULL DEFAULT 0;
