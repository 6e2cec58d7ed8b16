#!/usr/bin/env bash
# Chains offboard follows before deciding, end to end: the real binary against this test's copy
# of the fixture Internet, with chain records added to the copies of wingtiptoys.com (served by
# "newdns") and olddns.example (served by "olddns"), so that every chain crosses servers. Each
# chain is a subdomain of wingtiptoys.com checked on its own (judged by wingtiptoys.com's
# delegation), and each is checked three ways: through Unbound (--resolver), iterating from the
# root (--authoritative), and offline from the same zone directory (--zones):
#   - spfchain: SPF include -> include -> include:spf.protection.outlook.com (spf-includes-m365);
#   - redirect: SPF redirect= to a record including Microsoft (spf-includes-m365);
#   - probe: autodiscover CNAME one hop, selector1._domainkey two hops before Microsoft
#     (autodiscover-at-m365, dkim-at-m365 on the probe names);
#   - alias: the name itself a CNAME to a Microsoft 365 mail host (mx-at-m365, CNAME shown);
#   - limit: the 11th DNS-querying SPF term would be Microsoft's (lookup-failed, indeterminate);
#   - slow: an SPF chain through a dead server (lookup-failed, indeterminate);
#   - wingtiptoys.com and litwareinc.com (include of a provider, of a look-alike): still clear.
# The fixture zones themselves are not changed (the other tests' goldens depend on them).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init chains_e2e
if ! command -v python3 >/dev/null; then
  [[ "${CI:-}" == true ]] && fail "python3 is not installed (scripts/deps.sh)"
  echo "SKIP [$E2E_NAME]: python3 is not installed" >&2
  exit 77
fi

cat >>"$WORK/zones/wingtiptoys.com.zone" <<'EOF'
; chains (tests/e2e/test_chains.sh)
spfchain            IN TXT  "v=spf1 ip4:192.0.2.1 include:_spf.spfchain.wingtiptoys.com -all"
_spf.spfchain       IN TXT  "v=spf1 include:_spf.chains.olddns.example ~all"
redirect            IN TXT  "v=spf1 redirect=_spf.chains.olddns.example"
autodiscover.probe  IN CNAME ad.chains.olddns.example.
selector1._domainkey.probe IN CNAME dk.chains.olddns.example.
dk2                 IN CNAME selector1-wingtiptoys-com._domainkey.wingtiptoys.onmicrosoft.com.
alias               IN CNAME alias-wingtiptoys-com.mail.protection.outlook.com.
limit               IN TXT  "v=spf1 a mx ptr exists:x.wingtiptoys.com a mx ptr a mx include:_spf.chains.olddns.example -all"
slow                IN TXT  "v=spf1 include:_spf.slow.wingtiptoys.com -all"
_spf.slow           IN TXT  "v=spf1 include:_spf.wideworldimporters.com -all"
EOF
cat >>"$WORK/zones/olddns.example.zone" <<'EOF'
; chains (tests/e2e/test_chains.sh)
_spf.chains         IN TXT  "v=spf1 ip4:192.0.2.2 include:spf.protection.outlook.com -all"
ad.chains           IN CNAME autodiscover.outlook.com.
dk.chains           IN CNAME dk2.wingtiptoys.com.
EOF

FOUND=(spfchain.wingtiptoys.com redirect.wingtiptoys.com probe.wingtiptoys.com alias.wingtiptoys.com)

# expect JSON DOMAIN VERDICT [ID NAME TYPE TEXT]...: DOMAIN's verdict in JSON, and for each
# quadruple a finding with that id, name and type whose data or message contains TEXT.
expect_py=$(cat <<'EOF'
import json, sys
doc = json.load(sys.stdin)
domain, verdict, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
d = [x for x in doc["domains"] if x["domain"] == domain]
if not d: sys.exit(f"no report for {domain}")
d = d[0]
if d["verdict"] != verdict: sys.exit(f"{domain}: verdict {d['verdict']}, expected {verdict}")
for i in range(0, len(rest), 4):
    fid, name, typ, text = rest[i:i + 4]
    if not any(f["id"] == fid and f["name"] == name and f["type"] == typ and
               (text in f["data"] or text in f["message"]) for f in d["findings"]):
        sys.exit(f"{domain}: no {fid} on {name} {typ} with [{text}]")
EOF
)
expect() {
  local json=$1
  shift
  if ! python3 -c "$expect_py" "$@" <<<"$json" >&2; then
    printf '%s\n' "$json" | sed 's/^/    | /' >&2
    fail "expect $*"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# chains_in MODE ARGS...: every chain found (and the clear ones still clear) through MODE.
chains_in() {
  local mode=$1
  shift
  note "$mode"
  assert_exit 1 "$OFFBOARD" check "${FOUND[@]}" "$@" --format json
  local j=$OUT
  expect "$j" spfchain.wingtiptoys.com points-at-m365 \
    spf-includes-m365 spfchain.wingtiptoys.com. TXT \
    "through include:_spf.spfchain.wingtiptoys.com -> include:_spf.chains.olddns.example -> include:spf.protection.outlook.com)"
  expect "$j" redirect.wingtiptoys.com points-at-m365 \
    spf-includes-m365 redirect.wingtiptoys.com. TXT \
    "through redirect=_spf.chains.olddns.example -> include:spf.protection.outlook.com)"
  expect "$j" probe.wingtiptoys.com points-at-m365 \
    autodiscover-at-m365 autodiscover.probe.wingtiptoys.com. CNAME \
    "ad.chains.olddns.example. -> autodiscover.outlook.com." \
    dkim-at-m365 selector1._domainkey.probe.wingtiptoys.com. CNAME \
    "selector1._domainkey.probe.wingtiptoys.com. -> dk.chains.olddns.example. -> dk2.wingtiptoys.com. -> selector1-wingtiptoys-com._domainkey.wingtiptoys.onmicrosoft.com."
  expect "$j" alias.wingtiptoys.com points-at-m365 \
    mx-at-m365 alias.wingtiptoys.com. MX "CNAME alias-wingtiptoys-com.mail.protection.outlook.com."
  # The hops are evidence in the records.
  assert_contains "$j" '"name": "_spf.chains.olddns.example."' "$mode records"
  assert_contains "$j" '"name": "dk.chains.olddns.example."' "$mode records"
  assert_not_contains "$j" '"id": "domain-nxdomain"' "$mode"
  assert_not_contains "$j" '"id": "lookup-failed"' "$mode"

  assert_exit 3 "$OFFBOARD" check limit.wingtiptoys.com "$@" --format json
  expect "$OUT" limit.wingtiptoys.com indeterminate \
    lookup-failed limit.wingtiptoys.com. TXT "more than 10 DNS-querying terms"
  assert_not_contains "$OUT" "spf-includes-m365" "$mode limit"

  assert_exit 3 "$OFFBOARD" check slow.wingtiptoys.com "$@" --format json
  expect "$OUT" slow.wingtiptoys.com indeterminate \
    lookup-failed slow.wingtiptoys.com. TXT "TXT lookup for _spf.wideworldimporters.com."

  assert_exit 0 "$OFFBOARD" check wingtiptoys.com litwareinc.com "$@" --format json
  expect "$OUT" wingtiptoys.com clear
  expect "$OUT" litwareinc.com clear
}

# Offline first: the same zone directory the servers load.
chains_in "--zones" --zones "$WORK/zones"

start_hierarchy
start_unbound "$ADDR_UNBOUND"
# Each chain resolves as written (the servers serve the edited copies).
assert_contains "$(dig_rec +short TXT _spf.chains.olddns.example)" "spf.protection.outlook.com"
assert_contains "$(dig_rec +short CNAME alias.wingtiptoys.com)" "mail.protection.outlook.com."

chains_in "--resolver" --resolver "$ADDR_UNBOUND" --timeout 3000 --tries 1
chains_in "--authoritative" --authoritative --root-hints "$WORK/zones/root.hints" --timeout 400 --tries 1

exit 0
