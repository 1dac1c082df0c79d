#!/usr/bin/env bash
# Contract and manifest checks, part of the test command (ctest runs each subcommand).
#
#   scripts/contract-checks.sh               all checks
#   scripts/contract-checks.sh buf-lint      protos/ pass `buf lint` (rules: protos/buf.yaml:
#                                            STANDARD and COMMENTS, so every element has a
#                                            leading comment)
#   scripts/contract-checks.sh buf-format    protos/ are as `buf format` leaves them (the
#                                            vendored third_party/ excepted); fix with
#                                            `buf format -w --exclude-path third_party` in protos/
#   scripts/contract-checks.sh vendored      protos/third_party/googleapis holds exactly the
#                                            googleapis files its README.md names (sha256)
#   scripts/contract-checks.sh api-docs      docs/api/ is what scripts/api-docs.sh generates
#                                            from the protos now; fix with scripts/api-docs.sh
#   scripts/contract-checks.sh k8s-validate  every kustomize entry point of k8s/ (base, every
#                                            kustomization under overlays/) renders offline;
#                                            objects valid against the API schemas (unknown
#                                            fields rejected), entry points and overlays against
#                                            tools/contract-checks/validate.mjs, after its self-test
#   scripts/contract-checks.sh format        every tracked C++ file is as clang-format
#                                            (.clang-format) leaves it; fix with
#                                            `git ls-files '*.cc' '*.h' | xargs clang-format -i`
#
# Prints one result line per check and exits non-zero if any check fails. Works from any
# directory. The npm tools (buf, kubernetes-models, yaml) are pinned in
# tools/contract-checks/package-lock.json and installed there with `npm ci` whenever
# node_modules is missing or was installed from another lock file; needs node/npm (Node.js
# 20+) and kubectl (only its built-in kustomize, no cluster). api-docs needs protoc and
# Debian's python3-protobuf (scripts/install-deps.sh installs both), no npm tool.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${ROOT}/tools/contract-checks"
MODULES="${TOOLS}/node_modules"
STAMP="${MODULES}/.cak-lock.sha256"

fail() { printf '%s: FAIL (%s)\n' "$1" "$2"; exit 1; }

# Installs the pinned npm tools unless node_modules already matches package-lock.json.
# Serialised with flock: ctest may start both checks at once.
ensure_tools() {
  command -v node >/dev/null 2>&1 || fail "$1" "node not found; install Node.js 20+"
  command -v npm >/dev/null 2>&1 || fail "$1" "npm not found"
  local want lock
  want="$(sha256sum "${TOOLS}/package-lock.json" "${TOOLS}/package.json" | sha256sum | cut -c1-64)"
  lock="${TMPDIR:-/tmp}/cak-contract-checks-$(printf '%s' "${ROOT}" | sha256sum | cut -c1-16).lock"
  (
    flock 9
    if [[ -f "${STAMP}" && "$(cat "${STAMP}")" == "${want}" && -x "${MODULES}/.bin/buf" ]]; then
      exit 0
    fi
    local log
    log="$(mktemp)"
    # --ignore-scripts: nothing here needs an install script (buf's launcher finds the
    # platform binary from its optional dependency at run time).
    if ! (cd "${TOOLS}" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >"${log}" 2>&1; then
      cat "${log}" >&2
      rm -f "${log}"
      exit 1
    fi
    rm -f "${log}"
    printf '%s\n' "${want}" >"${STAMP}"
  ) 9>"${lock}" || fail "$1" "npm ci in tools/contract-checks failed"
}

check_buf_lint() {
  ensure_tools buf-lint
  local out
  # buf keeps its cache beside the tools, not in $HOME (which ctest/CI may not have).
  if out="$(cd "${ROOT}/protos" &&
    BUF_CACHE_DIR="${MODULES}/.cache/buf" "${MODULES}/.bin/buf" lint 2>&1)"; then
    local n
    n="$(find "${ROOT}/protos" -name '*.proto' -not -path '*/third_party/*' | wc -l)"
    printf 'buf-lint: OK (%s .proto files, STANDARD and COMMENTS rules, exceptions in protos/buf.yaml)\n' "${n}"
  else
    printf '%s\n' "${out}" | sed 's/^/  /' >&2
    fail buf-lint "$(printf '%s\n' "${out}" | grep -c . || true) finding(s) in protos/"
  fi
}

check_buf_format() {
  ensure_tools buf-format
  local out
  # The vendored googleapis files stay byte for byte as Google wrote them (see `vendored`).
  if out="$(cd "${ROOT}/protos" &&
    BUF_CACHE_DIR="${MODULES}/.cache/buf" "${MODULES}/.bin/buf" format --diff --exit-code \
      --exclude-path third_party 2>&1)"; then
    local n
    n="$(find "${ROOT}/protos" -name '*.proto' -not -path '*/third_party/*' | wc -l)"
    printf 'buf-format: OK (%s .proto files as `buf format` leaves them)\n' "${n}"
  else
    printf '%s\n' "${out}" | sed 's/^/  /' >&2
    fail buf-format "$(printf '%s\n' "${out}" | grep -c '^+++ ' || true) file(s) differ from \`buf format\`; fix: (cd protos && buf format -w --exclude-path third_party)"
  fi
}

# The googleapis protos vendored in protos/third_party/googleapis: exactly these files, unchanged
# (their README.md names the source and the same checksums).
VENDORED_SHA256=(
  "bb7ed77725c95f751ec2c47cd92359d0137c39383b8a62aef41bab7aa7478da5  google/api/field_behavior.proto"
  "815d51eada4341bf01672b474b5ec0abbea190e8df9f4aa26a0c96dbdad2993b  google/api/resource.proto"
)

check_vendored() {
  local dir="${ROOT}/protos/third_party/googleapis" out have want
  out="$(cd "${dir}" && printf '%s\n' "${VENDORED_SHA256[@]}" | sha256sum --check --strict 2>&1)" ||
    { printf '%s\n' "${out}" | sed 's/^/  /' >&2; fail vendored "a vendored googleapis file was changed or is missing"; }
  have="$(cd "${dir}" && find . -name '*.proto' | sed 's#^\./##' | sort)"
  want="$(printf '%s\n' "${VENDORED_SHA256[@]}" | sed 's/^[0-9a-f]*  //' | sort)"
  [[ "${have}" == "${want}" ]] ||
    fail vendored "protos/third_party/googleapis holds other .proto files than its README.md lists: ${have//$'\n'/ }"
  printf 'vendored: OK (%s googleapis files as released, sha256 checked)\n' "${#VENDORED_SHA256[@]}"
}

check_api_docs() {
  local out
  if out="$("${ROOT}/scripts/api-docs.sh" --check 2>&1)"; then
    printf 'api-docs: OK (%s)\n' "${out}"
  else
    printf '%s\n' "${out}" | sed 's/^/  /' >&2
    fail api-docs "docs/api/ is not what scripts/api-docs.sh generates from protos/; run scripts/api-docs.sh"
  fi
}

check_k8s_validate() {
  ensure_tools k8s-validate
  command -v "${KUBECTL:-kubectl}" >/dev/null 2>&1 ||
    fail k8s-validate "kubectl not found (needed offline for \`kubectl kustomize\`)"
  # Runs the validator's self-test (broken manifests must be rejected) before the real check.
  node "${TOOLS}/validate.mjs" "${ROOT}/k8s"
}

check_format() {
  command -v clang-format >/dev/null 2>&1 || fail format "clang-format not found (scripts/install-deps.sh installs it)"
  local files bad=()
  mapfile -t files < <(git -C "${ROOT}" ls-files '*.cc' '*.h')
  # One clang-format for all files; each file that differs is named in its error lines.
  mapfile -t bad < <(cd "${ROOT}" && clang-format --dry-run -Werror "${files[@]}" 2>&1 |
    sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' | sort -u)
  if [[ ${#bad[@]} -gt 0 ]]; then
    printf '  %s\n' "${bad[@]}" >&2
    fail format "${#bad[@]} of ${#files[@]} C++ files differ from clang-format (.clang-format)"
  fi
  printf 'format: OK (%s C++ files as clang-format leaves them)\n' "${#files[@]}"
}

case "${1:-all}" in
  buf-lint) check_buf_lint ;;
  buf-format) check_buf_format ;;
  vendored) check_vendored ;;
  api-docs) check_api_docs ;;
  k8s-validate) check_k8s_validate ;;
  format) check_format ;;
  all)
    # Each check in its own process, so one failing does not hide the other (and errexit
    # stays in force inside each).
    rc=0
    bash "${BASH_SOURCE[0]}" buf-lint || rc=1
    bash "${BASH_SOURCE[0]}" buf-format || rc=1
    bash "${BASH_SOURCE[0]}" vendored || rc=1
    bash "${BASH_SOURCE[0]}" api-docs || rc=1
    bash "${BASH_SOURCE[0]}" k8s-validate || rc=1
    bash "${BASH_SOURCE[0]}" format || rc=1
    exit "${rc}"
    ;;
  -h | --help)
    sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    ;;
  *)
    printf 'usage: %s [buf-lint|buf-format|vendored|api-docs|k8s-validate|format]\n' "$0" >&2
    exit 2
    ;;
esac
