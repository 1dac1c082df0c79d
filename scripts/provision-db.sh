#!/usr/bin/env bash
# Creates (idempotently) what the services need in PostgreSQL, the way the platform team does
# in production: database `voorlichting`; per service a schema owned by an owner role (used only
# by the migration step) and a login role for the running service that reaches only its schema
# (scripts/provision.sql, which the PostgreSQL pod of scripts/deploy-local.sh runs too).
# Passwords and the processing-log hash key are generated once into .local/secrets (mode 600).
# Writes .local/run.env with the connection settings for scripts/run.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ADMIN_DSN="$("${ROOT}/scripts/pg.sh" dsn)"

SERVICES=(intake analysis dispatch campaign)
SECRETS="${STATE_DIR}/secrets"
mkdir -p "${SECRETS}"
chmod 700 "${SECRETS}"
secret() {  # secret <name>: the stored value, generated on first use
  local f="${SECRETS}/$1"
  [[ -s "$f" ]] || (umask 077; random_secret > "$f")
  cat "$f"
}
secret hash.key >/dev/null

export PGOPTIONS="-c client_min_messages=warning"
admin() { psql "${ADMIN_DSN}" -X -q -v ON_ERROR_STOP=1 "$@"; }
# The same connection, to the voorlichting database (a later dbname= wins in a libpq string).
admin_db() { psql "${ADMIN_DSN} dbname=voorlichting" -X -q -v ON_ERROR_STOP=1 "$@"; }
admin -c "SELECT 'CREATE DATABASE voorlichting' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'voorlichting')" -At \
  | while read -r stmt; do admin -c "${stmt}"; done

for svc in "${SERVICES[@]}"; do
  admin_db -v svc="${svc}" -v owner_password="$(secret "${svc}_owner.password")" \
    -v app_password="$(secret "${svc}_svc.password")" -f "${ROOT}/scripts/provision.sql"
done

read -r host port < <(admin -At -F ' ' -c "SELECT coalesce(host(inet_server_addr()), '127.0.0.1'), inet_server_port()")
{
  echo "CAK_DB_HOST=${host}"
  echo "CAK_DB_PORT=${port}"
  for svc in "${SERVICES[@]}"; do
    upper="${svc^^}"
    echo "${upper}_OWNER_DSN='host=${host} port=${port} dbname=voorlichting user=${svc}_owner'"
    echo "${upper}_OWNER_PASSWORD_FILE='${SECRETS}/${svc}_owner.password'"
    echo "${upper}_APP_DSN='host=${host} port=${port} dbname=voorlichting user=${svc}_svc'"
    echo "${upper}_APP_PASSWORD_FILE='${SECRETS}/${svc}_svc.password'"
  done
  echo "HASH_KEY_FILE='${SECRETS}/hash.key'"
} > "${STATE_DIR}/run.env"
say "database voorlichting ready (roles: ${SERVICES[*]/%/_owner} ${SERVICES[*]/%/_svc})"
