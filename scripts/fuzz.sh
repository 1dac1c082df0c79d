#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz), in a build directory of their own (build-fuzz/) compiled
# by clang with the fuzzer's coverage and AddressSanitizer/UndefinedBehaviorSanitizer:
#
#   scripts/fuzz.sh build                  configure and build every fuzzer
#   scripts/fuzz.sh run <target> [seconds] replay the target's regression inputs, then fuzz it for
#                                          a bounded time (default 30 s) from its seed corpus
#   scripts/fuzz.sh all [seconds]          build, then run every target
#
# Targets: csv_import (the CSV reader with the import row rules), criteria (stored selection
# criteria), message_template, page_token, jwt. A crash fails the run and leaves its input in
# build-fuzz/crashes/<target>/; once fixed it goes into tests/fuzz/regressions/<target>/, which
# every run replays first. The test command runs `build` and each target (ctest label fuzz).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FUZZ_DIR="${CAK_FUZZ_BUILD_DIR:-${ROOT}/build-fuzz}"
TARGETS=(csv_import criteria message_template page_token jwt)

build() {
  command -v clang++ >/dev/null || die "clang++ is missing: scripts/install-deps.sh installs clang"
  say "building the fuzzers in ${FUZZ_DIR}"
  cmake -S "${ROOT}" -B "${FUZZ_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCAK_FUZZ=ON -DCAK_BUILD_TESTS=OFF >/dev/null
  cmake --build "${FUZZ_DIR}" --target fuzzers
}

run() {
  local target="${1:-}" seconds="${2:-30}"
  [[ " ${TARGETS[*]} " == *" ${target} "* ]] || die "unknown fuzz target '${target}' (one of: ${TARGETS[*]})"
  local bin="${FUZZ_DIR}/tests/fuzz/${target}_fuzzer"
  [[ -x "${bin}" ]] || die "${bin} is missing: run scripts/fuzz.sh build first"
  local seeds="${ROOT}/tests/fuzz/corpus/${target}" regressions="${ROOT}/tests/fuzz/regressions/${target}"
  local work="${FUZZ_DIR}/corpus/${target}" crashes="${FUZZ_DIR}/crashes/${target}"
  mkdir -p "${work}" "${crashes}"
  if compgen -G "${regressions}/*" >/dev/null; then
    say "${target}: replaying $(ls "${regressions}" | wc -l) regression inputs"
    "${bin}" -runs=1 "${regressions}"/*
  fi
  say "${target}: fuzzing for ${seconds} s"
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a blow-up is a finding too.
  "${bin}" -max_total_time="${seconds}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="${crashes}/" "${work}" "${seeds}"
}

case "${1:-}" in
  build) build ;;
  run) shift; run "$@" ;;
  all)
    build
    for t in "${TARGETS[@]}"; do run "${t}" "${2:-30}"; done
    ;;
  *) die "usage: scripts/fuzz.sh build | run <target> [seconds] | all [seconds]" ;;
esac
