-- The flood rule counts a citizen's messages by WhatsApp's timestamp
-- (sent_at), not by arrival: the indexes of 0005 follow.
DROP INDEX inbound_by_wa_id;
DROP INDEX inbound_by_user_id;
CREATE INDEX inbound_by_wa_id ON inbound_messages (wa_id, sent_at);
CREATE INDEX inbound_by_user_id ON inbound_messages (user_id, sent_at);
