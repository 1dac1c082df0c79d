#!/usr/bin/env bash
# Runs every test from a clean state: installs what is missing, builds everything, starts the
# project-local PostgreSQL (or uses CAK_PG_ADMIN_DSN), recreates the test database, and runs
# ctest: unit, db (storage), api (gRPC), e2e (processes), fault (a database restart), fuzz
# (libFuzzer), contract (buf lint, manifests), bench-smoke and deploy (scripts/deploy-local.sh:
# the images built and the suite run as pods under Podman) tests. Extra arguments go to ctest,
# e.g. `scripts/test.sh -L unit`, or `-LE deploy` to leave the deployment out.
# Stops PostgreSQL again if this script started it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${ROOT}/scripts/install-deps.sh"
"${ROOT}/scripts/build.sh"

if ! "${ROOT}/scripts/pg.sh" running; then
  trap '"${ROOT}/scripts/pg.sh" stop' EXIT  # leave things as we found them
fi
"${ROOT}/scripts/pg.sh" start
# Not exported as CAK_PG_ADMIN_DSN: that would make pg.sh treat our own cluster as external.
ADMIN_DSN="$("${ROOT}/scripts/pg.sh" dsn)"

say "recreating database voorlichting_test"
psql "${ADMIN_DSN}" -X -q -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS voorlichting_test WITH (FORCE)" -c "CREATE DATABASE voorlichting_test"
export CAK_TEST_PG_DSN="${ADMIN_DSN} dbname=voorlichting_test"

say "running tests"
cd "${BUILD_DIR}"
ctest --output-on-failure --timeout 600 -j "${CAK_TEST_JOBS:-2}" "$@"
