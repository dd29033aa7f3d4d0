-- Who did what, for admins: logins, claims, replies, transfers, reveals,
-- purges, forgets. No message content and no citizen numbers; kept longer
-- than conversations ([privacy] audit_retention).
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,
    -- 'staff:<username>', 'system' or 'cli'.
    actor            TEXT    NOT NULL,
    action           TEXT    NOT NULL,
    conversation_id  INTEGER,
    detail           TEXT
);
CREATE INDEX audit_log_by_at ON audit_log (at);
