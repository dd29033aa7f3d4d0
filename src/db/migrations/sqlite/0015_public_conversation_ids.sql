-- Every conversation gets a random public id (issue 23): staff, the API,
-- the event stream, the urgent alert and the audit log name a
-- conversation by it, never by the integer key, which counts up and so
-- let anyone with a login guess a neighbour's thread. The integer stays
-- for joins. New conversations get theirs from the service
-- (`db::new_public_id`: 16 bytes from the OS's random source, in hex).
--
-- Conversations stored before this get 16 bytes of `randomblob`, in the
-- same lower-case hex form. SQLite's randomness is a ChaCha20 generator
-- seeded from the OS's random source (the bundled SQLite is 3.46), not
-- the OS source itself, but unpredictable to anyone outside this process;
-- and these ids are made once, here, for rows that already exist.
ALTER TABLE conversations ADD COLUMN public_id TEXT;
UPDATE conversations SET public_id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX conversations_by_public_id ON conversations (public_id);
-- SQLite cannot add NOT NULL to an existing table's column: a trigger
-- refuses a conversation without its id instead (one staff could never
-- open).
CREATE TRIGGER conversations_need_a_public_id BEFORE INSERT ON conversations
WHEN NEW.public_id IS NULL
BEGIN
    SELECT RAISE(ABORT, 'conversations.public_id is required');
END;

-- The audit log names a conversation by its public id (it is served to
-- admins and outlives the conversation). Entries written before get the
-- id of their conversation where it still exists; the integer column is
-- no longer written or served, and stays only for entries whose
-- conversation was purged before this migration.
ALTER TABLE audit_log ADD COLUMN conversation TEXT;
UPDATE audit_log
   SET conversation = (SELECT c.public_id FROM conversations c WHERE c.id = audit_log.conversation_id)
 WHERE conversation_id IS NOT NULL;
