-- The human queue: staff accounts, their sessions, who holds a thread, and
-- a log of every state change (who and when).

CREATE TABLE staff_users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT    NOT NULL UNIQUE,
    role             TEXT    NOT NULL CHECK (role IN ('staff', 'editor', 'admin')),
    -- argon2id PHC string; the password itself is never stored.
    password_hash    TEXT    NOT NULL,
    disabled         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

-- A login. The cookie carries a random token; only its SHA-256 is stored,
-- so a copy of the database does not let anyone in.
CREATE TABLE staff_sessions (
    token_hash       TEXT    PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES staff_users (id),
    csrf_token       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX staff_sessions_by_user ON staff_sessions (user_id);

-- Failed logins, for throttling (per account name and per client address).
CREATE TABLE login_failures (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT    NOT NULL,
    client           TEXT    NOT NULL,
    at               INTEGER NOT NULL
);
CREATE INDEX login_failures_by_username ON login_failures (username, at);
CREATE INDEX login_failures_by_client ON login_failures (client, at);

ALTER TABLE conversations ADD COLUMN claimed_by TEXT;
ALTER TABLE conversations ADD COLUMN claimed_at INTEGER;
ALTER TABLE conversations ADD COLUMN closed_at INTEGER;
ALTER TABLE conversations ADD COLUMN closed_by TEXT;
ALTER TABLE conversations ADD COLUMN close_topic TEXT;
ALTER TABLE conversations ADD COLUMN first_staff_reply_at INTEGER;
-- When the "does your question still need an answer?" template went out.
ALTER TABLE conversations ADD COLUMN followup_sent_at INTEGER;
CREATE INDEX conversations_queue ON conversations (state) WHERE state IN ('queued', 'claimed');
CREATE INDEX conversations_claimed_by ON conversations (claimed_by) WHERE state = 'claimed';
CREATE INDEX conversations_closed_wa_id ON conversations (wa_id, closed_at) WHERE state = 'closed';
CREATE INDEX conversations_closed_user_id ON conversations (user_id, closed_at) WHERE state = 'closed';

-- Every state change of a conversation: queued, claimed, released,
-- transferred, replied, closed, reopened. `actor` is 'bot', 'citizen',
-- 'system' or 'staff:<username>'. No message content.
CREATE TABLE conversation_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id),
    at               INTEGER NOT NULL,
    actor            TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    detail           TEXT
);
CREATE INDEX conversation_events_by_conversation ON conversation_events (conversation_id, id);
