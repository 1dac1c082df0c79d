-- Transactional outbox (DESIGN.md section 5): a hand-off to another service that must not be
-- lost is written here in the same transaction as the change that causes it, and a relay
-- delivers it afterwards with retries and the message's request_id as idempotency key, so a
-- crash between the commit and the call neither loses nor duplicates it. Replicas claim
-- messages with FOR UPDATE SKIP LOCKED; messages with the same ordering_key are delivered in
-- id order (a later one waits while an earlier one is pending).
CREATE TABLE ${schema}.outbox (
  id                bigserial PRIMARY KEY,
  topic             text NOT NULL,          -- what to do, e.g. 'dispatch.CreateDispatchOrder'
  aggregate_id      text NOT NULL,          -- the resource it belongs to, e.g. a campaign id
  ordering_key      text NOT NULL,
  request_id        text NOT NULL UNIQUE,   -- sent with the call; a repeat is harmless
  payload           text NOT NULL,          -- topic-specific; never personal data
  traceparent       text NOT NULL DEFAULT '',  -- W3C: the enqueuing call's span, continued on delivery
  state             text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DONE', 'FAILED')),
  attempts          integer NOT NULL DEFAULT 0,
  next_attempt_time timestamptz NOT NULL,
  last_error        text NOT NULL DEFAULT '',
  result            text NOT NULL DEFAULT '',  -- e.g. the created resource's name
  create_time       timestamptz NOT NULL,
  done_time         timestamptz
);
CREATE INDEX outbox_pending_idx ON ${schema}.outbox (next_attempt_time, id) WHERE state = 'PENDING';
CREATE INDEX outbox_aggregate_idx ON ${schema}.outbox (aggregate_id, id);
CREATE INDEX outbox_ordering_idx ON ${schema}.outbox (ordering_key, id) WHERE state = 'PENDING';
GRANT SELECT, INSERT, UPDATE ON ${schema}.outbox TO ${app_role};
GRANT USAGE ON SEQUENCE ${schema}.outbox_id_seq TO ${app_role};
