-- Exact conversions between timestamptz and microseconds since the Unix epoch: how times cross
-- the storage boundary (SOCI's std::tm would drop the fractional seconds). Inlined by the
-- planner, so they cost nothing.
CREATE FUNCTION ${schema}.from_micros(micros bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN timestamptz 'epoch' + micros * interval '1 microsecond';

CREATE FUNCTION ${schema}.to_micros(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN (extract(epoch FROM t) * 1000000)::bigint;

GRANT EXECUTE ON FUNCTION ${schema}.from_micros(bigint), ${schema}.to_micros(timestamptz) TO ${app_role};
