-- The client address of an audit entry made over HTTP: the TCP peer, or
-- behind a trusted proxy the address it forwards (web::client). NULL for
-- the command line and the service's own work.
ALTER TABLE audit_log ADD COLUMN client TEXT;
