-- Export of the processing log to the organisation's Logboek Dataverwerkingen (logboek.v1,
-- common/db/logbook_export.h).
--
-- The exporter must hand over every entry once, in order, although transactions commit in
-- another order than they insert (an entry with a lower id can become visible after one with
-- a higher id). So every row records the transaction that wrote it (its top-level xid, 64
-- bits, never wrapping), and the exporter reads only rows of transactions older than the
-- oldest one still running (pg_snapshot_xmin): those are final, committed or gone, and no
-- later row can ever sort before them. Its cursor is the last transaction fully handed over.
--
-- Existing rows read as transaction 0 (a constant default rewrites nothing); new rows get
-- their writer's xid. BRIN indexes: rows arrive in (nearly) transaction order, and the
-- exporter reads the newest ranges only.
ALTER TABLE ${schema}.processing_log ADD COLUMN tx bigint NOT NULL DEFAULT 0;
ALTER TABLE ${schema}.processing_log ALTER COLUMN tx SET DEFAULT CAST(CAST(pg_current_xact_id() AS text) AS bigint);
CREATE INDEX processing_log_tx_idx ON ${schema}.processing_log USING brin (tx) WITH (autosummarize = on);

ALTER TABLE ${schema}.processing_log_subjects ADD COLUMN tx bigint NOT NULL DEFAULT 0;
ALTER TABLE ${schema}.processing_log_subjects
  ALTER COLUMN tx SET DEFAULT CAST(CAST(pg_current_xact_id() AS text) AS bigint);
CREATE INDEX processing_log_subjects_tx_idx ON ${schema}.processing_log_subjects USING brin (tx)
  WITH (autosummarize = on);

-- The export cursor: every entry (and every subject row) written by a transaction up to
-- exported_tx has been accepted by the logbook. Absent until the service first exports; from
-- then on the retention purge keeps entries the logbook has not accepted yet.
CREATE TABLE ${schema}.processing_log_export (
  singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  exported_tx        bigint NOT NULL,
  exported_entries   bigint NOT NULL DEFAULT 0,   -- operations accepted so far (a count, for people)
  logbook            text NOT NULL,               -- where they went
  update_time        timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON ${schema}.processing_log_export TO ${app_role};

-- The oldest transaction still running: rows of transactions below it are final.
CREATE FUNCTION ${schema}.export_horizon() RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint) $$;
GRANT EXECUTE ON FUNCTION ${schema}.export_horizon() TO ${app_role};

-- The retention purge now also keeps what the logbook has not accepted yet (when the service
-- exports at all): an entry goes only when it and every subject row of it are at or below the
-- cursor. Entries held back this way wait for the logbook, however long it is away.
CREATE OR REPLACE FUNCTION ${schema}.purge_processing_log(cutoff timestamptz, max_rows integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  removed bigint;
  exported bigint;
BEGIN
  IF cutoff > now() - (SELECT minimum_retention FROM ${schema}.processing_log_policy) THEN
    RAISE EXCEPTION 'cutoff % is inside the processing-log retention floor', cutoff
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT exported_tx INTO exported FROM ${schema}.processing_log_export;
  WITH gone AS (
    DELETE FROM ${schema}.processing_log
     WHERE id IN (SELECT p.id FROM ${schema}.processing_log p
                   WHERE p.end_time < cutoff
                     AND (exported IS NULL OR (p.tx <= exported AND NOT EXISTS (
                           SELECT 1 FROM ${schema}.processing_log_subjects s
                            WHERE s.entry_id = p.id AND s.tx > exported)))
                   LIMIT max_rows)
    RETURNING id
  ), subjects AS (
    DELETE FROM ${schema}.processing_log_subjects WHERE entry_id IN (SELECT id FROM gone)
  )
  SELECT count(*) INTO removed FROM gone;
  RETURN removed;
END $$;

-- How many expired entries the purge keeps back for the logbook (for its report).
CREATE FUNCTION ${schema}.processing_log_held_for_export(cutoff timestamptz) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT count(*) FROM ${schema}.processing_log p, ${schema}.processing_log_export e
   WHERE p.end_time < cutoff
     AND (p.tx > e.exported_tx OR EXISTS (
           SELECT 1 FROM ${schema}.processing_log_subjects s WHERE s.entry_id = p.id AND s.tx > e.exported_tx))
$$;
REVOKE ALL ON FUNCTION ${schema}.processing_log_held_for_export(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${schema}.processing_log_held_for_export(timestamptz) TO ${app_role};
