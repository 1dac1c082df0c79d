#!/usr/bin/env bash
# Runs the benchmarks against the project-local PostgreSQL (or CAK_PG_ADMIN_DSN) in a database
# of their own, printing each figure beside the reference it is compared with (same run, same
# machine, same database).
#   scripts/bench.sh                     all benchmarks with their default sizes
#   scripts/bench.sh submit-signal [--callers=64 --seconds=10 ...]
#   scripts/bench.sh analysis [--customers=2000000 ...]   (the `large` set; about 2 minutes)
#   scripts/bench.sh dispatch [--customers=560000]        (a ~515k-letter order; about 30 s)
#   scripts/bench.sh response [--customers=2000000 ...]   (MeasureResponse of a ~500k list vs SQL)
#   scripts/bench.sh scale [--sizes=500000,2000000,8000000]   (every step's cost per customer at
#                                          each size, analysis-svc's memory; about 20 minutes)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${ROOT}/scripts/install-deps.sh"
"${ROOT}/scripts/build.sh" submit_signal_bench analysis_bench dispatch_bench response_bench scale_bench
"${ROOT}/scripts/pg.sh" start
# Not exported as CAK_PG_ADMIN_DSN: that would make pg.sh treat our own cluster as external.
ADMIN_DSN="$("${ROOT}/scripts/pg.sh" dsn)"
psql "${ADMIN_DSN}" -X -q -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS voorlichting_bench WITH (FORCE)" -c "CREATE DATABASE voorlichting_bench"
export CAK_TEST_PG_DSN="${ADMIN_DSN} dbname=voorlichting_bench"

which="${1:-all}"; shift || true
case "${which}" in
  submit-signal) "${BUILD_DIR}/bench/submit_signal_bench" "$@" ;;
  analysis) "${BUILD_DIR}/bench/analysis_bench" "$@" ;;
  dispatch) "${BUILD_DIR}/bench/dispatch_bench" "$@" ;;
  response) "${BUILD_DIR}/bench/response_bench" "$@" ;;
  scale) "${BUILD_DIR}/bench/scale_bench" "$@" ;;
  all) "${BUILD_DIR}/bench/submit_signal_bench"; echo; "${BUILD_DIR}/bench/analysis_bench"; echo; "${BUILD_DIR}/bench/dispatch_bench"; echo; "${BUILD_DIR}/bench/response_bench" ;;
  *) die "unknown benchmark '${which}' (submit-signal, analysis, dispatch, response, scale)" ;;
esac
