-- Read marks for the staff page's unread counts: the PostgreSQL twin of
-- migrations/sqlite/0019 (see there for why).
CREATE TABLE read_marks (
    conversation_id  BIGINT  NOT NULL REFERENCES conversations (id),
    username         TEXT    NOT NULL,
    last_inbound_id  BIGINT  NOT NULL,
    read_at          BIGINT  NOT NULL,
    PRIMARY KEY (conversation_id, username)
);
