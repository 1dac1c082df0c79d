-- The information action's trace (issue 12): the W3C traceparent of the call that submitted the
-- signal. The action's later processings, in this service and the three others, are logged in
-- this trace. Signals received before have none ('').
ALTER TABLE ${schema}.signals ADD COLUMN action_traceparent text NOT NULL DEFAULT '';
