-- The "handled" mark on unanswered questions (see migrations/sqlite/0022).
ALTER TABLE knowledge_gaps ADD COLUMN handled_at BIGINT;
ALTER TABLE knowledge_gaps ADD COLUMN handled_by TEXT;
