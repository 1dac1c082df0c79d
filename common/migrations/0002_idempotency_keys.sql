-- Idempotency keys (AIP-155): the first request with a request_id claims it in the same
-- transaction that creates the resource; a repeat finds the claim and returns that resource;
-- the same request_id with a different request (fingerprint) is refused.
CREATE TABLE ${schema}.idempotency_keys (
  operation    text NOT NULL,
  request_id   text NOT NULL,
  fingerprint  text NOT NULL,
  resource_id  text NOT NULL,
  create_time  timestamptz NOT NULL,
  PRIMARY KEY (operation, request_id)
);
CREATE INDEX idempotency_keys_resource_idx ON ${schema}.idempotency_keys (resource_id);
-- Claimed and read by the service; deleted when the resource they point at is purged.
GRANT SELECT, INSERT, DELETE ON ${schema}.idempotency_keys TO ${app_role};
