-- Kept response measurements (responseMeasurements/{id}, issue 15 item 3): a measurement's
-- parameters, the snapshot it read and its aggregate results, so that last week's figures can be
-- looked at again and a campaign's measurements listed, newest first. No personal data: the
-- pseudonymised response sample is part of the MeasureResponse answer only (logged per member
-- when drawn; the same parameters on the same snapshot draw it again).
CREATE TABLE ${schema}.response_measurements (
  id               uuid PRIMARY KEY,
  campaign         text NOT NULL,            -- "campaigns/{id}" as given, '' when none
  measure_time     timestamptz NOT NULL,
  measured_by      text NOT NULL,
  snapshot_version bigint NOT NULL,
  body             jsonb NOT NULL            -- parameters and results (storage/pg_analysis_repository.cc)
);
CREATE INDEX response_measurements_campaign_idx
  ON ${schema}.response_measurements (campaign, measure_time DESC, id DESC);
GRANT SELECT, INSERT ON ${schema}.response_measurements TO ${app_role};
