-- Bulk disclosures (a recipient list streamed to dispatch): one processing-log entry for the
-- operation, and its data subjects here, one narrow row each, written chunk by chunk before
-- the chunk is sent. ListBySubject returns such a row as an entry of its own (the operation's
-- entry with this data subject), so every subject of a disclosure can be found; writing half a
-- million subjects costs one narrow row and one hash-index entry each, instead of a full log
-- row with three index entries.
--
-- Append-only like the log: no UPDATE or TRUNCATE for anyone; rows leave only with their
-- entry, through purge_processing_log().
CREATE TABLE ${schema}.processing_log_subjects (
  entry_id        bigint NOT NULL,  -- processing_log.id of the operation (no FK: one check per row)
  data_subject_id text NOT NULL     -- HMAC-SHA256 hex of the BSN, as processing_log.data_subject_id
);
CREATE INDEX processing_log_subjects_subject_idx ON ${schema}.processing_log_subjects USING hash (data_subject_id);
CREATE INDEX processing_log_subjects_entry_idx ON ${schema}.processing_log_subjects USING brin (entry_id);
GRANT SELECT, INSERT ON ${schema}.processing_log_subjects TO ${app_role};

CREATE FUNCTION ${schema}.processing_log_subjects_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'processing log subjects cannot be changed' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER processing_log_subjects_no_update BEFORE UPDATE ON ${schema}.processing_log_subjects
  FOR EACH ROW EXECUTE FUNCTION ${schema}.processing_log_subjects_guard();
CREATE TRIGGER processing_log_subjects_no_truncate BEFORE TRUNCATE ON ${schema}.processing_log_subjects
  FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.processing_log_subjects_guard();

-- The purge now takes the subjects of the entries it removes along.
CREATE OR REPLACE FUNCTION ${schema}.purge_processing_log(cutoff timestamptz, max_rows integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  removed bigint;
BEGIN
  IF cutoff > now() - (SELECT minimum_retention FROM ${schema}.processing_log_policy) THEN
    RAISE EXCEPTION 'cutoff % is inside the processing-log retention floor', cutoff
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WITH gone AS (
    DELETE FROM ${schema}.processing_log
     WHERE id IN (SELECT id FROM ${schema}.processing_log WHERE end_time < cutoff LIMIT max_rows)
    RETURNING id
  ), subjects AS (
    DELETE FROM ${schema}.processing_log_subjects WHERE entry_id IN (SELECT id FROM gone)
  )
  SELECT count(*) INTO removed FROM gone;
  RETURN removed;
END $$;
