#!/usr/bin/env bash
# bench/scan.sh: `offboard scan` against dnsperf and dig on the same query list (issues 5, 15).
#
# A benchmark, not a test (no pass/fail timing in ctest): it generates a synthetic world of N
# tenant zones (bench/gen_world.sh: 65 % of the domains at one of 4 shared mail providers, whose
# MX hosts, SPF chains and autodiscover hosts are the follow-ups the shared answer cache
# shares), serves it with one NSD on loopback (127.N.0.1, chosen and locked by tests/e2e/lib.sh
# so it never collides with a running e2e test), and runs in this one session, interleaved,
# ROUNDS times, first unpinned:
#   offboard scan       over domains.txt, --resolver NSD directly (NSD answers authoritatively
#                       for every zone it serves; RD=1 is ignored), --concurrency Q,
#                       --threads T (default: nproc), shared answers on (the default)
#   offboard unshared   the same with --no-shared-answers (every domain asks its own follow-ups)
#   offboard 1 thread   offboard scan --threads 1, unpinned (only when T > 1): what the threads
#                       add, or cost when the server shares the client's cores
#   dnsperf             over queries.txt (exactly the questions a one-thread offboard asks,
#                       follow-ups included), -q Q queries outstanding, EDNS on as offboard's,
#                       -T 1 (dnsperf's default: one sending and one receiving thread)
#   dig -f              the same list as a batch file (sequential, one query in flight)
#   dig loop            one dig process per query on a sample of --dig-sample queries
# then pinned (taskset; skipped on a one-core machine): NSD's processes on core 1, the client on
# core 0, so that neither competes with the other for a core:
#   offboard pinned     offboard scan --threads 1
#   dnsperf pinned      dnsperf as above
# The order within each phase rotates from round to round, so no tool always runs first.
#
# It prints:
#   - the machine: nproc, /proc/loadavg at the start and at the end, and the hypervisor's steal
#     over the whole benchmark (a loaded machine makes every figure noisier: read the spread);
#   - a table, one row per tool and round: queries, wall time, queries per second, client CPU
#     µs per query (user+sys of the client process / queries, from /usr/bin/time), NSD µs per
#     query (the server's CPU while that tool ran, from /proc, 10 ms ticks), involuntary
#     context switches of the client per 1000 queries ("preempt/kq": a client competing with
#     the server for one core, rather than one simply running slower), peak RSS, failures,
#     retries, questions per domain (offboard's --stats) and the query rate relative to the
#     dnsperf of the same round and phase (offboard: its queries sent / its wall time; dnsperf:
#     its "queries per second"), and the hypervisor's steal while it ran ("steal %": the share
#     of all cores' time given to other guests; a row with much steal ran on less than a whole
#     machine, and its wall time and ratio say more about the host than about the tool);
#   - the summary: the median (min, max) over rounds of that ratio, with the ratio of each
#     round, for the multi-thread figure (offboard --threads T unpinned vs dnsperf unpinned),
#     without shared answers, with one thread unpinned, and for the single-thread efficiency
#     (offboard --threads 1 on core 0, NSD on core 1, vs dnsperf pinned the same way); client
#     CPU µs per query (median), and of it the user time (the rest is the kernel's work per
#     datagram); the client CPU per query relative to dnsperf's in the same round and phase
#     (median, min, max, each round), unpinned and pinned: the host's swings from round to
#     round move both tools alike, so this ratio compares across runs where µs do not;
#     questions per domain with and without the shared answers, as offboard counted them
#     (--stats), next to the query lists' lines per domain (exact for one thread; with several,
#     each thread has its own cache and asks a shared follow-up once itself), and the median
#     wall time of the N domains in each offboard mode;
#   - peak RSS at 10,000 domains and at 100,000 (a run over the first 100,000 domains when
#     N > 100,000, the rounds' largest when N = 100,000; at N when N < 100,000): flat memory;
#   - the wall time of a 5-domain `offboard check` on loopback, process start included
#     (hyperfine when installed).
#
# Usage: bench/scan.sh [--domains N] [--rounds R] [--concurrency Q] [--threads T]
#                      [--offboard BIN] [--dig-queries M] [--dig-sample S] [--keep]
# Needs root (port 53), nsd, dnsperf, dig, /usr/bin/time, taskset (util-linux); hyperfine
# optional (scripts/deps.sh installs them). Everything listens and is sent to 127.0.0.0/8 only.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
N=100000
ROUNDS=3
Q=512
THREADS=$(nproc)
DIG_QUERIES=0      # 0 = the whole list through dig -f
DIG_SAMPLE=200
KEEP=0
OFFBOARD=${OFFBOARD:-}
while (($#)); do
  case $1 in
    --domains) N=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --concurrency) Q=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
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
for tool in dnsperf dig /usr/bin/time taskset; do
  command -v "$tool" >/dev/null || { echo "bench/scan.sh: $tool is missing (scripts/deps.sh)" >&2; exit 2; }
done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# steal_ticks: the clock ticks of all cores' steal time so far (/proc/stat, "cpu" line, field 9).
steal_ticks() { awk '$1 == "cpu" {print $9 + 0; exit}' /proc/stat; }
# steal_percent TICKS WALL: the share of all cores' time, in %, that the hypervisor gave to
# other guests since steal_ticks said TICKS, WALL seconds ago.
steal_percent() {
  awk -v a="$1" -v b="$(steal_ticks)" -v w="$2" -v n="$NPROC" -v hz="$CLK_TCK" \
    'BEGIN{printf("%.0f", w > 0 ? (b - a) * 100 / (w * n * hz) : 0)}'
}
STEAL_START=$(steal_ticks)
BENCH_START=$(date +%s%N)
NPROC=$(nproc)

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
note "machine: $NPROC cores, load average $LOAD_START"
note "generating $N tenant zones"
t0=$(date +%s%N)
"$BENCH_DIR/gen_world.sh" "$N" "$W"
NQ=$(wc -l <"$W/queries.txt")
NQU=$(wc -l <"$W/queries-unshared.txt")
note "generated in $((($(date +%s%N) - t0) / 1000000)) ms: $N domains, $NQ queries ($NQU without shared answers)"

t0=$(date +%s%N)
start_world_nsd bench "$ADDR" "$W"
note "NSD on $ADDR serves $N zones (start-up $((($(date +%s%N) - t0) / 1000000)) ms)"

# Inputs for dig: the batch file (whole list, or its first M lines) and the loop sample
# (every k-th query, so each kind of question is in it).
if ((DIG_QUERIES > 0 && DIG_QUERIES < NQ)); then head -n "$DIG_QUERIES" "$W/queries.txt" >"$W/dig-batch.txt"
else cp "$W/queries.txt" "$W/dig-batch.txt"; fi
awk -v k=$(((NQ + DIG_SAMPLE - 1) / DIG_SAMPLE)) 'NR % k == 1' "$W/queries.txt" >"$W/dig-sample.txt"
head -n 10000 "$W/domains.txt" >"$W/domains-10k.txt"
((N > 100000)) && head -n 100000 "$W/domains.txt" >"$W/domains-100k.txt"

RESULTS=$WORK/results.tsv
: >"$RESULTS"

# server_pids: NSD's processes: the one started (NSD 4.6 turns it into xfrd) and all its
# descendants (main, the server that answers), from /proc.
NSD_PID=${E2E_PID[bench]}
CLK_TCK=$(getconf CLK_TCK)
server_pids() {
  awk -v root="$NSD_PID" '
    FNR == 1 { line = $0; sub(/^.*\) /, "", line); split(line, f, " "); parent[$1] = f[2] }
    END { for (p in parent) { for (a = p; a != "" && a != 0 && a != root; a = parent[a]) {}
                              if (a == root) print p } }' /proc/[0-9]*/stat 2>/dev/null || true
}
# server_ticks: CPU clock ticks (user+sys, reaped children's included) used so far by NSD's
# processes.
server_ticks() {
  awk -v root="$NSD_PID" '
    FNR == 1 { line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
               parent[$1] = f[2]; ticks[$1] = f[12] + f[13] + f[14] + f[15] }
    END { for (p in parent) { for (a = p; a != "" && a != 0 && a != root; a = parent[a]) {}
                              if (a == root) t += ticks[p] }
          print t + 0 }' /proc/[0-9]*/stat 2>/dev/null || true
}

# Pinning: the cores this script may use (restored after each pinned phase), the client's core
# and the server's.
ALL_CPUS=$(taskset -c -p $$ | sed 's/.*: //')
PIN=0
((NPROC >= 2)) && PIN=1
CLIENT_CPU=0
SERVER_CPU=1
# pin_server CPUS: every thread of every NSD process onto CPUS.
pin_server() {
  local p
  for p in $(server_pids); do taskset -a -c -p "$1" "$p" >/dev/null 2>&1 || true; done
}

# measure OUTFILE CMD...: runs CMD under /usr/bin/time; sets M_WALL (s), M_CPU (s, user+sys),
# M_USER (s, user alone),
# M_RSS (KiB), M_PREEMPT (times CMD was switched out involuntarily), M_SERVER (s of NSD CPU
# while CMD ran) and M_STEAL (the share of the machine's CPU time its hypervisor gave to other
# guests while CMD ran, in %: /proc/stat's steal over wall time x cores).
measure() {
  local out=$1 t0 s0
  shift
  t0=$(server_ticks)
  s0=$(steal_ticks)
  /usr/bin/time -f '%e %U %S %M %c' -o "$WORK/time.txt" "$@" >"$out" 2>"$out.err" || true
  M_SERVER=$(awk -v a="$t0" -v b="$(server_ticks)" -v hz="$CLK_TCK" 'BEGIN{printf "%.3f", (b - a) / hz}')
  # GNU time writes "Command exited with non-zero status N" first when N != 0.
  read -r M_WALL u s M_RSS M_PREEMPT < <(tail -n 1 "$WORK/time.txt")
  M_CPU=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.3f", u + s}')
  M_USER=$u
  M_STEAL=$(steal_percent "$s0" "$M_WALL")
}

# record ROUND TOOL QUERIES FAILURES RETRIES [QUESTIONS DOMAINS]: one row of the results.
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$M_WALL" "$M_CPU" "$M_RSS" "$4" "$5" \
    "$M_SERVER" "$M_PREEMPT" "${6:--}" "${7:--}" "$M_USER" "$M_STEAL" >>"$RESULTS"
}

# offboard_run ROUND LABEL INPUT [PREFIX...] -- [SCAN OPTION...]: one offboard scan, recorded.
offboard_run() {
  local round=$1 label=$2 input=$3 prefix=()
  shift 3
  while (($#)) && [[ $1 != -- ]]; do prefix+=("$1"); shift; done
  shift
  measure "$WORK/scan.jsonl" "${prefix[@]}" "$OFFBOARD" scan "$input" --resolver "$ADDR" --concurrency "$Q" --stats "$@"
  local err=$WORK/scan.jsonl.err sent retries failed asked domains lines
  sent=$(sed -n 's/.*queries sent \([0-9]*\).*/\1/p' "$err" | tail -n 1)
  retries=$(sed -n 's/.*retries \([0-9]*\).*/\1/p' "$err" | tail -n 1)
  asked=$(sed -n 's/.*questions asked \([0-9]*\).*/\1/p' "$err" | tail -n 1)
  domains=$(sed -n 's/.*: domains \([0-9]*\), questions.*/\1/p' "$err" | tail -n 1)
  failed=$(grep -c '"lookup-failed"' "$WORK/scan.jsonl" || true)
  lines=$(wc -l <"$WORK/scan.jsonl")
  [[ $lines == $(wc -l <"$input") ]] || note "$label wrote $lines lines for $(wc -l <"$input") domains"
  record "$round" "$label" "${sent:-0}" "$failed" "${retries:-?}" "${asked:--}" "${domains:--}"
}

run_offboard() { offboard_run "$1" "offboard scan" "$W/domains.txt" -- --threads "$THREADS"; }
run_unshared() { offboard_run "$1" "offboard unshared" "$W/domains.txt" -- --threads "$THREADS" --no-shared-answers; }
run_one_thread() {
  ((THREADS > 1)) || return 0
  offboard_run "$1" "offboard 1 thread" "$W/domains.txt" -- --threads 1
}
run_offboard_pinned() {
  offboard_run "$1" "offboard pinned" "$W/domains.txt" taskset -c "$CLIENT_CPU" -- --threads 1
}

# dnsperf_run ROUND LABEL [PREFIX...]
dnsperf_run() {
  local round=$1 label=$2
  shift 2
  # -b 4096: the same 4 MiB socket buffers offboard asks for (dnsperf's own default loses
  # answers at this rate); -t 2: offboard's default timeout; -e: EDNS, as offboard sends.
  measure "$WORK/dnsperf.out" "$@" dnsperf -s "$ADDR" -d "$W/queries.txt" -q "$Q" -n 1 -e -t 2 -b 4096 -c 1 -T 1
  local completed lost
  completed=$(awk '/Queries completed:/{print $3}' "$WORK/dnsperf.out")
  lost=$(awk '/Queries lost:/{print $3}' "$WORK/dnsperf.out")
  note "$label's own figures: $(awk '/Run time|Queries per second/{printf "%s ", $0}' "$WORK/dnsperf.out" | tr -s ' ')"
  record "$round" "$label" "${completed:-0}" "${lost:-?}" 0
}
run_dnsperf() { dnsperf_run "$1" dnsperf; }
run_dnsperf_pinned() { dnsperf_run "$1" "dnsperf pinned" taskset -c "$CLIENT_CPU"; }

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
    1) order=(offboard dnsperf unshared one_thread dig_batch dig_loop); pinned=(offboard_pinned dnsperf_pinned) ;;
    2) order=(dnsperf dig_batch one_thread offboard dig_loop unshared); pinned=(dnsperf_pinned offboard_pinned) ;;
    0) order=(dig_batch unshared offboard dig_loop dnsperf one_thread); pinned=(offboard_pinned dnsperf_pinned) ;;
  esac
  for t in "${order[@]}"; do "run_$t" "$round"; done
  if ((PIN)); then
    pin_server "$SERVER_CPU"
    for t in "${pinned[@]}"; do "run_$t" "$round"; done
    pin_server "$ALL_CPUS"
  fi
done
((PIN)) || note "one core: no pinned phase"

note "memory: 10,000 domains"
offboard_run rss "scan 10k" "$W/domains-10k.txt" -- --threads "$THREADS"
verdict_check=$(awk 'NR==FNR{want[$1]=$3; next} {
    match($0, /"domain": "[^"]*"/); d=substr($0, RSTART+11, RLENGTH-12)
    match($0, /"verdict": "[^"]*"/); v=substr($0, RSTART+12, RLENGTH-13)
    n++; if (want[d] != v) bad++ } END {printf "%d of %d domains differ from the generator'"'"'s intent", bad, n}' \
  "$W/expected.tsv" "$WORK/scan.jsonl")
note "verdicts (last 10k scan): $verdict_check"
if ((N > 100000)); then
  note "memory: 100,000 domains"
  offboard_run rss "scan 100k" "$W/domains-100k.txt" -- --threads "$THREADS"
fi

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
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_WALL=$(awk -v t0="$BENCH_START" -v t1="$(date +%s%N)" 'BEGIN{print (t1 - t0) / 1e9}')
STEAL_ALL=$(steal_percent "$STEAL_START" "$BENCH_WALL")

# --- the report --------------------------------------------------------------------------------
echo
echo "offboard scan benchmark: $N domains, $NQ queries ($NQU without shared answers), concurrency $Q, threads $THREADS, NSD 1 process on $ADDR"
echo "machine: nproc $NPROC; load average at start $LOAD_START, at end $LOAD_END; hypervisor steal $STEAL_ALL % of all cores' time over the whole benchmark"
awk -F'\t' '
  { round[NR]=$1; tool[NR]=$2; q[NR]=$3; wall[NR]=$4; cpu[NR]=$5; rss[NR]=$6; fail[NR]=$7; retry[NR]=$8; srv[NR]=$9; pre[NR]=$10
    asked[NR]=$11; doms[NR]=$12; steal[NR]=$14
    if ($2 == "dnsperf") ref[$1] = ($4 > 0 ? $3 / $4 : 0)
    if ($2 == "dnsperf pinned") refp[$1] = ($4 > 0 ? $3 / $4 : 0) }
  END {
    printf "%-6s %-17s %9s %8s %10s %9s %9s %10s %8s %8s %7s %6s %9s %7s\n", "round", "tool", "queries", "wall s", "q/s", "CPU us/q", "NSD us/q", "preempt/kq", "RSS MB", "failures", "retries", "q/dom", "x dnsperf", "steal %"
    for (i = 1; i <= NR; i++) {
      qps = wall[i] > 0 ? q[i] / wall[i] : 0
      us = q[i] > 0 ? cpu[i] * 1e6 / q[i] : 0
      sus = q[i] > 0 ? srv[i] * 1e6 / q[i] : 0
      r = tool[i] ~ /pinned/ ? refp[round[i]] : ref[round[i]]
      ratio = r > 0 ? sprintf("%.2f", qps / r) : "-"
      kpre = q[i] > 0 ? pre[i] * 1000 / q[i] : 0
      qd = doms[i] > 0 ? sprintf("%.2f", asked[i] / doms[i]) : "-"
      printf "%-6s %-17s %9d %8.2f %10.0f %9.1f %9.1f %10.1f %8.1f %8s %7s %6s %9s %7s\n", round[i], tool[i], q[i], wall[i], qps, us, sus, kpre, rss[i] / 1024, fail[i], retry[i], qd, ratio, steal[i]
    }
  }' "$RESULTS"
# The rate target is a ratio in the same round; on a shared machine single rounds swing, so the
# median over the rounds is the figure to quote (and the spread and each round say how noisy the
# run was).
echo
awk -F'\t' -v threads="$THREADS" -v nq="$NQ" -v nqu="$NQU" -v n="$N" '
  function median(a, k,   i, j, t) {
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  # mediansOf(A): "tool m, tool m, ..." for the tools of `tools`, m the median of A[tool, 1..k].
  function mediansOf(a,   s, t, k, i, c) {
    s = ""
    for (t = 1; t <= ntools; t++) {
      k = ncpu[tools[t]]; if (k == 0) continue
      split("", c); for (i = 1; i <= k; i++) c[i] = a[tools[t], i]
      s = s sprintf("%s%s %.1f", s == "" ? "" : ", ", tools[t], median(c, k))
    }
    return s
  }
  # ratio TOOL REF LABEL: the line for TOOL against the reference rates REF (by round).
  function ratio(want, label, isPinned,   r, k, x, s, ref) {
    k = 0; s = ""
    for (r = 1; r <= rounds; r++) {
      ref = isPinned ? refp[r] : refu[r]
      if (!((r, want) in qps) || ref <= 0) continue
      x[++k] = qps[r, want] / ref
      s = s sprintf("%s%.2f", k > 1 ? " " : "", x[k])
    }
    if (k == 0) return
    line = s; m = median(x, k)
    printf "%-46s median %.2fx (min %.2fx, max %.2fx; rounds: %s)\n", label, m, x[1], x[k], line
  }
  # cpuRatio TOOL REF LABEL: the client CPU per query of TOOL over that of REF, in each round
  # where both ran (the same phase, minutes apart): the swings of the host move both alike.
  function cpuRatio(want, refTool, label,   r, k, x, s) {
    k = 0; s = ""
    for (r = 1; r <= rounds; r++) {
      if (!((r, want) in cpur) || !((r, refTool) in cpur) || cpur[r, refTool] <= 0) continue
      x[++k] = cpur[r, want] / cpur[r, refTool]
      s = s sprintf("%s%.2f", k > 1 ? " " : "", x[k])
    }
    if (k == 0) return
    line = s; m = median(x, k)
    printf "%-46s median %.2fx (min %.2fx, max %.2fx; rounds: %s)\n", label, m, x[1], x[k], line
  }
  $1 ~ /^[0-9]+$/ { if ($1 > rounds) rounds = $1
    rate = $4 > 0 ? $3 / $4 : 0
    if ($2 == "dnsperf") refu[$1] = rate
    else if ($2 == "dnsperf pinned") refp[$1] = rate
    else qps[$1, $2] = rate
    if ($3 > 0) { cpu[$2, ++ncpu[$2]] = $5 * 1e6 / $3; usr[$2, ncpu[$2]] = $13 * 1e6 / $3
                  cpur[$1, $2] = $5 * 1e6 / $3 }
    if ($12 > 0) { qd[$2] = $11 / $12 }
    walls[$2, ++nwall[$2]] = $4 }
  END {
    ratio("offboard scan", "offboard --threads " threads " vs dnsperf (unpinned):", 0)
    ratio("offboard unshared", "  the same, --no-shared-answers:", 0)
    ratio("offboard 1 thread", "  the same, --threads 1:", 0)
    ratio("offboard pinned", "single thread (offboard core 0, NSD core 1):", 1)
    ntools = split("offboard scan|offboard unshared|offboard 1 thread|offboard pinned|dnsperf|dnsperf pinned", tools, "|")
    s = mediansOf(cpu)
    if (s != "") printf "%-46s %s\n", "client CPU us per query (median):", s
    s = mediansOf(usr)
    # The rest is the kernel: on loopback, sending a datagram also delivers it to the server.
    if (s != "") printf "%-46s %s\n", "  of which user time (the rest: the kernel):", s
    cpuRatio("offboard scan", "dnsperf", "client CPU per query, x dnsperf (unpinned):")
    cpuRatio("offboard pinned", "dnsperf pinned", "  the same, single thread, x dnsperf pinned:")
    printf "%-46s shared %s (--threads %s), %s (--threads 1); queries.txt %.2f\n", "questions per domain (--stats):",
      ("offboard scan" in qd) ? sprintf("%.2f", qd["offboard scan"]) : "-", threads,
      ("offboard pinned" in qd) ? sprintf("%.2f", qd["offboard pinned"]) : "-", nq / n
    printf "%-46s unshared %s (--threads %s); queries-unshared.txt %.2f\n", "",
      ("offboard unshared" in qd) ? sprintf("%.2f", qd["offboard unshared"]) : "-", threads, nqu / n
    ntools = split("offboard scan|offboard unshared|offboard 1 thread|offboard pinned", tools, "|")
    s = ""
    for (t = 1; t <= ntools; t++) {
      k = nwall[tools[t]]; if (k == 0) continue
      delete c; for (i = 1; i <= k; i++) c[i] = walls[tools[t], i]
      s = s sprintf("%s%s %.2f s", s == "" ? "" : ", ", tools[t], median(c, k))
    }
    if (s != "") printf "%-46s %s\n", "wall time for the " n " domains (median):", s
  }' "$RESULTS"
awk -F'\t' -v n="$N" '
  $2 == "scan 10k" { r10 = $6 }
  $2 == "scan 100k" { r100 = $6 }
  $2 == "offboard scan" && $6 > rn { rn = $6 }
  END {
    # (Parenthesised: a ">" in an unparenthesised printf would redirect its output.)
    big = n > 100000 ? r100 : rn; nbig = n > 100000 ? 100000 : n; nsmall = n < 10000 ? n : 10000
    printf("%-46s %.1f MB at %d domains, %.1f MB at %d domains\n", "peak RSS (offboard scan):", r10 / 1024, nsmall,
      big / 1024, nbig)
  }' "$RESULTS"
printf '%-46s %s\n' "5-domain check on loopback:" "$CHECK5"
if ((KEEP)); then echo "results: $RESULTS"; else echo "results: removed with the work directory (--keep keeps them)"; fi
