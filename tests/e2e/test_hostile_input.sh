#!/usr/bin/env bash
# Hostile input, end to end: what an operator (or a file handed to one) can throw at offboard.
#
# - Domain arguments and scan lines that are not host names: each is exit 2 with a message that
#   names the argument (or FILE:LINE), shows it escaped, and nothing is queried (a counting
#   fake server is the resolver and must receive nothing).
# - Zone directories (--zones) with what ldns would misread: exit 2 naming FILE:LINE; CRLF and
#   a missing $ORIGIN are read exactly as their LF / $ORIGIN twins, never misread.
# - Tenant files that are not JSON, are cut short, are huge, or have wrong types: exit 2 naming
#   the file and the byte/line or key path, nothing queried.
# - State files that are empty, foreign, newer or corrupt: the gate refuses (exit 2) and the
#   file is left byte-identical.
# - A hostile environment (HOSTALIASES, LOCALDOMAIN, RES_OPTIONS, a resolv.conf with a NUL)
#   changes nothing; a closed or full stdout never yields exit 0, and a closed stdout never
#   lets output reach a socket.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init hostile_input

FAULT_DNS=${FAULT_DNS:-$(dirname "$OFFBOARD")/fault_dns}
[[ -x $FAULT_DNS ]] || fail "fault_dns is not built ($FAULT_DNS)"
cd "$SRC"

# A counting server on loopback: every query it receives is listed in its stats at exit.
ADDR=$(net_addr 40)
COUNTER=$WORK/counter
mkdir -p "$COUNTER"
# start_counter: (re)starts it; sets RESOLVER and SRCOPT.
start_counter() {
  rm -f "$COUNTER/port" "$COUNTER/stats"
  "$FAULT_DNS" --fault none --ip "$ADDR" --port-file "$COUNTER/port" \
    --stats-file "$COUNTER/stats" --lifetime 600 </dev/null >>"$COUNTER/server.out" 2>&1 9>&- &
  E2E_KIND[counter]=fake E2E_CONF[counter]=$COUNTER/conf E2E_ADDRS[counter]=""
  E2E_PID[counter]=$!
  E2E_ORDER+=(counter)
  echo "$!" >"$COUNTER/server.pid"
  local i
  for ((i = 0; i < 100; i++)); do [[ -s $COUNTER/port ]] && break; sleep 0.05; done
  [[ -s $COUNTER/port ]] || fail "fault_dns did not start: $(<"$COUNTER/server.out")"
  RESOLVER=$ADDR:$(<"$COUNTER/port")
  SRCOPT=(--resolver "$RESOLVER" --timeout 300 --tries 1)
}
# queries_so_far: sets QUERIES to how many queries the counting server received since it
# (re)started; it is restarted to read them (not in a $(...) subshell, then).
queries_so_far() {
  stop_server counter
  QUERIES=$(sed -n 's/^udp //p' "$COUNTER/stats")
  start_counter
}
start_counter

# no_control FILE...: no terminal control octet (tab and newline aside) in FILE.
no_control() {
  if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$@"; then
    fail "control characters in $(LC_ALL=C grep -l $'[\x01-\x08\x0b-\x1f\x7f]' "$@")"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# --- domain arguments ----------------------------------------------------------------------
note "domain arguments"
long63=$(printf 'a%.0s' {1..63})
long64=${long63}a
name254=$(printf 'abcdefghi.%.0s' {1..25})comm  # 254 characters: one over the limit
big=$(head -c 131000 /dev/zero | tr '\0' a).com       # near the kernel's 128 KiB per argument
declare -a BAD=("" "." "a..b" ".contoso.com" "contoso.com.." "$long64.com"
  "$name254" "con toso.com" "contoso.com;rm -rf /" '$(reboot).com' '`id`.com' "a|b.com"
  'contoso\.com' 'contoso\046com' $'a\e[31m.com' $'\e]0;pwned\a.com' $'con\ttoso.com'
  "$big" "xn--zz.example" "xn--.example" $'b\xfc.example' $'\xff\xfe.com' "bü cher.example"
  "x.onion" "printer.local" "localhost" "foo.localhost" "test.invalid" "1.2.3.4.in-addr.arpa"
  "192.0.2.1" "::1" "[::1]" "com" "-contoso.com" "contoso-.com" "_dmarc.contoso.com"
  "*.contoso.com")
for arg in "${BAD[@]}"; do
  assert_exit 2 "$OFFBOARD" check "${SRCOPT[@]}" -- "$arg"
  assert_contains "$ERR" "argument '" "stderr for $(printf '%q' "${arg:0:40}")"
  [[ -z $OUT ]] || fail "stdout not empty for $(printf '%q' "${arg:0:40}")"
  no_control "$WORK/last.err"
  ((${#ERR} < 400)) || fail "a ${#ERR}-character message for a ${#arg}-character argument"
  # The same through plan (DOMAIN arguments of the tenant): exit 2 as well.
  assert_exit 2 "$OFFBOARD" plan "${SRCOPT[@]}" --state "$WORK/never.db" -- "$arg"
  [[ ! -e $WORK/never.db ]] || fail "plan created a state for a bad argument"
done
# A good domain after a bad one: still nothing queried.
assert_exit 2 "$OFFBOARD" check contoso.com "a..b" "${SRCOPT[@]}"
queries_so_far
assert_eq 0 "$QUERIES" "queries sent for bad arguments"

# Good ones in odd dress are accepted (and are queried).
assert_exit 1 "$OFFBOARD" check "CONTOSO.COM." "${SRCOPT[@]}"
assert_exit 1 "$OFFBOARD" check "$long63.com" "${SRCOPT[@]}"
assert_exit 1 "$OFFBOARD" check "bücher.example" "${SRCOPT[@]}"
assert_contains "$OUT" "bücher.example (xn--bcher-kva.example)"

# --- scan lines: NUL, a megabyte, escapes; each bad line named by number, the rest scanned ---
note "scan input lines"
{
  printf 'contoso.com\n'
  printf 'con\0toso.com\n'
  printf '%s\n' "$(head -c 1048576 /dev/zero | tr '\0' b).com"
  printf 'a\033[2J.com # comment\n'
  printf '\xff\xfe\n'
  printf 'fabrikam.com\r\n'
  printf '   # only a comment\n\n'
} >"$WORK/scan-bad.txt"
assert_exit 1 "$OFFBOARD" scan "$WORK/scan-bad.txt" "${SRCOPT[@]}"
for line in 2 3 4 5; do assert_contains "$ERR" "scan-bad.txt:$line: " "scan stderr"; done
assert_contains "$ERR" "NUL"
no_control "$WORK/last.err" "$WORK/last.out"
((${#ERR} < 2000)) || fail "scan's messages for a 1 MB line are ${#ERR} characters"
assert_eq 2 "$(grep -c '"verdict"' <<<"$OUT")" "domains scanned around the bad lines"
queries_so_far
# Only bad lines: nothing queried, exit 2.
printf 'a..b\n\0\n' >"$WORK/scan-only-bad.txt"
assert_exit 2 "$OFFBOARD" scan "$WORK/scan-only-bad.txt" "${SRCOPT[@]}"
queries_so_far
assert_eq 0 "$QUERIES" "queries sent for a scan of bad lines only"

# --- zone files ---------------------------------------------------------------------------
note "zone files"
SOA='@ 3600 IN SOA ns1.contoso.com. hostmaster.contoso.com. 1 3600 600 604800 300'
zone_dir() {  # zone_dir NAME CONTENT(printf format): DIR/contoso.com.zone
  mkdir -p "$WORK/zones-$1"
  printf "$2" >"$WORK/zones-$1/contoso.com.zone"
  ZDIR=$WORK/zones-$1
}
refuse_zone() {  # refuse_zone NAME LINE REASON CONTENT
  zone_dir "$1" "$4"
  assert_exit 2 "$OFFBOARD" check contoso.com --zones "$ZDIR"
  assert_contains "$ERR" "$ZDIR/contoso.com.zone:$2: " "zone $1"
  assert_contains "$ERR" "$3" "zone $1"
  no_control "$WORK/last.err"
}
refuse_zone bom 1 "byte order mark" "\xef\xbb\xbf\$ORIGIN contoso.com.\r\n$SOA\r\n@ IN MX 0 mx\r\n"
refuse_zone nul 3 "NUL" "\$ORIGIN contoso.com.\n$SOA\n@ IN TXT \"a\0b\"\n"
refuse_zone paren 2 "parenthes" "\$ORIGIN contoso.com.\n@ IN SOA ns1 host ( 1 3600 600 604800 300\n@ IN MX 0 mx\n"
refuse_zone outside 3 "outside" "\$ORIGIN contoso.com.\n$SOA\nevil.example. IN A 192.0.2.66\n"
refuse_zone include 3 "INCLUDE" "\$ORIGIN contoso.com.\n$SOA\n\$INCLUDE /etc/passwd\n"
refuse_zone escape 3 "control character" "\$ORIGIN contoso.com.\n$SOA\n@ IN TXT \"\033[2J\"\n"
refuse_zone bare-cr 2 "carriage return" "\$ORIGIN contoso.com.\n$SOA\r@ IN MX 0 mx\n"
refuse_zone other-origin 1 "ORIGIN" "\$ORIGIN fabrikam.com.\n$SOA\n"
# CRLF line ends and a file without $ORIGIN (the file name gives it) are read exactly as their
# plain twins: never misread the way ldns alone would (reliability §2.2).
MX='@ IN MX 0 contoso-com.mail.protection.outlook.com.\nwww IN A 192.0.2.1\n'
zone_dir plain "\$ORIGIN contoso.com.\n$SOA\n$MX"
assert_exit 1 "$OFFBOARD" check contoso.com --zones "$ZDIR" --format json
plain=${OUT//"$ZDIR"/DIR}
zone_dir crlf "\$ORIGIN contoso.com.\r\n$SOA\r\n${MX//\\n/\\r\\n}"
assert_exit 1 "$OFFBOARD" check contoso.com --zones "$ZDIR" --format json
assert_eq "$plain" "${OUT//"$ZDIR"/DIR}" "CRLF zone read as its LF twin"
zone_dir no-origin "$SOA\n$MX"
assert_exit 1 "$OFFBOARD" check contoso.com --zones "$ZDIR" --format json
assert_eq "$plain" "${OUT//"$ZDIR"/DIR}" "zone without \$ORIGIN read as its twin"

# --- tenant files -------------------------------------------------------------------------
note "tenant files"
demo=$(<fixtures/tenants/demo.json)
refuse_tenant() {  # refuse_tenant NAME EXPECTED-TEXT (the file is $WORK/tenant-NAME.json)
  local f=$WORK/tenant-$1.json
  assert_exit 2 "$OFFBOARD" plan --tenant "$f" "${SRCOPT[@]}" --state "$WORK/never.db"
  assert_contains "$ERR" "$f: " "tenant $1"
  assert_contains "$ERR" "$2" "tenant $1"
  no_control "$WORK/last.err"
  [[ ! -e $WORK/never.db ]] || fail "plan created a state for a bad tenant file"
  assert_exit 2 "$OFFBOARD" gate --tenant "$f" "${SRCOPT[@]}" --state "$WORK/never.db"
  assert_contains "$ERR" "$f: " "gate, tenant $1"
}
printf 'tenant: contoso.onmicrosoft.com\n' >"$WORK/tenant-yaml.json"
refuse_tenant yaml "not valid JSON at byte 2 (line 1, column 2)"
printf '%s' "${demo:0:$((${#demo} / 2))}" >"$WORK/tenant-cut.json"
refuse_tenant cut "not valid JSON at byte"
: >"$WORK/tenant-empty.json"
refuse_tenant empty "not valid JSON"
printf '{"tenant": "contoso.onmicrosoft.com", "domains": 5}' >"$WORK/tenant-types.json"
refuse_tenant types "domains"
printf '{"domains": ["contoso.com", 7]}' >"$WORK/tenant-types2.json"
refuse_tenant types2 "domains[1]"
printf '{"domains": ["contoso.com"], "\\u001b[2J": 1}' >"$WORK/tenant-esckey.json"
refuse_tenant esckey '\027[2J'
printf '{"domains": ["contoso.com"], "subscriptions": [{"assigned_licenses": 1e400}]}' >"$WORK/tenant-num.json"
refuse_tenant num "1e400"
{ printf '%.0s[' {1..100000}; printf '%.0s]' {1..100000}; } >"$WORK/tenant-deep.json"
refuse_tenant deep "nested"
# Huge: 70 MB of JSON (over the 64 MiB limit) is refused without being parsed.
{ printf '{"domains": ["contoso.com"], "pad": "'; head -c $((70 << 20)) /dev/zero | tr '\0' x; printf '"}'; } >"$WORK/tenant-huge.json"
refuse_tenant huge "64 MiB"
rm -f "$WORK/tenant-huge.json"
# 10,000 duplicate domains: imported once each, quickly.
{ printf '{"domains": ['; for ((i = 0; i < 10000; i++)); do printf '"contoso.com", '; done; printf '"contoso.com"]}'; } >"$WORK/tenant-dups.json"
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/tenant-dups.json" "${SRCOPT[@]}" --state "$WORK/dups.db" --format json
assert_eq 1 "$(grep -c '"id": "update-mx:contoso.com"' <<<"$OUT")" "plan steps for 10,001 copies of one domain"

# --- state files: refused, never overwritten -----------------------------------------------
note "state files"
bad_state() {  # bad_state NAME: $WORK/state-NAME.db must be refused by the gate and left as it is
  local f=$WORK/state-$1.db before
  before=$(sha256sum <"$f")
  for cmd in gate status history; do
    local args=(--state "$f")
    [[ $cmd == history ]] || args+=(contoso.com "${SRCOPT[@]}")
    local rc=0
    "$OFFBOARD" "$cmd" "${args[@]}" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
    ((rc == 2 || rc == 4)) || fail "$cmd with state $1: exit $rc (expected 2 or 4)"
    assert_contains "$(<"$WORK/last.err")" "$f" "$cmd with state $1"
    assert_eq "$before" "$(sha256sum <"$f")" "$cmd with state $1: the file is unchanged"
    [[ ! -e $f-wal || ! -s $f-wal ]] || fail "$cmd with state $1 left a WAL"
  done
}
# A 0-byte or missing state holds no acks, waivers or observations: the gate may start one
# (state_store.h, OpenMode::CreateIfMissing) but never passes on it; the readers refuse it.
: >"$WORK/state-empty.db"
rc=0
"$OFFBOARD" gate contoso.com "${SRCOPT[@]}" --state "$WORK/state-empty.db" >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "gate passed with an empty state"
: >"$WORK/state-empty2.db"
assert_exit 2 "$OFFBOARD" history --state "$WORK/state-empty2.db"
assert_contains "$ERR" "empty"
[[ ! -s $WORK/state-empty2.db ]] || fail "history wrote into an empty state file"
printf 'not a database\n' >"$WORK/state-text.db"
bad_state text
cp fuzz/corpus/state/foreign-app-id "$WORK/state-foreign.db"
bad_state foreign
cp fuzz/corpus/state/newer-schema "$WORK/state-newer.db"
bad_state newer
cp fuzz/corpus/state/cut-half "$WORK/state-cut.db"
bad_state cut
cp fuzz/corpus/state/page-2-zeroed "$WORK/state-zeroed.db"
bad_state zeroed
mkdir "$WORK/state-dir.db"
assert_exit 2 "$OFFBOARD" gate contoso.com "${SRCOPT[@]}" --state "$WORK/state-dir.db"
# A missing state: the gate never creates one to pass (blocked or refused, never 0).
rc=0
"$OFFBOARD" gate contoso.com "${SRCOPT[@]}" --state "$WORK/missing.db" >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "gate passed with no state"

# ack and waive with bad arguments: exit 2, and no state file is created for them.
long_note=$(head -c 2001 /dev/zero | tr '\0' n)
for args in "ack bogus-step --by ana" "ack update-mx:contoso.com --by ana" "ack notify-users --by ' '" \
  "ack notify-users --by ana --note $long_note" "waive cancel-subscription --by ana --reason r" \
  "waive update-mx:contoso.com --by ana --reason ' '" "ack notify-users --by ana --now yesterday"; do
  eval "set -- $args"
  assert_exit 2 "$OFFBOARD" "$@" --state "$WORK/usage.db"
  [[ ! -e $WORK/usage.db ]] || fail "offboard ${args:0:60}... created a state file on a usage error"
done

# --- hostile environment ------------------------------------------------------------------
note "environment"
printf 'contoso.com evil.example\n' >"$WORK/hostaliases"
assert_exit 1 "$OFFBOARD" check contoso.com "${SRCOPT[@]}" --format json
clean=$OUT
queries_so_far
assert_exit 1 env HOSTALIASES="$WORK/hostaliases" LOCALDOMAIN="evil.example" \
  RES_OPTIONS="ndots:15 attempts:5 timeout:30 rotate" \
  "$OFFBOARD" check contoso.com "${SRCOPT[@]}" --format json
assert_eq "$clean" "$OUT" "output with a hostile environment"
stop_server counter
assert_not_contains "$(<"$COUNTER/stats")" "evil" "queries under a hostile environment"
assert_contains "$(<"$COUNTER/stats")" "query contoso.com 15 udp" "queries under a hostile environment"
start_counter
# A resolv.conf whose lines start with NUL (CVE-2024-25629's trigger) and carry junk: read by
# offboard itself, no crash, nothing unprintable echoed.
{
  printf '\0nameserver 127.0.0.2\n'
  printf 'options ndots:99 \0 timeout:99\n'
  printf 'search evil.example\n'
  printf 'nameserver %s\n' "$ADDR"
  printf 'nameserver not-an-address\n'
} >"$WORK/resolv.conf"
rc=0
"$OFFBOARD" check contoso.com --resolv-conf "$WORK/resolv.conf" --timeout 300 --tries 1 \
  >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
((rc == 1 || rc == 2 || rc == 3)) || fail "hostile resolv.conf: exit $rc"
no_control "$WORK/last.err" "$WORK/last.out"

# --- stdout closed or full ----------------------------------------------------------------
note "stdout closed or full"
for cmd in "check wingtiptoys.com cohowinery.com --zones fixtures/zones" \
  "check wingtiptoys.com --zones fixtures/zones --format json" \
  "plan wingtiptoys.com --zones fixtures/zones --state $WORK/s1.db" "--help" "--version" \
  "check --help"; do
  # shellcheck disable=SC2086
  "$OFFBOARD" $cmd >/dev/null 2>&1 || true
  for redirect in closed full; do
    rc=0
    # shellcheck disable=SC2086
    case $redirect in
      closed) "$OFFBOARD" $cmd >&- 2>"$WORK/last.err" || rc=$? ;;
      full) "$OFFBOARD" $cmd >/dev/full 2>"$WORK/last.err" || rc=$? ;;
    esac
    ((rc != 0)) || fail "'offboard $cmd' with stdout $redirect exited 0"
    E2E_CHECKS=$((E2E_CHECKS + 1))
  done
done
# The clear case really is 0 with a working stdout (so the above is not vacuous).
assert_exit 0 "$OFFBOARD" check wingtiptoys.com cohowinery.com --zones fixtures/zones
# With stdout closed, the next socket would be fd 1: scan's lines were sent to the DNS server.
# Now nothing is done at all.
seq -f 'd%g.contoso.com' 1 80 >"$WORK/scan80.txt"
queries_so_far
rc=0
"$OFFBOARD" scan - "${SRCOPT[@]}" <"$WORK/scan80.txt" >&- 2>"$WORK/last.err" || rc=$?
assert_eq 4 "$rc" "scan with stdout closed"
assert_contains "$(<"$WORK/last.err")" "standard output is closed"
queries_so_far
assert_eq 0 "$QUERIES" "queries sent by a scan whose stdout is closed"
rc=0
"$OFFBOARD" ack notify-users --by alice --state "$WORK/ack.db" >&- 2>/dev/null || rc=$?
assert_eq 4 "$rc" "ack with stdout closed"
[[ ! -e $WORK/ack.db ]] || fail "ack with stdout closed wrote a state"

exit 0
