-- Why and when a conversation was handed to a person (the queue builds on it).
ALTER TABLE conversations ADD COLUMN queue_reason TEXT;
ALTER TABLE conversations ADD COLUMN queued_at BIGINT;
