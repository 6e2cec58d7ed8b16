#!/usr/bin/env bash
# The propagation clock through a caching recursive resolver (SPEC §4, wait-propagation).
#
# Unbound answers with what is left of a record's TTL in its cache, not the TTL itself. The
# gate must wait the record's real TTL (3600 s for fabrikam.com's MX, SPF and autodiscover),
# never the remainder it happened to see. The test:
#   - primes Unbound's cache, lets it age, and checks that Unbound really shows less than 3600;
#   - runs the gate through Unbound (its first observation of the Microsoft 365 records: the only
#     TTLs the state ever sees through the resolver are cache remainders);
#   - changes the zone (the cut-over), and shows the gate through Unbound keeping
#     wait-propagation:fabrikam.com open one second before the real TTL has passed since the
#     change (where the cache remainder would already have let it pass), and ready at that
#     second, once the manual steps are acknowledged in order;
#   - the state is bound to its tenant (another tenant's gate and an id outside the plan are
#     exit 2), and a revocation reopens its step, the history keeping both.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init cache_ttl

start_hierarchy
start_unbound "$ADDR_UNBOUND"

at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
STATE=$WORK/state.db
TENANT=$WORK/tenant.json
cat >"$TENANT" <<'JSON'
{
  "tenant": "fabrikam.onmicrosoft.com",
  "subscriptions": [ { "name": "Microsoft 365 Business Basic", "kind": "business",
                       "assigned_licenses": 3, "cancel": true } ],
  "domains": [ "fabrikam.com" ],
  "new_mail": { "mx": [ { "host": "mx1.newmail.example", "preference": 10 },
                        { "host": "mx2.newmail.example", "preference": 20 } ],
                "spf_include": "_spf.newmail.example" }
}
JSON
REC=(--resolver "$ADDR_UNBOUND" --timeout 2000 --tries 2)
gate_at() {
  local code=$1 t=$2
  assert_exit "$code" "$OFFBOARD" gate --tenant "$TENANT" --state "$STATE" --now "$(at "$t")" \
    --format json "${REC[@]}"
}
# status_of ID: the gate JSON's list ($OUT) that holds ID: open, done, waived or indeterminate.
status_of() {
  jq -r --arg id "$1" '
    if ([.open[]?.id] | index($id)) != null then "open"
    elif ([.done[]?] | index($id)) != null then "done"
    elif ([.waived[]?.id] | index($id)) != null then "waived"
    elif ([.indeterminate[]?.id] | index($id)) != null then "indeterminate"
    else "absent" end' <<<"$OUT"
}

# --- 1. what the resolver shows: a cache remainder ------------------------------------------------
dig_rec +noall +answer fabrikam.com MX >/dev/null
dig_rec +noall +answer fabrikam.com TXT >/dev/null
dig_rec +noall +answer autodiscover.fabrikam.com CNAME >/dev/null
sleep 4
seen=$(dig_rec +noall +answer fabrikam.com MX | awk '$4 == "MX" { print $2; exit }')
[[ -n $seen ]] || fail "Unbound gave no MX for fabrikam.com"
((seen <= 3597)) || fail "Unbound shows TTL $seen for a cached MX: not a cache remainder"
note "Unbound shows the MX with ${seen} s left of its 3600 s"

# --- 2. the first observation, through the resolver -----------------------------------------------
T0=$(($(date +%s) - 10 * 86400))  # ten days ago: the first-sight waits of the other records are over
gate_at 1 "$T0"
assert_eq open "$(status_of update-mx:fabrikam.com)" "update-mx before the change"
for s in confirm-admin-role notify-users; do
  assert_exit 0 "$OFFBOARD" ack "$s" --by alice --state "$STATE" --now "$(at $((T0 + 60)))"
done

# --- 3. the cut-over ----------------------------------------------------------------------------
cp "$SRC/fixtures/cutover/after/fabrikam.com.zone" "$WORK/zones/fabrikam.com.zone"
restart_server olddns
flush_unbound
T1=$((T0 + 86400))
gate_at 1 "$T1"
assert_eq done "$(status_of update-mx:fabrikam.com)" "update-mx after the change"
assert_eq open "$(status_of wait-propagation:fabrikam.com)" "the wait right after the change"

# The remainder seen (≤ 3597 s) has passed, the real TTL (3600 s) has not: still open.
gate_at 1 $((T1 + 3599))
assert_eq open "$(status_of wait-propagation:fabrikam.com)" "the wait 1 s before the real TTL has passed"

# At the second the real TTL has passed: the wait is over; the steps after it are acknowledged
# then, in order, and the gate passes.
T2=$((T1 + 3600))
for s in move-users-off-domain:fabrikam.com backup-data remove-domain:fabrikam.com; do
  assert_exit 0 "$OFFBOARD" ack "$s" --by alice --state "$STATE" --now "$(at "$T2")"
done
gate_at 0 "$T2"
assert_eq done "$(status_of wait-propagation:fabrikam.com)" "the wait once the real TTL has passed"
assert_contains "$OUT" '"ready": true'
# The evidence block names the resolver asked; live evidence, no rehearsal.
assert_eq "resolver $ADDR_UNBOUND:53 true" "$(jq -r '"\(.evidence.source) \(.evidence.servers | join(",")) \(.evidence.live)"' <<<"$OUT")" \
  "the gate's evidence block"
# The same tenant rehearsed on zone files (its own state): a pass there says it is a rehearsal.
assert_exit 1 "$OFFBOARD" gate --tenant "$TENANT" --state "$WORK/rehearsal.db" --zones "$WORK/zones" \
  --now "$(at "$T2")" --format json
assert_eq "zones false" "$(jq -r '"\(.evidence.source) \(.evidence.live)"' <<<"$OUT")" "a rehearsal's evidence block"
assert_exit 1 "$OFFBOARD" gate --tenant "$TENANT" --state "$WORK/rehearsal.db" --zones "$WORK/zones" \
  --now "$(at "$T2")"
assert_contains "$OUT" "offline rehearsal"

# --- 4. the state is this tenant's: another tenant, or a step not in its plan, is refused ------
OTHER=$WORK/other.json
sed 's/fabrikam.onmicrosoft.com/northwind.onmicrosoft.com/' "$TENANT" >"$OTHER"
assert_exit 2 "$OFFBOARD" gate --tenant "$OTHER" --state "$STATE" --now "$(at "$T2")" "${REC[@]}"
assert_contains "$ERR" "fabrikam.onmicrosoft.com"
assert_contains "$ERR" "northwind.onmicrosoft.com"
assert_exit 2 "$OFFBOARD" ack remove-domain:fabrikam.co --by alice --state "$STATE" --now "$(at "$T2")"
assert_contains "$ERR" "remove-domain:fabrikam.com"
# A revocation reopens the step: the gate is blocked again, and the history keeps both.
assert_exit 0 "$OFFBOARD" revoke backup-data --by bob --reason "the export was incomplete" \
  --state "$STATE" --now "$(at $((T2 + 10)))"
gate_at 1 $((T2 + 20))
assert_eq open "$(status_of backup-data)" "backup-data after its revocation"
assert_exit 0 "$OFFBOARD" history --state "$STATE" --format json
assert_eq $'ack\nrevoke' "$(jq -r '.events[] | select(.target == "backup-data") | .kind' <<<"$OUT")" \
  "backup-data's history"

note "$E2E_CHECKS checks"
exit 0
