#!/usr/bin/env bash
# A real local deployment, as the platform team deploys the suite, on this machine with Podman:
#   1. builds a Debian 12 base image from the Debian registry (mmdebstrap; no other registry is
#      reachable), the four service images from the root Dockerfile with one shared compile, and
#      a PostgreSQL image the same way (k8s/overlays/local/postgres);
#   2. generates the run's PKI (a CA, a certificate per service, for PostgreSQL and for the
#      logbook), the JWT signing key and its JWKS, the database passwords and the hash key, as
#      the Secrets the manifests mount;
#   3. runs PostgreSQL as a pod (TLS only, SCRAM), the organisation's logbook (the development
#      receiver, over TLS, outside the pods: it is not the suite's), then the migration Jobs of
#      k8s/overlays/local/migrate, and once all four completed the Deployments of
#      k8s/overlays/local (production's manifests and settings; what differs and why is in
#      k8s/overlays/local/settings/kustomization.yaml), each with `podman kube play`;
#   4. waits for every pod's gRPC health (the kubelet's plaintext probe port), drives the main
#      flow against the pods with voorlichting-cli over TLS with JWT bearer tokens (signed by the
#      run's key, with production's issuer and audiences), checks health over TLS, that
#      plaintext and the repository's test key are refused, how the pods run, their JSON logs,
#      every pod's metrics and the export to the logbook; stops every server (drain, exit 0);
#   5. prints a summary and tears everything down (pods, network, volumes, secrets, keys),
#      checking that nothing is left. The images stay, so a second run reuses them (Podman's
#      layer cache rebuilds what changed).
#
#   scripts/deploy-local.sh           the whole run (about 12 minutes the first time, most of it
#                                     the images' compile; about 80 s with the images built)
#   scripts/deploy-local.sh --down    tear down what CAK_KEEP_RUNNING=1 left running
# Environment: CAK_KEEP_RUNNING=1 leaves the deployment running (and says how to reach it).
# Needs root (rootful Podman: fixed addresses on a bridge network, the logbook on port 443) and
# installs what is missing (podman, runc, catatonit, mmdebstrap, python3-yaml). Fails with a
# clear message where this machine cannot run containers. Run by ctest under the label
# `deploy` (tests/CMakeLists.txt), within the README's test command.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEPLOY_DIR="${STATE_DIR}/deploy"   # this run: PKI (removed at the end), rendered objects, logs
PKI="${DEPLOY_DIR}/pki"
LOGS="${DEPLOY_DIR}/logs"
NETWORK=voorlichting-local
SUBNET=10.89.77.0/24
GATEWAY=10.89.77.1       # the host on that network: the logbook listens here
PG_IP=10.89.77.10
SERVICES=(intake-svc analysis-svc dispatch-svc campaign-svc)
declare -A POD_IP=([intake-svc]=10.89.77.11 [analysis-svc]=10.89.77.12 [dispatch-svc]=10.89.77.13
                   [campaign-svc]=10.89.77.14)
BASE_IMAGE=localhost/voorlichting/debian:bookworm-minbase
PG_IMAGE=localhost/voorlichting/postgres:local
REGISTRY=registry.cak.nl/voorlichting
TAG=local
CLI="${BUILD_DIR}/tools/voorlichting-cli"
LOGBOOK="${BUILD_DIR}/tools/logbook/voorlichting-logbook"
DATAGEN="${BUILD_DIR}/tools/datagen/voorlichting-datagen"
export CONTAINERS_CONF="${DEPLOY_DIR}/containers.conf"

# Time per phase, for the summary.
PHASES=()
PHASE_NAME="" PHASE_START=0
phase() {  # phase <name>: ends the running phase, starts the next
  local now; now=$(date +%s)
  [[ -z "${PHASE_NAME}" ]] || PHASES+=("$(printf '%-44s %5d s' "${PHASE_NAME}" $((now - PHASE_START)))")
  PHASE_NAME="$1" PHASE_START=${now}
  [[ -z "$1" ]] || say "$1"
}

# ---------------------------------------------------------------------------- tear down
LOGBOOK_PID=""
teardown() {  # removes everything the run made except the images and the logs
  podman pod rm -f --ignore postgres-rw "${SERVICES[@]/%/-pod-0}" "${SERVICES[@]/%/-migrate}" >/dev/null 2>&1 || true
  podman network rm -f "${NETWORK}" >/dev/null 2>&1 || true
  local v s
  for v in $(podman volume ls -q --filter label=voorlichting.cak.nl/deploy-local 2>/dev/null); do
    podman volume rm -f "$v" >/dev/null 2>&1 || true
  done
  # kube play writes each mounted Secret into a named volume of the Secret's name, in plain
  # text, and leaves it behind: remove those with the Secrets.
  for s in $(podman secret ls --format '{{.Name}}' 2>/dev/null); do
    [[ -f "${DEPLOY_DIR}/secrets/$s" ]] || continue
    podman secret rm "$s" >/dev/null 2>&1 || true
    podman volume rm -f "$s" >/dev/null 2>&1 || true
  done
  rm -rf "${DEPLOY_DIR}/secrets" "${PKI}"
  if [[ -n "${LOGBOOK_PID}" ]]; then
    kill -TERM "${LOGBOOK_PID}" 2>/dev/null && wait "${LOGBOOK_PID}" 2>/dev/null || true
  elif [[ -s "${DEPLOY_DIR}/logbook.pid" ]]; then
    kill -TERM "$(cat "${DEPLOY_DIR}/logbook.pid")" 2>/dev/null || true
  fi
  rm -f "${DEPLOY_DIR}/logbook.pid"
}
on_exit() {
  local code=$?
  if [[ "${CAK_KEEP_RUNNING:-0}" == "1" && ${code} -eq 0 ]]; then
    say "left running (scripts/deploy-local.sh --down removes it): PostgreSQL ${PG_IP}:5432, $(
      for s in "${SERVICES[@]}"; do printf '%s %s:50051 ' "$s" "${POD_IP[$s]}"; done)(TLS, CA ${PKI}/ca.crt)"
    return
  fi
  say "tearing down: pods, network, volumes, secrets, keys (images kept; logs in ${LOGS})"
  local secrets=()
  [[ -d "${DEPLOY_DIR}/secrets" ]] && mapfile -t secrets < <(ls "${DEPLOY_DIR}/secrets")
  teardown
  if [[ ${code} -ne 0 ]]; then
    printf 'error: the local deployment failed (exit %d); logs in %s\n' "${code}" "${LOGS}" >&2
    return
  fi
  check_torn_down "${secrets[@]}" || exit 1
}
# Nothing of the run may be left but the images and the logs: no pod, network, volume (the
# claims', the Secrets' copies), Secret, key or logbook process.
check_torn_down() {  # check_torn_down <secret name>...
  local left=() name
  for name in $(podman pod ps --format '{{.Name}}'); do
    [[ " postgres-rw ${SERVICES[*]/%/-pod-0} ${SERVICES[*]/%/-migrate} " == *" ${name} "* ]] && left+=("pod ${name}")
  done
  podman network exists "${NETWORK}" && left+=("network ${NETWORK}")
  for name in $(podman volume ls -q); do
    [[ " $* voorlichting-local-pgdata voorlichting-local-pgrun analysis-svc-import dispatch-svc-deliveries " == *" ${name} "* ]] \
      && left+=("volume ${name}")
  done
  for name in $(podman secret ls --format '{{.Name}}'); do
    [[ " $* " == *" ${name} "* ]] && left+=("secret ${name}")
  done
  [[ -e "${PKI}" ]] && left+=("keys in ${PKI}")
  [[ -n "${LOGBOOK_PID}" ]] && kill -0 "${LOGBOOK_PID}" 2>/dev/null && left+=("the logbook (pid ${LOGBOOK_PID})")
  if ((${#left[@]})); then
    printf 'error: the teardown left: %s\n' "${left[*]}" >&2
    return 1
  fi
  say "torn down: nothing of the run is left but the images and ${LOGS}"
}

# ---------------------------------------------------------------------------- preconditions
need_root() {
  [[ $(id -u) -eq 0 ]] || die "deploy-local needs root: rootful Podman (fixed pod addresses on a bridge network) and the logbook on port 443"
}
install_container_tools() {
  local p missing=()
  for p in podman runc catatonit mmdebstrap python3-yaml openssl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing: ${missing[*]}"
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
      || die "could not install ${missing[*]} from the Debian registry"
  fi
}
# Podman's configuration for this run only (CONTAINERS_CONF), nothing under /etc: runc (crun
# fails on cgroups in hybrid mode), and rlimits no higher than this process has (runc cannot
# raise them: "error setting rlimit type 7/6"; the services need few of either).
write_containers_conf() {
  local nofile nproc
  nofile=$(ulimit -Hn); [[ "${nofile}" == unlimited ]] && nofile=1048576
  nproc=$(ulimit -Hu); [[ "${nproc}" == unlimited || "${nproc}" -gt 4096 ]] && nproc=4096
  cat > "${CONTAINERS_CONF}" <<EOF
# Written by scripts/deploy-local.sh for its own podman calls (CONTAINERS_CONF).
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
EOF
}
cannot_run_containers() {  # cannot_run_containers <what failed> <log>
  printf 'error: this machine cannot run containers: %s\n' "$1" >&2
  [[ -s "$2" ]] && tail -5 "$2" | sed 's/^/  /' >&2
  cat >&2 <<'EOF'
  deploy-local needs rootful Podman with runc, a bridge network and overlay storage (it worked on
  Debian 12 with podman 4.3). See `podman info`; the log above says what failed.
EOF
  exit 1
}

# ---------------------------------------------------------------------------- images
suite_version() { sed -n 's/^project([^ ]* VERSION \([0-9][0-9.]*\).*/\1/p' "${ROOT}/CMakeLists.txt"; }
build_base_image() {
  if podman image exists "${BASE_IMAGE}"; then
    say "base image ${BASE_IMAGE} is there (podman rmi it to make it anew)"
    return
  fi
  # minbase with what debian:bookworm-slim leaves out (manuals, docs but copyrights, locales);
  # the same suites as this machine: bookworm, -updates, -security.
  mmdebstrap --variant=minbase --quiet \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' --aptopt='Acquire::Languages "none"' \
    bookworm "${DEPLOY_DIR}/base.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >"${LOGS}/base-image.log" 2>&1 \
    || { tail -20 "${LOGS}/base-image.log" >&2; die "mmdebstrap could not make the Debian 12 base (see ${LOGS}/base-image.log)"; }
  podman import --change 'CMD ["/bin/bash"]' "${DEPLOY_DIR}/base.tar" "${BASE_IMAGE}" >>"${LOGS}/base-image.log" 2>&1 \
    || die "podman import of the base failed (see ${LOGS}/base-image.log)"
  rm -f "${DEPLOY_DIR}/base.tar"
}
build_images() {
  local version revision created svc
  version="$(suite_version)"
  revision="$(git -C "${ROOT}" rev-parse HEAD 2>/dev/null || echo unknown)"
  # The commit's time, not now: the same commit gives the same labels, so a rerun reuses every layer.
  created="$(git -C "${ROOT}" log -1 --format=%cI 2>/dev/null || echo unknown)"
  for svc in "${SERVICES[@]}"; do
    say "image ${REGISTRY}/${svc}:${TAG} (version ${version}, revision ${revision:0:12}; the build stage is shared)"
    podman build --layers --build-arg SERVICE="${svc}" --build-arg VERSION="${version}" \
      --build-arg REVISION="${revision}" --build-arg CREATED="${created}" \
      --build-arg BUILD_IMAGE="${BASE_IMAGE}" --build-arg RUNTIME_IMAGE="${BASE_IMAGE}" \
      -t "${REGISTRY}/${svc}:${TAG}" -f "${ROOT}/Dockerfile" "${ROOT}" >"${LOGS}/image-${svc}.log" 2>&1 \
      || { tail -30 "${LOGS}/image-${svc}.log" >&2; die "the image of ${svc} did not build (see ${LOGS}/image-${svc}.log)"; }
  done
  say "image ${PG_IMAGE}"
  podman build --layers --build-arg BASE_IMAGE="${BASE_IMAGE}" -t "${PG_IMAGE}" \
    -f "${ROOT}/k8s/overlays/local/postgres/Dockerfile" "${ROOT}" >"${LOGS}/image-postgres.log" 2>&1 \
    || { tail -30 "${LOGS}/image-postgres.log" >&2; die "the PostgreSQL image did not build (see ${LOGS}/image-postgres.log)"; }
}

# ---------------------------------------------------------------------------- PKI and secrets
# A CA for the run and a certificate per name it serves (and presents as a client: mTLS between
# the services and to the logbook). The services' certificates carry their pod address as well,
# since the CLI on this host reaches the pods by address (there is no cluster DNS to ask).
issue() {  # issue <file stem> <subject CN> <subjectAltName>
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "${PKI}/$1.key" -out "${PKI}/$1.csr" 2>/dev/null
  openssl x509 -req -in "${PKI}/$1.csr" -CA "${PKI}/ca.crt" -CAkey "${PKI}/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\nbasicConstraints=CA:FALSE\n' "$3") \
    -out "${PKI}/$1.crt" 2>/dev/null
  rm -f "${PKI}/$1.csr"
}
make_pki() {
  rm -rf "${PKI}"; mkdir -p "${PKI}"; chmod 700 "${PKI}"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=voorlichting deploy-local CA $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "${PKI}/ca.key" -out "${PKI}/ca.crt" 2>/dev/null || die "openssl could not make the run's CA"
  local svc
  for svc in "${SERVICES[@]}"; do
    issue "${svc}" "${svc}.voorlichting.svc" "DNS:${svc}.voorlichting.svc,IP:${POD_IP[$svc]}"
  done
  issue postgres postgres-rw.voorlichting-db.svc "DNS:postgres-rw.voorlichting-db.svc,IP:${PG_IP}"
  issue logbook logboek.logboek-dataverwerkingen.svc "DNS:logboek.logboek-dataverwerkingen.svc"
  # The identity provider's signing key for the run; the services trust its JWKS.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${PKI}/jwt.key" 2>/dev/null
  JWT_KID="deploy-local-$(date -u +%Y%m%d%H%M%S)"
  "${CLI}" --token-key="${PKI}/jwt.key" --token-key-id="${JWT_KID}" jwks > "${PKI}/jwks.json" \
    || die "voorlichting-cli jwks failed"
  for role in "${SERVICES[@]%-svc}"; do
    printf '%s' "$(random_secret)" > "${PKI}/${role}_owner.password"
    printf '%s' "$(random_secret)" > "${PKI}/${role}_svc.password"
  done
  printf '%s' "$(random_secret)" > "${PKI}/hash.key"
}
# The files of each Secret the manifests name (k8s/<service>/kustomization.yaml lists them),
# plus the PostgreSQL pod's two.
secret_items() {  # secret_items <secret name>: key=file ...
  local name="$1" svc
  case "${name}" in
    voorlichting-db-ca | voorlichting-service-ca) echo "ca.crt=${PKI}/ca.crt" ;;
    voorlichting-hash-key) echo "key=${PKI}/hash.key" ;;
    voorlichting-jwt) echo "jwks.json=${PKI}/jwks.json" ;;
    voorlichting-local-postgres-tls) echo "tls.crt=${PKI}/postgres.crt tls.key=${PKI}/postgres.key" ;;
    voorlichting-local-db-passwords)
      for svc in "${SERVICES[@]%-svc}"; do
        printf '%s ' "${svc}_owner=${PKI}/${svc}_owner.password" "${svc}_svc=${PKI}/${svc}_svc.password"
      done; echo ;;
    *-svc-db-owner) echo "password=${PKI}/${name%-svc-db-owner}_owner.password" ;;
    *-svc-db) echo "password=${PKI}/${name%-svc-db}_svc.password" ;;
    *-svc-tls) svc="${name%-tls}"; echo "tls.crt=${PKI}/${svc}.crt tls.key=${PKI}/${svc}.key ca.crt=${PKI}/ca.crt" ;;
    *) die "a manifest mounts Secret ${name}, which deploy-local does not know how to make (add it to secret_items)" ;;
  esac
}
create_secret() {  # create_secret <name>
  mkdir -p "${DEPLOY_DIR}/secrets"; chmod 700 "${DEPLOY_DIR}/secrets"
  local file="${DEPLOY_DIR}/secrets/$1" items
  items="$(secret_items "$1")" || exit 1
  # shellcheck disable=SC2086
  python3 "${ROOT}/scripts/deploy_local.py" secret "$1" ${items} > "${file}"
  podman secret rm "$1" >/dev/null 2>&1 || true
  podman secret create "$1" "${file}" >/dev/null || die "podman secret create $1 failed"
}

# ---------------------------------------------------------------------------- pods
# kube play names a Deployment's pods <deployment>-pod-<n> and their containers <pod>-<container>.
server_container() { echo "$1-pod-0-$1"; }
make_volume() {  # make_volume <name> <uid> [mode]: a named volume (a claim) owned by <uid>
  local dir
  podman volume create --label voorlichting.cak.nl/deploy-local=true "$1" >/dev/null || die "podman volume create $1 failed"
  dir="$(podman volume inspect --format '{{.Mountpoint}}' "$1")"
  chown "$2:$2" "${dir}"
  chmod "${3:-0755}" "${dir}"
}
pod_exited() {  # pod_exited <container>: true when it is no longer running
  [[ "$(podman inspect --format '{{.State.Status}}' "$1" 2>/dev/null)" != running ]]
}
container_logs() { podman logs "$1" > "${LOGS}/$1.log" 2>&1 || true; }
wait_postgres() {
  local dsn="host=postgres-rw.voorlichting-db.svc hostaddr=${PG_IP} port=5432 dbname=voorlichting user=intake_svc sslmode=verify-full sslrootcert=${PKI}/ca.crt connect_timeout=2"
  for _ in $(seq 120); do
    PGPASSWORD="$(cat "${PKI}/intake_svc.password")" psql "${dsn}" -X -Atc "SELECT 'tls ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" \
      2>/dev/null | grep -q "tls t" && { say "PostgreSQL serves voorlichting over TLS (verify-full) at ${PG_IP}"; return; }
    pod_exited postgres-rw-postgres && break
    sleep 1
  done
  container_logs postgres-rw-postgres; tail -20 "${LOGS}/postgres-rw-postgres.log" >&2
  die "PostgreSQL did not accept a TLS connection within 2 minutes"
}
start_logbook() {
  mkdir -p "${DEPLOY_DIR}/logbook"; rm -f "${DEPLOY_DIR}/logbook/"*.jsonl "${DEPLOY_DIR}/logbook.port"
  "${LOGBOOK}" --dir="${DEPLOY_DIR}/logbook" --listen="${GATEWAY}:443" --tls-cert-file="${PKI}/logbook.crt" \
    --tls-key-file="${PKI}/logbook.key" --port-file="${DEPLOY_DIR}/logbook.port" >"${LOGS}/logbook.log" 2>&1 &
  LOGBOOK_PID=$!
  echo "${LOGBOOK_PID}" > "${DEPLOY_DIR}/logbook.pid"
  for _ in $(seq 100); do
    [[ -s "${DEPLOY_DIR}/logbook.port" ]] && { say "the logbook (logboek.v1, TLS) listens on ${GATEWAY}:443"; return; }
    kill -0 "${LOGBOOK_PID}" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "${LOGS}/logbook.log" >&2; die "the logbook did not start on ${GATEWAY}:443"
}
run_migrations() {  # run_migrations <file>...: all at once, as the Job controller would; all must exit 0
  local file name failed=0
  for file in "$@"; do
    podman kube play --network "${NETWORK}" "${file}" >>"${LOGS}/kube-play.log" 2>&1 \
      || { tail -5 "${LOGS}/kube-play.log" >&2; die "podman kube play ${file} failed"; }
  done
  for file in "$@"; do
    name="$(basename "${file}" .yaml)"
    code="$(podman wait "${name}-migrate" 2>/dev/null || echo '?')"
    container_logs "${name}-migrate"
    if [[ "${code}" == 0 ]]; then
      say "Job ${name} completed (exit 0)"
    else
      tail -10 "${LOGS}/${name}-migrate.log" >&2; say "Job ${name} failed (exit ${code})"; failed=1
    fi
    podman pod rm -f "${name}" >/dev/null 2>&1 || true
  done
  ((failed == 0)) || die "a migration Job failed: the Deployments are not started (as with kubectl: step 2 waits for step 1)"
}
wait_serving() {  # wait_serving <service>: the kubelet's readiness probe, by hand (kube play ignores probes)
  local svc="$1" container; container="$(server_container "$1")"
  for _ in $(seq 150); do
    env -u CAK_TLS_CA "${CLI}" --address="${POD_IP[$svc]}:8081" --timeout=2s health >/dev/null 2>&1 \
      && { say "${svc} is SERVING (${POD_IP[$svc]}; health port 8081)"; return; }
    pod_exited "${container}" && break
    sleep 1
  done
  container_logs "${container}"; tail -20 "${LOGS}/${container}.log" >&2
  die "${svc} did not report SERVING within 150 s"
}

# ---------------------------------------------------------------------------- checks
check_pods() {  # health over TLS on the API port, plaintext refused there, how each pod runs
  local svc ip out
  for svc in "${SERVICES[@]}"; do
    ip="${POD_IP[$svc]}"
    "${CLI}" --address="${ip}:50051" --tls-ca="${PKI}/ca.crt" health >/dev/null \
      || die "${svc}: no gRPC health over TLS at ${ip}:50051"
    if env -u CAK_TLS_CA "${CLI}" --address="${ip}:50051" --timeout=3s health >/dev/null 2>&1; then
      die "${svc} answered a plaintext call on its API port"
    fi
    out="$(podman inspect --format '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}' "$(server_container "${svc}")")"
    [[ "${out}" == "10001:10001 true" || "${out}" == "10001 true" ]] \
      || die "${svc} does not run as 10001 with a read-only root filesystem (${out})"
    POD_LINES+=("$(printf '%-13s %-12s SERVING (TLS :50051, probe :8081), plaintext refused, uid 10001, read-only root' "${svc}" "${ip}")")
  done
}
# The services trust only the run's key: a token minted with the repository's test key (what
# --auth-mode=development accepts) is refused, as in production.
check_test_key_refused() {
  local err
  if err="$(env -u CAK_TOKEN_KEY -u CAK_TOKEN_KEY_ID "${CLI}" --address="${POD_IP[intake-svc]}:50051" \
      --as=emp-1001 --roles=intake_officer list 2>&1 >/dev/null)"; then
    die "intake-svc accepted a token signed with the repository's test key"
  fi
  [[ "${err}" == *UNAUTHENTICATED* ]] || die "a token signed with the test key: expected UNAUTHENTICATED, got: ${err}"
  say "a token signed with the repository's test key is refused: UNAUTHENTICATED"
}
# The servers' stderr, as the platform's log collector reads it: one JSON object per line.
check_logs() {
  local svc c
  for svc in "${SERVICES[@]}"; do
    c="$(server_container "${svc}")"
    container_logs "${c}"
    python3 - "${LOGS}/${c}.log" <<'PY' || die "${svc} wrote log lines that are not JSON (${LOGS}/${c}.log)"
import json, sys
def is_object(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
bad = [l for l in lines if not is_object(l)]
for l in bad[:3]:
    print("not a JSON object:", l[:160], file=sys.stderr)
sys.exit(1 if bad or not lines else 0)
PY
  done
  say "every server's log is JSON lines (${LOGS}/<service>-pod-0-<service>.log)"
}
check_metrics() {  # every pod's /metrics: build info, calls served, the logbook export
  local s
  python3 - "${LOGS}/metrics" "$(suite_version)" $(for s in "${SERVICES[@]}"; do echo "$s=${POD_IP[$s]}"; done) <<'PY'
import os, re, sys, urllib.request
out_dir, version = sys.argv[1], sys.argv[2]
pods = [arg.split("=", 1) for arg in sys.argv[3:]]
os.makedirs(out_dir, exist_ok=True)
failed = False
def total(body, metric):  # summed over its label sets
    return sum(float(m.group(1)) for m in re.finditer(r'^' + metric + r'(?:\{[^}]*\})? (\S+)$', body, re.M))
for name, ip in pods:
    body = urllib.request.urlopen(f"http://{ip}:9464/metrics", timeout=5).read().decode()
    open(os.path.join(out_dir, f"{name}.txt"), "w").write(body)
    build = re.search(r'^voorlichting_build_info\{([^}]*)\}', body, re.M)
    handled = total(body, "grpc_server_handled_total")
    failures = total(body, "logbook_export_failures_total")
    exported = total(body, "logbook_export_operations_total")
    problems = []
    if not build or f'version="{version}"' not in build.group(1):
        problems.append(f"no voorlichting_build_info with version {version}")
    if handled <= 0:
        problems.append("no calls served")
    if failures > 0:
        problems.append(f"{failures:.0f} failed logbook exports")
    rss = total(body, "process_resident_memory_bytes") / 2**20
    print(f"  {name:<13} {ip:<12} calls {handled:>6.0f}  logbook exports {exported:>6.0f}, failures {failures:.0f}  "
          f"RSS {rss:6.1f} MiB  {build.group(1) if build else ''}")
    for p in problems:
        print(f"error: {name}: {p}", file=sys.stderr)
    failed |= bool(problems)
sys.exit(1 if failed else 0)
PY
}

# What the kubelet does on delete (but the preStop sleep): SIGTERM, then up to the grace period
# (terminationGracePeriodSeconds, 35 s) for the server to turn NOT_SERVING, drain and exit 0.
stop_servers() {
  local svc c code
  for svc in "${SERVICES[@]}"; do
    c="$(server_container "${svc}")"
    podman stop --time 35 "${c}" >/dev/null 2>&1 || true
    code="$(podman inspect --format '{{.State.ExitCode}}' "${c}")"
    container_logs "${c}"
    [[ "${code}" == 0 ]] || { tail -5 "${LOGS}/${c}.log" >&2; die "${svc} exited with ${code} on SIGTERM (expected a drain and 0)"; }
    POD_LINES+=("$(printf '%-13s drained on SIGTERM, exit 0' "${svc}")")
  done
}

# ---------------------------------------------------------------------------- main
if [[ "${1:-}" == "--down" ]]; then
  need_root
  [[ -f "${CONTAINERS_CONF}" ]] || write_containers_conf
  teardown
  say "local deployment removed"
  exit 0
fi
[[ $# -eq 0 ]] || die "usage: scripts/deploy-local.sh [--down]"

RUN_START=$(date +%s)
need_root
phase "preparing: packages, host tools (voorlichting-cli, -logbook, -datagen), Podman"
"${ROOT}/scripts/install-deps.sh"
install_container_tools
"${ROOT}/scripts/build.sh" voorlichting-cli voorlichting-logbook voorlichting-datagen
mkdir -p "${DEPLOY_DIR}" "${LOGS}"
rm -f "${LOGS}"/*.log
write_containers_conf
podman info >"${LOGS}/podman-info.log" 2>&1 || cannot_run_containers "podman info failed" "${LOGS}/podman-info.log"
teardown  # what an interrupted earlier run left
trap on_exit EXIT

phase "base image ${BASE_IMAGE} (mmdebstrap, Debian 12 minbase)"
build_base_image
podman run --rm --network none "${BASE_IMAGE}" true >"${LOGS}/container-check.log" 2>&1 \
  || cannot_run_containers "a container from the base image did not start" "${LOGS}/container-check.log"

phase "images: one compile for the four services (root Dockerfile), PostgreSQL"
build_images

phase "rendering k8s/overlays/local/migrate and k8s/overlays/local (kubectl kustomize)"
mkdir -p "${DEPLOY_DIR}/rendered"
kubectl kustomize "${ROOT}/k8s/overlays/local/migrate" > "${DEPLOY_DIR}/rendered/migrate.yaml"
kubectl kustomize "${ROOT}/k8s/overlays/local" > "${DEPLOY_DIR}/rendered/deploy.yaml"
python3 "${ROOT}/scripts/deploy_local.py" split "${DEPLOY_DIR}/rendered/migrate.yaml" "${DEPLOY_DIR}/rendered/migrate" \
  > "${DEPLOY_DIR}/rendered/migrate.plan"
python3 "${ROOT}/scripts/deploy_local.py" split "${DEPLOY_DIR}/rendered/deploy.yaml" "${DEPLOY_DIR}/rendered/deploy" \
  > "${DEPLOY_DIR}/rendered/deploy.plan"
mapfile -t JOB_FILES < <(awk '$1 == "run" && $2 == "Job" {print $4}' "${DEPLOY_DIR}/rendered/migrate.plan")
mapfile -t DEPLOYMENTS < <(awk '$1 == "run" && $2 == "Deployment" {print $3}' "${DEPLOY_DIR}/rendered/deploy.plan")
((${#JOB_FILES[@]} == ${#SERVICES[@]} && ${#DEPLOYMENTS[@]} == ${#SERVICES[@]})) \
  || die "expected a migration Job and a Deployment per service, got ${#JOB_FILES[@]} and ${#DEPLOYMENTS[@]}"
skipped="$(awk '$1 == "skip" {print $2}' "${DEPLOY_DIR}/rendered/deploy.plan" | sort | uniq -c | awk '{print $1, $2}' | paste -sd,)"
say "not run under Podman (reasons in ${DEPLOY_DIR}/rendered/deploy.plan): ${skipped//,/, }"
# The JWT settings the services were given, so that the CLI mints what they accept.
JWT_ISSUER="$(python3 "${ROOT}/scripts/deploy_local.py" setting "${DEPLOY_DIR}/rendered/deploy.yaml" CAK_JWT_ISSUER)"
JWT_AUDIENCES="$(python3 "${ROOT}/scripts/deploy_local.py" setting "${DEPLOY_DIR}/rendered/deploy.yaml" \
  CAK_JWT_AUDIENCE | sort | paste -sd,)"
[[ -n "${JWT_ISSUER}" && "${JWT_ISSUER}" != *$'\n'* ]] || die "the Deployments do not agree on one CAK_JWT_ISSUER"

phase "the run's PKI, JWT key, passwords; Secrets, volumes, network"
make_pki
for name in $(awk '$1 == "secret" {print $2}' "${DEPLOY_DIR}/rendered/migrate.plan" "${DEPLOY_DIR}/rendered/deploy.plan" | sort -u) \
  voorlichting-local-postgres-tls voorlichting-local-db-passwords; do
  create_secret "${name}"
done
# Volumes for the claims (the services' and the PostgreSQL pod's). Podman ignores fsGroup: each
# is handed to its pod's uid here.
for claim in $(awk '$1 == "volume" {print $2}' "${DEPLOY_DIR}/rendered/deploy.plan" | sort -u); do
  make_volume "${claim}" 10001
done
make_volume voorlichting-local-pgdata 999 0700
make_volume voorlichting-local-pgrun 999
IMPORT_DIR="$(podman volume inspect --format '{{.Mountpoint}}' analysis-svc-import)"
DELIVERY_DIR="$(podman volume inspect --format '{{.Mountpoint}}' dispatch-svc-deliveries)"
# No --ip-range: with Podman's CNI backend (Debian's podman without netavark) a fixed address
# outside the range is refused ("failed to allocate all requested IPs"). The migration pods take
# dynamic addresses, which never collide with the fixed ones: PostgreSQL's is taken before them,
# and they are removed before the Deployments take theirs.
podman network create --subnet "${SUBNET}" --gateway "${GATEWAY}" "${NETWORK}" \
  >"${LOGS}/network.log" 2>&1 \
  || { cat "${LOGS}/network.log" >&2; die "could not create network ${NETWORK} (${SUBNET}): is the subnet in use? (podman network ls)"; }

phase "PostgreSQL pod (TLS only, SCRAM) at ${PG_IP}; the logbook on the host"
podman kube play --network "${NETWORK}" --ip "${PG_IP}" "${ROOT}/k8s/overlays/local/postgres/pod.yaml" \
  >>"${LOGS}/kube-play.log" 2>&1 || { tail -5 "${LOGS}/kube-play.log" >&2; die "the PostgreSQL pod did not start"; }
wait_postgres
start_logbook

phase "migration Jobs (k8s/overlays/local/migrate), all four to completion"
run_migrations "${JOB_FILES[@]}"

phase "Deployments (k8s/overlays/local), until every pod is SERVING"
for svc in "${DEPLOYMENTS[@]}"; do
  [[ -n "${POD_IP[$svc]:-}" ]] || die "Deployment ${svc} has no address in the local overlay's hostAliases"
  podman kube play --network "${NETWORK}" --ip "${POD_IP[$svc]}" "${DEPLOY_DIR}/rendered/deploy/${svc}.yaml" \
    >>"${LOGS}/kube-play.log" 2>&1 || { tail -5 "${LOGS}/kube-play.log" >&2; die "podman kube play of ${svc} failed"; }
done
for svc in "${SERVICES[@]}"; do wait_serving "${svc}"; done

phase "the main flow against the pods: voorlichting-cli over TLS, JWT bearer tokens"
say "generating the synthetic source extract (small: 10,000 customers) into the analysis-svc-import volume"
"${DATAGEN}" --size=small --out="${IMPORT_DIR}" >/dev/null
chmod -R a+rX "${IMPORT_DIR}"
export CAK_TLS_CA="${PKI}/ca.crt" CAK_TOKEN_KEY="${PKI}/jwt.key" CAK_TOKEN_KEY_ID="${JWT_KID}" \
  CAK_TOKEN_ISSUER="${JWT_ISSUER}" CAK_TOKEN_AUDIENCE="${JWT_AUDIENCES}"
say "tokens: issuer ${JWT_ISSUER}, audiences ${JWT_AUDIENCES}, key ${JWT_KID} (the services trust only its JWKS)"
"${CLI}" --timeout=60s flow --intake-address="${POD_IP[intake-svc]}:50051" \
  --analysis-address="${POD_IP[analysis-svc]}:50051" --dispatch-address="${POD_IP[dispatch-svc]}:50051" \
  --campaign-address="${POD_IP[campaign-svc]}:50051" --import-dir="${IMPORT_DIR}" \
  --delivery-dir="${DELIVERY_DIR}" --logbook-dir="${DEPLOY_DIR}/logbook" --report-dir="${DEPLOY_DIR}/reports" \
  --control-share=0.1 --seed=7624 | tee "${LOGS}/flow.txt"
# (pipefail: a failed flow fails the run.)

phase "checks: health over TLS, plaintext and the test key refused, how the pods run, logs, metrics"
POD_LINES=()
check_pods
check_test_key_refused
check_logs
say "metrics of every pod (http://<pod>:9464/metrics, kept in ${LOGS}/metrics):"
check_metrics

phase "stopping: SIGTERM to every server, each drains and exits 0"
stop_servers
phase ""

container_logs postgres-rw-postgres
say "summary of the local deployment"
{
  echo "  images (built from this working tree; Podman's local store):"
  podman images --format '    {{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "/(intake|analysis|dispatch|campaign)-svc:${TAG} |postgres:local |debian:bookworm-minbase " || true
  echo "  pods on network ${NETWORK} (${SUBNET}):"
  printf '    %s\n' "${POD_LINES[@]}"
  printf '    %-13s %-12s PostgreSQL 15, TLS only (hostssl, verify-full), SCRAM\n' postgres-rw "${PG_IP}"
  printf '    %-13s %-12s logbook (logboek.v1, TLS) on the host, files in %s\n' logbook "${GATEWAY}:443" "${DEPLOY_DIR}/logbook"
  echo "  time per phase:"
  printf '    %s\n' "${PHASES[@]}"
  printf '    %-44s %5d s\n' total $(( $(date +%s) - RUN_START ))
  echo "  service logs (JSON lines): ${LOGS}/<service>-pod-0-<service>.log"
} >&2
