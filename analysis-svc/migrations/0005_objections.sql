-- The objection register (GDPR art. 21 objections and art. 18 restrictions): who is left out of
-- selection, since when and why. Personal data: the BSN, kept here (not in the snapshot) so that
-- an objection outlives a re-import or a purge of the customer and applies the moment a person
-- appears again. History is kept: a lift sets lift_time; at most one active row per person.

CREATE TABLE ${schema}.objections (
  id            uuid PRIMARY KEY,
  bsn           integer NOT NULL,
  kind          smallint NOT NULL CHECK (kind IN (1, 2)),   -- 1 objection (art. 21), 2 restriction (art. 18)
  scope         smallint NOT NULL CHECK (scope IN (1, 2)),  -- 1 all selection, 2 being contacted
  reason        text NOT NULL,
  received_date date NOT NULL,
  record_time   timestamptz NOT NULL,
  recorded_by   text NOT NULL,
  lift_time     timestamptz,
  lift_reason   text,
  lifted_by     text
);
CREATE UNIQUE INDEX objections_active_idx ON ${schema}.objections (bsn) WHERE lift_time IS NULL;
CREATE INDEX objections_bsn_idx ON ${schema}.objections (bsn);

-- The register's version: every change (record, lift, erasure) adds one in its own transaction,
-- so a replica reads the register again only when the version it mapped is no longer current.
CREATE TABLE ${schema}.objection_register (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version   bigint NOT NULL
);
INSERT INTO ${schema}.objection_register (singleton, version) VALUES (true, 0);

GRANT SELECT, INSERT, DELETE ON ${schema}.objections TO ${app_role};
GRANT UPDATE (lift_time, lift_reason, lifted_by) ON ${schema}.objections TO ${app_role};
GRANT SELECT, UPDATE (version) ON ${schema}.objection_register TO ${app_role};

-- How many members of the group an objection left out when the list was frozen, and of the
-- population when a sample was drawn: every report says it, never silently.
ALTER TABLE ${schema}.recipient_lists ADD COLUMN excluded_by_objection bigint NOT NULL DEFAULT 0;
ALTER TABLE ${schema}.samples ADD COLUMN excluded_by_objection bigint NOT NULL DEFAULT 0;
