-- Exact conversions between timestamptz and microseconds since the Unix epoch: how times cross
-- the storage boundary (SOCI's std::tm would drop the fractional seconds). Declared STABLE like
-- the timestamptz arithmetic inside, so the planner inlines them: a call costs nothing.
CREATE FUNCTION ${schema}.from_micros(micros bigint) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN timestamptz 'epoch' + micros * interval '1 microsecond';

CREATE FUNCTION ${schema}.to_micros(t timestamptz) RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN (extract(epoch FROM t) * 1000000)::bigint;

GRANT EXECUTE ON FUNCTION ${schema}.from_micros(bigint), ${schema}.to_micros(timestamptz) TO ${app_role};
