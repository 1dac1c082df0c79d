#!/usr/bin/env bash
# The project-local PostgreSQL 15 cluster (the embedded default for the run and test commands).
#
#   scripts/pg.sh start   create the cluster on first use, then start it (idempotent)
#   scripts/pg.sh stop    stop it (the data stays for the next start)
#   scripts/pg.sh restart stop it (fast: every session ends) and start it again on its port
#   scripts/pg.sh managed exit 0 when this script runs the cluster (not CAK_PG_ADMIN_DSN)
#   scripts/pg.sh running exit 0 when it is running
#   scripts/pg.sh destroy stop it and delete its data
#   scripts/pg.sh dsn     print the admin connection string (superuser over TCP)
#   scripts/pg.sh env     the same as `export CAK_PG_ADMIN_DSN=...`, for an interactive shell
#   scripts/pg.sh psql    open psql as the superuser
#
# initdb refuses to run as root and the postgres user cannot traverse a checkout under /root,
# so the cluster lives in a directory made for it (mktemp -d, owned by postgres); its location,
# port and superuser password are recorded in .local/pg.env (git-ignored, mode 600).
# It listens on 127.0.0.1 only, on a port chosen free when the cluster is made and kept for good
# (a start fails clearly when another process holds it), with scram-sha-256 for TCP logins.
#
# To use an existing PostgreSQL instead, set CAK_PG_ADMIN_DSN to a libpq connection string of
# a role that may create databases and roles; then this script does nothing and `env` prints
# that connection.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
ENV_FILE="${STATE_DIR}/pg.env"

as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

load_env() { [[ -f "${ENV_FILE}" ]] && source "${ENV_FILE}"; }

cluster_ok() { load_env && [[ -n "${CAK_PGDATA:-}" && -f "${CAK_PGDATA}/PG_VERSION" ]]; }

create_cluster() {
  local base port password
  base="$(mktemp -d /tmp/cak-pg.XXXXXX)"
  chmod 755 "${base}"
  port="$(free_port)"
  password="$(random_secret)"
  mkdir -p "${base}/data" "${base}/run"
  (umask 077; printf '%s\n' "${password}" > "${base}/pwfile")
  chown -R postgres:postgres "${base}" 2>/dev/null || true
  say "creating PostgreSQL cluster in ${base} (port ${port})"
  as_postgres "${PG_BIN}/initdb" -D "${base}/data" -U postgres --pwfile="${base}/pwfile" \
    --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "${base}/pwfile"
  cat >> "${base}/data/postgresql.conf" <<CONF
# project-local settings (scripts/pg.sh)
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${base}/run'
max_connections = 300
shared_buffers = 512MB
# Bulk imports write gigabytes of WAL; with the default 1GB they checkpoint every few seconds.
max_wal_size = 4GB
fsync = on
synchronous_commit = on
logging_collector = off
CONF
  umask 077
  cat > "${ENV_FILE}" <<ENV
CAK_PGBASE='${base}'
CAK_PGDATA='${base}/data'
CAK_PGPORT='${port}'
CAK_PGPASSWORD='${password}'
ENV
}

start() {
  if [[ -n "${CAK_PG_ADMIN_DSN:-}" ]]; then say "using existing PostgreSQL (CAK_PG_ADMIN_DSN)"; return; fi
  cluster_ok || create_cluster
  load_env
  if as_postgres "${PG_BIN}/pg_ctl" -D "${CAK_PGDATA}" status >/dev/null 2>&1; then
    return
  fi
  # The cluster keeps its port for good: services started against it reconnect when it is back.
  # Connections of the last run still in TIME_WAIT do not count (PostgreSQL binds with
  # SO_REUSEADDR, and so does this check); another listener gets ten seconds to go, then the
  # start fails and says which port.
  local tries=0
  until python3 -c "import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${CAK_PGPORT}))" 2>/dev/null; do
    tries=$((tries + 1))
    [[ ${tries} -ge 20 ]] && die "port ${CAK_PGPORT} of the local PostgreSQL cluster (${CAK_PGDATA}) is taken by another process; stop it, or remove the cluster with scripts/pg.sh destroy"
    sleep 0.5
  done
  say "starting PostgreSQL on 127.0.0.1:${CAK_PGPORT}"
  as_postgres "${PG_BIN}/pg_ctl" -D "${CAK_PGDATA}" -l "${CAK_PGBASE}/server.log" -w -t 60 start >/dev/null
}

stop() {
  [[ -n "${CAK_PG_ADMIN_DSN:-}" ]] && return
  cluster_ok || return 0
  as_postgres "${PG_BIN}/pg_ctl" -D "${CAK_PGDATA}" -m fast -w stop >/dev/null 2>&1 || true
}

destroy() {
  stop
  if cluster_ok; then rm -rf "${CAK_PGBASE}"; fi
  rm -f "${ENV_FILE}"
}

# The admin connection string: CAK_PG_ADMIN_DSN when an external server is configured, else
# the embedded cluster's superuser over TCP.
print_dsn() {
  if [[ -n "${CAK_PG_ADMIN_DSN:-}" ]]; then
    printf '%s\n' "${CAK_PG_ADMIN_DSN}"
    return
  fi
  cluster_ok || die "no local cluster; run scripts/pg.sh start"
  printf '%s\n' "host=127.0.0.1 port=${CAK_PGPORT} user=postgres password=${CAK_PGPASSWORD} dbname=postgres"
}

print_env() {
  if [[ -n "${CAK_PG_ADMIN_DSN:-}" ]]; then
    printf "export CAK_PG_ADMIN_DSN=%q\n" "${CAK_PG_ADMIN_DSN}"
    return
  fi
  cluster_ok || die "no local cluster; run scripts/pg.sh start"
  printf "export CAK_PG_ADMIN_DSN=%q\n" \
    "host=127.0.0.1 port=${CAK_PGPORT} user=postgres password=${CAK_PGPASSWORD} dbname=postgres"
}

# Exit 0 when the embedded cluster is running (or an external one is configured).
running() {
  [[ -n "${CAK_PG_ADMIN_DSN:-}" ]] && return 0
  cluster_ok && as_postgres "${PG_BIN}/pg_ctl" -D "${CAK_PGDATA}" status >/dev/null 2>&1
}

case "${1:-}" in
  start) start ;;
  running) running ;;
  stop) stop ;;
  restart)
    [[ -n "${CAK_PG_ADMIN_DSN:-}" ]] && die "an external PostgreSQL (CAK_PG_ADMIN_DSN) is not restarted by this script"
    stop
    start
    ;;
  managed)
    [[ -z "${CAK_PG_ADMIN_DSN:-}" ]] || { echo "CAK_PG_ADMIN_DSN names an external PostgreSQL"; exit 1; }
    cluster_ok || { echo "no local cluster (scripts/pg.sh start)"; exit 1; }
    ;;
  destroy) destroy ;;
  env) print_env ;;
  dsn) print_dsn ;;
  psql) dsn="$(print_dsn)"; shift; exec psql "${dsn}" "$@" ;;
  *) die "usage: scripts/pg.sh start|stop|restart|running|managed|destroy|dsn|env|psql" ;;
esac
