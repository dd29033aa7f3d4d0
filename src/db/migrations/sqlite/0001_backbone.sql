-- Backbone: conversations, inbound messages, the outbox and delivery statuses.
-- Times are INTEGER milliseconds since the Unix epoch (UTC): sortable and
-- the same on SQLite and PostgreSQL.

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The citizen: phone number and/or business-scoped user id. They exist
    -- only inside a live conversation (no contact list).
    wa_id            TEXT,
    user_id          TEXT,
    state            TEXT    NOT NULL DEFAULT 'bot' CHECK (state IN ('bot', 'queued', 'claimed', 'closed')),
    language         TEXT    NOT NULL DEFAULT 'nl',
    urgent           INTEGER NOT NULL DEFAULT 0,
    -- The decision's memory of this conversation (JSON of reply::ConversationMemory).
    memory           TEXT    NOT NULL DEFAULT '{}',
    reply_deadline   INTEGER,
    -- The 24-hour customer-service window starts at the citizen's last message.
    last_inbound_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK (wa_id IS NOT NULL OR user_id IS NOT NULL)
);
CREATE INDEX conversations_live_wa_id   ON conversations (wa_id)   WHERE state <> 'closed';
CREATE INDEX conversations_live_user_id ON conversations (user_id) WHERE state <> 'closed';

CREATE TABLE inbound_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Meta redelivers: the WhatsApp message id is unique, so a retry is stored once.
    wamid            TEXT    NOT NULL UNIQUE,
    wa_id            TEXT,
    user_id          TEXT,
    business_phone_number_id TEXT,
    kind             TEXT    NOT NULL,
    -- JSON of domain::MessageContent.
    content          TEXT    NOT NULL,
    reply_to         TEXT,
    sent_at          INTEGER NOT NULL,
    received_at      INTEGER NOT NULL,
    conversation_id  INTEGER REFERENCES conversations (id),
    processed_at     INTEGER,
    CHECK (wa_id IS NOT NULL OR user_id IS NOT NULL)
);
CREATE INDEX inbound_unprocessed ON inbound_messages (id) WHERE processed_at IS NULL;
CREATE INDEX inbound_by_conversation ON inbound_messages (conversation_id);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id),
    -- The inbound message this answers, if any.
    inbound_id       INTEGER REFERENCES inbound_messages (id),
    kind             TEXT    NOT NULL,
    -- 'bot' or 'staff:<username>'.
    author           TEXT    NOT NULL,
    -- JSON of domain::OutgoingMessage.
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    wamid            TEXT UNIQUE,
    last_error       TEXT,
    error_code       INTEGER,
    error_title      TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_by_conversation ON outbox (conversation_id, id);

-- Meta's status callbacks (sent, delivered, read, played, failed), keyed by
-- the message id. Kept apart from the outbox row because a callback can
-- arrive before the send's own response has been stored.
CREATE TABLE delivery_statuses (
    wamid            TEXT    PRIMARY KEY,
    status           TEXT    NOT NULL,
    status_rank      INTEGER NOT NULL,
    error_code       INTEGER,
    error_title      TEXT,
    updated_at       INTEGER NOT NULL
);
