-- Read marks for the staff page's unread counts (issue 22): how far each
-- staff member has read each conversation, kept on the server so the
-- count holds across tabs, devices and reloads. One row per staff member
-- and conversation, moved on when they open the thread (or a message
-- arrives while it is open in view). It hangs off the conversation, so
-- `purge` and `forget` delete it with the conversation. It holds no
-- message content.
CREATE TABLE read_marks (
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id),
    -- The staff member's user name (as conversations.claimed_by).
    username         TEXT    NOT NULL,
    -- The last citizen message (inbound_messages.id) they had seen; later
    -- ones of the conversation are unread for them.
    last_inbound_id  INTEGER NOT NULL,
    read_at          INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, username)
);
