-- The client address of an audit entry (see migrations/sqlite/0010).
ALTER TABLE audit_log ADD COLUMN client TEXT;
