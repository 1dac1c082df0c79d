#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds, starts the
# project-local PostgreSQL (or uses CAK_PG_ADMIN_DSN), provisions roles and schemas, migrates,
# starts the services and drives them with the command-line client, printing what happens:
# one information signal through intake-svc (steps 1 and 3), then the assessment in
# analysis-svc on the generated `small` population (steps 2 and 4: import, impact analysis,
# samples, target groups, a frozen recipient list), then dispatch-svc (steps 7 and 8: executors,
# feasibility and its sign-off, a letter order turned into delivery files with manifests, an
# executor pulling its batch and reporting outcomes). Stops everything at the end
# (CAK_KEEP_RUNNING=1 leaves the services and PostgreSQL running for you to explore).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${ROOT}/scripts/install-deps.sh"
"${ROOT}/scripts/build.sh" intake-svc analysis-svc dispatch-svc voorlichting-cli voorlichting-datagen
pg_started_here=0
"${ROOT}/scripts/pg.sh" running || pg_started_here=1
"${ROOT}/scripts/pg.sh" start
"${ROOT}/scripts/provision-db.sh"
source "${STATE_DIR}/run.env"

SVC="${BUILD_DIR}/intake-svc/intake-svc"
ANALYSIS_SVC="${BUILD_DIR}/analysis-svc/analysis-svc"
DISPATCH_SVC="${BUILD_DIR}/dispatch-svc/dispatch-svc"
CLI="${BUILD_DIR}/tools/voorlichting-cli"
LOGS="${STATE_DIR}/logs"
IMPORT_DIR="${STATE_DIR}/import"
DELIVERY_DIR="${STATE_DIR}/deliveries"
mkdir -p "${LOGS}" "${IMPORT_DIR}" "${DELIVERY_DIR}"

say "migrating schema intake (as intake_owner, granting intake_svc)"
"${SVC}" --migrate-only --db-dsn="${INTAKE_OWNER_DSN}" --db-password-file="${INTAKE_OWNER_PASSWORD_FILE}" \
  --db-schema=intake --db-app-role=intake_svc 2>>"${LOGS}/intake-svc-migrate.log" \
  || { tail -5 "${LOGS}/intake-svc-migrate.log"; die "migration failed"; }
say "migrating schema analysis (as analysis_owner, granting analysis_svc)"
"${ANALYSIS_SVC}" --migrate-only --db-dsn="${ANALYSIS_OWNER_DSN}" --db-password-file="${ANALYSIS_OWNER_PASSWORD_FILE}" \
  --db-schema=analysis --db-app-role=analysis_svc 2>>"${LOGS}/analysis-svc-migrate.log" \
  || { tail -5 "${LOGS}/analysis-svc-migrate.log"; die "migration failed"; }
say "migrating schema dispatch (as dispatch_owner, granting dispatch_svc)"
"${DISPATCH_SVC}" --migrate-only --db-dsn="${DISPATCH_OWNER_DSN}" --db-password-file="${DISPATCH_OWNER_PASSWORD_FILE}" \
  --db-schema=dispatch --db-app-role=dispatch_svc 2>>"${LOGS}/dispatch-svc-migrate.log" \
  || { tail -5 "${LOGS}/dispatch-svc-migrate.log"; die "migration failed"; }
say "generating the synthetic source extract (small: 10,000 customers) into ${IMPORT_DIR}"
"${BUILD_DIR}/tools/datagen/voorlichting-datagen" --size=small --out="${IMPORT_DIR}" >/dev/null

GRPC_PORT="$(free_port)"; HEALTH_PORT="$(free_port)"; METRICS_PORT="$(free_port)"
say "starting intake-svc on 127.0.0.1:${GRPC_PORT} (health ${HEALTH_PORT}, metrics ${METRICS_PORT})"
say "auth mode: development (tokens from the repository's test key; never used in a deployment)"
"${SVC}" --auth-mode=development --db-dsn="${INTAKE_APP_DSN}" --db-password-file="${INTAKE_APP_PASSWORD_FILE}" \
  --db-schema=intake --hash-key-file="${HASH_KEY_FILE}" --listen-host=127.0.0.1 \
  --grpc-port="${GRPC_PORT}" --health-port="${HEALTH_PORT}" --metrics-port="${METRICS_PORT}" \
  2>>"${LOGS}/intake-svc.log" &
SVC_PID=$!

A_GRPC_PORT="$(free_port)"; A_HEALTH_PORT="$(free_port)"; A_METRICS_PORT="$(free_port)"
say "starting analysis-svc on 127.0.0.1:${A_GRPC_PORT} (health ${A_HEALTH_PORT}, metrics ${A_METRICS_PORT})"
"${ANALYSIS_SVC}" --auth-mode=development --db-dsn="${ANALYSIS_APP_DSN}" \
  --db-password-file="${ANALYSIS_APP_PASSWORD_FILE}" --db-schema=analysis --hash-key-file="${HASH_KEY_FILE}" \
  --import-dir="${IMPORT_DIR}" --listen-host=127.0.0.1 --grpc-port="${A_GRPC_PORT}" \
  --health-port="${A_HEALTH_PORT}" --metrics-port="${A_METRICS_PORT}" 2>>"${LOGS}/analysis-svc.log" &
ANALYSIS_PID=$!

# dispatch-svc calls analysis-svc as its own identity: in development mode a bearer token from
# the repository's test key (a deployment uses mTLS, see k8s/dispatch-svc).
"${CLI}" --as=dispatch-svc.voorlichting.svc --roles=dispatch_service --application token --lifetime=12h \
  > "${STATE_DIR}/dispatch-analysis.token"
D_GRPC_PORT="$(free_port)"; D_HEALTH_PORT="$(free_port)"; D_METRICS_PORT="$(free_port)"
say "starting dispatch-svc on 127.0.0.1:${D_GRPC_PORT} (health ${D_HEALTH_PORT}, metrics ${D_METRICS_PORT}), deliveries in ${DELIVERY_DIR}"
"${DISPATCH_SVC}" --auth-mode=development --db-dsn="${DISPATCH_APP_DSN}" \
  --db-password-file="${DISPATCH_APP_PASSWORD_FILE}" --db-schema=dispatch --hash-key-file="${HASH_KEY_FILE}" \
  --delivery-dir="${DELIVERY_DIR}" --analysis-address="127.0.0.1:${A_GRPC_PORT}" \
  --analysis-token-file="${STATE_DIR}/dispatch-analysis.token" --listen-host=127.0.0.1 --grpc-port="${D_GRPC_PORT}" \
  --health-port="${D_HEALTH_PORT}" --metrics-port="${D_METRICS_PORT}" 2>>"${LOGS}/dispatch-svc.log" &
DISPATCH_PID=$!

stop_service() {  # stop_service <name> <pid>
  if kill -0 "$2" 2>/dev/null; then
    kill -TERM "$2"
    wait "$2" && say "$1 drained and stopped (exit 0)" || say "$1 exited with $?"
  fi
}
cleanup() {
  if [[ "${CAK_KEEP_RUNNING:-0}" == "1" ]]; then
    say "left running: intake-svc (pid ${SVC_PID}) at 127.0.0.1:${GRPC_PORT}, analysis-svc (pid ${ANALYSIS_PID}) at 127.0.0.1:${A_GRPC_PORT}, dispatch-svc (pid ${DISPATCH_PID}) at 127.0.0.1:${D_GRPC_PORT}; PostgreSQL (scripts/pg.sh stop)"
    return
  fi
  stop_service intake-svc "${SVC_PID}"
  stop_service analysis-svc "${ANALYSIS_PID}"
  stop_service dispatch-svc "${DISPATCH_PID}"
  if [[ "${pg_started_here}" == "1" ]]; then "${ROOT}/scripts/pg.sh" stop; fi
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  "${CLI}" --address="127.0.0.1:${HEALTH_PORT}" health >/dev/null 2>&1 && break
  kill -0 "${SVC_PID}" 2>/dev/null || { tail -20 "${LOGS}/intake-svc.log"; die "intake-svc did not start"; }
  sleep 0.2
done
say "intake-svc is SERVING"
for _ in $(seq 1 300); do
  "${CLI}" --address="127.0.0.1:${A_HEALTH_PORT}" health >/dev/null 2>&1 && break
  kill -0 "${ANALYSIS_PID}" 2>/dev/null || { tail -20 "${LOGS}/analysis-svc.log"; die "analysis-svc did not start"; }
  sleep 0.2
done
say "analysis-svc is SERVING"
for _ in $(seq 1 100); do
  "${CLI}" --address="127.0.0.1:${D_HEALTH_PORT}" health >/dev/null 2>&1 && break
  kill -0 "${DISPATCH_PID}" 2>/dev/null || { tail -20 "${LOGS}/dispatch-svc.log"; die "dispatch-svc did not start"; }
  sleep 0.2
done
say "dispatch-svc is SERVING"

say "intake-svc: one signal from arrival to feedback (steps 1 and 3)"
"${CLI}" --address="127.0.0.1:${GRPC_PORT}" demo
say "analysis-svc: assessing a signal on the source-system snapshot (steps 2 and 4)"
"${CLI}" --address="127.0.0.1:${A_GRPC_PORT}" --timeout=60s analysis-demo --intake-address="127.0.0.1:${GRPC_PORT}"

say "dispatch-svc: checking with the executor and delivering (steps 7 and 8)"
"${CLI}" --address="127.0.0.1:${D_GRPC_PORT}" --timeout=60s dispatch-demo --analysis-address="127.0.0.1:${A_GRPC_PORT}" \
  --delivery-dir="${DELIVERY_DIR}"

say "metrics (intake http://127.0.0.1:${METRICS_PORT}/metrics, analysis http://127.0.0.1:${A_METRICS_PORT}/metrics), an excerpt:"
python3 - "${METRICS_PORT}" "${A_METRICS_PORT}" "${D_METRICS_PORT}" <<'PY'
import sys, urllib.request
for port in sys.argv[1:]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith(("grpc_server_handled_total", "processing_log_entries_written_total", "db_pool_connections")):
            print("  " + line)
PY
say "service logs: ${LOGS}/intake-svc.log, ${LOGS}/analysis-svc.log, ${LOGS}/dispatch-svc.log (JSON lines, no personal data)"
