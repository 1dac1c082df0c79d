-- intake-svc: signals (meldingen) with their duplicate suggestions, example customers,
-- attachments metadata, added information, and the event history that WatchSignal streams.
-- Enum columns hold the proto enum numbers.

CREATE TABLE ${schema}.signals (
  id                     uuid PRIMARY KEY,
  reporter_id            text NOT NULL,
  reporter_kind          smallint NOT NULL,
  source_channel         smallint NOT NULL CHECK (source_channel BETWEEN 1 AND 5),
  category               smallint NOT NULL CHECK (category BETWEEN 1 AND 6),
  regulation             smallint NOT NULL CHECK (regulation BETWEEN 1 AND 2),
  description            text NOT NULL,
  state                  smallint NOT NULL CHECK (state BETWEEN 1 AND 5),
  decline_reason         smallint NOT NULL DEFAULT 0 CHECK (decline_reason BETWEEN 0 AND 4),
  feedback               text NOT NULL DEFAULT '',
  campaign               text NOT NULL DEFAULT '',
  example_customer_count integer NOT NULL,
  receive_time           timestamptz NOT NULL,
  update_time            timestamptz NOT NULL,
  final_time             timestamptz,  -- declined or closed: the retention clock
  -- Open signals that looked like this one when it arrived, frozen then (the candidates may
  -- since have changed or been purged): [[candidate id, same regulation+category, shared
  -- customers], ...], newest first.
  duplicate_candidates   jsonb NOT NULL DEFAULT '[]',
  CHECK ((state = 3) = (decline_reason <> 0))
);
-- Newest-first keyset pages, overall and per reporter.
CREATE INDEX signals_receive_idx ON ${schema}.signals (receive_time DESC, id DESC);
CREATE INDEX signals_reporter_idx ON ${schema}.signals (reporter_id, receive_time DESC, id DESC);
-- Duplicate suggestions look only at open signals (RECEIVED, IN_ASSESSMENT, ACTION_PLANNED).
CREATE INDEX signals_open_topic_idx ON ${schema}.signals (regulation, category, receive_time)
  WHERE state IN (1, 2, 4);
CREATE INDEX signals_final_idx ON ${schema}.signals (final_time) WHERE final_time IS NOT NULL;

-- Personal data: BSN of the example customers (identificatie klant).
CREATE TABLE ${schema}.signal_customers (
  signal_id uuid NOT NULL REFERENCES ${schema}.signals (id) ON DELETE CASCADE,
  position  integer NOT NULL,
  bsn       text NOT NULL CHECK (bsn ~ '^[0-9]{9}$'),
  PRIMARY KEY (signal_id, position)  -- no repeats within a signal: the domain checks that
);
CREATE INDEX signal_customers_bsn_idx ON ${schema}.signal_customers (bsn);

CREATE TABLE ${schema}.signal_attachments (
  signal_id  uuid NOT NULL REFERENCES ${schema}.signals (id) ON DELETE CASCADE,
  position   integer NOT NULL,
  file_name  text NOT NULL,
  media_type text NOT NULL,
  size_bytes bigint NOT NULL,
  uri        text NOT NULL,
  sha256     text NOT NULL,
  PRIMARY KEY (signal_id, position)
);

CREATE TABLE ${schema}.signal_information (
  signal_id  uuid NOT NULL REFERENCES ${schema}.signals (id) ON DELETE CASCADE,
  position   integer NOT NULL,
  text       text NOT NULL,
  actor_id   text NOT NULL,
  actor_kind smallint NOT NULL,
  add_time   timestamptz NOT NULL,
  PRIMARY KEY (signal_id, position)
);

-- The history: one row per lifecycle event; WatchSignal streams it by sequence.
CREATE TABLE ${schema}.signal_events (
  sequence       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  signal_id      uuid NOT NULL REFERENCES ${schema}.signals (id) ON DELETE CASCADE,
  type           smallint NOT NULL CHECK (type BETWEEN 1 AND 3),
  from_state     smallint,
  to_state       smallint NOT NULL,
  actor_id       text NOT NULL,
  actor_kind     smallint NOT NULL,
  event_time     timestamptz NOT NULL,
  decline_reason smallint NOT NULL DEFAULT 0,
  text           text NOT NULL DEFAULT ''
);
CREATE INDEX signal_events_signal_idx ON ${schema}.signal_events (signal_id, sequence);

-- The runtime role: signals change state and are purged (their rows below go with them through
-- ON DELETE CASCADE, which runs with the owner's rights); everything else is only ever added.
GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.signals TO ${app_role};
GRANT SELECT, INSERT ON ${schema}.signal_customers, ${schema}.signal_attachments, ${schema}.signal_information,
  ${schema}.signal_events TO ${app_role};
