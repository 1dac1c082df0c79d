-- Data subjects by reference: a processing whose subjects are exactly those of an earlier entry
-- of the same log (a response measurement of frozen lists: the freeze logged every member of
-- both lists as subject rows) records one reference to that entry instead of copying half a
-- million subject rows again. Read through processing_log_all_subjects, a referenced subject is
-- a subject of the referencing entry like one of its own rows: ListBySubject finds it, the
-- export sends it as an operation of its own, the counts include it.
--
-- The foreign keys keep the referenced entry while a reference to it exists: the purge skips
-- it until the referencing entry (always the later one) goes, and a reference to an entry the
-- purge removes at that moment fails instead of pointing at nothing.
-- Append-only like the log: rows leave only with their entry, through purge_processing_log().
CREATE TABLE ${schema}.processing_log_subject_refs (
  entry_id        bigint NOT NULL REFERENCES ${schema}.processing_log (id),
  source_entry_id bigint NOT NULL REFERENCES ${schema}.processing_log (id),
  tx              bigint NOT NULL DEFAULT CAST(CAST(pg_current_xact_id() AS text) AS bigint),
  PRIMARY KEY (entry_id, source_entry_id)
);
CREATE INDEX processing_log_subject_refs_source_idx ON ${schema}.processing_log_subject_refs (source_entry_id);
CREATE INDEX processing_log_subject_refs_tx_idx ON ${schema}.processing_log_subject_refs USING brin (tx)
  WITH (autosummarize = on);
GRANT SELECT, INSERT ON ${schema}.processing_log_subject_refs TO ${app_role};

CREATE TRIGGER processing_log_subject_refs_no_update BEFORE UPDATE ON ${schema}.processing_log_subject_refs
  FOR EACH ROW EXECUTE FUNCTION ${schema}.processing_log_subjects_guard();
CREATE TRIGGER processing_log_subject_refs_no_truncate BEFORE TRUNCATE ON ${schema}.processing_log_subject_refs
  FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.processing_log_subjects_guard();

-- Every subject row of every entry: its own, and those it references (written by the
-- referencing transaction, tx, as far as the export is concerned).
CREATE VIEW ${schema}.processing_log_all_subjects AS
  SELECT entry_id, data_subject_id, addressee, tx FROM ${schema}.processing_log_subjects
  UNION ALL
  SELECT r.entry_id, s.data_subject_id, NULL::text, r.tx
    FROM ${schema}.processing_log_subject_refs r
    JOIN ${schema}.processing_log_subjects s ON s.entry_id = r.source_entry_id;
GRANT SELECT ON ${schema}.processing_log_all_subjects TO ${app_role};

-- The purge takes an entry's references along, and keeps an entry that is still referenced or
-- whose references the logbook has not accepted yet.
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
                     AND NOT EXISTS (SELECT 1 FROM ${schema}.processing_log_subject_refs r
                                      WHERE r.source_entry_id = p.id)
                     AND (exported IS NULL OR (p.tx <= exported AND NOT EXISTS (
                           SELECT 1 FROM ${schema}.processing_log_subjects s
                            WHERE s.entry_id = p.id AND s.tx > exported) AND NOT EXISTS (
                           SELECT 1 FROM ${schema}.processing_log_subject_refs r
                            WHERE r.entry_id = p.id AND r.tx > exported)))
                   LIMIT max_rows)
    RETURNING id
  ), subjects AS (
    DELETE FROM ${schema}.processing_log_subjects WHERE entry_id IN (SELECT id FROM gone)
  ), refs AS (
    DELETE FROM ${schema}.processing_log_subject_refs WHERE entry_id IN (SELECT id FROM gone)
  )
  SELECT count(*) INTO removed FROM gone;
  RETURN removed;
END $$;

CREATE OR REPLACE FUNCTION ${schema}.processing_log_held_for_export(cutoff timestamptz) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT count(*) FROM ${schema}.processing_log p, ${schema}.processing_log_export e
   WHERE p.end_time < cutoff
     AND (p.tx > e.exported_tx
          OR EXISTS (SELECT 1 FROM ${schema}.processing_log_subjects s
                      WHERE s.entry_id = p.id AND s.tx > e.exported_tx)
          OR EXISTS (SELECT 1 FROM ${schema}.processing_log_subject_refs r
                      WHERE r.entry_id = p.id AND r.tx > e.exported_tx))
$$;
