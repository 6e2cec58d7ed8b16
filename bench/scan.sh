#!/usr/bin/env bash
# bench/scan.sh: `offboard scan` against dnsperf and dig on the same query list (issue 5).
#
# A benchmark, not a test (no pass/fail timing in ctest): it generates a synthetic world of N
# tenant zones (bench/gen_world.sh), serves it with one NSD on loopback (127.N.0.1, chosen and
# locked by tests/e2e/lib.sh so it never collides with a running e2e test), and runs in this one
# session, interleaved, ROUNDS times:
#   offboard scan  over domains.txt, --resolver NSD directly (NSD answers authoritatively for
#                  every zone it serves; RD=1 is ignored), --concurrency Q
#   dnsperf        over queries.txt (exactly the questions offboard asks, follow-ups included),
#                  -q Q queries outstanding, EDNS on as offboard's
#   dig -f         the same list as a batch file (sequential, one query in flight)
#   dig loop       one dig process per query on a sample of --dig-sample queries
# and prints per tool: wall time, queries per second, client CPU µs per query (user+sys of the
# client process / queries, from /usr/bin/time), peak RSS, failures and retries, and the query
# rate relative to dnsperf in the same round. "NSD us/q" is the server's CPU (user+sys, from
# /proc, 10 ms ticks) while that tool ran, per query: client and server share the 2 cores, so a
# round where the server costs more per query is slower for whichever tool runs in it.
# "preempt/kq" counts how often the client was switched out involuntarily per 1000 queries, to
# tell a client competing with the server for one core from one that is simply running slower
# (seen here: offboard's CPU per query swung from 9 to 16 us between rounds at 0.2-1 preempt/kq).
# Then: offboard scan's peak RSS for 10,000 and for N domains (flat memory), and the wall time
# of a 5-domain `offboard check` on loopback, process start included (hyperfine when installed).
#
# Usage: bench/scan.sh [--domains N] [--rounds R] [--concurrency Q] [--offboard BIN]
#                      [--dig-queries M] [--dig-sample S] [--keep]
# Needs root (port 53), nsd, dnsperf, dig, /usr/bin/time; hyperfine optional
# (scripts/deps.sh installs them). Everything listens and is sent to 127.0.0.0/8 only.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=100000
ROUNDS=3
Q=512
DIG_QUERIES=0      # 0 = the whole list through dig -f
DIG_SAMPLE=200
KEEP=0
OFFBOARD=${OFFBOARD:-}
while (($#)); do
  case $1 in
    --domains) N=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --concurrency) Q=$2; shift 2 ;;
    --offboard) OFFBOARD=$2; shift 2 ;;
    --dig-queries) DIG_QUERIES=$2; shift 2 ;;
    --dig-sample) DIG_SAMPLE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/scan.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z $OFFBOARD ]]; then
  for b in "$BENCH_DIR"/../build/offboard "$BENCH_DIR"/../build-*/offboard; do
    [[ -x $b ]] && { OFFBOARD=$(cd "$(dirname "$b")" && pwd)/offboard; break; }
  done
fi
[[ -x ${OFFBOARD:-} ]] || { echo "bench/scan.sh: no offboard binary (build it, or --offboard BIN)" >&2; exit 2; }
for tool in dnsperf dig /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/scan.sh: $tool is missing (scripts/deps.sh)" >&2; exit 2; }
done

# The e2e harness gives us a private loopback /16, its lock, a work directory and the EXIT
# trap that stops NSD however this script ends.
unset WORK
source "$BENCH_DIR/../tests/e2e/lib.sh"
source "$BENCH_DIR/world_nsd.sh"
e2e_init bench_scan
e2e_require_servers
((KEEP)) && E2E_OWN_WORK=0
ADDR=$(net_addr 1)
W=$WORK/world

note "offboard: $OFFBOARD"
note "generating $N tenant zones"
t0=$(date +%s%N)
"$BENCH_DIR/gen_world.sh" "$N" "$W"
NQ=$(wc -l <"$W/queries.txt")
note "generated in $((($(date +%s%N) - t0) / 1000000)) ms: $N domains, $NQ queries"

t0=$(date +%s%N)
start_world_nsd bench "$ADDR" "$W"
note "NSD on $ADDR serves $N zones (start-up $((($(date +%s%N) - t0) / 1000000)) ms)"

# Inputs for dig: the batch file (whole list, or its first M lines) and the loop sample
# (every k-th query, so each kind of question is in it).
if ((DIG_QUERIES > 0 && DIG_QUERIES < NQ)); then head -n "$DIG_QUERIES" "$W/queries.txt" >"$W/dig-batch.txt"
else cp "$W/queries.txt" "$W/dig-batch.txt"; fi
awk -v k=$(((NQ + DIG_SAMPLE - 1) / DIG_SAMPLE)) 'NR % k == 1' "$W/queries.txt" >"$W/dig-sample.txt"
head -n 10000 "$W/domains.txt" >"$W/domains-10k.txt"

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# server_ticks: CPU clock ticks (user+sys, reaped children's included) used so far by NSD's
# processes, from /proc: the one started (NSD 4.6 turns it into xfrd) and all its descendants
# (main, the server that answers).
NSD_PID=${E2E_PID[bench]}
CLK_TCK=$(getconf CLK_TCK)
server_ticks() {
  awk -v root="$NSD_PID" '
    FNR == 1 { line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
               parent[$1] = f[2]; ticks[$1] = f[12] + f[13] + f[14] + f[15] }
    END { for (p in parent) { for (a = p; a != "" && a != 0 && a != root; a = parent[a]) {}
                              if (a == root) t += ticks[p] }
          print t + 0 }' /proc/[0-9]*/stat 2>/dev/null || true
}

# measure TOOL QUERIES OUTFILE CMD...: runs CMD under /usr/bin/time; sets M_WALL (s), M_CPU
# (s, user+sys), M_RSS (KiB), M_PREEMPT (times CMD was switched out involuntarily) and
# M_SERVER (s of NSD CPU while CMD ran).
measure() {
  local out=$1 t0
  shift
  t0=$(server_ticks)
  /usr/bin/time -f '%e %U %S %M %c' -o "$WORK/time.txt" "$@" >"$out" 2>"$out.err" || true
  M_SERVER=$(awk -v a="$t0" -v b="$(server_ticks)" -v hz="$CLK_TCK" 'BEGIN{printf "%.3f", (b - a) / hz}')
  # GNU time writes "Command exited with non-zero status N" first when N != 0.
  read -r M_WALL u s M_RSS M_PREEMPT < <(tail -n 1 "$WORK/time.txt")
  M_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.3f", u + s}')
}

# record ROUND TOOL QUERIES FAILURES RETRIES: one row of the results.
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$M_WALL" "$M_CPU" "$M_RSS" "$4" "$5" "$M_SERVER" "$M_PREEMPT" >>"$RESULTS"
}

run_offboard() {
  local round=$1 input=${2:-$W/domains.txt} label=${3:-offboard scan}
  measure "$WORK/scan.jsonl" "$OFFBOARD" scan "$input" --resolver "$ADDR" --concurrency "$Q" --stats
  local sent retries failed
  sent=$(sed -n 's/.*queries sent \([0-9]*\).*/\1/p' "$WORK/scan.jsonl.err" | tail -n 1)
  retries=$(sed -n 's/.*retries \([0-9]*\).*/\1/p' "$WORK/scan.jsonl.err" | tail -n 1)
  failed=$(grep -c '"lookup-failed"' "$WORK/scan.jsonl" || true)
  local lines
  lines=$(wc -l <"$WORK/scan.jsonl")
  [[ $lines == $(wc -l <"$input") ]] || note "offboard scan wrote $lines lines for $(wc -l <"$input") domains"
  record "$round" "$label" "${sent:-0}" "$failed" "${retries:-?}"
}

run_dnsperf() {
  local round=$1
  # -b 4096: the same 4 MiB socket buffers offboard asks for (dnsperf's own default loses
  # answers at this rate); -t 2: offboard's default timeout; -e: EDNS, as offboard sends.
  measure "$WORK/dnsperf.out" dnsperf -s "$ADDR" -d "$W/queries.txt" -q "$Q" -n 1 -e -t 2 -b 4096 -c 1 -T 1
  local completed lost
  completed=$(awk '/Queries completed:/{print $3}' "$WORK/dnsperf.out")
  lost=$(awk '/Queries lost:/{print $3}' "$WORK/dnsperf.out")
  note "dnsperf's own figures: $(awk '/Run time|Queries per second/{printf "%s ", $0}' "$WORK/dnsperf.out" | tr -s ' ')"
  record "$round" dnsperf "$completed" "$lost" 0
}

run_dig_batch() {
  local round=$1 n
  n=$(wc -l <"$W/dig-batch.txt")
  measure "$WORK/dig.out" dig "@$ADDR" +tries=1 +time=2 +noall +comments -f "$W/dig-batch.txt"
  local ok
  ok=$(grep -cE 'status: (NOERROR|NXDOMAIN)' "$WORK/dig.out" || true)
  record "$round" "dig -f" "$n" $((n - ok)) 0
}

run_dig_loop() {
  local round=$1 n
  n=$(wc -l <"$W/dig-sample.txt")
  measure "$WORK/digloop.out" bash -c 'while read -r name type; do
      dig "@$0" +tries=1 +time=2 +noall +comments "$name" "$type"; done <"$1"' "$ADDR" "$W/dig-sample.txt"
  local ok
  ok=$(grep -cE 'status: (NOERROR|NXDOMAIN)' "$WORK/digloop.out" || true)
  record "$round" "dig loop" "$n" $((n - ok)) 0
}

for ((round = 1; round <= ROUNDS; round++)); do
  note "round $round/$ROUNDS"
  # Interleaved, and the order rotates so that no tool always runs first (warm caches).
  case $((round % 3)) in
    1) order=(offboard dnsperf dig_batch dig_loop) ;;
    2) order=(dnsperf dig_batch offboard dig_loop) ;;
    0) order=(dig_batch offboard dig_loop dnsperf) ;;
  esac
  for t in "${order[@]}"; do "run_$t" "$round"; done
done
note "memory: 10,000 domains"
run_offboard rss "$W/domains-10k.txt" "scan 10k"
verdict_check=$(awk 'NR==FNR{want[$1]=$3; next} {
    match($0, /"domain": "[^"]*"/); d=substr($0, RSTART+11, RLENGTH-12)
    match($0, /"verdict": "[^"]*"/); v=substr($0, RSTART+12, RLENGTH-13)
    n++; if (want[d] != v) bad++ } END {printf "%d of %d domains differ from the generator'"'"'s intent", bad, n}' \
  "$W/expected.tsv" "$WORK/scan.jsonl")
note "verdicts (last 10k scan): $verdict_check"

# The 5-domain check, process start included.
five=$(head -n 5 "$W/domains.txt" | tr '\n' ' ')
CHECK5=""
if command -v hyperfine >/dev/null; then
  # shellcheck disable=SC2086
  hyperfine -N --warmup 5 --runs 50 --export-json "$WORK/check5.json" -i \
    "$OFFBOARD check $five --resolver $ADDR" >"$WORK/check5.out" 2>&1 || true
  CHECK5=$(awk -F'[:,]' '/"mean"/{m=$2} /"stddev"/{s=$2} /"min"/{mi=$2} END{printf "mean %.1f ms ± %.1f, min %.1f ms (hyperfine, 50 runs)", m*1000, s*1000, mi*1000}' "$WORK/check5.json")
else
  best=999999; total=0
  for ((i = 0; i < 50; i++)); do
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    "$OFFBOARD" check $five --resolver "$ADDR" >/dev/null || true
    t=$((($(date +%s%N) - t0) / 1000)); total=$((total + t)); ((t < best)) && best=$t
  done
  CHECK5="mean $((total / 50 / 1000)) ms, min $((best / 1000)) ms (50 runs, date)"
fi

# --- the report --------------------------------------------------------------------------------
echo
echo "offboard scan benchmark: $N domains, $NQ queries, concurrency $Q, NSD 1 process on $ADDR, $(nproc) cores"
awk -F'\t' '
  { round[NR]=$1; tool[NR]=$2; q[NR]=$3; wall[NR]=$4; cpu[NR]=$5; rss[NR]=$6; fail[NR]=$7; retry[NR]=$8; srv[NR]=$9; pre[NR]=$10
    if ($2 == "dnsperf") ref[$1] = ($4 > 0 ? $3 / $4 : 0) }
  END {
    printf "%-6s %-14s %9s %8s %10s %10s %10s %11s %9s %9s %8s %9s\n", "round", "tool", "queries", "wall s", "q/s", "CPU us/q", "NSD us/q", "preempt/kq", "RSS MB", "failures", "retries", "x dnsperf"
    for (i = 1; i <= NR; i++) {
      qps = wall[i] > 0 ? q[i] / wall[i] : 0
      us = q[i] > 0 ? cpu[i] * 1e6 / q[i] : 0
      sus = q[i] > 0 ? srv[i] * 1e6 / q[i] : 0
      ratio = (round[i] in ref && ref[round[i]] > 0) ? sprintf("%.2f", qps / ref[round[i]]) : "-"
      kpre = q[i] > 0 ? pre[i] * 1000 / q[i] : 0
      printf "%-6s %-14s %9d %8.2f %10.0f %10.1f %10.1f %11.1f %9.1f %9s %8s %9s\n", round[i], tool[i], q[i], wall[i], qps, us, sus, kpre, rss[i] / 1024, fail[i], retry[i], ratio
    }
  }' "$RESULTS"
# The rate target is a ratio in the same round; on a shared machine single rounds swing, so the
# median over the rounds is the figure to quote (and the spread says how noisy the run was).
awk -F'\t' '
  $2 == "dnsperf" { ref[$1] = $4 > 0 ? $3 / $4 : 0 }
  $2 == "offboard scan" { qps[$1] = $4 > 0 ? $3 / $4 : 0; cpu[$1] = $3 > 0 ? $5 * 1e6 / $3 : 0 }
  END {
    n = 0
    for (r in qps) if (r in ref && ref[r] > 0) { x[++n] = qps[r] / ref[r]; c[n] = cpu[r] }
    if (n == 0) exit
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
      if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
      if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }
    }
    med = n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
    cmed = n % 2 ? c[(n + 1) / 2] : (c[n / 2] + c[n / 2 + 1]) / 2
    printf "offboard scan vs dnsperf over %d rounds: median %.2fx (min %.2fx, max %.2fx); client CPU median %.1f us/q\n", n, med, x[1], x[n], cmed
  }' "$RESULTS"
echo "5-domain check on loopback: $CHECK5"
echo "results: $RESULTS"
