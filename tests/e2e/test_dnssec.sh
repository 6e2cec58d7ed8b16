#!/usr/bin/env bash
# DNSSEC at the NS switch, end to end (SPEC §3 dnssec-ds-mismatch, §4 switch-ns): the real
# binary against NSD on loopback serving zones this test signs itself (ldns-keygen, ldns-signzone),
# with DS records in the com. zone for each case:
#   match   the DS is of the key the new DNS host signs with            -> clear
#   stale   the DS is of another key (left from an old host, or early)  -> dnssec-ds-mismatch
#   gost    a DS of digest type 3, which offboard cannot compute        -> indeterminate
#   none    no DS at the parent                                          -> clear
# "post-*" domains are already delegated to the new host (ns1/ns2.newdns.example): `check` in
# --authoritative mode (the parent's DS from com.'s server, the DNSKEY from the servers the
# delegation names), through Unbound (both asked recursively), and with --zones (the com. zone
# file's DS against the domain's own zone file) says the same for each case, and the gate
# lists switch-ns:post-stale.com as blocked. "pre-*" domains are still delegated to Microsoft,
# which serves an unsigned copy (and, for pre-oldkey.com, a copy signed with the very key the
# DS names): the plan reads the DNSKEY at the tenant's new_dns nameservers, so a key that only
# Microsoft's servers serve never satisfies the DS, and switch-ns says what to do before the
# switch. A new host that does not answer, and a recursive resolver that cannot ask it, leave
# switch-ns without evidence: never done, never clear.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init dnssec

for tool in ldns-keygen ldns-signzone; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    [[ "${CI:-}" == true ]] && fail "$tool is not installed (ldnsutils, scripts/deps.sh)"
    echo "SKIP [dnssec]: $tool is not installed (ldnsutils)" >&2
    exit 77
  fi
done
e2e_require_servers

KEYS=$WORK/keys
MS=$WORK/microsoft
mkdir -p "$KEYS" "$MS"
MS_NS=(ns1.bdm.microsoftonline.com ns2.bdm.microsoftonline.com)
NEW_NS=(ns1.newdns.example ns2.newdns.example)

# newkey DOMAIN: a new ECDSA P-256 key for DOMAIN; prints its file name (without .key).
newkey() { (cd "$KEYS" && ldns-keygen -a ECDSAP256SHA256 -k "$1"); }
# ds_of KEY: the DS RDATA of KEY ("TAG 13 2 HEX"), as ldns-keygen wrote it.
ds_of() { awk '{ print $4, $5, $6, $7 }' "$KEYS/$1.ds"; }
# write_zone FILE DOMAIN NS...: a small zone at those nameservers.
write_zone() {
  local file=$1 d=$2 ns
  shift 2
  {
    echo "\$ORIGIN $d."
    echo "\$TTL 3600"
    echo "@ IN SOA $1. hostmaster.$d. 1 3600 600 86400 300"
    for ns in "$@"; do echo "@ IN NS $ns."; done
    echo "@ IN MX 10 mx1.newmail.example."
    echo "@ IN TXT \"v=spf1 include:_spf.newmail.example -all\""
    echo "www IN A 192.0.2.80"
  } >"$file"
}
# sign FILE KEY: FILE signed in place (NSEC).
sign() { ldns-signzone -f "$1.signed" "$1" "$KEYS/$2" && mv "$1.signed" "$1"; }
# delegate DOMAIN NS...: the com. zone delegates DOMAIN to NS (172800 s, as registrars do).
delegate() {
  local d=$1 ns
  shift
  for ns in "$@"; do echo "$d. 172800 IN NS $ns." >>"$WORK/zones/com.zone"; done
}
# publish_ds DOMAIN RDATA: a DS record for DOMAIN in the com. zone.
publish_ds() { echo "$1. 86400 IN DS $2" >>"$WORK/zones/com.zone"; }

note "keys and zones"
echo "; --- DNSSEC at the switch (test_dnssec.sh) ---" >>"$WORK/zones/com.zone"
declare -A GOOD
for kind in match stale gost none oldkey; do
  for when in pre post; do
    d=$when-$kind.com
    [[ $when == post && $kind == oldkey ]] && continue
    GOOD[$d]=$(newkey "$d")
    # The new host's zone, signed with the domain's key ("none" stays unsigned).
    write_zone "$WORK/zones/$d.zone" "$d" "${NEW_NS[@]}"
    [[ $kind == none ]] || sign "$WORK/zones/$d.zone" "${GOOD[$d]}"
    if [[ $when == pre ]]; then
      delegate "$d" "${MS_NS[@]}"
      write_zone "$MS/$d.zone" "$d" "${MS_NS[@]}"
    else
      delegate "$d" "${NEW_NS[@]}"
    fi
    case $kind in
      match) publish_ds "$d" "$(ds_of "${GOOD[$d]}")" ;;
      stale) publish_ds "$d" "$(ds_of "$(newkey "$d")")" ;;
      gost) publish_ds "$d" "$(awk '{ print $4, $5 }' "$KEYS/${GOOD[$d]}.ds") 3 $(printf '%064d' 7)" ;;
      oldkey)
        # Microsoft's copy signed with a key of its own, and the parent's DS is of that key.
        old=$(newkey "$d")
        sign "$MS/$d.zone" "$old"
        publish_ds "$d" "$(ds_of "$old")"
        ;;
    esac
  done
done
# ns9.newdns.example: a name of the new host whose address never answers (the blackhole).
echo "ns9 IN A $ADDR_DEAD" >>"$WORK/zones/newdns.example.zone"

ZONES_MICROSOFT=(microsoftonline.com "$MS"/pre-{match,stale,gost,none,oldkey}.com.zone)
ZONES_NEWDNS=(newdns.example newmail.example pre-{match,stale,gost,none,oldkey}.com post-{match,stale,gost,none}.com)
start_nsd root "$ADDR_ROOT" -- "${ZONES_ROOT[@]}"
start_nsd tld "$ADDR_TLD" -- "${ZONES_TLD[@]}"
start_nsd microsoft "${ADDR_MICROSOFT[@]}" -- "${ZONES_MICROSOFT[@]}"
start_nsd newdns "${ADDR_NEWDNS[@]}" -- "${ZONES_NEWDNS[@]}"
start_blackhole "$ADDR_DEAD" dead
start_unbound "$ADDR_UNBOUND"

AUTH=(--authoritative --root-hints "$WORK/zones/root.hints" --timeout 400 --tries 1)

# The world is what the cases say: com. publishes the DS, the servers the keys.
assert_contains "$(dig_at "$ADDR_TLD" +short DS post-stale.com.)" " 13 2 " "com.'s DS for post-stale.com"
assert_eq "" "$(dig_at "$ADDR_TLD" +short DS post-none.com.)" "com.'s DS for post-none.com"
assert_contains "$(dig_at "${ADDR_MICROSOFT[0]}" +short DNSKEY pre-oldkey.com.)" "257 3 13 " \
  "Microsoft's DNSKEY for pre-oldkey.com"
assert_eq "" "$(dig_at "${ADDR_MICROSOFT[0]}" +short DNSKEY pre-match.com.)" "Microsoft's DNSKEY for pre-match.com"

# expect_cases SOURCE...: `check` of the four post-* cases through SOURCE.
expect_cases() {
  note "check ${1}"
  assert_exit 0 "$OFFBOARD" check post-match.com --format json "$@"
  assert_not_contains "$OUT" "dnssec-ds-mismatch"
  assert_not_contains "$OUT" '"id": "lookup-failed"'
  assert_contains "$OUT" '"type": "DS"' "post-match.com's records"

  assert_exit 1 "$OFFBOARD" check post-stale.com --format json "$@"
  assert_contains "$OUT" '"id": "dnssec-ds-mismatch"'
  assert_contains "$OUT" '"severity": "blocker"'
  assert_contains "$OUT" "as bogus now"
  assert_contains "$OUT" "key tags $(awk '{ print $4 }' "$KEYS/${GOOD[post-stale.com]}.ds") (algorithm 13, flags 257)"

  assert_exit 3 "$OFFBOARD" check post-gost.com --format json "$@"
  assert_contains "$OUT" '"data": "not-compared"'
  assert_contains "$OUT" "(digest type 3)"
  assert_contains "$OUT" '"verdict": "indeterminate"'
  assert_not_contains "$OUT" '"verdict": "clear"'

  assert_exit 0 "$OFFBOARD" check post-none.com --format json "$@"
  assert_not_contains "$OUT" '"type": "DS"'
  assert_not_contains "$OUT" "dnssec-ds-mismatch"
}

expect_cases "${AUTH[@]}"
# Every server the delegation names is asked, and named (one finding per DS record).
assert_exit 1 "$OFFBOARD" check post-stale.com --format json "${AUTH[@]}"
assert_contains "$OUT" "\"server\": \"${ADDR_NEWDNS[0]}:53 (ns1.newdns.example.), ${ADDR_NEWDNS[1]}:53 (ns2.newdns.example.)\""
assert_eq 1 "$(grep -c '"id": "dnssec-ds-mismatch"' <<<"$OUT")" "dnssec-ds-mismatch findings for one stale DS"
expect_cases --resolver "$ADDR_UNBOUND"
expect_cases --zones "$WORK/zones"
assert_exit 1 "$OFFBOARD" check post-stale.com --zones "$WORK/zones"
assert_contains "$OUT" "zones:$WORK/zones/post-stale.com.zone"
# In words: the kind's explanation, in either language.
assert_exit 1 "$OFFBOARD" check post-stale.com "${AUTH[@]}" --lang en
assert_contains "$OUT" "blocker       dnssec-ds-mismatch"

# --- plan and gate, before the switch: the DNSKEY is read at the tenant's new_dns -----------------
note "plan before the switch"
cat >"$WORK/pre.json" <<'EOF'
{
  "tenant": "dnssec-pre.onmicrosoft.com",
  "subscriptions": [ { "name": "Microsoft 365 Business Basic", "kind": "business", "assigned_licenses": 3, "cancel": true } ],
  "domains": [ "pre-match.com", "pre-stale.com", "pre-gost.com", "pre-none.com", "pre-oldkey.com" ],
  "new_mail": { "mx": [ { "host": "mx1.newmail.example", "preference": 10 } ], "spf_include": "_spf.newmail.example" },
  "new_dns": { "nameservers": [ "ns1.newdns.example", "ns2.newdns.example" ] }
}
EOF
# step_state JSON STEP: the "state" of STEP in plan JSON.
step_state() {
  awk -v id="\"id\": \"$2\"," '
    index($0, id) { f = 1 }
    f && /^      "status": / { status = $0 }
    f && /^      "state": / { print status; print; exit }' <<<"$1"
}
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/pre.json" --state "$WORK/pre.db" --format json "${AUTH[@]}"
PLAN=$OUT
assert_contains "$(step_state "$PLAN" switch-ns:pre-stale.com)" "blocked by DNSSEC: the parent publishes pre-stale.com. 86400 IN DS"
assert_contains "$(step_state "$PLAN" switch-ns:pre-stale.com)" "Before switching NS, remove this DS record at the registrar and wait its TTL (24h)"
assert_contains "$(step_state "$PLAN" switch-ns:pre-stale.com)" "(${ADDR_NEWDNS[0]}:53 (ns1.newdns.example.)"
# The key Microsoft's servers serve matches the DS; the new host's does not: blocked all the same.
assert_contains "$(step_state "$PLAN" switch-ns:pre-oldkey.com)" "blocked by DNSSEC"
assert_contains "$(step_state "$PLAN" switch-ns:pre-gost.com)" '"status": "open"'
assert_contains "$(step_state "$PLAN" switch-ns:pre-gost.com)" "no evidence: whether the parent's DS records match a DNSKEY served by the new DNS host"
assert_contains "$(step_state "$PLAN" switch-ns:pre-match.com)" "the parent (registrar) still delegates to Microsoft"
assert_contains "$(step_state "$PLAN" switch-ns:pre-none.com)" "the parent (registrar) still delegates to Microsoft"
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/pre.json" --state "$WORK/pre.db" "${AUTH[@]}" --lang en --verbose
assert_contains "$OUT" "and any DS record the parent publishes matches a DNSKEY the new DNS host serves"

# A recursive resolver cannot ask the new host's servers: not checked, said so, never done.
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/pre.json" --state "$WORK/pre-rec.db" --format json --resolver "$ADDR_UNBOUND"
assert_contains "$(step_state "$OUT" switch-ns:pre-match.com)" "a recursive resolver answers from the servers the name is delegated to now"
assert_contains "$(step_state "$OUT" switch-ns:pre-oldkey.com)" "no evidence: whether the parent's DS records match"

# A new host that never answers: the DNSKEY lookup fails, which never clears the DS.
sed 's/"ns1.newdns.example", "ns2.newdns.example"/"ns9.newdns.example"/' "$WORK/pre.json" >"$WORK/pre-dead.json"
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/pre-dead.json" --state "$WORK/pre-dead.db" --format json "${AUTH[@]}"
assert_contains "$(step_state "$OUT" switch-ns:pre-match.com)" "DNSKEY lookup for pre-match.com. failed"
assert_contains "$(step_state "$OUT" switch-ns:pre-match.com)" "$ADDR_DEAD:53 (ns9.newdns.example.)"
assert_contains "$(step_state "$OUT" switch-ns:pre-none.com)" "the parent (registrar) still delegates to Microsoft"

# --- after the switch: the gate ---------------------------------------------------------------------
note "gate after the switch"
sed -e 's/dnssec-pre/dnssec-post/' -e 's/"pre-match.com", "pre-stale.com", "pre-gost.com", "pre-none.com", "pre-oldkey.com"/"post-match.com", "post-stale.com", "post-gost.com", "post-none.com"/' \
  "$WORK/pre.json" >"$WORK/post.json"
assert_exit 1 "$OFFBOARD" gate --tenant "$WORK/post.json" --state "$WORK/post.db" --format json "${AUTH[@]}"
GATE=$OUT
assert_contains "$GATE" '"verdict": "blocked"'
assert_contains "$GATE" '"id": "switch-ns:post-stale.com"'
assert_contains "$GATE" '"id": "switch-ns:post-gost.com"'
assert_not_contains "$GATE" "switch-ns:post-match.com"
assert_not_contains "$GATE" "switch-ns:post-none.com"
assert_exit 1 "$OFFBOARD" plan --tenant "$WORK/post.json" --state "$WORK/post.db" --format json "${AUTH[@]}"
assert_contains "$(step_state "$OUT" switch-ns:post-stale.com)" '"status": "open"'
assert_contains "$(step_state "$OUT" switch-ns:post-stale.com)" "validating resolvers treat the domain as bogus now"
assert_contains "$(step_state "$OUT" switch-ns:post-gost.com)" '"status": "indeterminate"'

exit 0
