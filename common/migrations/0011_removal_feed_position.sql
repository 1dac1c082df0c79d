-- Retention that cascades (privacy/v1/subject_removal_service.proto): how far this service has
-- followed analysis-svc's removals. Written by the followers (intake-svc, dispatch-svc) in the
-- transaction of the removals it records, so a crash repeats at most one page; absent until
-- the first removal was followed. (The other services never write it.)
CREATE TABLE ${schema}.removal_feed_position (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  transaction bigint NOT NULL,
  entry_id    bigint NOT NULL,
  update_time timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON ${schema}.removal_feed_position TO ${app_role};
