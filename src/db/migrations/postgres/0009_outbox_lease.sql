-- Several instances share the outbox: a sender leases the rows it takes
-- until this moment (milliseconds); rows of an instance that died are taken
-- again once the lease has run out.
ALTER TABLE outbox ADD COLUMN leased_until BIGINT;
