-- The citizen's WhatsApp profile name (issue 22, "Context, audited"), as
-- Meta sent it with each message, cleaned for display. Staff see the
-- latest one after the audited reveal; it is personal data, so it lives on
-- the message row and `purge` and `forget` delete it with the message.
-- NULL: none sent, or `[privacy] keep_profile_name = false`.
ALTER TABLE inbound_messages ADD COLUMN profile_name TEXT;
