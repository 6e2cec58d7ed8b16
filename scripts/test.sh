#!/usr/bin/env bash
# Installs the dependencies, builds with warnings as errors, and runs every test (unit,
# end-to-end, fault and fuzz-corpus replays) through ctest; then builds the whole project again
# with AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/) and runs the same suite
# there. Exits non-zero if either pass fails.
#
# Last, a short libFuzzer run per fuzz target (clang, ASan+UBSan, build-fuzz/), starting from the
# committed corpus and regressions; a crash fails the run and its input is kept in build-fuzz/.
#
# Environment: SANITIZE=0 skips the sanitizer pass (a quick local run); FUZZ_SECONDS=N sets the
# libFuzzer run per target (default 20; 0 skips it; scripts/reliability.sh runs longer and
# reports executions).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
scripts/build.sh -DOFFBOARD_WERROR=ON

status=0
start=$(date +%s)
# As root (CI), tests/e2e/test_package.sh also installs the .deb with apt-get and removes it again.
OFFBOARD_TEST_INSTALL=$((EUID == 0)) ctest --test-dir build --output-on-failure -j2 || status=$?
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

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
if [[ "$FUZZ_SECONDS" -gt 0 ]]; then
  start=$(date +%s)
  CXX=clang++ cmake -S . -B build-fuzz -DOFFBOARD_FUZZ=ON
  targets=(classify wire_readers zone tenant domain state mta_sts)
  cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
  for t in "${targets[@]}"; do
    mkdir -p "build-fuzz/run-$t"
    cp -r "fuzz/corpus/$t/." "build-fuzz/run-$t/"
    # The differential target starts from the classifier's messages too.
    [[ $t == wire_readers ]] && cp -r "fuzz/corpus/classify/." "build-fuzz/run-$t/"
    [[ -d fuzz/regressions/$t ]] && cp -r "fuzz/regressions/$t/." "build-fuzz/run-$t/"
    fuzz=0
    (cd build-fuzz && "./fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="crash-$t-" "run-$t" 2>"fuzz-$t.log") || fuzz=$?
    grep -E '^stat::(number_of_executed_units|new_units_added)' "build-fuzz/fuzz-$t.log" |
      sed "s/^/test: fuzz_$t /" || true
    if ((fuzz != 0)); then
      tail -n 40 "build-fuzz/fuzz-$t.log"
      echo "test: fuzz_$t failed (exit $fuzz); the input is in build-fuzz/crash-$t-*"
      status=1
    fi
  done
  echo "test: libFuzzer, ${FUZZ_SECONDS} s per target, $(($(date +%s) - start)) s with the build"
fi
exit "$status"
