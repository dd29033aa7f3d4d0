-- Several senders share the outbox (instances on PostgreSQL; the same
-- schema on SQLite): a sender leases the rows it takes until this moment
-- (milliseconds since the epoch); rows of a sender that died are taken
-- again once the lease has run out.
ALTER TABLE outbox ADD COLUMN leased_until INTEGER;
