#!/usr/bin/env bash
# Benchmark (not a test): wall time and peak RSS of `offboard check`, `offboard plan` and
# `offboard gate` over N tenant-like domains, offline (--zones), for N in SIZES.
#
# The world is bench/gen_world.sh's (one zone file per domain, a deterministic mix of domains
# at Microsoft 365, half moved, clean, parked; one in twenty with NS at Microsoft, so the plan
# has prepare-new-dns-host and switch-ns steps too). The tenant file lists every domain with
# every subscription to cancel, so each domain gets its full set of steps.
#
# For each N it runs, against a fresh state file:
#   check            no state at all (the baseline: resolving and judging the domains)
#   plan (fresh)     the first plan: an empty history
#   plan (history)   a second plan an hour later on the same state: every subject has history
#   gate             the gate an hour after that, on the same state
# Planning and gating must stay close to linear in the number of domains and in the length of
# the history: the target is under 3 s for each at 5000 domains.
#
#   bench/plan.sh                                  # OFFBOARD=build/offboard, SIZES="100 1000 5000"
#   OFFBOARD=build-x/offboard SIZES="100 500" bench/plan.sh
#
# Peak RSS needs GNU time (/usr/bin/time, Debian package "time"); without it only wall times
# are printed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OFFBOARD=${OFFBOARD:-$here/../build/offboard}
SIZES=${SIZES:-100 1000 5000}
[[ -x $OFFBOARD ]] || { echo "bench/plan.sh: no offboard binary at $OFFBOARD (set OFFBOARD)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/offboard-bench-plan.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

NOW0=2026-12-15T10:00:00Z
NOW1=2026-12-15T11:00:00Z
NOW2=2026-12-15T12:00:00Z

have_time=0
[[ -x /usr/bin/time ]] && have_time=1

# measure LABEL CMD...: runs CMD (exit 0, 1 and 3 are verdicts, not failures), prints one line.
measure() {
  local label=$1 rc=0 start end wall rss
  shift
  start=$(date +%s%N)
  if ((have_time)); then
    /usr/bin/time -f '%M' -o "$WORK/time.txt" "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  else
    "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  fi
  end=$(date +%s%N)
  if ((rc != 0 && rc != 1 && rc != 3)); then
    echo "bench/plan.sh: $label exited $rc: $(head -c 500 "$WORK/err.txt")" >&2
    exit 1
  fi
  wall=$(((end - start) / 1000000))
  if ((have_time)); then
    rss=$(tail -n 1 "$WORK/time.txt")
    awk -v l="$label" -v w="$wall" -v r="$rss" -v c="$rc" \
      'BEGIN { printf "  %-16s %8.2f s   peak RSS %7.1f MB   (exit %d)\n", l, w / 1000, r / 1024, c }'
  else
    awk -v l="$label" -v w="$wall" -v c="$rc" 'BEGIN { printf "  %-16s %8.2f s   (exit %d)\n", l, w / 1000, c }'
  fi
}

echo "offboard plan/gate scaling, offline (--zones), $OFFBOARD"
for n in $SIZES; do
  dir="$WORK/world-$n"
  "$here/gen_world.sh" "$n" "$dir" >/dev/null
  {
    printf '{\n  "tenant": "bench%d.onmicrosoft.com",\n  "cloud": "worldwide",\n' "$n"
    printf '  "subscriptions": [ { "name": "Microsoft 365 Business Premium", "kind": "business", "assigned_licenses": 12, "cancel": true } ],\n'
    printf '  "new_mail": { "mx": [ { "host": "mx1.newmail.test", "preference": 10 } ], "spf_include": "_spf.newmail.test" },\n'
    printf '  "new_dns": { "nameservers": [ "ns1.newdns.test", "ns2.newdns.test" ] },\n'
    printf '  "domains": [\n'
    awk 'NR > 1 { printf ",\n" } { printf "    \"%s\"", $0 } END { printf "\n" }' "$dir/domains.txt"
    printf '  ]\n}\n'
  } >"$dir/tenant.json"
  state="$dir/state.db"
  echo "$n domains:"
  measure "check" "$OFFBOARD" check --zones "$dir/zones" --format json $(cat "$dir/domains.txt")
  measure "plan (fresh)" "$OFFBOARD" plan --tenant "$dir/tenant.json" --zones "$dir/zones" \
    --state "$state" --now "$NOW0" --format json
  steps=$(grep -c '"id":' "$WORK/out.txt" || true)
  measure "plan (history)" "$OFFBOARD" plan --tenant "$dir/tenant.json" --zones "$dir/zones" \
    --state "$state" --now "$NOW1" --format json
  measure "gate" "$OFFBOARD" gate --tenant "$dir/tenant.json" --zones "$dir/zones" \
    --state "$state" --now "$NOW2" --format json
  echo "  ($steps plan steps)"
done
