-- The website chat (issue 24): a web chat is a conversation like a
-- WhatsApp one, with `channel = 'web'`. Its citizen is a browser session,
-- never a phone number: the conversation's `user_id` holds the session's
-- citizen key (`web.` and 32 hex digits, which no WhatsApp user id can be:
-- those start with a two-letter country code), so the triage, the queue,
-- retention and `forget` need no second code path.
ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT 'whatsapp'
    CHECK (channel IN ('whatsapp', 'web'));

-- One row per widget session. The bearer token (>= 128 random bits) is
-- never stored: only its SHA-256, so a copy of the database opens no
-- session. `citizen` is the key the session's conversations carry.
CREATE TABLE web_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256  TEXT    NOT NULL UNIQUE,
    citizen       TEXT    NOT NULL UNIQUE,
    language      TEXT    NOT NULL DEFAULT 'nl',
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);
CREATE INDEX web_sessions_by_last_seen ON web_sessions (last_seen_at);
-- A session's stream reads its conversations by the session's key.
CREATE INDEX conversations_web_by_user ON conversations (user_id) WHERE channel = 'web';
