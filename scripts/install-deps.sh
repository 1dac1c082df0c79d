#!/usr/bin/env bash
# Installs every Debian 12 package the project needs, and nothing when all are present
# (idempotent: a second run does no apt work). The npm tools for the contract and manifest
# checks are installed by scripts/contract-checks.sh into tools/contract-checks/node_modules.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config python3
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  golang-github-gogo-googleapis-dev
  libabsl-dev libsoci-dev libboost-dev libpq-dev postgresql
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus-cpp-dev libjwt-dev libssl-dev openssl nlohmann-json3-dev
  libcli11-dev  # voorlichting-cli's command line (header-only)
  tzdata  # analysis-svc decides "today" in Europe/Amsterdam
  clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh)
  clang-format  # the format check (scripts/contract-checks.sh format)
  python3-protobuf  # the API reference generator (scripts/api-docs.sh, contract check api-docs)
)

# Not from apt: Node.js 20 with npm and kubectl come with the machines this project runs on;
# only the contract and manifest checks use them, and scripts/contract-checks.sh says so
# clearly when one is missing (Debian 12's own Node.js is 18, too old for its tools).
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  say "all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi
say "installing: ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# The Debian postgresql package creates and starts a cluster of its own where an init system
# exists; the project never uses it (it runs its own cluster, see scripts/pg.sh).
