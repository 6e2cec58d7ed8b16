#!/usr/bin/env bash
# `plan --format zone`, end to end: the zone file it writes for the demo tenant's
# Microsoft-hosted domain (contoso.com in fixtures/tenants/demo.json, read from the fixture zones
# with --zones) is what a new DNS host can import and serve:
#   - the output splits on its "; zone DOMAIN" lines into one file per zone (one here; two for
#     two Microsoft-hosted domains), and each passes nsd-checkzone and ldns-read-zone, the
#     placeholder form (no new DNS host named) included;
#   - loaded into a real NSD (on this test's own loopback address 127.N.0.40, port 53, like
#     every server of lib.sh), it answers authoritatively with the new host's SOA and NS, the
#     new MX, the SPF without Microsoft's include, and the customer's own records found in the
#     original zone (apex A, www CNAME, _dmarc TXT), and has none of Microsoft 365's records
#     (autodiscover, DKIM selectors, MS= verification, Microsoft's MX).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init zone_export
cd "$SRC"
e2e_require_servers
for tool in nsd-checkzone ldns-read-zone; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    if [[ "${CI:-}" == true ]]; then fail "$tool is not installed (scripts/deps.sh)"; fi
    echo "SKIP [$E2E_NAME]: $tool is not installed (scripts/deps.sh)" >&2
    exit 77
  fi
done

NOW=2026-12-15T10:00:00Z
ZONES=(--zones fixtures/zones)

# split_zones TEXT DIR: writes each zone of plan --format zone output TEXT to DIR/NAME.zone, as
# the help says (a new file at each "; zone NAME" line); prints the names, one a line.
split_zones() {
  mkdir -p "$2"
  awk -v dir="$2" '/^; zone / { f = dir "/" $3 ".zone"; print $3 } f { print > f }' <<<"$1" >"$2/.names"
  cat "$2/.names"
}

# check_zone NAME FILE: nsd-checkzone and ldns-read-zone accept FILE as zone NAME.
check_zone() {
  nsd-checkzone "$1" "$2" >"$WORK/checkzone.out" 2>&1 ||
    { sed 's/^/    | /' "$WORK/checkzone.out" "$2" >&2; fail "nsd-checkzone refuses $2"; }
  E2E_CHECKS=$((E2E_CHECKS + 1))
  ldns-read-zone "$2" >"$WORK/$1.canonical" 2>"$WORK/read-zone.err" ||
    { sed 's/^/    | /' "$WORK/read-zone.err" >&2; fail "ldns-read-zone refuses $2"; }
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# --- the demo tenant ---------------------------------------------------------------------------
note "plan --format zone for the demo tenant"
assert_exit 1 "$OFFBOARD" plan --tenant fixtures/tenants/demo.json "${ZONES[@]}" --state "$WORK/demo.db" \
  --format zone --now "$NOW"
EXPORT=$OUT
assert_eq contoso.com "$(split_zones "$EXPORT" "$WORK/demo")" "zones written for the demo tenant"
FILE=$WORK/demo/contoso.com.zone
check_zone contoso.com "$FILE"
CANON=$(<"$WORK/contoso.com.canonical")
for rr in $'contoso.com.\t3600\tIN\tMX\t10 mx1.newmail.example.' \
  $'contoso.com.\t3600\tIN\tMX\t20 mx2.newmail.example.' \
  $'contoso.com.\t3600\tIN\tTXT\t"v=spf1 include:_spf.newmail.example -all"' \
  $'contoso.com.\t3600\tIN\tNS\tns1.newdns.example.' \
  $'contoso.com.\t3600\tIN\tA\t203.0.113.10' \
  $'www.contoso.com.\t3600\tIN\tCNAME\tcontoso.com.'; do
  assert_contains "$CANON" "$rr" "ldns-read-zone of the exported zone"
done
for gone in outlook.com onmicrosoft.com lync.com MS=ms microsoftonline.com manage.microsoft.com windows.net; do
  assert_not_contains "$CANON" "$gone" "the exported zone (Microsoft 365's records stay behind)"
done
# The plan's other formats are unchanged by the new one: JSON still parses and lists the step.
assert_exit 1 "$OFFBOARD" plan --tenant fixtures/tenants/demo.json "${ZONES[@]}" --state "$WORK/demo-json.db" \
  --format json --now "$NOW"
assert_contains "$OUT" '"id": "prepare-new-dns-host:contoso.com"'
assert_contains "$("$OFFBOARD" plan --help)" "zone"

# --- two Microsoft-hosted domains, and no new DNS host named --------------------------------------
note "two Microsoft-hosted zones in one output; placeholders when no new DNS host is named"
assert_exit 1 "$OFFBOARD" plan contoso.com lucernepublishing.com "${ZONES[@]}" --state "$WORK/two.db" \
  --new-ns ns1.newdns.example --new-ns ns2.newdns.example --new-mx mx1.newmail.example:10 --format zone --now "$NOW"
assert_eq $'contoso.com\nlucernepublishing.com' "$(split_zones "$OUT" "$WORK/two")" "zones written for two domains"
check_zone contoso.com "$WORK/two/contoso.com.zone"
check_zone lucernepublishing.com "$WORK/two/lucernepublishing.com.zone"
assert_contains "$(<"$WORK/lucernepublishing.com.canonical")" "site-verification-24="
assert_exit 1 "$OFFBOARD" plan contoso.com "${ZONES[@]}" --state "$WORK/placeholder.db" --format zone --now "$NOW"
assert_contains "$OUT" "; PLACEHOLDER: "
assert_contains "$OUT" "; TO DO: create: contoso.com. "
split_zones "$OUT" "$WORK/placeholder" >/dev/null
check_zone contoso.com "$WORK/placeholder/contoso.com.zone"
assert_contains "$(<"$WORK/contoso.com.canonical")" $'contoso.com.\t3600\tIN\tNS\tns1.new-dns-host.invalid.'

# --- served by NSD ----------------------------------------------------------------------------
ADDR=$(net_addr 40)  # an address of this test's slice that no fixture role uses
note "the exported zone served by NSD on $ADDR"
start_nsd newhost "$ADDR" -- "$FILE"

# answer TYPE NAME: the sorted short answer of the new host for NAME TYPE; requires an
# authoritative NOERROR.
answer() {
  local full
  full=$(dig_at "$ADDR" "$2" "$1")
  [[ $full == *"status: NOERROR"* && $full == *" aa"* ]] ||
    { printf '%s\n' "$full" | sed 's/^/    | /' >&2; fail "$2 $1: not an authoritative NOERROR"; }
  dig_at "$ADDR" +short "$2" "$1" | sort
}
assert_eq "ns1.newdns.example. hostmaster.contoso.com. 2026121501 3600 900 1209600 3600" \
  "$(answer SOA contoso.com)" "SOA"
assert_eq $'ns1.newdns.example.\nns2.newdns.example.' "$(answer NS contoso.com)" "NS"
assert_eq $'10 mx1.newmail.example.\n20 mx2.newmail.example.' "$(answer MX contoso.com)" "MX"
assert_eq '"v=spf1 include:_spf.newmail.example -all"' "$(answer TXT contoso.com)" "TXT (SPF only: no MS= record)"
assert_eq 203.0.113.10 "$(answer A contoso.com)" "apex A"
assert_eq contoso.com. "$(answer CNAME www.contoso.com)" "www CNAME"
assert_eq '"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@contoso.com"' "$(answer TXT _dmarc.contoso.com)" \
  "_dmarc TXT"
for name in autodiscover.contoso.com selector1._domainkey.contoso.com sip.contoso.com \
  enterpriseenrollment.contoso.com; do
  out=$(dig_at "$ADDR" "$name" CNAME)
  assert_contains "$out" "status: NXDOMAIN" "$name at the new host (a Microsoft 365 record)"
done
