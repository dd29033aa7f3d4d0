-- Files staff send: the PostgreSQL twin of migrations/sqlite/0017 (see
-- there for why).
CREATE TABLE outbox_media (
    outbox_id   BIGINT  PRIMARY KEY REFERENCES outbox (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('image', 'document')),
    mime        TEXT    NOT NULL,
    filename    TEXT    NOT NULL,
    size        BIGINT  NOT NULL,
    sha256      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE outbox_media_chunks (
    outbox_id   BIGINT  NOT NULL REFERENCES outbox_media (outbox_id),
    seq         BIGINT  NOT NULL,
    bytes       BYTEA   NOT NULL,
    PRIMARY KEY (outbox_id, seq)
);
