#!/usr/bin/env bash
# offboard check end to end: the real binary against the fixture Internet served by NSD, through
# a real recursive Unbound (--resolver), and offline from the same zone files (--zones). Outputs
# are compared with golden files; the timeout and usage paths are proven by exit codes.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init check_e2e

DEMO=(contoso.com fabrikam.com tailspintoys.com wingtiptoys.com)
HARD=(adatum.com fourthcoffee.com proseware.com relecloud.com northwindtraders.com litwareinc.com
  alpineskihouse.com cohowinery.com bücher.example treyresearch.com margiestravel.com)

# --- offline, from zone files (no servers needed) --------------------------------------------
# Relative paths, so that the goldens do not depend on where the repository is.
cd "$SRC"
note "--zones"
assert_exit 1 "$OFFBOARD" check "${DEMO[@]}" --zones fixtures/zones
golden_compare fixtures/golden/check-demo-zones.txt "$OUT"
assert_exit 1 "$OFFBOARD" check "${DEMO[@]}" "${HARD[@]}" --zones fixtures/zones --format json
golden_compare fixtures/golden/check-all-zones.json "$OUT"
assert_exit 1 "$OFFBOARD" check "${DEMO[@]}" --zones fixtures/zones --format markdown
golden_compare fixtures/golden/check-demo-zones.md "$OUT"
assert_exit 0 "$OFFBOARD" check wingtiptoys.com cohowinery.com --zones fixtures/zones
# A delegated zone whose file is absent cannot be answered: indeterminate, never clear.
assert_exit 3 "$OFFBOARD" check wideworldimporters.com --zones fixtures/zones
assert_contains "$OUT" "lookup-failed"
assert_exit 3 "$OFFBOARD" check no-such-domain-offboard.com --zones fixtures/zones
assert_contains "$OUT" "domain-nxdomain"

# --- through Unbound, recursive -------------------------------------------------------------
start_hierarchy
start_unbound "$ADDR_UNBOUND"
note "--resolver $ADDR_UNBOUND"
assert_exit 1 "$OFFBOARD" check "${DEMO[@]}" "${HARD[@]}" --resolver "$ADDR_UNBOUND" --format json
# Unbound counts TTLs down in its cache: compare them as "T".
golden_compare fixtures/golden/check-all-recursive.json "$(sed -E 's/"(ttl|child_ttl)": [0-9]+/"\1": T/' <<<"$OUT")"
recursive_json=$OUT

# The verdict of every domain is the same through Unbound as from the zone files.
assert_exit 1 "$OFFBOARD" check "${DEMO[@]}" "${HARD[@]}" --zones "$WORK/zones" --format json
zones_json=$OUT
verdicts() { grep -E '"(domain|verdict)":' <<<"$1" | sed 1d | paste - - ; }
assert_eq "$(verdicts "$zones_json")" "$(verdicts "$recursive_json")" "verdicts: zones vs recursive"

# Unicode input is shown with its A-label.
assert_exit 1 "$OFFBOARD" check bücher.example --resolver "$ADDR_UNBOUND"
assert_contains "$OUT" "bücher.example (xn--bcher-kva.example)"

# A domain whose only server never answers: Unbound gives up (SERVFAIL), offboard says
# indeterminate (exit 3), never clear.
assert_exit 3 "$OFFBOARD" check wideworldimporters.com --resolver "$ADDR_UNBOUND" --timeout 3000 --tries 1
assert_contains "$OUT" "lookup-failed"

# A resolver that never answers: the timeout path, bounded in time.
start=$(date +%s%N)
assert_exit 3 "$OFFBOARD" check contoso.com --resolver "$ADDR_DEAD" --timeout 200 --tries 1 --format json
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "$OUT" '"id": "lookup-failed"'
assert_contains "$OUT" '"data": "timeout"'
assert_not_contains "$OUT" '"verdict": "clear"'
((elapsed_ms < 5000)) || fail "timeout path took ${elapsed_ms} ms"

# A dead first resolver does not hide a working second one.
assert_exit 1 "$OFFBOARD" check fabrikam.com --resolver "$ADDR_DEAD" --resolver "$ADDR_UNBOUND" --timeout 300 --tries 1
assert_contains "$OUT" "mx-at-m365"

# --- usage errors: exit 2, naming the argument, nothing queried -------------------------------
assert_exit 2 "$OFFBOARD" check "a..b" --resolver "$ADDR_DEAD"
assert_contains "$ERR" "'a..b'"
assert_exit 2 "$OFFBOARD" check contoso.com --resolver not-an-ip
assert_exit 2 "$OFFBOARD" check contoso.com --format yaml
assert_exit 2 "$OFFBOARD" check contoso.com --zones "$WORK/no-such-dir"

exit 0
