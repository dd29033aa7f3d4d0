-- Context for staff (issue 22, "Context, audited"): internal notes on a
-- conversation, the topic a thread was passed to, and finding closed
-- threads by date.

-- Staff's internal notes: never sent to the citizen. They hang off the
-- conversation, so `purge` and `forget` delete them with it. `body` is
-- free text written by staff (it may name the citizen), so it lives only
-- as long as the conversation does.
CREATE TABLE conversation_notes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id  INTEGER NOT NULL REFERENCES conversations (id),
    at               INTEGER NOT NULL,
    -- 'staff:<username>', as conversation_events.actor.
    author           TEXT    NOT NULL,
    body             TEXT    NOT NULL
);
CREATE INDEX conversation_notes_by_conversation ON conversation_notes (conversation_id, id);

-- The topic (team) a thread was passed to and waits for in the queue;
-- NULL when it was never passed to one.
ALTER TABLE conversations ADD COLUMN queue_topic TEXT;

-- The staff page's search of closed threads by date.
CREATE INDEX conversations_closed_at ON conversations (closed_at) WHERE state = 'closed';
