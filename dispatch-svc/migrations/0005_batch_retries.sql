-- A batch whose generation failed (the deliveries volume full, analysis-svc away) waits before
-- it is tried again, longer after each failure (with jitter, capped): the generator claims only
-- batches whose next attempt is due. What the failed attempts learnt is kept with the batch:
-- how often it failed and why (a reason code, never personal data), and the bytes per item the
-- data file took, so that a retry checks the volume's free space before it reads (discloses)
-- the recipients again.
ALTER TABLE ${schema}.batches
  ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_time timestamptz,
  ADD COLUMN bytes_per_item integer NOT NULL DEFAULT 0,
  ADD COLUMN last_failure text NOT NULL DEFAULT '';
GRANT UPDATE (failed_attempts, next_attempt_time, bytes_per_item, last_failure) ON ${schema}.batches TO ${app_role};
