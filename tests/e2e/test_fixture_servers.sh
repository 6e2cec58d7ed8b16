#!/usr/bin/env bash
# The fixture DNS world works: every zone file is valid for both NSD and ldns, the
# authoritative servers serve it on loopback, and a recursive Unbound that only knows the
# fixture root hints finds every fixture domain through the delegations. Needs no offboard
# binary: everything is checked with nsd-checkzone, ldns-read-zone and dig.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init fixture_servers

# --- 1. the zone files themselves (no servers needed) ---------------------------------
note "zone files"
zone_count=0
for f in "$SRC"/fixtures/zones/*.zone; do
  base=${f##*/}
  name=${base%.zone}
  [[ $name == root ]] && name=.
  origin=${name%.}.
  [[ $name == . ]] && origin=.

  # Starts with $ORIGIN (agreeing with the file name) and $TTL, comments aside.
  directives=()
  while IFS= read -r line && ((${#directives[@]} < 2)); do
    [[ $line =~ ^[[:space:]]*(;|$) ]] && continue
    directives+=("$line")
  done <"$f"
  assert_eq "\$ORIGIN $origin" "${directives[0]:-}" "$base: first directive"
  assert_contains "${directives[1]:-}" "\$TTL " "$base: second directive"

  out=$(nsd-checkzone "$name" "$f" 2>&1) || fail "nsd-checkzone rejects $base: $out"
  # ldns prints the zone SOA first: it must be at the apex.
  out=$(ldns-read-zone "$f" 2>"$WORK/ldns.err") || fail "ldns-read-zone rejects $base: $(<"$WORK/ldns.err")"
  IFS=$'\t' read -r owner _ _ type _ <<<"$out"
  assert_eq "$origin SOA" "$owner $type" "$base: SOA at the apex"
  E2E_CHECKS=$((E2E_CHECKS + 2))
  zone_count=$((zone_count + 1))
done
((zone_count >= 20)) || fail "only $zone_count zone files in fixtures/zones"

hints=$(ldns-read-zone "$SRC/fixtures/zones/root.hints" 2>&1) || fail "root.hints: $hints"
assert_contains "$hints" "127.77.0.1" "root.hints"

# Every address in 127.0.0.0/8 that the fixtures mention is in 127.77.0.0/16, so that the
# per-test rewrite moves all of them.
stray=$(sed 's/;.*//' "$SRC"/fixtures/zones/*.zone "$SRC"/fixtures/zones/root.hints |
  grep -o -E '\b127\.[0-9]+\.[0-9]+\.[0-9]+\b' | grep -v '^127\.77\.' || true)
assert_eq "" "$stray" "loopback addresses outside 127.77.0.0/16"

# --- 2. the servers -------------------------------------------------------------------
start_hierarchy
start_unbound "$ADDR_UNBOUND"
note "servers up: ${E2E_ORDER[*]}"

# The root server refers com. to the TLD server, with glue.
out=$(dig_at "$ADDR_ROOT" NS com.)
assert_contains "$out" "status: NOERROR" "root referral for com."
assert_contains "$out" "a.tld-servers.example." "root referral for com."
assert_contains "$out" "$ADDR_TLD" "glue in the root referral"

# com. delegates contoso.com to Microsoft's servers (a referral, not an answer), with their
# addresses as glue.
out=$(dig_at "$ADDR_TLD" NS contoso.com.)
assert_not_contains "$(grep '^;; flags' <<<"$out")" " aa" "flags of the com. referral"
for i in 1 2 3 4; do
  assert_contains "$out" "ns$i.bdm.microsoftonline.com." "com. delegation of contoso.com"
done
assert_contains "$out" "172800" "delegation TTL"
assert_contains "$out" "${ADDR_MICROSOFT[0]}" "glue for ns1.bdm.microsoftonline.com"

# Each Microsoft server address answers for contoso.com authoritatively.
for a in "${ADDR_MICROSOFT[@]}"; do
  out=$(dig_at "$a" MX contoso.com.)
  assert_contains "$(grep '^;; flags' <<<"$out")" " aa" "AA flag from $a"
  assert_contains "$out" "contoso-com.mail.protection.outlook.com." "MX from $a"
done
out=$(dig_at "${ADDR_MICROSOFT[2]}" +short CNAME selector1._domainkey.contoso.com.)
assert_eq "selector1-contoso-com._domainkey.contoso.onmicrosoft.com." "$out" "contoso DKIM CNAME"

# Through Unbound (root hints only), the MX of each demo domain.
assert_eq "0 contoso-com.mail.protection.outlook.com." "$(dig_rec +short MX contoso.com.)" "MX contoso.com"
out=$(dig_rec +short MX fabrikam.com. | sort)
assert_eq $'0 fabrikam-com.mail.protection.outlook.com.\n32767 ms87654321.msv1.invalid.' "$out" "MX fabrikam.com"
for d in tailspintoys.com wingtiptoys.com; do
  out=$(dig_rec +short MX "$d." | sort)
  assert_eq $'10 mx1.newmail.example.\n20 mx2.newmail.example.' "$out" "MX $d"
done
out=$(dig_rec +short TXT tailspintoys.com.)
assert_contains "$out" "include:spf.protection.outlook.com include:_spf.newmail.example" "SPF tailspintoys.com"

# Glueless delegation: fourthcoffee.com's servers are named under cn.
assert_eq "0 fourthcoffee-com.mail.protection.partner.outlook.cn." \
  "$(dig_rec +short MX fourthcoffee.com.)" "MX fourthcoffee.com (21Vianet)"

# The CNAME chain behind northwindtraders.com's MX host.
out=$(dig_rec +short A mail.newmail.example.)
assert_eq $'relay.newmail.example.\nnorthwindtraders-com.mail.protection.outlook.com.' "$out" "CNAME chain"

# Every fixture zone is reachable from the root: its SOA resolves.
for f in "$SRC"/fixtures/zones/*.zone; do
  name=${f##*/}
  name=${name%.zone}
  [[ $name == root ]] && continue
  out=$(dig_rec SOA "$name.")
  assert_contains "$out" "status: NOERROR" "SOA $name through Unbound"
  assert_contains "$out" "IN	SOA" "SOA $name through Unbound"
done

# A name that does not exist is NXDOMAIN (an answer), from com.
assert_contains "$(dig_rec MX no-such-domain-offboard.com.)" "status: NXDOMAIN" "unregistered domain"

# The new DNS host does not serve margiestravel.com (lame): REFUSED.
assert_contains "$(dig_at "${ADDR_NEWDNS[0]}" SOA margiestravel.com.)" "status: REFUSED" "lame server"

# The dead server times out (no answer at all, not a refusal)...
rc=0
out=$(dig +norec +time=1 +tries=1 "@$ADDR_DEAD" SOA wideworldimporters.com.) || rc=$?
assert_eq 9 "$rc" "dig exit status against the dead server (9 = no reply)"
assert_contains "$out" "timed out" "dig against the dead server"
# ... and so the resolver fails the domain it serves.
out=$(dig +time=20 +tries=1 "@$ADDR_UNBOUND" MX wideworldimporters.com.)
assert_contains "$out" "status: SERVFAIL" "Unbound for a domain whose only server is dead"

# TTLs come through Unbound as the zone says (no cache cap by default).
read -r _ ttl _ <<<"$(dig_rec +noall +answer MX wingtiptoys.com.)"
((ttl > 3000 && ttl <= 3600)) || fail "TTL of wingtiptoys.com MX through Unbound: $ttl"

# A zone edited in $WORK/zones is served after restart_server; Unbound keeps its cached
# answer until flush_unbound.
sed -i 's/mx2\.newmail\.example\./mx3.newmail.example./' "$WORK/zones/wingtiptoys.com.zone"
restart_server newdns
assert_contains "$(dig_at "${ADDR_NEWDNS[1]}" +short MX wingtiptoys.com.)" "20 mx3.newmail.example." "edited zone after restart"
assert_contains "$(dig_rec +short MX wingtiptoys.com.)" "20 mx2.newmail.example." "cached answer before the flush"
flush_unbound
assert_contains "$(dig_rec +short MX wingtiptoys.com.)" "20 mx3.newmail.example." "answer after the flush"

# stop_server takes one server away: with olddns gone, its addresses refuse at once.
stop_server olddns
rc=0
dig_at "${ADDR_OLDDNS[0]}" SOA fabrikam.com. >/dev/null 2>&1 || rc=$?
assert_eq 9 "$rc" "dig to a stopped server"

# Nothing but loopback: every server's configured addresses are in 127.0.0.0/8.
for role in "${E2E_ORDER[@]}"; do
  for a in ${E2E_ADDRS[$role]}; do
    [[ $a == 127.* ]] || fail "$role listens on $a"
  done
done

# --- 3. clean-up leaves nothing running -----------------------------------------------
pids=()
for role in "${E2E_ORDER[@]}"; do pids+=("${E2E_PID[$role]}"); done
stop_all
for pid in "${pids[@]}"; do
  if kill -0 "$pid" 2>/dev/null; then fail "server pid $pid still running after stop_all"; fi
done
for c in /proc/[0-9]*/cmdline; do
  args=()
  mapfile -d '' args 2>/dev/null <"$c" || continue
  [[ "${args[*]}" == *"$WORK/"* ]] && fail "a process still runs from $WORK: ${args[*]}"
done
E2E_CHECKS=$((E2E_CHECKS + 1))
exit 0
