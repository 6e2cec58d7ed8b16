#!/usr/bin/env bash
# offboard scan end to end, under load: 200 generated tenant zones (bench/gen_world.sh) served by
# NSD on loopback.
#  - every domain gets from `scan` exactly the JSON object `check` gives it alone;
#  - through a proxy that drops a quarter of the queries, lost packets become retries and
#    retries that run out become lookup-failed, never a silent clear;
#  - bad input lines are reported with their line numbers and skipped; stdin works;
#  - --rate is honoured; Ctrl-C stops cleanly with complete JSON lines and a non-zero exit.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../../bench/world_nsd.sh"
e2e_init scan_e2e
e2e_require_servers
for tool in jq python3; do
  if ! command -v "$tool" >/dev/null; then
    [[ "${CI:-}" == true ]] && fail "$tool is not installed (scripts/deps.sh)"
    echo "SKIP [$E2E_NAME]: $tool is not installed" >&2
    exit 77
  fi
done

W=$WORK/world
N=200
"$SRC/bench/gen_world.sh" "$N" "$W"
ADDR=$(net_addr 1)
start_world_nsd world "$ADDR" "$W"

# --- scan equals check, domain by domain ------------------------------------------------------
note "scan of $N domains against check of each alone"
assert_exit 1 "$OFFBOARD" scan "$W/domains.txt" --resolver "$ADDR" --stats
cp "$WORK/last.out" "$WORK/clean.jsonl"
assert_eq "$N" "$(wc -l <"$WORK/clean.jsonl")" "JSON lines for $N domains"
assert_contains "$ERR" "timed out 0,"
jq -c . "$WORK/clean.jsonl" | sort >"$WORK/scan.sorted"
# One `check` process per domain, two at a time (the machine has two cores).
xargs -P 2 -I{} sh -c '"$0" check "$1" --resolver "$2" --format json >"$3/check-$1.json" || true' \
  "$OFFBOARD" {} "$ADDR" "$WORK" <"$W/domains.txt"
cat "$WORK"/check-*.json | jq -c '.domains[0]' | sort >"$WORK/check.sorted"
assert_eq "$N" "$(wc -l <"$WORK/check.sorted")" "check outputs"
if ! diff "$WORK/check.sorted" "$WORK/scan.sorted" >"$WORK/scan-vs-check.diff"; then
  head -c 3000 "$WORK/scan-vs-check.diff" >&2
  fail "scan and check disagree (diff in $WORK/scan-vs-check.diff)"
fi
E2E_CHECKS=$((E2E_CHECKS + 1))
# And the verdicts are the ones the world was generated to give, with no failed lookup.
assert_eq "" "$(jq -r '"\(.domain)\t\(.verdict)"' "$WORK/clean.jsonl" | sort | diff - <(cut -f1,3 "$W/expected.tsv" | sort))" "verdicts vs the generator's intent"
assert_not_contains "$(<"$WORK/clean.jsonl")" "lookup-failed"

# --- a lossy path: a proxy that drops a quarter of the queries -----------------------------------
# A UDP relay on 127.N.0.7:53 in front of NSD, dropping each query with probability 0.25 (fixed
# seed), stopping by itself after 120 s at the latest.
PROXY=$(net_addr 7)
mkdir -p "$WORK/proxy"
cat >"$WORK/proxy/drop.py" <<'EOF'
import random, select, socket, sys, time
listen, upstream, frac, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
front.bind((listen, 53))
clients = {}   # client address -> its socket towards the server
back = {}      # that socket -> client address
end = time.time() + 120
print("ready", flush=True)
while time.time() < end:
    ready, _, _ = select.select([front] + list(back), [], [], 0.5)
    for s in ready:
        data, addr = s.recvfrom(65535)
        if s is front:
            if rng.random() < frac:
                continue
            up = clients.get(addr)
            if up is None:
                up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
                up.bind((listen, 0))
                clients[addr] = up
                back[up] = addr
            up.sendto(data, (upstream, 53))
        else:
            front.sendto(data, back[s])
EOF
python3 -u "$WORK/proxy/drop.py" "$PROXY" "$ADDR" 0.25 20240505 >"$WORK/proxy/out.log" 2>&1 &
# Registered with the harness, so its EXIT trap stops the proxy like the servers.
E2E_PID[proxy]=$!
E2E_CONF[proxy]=$WORK/proxy/drop.py
E2E_ORDER+=(proxy)
for ((i = 0; i < 50; i++)); do grep -q ready "$WORK/proxy/out.log" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/proxy/out.log" || fail "the dropping proxy did not start"

note "scan through a proxy dropping 25% of the queries"
rc=0
"$OFFBOARD" scan "$W/domains.txt" --resolver "$PROXY" --timeout 150 --tries 2 --stats \
  >"$WORK/lossy.jsonl" 2>"$WORK/lossy.err" || rc=$?
[[ $rc == 1 ]] || fail "lossy scan: exit $rc (expected 1: some domains still point at Microsoft 365)"
assert_eq "$N" "$(wc -l <"$WORK/lossy.jsonl")" "JSON lines through the lossy path"
retries=$(sed -n 's/.*retries \([0-9]*\).*/\1/p' "$WORK/lossy.err")
timedout=$(sed -n 's/.*timed out \([0-9]*\).*/\1/p' "$WORK/lossy.err")
note "lossy path: $retries retries, $timedout queries timed out"
((retries > 0)) || fail "no retries through a lossy path: $(<"$WORK/lossy.err")"
((timedout > 0)) || fail "no query ran out of tries at 25% loss: $(<"$WORK/lossy.err")"
# Each domain is either exactly what the clean scan said (findings name the proxy as the
# server that answered), or carries lookup-failed and is not clear: a lost answer is never read
# as an absent record.
sed "s/\"$PROXY:53\"/\"$ADDR:53\"/g" "$WORK/lossy.jsonl" >"$WORK/lossy-as-direct.jsonl"
summary=$(jq -n -c --slurpfile clean "$WORK/clean.jsonl" --slurpfile lossy "$WORK/lossy-as-direct.jsonl" '
  ($clean | map({key: .domain, value: .}) | from_entries) as $c
  | [ $lossy[] | . as $l
      | if $l == $c[$l.domain] then "same"
        elif ([$l.findings[] | select(.id == "lookup-failed")] | length) > 0
             and $l.verdict != "clear" then "failed"
        else "BAD:" + $l.domain end ]
  | group_by(.) | map({key: .[0], value: length}) | from_entries')
note "lossy path: $summary"
assert_not_contains "$summary" "BAD:" "domains through the lossy path"
(($(jq -r '.failed // 0' <<<"$summary") > 0)) || fail "no domain showed a failed lookup: $summary"
(($(jq -r '.same // 0' <<<"$summary") > 0)) || fail "no domain came through intact: $summary"
# Every failed lookup says what happened: a timeout, naming the server asked.
assert_eq "timeout" "$(jq -r '.findings[] | select(.id == "lookup-failed") | .data' "$WORK/lossy.jsonl" | sort -u)" "lookup-failed data"
assert_eq "$PROXY:53" "$(jq -r '.findings[] | select(.id == "lookup-failed") | .server' "$WORK/lossy.jsonl" | sort -u)" "lookup-failed server"
stop_server proxy

# --- input handling -----------------------------------------------------------------------------
note "bad lines and stdin"
printf '%s\n' "# tenants" "t000006.test" "bad..name" "" "  t000007.test   # clean" \
  "$(printf 'x%.0s' {1..64}).test" "t000008.test" >"$WORK/bad.txt"
assert_exit 2 "$OFFBOARD" scan "$WORK/bad.txt" --resolver "$ADDR"
assert_eq 3 "$(wc -l <<<"$OUT")" "lines for the three good domains"
assert_contains "$ERR" "bad.txt:3:"
assert_contains "$ERR" "bad.txt:6:"
assert_eq 2 "$(grep -c 'skipped' <<<"$ERR")" "bad lines reported"
assert_exit 1 bash -c '"$0" scan - --resolver "$1" <"$2"' "$OFFBOARD" "$ADDR" "$W/domains.txt"
assert_eq "$(<"$WORK/scan.sorted")" "$(jq -c . <<<"$OUT" | sort)" "stdin scan vs file scan"

# --- --rate -----------------------------------------------------------------------------------------
note "--rate"
head -n 20 "$W/domains.txt" >"$WORK/twenty.txt"
t0=$(date +%s%N)
assert_exit 1 "$OFFBOARD" scan "$WORK/twenty.txt" --resolver "$ADDR" --rate 200 --stats
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
sent=$(sed -n 's/.*queries sent \([0-9]*\).*/\1/p' <<<"$ERR")
# The world of those 20 domains alone (each domain's zone depends only on its number) lists what
# one thread asks; each further thread has its own shared answers and may ask each of the
# providers' follow-ups once more.
"$SRC/bench/gen_world.sh" 20 "$WORK/world20"
expected=$(wc -l <"$WORK/world20/queries.txt")
shared=$(grep -c '\.provider[0-9]*\.' "$WORK/world20/queries.txt" || true)
threads=$(sed -n 's/.*, threads \([0-9]*\)$/\1/p' <<<"$ERR")
note "--rate 200: $sent queries for 20 domains over ${threads:-?} threads (one thread: $expected, $shared of them shared)"
if [[ ${threads:-1} == 1 ]]; then
  assert_eq "$expected" "$sent" "queries for 20 domains"
else
  ((sent >= expected && sent <= expected + (threads - 1) * shared)) ||
    fail "queries for 20 domains over $threads threads: $sent, expected $expected to $((expected + (threads - 1) * shared))"
  E2E_CHECKS=$((E2E_CHECKS + 1))
fi
# N queries at R/s: at least (N - one tick's bucket) / R seconds; and not stuck.
min_ms=$(((sent - 6) * 1000 / 200))
note "--rate 200: $sent queries in $elapsed_ms ms (at least $min_ms)"
((elapsed_ms >= min_ms)) || fail "--rate 200: $sent queries took only $elapsed_ms ms"
((elapsed_ms < min_ms + 5000)) || fail "--rate 200: $sent queries took $elapsed_ms ms"

# --- Ctrl-C -----------------------------------------------------------------------------------------
note "SIGINT"
"$OFFBOARD" scan "$W/domains.txt" --resolver "$ADDR" --rate 300 --concurrency 64 \
  >"$WORK/int.jsonl" 2>"$WORK/int.err" &
pid=$!
sleep 2
# Into a file, lines are written in batches, but never held for the end: each batch goes out
# before the scan waits for the network.
live=$(wc -l <"$WORK/int.jsonl")
kill -0 "$pid" 2>/dev/null || fail "the rate-limited scan ended within 2 s"
((live > 0)) || fail "after 2 s, a scan into a file had written no line yet"
t0=$(date +%s%N)
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
stop_ms=$((($(date +%s%N) - t0) / 1000000))
lines=$(wc -l <"$WORK/int.jsonl")
note "SIGINT after 2 s: exit $rc, $lines domains written, stopped in $stop_ms ms"
((rc != 0)) || fail "an interrupted scan exited 0"
((lines > 0 && lines < N)) || fail "an interrupted scan wrote $lines of $N domains"
((stop_ms < 5000)) || fail "the scan took $stop_ms ms to stop after SIGINT"
jq -e -c . "$WORK/int.jsonl" >/dev/null || fail "an interrupted scan wrote a broken JSON line"
[[ $(tail -c 1 "$WORK/int.jsonl" | od -An -c | tr -d ' ') == '\n' ]] || fail "the last line is cut"
E2E_CHECKS=$((E2E_CHECKS + 6))
# A second Ctrl-C stops at once (exit 130), and what was written is still whole lines.
"$OFFBOARD" scan "$W/domains.txt" --resolver "$ADDR" --rate 100 --concurrency 512 \
  >"$WORK/int2.jsonl" 2>/dev/null &
pid=$!
sleep 1.5
kill -INT "$pid"
sleep 0.3
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
assert_eq 130 "$rc" "exit status after a second SIGINT"
if [[ -s $WORK/int2.jsonl ]]; then
  jq -e -c . "$WORK/int2.jsonl" >/dev/null || fail "a twice-interrupted scan wrote a broken line"
fi
