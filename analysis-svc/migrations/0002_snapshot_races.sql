-- Closes three races of the snapshot functions (0001), keeps version tables out of
-- insert-triggered autovacuum, and keeps the owner's functions to the runtime role only.
--
-- 1. create_dataset_version() takes the importer's advisory lock itself: between the version's
--    commit and a separate lock call, a collector could take the version for a dead import.
-- 2. collect_dataset_versions() re-checks a loading version's status under its row lock before
--    dropping it: the importer may have published (and released its lock) since the loop read
--    the row.
-- 4. finish_dataset_version() turns off insert-triggered autovacuum on the version table: it
--    is immutable, read only whole, so vacuuming millions of just-loaded rows buys nothing and
--    competes with the next requests for the same cores (anti-wraparound vacuum still runs,
--    and a purge's deletes still trigger the normal one).
-- 3. purge_customers() decides who is past retention itself, on the current customers version,
--    under the snapshot lock: given a list read earlier, it could remove customers whom a newer
--    import shows active again. It returns the BSNs it removed (for the processing log).

CREATE OR REPLACE FUNCTION ${schema}.create_dataset_version(p_dataset text, p_source text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v bigint;
  t text;
BEGIN
  INSERT INTO ${schema}.dataset_versions (dataset, status, source) VALUES (p_dataset, 'loading', p_source)
    RETURNING id INTO v;
  -- A session lock: held by the caller's connection until it unlocks or disconnects.
  PERFORM pg_advisory_lock(7624, v::integer);
  t := p_dataset || '_v' || v;
  EXECUTE format('CREATE TABLE ${schema}.%I (LIKE ${schema}.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', t, p_dataset);
  EXECUTE format('GRANT SELECT, INSERT ON ${schema}.%I TO ${app_role}', t);
  RETURN v;
END $$;

CREATE OR REPLACE FUNCTION ${schema}.collect_dataset_versions(p_keep integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  r record;
  d text;
  dropped integer := 0;
BEGIN
  FOR r IN SELECT id, dataset, status FROM ${schema}.dataset_versions WHERE status IN ('loading', 'ready', 'published')
           ORDER BY id LOOP
    IF r.status IN ('loading', 'ready') THEN
      IF NOT pg_try_advisory_xact_lock(7624, r.id::integer) THEN
        CONTINUE;  -- its importer is still working
      END IF;
      -- Still unpublished? (publish_dataset_version locks the same row.)
      UPDATE ${schema}.dataset_versions SET status = 'dropped'
       WHERE id = r.id AND status IN ('loading', 'ready') RETURNING dataset INTO d;
      IF d IS NULL THEN
        CONTINUE;
      END IF;
    ELSE
      -- A published version leaves the latest snapshots only for good: new snapshots copy the
      -- latest one's versions.
      IF EXISTS (SELECT 1 FROM (SELECT * FROM ${schema}.snapshots ORDER BY version DESC LIMIT p_keep) s
                  WHERE r.id IN (s.customers_version, s.relations_version, s.mailings_version,
                                 s.contact_reports_version)) THEN
        CONTINUE;
      END IF;
      UPDATE ${schema}.dataset_versions SET status = 'dropped' WHERE id = r.id;
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS ${schema}.%I', r.dataset || '_v' || r.id);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;

CREATE OR REPLACE FUNCTION ${schema}.finish_dataset_version(p_version bigint, p_rows_read bigint,
                                                            p_rows_loaded bigint, p_rows_rejected bigint,
                                                            p_errors jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  d text;
  t text;
  stmt text;
BEGIN
  SELECT dataset INTO d FROM ${schema}.dataset_versions WHERE id = p_version AND status = 'loading' FOR UPDATE;
  IF d IS NULL THEN
    RAISE EXCEPTION 'dataset version % is not loading', p_version USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  t := d || '_v' || p_version;
  EXECUTE format('REVOKE INSERT ON ${schema}.%I FROM ${app_role}', t);
  EXECUTE format('ALTER TABLE ${schema}.%I SET (autovacuum_vacuum_insert_threshold = -1)', t);
  FOREACH stmt IN ARRAY ${schema}.dataset_indexes(d, t) LOOP
    EXECUTE stmt;
  END LOOP;
  UPDATE ${schema}.dataset_versions
     SET status = 'ready', rows_read = p_rows_read, rows_loaded = p_rows_loaded, rows_rejected = p_rows_rejected,
         errors = p_errors
   WHERE id = p_version;
END $$;

DROP FUNCTION ${schema}.purge_customers(integer[]);

-- Retention purge (DESIGN.md 4.6): customers of the current snapshot inactive since before
-- p_cutoff, with their relations, mailings and contact reports, from every version table still
-- present; a new snapshot (cause 'purge') makes every replica rebuild without them.
CREATE FUNCTION ${schema}.purge_customers(p_cutoff date) RETURNS integer[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  r record;
  cur ${schema}.snapshots%ROWTYPE;
  bsns integer[];
BEGIN
  IF p_cutoff > current_date - 365 THEN
    RAISE EXCEPTION 'cutoff % is inside the minimum customer retention of a year', p_cutoff
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  LOCK TABLE ${schema}.snapshots IN SHARE ROW EXCLUSIVE MODE;
  SELECT * INTO cur FROM ${schema}.snapshots ORDER BY version DESC LIMIT 1;
  IF NOT FOUND OR cur.customers_version IS NULL THEN
    RETURN ARRAY[]::integer[];
  END IF;
  EXECUTE format('SELECT coalesce(array_agg(bsn ORDER BY bsn), ARRAY[]::integer[]) FROM ${schema}.%I'
                 ' WHERE NOT active AND inactive_since < $1', 'customers_v' || cur.customers_version)
    INTO bsns USING p_cutoff;
  IF cardinality(bsns) = 0 THEN
    RETURN bsns;
  END IF;
  FOR r IN SELECT id, dataset FROM ${schema}.dataset_versions WHERE status <> 'dropped' LOOP
    EXECUTE format('DELETE FROM ${schema}.%I WHERE %I = ANY($1)', r.dataset || '_v' || r.id,
                   CASE WHEN r.dataset = 'customers' THEN 'bsn' ELSE 'customer_bsn' END) USING bsns;
  END LOOP;
  INSERT INTO ${schema}.snapshots (customers_version, relations_version, mailings_version, contact_reports_version, cause)
  VALUES (cur.customers_version, cur.relations_version, cur.mailings_version, cur.contact_reports_version, 'purge');
  RETURN bsns;
END $$;

REVOKE ALL ON FUNCTION ${schema}.create_dataset_version(text, text),
                       ${schema}.finish_dataset_version(bigint, bigint, bigint, bigint, jsonb),
                       ${schema}.publish_dataset_version(bigint),
                       ${schema}.discard_dataset_version(bigint),
                       ${schema}.collect_dataset_versions(integer),
                       ${schema}.purge_customers(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ${schema}.create_dataset_version(text, text),
                          ${schema}.finish_dataset_version(bigint, bigint, bigint, bigint, jsonb),
                          ${schema}.publish_dataset_version(bigint),
                          ${schema}.discard_dataset_version(bigint),
                          ${schema}.collect_dataset_versions(integer),
                          ${schema}.purge_customers(date) TO ${app_role};
