-- Anonymous daily figures for the team lead's report. They outlive the
-- conversations (the retention purge leaves them alone) and hold no
-- personal data: a day, a channel and counts. No numbers, no text, no
-- conversation ids.

-- Counters per day the conversations started (Amsterdam date, 'YYYY-MM-DD')
-- and channel.
CREATE TABLE report_days (
    day              TEXT    NOT NULL,
    channel          TEXT    NOT NULL,
    contacts         INTEGER NOT NULL DEFAULT 0,
    outside_hours    INTEGER NOT NULL DEFAULT 0,
    bot_one_go       INTEGER NOT NULL DEFAULT 0,
    bot_exchange     INTEGER NOT NULL DEFAULT 0,
    handed_over      INTEGER NOT NULL DEFAULT 0,
    in_progress      INTEGER NOT NULL DEFAULT 0,
    deadline_due     INTEGER NOT NULL DEFAULT 0,
    deadline_met     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel)
);

-- Durations in whole seconds, counted: medians and p90s of a week come from
-- the week's own durations, which daily medians could not give.
CREATE TABLE report_durations (
    day              TEXT    NOT NULL,
    channel          TEXT    NOT NULL,
    metric           TEXT    NOT NULL CHECK (metric IN ('first_reply', 'handling')),
    seconds          INTEGER NOT NULL,
    count            INTEGER NOT NULL,
    PRIMARY KEY (day, channel, metric, seconds)
);

-- Topics given at close (masked, lower case), counted.
CREATE TABLE report_topics (
    day              TEXT    NOT NULL,
    channel          TEXT    NOT NULL,
    topic            TEXT    NOT NULL,
    count            INTEGER NOT NULL,
    PRIMARY KEY (day, channel, topic)
);

-- What the conversation last added to the figures (JSON of
-- report::rollup::Entry), so a later rollup replaces it instead of adding
-- it again. Deleted with the conversation.
ALTER TABLE conversations ADD COLUMN report_entry TEXT;
