#!/usr/bin/env bash
# Shared helpers for the project scripts: paths, logging, and the project-local state
# directory (.local/, git-ignored) that records where the embedded PostgreSQL cluster lives.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${ROOT}/.local"
BUILD_DIR="${CAK_BUILD_DIR:-${ROOT}/build}"
mkdir -p "${STATE_DIR}"
chmod 700 "${STATE_DIR}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# N distinct TCP ports on 127.0.0.1 that nothing listens on right now, one per line: all bound at
# once, so that no two are the same (free_port twice may hand out one port twice).
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

random_secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
