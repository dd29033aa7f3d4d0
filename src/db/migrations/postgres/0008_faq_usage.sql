-- How much each answer is used, for editors: anonymous daily totals per
-- entry and language. No number, no text and no conversation id, so the
-- rows are not personal data and stay when conversations are purged.
CREATE TABLE faq_usage (
    -- The day in the office's time zone, 'YYYY-MM-DD' (sorts as text).
    day           TEXT    NOT NULL,
    faq_id        TEXT    NOT NULL,
    language      TEXT    NOT NULL,
    -- How often the bot gave the answer that day.
    answered      BIGINT  NOT NULL DEFAULT 0,
    -- "Ja, bedankt" / "Nee" to "did this help?" that day.
    helpful       BIGINT  NOT NULL DEFAULT 0,
    not_helpful   BIGINT  NOT NULL DEFAULT 0,
    -- When the answer was last given that day (milliseconds since the
    -- epoch, UTC); NULL when only feedback was counted that day.
    last_used_at  BIGINT,
    PRIMARY KEY (day, faq_id, language)
);
CREATE INDEX faq_usage_by_entry ON faq_usage (faq_id, language);
