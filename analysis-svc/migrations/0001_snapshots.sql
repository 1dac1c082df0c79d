-- analysis-svc: versioned source-system snapshots, target group sets, recipient lists and
-- samples. The data-set tables keep the columns of the import files (analysis-svc/README.md,
-- "CSV format"): enum values by name, so a source extract loads into them as it is; BSNs are
-- stored as integers (9 digits, printed with leading zeros). Elsewhere enum columns hold the
-- proto enum numbers.
--
-- Each import loads one data-set version into its own table <dataset>_v<id>, created from the
-- template table below by create_dataset_version() (owner's rights: the runtime role cannot
-- create tables). The runtime role fills it with COPY; finish_dataset_version() builds the
-- indexes and takes the INSERT right away again, so a published version is read-only;
-- publish_dataset_version() records a new snapshot. Versions that never got published (a
-- refused, failed or killed import) are dropped by collect_dataset_versions(), as are the
-- versions no recent snapshot uses.

-- Templates: the column definitions every version table copies. Never hold rows.
CREATE TABLE ${schema}.customers (
  bsn                 integer NOT NULL CHECK (bsn BETWEEN 1 AND 999999999),
  customer_number     text NOT NULL,
  salutation          text NOT NULL CHECK (salutation IN ('MR', 'MS', 'NEUTRAL')),
  initials            text NOT NULL,
  name_prefix         text,
  surname             text NOT NULL,
  street              text,
  house_number        integer,
  house_number_suffix text,
  postcode            text,
  city                text,
  phone               text,
  email               text,
  regulation          text NOT NULL CHECK (regulation IN ('WLZ', 'WMO', 'WANBETALERS', 'ONVERZEKERDEN')),
  municipality_code   text NOT NULL,
  birth_date          date NOT NULL,
  debt_cents          bigint NOT NULL CHECK (debt_cents >= 0),
  payment_plan        boolean NOT NULL,
  iban                text,
  care_summary        text,
  active              boolean NOT NULL,
  inactive_since      date,
  CHECK (active = (inactive_since IS NULL))
);

CREATE TABLE ${schema}.relations (
  relation_seq        bigint NOT NULL,  -- order in the import; the first representative wins
  customer_bsn        integer NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('LEGAL_REPRESENTATIVE', 'CONTACT_PERSON')),
  initials            text NOT NULL,
  name_prefix         text,
  surname             text NOT NULL,
  street              text,
  house_number        integer,
  house_number_suffix text,
  postcode            text,
  city                text,
  phone               text,
  email               text,
  routing             text NOT NULL CHECK (routing IN ('CUSTOMER', 'RELATION'))
);

CREATE TABLE ${schema}.mailings (
  customer_bsn integer NOT NULL,
  mailing_type text NOT NULL
    CHECK (mailing_type IN ('ANNUAL_STATEMENT', 'INVOICE', 'DECISION', 'PAYMENT_REMINDER', 'NEWSLETTER')),
  planned_date date NOT NULL
);

CREATE TABLE ${schema}.contact_reports (
  customer_bsn integer NOT NULL,
  channel      text NOT NULL CHECK (channel IN ('PHONE', 'LETTER', 'EMAIL', 'WEBSITE')),
  topic        text NOT NULL,
  contact_time timestamptz NOT NULL,
  reached      boolean NOT NULL
);

CREATE TABLE ${schema}.dataset_versions (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dataset        text NOT NULL CHECK (dataset IN ('customers', 'relations', 'mailings', 'contact_reports')),
  status         text NOT NULL CHECK (status IN ('loading', 'ready', 'published', 'dropped')),
  source         text NOT NULL DEFAULT '',
  rows_read      bigint NOT NULL DEFAULT 0,
  rows_loaded    bigint NOT NULL DEFAULT 0,
  rows_rejected  bigint NOT NULL DEFAULT 0,
  errors         jsonb NOT NULL DEFAULT '[]',  -- the first rejected rows: [[row, field, reason, message]]
  created_time   timestamptz NOT NULL DEFAULT now(),
  published_time timestamptz
);

-- A snapshot: one version of each data set (NULL: never imported). The latest is current.
CREATE TABLE ${schema}.snapshots (
  version                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customers_version       bigint REFERENCES ${schema}.dataset_versions (id),
  relations_version       bigint REFERENCES ${schema}.dataset_versions (id),
  mailings_version        bigint REFERENCES ${schema}.dataset_versions (id),
  contact_reports_version bigint REFERENCES ${schema}.dataset_versions (id),
  created_time            timestamptz NOT NULL DEFAULT now(),
  cause                   text NOT NULL  -- 'import' or 'purge'
);

-- Which snapshot each import published (the import report's snapshot_version).
ALTER TABLE ${schema}.dataset_versions ADD COLUMN snapshot_version bigint;

GRANT SELECT ON ${schema}.dataset_versions, ${schema}.snapshots TO ${app_role};
GRANT SELECT ON ${schema}.customers, ${schema}.relations, ${schema}.mailings, ${schema}.contact_reports
  TO ${app_role};

-- The indexes of a version table, built after its load (faster than maintaining them during
-- COPY), and whether the planner needs statistics. Customers and relations are looked up by
-- key (sample details, freezing a list); mailings and contact reports are only ever read whole
-- (into the columnar snapshot), so they carry no index and no statistics: an import of
-- millions of planned mailings is one COPY.
CREATE FUNCTION ${schema}.dataset_indexes(p_dataset text, p_table text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE p_dataset
    WHEN 'customers' THEN ARRAY[format('ALTER TABLE ${schema}.%I ADD PRIMARY KEY (bsn)', p_table),
                                format('ANALYZE ${schema}.%I', p_table)]
    WHEN 'relations' THEN ARRAY[format('CREATE INDEX ON ${schema}.%I (customer_bsn, relation_seq)', p_table),
                                format('ANALYZE ${schema}.%I', p_table)]
    ELSE ARRAY[]::text[]
  END
$$;

CREATE FUNCTION ${schema}.create_dataset_version(p_dataset text, p_source text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  v bigint;
  t text;
BEGIN
  INSERT INTO ${schema}.dataset_versions (dataset, status, source) VALUES (p_dataset, 'loading', p_source)
    RETURNING id INTO v;
  t := p_dataset || '_v' || v;
  EXECUTE format('CREATE TABLE ${schema}.%I (LIKE ${schema}.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', t, p_dataset);
  EXECUTE format('GRANT SELECT, INSERT ON ${schema}.%I TO ${app_role}', t);
  RETURN v;
END $$;

-- Builds the indexes, takes INSERT away, records the counts: the version is ready to publish.
CREATE FUNCTION ${schema}.finish_dataset_version(p_version bigint, p_rows_read bigint, p_rows_loaded bigint,
                                                 p_rows_rejected bigint, p_errors jsonb) RETURNS void
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
  FOREACH stmt IN ARRAY ${schema}.dataset_indexes(d, t) LOOP
    EXECUTE stmt;
  END LOOP;
  UPDATE ${schema}.dataset_versions
     SET status = 'ready', rows_read = p_rows_read, rows_loaded = p_rows_loaded, rows_rejected = p_rows_rejected,
         errors = p_errors
   WHERE id = p_version;
END $$;

-- Records a new snapshot: the current one with this data set's version replaced. Publishers
-- queue on the table lock, so two imports never publish from the same predecessor.
CREATE FUNCTION ${schema}.publish_dataset_version(p_version bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  d text;
  cur ${schema}.snapshots%ROWTYPE;
  s bigint;
BEGIN
  LOCK TABLE ${schema}.snapshots IN SHARE ROW EXCLUSIVE MODE;
  SELECT dataset INTO d FROM ${schema}.dataset_versions WHERE id = p_version AND status = 'ready' FOR UPDATE;
  IF d IS NULL THEN
    RAISE EXCEPTION 'dataset version % is not ready', p_version USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  SELECT * INTO cur FROM ${schema}.snapshots ORDER BY version DESC LIMIT 1;
  INSERT INTO ${schema}.snapshots (customers_version, relations_version, mailings_version, contact_reports_version, cause)
  VALUES (CASE WHEN d = 'customers' THEN p_version ELSE cur.customers_version END,
          CASE WHEN d = 'relations' THEN p_version ELSE cur.relations_version END,
          CASE WHEN d = 'mailings' THEN p_version ELSE cur.mailings_version END,
          CASE WHEN d = 'contact_reports' THEN p_version ELSE cur.contact_reports_version END,
          'import')
  RETURNING version INTO s;
  UPDATE ${schema}.dataset_versions SET status = 'published', published_time = now(), snapshot_version = s
   WHERE id = p_version;
  RETURN s;
END $$;

-- Drops a version that will not be published (refused or failed import).
CREATE FUNCTION ${schema}.discard_dataset_version(p_version bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  d text;
BEGIN
  SELECT dataset INTO d FROM ${schema}.dataset_versions WHERE id = p_version AND status IN ('loading', 'ready') FOR UPDATE;
  IF d IS NOT NULL THEN
    EXECUTE format('DROP TABLE IF EXISTS ${schema}.%I', d || '_v' || p_version);
    UPDATE ${schema}.dataset_versions SET status = 'dropped' WHERE id = p_version;
  END IF;
END $$;

-- Importers hold this advisory lock (key pair: 7624, version) on their loading session for the
-- whole load; a version still 'loading' whose lock is free belongs to an importer that died.
-- Drops those, and the published versions the latest p_keep snapshots no longer use.
CREATE FUNCTION ${schema}.collect_dataset_versions(p_keep integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  r record;
  dropped integer := 0;
BEGIN
  FOR r IN SELECT id, dataset, status FROM ${schema}.dataset_versions WHERE status IN ('loading', 'ready', 'published')
           ORDER BY id LOOP
    IF r.status IN ('loading', 'ready') THEN
      IF NOT pg_try_advisory_xact_lock(7624, r.id::integer) THEN
        CONTINUE;  -- its importer is still working
      END IF;
    ELSIF EXISTS (SELECT 1 FROM (SELECT * FROM ${schema}.snapshots ORDER BY version DESC LIMIT p_keep) s
                   WHERE r.id IN (s.customers_version, s.relations_version, s.mailings_version,
                                  s.contact_reports_version)) THEN
      CONTINUE;
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS ${schema}.%I', r.dataset || '_v' || r.id);
    UPDATE ${schema}.dataset_versions SET status = 'dropped' WHERE id = r.id;
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;

GRANT EXECUTE ON FUNCTION ${schema}.create_dataset_version(text, text),
                          ${schema}.finish_dataset_version(bigint, bigint, bigint, bigint, jsonb),
                          ${schema}.publish_dataset_version(bigint),
                          ${schema}.discard_dataset_version(bigint),
                          ${schema}.collect_dataset_versions(integer) TO ${app_role};

-- Target group sets (step 4): the ordered named criteria, the snapshot they were evaluated on,
-- and the statistics per group, as the analysts agreed on them.
CREATE TABLE ${schema}.target_group_sets (
  id               uuid PRIMARY KEY,
  signal           text NOT NULL,
  snapshot_version bigint NOT NULL REFERENCES ${schema}.snapshots (version),
  reference_date   date NOT NULL,
  definition       jsonb NOT NULL,  -- [{"name":..., "criteria":...}] (domain criteria JSON)
  statistics       jsonb NOT NULL,  -- per group, and the unassigned count
  defined_by       text NOT NULL,
  create_time      timestamptz NOT NULL
);

-- Frozen recipient lists: immutable once written (no UPDATE grant; members deleted only by the
-- retention purge). Members carry the fields the channels may need, routed at freeze time.
CREATE TABLE ${schema}.recipient_lists (
  id               uuid PRIMARY KEY,
  target_group_set uuid NOT NULL REFERENCES ${schema}.target_group_sets (id),
  group_name       text NOT NULL,
  snapshot_version bigint NOT NULL,
  member_count     bigint NOT NULL,
  checksum         text NOT NULL,
  frozen_by        text NOT NULL,
  create_time      timestamptz NOT NULL
);

-- Personal data: NAW, phone of the addressee; BSN and customer number of the customer.
-- list_id has no foreign key: the members are written in the transaction that writes their
-- list, and a per-row referential check would double the cost of freezing half a million.
CREATE TABLE ${schema}.recipient_list_members (
  list_id             uuid NOT NULL,
  position            integer NOT NULL,
  bsn                 integer NOT NULL,
  routing             smallint NOT NULL CHECK (routing BETWEEN 1 AND 3),
  customer_number     text NOT NULL,
  salutation          text NOT NULL,
  customer_name       text NOT NULL,
  addressee_name      text NOT NULL,
  street              text,
  house_number        integer,
  house_number_suffix text,
  postcode            text,
  city                text,
  phone               text,
  PRIMARY KEY (list_id, position)
);
-- No index on bsn: freezing half a million members is on the release path, finding members
-- by BSN only in the nightly retention purge, which scans the table instead.

CREATE TABLE ${schema}.samples (
  id               uuid PRIMARY KEY,
  snapshot_version bigint NOT NULL,
  seed             numeric(20, 0) NOT NULL,
  stratification   smallint NOT NULL,
  requested_size   integer NOT NULL,
  population       bigint NOT NULL,
  full_view        boolean NOT NULL,
  purpose          text NOT NULL,
  created_by       text NOT NULL,
  create_time      timestamptz NOT NULL
);

-- Personal data: BSN.
CREATE TABLE ${schema}.sample_members (
  sample_id uuid NOT NULL REFERENCES ${schema}.samples (id),
  position  integer NOT NULL,
  bsn       integer NOT NULL,
  PRIMARY KEY (sample_id, position)
);
CREATE INDEX sample_members_bsn_idx ON ${schema}.sample_members (bsn);

GRANT SELECT, INSERT ON ${schema}.target_group_sets, ${schema}.recipient_lists, ${schema}.samples TO ${app_role};
GRANT SELECT, INSERT, DELETE ON ${schema}.recipient_list_members, ${schema}.sample_members TO ${app_role};

-- Retention purge (DESIGN.md 4.6): removes the given customers, with their relations, mailings
-- and contact reports, from every version table still present, and records a new snapshot
-- (cause 'purge') so every replica rebuilds without them. Owner's rights: the runtime role
-- may not change version tables otherwise.
CREATE FUNCTION ${schema}.purge_customers(p_bsns integer[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  r record;
  cur ${schema}.snapshots%ROWTYPE;
  s bigint;
BEGIN
  LOCK TABLE ${schema}.snapshots IN SHARE ROW EXCLUSIVE MODE;
  FOR r IN SELECT id, dataset FROM ${schema}.dataset_versions WHERE status <> 'dropped' LOOP
    EXECUTE format('DELETE FROM ${schema}.%I WHERE %I = ANY($1)', r.dataset || '_v' || r.id,
                   CASE WHEN r.dataset = 'customers' THEN 'bsn' ELSE 'customer_bsn' END) USING p_bsns;
  END LOOP;
  SELECT * INTO cur FROM ${schema}.snapshots ORDER BY version DESC LIMIT 1;
  IF FOUND THEN
    INSERT INTO ${schema}.snapshots (customers_version, relations_version, mailings_version, contact_reports_version, cause)
    VALUES (cur.customers_version, cur.relations_version, cur.mailings_version, cur.contact_reports_version, 'purge')
    RETURNING version INTO s;
  END IF;
  RETURN s;
END $$;

GRANT EXECUTE ON FUNCTION ${schema}.purge_customers(integer[]) TO ${app_role};
