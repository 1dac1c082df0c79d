-- What the processing-log purge would remove, for `--purge --dry-run`: the entries past a
-- cutoff that purge_processing_log() takes, chosen by one function that both use, so that the
-- count a dry run reports is what the purge then removes (the logbook permitting meanwhile).
-- An entry is taken when it ended before the cutoff, no other entry references its subjects,
-- and the logbook has accepted it, its subject rows and its references (or the export is off).

-- A cutoff inside the retention floor is refused, by both, before anything else (not left to
-- the planner: a DELETE over an empty table need not run its subquery at all).
CREATE OR REPLACE FUNCTION ${schema}.processing_log_check_cutoff(cutoff timestamptz) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF cutoff > now() - (SELECT minimum_retention FROM ${schema}.processing_log_policy) THEN
    RAISE EXCEPTION 'cutoff % is inside the processing-log retention floor', cutoff
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
REVOKE ALL ON FUNCTION ${schema}.processing_log_check_cutoff(timestamptz) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ${schema}.processing_log_purgeable(cutoff timestamptz) RETURNS SETOF bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  exported bigint;
BEGIN
  PERFORM ${schema}.processing_log_check_cutoff(cutoff);
  SELECT exported_tx INTO exported FROM ${schema}.processing_log_export;
  RETURN QUERY
    SELECT p.id FROM ${schema}.processing_log p
     WHERE p.end_time < cutoff
       AND NOT EXISTS (SELECT 1 FROM ${schema}.processing_log_subject_refs r WHERE r.source_entry_id = p.id)
       AND (exported IS NULL OR (p.tx <= exported
            AND NOT EXISTS (SELECT 1 FROM ${schema}.processing_log_subjects s
                             WHERE s.entry_id = p.id AND s.tx > exported)
            AND NOT EXISTS (SELECT 1 FROM ${schema}.processing_log_subject_refs r
                             WHERE r.entry_id = p.id AND r.tx > exported)));
END $$;
REVOKE ALL ON FUNCTION ${schema}.processing_log_purgeable(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${schema}.processing_log_purgeable(timestamptz) TO ${app_role};

-- The purge itself (as in 0010), now taking its entries from processing_log_purgeable().
CREATE OR REPLACE FUNCTION ${schema}.purge_processing_log(cutoff timestamptz, max_rows integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  removed bigint;
BEGIN
  PERFORM ${schema}.processing_log_check_cutoff(cutoff);
  WITH gone AS (
    DELETE FROM ${schema}.processing_log
     WHERE id IN (SELECT id FROM ${schema}.processing_log_purgeable(cutoff) AS id LIMIT max_rows)
    RETURNING id
  ), subjects AS (
    DELETE FROM ${schema}.processing_log_subjects WHERE entry_id IN (SELECT id FROM gone)
  ), refs AS (
    DELETE FROM ${schema}.processing_log_subject_refs WHERE entry_id IN (SELECT id FROM gone)
  )
  SELECT count(*) INTO removed FROM gone;
  RETURN removed;
END $$;
