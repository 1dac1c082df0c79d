#!/bin/sh
# The PostgreSQL pod of the local deployment (see Dockerfile): at the first start, a cluster in
# the data volume with TLS only and SCRAM passwords, database voorlichting and each service's
# roles and schema (scripts/provision.sql, the passwords from the mounted Secret); then the
# server in the foreground. Mounted (k8s/overlays/local/postgres/pod.yaml):
#   /etc/cak/tls/tls.crt, tls.key   the server certificate for postgres-rw.voorlichting-db.svc
#   /etc/cak/db-passwords/<role>    the password of each role <service>_owner / <service>_svc
set -eu
BIN=/usr/lib/postgresql/15/bin
PGDATA=/var/lib/postgresql/data
PGHOST=/var/lib/postgresql/run  # the socket (a volume; see pod.yaml)
SERVICES="intake analysis dispatch campaign"
export PGDATA PGHOST

if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  "${BIN}/initdb" --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    --username=postgres >/dev/null
  # The server refuses a key others can read; the Secret's files are not ours.
  install -m 0600 /etc/cak/tls/tls.crt "${PGDATA}/server.crt"
  install -m 0600 /etc/cak/tls/tls.key "${PGDATA}/server.key"
  cat >> "${PGDATA}/postgresql.conf" <<CONF
listen_addresses = '*'
unix_socket_directories = '${PGHOST}'
ssl = on
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
max_connections = 200
log_connections = off
CONF
  # Only TLS from the network, only with a password; locally only the postgres user.
  cat > "${PGDATA}/pg_hba.conf" <<HBA
local     all          postgres                peer
hostssl   voorlichting all      0.0.0.0/0      scram-sha-256
HBA
  "${BIN}/pg_ctl" -w -s -o "-c listen_addresses=''" start
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE voorlichting'
  for svc in ${SERVICES}; do
    psql -X -q -d voorlichting -v svc="${svc}" \
      -v owner_password="$(cat "/etc/cak/db-passwords/${svc}_owner")" \
      -v app_password="$(cat "/etc/cak/db-passwords/${svc}_svc")" \
      -f /usr/local/share/voorlichting/provision.sql
  done
  "${BIN}/pg_ctl" -w -s stop
  echo "entrypoint: database voorlichting provisioned for: ${SERVICES}"
fi
exec "${BIN}/postgres"
