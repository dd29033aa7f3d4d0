-- Files staff send (issue 21, step 5): an image or PDF attached to a
-- reply, one per outbox row, and its bytes in chunks of at most 256 KiB as
-- in 0016. The bytes are kept, checked and stripped of metadata, from the
-- moment the reply is queued: the sender uploads them to Meta on every
-- attempt (an upload's id is not reused), and the thread shows what was
-- sent. They hang off the outbox row, so `purge` and `forget` delete them
-- with the reply.
CREATE TABLE outbox_media (
    outbox_id   INTEGER PRIMARY KEY REFERENCES outbox (id),
    -- 'image' or 'document', as Meta's message type.
    kind        TEXT    NOT NULL CHECK (kind IN ('image', 'document')),
    -- Sniffed from the bytes: image/jpeg, image/png or application/pdf.
    mime        TEXT    NOT NULL,
    -- The file name shown to the citizen (documents), already made safe.
    filename    TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    -- Lower-case hex SHA-256 of the bytes stored (after stripping).
    sha256      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE outbox_media_chunks (
    outbox_id   INTEGER NOT NULL REFERENCES outbox_media (outbox_id),
    seq         INTEGER NOT NULL,
    bytes       BLOB    NOT NULL,
    PRIMARY KEY (outbox_id, seq)
);
