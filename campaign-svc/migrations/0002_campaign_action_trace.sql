-- The information action's trace (issue 12): the signal's action_traceparent, recorded when the
-- campaign is created. The campaign's processings and the peers' work for it are logged in this
-- trace. Campaigns created before have none ('').
ALTER TABLE ${schema}.campaigns ADD COLUMN action_traceparent text NOT NULL DEFAULT '';
