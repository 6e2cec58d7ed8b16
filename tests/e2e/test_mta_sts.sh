#!/usr/bin/env bash
# MTA-STS before the MX change, end to end (SPEC §3 mta-sts-lists-m365, §4 update-mta-sts): the
# real binary against NSD on loopback serving each case's `_mta-sts` record and policy host
# address, and real HTTPS servers (tests/fakes/https_fixture.sh: a CA made here, servers on
# kernel-chosen ports of 127.0.0.1) serving the policies:
#   enforce-ms  enforce, Microsoft's MX only            -> mta-sts-lists-m365 (blocker)
#   testing-ms  testing, Microsoft's MX only            -> mta-sts-lists-m365
#   mixed       Microsoft's and the new provider's MX   -> clear
#   none        mode none                               -> clear
#   redirect    a 301 to a valid policy                 -> refused: indeterminate
#   big         a 10 MiB body                           -> refused: indeterminate
#   html        served as text/html                     -> refused: indeterminate
#   dupkeys     mode enforce, then mode none            -> invalid: indeterminate
#   noaddr      the policy host has no address          -> indeterminate
#   mixed, 3 s slow, --fetch-timeout 500                -> not fetched: indeterminate
# plus the expired and wrong-name certificates, the system's CAs (which do not know this CA),
# SSL_CERT_FILE, --zones (the file beside the zone), and a plan and gate through the change.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init mta_sts

for tool in openssl python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    [[ "${CI:-}" == true ]] && fail "$tool is not installed (scripts/deps.sh)"
    echo "SKIP [mta_sts]: $tool is not installed" >&2
    exit 77
  fi
done
e2e_require_servers

CASES=(enforce-ms testing-ms mixed none redirect big html dupkeys noaddr)
HTTPS=$WORK/https
names=""
for c in "${CASES[@]}"; do names+=" mta-sts.$c.com"; done
MTA_STS_NAMES=$names HTTPS_FIXTURE_OWNER=$$ bash "$SRC/tests/fakes/https_fixture.sh" start "$HTTPS" ||
  fail "the HTTPS servers did not start"
trap 'rc=$?; bash "$SRC/tests/fakes/https_fixture.sh" stop "$HTTPS"; (exit $rc); e2e_on_exit' EXIT
PORT=$(<"$HTTPS/good.port")
export OFFBOARD_MTA_STS_PORT=$PORT
CA=(--ca-file "$HTTPS/ca.pem")

# policy FILE MODE MAX_AGE MX...: a policy body.
policy() {
  local file=$1 mode=$2 age=$3 m
  shift 3
  {
    printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
    for m in "$@"; do printf 'mx: %s\r\n' "$m"; done
    printf 'max_age: %s\r\n' "$age"
  } >"$file"
}
R=$HTTPS/root
policy "$R/mta-sts.enforce-ms.com.txt" enforce 604800 "*.mail.protection.outlook.com"
policy "$R/mta-sts.testing-ms.com.txt" testing 86400 "*.mail.protection.outlook.com"
policy "$R/mta-sts.mixed.com.txt" enforce 604800 "*.mail.protection.outlook.com" mx1.newmail.example
policy "$R/mta-sts.none.com.txt" none 86400
echo "https://mta-sts.mixed.com/.well-known/mta-sts.txt" >"$R/mta-sts.redirect.com.redirect"
: >"$R/mta-sts.big.com.big"
policy "$R/mta-sts.html.com.txt" enforce 604800 mx1.newmail.example
echo "text/html" >"$R/mta-sts.html.com.type"
policy "$R/mta-sts.dupkeys.com.txt" enforce 604800 "*.mail.protection.outlook.com"
printf 'mode: none\r\n' >>"$R/mta-sts.dupkeys.com.txt"

# Each case's zone at the old DNS host: mail already at the new provider, so that the policy is
# the only thing between the domain and "clear".
echo "; --- MTA-STS (test_mta_sts.sh) ---" >>"$WORK/zones/com.zone"
for c in "${CASES[@]}"; do
  d=$c.com
  {
    echo "\$ORIGIN $d."
    echo "\$TTL 3600"
    echo "@ IN SOA ns1.olddns.example. hostmaster.$d. 1 3600 600 86400 300"
    echo "@ IN NS ns1.olddns.example."
    echo "@ IN NS ns2.olddns.example."
    echo "@ IN MX 10 mx1.newmail.example."
    echo "@ IN TXT \"v=spf1 include:_spf.newmail.example -all\""
    echo "_mta-sts IN TXT \"v=STSv1; id=20240101T000000;\""
    [[ $c == noaddr ]] || echo "mta-sts IN A 127.0.0.1"
  } >"$WORK/zones/$d.zone"
  printf '%s. 172800 IN NS ns1.olddns.example.\n%s. 172800 IN NS ns2.olddns.example.\n' "$d" "$d" \
    >>"$WORK/zones/com.zone"
  ZONES_OLDDNS+=("$d")
  # The same policy beside the zone, for --zones.
  [[ -f $R/mta-sts.$d.txt ]] && cp "$R/mta-sts.$d.txt" "$WORK/zones/mta-sts.$d.txt"
done
start_hierarchy
start_unbound "$ADDR_UNBOUND"
AUTH=(--authoritative --root-hints "$WORK/zones/root.hints" --timeout 400 --tries 1)

# expect_cases SOURCE...: check of every case through SOURCE (live: HTTPS).
expect_cases() {
  note "check $1"
  assert_exit 1 "$OFFBOARD" check enforce-ms.com --format json "${CA[@]}" "$@"
  assert_contains "$OUT" '"id": "mta-sts-lists-m365"'
  assert_contains "$OUT" '"severity": "blocker"'
  assert_contains "$OUT" '"data": "id=20240101T000000; mode=enforce; max_age=604800; mx=*.mail.protection.outlook.com"'
  assert_contains "$OUT" "https://mta-sts.enforce-ms.com:$PORT/.well-known/mta-sts.txt (127.0.0.1)"
  assert_contains "$OUT" '"only_m365": true'
  assert_exit 1 "$OFFBOARD" check testing-ms.com --format json "${CA[@]}" "$@"
  assert_contains "$OUT" '"id": "mta-sts-lists-m365"'
  assert_contains "$OUT" "senders that cached it report any other MX"
  assert_exit 0 "$OFFBOARD" check mixed.com none.com --format json "${CA[@]}" "$@"
  assert_not_contains "$OUT" "mta-sts-lists-m365"
  assert_contains "$OUT" '"mode": "none"'
  local c
  for c in redirect big html dupkeys noaddr; do
    assert_exit 3 "$OFFBOARD" check "$c.com" --format json "${CA[@]}" "$@"
    assert_contains "$OUT" '"id": "lookup-failed"' "$c.com"
    assert_contains "$OUT" '"name": "_mta-sts.'"$c"'.com."' "$c.com"
    assert_not_contains "$OUT" '"verdict": "clear"' "$c.com"
  done
}
expect_cases --resolver "$ADDR_UNBOUND"
expect_cases "${AUTH[@]}"

note "what each refusal says"
assert_exit 3 "$OFFBOARD" check redirect.com --format json "${CA[@]}" "${AUTH[@]}"
assert_contains "$OUT" "redirect (HTTP 301 to https://mta-sts.mixed.com/.well-known/mta-sts.txt) refused"
start=$(date +%s%N)
assert_exit 3 "$OFFBOARD" check big.com --format json "${CA[@]}" "${AUTH[@]}"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "$OUT" "body larger than 65536 octets"
((elapsed_ms < 5000)) || fail "the 10 MiB body took ${elapsed_ms} ms to refuse"
assert_exit 3 "$OFFBOARD" check html.com --format json "${CA[@]}" "${AUTH[@]}"
assert_contains "$OUT" 'is not text/plain'
assert_exit 3 "$OFFBOARD" check dupkeys.com --format json "${CA[@]}" "${AUTH[@]}"
assert_contains "$OUT" '"data": "invalid-policy"'
assert_contains "$OUT" "mode given twice"
assert_exit 3 "$OFFBOARD" check noaddr.com --format json "${CA[@]}" "${AUTH[@]}"
assert_contains "$OUT" '"data": "no-address"'
# --fetch-timeout bounds each fetch: a policy host slower than it is a fetch that failed
# (indeterminate), never a domain without a policy. With the default (10 s) it is read.
echo 3000 >"$R/mta-sts.mixed.com.delay"
assert_exit 3 "$OFFBOARD" check mixed.com --format json "${CA[@]}" "${AUTH[@]}" --fetch-timeout 500
assert_contains "$OUT" '"data": "not-fetched"'
assert_contains "$OUT" "timed out"
assert_exit 0 "$OFFBOARD" check mixed.com --format json "${CA[@]}" "${AUTH[@]}"
rm "$R/mta-sts.mixed.com.delay"
assert_exit 2 "$OFFBOARD" check mixed.com --fetch-timeout 50 "${AUTH[@]}"
assert_contains "$ERR" "--fetch-timeout"

note "certificates"
OFFBOARD_MTA_STS_PORT=$(<"$HTTPS/expired.port") assert_exit 3 "$OFFBOARD" check enforce-ms.com --format json "${CA[@]}" "${AUTH[@]}"
assert_contains "$OUT" "expired"
assert_not_contains "$OUT" "mta-sts-lists-m365"
OFFBOARD_MTA_STS_PORT=$(<"$HTTPS/wrongname.port") assert_exit 3 "$OFFBOARD" check enforce-ms.com --format json "${CA[@]}" "${AUTH[@]}"
assert_contains "$OUT" "mta-sts.enforce-ms.com"
assert_contains "$OUT" '"data": "not-fetched"'
# The system's CAs do not know the test CA: never fetched, never clear.
assert_exit 3 env -u SSL_CERT_FILE "$OFFBOARD" check mixed.com --format json "${AUTH[@]}"
assert_contains "$OUT" "certificate"
SSL_CERT_FILE=$HTTPS/ca.pem assert_exit 0 "$OFFBOARD" check mixed.com --format json "${AUTH[@]}"
assert_exit 2 "$OFFBOARD" check mixed.com --ca-file "$WORK/no-such.pem" "${AUTH[@]}"
assert_contains "$ERR" "--ca-file"
OFFBOARD_MTA_STS_PORT=99999 assert_exit 2 "$OFFBOARD" check mixed.com "${AUTH[@]}"
assert_contains "$ERR" "OFFBOARD_MTA_STS_PORT"

note "--zones: the policy beside the zone"
assert_exit 1 "$OFFBOARD" check enforce-ms.com --zones "$WORK/zones" --format json
assert_contains "$OUT" '"id": "mta-sts-lists-m365"'
assert_contains "$OUT" "\"source\": \"$WORK/zones/mta-sts.enforce-ms.com.txt\""
assert_exit 0 "$OFFBOARD" check mixed.com --zones "$WORK/zones"
assert_exit 3 "$OFFBOARD" check noaddr.com --zones "$WORK/zones" --format json
assert_contains "$OUT" "no such file"

# --- plan and gate through the change ------------------------------------------------------------
note "plan and gate"
cat >"$WORK/tenant.json" <<'EOF'
{
  "tenant": "mtasts.onmicrosoft.com",
  "subscriptions": [ { "name": "Microsoft 365 Business Basic", "kind": "business", "assigned_licenses": 3, "cancel": true } ],
  "domains": [ "enforce-ms.com" ],
  "new_mail": { "mx": [ { "host": "mx1.newmail.example", "preference": 10 } ], "spf_include": "_spf.newmail.example" },
  "new_dns": { "nameservers": [ "ns1.newdns.example", "ns2.newdns.example" ] }
}
EOF
# Mail still at Microsoft 365 when the plan starts.
sed -i 's/^@ IN MX 10 mx1.newmail.example./@ IN MX 0 enforce-ms-com.mail.protection.outlook.com./' \
  "$WORK/zones/enforce-ms.com.zone"
restart_server olddns
ST=(--state "$WORK/gate.db" "${CA[@]}" "${AUTH[@]}")
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/tenant.json" "${ST[@]}" --now 2026-12-01T10:00:00Z --format json
assert_contains "$OUT" '"id": "update-mta-sts:enforce-ms.com"'
assert_contains "$(jq -c '.steps[] | select(.id == "update-mx:enforce-ms.com") | .after' <<<"$OUT")" \
  '"update-mta-sts:enforce-ms.com"'
pos() { jq -r --arg id "$2" '[.steps[].id] | index($id)' <<<"$1"; }
(($(pos "$OUT" update-mta-sts:enforce-ms.com) < $(pos "$OUT" update-mx:enforce-ms.com))) ||
  fail "update-mta-sts is not before update-mx"
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/tenant.json" "${ST[@]}" --now 2026-12-01T10:05:00Z --lang en --verbose
assert_contains "$OUT" "serve at https://mta-sts.enforce-ms.com/.well-known/mta-sts.txt"

# The policy lists the new MX, under a new id.
policy "$R/mta-sts.enforce-ms.com.txt" enforce 86400 mx1.newmail.example
sed -i 's/id=20240101T000000;/id=20261202T000000;/' "$WORK/zones/enforce-ms.com.zone"
restart_server olddns
assert_exit 1 "$OFFBOARD" gate --tenant "$WORK/tenant.json" "${ST[@]}" --now 2026-12-02T10:00:00Z --format json
assert_contains "$OUT" '"ready": false'
assert_not_contains "$OUT" '"id": "update-mta-sts:enforce-ms.com"'
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/tenant.json" "${ST[@]}" --now 2026-12-02T10:05:00Z --format json
assert_eq '"2026-12-09T10:00:00Z"' "$(jq -c '.steps[] | select(.id == "update-mx:enforce-ms.com") | .not_before' <<<"$OUT")" \
  "update-mx waits the old max_age from the new policy's first sighting"
assert_eq '"done"' "$(jq -c '.steps[] | select(.id == "update-mta-sts:enforce-ms.com") | .status' <<<"$OUT")" "update-mta-sts"

# The MX moved at once: the gate still waits a week from the policy change.
sed -i 's/^@ IN MX 0 enforce-ms-com.mail.protection.outlook.com./@ IN MX 10 mx1.newmail.example./' \
  "$WORK/zones/enforce-ms.com.zone"
restart_server olddns
assert_exit 1 "$OFFBOARD" gate --tenant "$WORK/tenant.json" "${ST[@]}" --now 2026-12-03T10:00:00Z --format json
assert_contains "$OUT" '"id": "wait-propagation:enforce-ms.com"'
# A clock set back cannot make the wait shorter.
assert_exit 1 "$OFFBOARD" gate --tenant "$WORK/tenant.json" "${ST[@]}" --now 2026-11-20T10:00:00Z --format json
assert_contains "$OUT" '"id": "wait-propagation:enforce-ms.com"'
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/tenant.json" "${ST[@]}" --now 2026-12-09T09:00:00Z --format json
assert_eq '"open"' "$(jq -c '.steps[] | select(.id == "wait-propagation:enforce-ms.com") | .status' <<<"$OUT")" \
  "an hour before the old max_age has passed"

exit 0
