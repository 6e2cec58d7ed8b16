#!/usr/bin/env bash
# Fault tests: the real offboard binary against misbehaving DNS servers on loopback.
#
# Each fault of the reliability research (§3, §5) is served to `offboard check` by a fake
# server, and the expected outcome is written next to it: the exit code (3 when evidence is
# missing, never 0), the data of every lookup-failed finding (servfail, timeout, malformed, …),
# or, where the fault must be survived (a spoof before the real answer, TC then TCP), the
# Microsoft 365 finding from the real answer and never the decoy's. Every run is bounded in
# time, no run prints "clear", and a scan of 60 domains through each fault keeps its open file
# descriptors bounded (sampled from /proc while it runs: a descriptor leaked per query would
# show as hundreds).
#
# Servers: tests/faults/fault_dns (the project's responder: 0-byte datagrams, wrong IDs, QR=0,
# duplicates, TCP framing faults, slow answers, loops, ESC sequences) on 127.N.0.X, and
# ldns-testns (ldnsutils) for rcodes, a CNAME loop and escapes in zone-format data. ldns-testns
# binds 0.0.0.0, so it only runs inside a private network namespace (unshare -rn, loopback
# only), which this script enters by itself when the system allows it.
set -euo pipefail
if [[ -z "${FAULTS_NETNS:-}" ]] && command -v unshare >/dev/null &&
  unshare -rn true 2>/dev/null; then
  export FAULTS_NETNS=1
  exec unshare -rn bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init faults

FAULT_DNS=${FAULT_DNS:-$(dirname "$OFFBOARD")/fault_dns}
[[ -x $FAULT_DNS ]] || fail "fault_dns is not built ($FAULT_DNS)"
TIMEOUT_MS=300
# Two rounds of queries (the domain's names, then MX exchanges) with one try each: a run
# takes about 2 × 300 ms when servers are silent. The bound leaves room for a loaded machine
# and sanitizer builds.
BOUND_MS=5000
# stdin, stdout, stderr, c-ares' UDP and TCP sockets to the one server, and some slack.
FD_BOUND=12
FAULTS_TRIED=0
FAULTS_HELD=0

# ---------------------------------------------------------------------------------------
# Servers.

# start_fault ROLE ADDR FAULT [fault_dns args...]: starts fault_dns; sets PORT.
start_fault() {
  local role=$1 addr=$2 fault=$3
  shift 3
  local dir=$WORK/$role
  mkdir -p "$dir"
  rm -f "$dir/port"
  "$FAULT_DNS" --fault "$fault" --ip "$addr" --port-file "$dir/port" --stats-file "$dir/stats" \
    --lifetime 300 "$@" </dev/null >"$dir/server.out" 2>&1 9>&- &
  e2e_register "$role" $! "$dir"
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $dir/port ]] && break
    kill -0 "${E2E_PID[$role]}" 2>/dev/null || fail "fault_dns $role exited: $(<"$dir/server.out")"
    sleep 0.05
  done
  PORT=$(<"$dir/port")
}

# start_testns ROLE DATAFILE: starts ldns-testns on a random port (0.0.0.0 inside this
# network namespace: loopback only); sets PORT.
start_testns() {
  local role=$1 data=$2 dir=$WORK/$1 i
  mkdir -p "$dir"
  : >"$dir/server.out"  # exists before the loop below reads it, whenever the child opens it
  ldns-testns -r "$data" </dev/null >>"$dir/server.out" 2>&1 9>&- &
  e2e_register "$role" $! "$dir"
  for ((i = 0; i < 100; i++)); do
    PORT=$(sed -n 's/^Listening on port \([0-9]*\)$/\1/p' "$dir/server.out")
    [[ -n $PORT ]] && return
    kill -0 "${E2E_PID[$role]}" 2>/dev/null || fail "ldns-testns $role exited: $(<"$dir/server.out")"
    sleep 0.05
  done
  fail "ldns-testns $role did not say its port"
}

# e2e_register ROLE PID DIR: lets the harness stop the server (stop_server, EXIT trap).
e2e_register() {
  E2E_KIND[$1]=fake
  E2E_CONF[$1]=$3/conf
  E2E_ADDRS[$1]=""
  E2E_PID[$1]=$2
  E2E_ORDER+=("$1")
  echo "$2" >"$3/server.pid"
}

# ---------------------------------------------------------------------------------------
# Running offboard.

# run_sampled EXPECTED_EXIT CMD...: runs CMD (without the harness' lock descriptor), samples
# its open descriptors from /proc every 10 ms, and requires the exit status. Sets OUT, ERR,
# ELAPSED_MS, MAXFD.
run_sampled() {
  local expected=$1
  shift
  local start pid n rc=0
  start=$(date +%s%N)
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" 9>&- &
  pid=$!
  MAXFD=0
  # Builtins only (a glob, and read -t on a pipe that never delivers as the 10 ms pause): a
  # fork per sample would slow a loaded machine down more than the run itself.
  local fds tick
  exec {tick}<> <(:)
  while kill -0 "$pid" 2>/dev/null; do
    fds=(/proc/"$pid"/fd/*)
    [[ -e ${fds[0]} ]] && n=${#fds[@]} || n=0
    ((n > MAXFD)) && MAXFD=$n
    read -r -t 0.01 -u "$tick" _ || true
  done
  exec {tick}<&-
  wait "$pid" || rc=$?
  ELAPSED_MS=$((($(date +%s%N) - start) / 1000000))
  OUT=$(<"$WORK/last.out")
  ERR=$(<"$WORK/last.err")
  if [[ $rc != "$expected" ]]; then
    {
      echo "command: $*"
      echo "stdout:"; sed 's/^/    | /' "$WORK/last.out"
      echo "stderr:"; sed 's/^/    | /' "$WORK/last.err"
    } >&2
    fail "exit status: expected $expected, got $rc"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# lookup_failed_data: the "data" of every lookup-failed finding in $OUT (check JSON), one per
# line, sorted and counted.
lookup_failed_data() {
  grep -A5 '"id": "lookup-failed"' <<<"$OUT" | sed -n 's/^ *"data": "\(.*\)",$/\1/p' | sort | uniq -c |
    sed 's/^ *//'
}

# check_fault NAME EXIT WANT SERVER [extra offboard args]: `offboard check contoso.com` against
# SERVER must exit EXIT; WANT is either "lookup-failed:D1|D2" (every lookup-failed finding has
# data D1 or D2, there is at least one, and no Microsoft 365 finding is made up) or
# "finding:ID" (that finding is present: the real answer was used).
check_fault() {
  local name=$1 want_exit=$2 want=$3 server=$4
  shift 4
  FAULTS_TRIED=$((FAULTS_TRIED + 1))
  note "fault $name: expect exit $want_exit, $want"
  run_sampled "$want_exit" "$OFFBOARD" check contoso.com --resolver "$server" \
    --timeout "$TIMEOUT_MS" --tries 1 --format json "$@"
  assert_not_contains "$OUT" '"verdict": "clear"' "$name: output"
  assert_not_contains "$OUT" 'decoy' "$name: output (the decoy answer was used)"
  ((ELAPSED_MS < BOUND_MS)) || fail "$name: took ${ELAPSED_MS} ms (bound ${BOUND_MS} ms)"
  ((MAXFD <= FD_BOUND)) || fail "$name: ${MAXFD} descriptors open at once (bound ${FD_BOUND})"
  case $want in
    lookup-failed:*)
      local allowed=${want#lookup-failed:} data line
      data=$(lookup_failed_data)
      [[ -n $data ]] || fail "$name: no lookup-failed finding in: $OUT"
      while read -r _ line; do
        [[ "|$allowed|" == *"|$line|"* ]] || fail "$name: lookup-failed with data '$line', expected $allowed"
      done <<<"$data"
      E2E_CHECKS=$((E2E_CHECKS + 1))
      assert_not_contains "$OUT" '"severity": "blocker"' "$name: output"
      ;;
    finding:*)
      assert_contains "$OUT" "\"id\": \"${want#finding:}\"" "$name: output"
      ;;
    *) fail "check_fault: bad expectation $want" ;;
  esac
  note "  held: exit $want_exit in ${ELAPSED_MS} ms, at most ${MAXFD} descriptors; $(tr '\n' ' ' <<<"$(lookup_failed_data)")"
  FAULTS_HELD=$((FAULTS_HELD + 1))
}

# scan_bounded NAME SERVER VERDICT: 60 domains through SERVER; every line has VERDICT and the
# descriptors stay bounded (a leak per query would open hundreds).
scan_bounded() {
  local name=$1 server=$2 verdict=$3 lines
  seq -f 'd%g.contoso.com' 1 60 >"$WORK/scan.txt"
  run_sampled "$( [[ $verdict == points-at-m365 ]] && echo 1 || echo 3 )" \
    "$OFFBOARD" scan "$WORK/scan.txt" --resolver "$server" --timeout "$TIMEOUT_MS" --tries 1 \
    --concurrency 100
  lines=$(grep -c "\"verdict\":\"$verdict\"" <<<"$OUT" || true)
  assert_eq 60 "$lines" "$name: scan lines with verdict $verdict"
  ((MAXFD <= FD_BOUND)) || fail "$name: scan held ${MAXFD} descriptors at once (bound ${FD_BOUND})"
}

# ---------------------------------------------------------------------------------------
# The project's responder: every query of the check gets the fault.

ADDR=$(net_addr 40)
declare -A EXPECT=(
  # fault                     exit  expectation
  [none]="1 finding:mx-at-m365"
  [servfail]="3 lookup-failed:servfail"
  [refused]="3 lookup-failed:refused"
  [formerr]="3 lookup-failed:formerr"
  [notimp]="3 lookup-failed:notimp"
  [silence]="3 lookup-failed:timeout"
  [zero-length]="3 lookup-failed:timeout"
  [zero-length-then-answer]="1 finding:mx-at-m365"
  [wrong-id]="3 lookup-failed:timeout"
  [wrong-id-then-answer]="1 finding:mx-at-m365"
  [qr0]="3 lookup-failed:malformed"
  [wrong-question]="3 lookup-failed:timeout"
  [duplicate-answers]="1 finding:mx-at-m365"
  [duplicate-records]="1 finding:mx-at-m365"
  [trailing-garbage]="3 lookup-failed:malformed"
  [truncated-packet]="3 lookup-failed:malformed"
  [tc-fallback]="1 finding:mx-at-m365"
  [tcp-short-prefix]="3 lookup-failed:malformed|timeout|unreachable"
  [tcp-long-prefix]="3 lookup-failed:malformed|timeout|unreachable"
  [tcp-cut]="3 lookup-failed:malformed|timeout|unreachable"
  [tcp-close-mid-frame]="3 lookup-failed:malformed|timeout|unreachable"
  [tcp-close]="3 lookup-failed:malformed|timeout|unreachable"
  [tcp-garbage-frame]="3 lookup-failed:timeout|malformed"
  [slow]="3 lookup-failed:timeout"
  [cname-loop]="3 lookup-failed:cname-loop"
  [pointer-loop]="3 lookup-failed:malformed"
)
ORDER=(none servfail refused formerr notimp silence zero-length zero-length-then-answer wrong-id
  wrong-id-then-answer qr0 wrong-question duplicate-answers duplicate-records trailing-garbage
  truncated-packet tc-fallback tcp-short-prefix tcp-long-prefix tcp-cut tcp-close-mid-frame
  tcp-close tcp-garbage-frame slow cname-loop pointer-loop)

for fault in "${ORDER[@]}"; do
  read -r code expectation <<<"${EXPECT[$fault]}"
  start_fault "f-$fault" "$ADDR" "$fault" --delay-ms 2000
  check_fault "$fault" "$code" "$expectation" "$ADDR:$PORT"
  if [[ $fault == duplicate-* ]]; then
    assert_eq 1 "$(grep -c '"id": "mx-at-m365"' <<<"$OUT")" "$fault: mx-at-m365 findings"
    assert_eq 2 "$(grep -c '"data": "0 contoso-com.mail.protection.outlook.com."' <<<"$OUT")" \
      "$fault: MX data shown (once as a record, once in the finding)"
  fi
  case $fault in
    none | servfail | silence | qr0 | tc-fallback | tcp-cut | tcp-long-prefix | slow | pointer-loop)
      scan_bounded "$fault" "$ADDR:$PORT" \
        "$([[ $code == 1 ]] && echo points-at-m365 || echo indeterminate)"
      ;;
  esac
  stop_server "f-$fault"
  if [[ $fault == tc-* || $fault == tcp-* ]]; then
    grep -q '^tcp [1-9]' "$WORK/f-$fault/stats" || fail "$fault: the answer was never asked over TCP"
  fi
done

# A server that is not there: ICMP port unreachable. Linux sends those errors under a rate limit
# per destination (net.ipv4.icmp_ratelimit): past its burst a query gets no error and times out
# (with 14 questions a domain, about every other one does), so each lookup is unreachable or a
# timeout, both failures, and at least one learns "unreachable" at once.
start_fault f-gone "$ADDR" none
gone_port=$PORT
stop_server f-gone
TIMEOUT_MS=3000 check_fault unreachable 3 "lookup-failed:unreachable|timeout" "$ADDR:$gone_port"
lookup_failed_data | grep -q ' unreachable$' || fail "unreachable: no lookup learned the port is closed"
((ELAPSED_MS < 5000)) || fail "unreachable took ${ELAPSED_MS} ms: longer than one 3 s timeout round"

# One query type faulted, the rest answered: the failed lookup is named and the evidence
# from the other lookups is kept. With the MX lookup failed nothing definite blocks: exit 3,
# never clear. With another lookup failed, the MX at Microsoft 365 still blocks: exit 1.
for spec in servfail:MX:3 qr0:MX:3 slow:MX:3 tcp-cut:MX:3 wrong-id:MX:3 pointer-loop:TXT:1 \
  cname-loop:NS:1 trailing-garbage:NS:1 refused:CNAME:1; do
  IFS=: read -r fault qtype code <<<"$spec"
  start_fault "p-$fault" "$ADDR" "$fault" --only-type "$qtype" --delay-ms 2000
  FAULTS_TRIED=$((FAULTS_TRIED + 1))
  run_sampled "$code" "$OFFBOARD" check contoso.com --resolver "$ADDR:$PORT" --timeout "$TIMEOUT_MS" \
    --tries 1 --format json
  failed=$(grep -A4 '"id": "lookup-failed"' <<<"$OUT" | grep -c '"type": ' || true)
  typed=$(grep -A4 '"id": "lookup-failed"' <<<"$OUT" | grep -c "\"type\": \"$qtype\"" || true)
  ((failed >= 1 && failed == typed)) ||
    fail "$fault on $qtype only: $failed lookup-failed findings, $typed of them for $qtype"
  E2E_CHECKS=$((E2E_CHECKS + 1))
  assert_not_contains "$OUT" '"verdict": "clear"'
  if [[ $qtype == MX ]]; then
    assert_not_contains "$OUT" '"id": "mx-at-m365"' "$fault on MX: output"
  else
    assert_contains "$OUT" '"id": "mx-at-m365"' "$fault on $qtype: output (the MX evidence kept)"
  fi
  [[ $qtype == NS ]] || assert_contains "$OUT" '"child_ns": [' "$fault on $qtype: NS evidence kept"
  ((ELAPSED_MS < BOUND_MS)) || fail "$fault on $qtype: took ${ELAPSED_MS} ms"
  ((MAXFD <= FD_BOUND)) || fail "$fault on $qtype: ${MAXFD} descriptors open at once"
  FAULTS_HELD=$((FAULTS_HELD + 1))
  note "fault $fault on $qtype only: held (exit $code, $failed lookup-failed for $qtype, ${ELAPSED_MS} ms)"
  stop_server "p-$fault"
done

# A failing first server does not hide a working second one (the stub asks the next server).
start_fault s-bad "$ADDR" servfail
bad=$ADDR:$PORT
start_fault s-good "$(net_addr 41)" none
good=$(net_addr 41):$PORT
FAULTS_TRIED=$((FAULTS_TRIED + 1))
run_sampled 1 "$OFFBOARD" check contoso.com --resolver "$bad" --resolver "$good" \
  --timeout "$TIMEOUT_MS" --tries 1 --format json
assert_contains "$OUT" '"id": "mx-at-m365"'
assert_not_contains "$OUT" '"id": "lookup-failed"'
FAULTS_HELD=$((FAULTS_HELD + 1))
stop_server s-bad
stop_server s-good

# ---------------------------------------------------------------------------------------
# Terminal safety: names and strings served with ESC/BEL sequences are printed escaped, in
# every format; JSON stays valid.
start_fault esc "$ADDR" escape
for format in text markdown json; do
  run_sampled 1 "$OFFBOARD" check contoso.com --resolver "$ADDR:$PORT" --timeout "$TIMEOUT_MS" \
    --tries 1 --format "$format" --color always
  if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1a\x1c-\x1f\x7f]' "$WORK/last.out" "$WORK/last.err"; then
    fail "control characters reached the $format output"
  fi
  # --color always paints with ESC[…m itself: the only ESC allowed is a colour sequence.
  if LC_ALL=C grep -a $'\x1b' "$WORK/last.out" | LC_ALL=C sed $'s/\x1b\\[[0-9;]*m//g' |
    LC_ALL=C grep -q $'\x1b'; then
    fail "an ESC sequence from the network reached the $format output"
  fi
  assert_contains "$OUT" '\027' "$format output (the escaped ESC)"
  E2E_CHECKS=$((E2E_CHECKS + 1))
done
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; json.load(sys.stdin)' <"$WORK/last.out" || fail "check JSON with escapes is not valid JSON"
  E2E_CHECKS=$((E2E_CHECKS + 1))
fi
# A pipe in served data must not split a Markdown table cell: every row of a table keeps as many
# unescaped pipes as the table's header row.
run_sampled 1 "$OFFBOARD" check contoso.com --resolver "$ADDR:$PORT" --timeout "$TIMEOUT_MS" \
  --tries 1 --format markdown
assert_contains "$OUT" '\|' "markdown output (the escaped pipe)"
if sed 's/\\|//g' <<<"$OUT" | awk -F'|' '/^\|/ { if (!in_table) cols = NF; else if (NF != cols) bad = 1; in_table = 1; next }
    { in_table = 0 } END { exit !bad }'; then
  fail "served data split a Markdown table cell: $(grep -F 'script' <<<"$OUT")"
fi
# The runbook in every format: no control octet, no live HTML from the network.
for format in text markdown json html; do
  run_sampled 1 "$OFFBOARD" plan contoso.com --resolver "$ADDR:$PORT" --timeout "$TIMEOUT_MS" \
    --tries 1 --format "$format" --state "$WORK/esc-$format.db" --now 2026-12-15T10:00:00Z
  if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$WORK/last.out" "$WORK/last.err"; then
    fail "control characters reached the plan's $format output"
  fi
  # HTML is one self-contained page: served text must arrive as text (Markdown shows it in
  # fenced blocks, where it is literal).
  [[ $format != html ]] || assert_not_contains "$OUT" "<script>alert" "plan html output"
  if [[ $format == json ]] && command -v python3 >/dev/null; then
    python3 -c 'import json,sys; json.load(sys.stdin)' <"$WORK/last.out" || fail "plan JSON is not valid"
  fi
done
printf 'contoso.com\nfabrikam.com\n' >"$WORK/esc-scan.txt"
run_sampled 1 "$OFFBOARD" scan "$WORK/esc-scan.txt" --resolver "$ADDR:$PORT" --timeout "$TIMEOUT_MS" --tries 1
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$WORK/last.out"; then
  fail "control characters reached the scan output"
fi
if command -v python3 >/dev/null; then
  python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$WORK/last.out" ||
    fail "scan JSON lines with escapes are not valid JSON"
fi
stop_server esc

# ---------------------------------------------------------------------------------------
# ldns-testns: rcodes, a CNAME loop and escapes in zone-format data, entry by entry for the
# questions `check` asks.
if [[ -n "${FAULTS_NETNS:-}" ]] && command -v ldns-testns >/dev/null; then
  QUESTIONS=("contoso.com NS" "contoso.com MX" "contoso.com TXT" "autodiscover.contoso.com CNAME"
    "selector1._domainkey.contoso.com CNAME" "selector2._domainkey.contoso.com CNAME"
    "msoid.contoso.com CNAME" "sip.contoso.com CNAME" "lyncdiscover.contoso.com CNAME"
    "_sip._tls.contoso.com SRV" "_sipfederationtls._tcp.contoso.com SRV"
    "enterpriseregistration.contoso.com CNAME" "enterpriseenrollment.contoso.com CNAME"
    "_autodiscover._tcp.contoso.com SRV" "contoso.com DS" "_mta-sts.contoso.com TXT")
  # testns_data REPLY-FLAGS [ANSWER-RR...]: one entry per question, same reply for each.
  testns_data() {
    local flags=$1 q rr
    shift
    for q in "${QUESTIONS[@]}"; do
      read -r qname qtype <<<"$q"
      printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA RD %s\n' "$flags"
      printf 'SECTION QUESTION\n%s. IN %s\n' "$qname" "$qtype"
      if (($#)); then
        printf 'SECTION ANSWER\n'
        for rr in "$@"; do printf '%s\n' "${rr//QNAME/$qname.}"; done
      fi
      printf 'ENTRY_END\n\n'
    done
  }
  for rcode in SERVFAIL REFUSED FORMERR NOTIMPL; do
    testns_data "$rcode" >"$WORK/testns-$rcode.data"
    start_testns "t-$rcode" "$WORK/testns-$rcode.data"
    want=$(tr 'A-Z' 'a-z' <<<"${rcode/NOTIMPL/NOTIMP}")
    check_fault "ldns-testns $rcode" 3 "lookup-failed:$want" "127.0.0.1:$PORT"
    stop_server "t-$rcode"
  done
  # The probes' CNAME chains are followed (SPEC §3): loop.contoso.com itself answers too, back
  # to autodiscover, so every chain comes round to a name already seen.
  {
    printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA RD NOERROR\n'
    printf 'SECTION QUESTION\nloop.contoso.com. IN CNAME\nSECTION ANSWER\n'
    printf 'loop.contoso.com. 300 IN CNAME autodiscover.contoso.com.\nENTRY_END\n\n'
    testns_data NOERROR "QNAME 300 IN CNAME loop.contoso.com." \
      "loop.contoso.com. 300 IN CNAME QNAME"
  } >"$WORK/testns-loop.data"
  start_testns t-loop "$WORK/testns-loop.data"
  check_fault "ldns-testns CNAME loop" 3 "lookup-failed:cname-loop" "127.0.0.1:$PORT"
  stop_server t-loop
  # A TXT record with \027 escapes in zone format: ldns-testns sends raw ESC and BEL octets.
  # The first matching entry wins, so it goes before the generic ones.
  {
    printf 'ENTRY_BEGIN\nMATCH opcode qtype qname\nADJUST copy_id\nREPLY QR AA RD NOERROR\n'
    printf 'SECTION QUESTION\ncontoso.com. IN TXT\nSECTION ANSWER\n'
    printf '%s\n' 'contoso.com. 300 IN TXT "v=spf1 include:spf.protection.outlook.com \027[2J\027]0;pwned\007 -all"'
    printf 'ENTRY_END\n\n'
    testns_data NOERROR
  } >"$WORK/testns-esc2.data"
  start_testns t-esc "$WORK/testns-esc2.data"
  run_sampled 1 "$OFFBOARD" check contoso.com --resolver "127.0.0.1:$PORT" --timeout "$TIMEOUT_MS" --tries 1
  assert_contains "$OUT" 'spf-includes-m365'
  assert_contains "$OUT" '\027[2J\027]0;pwned\007'
  if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$WORK/last.out"; then
    fail "ESC from ldns-testns reached the output"
  fi
  stop_server t-esc
else
  note "ldns-testns cases skipped: no private network namespace (ldns-testns binds 0.0.0.0)"
fi

echo "faults: ${FAULTS_HELD} of ${FAULTS_TRIED} held" | tee "$WORK/summary" >&2
((FAULTS_HELD == FAULTS_TRIED)) || fail "not every fault held"
exit 0
