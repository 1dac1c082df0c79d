#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing, builds, starts the
# project-local PostgreSQL (or uses CAK_PG_ADMIN_DSN), provisions roles and schemas, migrates,
# starts the four services (intake-svc, analysis-svc, dispatch-svc, campaign-svc) and drives ONE
# information action through all nine steps of processing record M7624 with the command-line
# client (`voorlichting-cli flow`), on the generated `small` population (10,000 synthetic
# customers): a signal from the KCC portal and its assessment (steps 1-2: the extract imported,
# impact analysis, a pseudonymised sample), a duplicate report declined with feedback (step 3),
# ordered target groups and a campaign with per group an action, a message and its plain-language
# check (steps 4-6), the executors' feasibility and sign-off (step 7), four-eyes approval and the
# release through campaign-svc's outbox, delivery files for repro, KCC and dataverkeer that the
# executors pull, acknowledge and report on (step 8), simulated customer contacts imported as a
# new contact-report extract and the response measured against control groups (step 9), and
# finally the campaign completed and the signal closed with feedback for the reporter. Prints
# every step and a summary (counts, where the delivery files are, the response table), then a
# metrics excerpt; stops everything at the end (CAK_KEEP_RUNNING=1 leaves the services and
# PostgreSQL running for you to explore). The database `voorlichting` is kept between runs; the
# flow can run again and again on it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${ROOT}/scripts/install-deps.sh"
"${ROOT}/scripts/build.sh" intake-svc analysis-svc dispatch-svc campaign-svc voorlichting-cli voorlichting-datagen \
  voorlichting-logbook
pg_started_here=0
"${ROOT}/scripts/pg.sh" running || pg_started_here=1
"${ROOT}/scripts/pg.sh" start
"${ROOT}/scripts/provision-db.sh"
source "${STATE_DIR}/run.env"

SVC="${BUILD_DIR}/intake-svc/intake-svc"
ANALYSIS_SVC="${BUILD_DIR}/analysis-svc/analysis-svc"
DISPATCH_SVC="${BUILD_DIR}/dispatch-svc/dispatch-svc"
CAMPAIGN_SVC="${BUILD_DIR}/campaign-svc/campaign-svc"
CLI="${BUILD_DIR}/tools/voorlichting-cli"
LOGBOOK="${BUILD_DIR}/tools/logbook/voorlichting-logbook"
LOGS="${STATE_DIR}/logs"
LOGBOOK_DIR="${STATE_DIR}/logbook"
IMPORT_DIR="${STATE_DIR}/import"
DELIVERY_DIR="${STATE_DIR}/deliveries"
mkdir -p "${LOGS}" "${IMPORT_DIR}" "${DELIVERY_DIR}" "${LOGBOOK_DIR}"

migrate() {  # migrate <binary> <schema>: as <schema>_owner, granting <schema>_svc
  local binary="$1" schema="$2" upper="${2^^}" dsn password_file
  dsn="${upper}_OWNER_DSN"; password_file="${upper}_OWNER_PASSWORD_FILE"
  say "migrating schema ${schema} (as ${schema}_owner, granting ${schema}_svc)"
  "${binary}" --migrate-only --db-dsn="${!dsn}" --db-password-file="${!password_file}" \
    --db-schema="${schema}" --db-app-role="${schema}_svc" 2>>"${LOGS}/${schema}-svc-migrate.log" \
    || { tail -5 "${LOGS}/${schema}-svc-migrate.log"; die "migration of ${schema} failed"; }
}
migrate "${SVC}" intake
migrate "${ANALYSIS_SVC}" analysis
migrate "${DISPATCH_SVC}" dispatch
migrate "${CAMPAIGN_SVC}" campaign
say "generating the synthetic source extract (small: 10,000 customers) into ${IMPORT_DIR}"
"${BUILD_DIR}/tools/datagen/voorlichting-datagen" --size=small --out="${IMPORT_DIR}" >/dev/null
# Contact-report extracts written by earlier flows (each run writes its own).
rm -f "${IMPORT_DIR}"/contact_reports-flow-*.csv

# The services call each other as their own identity: in development mode a bearer token from
# the repository's test key per caller and peer (a deployment uses mTLS, see k8s/).
token() {  # token <file> <identity> <role>
  "${CLI}" --as="$2" --roles="$3" --application token --lifetime=12h > "${STATE_DIR}/$1"
}
token dispatch-analysis.token dispatch-svc.voorlichting.svc dispatch_service
token analysis-dispatch.token analysis-svc.voorlichting.svc analysis_service
for peer in intake analysis dispatch; do
  token "campaign-${peer}.token" campaign-svc.voorlichting.svc campaign_service
done

{
  read -r GRPC_PORT; read -r HEALTH_PORT; read -r METRICS_PORT
  read -r A_GRPC_PORT; read -r A_HEALTH_PORT; read -r A_METRICS_PORT
  read -r D_GRPC_PORT; read -r D_HEALTH_PORT; read -r D_METRICS_PORT
  read -r C_GRPC_PORT; read -r C_HEALTH_PORT; read -r C_METRICS_PORT
  read -r L_PORT
} < <(free_ports 13)

# The organisation's Logboek Dataverwerkingen: here the development receiver, which keeps what
# the four services export as JSON lines in .local/logbook/<service>.jsonl (kept between runs;
# it recognises what it already holds).
say "starting the logbook (logboek.v1) on 127.0.0.1:${L_PORT}, writing ${LOGBOOK_DIR}/<service>.jsonl"
rm -f "${STATE_DIR}/logbook.port"
"${LOGBOOK}" --dir="${LOGBOOK_DIR}" --listen="127.0.0.1:${L_PORT}" --port-file="${STATE_DIR}/logbook.port" \
  >>"${LOGS}/logbook.log" 2>&1 &
LOGBOOK_PID=$!
# Listening before the services start exporting to it (else their first exports fail and retry).
for _ in $(seq 100); do
  [[ -s "${STATE_DIR}/logbook.port" ]] && break
  kill -0 "${LOGBOOK_PID}" 2>/dev/null || die "the logbook did not start (see ${LOGS}/logbook.log)"
  sleep 0.1
done
[[ -s "${STATE_DIR}/logbook.port" ]] || die "the logbook did not listen within 10 s (see ${LOGS}/logbook.log)"
LOGBOOK_ARGS=(--logbook-address="127.0.0.1:${L_PORT}")

say "auth mode: development (tokens from the repository's test key; never used in a deployment)"
say "starting intake-svc on 127.0.0.1:${GRPC_PORT} (health ${HEALTH_PORT}, metrics ${METRICS_PORT})"
"${SVC}" --auth-mode=development --db-dsn="${INTAKE_APP_DSN}" --db-password-file="${INTAKE_APP_PASSWORD_FILE}" \
  --db-schema=intake --hash-key-file="${HASH_KEY_FILE}" --listen-host=127.0.0.1 "${LOGBOOK_ARGS[@]}" \
  --grpc-port="${GRPC_PORT}" --health-port="${HEALTH_PORT}" --metrics-port="${METRICS_PORT}" \
  2>>"${LOGS}/intake-svc.log" &
SVC_PID=$!

say "starting analysis-svc on 127.0.0.1:${A_GRPC_PORT} (health ${A_HEALTH_PORT}, metrics ${A_METRICS_PORT})"
"${ANALYSIS_SVC}" --auth-mode=development --db-dsn="${ANALYSIS_APP_DSN}" \
  --db-password-file="${ANALYSIS_APP_PASSWORD_FILE}" --db-schema=analysis --hash-key-file="${HASH_KEY_FILE}" "${LOGBOOK_ARGS[@]}" \
  --import-dir="${IMPORT_DIR}" --dispatch-address="127.0.0.1:${D_GRPC_PORT}" \
  --dispatch-token-file="${STATE_DIR}/analysis-dispatch.token" --listen-host=127.0.0.1 --grpc-port="${A_GRPC_PORT}" \
  --health-port="${A_HEALTH_PORT}" --metrics-port="${A_METRICS_PORT}" 2>>"${LOGS}/analysis-svc.log" &
ANALYSIS_PID=$!

say "starting dispatch-svc on 127.0.0.1:${D_GRPC_PORT} (health ${D_HEALTH_PORT}, metrics ${D_METRICS_PORT}), deliveries in ${DELIVERY_DIR}"
"${DISPATCH_SVC}" --auth-mode=development --db-dsn="${DISPATCH_APP_DSN}" \
  --db-password-file="${DISPATCH_APP_PASSWORD_FILE}" --db-schema=dispatch --hash-key-file="${HASH_KEY_FILE}" "${LOGBOOK_ARGS[@]}" \
  --delivery-dir="${DELIVERY_DIR}" --analysis-address="127.0.0.1:${A_GRPC_PORT}" \
  --analysis-token-file="${STATE_DIR}/dispatch-analysis.token" --listen-host=127.0.0.1 --grpc-port="${D_GRPC_PORT}" \
  --health-port="${D_HEALTH_PORT}" --metrics-port="${D_METRICS_PORT}" 2>>"${LOGS}/dispatch-svc.log" &
DISPATCH_PID=$!

say "starting campaign-svc on 127.0.0.1:${C_GRPC_PORT} (health ${C_HEALTH_PORT}, metrics ${C_METRICS_PORT})"
"${CAMPAIGN_SVC}" --auth-mode=development --db-dsn="${CAMPAIGN_APP_DSN}" \
  --db-password-file="${CAMPAIGN_APP_PASSWORD_FILE}" --db-schema=campaign --hash-key-file="${HASH_KEY_FILE}" "${LOGBOOK_ARGS[@]}" \
  --intake-address="127.0.0.1:${GRPC_PORT}" --intake-token-file="${STATE_DIR}/campaign-intake.token" \
  --analysis-address="127.0.0.1:${A_GRPC_PORT}" --analysis-token-file="${STATE_DIR}/campaign-analysis.token" \
  --dispatch-address="127.0.0.1:${D_GRPC_PORT}" --dispatch-token-file="${STATE_DIR}/campaign-dispatch.token" \
  --listen-host=127.0.0.1 --grpc-port="${C_GRPC_PORT}" --health-port="${C_HEALTH_PORT}" \
  --metrics-port="${C_METRICS_PORT}" 2>>"${LOGS}/campaign-svc.log" &
CAMPAIGN_PID=$!

stop_service() {  # stop_service <name> <pid>
  if kill -0 "$2" 2>/dev/null; then
    kill -TERM "$2"
    wait "$2" && say "$1 drained and stopped (exit 0)" || say "$1 exited with $?"
  fi
}
cleanup() {
  if [[ "${CAK_KEEP_RUNNING:-0}" == "1" ]]; then
    say "left running: the logbook (pid ${LOGBOOK_PID}) at 127.0.0.1:${L_PORT}, intake-svc (pid ${SVC_PID}) at 127.0.0.1:${GRPC_PORT}, analysis-svc (pid ${ANALYSIS_PID}) at 127.0.0.1:${A_GRPC_PORT}, dispatch-svc (pid ${DISPATCH_PID}) at 127.0.0.1:${D_GRPC_PORT}, campaign-svc (pid ${CAMPAIGN_PID}) at 127.0.0.1:${C_GRPC_PORT}; PostgreSQL (scripts/pg.sh stop)"
    return
  fi
  # The caller first: campaign-svc's outbox relay stops before the services it delivers to.
  stop_service campaign-svc "${CAMPAIGN_PID}"
  stop_service intake-svc "${SVC_PID}"
  stop_service dispatch-svc "${DISPATCH_PID}"
  stop_service analysis-svc "${ANALYSIS_PID}"
  stop_service logbook "${LOGBOOK_PID}"
  if [[ "${pg_started_here}" == "1" ]]; then "${ROOT}/scripts/pg.sh" stop; fi
}
trap cleanup EXIT

wait_healthy() {  # wait_healthy <name> <pid> <health port> <tries of 0.2 s>
  for _ in $(seq 1 "$4"); do
    "${CLI}" --address="127.0.0.1:$3" health >/dev/null 2>&1 && { say "$1 is SERVING"; return; }
    kill -0 "$2" 2>/dev/null || { tail -20 "${LOGS}/$1.log"; die "$1 did not start"; }
    sleep 0.2
  done
  tail -20 "${LOGS}/$1.log"
  die "$1 is not SERVING"
}
wait_healthy intake-svc "${SVC_PID}" "${HEALTH_PORT}" 100
wait_healthy analysis-svc "${ANALYSIS_PID}" "${A_HEALTH_PORT}" 300
wait_healthy dispatch-svc "${DISPATCH_PID}" "${D_HEALTH_PORT}" 100
wait_healthy campaign-svc "${CAMPAIGN_PID}" "${C_HEALTH_PORT}" 100

say "one information action through the nine steps of M7624 (voorlichting-cli flow)"
"${CLI}" --timeout=60s flow --intake-address="127.0.0.1:${GRPC_PORT}" --analysis-address="127.0.0.1:${A_GRPC_PORT}" \
  --dispatch-address="127.0.0.1:${D_GRPC_PORT}" --campaign-address="127.0.0.1:${C_GRPC_PORT}" \
  --import-dir="${IMPORT_DIR}" --delivery-dir="${DELIVERY_DIR}" --logbook-dir="${LOGBOOK_DIR}" \
  --report-dir="${STATE_DIR}/reports" --control-share=0.1 --seed=7624

say "metrics (intake :${METRICS_PORT}, analysis :${A_METRICS_PORT}, dispatch :${D_METRICS_PORT}, campaign :${C_METRICS_PORT} at http://127.0.0.1:<port>/metrics), an excerpt:"
python3 - "${METRICS_PORT}" "${A_METRICS_PORT}" "${D_METRICS_PORT}" "${C_METRICS_PORT}" <<'PY'
import sys, urllib.request
for port in sys.argv[1:]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in body.splitlines():
        if line.startswith(("grpc_server_handled_total", "processing_log_entries_written_total", "db_pool_connections",
                            "logbook_export_")):
            print("  " + line)
PY
say "service logs: ${LOGS}/{intake,analysis,dispatch,campaign}-svc.log (JSON lines, no personal data)"
