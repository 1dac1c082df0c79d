-- Processing log (Logboek Dataverwerkingen, Logius standard): one row per span. A processing of
-- personal data writes one operation row and one child row per data subject, in the same
-- transaction as the processing itself.
--
-- Append-only: the service role may insert and read, never update or delete. The triggers
-- below stop updates always, and deletes of rows younger than the log retention floor even for
-- the owner; expired rows go only through purge_processing_log(), which checks that floor.

-- The runtime role gets exactly the privileges it uses, table by table (no default
-- privileges: a new table grants nothing until its migration says so).
GRANT USAGE ON SCHEMA ${schema} TO ${app_role};

CREATE TABLE ${schema}.processing_log (
  id                          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  trace_id                    bytea NOT NULL CHECK (length(trace_id) = 16),
  span_id                     bytea NOT NULL CHECK (length(span_id) = 8),
  parent_span_id              bytea CHECK (parent_span_id IS NULL OR length(parent_span_id) = 8),
  name                        text NOT NULL,
  status                      smallint NOT NULL CHECK (status IN (0, 1, 2)),
  start_time                  timestamptz NOT NULL,
  end_time                    timestamptz NOT NULL,
  resource                    text NOT NULL,
  processing_activity_id      text NOT NULL,
  legal_basis                 text NOT NULL,
  data_subject_id             text,       -- HMAC-SHA256 hex of the BSN, never the BSN
  data_subject_id_type        text,
  foreign_operation_span_id   bytea,
  foreign_operation_processor text,
  actor                       text NOT NULL,
  attributes                  jsonb NOT NULL DEFAULT '{}'::jsonb,
  CHECK ((data_subject_id IS NULL) = (data_subject_id_type IS NULL))
);
CREATE INDEX processing_log_subject_idx ON ${schema}.processing_log (data_subject_id, id)
  WHERE data_subject_id IS NOT NULL;
CREATE INDEX processing_log_trace_idx ON ${schema}.processing_log (trace_id, id);
-- Rows arrive in end_time order, so a BRIN index serves the retention purge at almost no
-- cost per insert (a B-tree here would be one more index update for every entry).
CREATE INDEX processing_log_end_time_idx ON ${schema}.processing_log USING brin (end_time);

GRANT SELECT, INSERT ON ${schema}.processing_log TO ${app_role};

-- The shortest retention any configuration may ask for; rows younger than this are never deleted.
CREATE TABLE ${schema}.processing_log_policy (
  singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  minimum_retention interval NOT NULL
);
INSERT INTO ${schema}.processing_log_policy (minimum_retention) VALUES (interval '1 year');
GRANT SELECT ON ${schema}.processing_log_policy TO ${app_role};

CREATE FUNCTION ${schema}.processing_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'TRUNCATE') THEN
    RAISE EXCEPTION 'processing log entries cannot be changed' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.end_time > now() - (SELECT minimum_retention FROM ${schema}.processing_log_policy) THEN
    RAISE EXCEPTION 'processing log entries younger than the retention floor cannot be deleted'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER processing_log_no_update BEFORE UPDATE ON ${schema}.processing_log
  FOR EACH ROW EXECUTE FUNCTION ${schema}.processing_log_guard();
CREATE TRIGGER processing_log_delete_guard BEFORE DELETE ON ${schema}.processing_log
  FOR EACH ROW EXECUTE FUNCTION ${schema}.processing_log_guard();
CREATE TRIGGER processing_log_no_truncate BEFORE TRUNCATE ON ${schema}.processing_log
  FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.processing_log_guard();

-- Deletes at most `max_rows` entries that ended before `cutoff` (callers repeat until fewer
-- come back, so a backlog never becomes one huge statement); refuses a cutoff inside the
-- retention floor. Runs with the owner's rights: the service role has no DELETE privilege.
CREATE FUNCTION ${schema}.purge_processing_log(cutoff timestamptz, max_rows integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  removed bigint;
BEGIN
  IF cutoff > now() - (SELECT minimum_retention FROM ${schema}.processing_log_policy) THEN
    RAISE EXCEPTION 'cutoff % is inside the processing-log retention floor', cutoff
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM ${schema}.processing_log
   WHERE id IN (SELECT id FROM ${schema}.processing_log WHERE end_time < cutoff LIMIT max_rows);
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END $$;
REVOKE ALL ON FUNCTION ${schema}.purge_processing_log(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${schema}.purge_processing_log(timestamptz, integer) TO ${app_role};
