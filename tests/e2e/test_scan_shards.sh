#!/usr/bin/env bash
# offboard scan on every core and past one process (SPEC §6, issue 15): a generated world of
# tenant zones (bench/gen_world.sh) served by NSD on loopback.
#  - --threads 2 writes the same lines as --threads 1 (in another order), with and without the
#    shared answers, and the shared answers ask fewer questions;
#  - four shards run by GNU parallel, as the README's recipe does, write together exactly the
#    lines of one unsharded scan, each domain once, and each bad line is reported by one shard;
#  - a shard with no domain of its own says so and claims nothing; a bad --shard is exit 2.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../../bench/world_nsd.sh"
e2e_init scan_shards
e2e_require_servers
for tool in jq parallel; do
  if ! command -v "$tool" >/dev/null; then
    [[ "${CI:-}" == true ]] && fail "$tool is not installed (scripts/deps.sh)"
    echo "SKIP [$E2E_NAME]: $tool is not installed" >&2
    exit 77
  fi
done

W=$WORK/world
N=300
"$SRC/bench/gen_world.sh" "$N" "$W"
ADDR=$(net_addr 1)
start_world_nsd world "$ADDR" "$W"
# Bad lines among the domains: each must be reported once, by one shard.
{
  sed -n '1,100p' "$W/domains.txt"
  echo "bad..name"
  sed -n '101,200p' "$W/domains.txt"
  echo "-leading-hyphen.example"
  sed -n '201,$p' "$W/domains.txt"
} >"$WORK/input.txt"

# questions LINE: the "questions asked" figure of a --stats line.
questions() { sed -n 's/.*questions asked \([0-9]*\) .*/\1/p' <<<"$1"; }

note "one thread, two threads"
# Exit 1: some domains point at Microsoft 365 (the bad lines alone would make it 2).
assert_exit 1 "$OFFBOARD" scan "$WORK/input.txt" --resolver "$ADDR" --threads 1 --stats
jq -c . <<<"$OUT" | sort >"$WORK/one.sorted"
assert_eq "$N" "$(wc -l <"$WORK/one.sorted")" "lines of one thread"
one_asked=$(questions "$ERR")
assert_contains "$ERR" "threads 1"
assert_eq 2 "$(grep -c 'skipped' <<<"$ERR")" "bad lines reported by one thread"
assert_exit 1 "$OFFBOARD" scan "$WORK/input.txt" --resolver "$ADDR" --threads 2 --stats
assert_eq "$(<"$WORK/one.sorted")" "$(jq -c . <<<"$OUT" | sort)" "two threads vs one"
assert_contains "$ERR" "threads 2"
assert_eq 2 "$(grep -c 'skipped' <<<"$ERR")" "bad lines reported by two threads"
assert_exit 1 "$OFFBOARD" scan "$WORK/input.txt" --resolver "$ADDR" --threads 2 --no-shared-answers --stats
assert_eq "$(<"$WORK/one.sorted")" "$(jq -c . <<<"$OUT" | sort)" "without shared answers vs with"
unshared_asked=$(questions "$ERR")
((one_asked < unshared_asked)) || fail "shared answers asked $one_asked questions, unshared $unshared_asked"
assert_contains "$ERR" "follow-ups from shared answers 0, joined in flight 0"

note "four shards with GNU parallel"
parallel --joblog "$WORK/joblog" -j 4 \
  "$OFFBOARD" scan "$WORK/input.txt" --resolver "$ADDR" --threads 1 --shard {}/4 \
  '>' "$WORK/shard-{}.jsonl" '2>' "$WORK/shard-{}.err" ::: 0 1 2 3 || true
assert_eq 4 "$(awk 'NR > 1' "$WORK/joblog" | wc -l)" "shards run"
# Exit 1 (points at Microsoft 365) or 2 (the shard holding a bad line): never 0 or a crash.
assert_eq "" "$(awk 'NR > 1 && $7 != 1 && $7 != 2 { print $NF, $7 }' "$WORK/joblog")" "shard exit codes"
cat "$WORK"/shard-*.jsonl | jq -c . | sort >"$WORK/shards.sorted"
if ! diff "$WORK/one.sorted" "$WORK/shards.sorted" >"$WORK/shards.diff"; then
  head -c 2000 "$WORK/shards.diff" >&2
  fail "the union of the shards is not the unsharded scan (diff in $WORK/shards.diff)"
fi
E2E_CHECKS=$((E2E_CHECKS + 1))
assert_eq "$N" "$(jq -r .domain "$WORK"/shard-*.jsonl | sort -u | wc -l)" "distinct domains over the shards"
assert_eq 2 "$(cat "$WORK"/shard-*.err | grep -c 'skipped')" "bad lines reported over the shards"
for k in 0 1 2 3; do
  lines=$(wc -l <"$WORK/shard-$k.jsonl")
  ((lines >= N / 4 - 2 && lines <= N / 4 + 2)) || fail "shard $k has $lines lines, not about $((N / 4))"
done

note "shards past the input, bad shards"
head -n 2 "$W/domains.txt" >"$WORK/two.txt"
assert_exit 0 "$OFFBOARD" scan "$WORK/two.txt" --resolver "$ADDR" --shard 3/4
assert_eq "" "$OUT" "an empty shard's output"
assert_contains "$ERR" "none of its 2 domain lines falls in shard 3/4"
for bad in 4/4 -1/4 1/0 a/b 1 1/2/3; do
  assert_exit 2 "$OFFBOARD" scan "$WORK/two.txt" --resolver "$ADDR" "--shard=$bad"
  assert_contains "$ERR" "--shard"
done

exit 0
