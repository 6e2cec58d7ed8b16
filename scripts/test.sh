#!/usr/bin/env bash
# Installs the dependencies, builds with warnings as errors, and runs every test (unit,
# end-to-end, fault and fuzz-corpus replays) through ctest; then builds the whole project again
# with AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/) and runs the same suite
# there. Exits non-zero if either pass fails.
#
# Environment: SANITIZE=0 skips the sanitizer pass (a quick local run); FUZZ_SECONDS=N adds a
# libFuzzer run of N seconds per fuzz target (clang build in build-fuzz/; scripts/reliability.sh
# does the same and reports executions).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
scripts/build.sh -DOFFBOARD_WERROR=ON

status=0
start=$(date +%s)
ctest --test-dir build --output-on-failure -j2 || status=$?
echo "test: plain build, ctest $(($(date +%s) - start)) s (status $status)"

if [[ "${SANITIZE:-1}" != 0 ]]; then
  # -O0 -g1 (line tables are enough for the reports): about half the compile time of -O1 -g;
  # the suite, mostly waiting on sockets and processes, takes about a third longer.
  cmake -S . -B build-asan -DOFFBOARD_SANITIZE=ON -DOFFBOARD_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O0"
  cmake --build build-asan -j"$(nproc)"
  start=$(date +%s)
  asan=0
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest --test-dir build-asan --output-on-failure -j2 || asan=$?
  echo "test: ASan+UBSan build, ctest $(($(date +%s) - start)) s (status $asan)"
  ((asan == 0)) || status=$asan
fi

if [[ "${FUZZ_SECONDS:-0}" -gt 0 ]]; then
  CXX=clang++ cmake -S . -B build-fuzz -DOFFBOARD_FUZZ=ON
  for t in classify zone tenant domain state; do
    cmake --build build-fuzz -j"$(nproc)" --target "fuzz_$t"
    mkdir -p "build-fuzz/run-$t"
    cp -r "fuzz/corpus/$t/." "build-fuzz/run-$t/"
    (cd build-fuzz && "./fuzz_$t" -max_total_time="$FUZZ_SECONDS" -artifact_prefix="crash-$t-" \
      "run-$t") || status=1
  done
fi
exit "$status"
