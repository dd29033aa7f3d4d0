-- Media a citizen sent (issue 21): one row per inbound image, document,
-- audio, video or sticker, and its bytes in chunks (ADR 0028). The bytes
-- live in the database itself, so `purge` and `forget` delete them in the
-- same transaction as the message, secure_delete overwrites them, and one
-- backup holds everything.
--
-- A row is written at intake as 'pending'; the background fetcher sets it
-- to 'stored' (with the checked size, sha256 and sniffed type) or 'failed'
-- (with a reason staff see in the thread). The row hangs off the message,
-- not the conversation: at intake the conversation is not known yet
-- (processing links the message to it), and the purge reaches the media
-- through the message.
CREATE TABLE media (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    inbound_id       INTEGER NOT NULL UNIQUE REFERENCES inbound_messages (id),
    -- Meta's media id, asked for at GET /{version}/{media-id}.
    media_id         TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('image', 'audio', 'video', 'document', 'sticker')),
    -- What the webhook and the Graph API said; never trusted to serve.
    declared_mime    TEXT,
    -- What the bytes are, by their signature; what staff are served as.
    sniffed_mime     TEXT,
    -- Bytes stored (after metadata was stripped from an image).
    size             INTEGER,
    -- Lower-case hex SHA-256 of the bytes as downloaded, checked against Meta's.
    sha256           TEXT,
    state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'failed')),
    -- Why it failed, one word (too_large, wrong_sha256, expired, not_found,
    -- unknown_type, unreachable): the staff page words it.
    failure          TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    -- Several instances share the fetching: a fetcher leases the rows it
    -- takes until this moment, as the outbox sender does.
    leased_until     INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((state = 'failed') = (failure IS NOT NULL)),
    CHECK (state <> 'stored' OR (size IS NOT NULL AND sha256 IS NOT NULL AND sniffed_mime IS NOT NULL))
);
CREATE INDEX media_due ON media (next_attempt_at) WHERE state = 'pending';

-- The bytes, in chunks of at most 256 KiB, so a 100 MB document is written
-- and served as a stream and never held in memory whole.
CREATE TABLE media_chunks (
    media_id         INTEGER NOT NULL REFERENCES media (id),
    seq              INTEGER NOT NULL,
    bytes            BLOB    NOT NULL,
    PRIMARY KEY (media_id, seq)
);
