-- Per-number rate of automatic replies: messages per citizen per minute.
CREATE INDEX inbound_by_wa_id ON inbound_messages (wa_id, received_at);
CREATE INDEX inbound_by_user_id ON inbound_messages (user_id, received_at);
