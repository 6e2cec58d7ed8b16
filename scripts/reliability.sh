#!/usr/bin/env bash
# The reliability suite (issue 6), and a summary of what it proved:
#   faults      tests/e2e/test_faults.sh: offboard against misbehaving DNS servers on loopback
#               (faults tried and held)
#   hostile     tests/e2e/test_hostile_input.sh: arguments, scan lines, zone, tenant and state
#               files, environment, closed/full stdout (checks passed)
#   fuzz        every fuzz target replays its committed corpus (g++ build), then runs under
#               libFuzzer with ASan+UBSan for FUZZ_SECONDS each (clang build): executions,
#               new inputs, crashes (crash inputs are kept and named)
#   state       kill -9 while writing: the state store's unit test (kills inside SQLite
#               transactions) and tests/faults/kill_state.sh against the real binary (trials,
#               corrupt states, torn batches, lost commits); concurrent writers and a file-size
#               limit (the state store's unit tests); a really full disk (tests/e2e/test_full_disk.sh)
#   sanitizers  the whole ctest suite in an -DOFFBOARD_SANITIZE=ON build (ASan+UBSan)
# Exits 0 only when everything held.
#
# Long mode, `scripts/reliability.sh --long [MINUTES]` (or FUZZ_MINUTES=N; default 10 minutes):
# only the fuzzing, each target for MINUTES under libFuzzer with ASan+UBSan (clang++ needed),
# starting from its committed corpus and regressions; prints per target the executions and, for
# a crash (libFuzzer stops that target at its first), the crashing input's path. Exits 0 only
# when no target crashed.
#
# Environment: BUILD (default build), ASAN_BUILD (build-asan), FUZZ_BUILD (build-fuzz),
# FUZZ_SECONDS (45), FUZZ_MINUTES (long mode), KILL_TRIALS (200), JOBS (2), SKIP_SANITIZE=1,
# SKIP_FUZZ=1.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRC=$PWD
LONG=0
if [[ "${1:-}" == --long ]]; then
  LONG=1
  FUZZ_MINUTES=${2:-${FUZZ_MINUTES:-10}}
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--long [MINUTES]]" >&2
  exit 2
elif [[ -n "${FUZZ_MINUTES:-}" ]]; then
  LONG=1
fi
if ((LONG)) && ! [[ "$FUZZ_MINUTES" =~ ^[1-9][0-9]*$ ]]; then
  echo "reliability: MINUTES must be a positive whole number, not '$FUZZ_MINUTES'" >&2
  exit 2
fi
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-45}
KILL_TRIALS=${KILL_TRIALS:-200}
JOBS=${JOBS:-2}
TARGETS=(classify wire_readers zone tenant domain state mta_sts)
LOG=$(mktemp -d "${TMPDIR:-/tmp}/offboard-reliability.XXXXXX")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
declare -a SUMMARY=()
say() { echo "== $*" >&2; }
result() { SUMMARY+=("$1"); }
bad() {
  failed=1
  result "FAILED: $*"
}

# One libFuzzer run of target $1 for $2 seconds, on a copy of its corpus and regressions (the
# committed ones are not grown). Sets `line` (the summary) and returns 0 when it held.
fuzz_one() {
  local t=$1 seconds=$2 work=$LOG/fuzz-$1 rc execs rate added crashes
  mkdir -p "$work/corpus" "$work/crashes"
  cp fuzz/corpus/"$t"/* "$work/corpus/"
  # The differential target starts from the classifier's messages too.
  [[ $t == wire_readers ]] && cp fuzz/corpus/classify/* "$work/corpus/"
  [[ -d fuzz/regressions/$t ]] && cp fuzz/regressions/"$t"/* "$work/corpus/"
  (cd "$work" && "$SRC/$FUZZ_BUILD/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" -timeout=10 -rss_limit_mb=2048 corpus) >"$work/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
  added=$(sed -n 's/^stat::new_units_added: *//p' "$work/log")
  crashes=$(find "$work/crashes" -type f | wc -l)
  line="fuzz $t:$(printf '%*s' $((9 - ${#t})) '') ${execs:-?} executions in ${seconds} s (${rate:-?}/s), ${added:-?} new inputs, $crashes crashes"
  CRASH_INPUTS=$(find "$work/crashes" -type f | sort)
  CRASH_LOG=$work/log
  FUZZ_RC=$rc
  ((rc == 0 && crashes == 0))
}

fuzz_build() {
  CXX=clang++ cmake -S . -B "$FUZZ_BUILD" -DOFFBOARD_FUZZ=ON >"$LOG/fuzz-build.log" 2>&1 &&
    cmake --build "$FUZZ_BUILD" -j"$JOBS" --target "${TARGETS[@]/#/fuzz_}" >>"$LOG/fuzz-build.log" 2>&1
}

# --- long mode: fuzzing only ------------------------------------------------------------------
if ((LONG)); then
  command -v clang++ >/dev/null || { echo "reliability --long: needs clang++ (libFuzzer)" >&2; exit 1; }
  say "libFuzzer build ($FUZZ_BUILD, clang++, ASan+UBSan)"
  if ! fuzz_build; then
    tail -30 "$LOG/fuzz-build.log" >&2
    echo "reliability --long: the libFuzzer build failed (log $LOG/fuzz-build.log)" >&2
    exit 1
  fi
  for t in "${TARGETS[@]}"; do
    say "fuzzing $t for $FUZZ_MINUTES min"
    if fuzz_one "$t" $((FUZZ_MINUTES * 60)); then
      result "$line"
    else
      bad "$line (exit $FUZZ_RC; log $CRASH_LOG)"
      while IFS= read -r f; do [[ -n "$f" ]] && result "  crashing input: $f"; done <<<"$CRASH_INPUTS"
      [[ -z "$CRASH_INPUTS" ]] && result "  no input saved (libFuzzer exited early; see the log)"
    fi
  done
  echo
  echo "offboard fuzz campaign, $FUZZ_MINUTES min per target ($(date -u +%Y-%m-%dT%H:%M:%SZ), logs in $LOG)"
  for line in "${SUMMARY[@]}"; do echo "  $line"; done
  if ((failed)); then
    echo "RESULT: a target crashed (keep its input under fuzz/regressions/<target>/ once fixed)"
    exit 1
  fi
  echo "RESULT: no crash"
  exit 0
fi

# --- builds -------------------------------------------------------------------------------
say "building $BUILD"
if ! { cmake -S . -B "$BUILD" -DOFFBOARD_WERROR=ON >"$LOG/build.log" 2>&1 &&
  cmake --build "$BUILD" -j"$JOBS" >>"$LOG/build.log" 2>&1; }; then
  tail -30 "$LOG/build.log" >&2
  echo "reliability: the build failed (log $LOG/build.log)" >&2
  exit 1
fi
export OFFBOARD=$SRC/$BUILD/offboard SRC
export FAULT_DNS=$SRC/$BUILD/fault_dns

# --- fault tests --------------------------------------------------------------------------
say "fault tests"
if bash tests/e2e/test_faults.sh >"$LOG/faults.log" 2>&1; then
  result "faults:     $(sed -n 's/^faults: //p' "$LOG/faults.log" | tail -1) (tests/e2e/test_faults.sh)"
else
  bad "fault tests ($(grep -m1 '^FAIL' "$LOG/faults.log"); log $LOG/faults.log)"
fi

# --- hostile input ------------------------------------------------------------------------
say "hostile input"
if bash tests/e2e/test_hostile_input.sh >"$LOG/hostile.log" 2>&1; then
  result "hostile:    $(grep -o 'passed ([0-9]* checks)' "$LOG/hostile.log") (tests/e2e/test_hostile_input.sh)"
else
  bad "hostile input ($(grep -m1 '^FAIL' "$LOG/hostile.log"); log $LOG/hostile.log)"
fi

# --- fuzzing ------------------------------------------------------------------------------
say "fuzz corpus replays"
for t in "${TARGETS[@]}"; do
  inputs=("fuzz/corpus/$t")
  [[ -d fuzz/regressions/$t ]] && inputs+=("fuzz/regressions/$t")
  if out=$("$BUILD/fuzz_$t" "${inputs[@]}" 2>"$LOG/replay-$t.log"); then
    result "fuzz $t:$(printf '%*s' $((9 - ${#t})) '') replay $(grep -o '[0-9]* inputs' <<<"$out")"
  else
    bad "fuzz_$t replay ($(grep -a -m1 'invariant broken\|ERROR' "$LOG/replay-$t.log"); log $LOG/replay-$t.log)"
  fi
done
if [[ "${SKIP_FUZZ:-0}" != 1 ]] && command -v clang++ >/dev/null; then
  say "libFuzzer build ($FUZZ_BUILD, clang++, ASan+UBSan)"
  if fuzz_build; then
    for t in "${TARGETS[@]}"; do
      say "fuzzing $t for ${FUZZ_SECONDS} s"
      if fuzz_one "$t" "$FUZZ_SECONDS"; then
        result "$line"
      else
        bad "$line (exit $FUZZ_RC; inputs in $LOG/fuzz-$t/crashes; log $CRASH_LOG)"
      fi
    done
  else
    bad "libFuzzer build (log $LOG/fuzz-build.log)"
  fi
else
  result "fuzz:       libFuzzer runs skipped (SKIP_FUZZ=1 or no clang++)"
fi

# --- state: kill -9, concurrent writers, full disk -----------------------------------------
say "state store: kill -9, concurrent writers, full disk"
if "$BUILD/unit_state_store" >"$LOG/state.log" 2>&1; then
  msg=$(sed -n 's/.*MESSAGE: //p' "$LOG/state.log" | head -1)
  result "state unit: $(grep -o 'test cases: *[0-9]* | *[0-9]* passed' "$LOG/state.log"); kill test: ${msg:-?}"
else
  bad "unit_state_store (log $LOG/state.log)"
fi
say "full disk: a filled tmpfs under the state"
rc=0
bash tests/e2e/test_full_disk.sh >"$LOG/full-disk.log" 2>&1 || rc=$?
if ((rc == 0)); then
  result "full disk:  $(grep -o 'passed ([0-9]* checks)' "$LOG/full-disk.log") (tests/e2e/test_full_disk.sh: ENOSPC at open and mid-write, exit 4, state unchanged)"
elif ((rc == 77)); then
  result "full disk:  skipped (needs root and a private mount namespace)"
else
  bad "full disk ($(grep -m1 '^FAIL' "$LOG/full-disk.log"); log $LOG/full-disk.log)"
fi
say "kill -9 campaign: $KILL_TRIALS trials against the real binary"
if out=$(bash tests/faults/kill_state.sh "$KILL_TRIALS" 2>"$LOG/kill.log"); then
  result "state e2e:  $out"
else
  bad "kill campaign: ${out:-no summary} (log $LOG/kill.log)"
fi

# --- sanitizers ---------------------------------------------------------------------------
if [[ "${SKIP_SANITIZE:-0}" != 1 ]]; then
  say "sanitizer build ($ASAN_BUILD) and the whole ctest suite under ASan+UBSan"
  if { cmake -S . -B "$ASAN_BUILD" -DOFFBOARD_SANITIZE=ON -DOFFBOARD_WERROR=ON \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O0" >"$LOG/asan-build.log" 2>&1 &&
    cmake --build "$ASAN_BUILD" -j"$JOBS" >>"$LOG/asan-build.log" 2>&1; }; then
    start=$(date +%s)
    ctest --test-dir "$ASAN_BUILD" -j"$JOBS" --output-on-failure >"$LOG/asan-ctest.log" 2>&1
    rc=$?
    line="sanitizers: $(grep -E '[0-9]+% tests passed' "$LOG/asan-ctest.log" | tail -1) in $(($(date +%s) - start)) s (ASan+UBSan, $ASAN_BUILD)"
    if ((rc == 0)); then result "$line"; else bad "$line (log $LOG/asan-ctest.log)"; fi
  else
    bad "sanitizer build (log $LOG/asan-build.log)"
  fi
else
  result "sanitizers: skipped (SKIP_SANITIZE=1)"
fi

echo
echo "offboard reliability summary ($(date -u +%Y-%m-%dT%H:%M:%SZ), logs in $LOG)"
for line in "${SUMMARY[@]}"; do echo "  $line"; done
if ((failed)); then
  echo "RESULT: something did not hold"
  exit 1
fi
echo "RESULT: everything held"
