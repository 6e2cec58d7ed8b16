#!/usr/bin/env bash
# Benchmark (not a test): wall time of `offboard check --authoritative` for 1 domain and for 50
# domains of one tenant, against the loopback fixture hierarchy (tests/e2e/lib.sh) plus 50
# generated tenant-like zones under com., all served by one extra NSD ("bench", two addresses).
# The walk from the root is shared and every question of every domain goes out at once, so 50
# domains should cost only a little more than one. Prints the median of RUNS runs of each and
# the ratio. Needs root (port 53), nsd and dig, like the end-to-end tests.
#
# Then `offboard scan --authoritative` over SCAN generated domains (default 4000) and over a
# quarter of them: wall time and peak RSS of each. The walk's caches are trimmed whenever they
# pass AuthoritativeOptions::maxCacheEntries, so the larger scan must not need four times the
# memory of the smaller.
#
#   bench/authoritative.sh            # OFFBOARD=build/offboard, RUNS=5, SCAN=4000
#   OFFBOARD=build-x/offboard RUNS=9 SCAN=0 bench/authoritative.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"
RUNS=${RUNS:-5}
COUNT=50
SCAN=${SCAN:-4000}
((SCAN >= COUNT)) || SCAN=$COUNT
e2e_init bench_authoritative
[[ -x $OFFBOARD ]] || fail "no offboard binary at $OFFBOARD (set OFFBOARD)"

# --- 50 tenant-like zones: half still at Microsoft 365, half moved -------------------------
BENCH_ADDRS=("$(net_addr 40)" "$(net_addr 41)")
{
  echo
  echo "; bench/authoritative.sh: $COUNT generated tenant zones at the bench host"
  echo "ns1.benchhost 172800 IN A ${BENCH_ADDRS[0]}"
  echo "ns2.benchhost 172800 IN A ${BENCH_ADDRS[1]}"
} >>"$WORK/zones/com.zone"
DOMAINS=()
for ((i = 1; i <= SCAN; i++)); do
  if ((i <= COUNT)); then d=$(printf 'tenant%02d.com' "$i"); else d=$(printf 'tenant%06d.com' "$i"); fi
  DOMAINS+=("$d")
  label=${d%.com}
  printf '%s 172800 IN NS ns1.benchhost.com.\n%s 172800 IN NS ns2.benchhost.com.\n' \
    "$label" "$label" >>"$WORK/zones/com.zone"
  if ((i % 2)); then
    mx="0 $label-com.mail.protection.outlook.com."
    spf="v=spf1 include:spf.protection.outlook.com -all"
    auto="autodiscover.outlook.com."
  else
    mx="10 mx1.newmail.example."
    spf="v=spf1 include:_spf.newmail.example -all"
    auto="autodiscover.newmail.example."
  fi
  cat >"$WORK/zones/$d.zone" <<EOF
\$ORIGIN $d.
\$TTL 3600
@   IN SOA ns1.benchhost.com. hostmaster.$d. ( 2026010101 3600 900 1209600 3600 )
@   IN NS  ns1.benchhost.com.
@   IN NS  ns2.benchhost.com.
@   IN MX  $mx
@   IN TXT "$spf"
@   IN TXT "MS=ms$((10000000 + i))"
@   IN A   203.0.113.$i
www IN CNAME $d.
autodiscover IN CNAME $auto
selector1._domainkey IN CNAME selector1-$label-com._domainkey.$label.onmicrosoft.com.
selector2._domainkey IN CNAME selector2-$label-com._domainkey.$label.onmicrosoft.com.
EOF
done

start_hierarchy
start_nsd bench "${BENCH_ADDRS[@]}" -- "${DOMAINS[@]}"

# --- timing ------------------------------------------------------------------------------------
run_ms() {
  local start rc=0
  start=$(date +%s%N)
  "$OFFBOARD" check "$@" --authoritative --root-hints "$WORK/zones/root.hints" --format json \
    >"$WORK/bench.out" 2>"$WORK/bench.err" || rc=$?
  ((rc <= 1)) || fail "offboard exited $rc: $(head -c 500 "$WORK/bench.err")"
  echo $((($(date +%s%N) - start) / 1000000))
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }

one=() all=()
for ((r = 0; r < RUNS; r++)); do
  one+=("$(run_ms "${DOMAINS[0]}")")
  all+=("$(run_ms "${DOMAINS[@]:0:COUNT}")")
done
checked=$(grep -c '^      "domain":' "$WORK/bench.out" || true)
((checked == COUNT)) || fail "the 50-domain run reported $checked domains"
m1=$(median "${one[@]}")
m50=$(median "${all[@]}")
echo "offboard check --authoritative, loopback hierarchy, median of $RUNS runs:"
echo "   1 domain : ${m1} ms   (runs: ${one[*]})"
echo "  $COUNT domains: ${m50} ms   (runs: ${all[*]})"
awk -v a="$m50" -v b="$m1" 'BEGIN { printf "  ratio    : %.2f (50 domains / 1 domain)\n", (b > 0 ? a / b : 0) }'

# --- scan --authoritative: flat memory -----------------------------------------------------------
scan_rss() {  # scan_rss N: "WALL_S RSS_KB LINES" of a scan of the first N domains
  printf '%s\n' "${DOMAINS[@]:0:$1}" >"$WORK/scan-in.txt"
  /usr/bin/time -f '%e %M' -o "$WORK/scan-time.txt" "$OFFBOARD" scan "$WORK/scan-in.txt" --authoritative \
    --root-hints "$WORK/zones/root.hints" >"$WORK/scan.out" 2>"$WORK/scan.err" || true
  echo "$(tail -n 1 "$WORK/scan-time.txt") $(wc -l <"$WORK/scan.out")"
}
if ((SCAN > COUNT)) && [[ -x /usr/bin/time ]]; then
  read -r w1 r1 l1 < <(scan_rss $((SCAN / 4)))
  read -r w4 r4 l4 < <(scan_rss "$SCAN")
  ((l1 == SCAN / 4 && l4 == SCAN)) || fail "scan wrote $l1 and $l4 lines for $((SCAN / 4)) and $SCAN domains"
  echo "offboard scan --authoritative, same hierarchy:"
  awk -v n=$((SCAN / 4)) -v w="$w1" -v r="$r1" 'BEGIN { printf "  %6d domains: %6.2f s, peak RSS %5.1f MB\n", n, w, r / 1024 }'
  awk -v n="$SCAN" -v w="$w4" -v r="$r4" 'BEGIN { printf "  %6d domains: %6.2f s, peak RSS %5.1f MB\n", n, w, r / 1024 }'
  awk -v a="$r4" -v b="$r1" 'BEGIN { printf "  RSS ratio: %.2f for 4x the domains\n", (b > 0 ? a / b : 0) }'
fi
