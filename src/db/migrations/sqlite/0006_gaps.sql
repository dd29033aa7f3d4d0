-- Questions the bot could not answer (or whose answer got "Nee"), for the
-- editors' knowledge-gap list. Personal data is masked before storing; the
-- rows are purged with the conversations ([privacy] retention).
CREATE TABLE knowledge_gaps (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,
    -- 'abstained' or 'feedback_no'.
    reason           TEXT    NOT NULL,
    language         TEXT    NOT NULL,
    question         TEXT    NOT NULL,
    nearest_faq      TEXT,
    nearest_score    REAL
);
CREATE INDEX knowledge_gaps_by_at ON knowledge_gaps (at);
