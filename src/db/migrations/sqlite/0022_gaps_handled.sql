-- The kennisbank page's "handled" mark on unanswered questions (issue 22,
-- section 6): who marked the question's group as handled, and when. The
-- mark sits on each question of the group, so it is deleted with the
-- question (retention, forget) and follows it when groups are formed
-- anew; a question asked after the mark has none and reopens the group.
ALTER TABLE knowledge_gaps ADD COLUMN handled_at INTEGER;
-- The editor's account name.
ALTER TABLE knowledge_gaps ADD COLUMN handled_by TEXT;
