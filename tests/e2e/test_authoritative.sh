#!/usr/bin/env bash
# offboard check --authoritative end to end: the real binary walks the fixture Internet from its
# root hints (NSD servers on loopback, each on port 53 of its own 127.N.0.X address, no recursive
# resolver anywhere) and asks every authoritative server itself. Proves the three views the
# issue asks for — the parent's delegation, each server's own answer, the worst case of them —
# on a Microsoft-hosted zone, registrar switches with Microsoft still serving the old zone, a
# half-switched (mixed) NS set, a subdomain without its own zone, glue-less NS, a lame server,
# a dead server and a referral loop; TCP after a truncated UDP answer; and that the verdicts
# agree with the zone files. JSON outputs are compared with goldens.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init authoritative_e2e

start_hierarchy
HINTS=$WORK/zones/root.hints
auth() { "$OFFBOARD" check "$@" --authoritative --root-hints "$HINTS" --timeout 400 --tries 1; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# --- a zone hosted by Microsoft 365 ----------------------------------------------------------
note "contoso.com"
assert_exit 1 auth contoso.com --format json
golden_compare fixtures/golden/authoritative-contoso.json "$OUT"
# The parent side comes from com.'s server (what a registrar change moves), with its TTL.
assert_contains "$OUT" '"parent_ttl": 172800'
assert_contains "$OUT" '"child_ttl": 3600'
assert_contains "$OUT" "\"server\": \"$ADDR_TLD:53 (a.tld-servers.example.)\""
assert_contains "$OUT" "The parent zone delegates contoso.com to Microsoft 365's nameservers"
assert_exit 1 auth contoso.com
golden_compare fixtures/golden/authoritative-contoso.txt "$OUT"

# --- registrar switches while Microsoft still serves the old zone ------------------------------
note "switched delegations"
# Microsoft's servers still answer for the old zones, with Microsoft's MX...
for d in woodgrovebank.com bellowscollege.com humongousinsurance.com; do
  out=$(dig_at "${ADDR_MICROSOFT[0]}" +short MX "$d.")
  assert_contains "$out" "mail.protection.outlook.com." "Microsoft's stale copy of $d"
done
assert_exit 1 auth woodgrovebank.com bellowscollege.com humongousinsurance.com --format json
golden_compare fixtures/golden/authoritative-switch.json "$OUT"

# woodgrovebank.com, switched cleanly: the parent delegates to the new host, whose zone names
# itself; nothing delegates to Microsoft's stale copy, so only the new host is asked: clear.
assert_exit 0 auth woodgrovebank.com --format json
assert_contains "$OUT" $'"parent_ns": [\n          "ns1.newdns.example.",\n          "ns2.newdns.example."\n        ]'
assert_not_contains "$OUT" "microsoftonline"
assert_not_contains "$OUT" "outlook.com"

# bellowscollege.com: the parent moved, but the new zone still names Microsoft's servers at its
# apex, and they still serve the old MX: every server of either NS set is asked, and the
# report says who answers what.
assert_exit 1 auth bellowscollege.com --format json
assert_contains "$OUT" $'"parent_ns": [\n          "ns1.newdns.example.",\n          "ns2.newdns.example."\n        ]'
assert_contains "$OUT" "The zone's NS set names bellowscollege.com to Microsoft 365's nameservers"
assert_contains "$OUT" '"id": "mx-at-m365"'
assert_contains "$OUT" "${ADDR_MICROSOFT[0]}:53 (ns1.bdm.microsoftonline.com.): 0 bellowscollege-com.mail.protection.outlook.com."
assert_contains "$OUT" "${ADDR_NEWDNS[0]}:53 (ns1.newdns.example.): 10 mx1.newmail.example., 20 mx2.newmail.example."

# humongousinsurance.com: a mixed NS set at the parent (two Microsoft, two new host) that
# disagree: ns-at-m365 from the parent side, ns-inconsistent on the MX, the worst case wins.
assert_exit 1 auth humongousinsurance.com --format json
assert_contains "$OUT" '"data": "ns1.bdm.microsoftonline.com. ns2.bdm.microsoftonline.com."'
assert_contains "$OUT" "The parent zone delegates humongousinsurance.com to Microsoft 365's nameservers"
assert_contains "$OUT" '"id": "ns-inconsistent"'
assert_contains "$OUT" "${ADDR_NEWDNS[1]}:53 (ns2.newdns.example.): 10 mx1.newmail.example."
assert_contains "$OUT" '"verdict": "points-at-m365"'

# --- a subdomain without its own zone; a TXT RRset too big for UDP ------------------------------
note "subdomain, TCP"
assert_exit 1 auth eu.lucernepublishing.com lucernepublishing.com --format json
golden_compare fixtures/golden/authoritative-subdomain.json "$OUT"
assert_contains "$OUT" "The parent zone delegates lucernepublishing.com (the zone containing eu.lucernepublishing.com, which has no zone of its own and is judged by this delegation) to Microsoft 365's nameservers"
# The apex TXT answer does not fit in 1232 octets: NSD truncates it over UDP...
out=$(dig +norec +ignore +bufsize=1232 +time=2 +tries=1 "@${ADDR_MICROSOFT[0]}" TXT lucernepublishing.com.)
assert_contains "$(grep '^;; flags' <<<"$out")" " tc" "UDP TXT answer from NSD"
# ... so the SPF record inside it was read over TCP, from every server, with no failure.
txt_lookup_failed=$(grep -c '"type": "TXT",' <<<"$(grep -A4 '"id": "lookup-failed"' <<<"$OUT")" || true)
assert_eq 0 "$txt_lookup_failed" "TXT lookup failures"
assert_contains "$OUT" 'to send as lucernepublishing.com.'

# --- glue-less NS, a lame server, parent and child NS sets that differ --------------------------
note "glue-less, lame, inconsistent"
assert_exit 1 auth fourthcoffee.com margiestravel.com treyresearch.com --format json
golden_compare fixtures/golden/authoritative-hard.json "$OUT"
# fourthcoffee.com's servers are named under cn. (no glue in com.): the walk finds their
# addresses itself, and then their answers.
assert_contains "$OUT" '"data": "0 fourthcoffee-com.mail.protection.partner.outlook.cn."'
assert_contains "$OUT" '"cloud": "21vianet"'
# margiestravel.com: the new host answers REFUSED for it: lame, a warning, the domain is clear.
assert_exit 0 auth margiestravel.com --format json
assert_contains "$OUT" '"id": "lame-delegation"'
assert_contains "$OUT" "\"server\": \"${ADDR_NEWDNS[0]}:53 (ns1.newdns.example.)\""
assert_contains "$OUT" '"verdict": "clear"'

# --- a dead server, a referral loop: indeterminate, in bounded time -----------------------------
note "dead server, referral loop"
start=$(date +%s%N)
assert_exit 3 auth wideworldimporters.com tailwindtraders.com --format json
elapsed=$(ms_since "$start")
((elapsed < 5000)) || fail "dead server and referral loop took ${elapsed} ms"
golden_compare fixtures/golden/authoritative-failures.json "$OUT"
assert_contains "$OUT" "\"server\": \"$ADDR_DEAD:53 (ns1.wideworldimporters.com.)\""
assert_contains "$OUT" '"data": "timeout"'
assert_contains "$OUT" 'referral loop at tailwindtraders.com.'
assert_not_contains "$OUT" '"verdict": "clear"'

# --- the same verdicts as the zone files give --------------------------------------------------
note "verdicts: authoritative vs zone files"
ALL=(contoso.com fabrikam.com tailspintoys.com wingtiptoys.com adatum.com fourthcoffee.com
  proseware.com relecloud.com northwindtraders.com litwareinc.com alpineskihouse.com
  cohowinery.com xn--bcher-kva.example treyresearch.com margiestravel.com woodgrovebank.com
  bellowscollege.com humongousinsurance.com eu.lucernepublishing.com)
start=$(date +%s%N)
assert_exit 1 auth "${ALL[@]}" --format json
note "${#ALL[@]} domains in $(ms_since "$start") ms"
auth_json=$OUT
assert_exit 1 "$OFFBOARD" check "${ALL[@]}" --zones "$WORK/zones" --format json
verdicts() { grep -E '^      "(domain|verdict)":' <<<"$1" | paste - -; }
assert_eq "$(verdicts "$OUT")" "$(verdicts "$auth_json")" "verdicts: zone files vs authoritative"

# --- usage: root hints ---------------------------------------------------------------------------
note "root hints"
printf '. 3600 NS a.root-servers.example.\nthis line is wrong\n' >"$WORK/bad.hints"
assert_exit 2 "$OFFBOARD" check contoso.com --authoritative --root-hints "$WORK/bad.hints"
assert_contains "$ERR" "$WORK/bad.hints:2: cannot parse the record"
assert_exit 2 "$OFFBOARD" check contoso.com --authoritative --root-hints "$WORK/no-such.hints"
assert_contains "$ERR" "$WORK/no-such.hints"
assert_exit 2 "$OFFBOARD" check contoso.com --root-hints "$HINTS"
assert_exit 2 "$OFFBOARD" check contoso.com --authoritative --zones "$WORK/zones"

exit 0
