#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds, starts the
# project-local PostgreSQL (or uses CAK_PG_ADMIN_DSN), provisions roles and schemas, migrates,
# starts the services and drives one information signal through intake-svc with the
# command-line client, printing what happens. Stops everything at the end
# (CAK_KEEP_RUNNING=1 leaves the services and PostgreSQL running for you to explore).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${ROOT}/scripts/install-deps.sh"
"${ROOT}/scripts/build.sh" intake-svc voorlichting-cli
pg_started_here=0
"${ROOT}/scripts/pg.sh" running || pg_started_here=1
"${ROOT}/scripts/pg.sh" start
"${ROOT}/scripts/provision-db.sh"
source "${STATE_DIR}/run.env"

SVC="${BUILD_DIR}/intake-svc/intake-svc"
CLI="${BUILD_DIR}/tools/voorlichting-cli"
LOGS="${STATE_DIR}/logs"
mkdir -p "${LOGS}"

say "migrating schema intake (as intake_owner, granting intake_svc)"
"${SVC}" --migrate-only --db-dsn="${INTAKE_OWNER_DSN}" --db-password-file="${INTAKE_OWNER_PASSWORD_FILE}" \
  --db-schema=intake --db-app-role=intake_svc 2>>"${LOGS}/intake-svc-migrate.log" \
  || { tail -5 "${LOGS}/intake-svc-migrate.log"; die "migration failed"; }

GRPC_PORT="$(free_port)"; HEALTH_PORT="$(free_port)"; METRICS_PORT="$(free_port)"
say "starting intake-svc on 127.0.0.1:${GRPC_PORT} (health ${HEALTH_PORT}, metrics ${METRICS_PORT})"
say "auth mode: development (tokens from the repository's test key; never used in a deployment)"
"${SVC}" --auth-mode=development --db-dsn="${INTAKE_APP_DSN}" --db-password-file="${INTAKE_APP_PASSWORD_FILE}" \
  --db-schema=intake --hash-key-file="${HASH_KEY_FILE}" --listen-host=127.0.0.1 \
  --grpc-port="${GRPC_PORT}" --health-port="${HEALTH_PORT}" --metrics-port="${METRICS_PORT}" \
  2>>"${LOGS}/intake-svc.log" &
SVC_PID=$!

cleanup() {
  if [[ "${CAK_KEEP_RUNNING:-0}" == "1" ]]; then
    say "left running: intake-svc (pid ${SVC_PID}) at 127.0.0.1:${GRPC_PORT}; PostgreSQL (scripts/pg.sh stop)"
    return
  fi
  if kill -0 "${SVC_PID}" 2>/dev/null; then
    kill -TERM "${SVC_PID}"
    wait "${SVC_PID}" && say "intake-svc drained and stopped (exit 0)" || say "intake-svc exited with $?"
  fi
  if [[ "${pg_started_here}" == "1" ]]; then "${ROOT}/scripts/pg.sh" stop; fi
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  "${CLI}" --address="127.0.0.1:${HEALTH_PORT}" health >/dev/null 2>&1 && break
  kill -0 "${SVC_PID}" 2>/dev/null || { tail -20 "${LOGS}/intake-svc.log"; die "intake-svc did not start"; }
  sleep 0.2
done
say "intake-svc is SERVING"

"${CLI}" --address="127.0.0.1:${GRPC_PORT}" demo

say "metrics (http://127.0.0.1:${METRICS_PORT}/metrics), an excerpt:"
python3 - "${METRICS_PORT}" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
for line in body.splitlines():
    if line.startswith(("grpc_server_handled_total", "processing_log_entries_written_total", "db_pool_connections")):
        print("  " + line)
PY
say "service log: ${LOGS}/intake-svc.log (JSON lines, no personal data)"
