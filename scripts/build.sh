#!/usr/bin/env bash
# Configures (once) and builds the project with CMake + Ninja (+ ccache when present).
#   scripts/build.sh                 everything: services, tools, tests, benchmarks
#   scripts/build.sh intake-svc ...  only these targets
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -f "${BUILD_DIR}/build.ninja" ]]; then
  say "configuring ${BUILD_DIR}"
  cmake -S "${ROOT}" -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE="${CAK_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
fi
say "building ${*:-all targets}"
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "${BUILD_DIR}" "${targets[@]}" -- -j "${CAK_BUILD_JOBS:-$(nproc)}" | grep -vE '^\[[0-9]+/[0-9]+\] ' || true
# grep hides progress lines; the build's own status decides.
cmake --build "${BUILD_DIR}" "${targets[@]}" >/dev/null
