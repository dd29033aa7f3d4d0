-- Every conversation gets a random public id (see the SQLite migration of
-- the same number for why). New conversations get theirs from the
-- service (`db::new_public_id`: 16 bytes from the OS's random source, in
-- lower-case hex).
--
-- Conversations stored before this get one here, in the same form and
-- from a cryptographically strong source: `gen_random_uuid()` (core since
-- PostgreSQL 13) draws from pg_strong_random, the OS's or OpenSSL's
-- generator. One UUID holds only 122 random bits and has fixed version
-- digits, so two of them go through SHA-256 (core since 11) and the first
-- 16 bytes are kept: 128 bits, no fixed digits. Not `random()` or md5 of
-- the clock (predictable), and not pgcrypto's `gen_random_bytes` (an
-- extension the service's database role may not be allowed to create).
-- Filling them from the service at startup instead would leave rows
-- without an id, and the column could not be NOT NULL.
ALTER TABLE conversations ADD COLUMN public_id TEXT;
UPDATE conversations
   SET public_id = encode(substring(sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())) FROM 1 FOR 16), 'hex');
ALTER TABLE conversations ALTER COLUMN public_id SET NOT NULL;
ALTER TABLE conversations ADD CONSTRAINT conversations_public_id_unique UNIQUE (public_id);

-- The audit log names a conversation by its public id (see the SQLite
-- migration of the same number).
ALTER TABLE audit_log ADD COLUMN conversation TEXT;
UPDATE audit_log
   SET conversation = (SELECT c.public_id FROM conversations c WHERE c.id = audit_log.conversation_id)
 WHERE conversation_id IS NOT NULL;
