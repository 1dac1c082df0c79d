-- The processing log's lookups by data subject and by trace are equality searches on random
-- values (a keyed hash, a random trace id); hash indexes serve them with one bucket probe per
-- insert instead of a B-tree descent comparing 64-character keys, and every processing writes
-- several entries (SubmitSignal: one per example customer plus the operation). Readers page by
-- id within the (small) set of one subject's or one trace's entries.
DROP INDEX ${schema}.processing_log_subject_idx;
CREATE INDEX processing_log_subject_idx ON ${schema}.processing_log USING hash (data_subject_id)
  WHERE data_subject_id IS NOT NULL;
DROP INDEX ${schema}.processing_log_trace_idx;
CREATE INDEX processing_log_trace_idx ON ${schema}.processing_log USING hash (trace_id);
