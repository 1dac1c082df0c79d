-- Erasure at the person's request (GDPR art. 17, DataSubjectService.EraseSubjectData).
--
-- Tombstones: who was erased, so that a later import does not bring them back (the rows are
-- skipped and counted). Keyed by a keyed hash of the BSN under analysis-svc's pseudonym key
-- (not the processing log's: outside the log, nothing may match the person's log id), with the
-- day. No BSN.
CREATE TABLE ${schema}.tombstones (
  subject_key text PRIMARY KEY CHECK (subject_key ~ '^[0-9a-f]{64}$'),
  reason      smallint NOT NULL CHECK (reason IN (1)),  -- 1 erased at the person's request
  removed_on  date NOT NULL
);
GRANT SELECT, INSERT ON ${schema}.tombstones TO ${app_role};

-- A target-group definition that names the person (customer_in) loses their BSN.
GRANT UPDATE (definition) ON ${schema}.target_group_sets TO ${app_role};

-- Rows an import skipped because of a tombstone (neither loaded nor rejected).
ALTER TABLE ${schema}.dataset_versions ADD COLUMN rows_skipped bigint NOT NULL DEFAULT 0;
GRANT UPDATE (rows_skipped) ON ${schema}.dataset_versions TO ${app_role};

-- One customer out of every version table still present (customers, relations, mailings,
-- contact reports), and a new snapshot (cause 'erasure') so that every replica rebuilds without
-- them. Owner's rights, as purge_customers: the runtime role cannot delete from version tables.
-- Returns the rows removed per data set: {customers, relations, mailings, contact_reports}; with
-- p_dry_run, the rows that would be, and nothing changes.
CREATE FUNCTION ${schema}.erase_customer(p_bsn integer, p_dry_run boolean) RETURNS bigint[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  r record;
  cur ${schema}.snapshots%ROWTYPE;
  n bigint;
  counts bigint[] := ARRAY[0, 0, 0, 0]::bigint[];
  slot integer;
BEGIN
  IF NOT p_dry_run THEN
    LOCK TABLE ${schema}.snapshots IN SHARE ROW EXCLUSIVE MODE;
  END IF;
  FOR r IN SELECT id, dataset FROM ${schema}.dataset_versions WHERE status <> 'dropped' LOOP
    IF p_dry_run THEN
      EXECUTE format('SELECT count(*) FROM ${schema}.%I WHERE %I = $1', r.dataset || '_v' || r.id,
                     CASE WHEN r.dataset = 'customers' THEN 'bsn' ELSE 'customer_bsn' END) INTO n USING p_bsn;
    ELSE
      EXECUTE format('DELETE FROM ${schema}.%I WHERE %I = $1', r.dataset || '_v' || r.id,
                     CASE WHEN r.dataset = 'customers' THEN 'bsn' ELSE 'customer_bsn' END) USING p_bsn;
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    slot := array_position(ARRAY['customers', 'relations', 'mailings', 'contact_reports'], r.dataset);
    counts[slot] := counts[slot] + n;
  END LOOP;
  IF p_dry_run THEN
    RETURN counts;
  END IF;
  SELECT * INTO cur FROM ${schema}.snapshots ORDER BY version DESC LIMIT 1;
  IF FOUND AND counts <> ARRAY[0, 0, 0, 0]::bigint[] THEN
    INSERT INTO ${schema}.snapshots (customers_version, relations_version, mailings_version, contact_reports_version,
                                     cause)
    VALUES (cur.customers_version, cur.relations_version, cur.mailings_version, cur.contact_reports_version, 'erasure');
  END IF;
  RETURN counts;
END $$;
REVOKE ALL ON FUNCTION ${schema}.erase_customer(integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${schema}.erase_customer(integer, boolean) TO ${app_role};
