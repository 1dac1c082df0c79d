-- Retention that stays done (DESIGN.md 4.6): the retention purge leaves a tombstone too, so a
-- later import does not bring back a customer the source still lists as inactive since before
-- the purge. Unlike an erasure's, it gives way to activity after the purge: a row that shows the
-- customer active, or inactive since a day after the tombstone's, is loaded again.
ALTER TABLE ${schema}.tombstones DROP CONSTRAINT tombstones_reason_check;
ALTER TABLE ${schema}.tombstones ADD CONSTRAINT tombstones_reason_check CHECK (reason IN (1, 2));
-- (1 erased at the person's request, 2 removed at the end of the retention period)
-- A customer purged again after coming back gets the later date; an erasure replaces a
-- retention tombstone; an erasure's tombstone stays as it is.
GRANT UPDATE (reason, removed_on) ON ${schema}.tombstones TO ${app_role};

-- Skipped rows per reason ({"ERASED": n, "PAST_RETENTION": m}); rows_skipped stays their sum.
ALTER TABLE ${schema}.dataset_versions ADD COLUMN skipped jsonb NOT NULL DEFAULT '{}';
GRANT UPDATE (skipped) ON ${schema}.dataset_versions TO ${app_role};

-- The removal feed (privacy/v1/subject_removal_service.proto, read by intake-svc and
-- dispatch-svc): the child entries (one per person) of the retention purge's and the erasure's
-- entries, in the order of their transactions.
CREATE INDEX processing_log_removals_idx ON ${schema}.processing_log (tx, id)
  WHERE name IN ('analysis.PurgeInactiveCustomers', 'analysis.EraseCustomer') AND data_subject_id IS NOT NULL;
