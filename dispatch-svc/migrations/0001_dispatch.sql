-- dispatch-svc: executors, feasibility answers, dispatch orders, their batches, the delivered
-- items and the executors' outcomes. Enum columns hold the proto enum numbers.

CREATE TABLE ${schema}.executors (
  id               text PRIMARY KEY,
  display_name     text NOT NULL,
  channel          smallint NOT NULL UNIQUE CHECK (channel BETWEEN 1 AND 3),  -- one executor per channel
  identity         text NOT NULL UNIQUE,
  location_country text NOT NULL CHECK (location_country ~ '^[A-Z]{2}$'),
  items_per_day    bigint NOT NULL CHECK (items_per_day > 0),
  working_days     smallint NOT NULL CHECK (working_days BETWEEN 1 AND 127),  -- bit 0 Monday
  lead_time_days   integer NOT NULL CHECK (lead_time_days BETWEEN 0 AND 60),
  blackout_dates   date[] NOT NULL DEFAULT '{}',
  delivery_method  smallint NOT NULL CHECK (delivery_method IN (1, 2)),
  create_time      timestamptz NOT NULL,
  created_by       text NOT NULL
);

CREATE TABLE ${schema}.feasibility_checks (
  id               uuid PRIMARY KEY,
  executor_id      text NOT NULL REFERENCES ${schema}.executors (id),
  channel          smallint NOT NULL,
  volume           bigint NOT NULL CHECK (volume > 0),
  window_start     date NOT NULL,
  window_end       date NOT NULL CHECK (window_end >= window_start),
  campaign         text NOT NULL,
  feasible         boolean NOT NULL,
  earliest_start   date,
  spread_days      date[] NOT NULL,
  spread_counts    bigint[] NOT NULL,
  reasons          text[] NOT NULL,
  state            smallint NOT NULL CHECK (state IN (1, 2, 3)),
  requested_by     text NOT NULL,
  decided_by       text,
  decision_comment text,
  create_time      timestamptz NOT NULL,
  decide_time      timestamptz,
  CHECK ((state = 1) = (decided_by IS NULL))
);

CREATE TABLE ${schema}.orders (
  id                  uuid PRIMARY KEY,
  campaign            text NOT NULL,
  target_group        text NOT NULL,
  recipient_list      uuid NOT NULL,
  channel             smallint NOT NULL CHECK (channel BETWEEN 1 AND 3),
  executor_id         text NOT NULL REFERENCES ${schema}.executors (id),
  template_reference  text NOT NULL,
  template_text       text NOT NULL,
  guidelines          text NOT NULL,
  window_start        date NOT NULL,
  window_end          date NOT NULL CHECK (window_end >= window_start),
  order_values        jsonb NOT NULL,
  contact_moment_code text NOT NULL,
  feasibility_check   uuid REFERENCES ${schema}.feasibility_checks (id),
  state               smallint NOT NULL CHECK (state BETWEEN 1 AND 4),
  recipient_count     bigint NOT NULL CHECK (recipient_count > 0),
  batch_count         integer NOT NULL,
  batches_written     integer NOT NULL DEFAULT 0,
  batches_acknowledged integer NOT NULL DEFAULT 0,
  created_by          text NOT NULL,
  create_time         timestamptz NOT NULL,
  traceparent         text NOT NULL,
  purge_time          timestamptz
);
CREATE INDEX orders_retention_idx ON ${schema}.orders (window_end) WHERE state <> 4;

-- The plan of an order: consecutive list positions per batch, fixed when the order is created,
-- so that whichever replica generates a batch, and however often, it holds the same
-- recipients. PLANNED batches are the work queue (claimed FOR UPDATE SKIP LOCKED).
CREATE TABLE ${schema}.batches (
  order_id         uuid NOT NULL REFERENCES ${schema}.orders (id),
  batch_no         integer NOT NULL CHECK (batch_no > 0),
  executor_id      text NOT NULL REFERENCES ${schema}.executors (id),
  channel          smallint NOT NULL,
  planned_date     date NOT NULL,
  first_position   bigint NOT NULL,
  last_position    bigint NOT NULL CHECK (last_position >= first_position),
  state            smallint NOT NULL CHECK (state IN (1, 2, 3)),
  item_count       bigint,
  sha256           text,
  data_file        text,
  manifest_file    text,
  write_time       timestamptz,
  generated_by     text,
  acknowledge_time timestamptz,
  acknowledged_by  text,
  PRIMARY KEY (order_id, batch_no)
);
CREATE INDEX batches_planned_idx ON ${schema}.batches (planned_date, order_id, batch_no) WHERE state = 1;
CREATE INDEX batches_open_idx ON ${schema}.batches (executor_id, planned_date, order_id, batch_no) WHERE state = 2;
CREATE INDEX batches_capacity_idx ON ${schema}.batches (executor_id, planned_date);

-- One row per recipient of an order: the channel's fields only, no BSN (DESIGN.md 4.4). The
-- primary key is the exactly-once guard: a position can be delivered once per order.
CREATE TABLE ${schema}.items (
  order_id            uuid NOT NULL,
  position            bigint NOT NULL,
  batch_no            integer NOT NULL,
  routing             smallint NOT NULL,
  salutation          smallint NOT NULL,
  customer_number     text,
  customer_name       text,
  addressee_name      text,
  street              text,
  house_number        integer,
  house_number_suffix text,
  postcode            text,
  city                text,
  phone               text,
  PRIMARY KEY (order_id, position)
);

CREATE TABLE ${schema}.outcomes (
  id           bigserial PRIMARY KEY,
  order_id     uuid NOT NULL,
  position     bigint NOT NULL,
  batch_no     integer NOT NULL,
  outcome      smallint NOT NULL CHECK (outcome BETWEEN 1 AND 6),
  outcome_time timestamptz NOT NULL,
  report_time  timestamptz NOT NULL,
  reported_by  text NOT NULL,
  FOREIGN KEY (order_id, position) REFERENCES ${schema}.items (order_id, position)
);
CREATE INDEX outcomes_order_idx ON ${schema}.outcomes (order_id, id);

GRANT SELECT, INSERT ON ${schema}.executors, ${schema}.feasibility_checks TO ${app_role};
GRANT UPDATE (state, decided_by, decision_comment, decide_time) ON ${schema}.feasibility_checks TO ${app_role};
-- (FOR UPDATE, the executor's planning lock, needs UPDATE on some column: the runtime role has
-- it on the columns UpdateExecutor changes.)
GRANT SELECT, INSERT ON ${schema}.orders TO ${app_role};
GRANT UPDATE (state, batches_written, batches_acknowledged, purge_time) ON ${schema}.orders TO ${app_role};
GRANT UPDATE (display_name, location_country, items_per_day, working_days, lead_time_days, blackout_dates,
              delivery_method) ON ${schema}.executors TO ${app_role};
GRANT SELECT, INSERT ON ${schema}.batches TO ${app_role};
GRANT UPDATE (state, item_count, sha256, data_file, manifest_file, write_time, generated_by, acknowledge_time,
              acknowledged_by) ON ${schema}.batches TO ${app_role};
GRANT SELECT, INSERT, DELETE ON ${schema}.items, ${schema}.outcomes TO ${app_role};
GRANT USAGE ON SEQUENCE ${schema}.outcomes_id_seq TO ${app_role};
