-- campaign-svc: campaigns (the information actions), their message versions and the human
-- decisions on them. No personal data: templates, references to the other services'
-- resources, and employee ids. The release's hand-offs to dispatch-svc and intake-svc go
-- through the common outbox table (common migration 0006).
CREATE TABLE ${schema}.campaigns (
  id                  uuid PRIMARY KEY,
  title               text NOT NULL,
  signal_id           text NOT NULL,         -- intake-svc signals/{id}
  target_group_set_id text NOT NULL,         -- analysis-svc targetGroupSets/{id}
  state               smallint NOT NULL CHECK (state BETWEEN 1 AND 6),
  control_share       double precision NOT NULL CHECK (control_share >= 0 AND control_share <= 0.5),
  control_seed        numeric(20, 0) NOT NULL,  -- uint64
  created_by          text NOT NULL,
  editors             text[] NOT NULL DEFAULT '{}',
  -- Per group, in priority order: action, current message, guidelines, window, values,
  -- feasibility answer, frozen lists. A document because it is read and written whole.
  groups              jsonb NOT NULL,
  create_time         timestamptz NOT NULL,
  update_time         timestamptz NOT NULL,
  revision            bigint NOT NULL
);
CREATE INDEX campaigns_list_idx ON ${schema}.campaigns (create_time DESC, id DESC);
CREATE INDEX campaigns_signal_idx ON ${schema}.campaigns (signal_id);

-- Every version of every group's message; a released campaign's orders name their version.
CREATE TABLE ${schema}.message_versions (
  campaign_id uuid NOT NULL REFERENCES ${schema}.campaigns (id),
  group_name  text NOT NULL,
  version     integer NOT NULL CHECK (version >= 1),
  text        text NOT NULL,
  author      text NOT NULL,
  create_time timestamptz NOT NULL,
  PRIMARY KEY (campaign_id, group_name, version)
);

-- The human decisions (DESIGN.md 4.7): append-only.
CREATE TABLE ${schema}.decisions (
  id          bigserial PRIMARY KEY,
  campaign_id uuid NOT NULL REFERENCES ${schema}.campaigns (id),
  kind        smallint NOT NULL CHECK (kind BETWEEN 1 AND 6),
  actor       text NOT NULL,
  comment     text NOT NULL,
  decide_time timestamptz NOT NULL
);
CREATE INDEX decisions_campaign_idx ON ${schema}.decisions (campaign_id, id);

GRANT SELECT, INSERT, UPDATE ON ${schema}.campaigns TO ${app_role};
GRANT SELECT, INSERT ON ${schema}.message_versions TO ${app_role};
GRANT SELECT, INSERT ON ${schema}.decisions TO ${app_role};
GRANT USAGE ON SEQUENCE ${schema}.decisions_id_seq TO ${app_role};
