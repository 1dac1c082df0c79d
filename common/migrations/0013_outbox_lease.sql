-- The outbox relay holds no database connection during its remote call (common/db/outbox.h):
-- a claim leases the message to one delivery, named by this token, until next_attempt_time; the
-- delivery settles the message only while the token is still its own. NULL: not leased.
ALTER TABLE ${schema}.outbox ADD COLUMN lease_token text;
