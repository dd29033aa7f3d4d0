-- The audit log keeps no free text (issue 23). Entries written before:
-- a close kept the topic as typed, which could hold a BSN or a name, and
-- a failed login kept the typed name, which could be a password typed
-- into the wrong field. The topic goes (the anonymous report keeps it,
-- masked); a typed name that is no account's becomes '(unknown)'.
UPDATE audit_log SET detail = NULL WHERE action = 'close';
UPDATE audit_log SET actor = 'login:(unknown)'
 WHERE action IN ('login_failed', 'login_throttled')
   AND substr(actor, 7) NOT IN (SELECT username FROM staff_users);
-- Failed logins are counted by name for 15 minutes; a name that cannot
-- be an account's is no longer counted, and one stored before goes.
DELETE FROM login_failures WHERE length(username) > 40;
