#!/usr/bin/env bash
# kill -9 campaign against the real binary while it writes the state (tests/faults/).
#
# Each trial starts `offboard plan` (14 domains from the fixture zones; it records every
# domain's observations in the state in one transaction) or `offboard ack`, kills it with
# SIGKILL after a random delay spread over the command's whole run, then reads the state back
# with `offboard history`. What must hold after every kill:
#   - the state opens (a "corrupt state" is any failure to read it back);
#   - plan batches are whole: observe events come 14 at a time (a "torn batch" otherwise);
#   - nothing committed is lost: event counts never go down (a "lost commit" otherwise).
# Prints one summary line; exits 1 if any count that must be 0 is not.
#
# Usage: kill_state.sh [TRIALS]   (default 200; env OFFBOARD, SRC, TMPDIR)
set -euo pipefail
TRIALS=${1:-200}
SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
OFFBOARD=${OFFBOARD:-$SRC/build/offboard}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/offboard-kill.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
STATE=$DIR/offboard.db
DOMAINS=(contoso.com fabrikam.com tailspintoys.com wingtiptoys.com adatum.com fourthcoffee.com
  proseware.com relecloud.com northwindtraders.com litwareinc.com alpineskihouse.com
  cohowinery.com treyresearch.com margiestravel.com)
cd "$SRC"

plan() {  # plan MINUTE: one plan run at 2026-12-15 10:00 + MINUTE
  local t
  t=$(printf '2026-12-15T%02d:%02d:00Z' $((10 + $1 / 60 % 12)) $(($1 % 60)))
  exec "$OFFBOARD" plan "${DOMAINS[@]}" --zones fixtures/zones --state "$STATE" --now "$t" \
    --format json
}

# counts: "OBSERVE ACK" event counts of the state, or nothing when it cannot be read.
counts() {
  local out
  out=$("$OFFBOARD" history --state "$STATE" --format json 2>"$DIR/history.err") || return 1
  printf '%s %s\n' "$(grep -c '"kind": "observe"' <<<"$out" || true)" \
    "$(grep -c '"kind": "ack"' <<<"$out" || true)"
}

# How long one plan run takes here (machine load, sanitizers): the kill delays span it. The
# first run creates the state; the shortest of the next three is what a trial's run costs.
(plan 0) >/dev/null 2>&1 || true
run_ms=0
for k in 1 2 3; do
  start=$(date +%s%N)
  (plan "$((1000 + k))") >/dev/null 2>&1 || true
  t=$((($(date +%s%N) - start) / 1000000))
  ((run_ms == 0 || t < run_ms)) && run_ms=$t
done
((run_ms > 0)) || run_ms=1
read -r observed acked < <(counts) || { echo "kill_state: the first state cannot be read" >&2; exit 1; }

killed=0 finished=0 corrupt=0 torn=0 lost=0
for ((i = 1; i <= TRIALS; i++)); do
  if ((i % 4 == 0)); then
    "$OFFBOARD" ack "notify-users" --by "trial $i" --state "$STATE" >/dev/null 2>&1 &
  else
    (plan "$i") >/dev/null 2>&1 &
  fi
  pid=$!
  delay_ms=$((RANDOM % (run_ms + 1)))
  sleep "$(printf '0.%03d' "$delay_ms")" 2>/dev/null || sleep 1
  if kill -KILL "$pid" 2>/dev/null; then :; fi
  rc=0
  wait "$pid" 2>/dev/null || rc=$?
  if ((rc == 137)); then killed=$((killed + 1)); else finished=$((finished + 1)); fi
  if ! read -r o a < <(counts); then
    corrupt=$((corrupt + 1))
    echo "trial $i: the state cannot be read: $(<"$DIR/history.err")" >&2
    cp "$STATE" "$DIR/../offboard-kill-corrupt-$i.db" 2>/dev/null || true
    rm -f "$STATE" "$STATE-wal" "$STATE-shm"
    (plan 0) >/dev/null 2>&1 || true
    read -r observed acked < <(counts) || true
    continue
  fi
  if ((o % ${#DOMAINS[@]} != 0)); then
    torn=$((torn + 1))
    echo "trial $i: $o observe events, not a multiple of ${#DOMAINS[@]}" >&2
  fi
  if ((o < observed || a < acked)); then
    lost=$((lost + 1))
    echo "trial $i: events went down ($observed → $o observe, $acked → $a ack)" >&2
  fi
  observed=$o acked=$a
done
echo "kill -9 trials: $TRIALS ($killed killed while running, $finished finished first; one plan run ${run_ms} ms), corrupt states: $corrupt, torn batches: $torn, lost commits: $lost, commits kept: $((observed / ${#DOMAINS[@]})) plans + $acked acks"
((corrupt == 0 && torn == 0 && lost == 0))
