#!/usr/bin/env bash
# A scripted cut-over, end to end: the real binary, the fixture Internet served by NSD on
# loopback, and a small tenant (fixtures/cutover/tenant.json) with the three shapes of the demo:
# contoso.com (zone hosted by Microsoft 365: prepare the new DNS host, then switch NS at the
# registrar), fabrikam.com (zone at the old DNS host, mail at Microsoft 365) and tailspintoys.com
# (half migrated). The zone files are edited between gate runs exactly as an admin would, and the
# servers restarted. It proves, with a fixed clock (--now) and one state database:
#   - the gate blocks (exit 1) and lists every open step, manual and DNS;
#   - prepare-new-dns-host is verified against the new host's servers, before any delegation;
#   - after the zone edits and the NS switch every DNS step is done, while each
#     wait-propagation:D stays open until first sighting of the new values + the old TTL
#     (3600 s for a record, 172800 s for the parent's NS set): still blocked 1 s before,
#     passed at that second, with not_before read from the plan's JSON;
#   - acks close the manual steps, in plan order only: backup-data acknowledged during the waits
#     stays open until acknowledged again after them; a waiver with a reason is shown as waived
#     (JSON and text);
#   - the gate never passes while a server is unreachable (exit 3), even on a state that passed.
# The gate runs in --authoritative mode (iterating from the fixture root, so no cache is
# involved); one run through Unbound checks that the recursive path blocks as well.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init cutover

T_START=$(date +%s)
TENANT=$SRC/fixtures/cutover/tenant.json
CUT=$SRC/fixtures/cutover
STATE=$WORK/state.db

# contoso.com exists at the new DNS host from the start, empty: nothing delegates to it yet.
mkdir -p "$WORK/newhost"
cp "$CUT/newdns-empty/contoso.com.zone" "$WORK/newhost/contoso.com.zone"
ZONES_NEWDNS+=("$WORK/newhost/contoso.com.zone")
start_hierarchy
start_unbound "$ADDR_UNBOUND"

# --- helpers -----------------------------------------------------------------------------------
AUTH=(--authoritative --root-hints "$WORK/zones/root.hints" --timeout 1000 --tries 2)

# at EPOCH: RFC 3339 text of EPOCH.
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# epoch RFC3339: seconds.
epoch() { date -u -d "$1" +%s; }

# gate_at CODE EPOCH [ARGS...]: the gate (JSON) at EPOCH against $STATE, in authoritative mode
# unless ARGS name another source; requires exit CODE.
gate_at() {
  local code=$1 t=$2
  shift 2
  local src=("${AUTH[@]}")
  (($#)) && src=("$@")
  assert_exit "$code" "$OFFBOARD" gate --tenant "$TENANT" --state "$STATE" --now "$(at "$t")" \
    --format json "${src[@]}"
}

# ids KEY [JSON]: the step ids of the gate JSON's KEY list ("open", "done", "waived",
# "indeterminate"; a list of {"id", ...} objects or of id strings), one a line, in order.
ids() {
  awk -v key="\"$1\": [" '
    index($0, "  " key) == 1 { if ($0 !~ /\[\]/) f = 1; next }
    f && /^  [\]"]/ { f = 0 }
    f && /^      "id": / { sub(/^      "id": "/, ""); sub(/",?$/, ""); print }
    f && /^    "[^"]*",?$/ { sub(/^    "/, ""); sub(/",?$/, ""); print }' <<<"${2:-$OUT}"
}

# in_list ID KEY: ID is in the gate JSON's KEY list ($OUT).
in_list() {
  ids "$2" | grep -qxF -- "$1" || { printf '%s\n' "$OUT" | sed 's/^/    | /' >&2; fail "$1 is not $2"; }
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

# not_before STEP: the plan's not_before for STEP (plan JSON in $OUT), as epoch seconds.
not_before() {
  local nb
  nb=$(awk -v id="      \"id\": \"$1\"," '
    $0 == id { f = 1; next }
    f && /^      "id": / { exit }
    f && /"not_before": / { sub(/.*"not_before": "/, ""); sub(/".*/, ""); print; exit }' <<<"$OUT")
  [[ -n $nb ]] || { printf '%s\n' "$OUT" | sed 's/^/    | /' >&2; fail "no not_before for $1"; }
  epoch "$nb"
}

ack() { assert_exit 0 "$OFFBOARD" ack "$1" --by alice --note "e2e cut-over" --state "$STATE" --now "$(at "$2")"; }

T0=$(epoch 2026-12-01T10:00:00Z)

# --- 1. before anything: blocked, every step open ----------------------------------------------
note "1. before the cut-over: the gate blocks (+$(($(date +%s) - T_START)) s)"
gate_at 1 "$T0"
assert_contains "$OUT" '"ready": false'
for s in confirm-admin-role notify-users backup-data \
  prepare-new-dns-host:contoso.com switch-ns:contoso.com update-mx:contoso.com \
  update-mx:fabrikam.com update-spf:fabrikam.com remove-autodiscover:fabrikam.com \
  remove-verification-records:fabrikam.com update-spf:tailspintoys.com \
  remove-autodiscover:tailspintoys.com; do
  in_list "$s" open
done
for d in contoso.com fabrikam.com tailspintoys.com; do
  for s in wait-propagation move-users-off-domain remove-domain; do in_list "$s:$d" open; done
done
assert_eq "" "$(ids done)" "steps done before the cut-over"
# cancel-subscription is what the gate unlocks: never listed as open; tailspintoys' MX is already
# at the new provider, so it has no update-mx step left open.
assert_eq "" "$(ids open | grep -xE 'cancel-subscription|update-mx:tailspintoys.com' || true)" "open steps that must not be"
# The text form names the open steps too.
assert_exit 1 "$OFFBOARD" gate --tenant "$TENANT" --state "$WORK/state-text.db" --now "$(at "$T0")" \
  "${AUTH[@]}" --color never
assert_contains "$OUT" "switch-ns:contoso.com"
assert_contains "$OUT" "update-mx:fabrikam.com"
# Through a recursive resolver (its own state): blocked the same way.
STATE=$WORK/state-recursive.db
gate_at 1 "$T0" --resolver "$ADDR_UNBOUND" --timeout 2000 --tries 2
in_list update-mx:fabrikam.com open
in_list update-spf:tailspintoys.com open
STATE=$WORK/state.db

# Manual steps that come first.
ack confirm-admin-role $((T0 + 300))
ack notify-users $((T0 + 300))
# A typo is refused (2), not recorded.
assert_exit 2 "$OFFBOARD" ack notify-user --by alice --state "$STATE" --now "$(at "$T0")"
# A DNS step cannot be acknowledged: only DNS evidence closes it.
assert_exit 2 "$OFFBOARD" ack update-mx:fabrikam.com --by alice --state "$STATE" --now "$(at "$T0")"

# --- 2. the new DNS host is filled in; nothing delegates to it yet -----------------------------
note "2. prepare the new DNS host (+$(($(date +%s) - T_START)) s)"
T1=$((T0 + 600))
cp "$CUT/after/contoso.com.zone" "$WORK/newhost/contoso.com.zone"
restart_server newdns
gate_at 1 "$T1"
in_list confirm-admin-role done
in_list notify-users done
in_list prepare-new-dns-host:contoso.com done
in_list switch-ns:contoso.com open
# MX changes inside a Microsoft-hosted zone take effect only with the NS switch.
in_list update-mx:contoso.com open
in_list wait-propagation:contoso.com open

# --- 3. the cut-over: MX/SPF/autodiscover at the old host, NS switch at the registrar ----------
note "3. cut over (zone edits, NS switch, servers restarted) (+$(($(date +%s) - T_START)) s)"
cp "$CUT/after/fabrikam.com.zone" "$CUT/after/tailspintoys.com.zone" "$WORK/zones/"
sed -i -E 's/^(contoso +172800 IN NS) ns[1-4]\.bdm\.microsoftonline\.com\./\1 XX/' "$WORK/zones/com.zone"
sed -i -E '0,/^contoso +172800 IN NS XX$/s//contoso 172800 IN NS ns1.newdns.example./' "$WORK/zones/com.zone"
sed -i -E '0,/^contoso +172800 IN NS XX$/s//contoso 172800 IN NS ns2.newdns.example./' "$WORK/zones/com.zone"
sed -i -E '/^contoso +172800 IN NS XX$/d' "$WORK/zones/com.zone"
assert_eq $'contoso 172800 IN NS ns1.newdns.example.\ncontoso 172800 IN NS ns2.newdns.example.' \
  "$(grep -E '^contoso ' "$WORK/zones/com.zone")" "contoso.com's delegation in com.zone"
restart_server olddns
restart_server tld
T2=$((T0 + 3600))
gate_at 1 "$T2"
for s in switch-ns:contoso.com update-mx:contoso.com update-spf:contoso.com \
  remove-autodiscover:contoso.com remove-dkim:contoso.com remove-teams-records:contoso.com \
  remove-mdm-records:contoso.com remove-verification-records:contoso.com \
  update-mx:fabrikam.com update-spf:fabrikam.com remove-autodiscover:fabrikam.com \
  remove-verification-records:fabrikam.com update-spf:tailspintoys.com \
  remove-autodiscover:tailspintoys.com; do
  in_list "$s" done
done
# The records have changed, but caches may still hold the old ones.
for d in contoso.com fabrikam.com tailspintoys.com; do in_list "wait-propagation:$d" open; done

# --- 4. one deliberate exception; an ack made too early ----------------------------------------
note "4. a waiver, and an ack out of order (+$(($(date +%s) - T_START)) s)"
# backup-data comes after every wait: acknowledged now, during them, it is recorded but never
# counts (SPEC §4), not even once the waits are over.
ack backup-data $((T2 + 60))
# No user ever had a tailspintoys.com address: a deliberate exception, with its reason.
REASON="no user or group ever had a tailspintoys.com address (admin center, ticket 4711)"
assert_exit 0 "$OFFBOARD" waive move-users-off-domain:tailspintoys.com --by bob --reason "$REASON" \
  --state "$STATE" --now "$(at $((T2 + 60)))"
# A waiver needs its reason.
assert_exit 2 "$OFFBOARD" waive remove-dkim:contoso.com --by bob --state "$STATE" --now "$(at "$T2")"

# --- 5. the waits: not_before = first sighting of the new values + the old TTL -----------------
note "5. propagation waits (+$(($(date +%s) - T_START)) s)"
assert_exit 1 "$OFFBOARD" plan --tenant "$TENANT" --state "$STATE" --now "$(at $((T2 + 60)))" \
  --format json "${AUTH[@]}"
NB_FAB=$(not_before wait-propagation:fabrikam.com)
NB_CON=$(not_before wait-propagation:contoso.com)
# fabrikam.com: MX, SPF and autodiscover had TTL 3600 and were first seen changed at T2; its
# delegation was never seen at Microsoft 365, but the state first saw it at T0 with the parent's
# TTL 172800 and cannot know it did not change just before (SPEC §4 first-sight rule): the
# later of the two counts.
assert_eq "$(at $((T0 + 172800)))" "$(at "$NB_FAB")" "not_before of wait-propagation:fabrikam.com"
# contoso.com: the parent's delegation had TTL 172800 (com. zone), first seen switched at T2.
assert_eq "$(at $((T2 + 172800)))" "$(at "$NB_CON")" "not_before of wait-propagation:contoso.com"
assert_contains "$OUT" '"status": "waived"'
assert_contains "$OUT" "$REASON"

gate_at 1 $((NB_FAB - 1))
in_list wait-propagation:fabrikam.com open
in_list move-users-off-domain:tailspintoys.com waived
gate_at 1 "$NB_FAB"
in_list wait-propagation:fabrikam.com done
in_list wait-propagation:contoso.com open
# The manual steps after a wait, acknowledged once it is over.
ack move-users-off-domain:fabrikam.com "$NB_FAB"
for d in fabrikam.com tailspintoys.com; do ack "remove-domain:$d" "$NB_FAB"; done

LAST=$NB_CON
gate_at 1 $((LAST - 1))
assert_eq $'wait-propagation:contoso.com\nbackup-data\nmove-users-off-domain:contoso.com\nremove-domain:contoso.com' \
  "$(ids open)" "the open steps 1 s before the last wait ends"
gate_at 1 "$LAST"
assert_eq $'backup-data\nmove-users-off-domain:contoso.com\nremove-domain:contoso.com' "$(ids open)" \
  "the open steps once the last wait is over, before their acks"
assert_contains "$OUT" "acknowledged out of order"
for s in move-users-off-domain:contoso.com backup-data remove-domain:contoso.com; do ack "$s" "$LAST"; done
cp "$STATE" "$WORK/state-passed.db"
gate_at 0 "$LAST"
assert_contains "$OUT" '"ready": true'
assert_eq "" "$(ids open)" "open steps once the gate passes"
assert_eq "" "$(ids indeterminate)" "indeterminate steps once the gate passes"
assert_eq "move-users-off-domain:tailspintoys.com" "$(ids waived)" "waived steps"
assert_contains "$OUT" "$REASON"
# The text form shows the waiver and its reason.
cp "$WORK/state-passed.db" "$WORK/state-text.db"
assert_exit 0 "$OFFBOARD" gate --tenant "$TENANT" --state "$WORK/state-text.db" --now "$(at "$LAST")" \
  "${AUTH[@]}" --color never
assert_contains "$OUT" "move-users-off-domain:tailspintoys.com"
assert_contains "$OUT" "$REASON"

# --- 6. unreachable servers: never a pass -------------------------------------------------------
note "6. unreachable servers (+$(($(date +%s) - T_START)) s)"
# The same state, a resolver that never answers: indeterminate (3), not ready.
cp "$WORK/state-passed.db" "$STATE"
start=$(date +%s)
gate_at 3 "$LAST" --resolver "$ADDR_DEAD" --timeout 200 --tries 1
assert_contains "$OUT" '"ready": false'
[[ -n "$(ids indeterminate)" ]] || fail "no indeterminate step with a dead resolver"
(($(date +%s) - start < 20)) || fail "the dead-resolver gate took $(($(date +%s) - start)) s"
# The old DNS host goes dark (fabrikam.com and tailspintoys.com cannot be resolved): 3.
cp "$WORK/state-passed.db" "$STATE"
stop_server olddns
gate_at 3 $((LAST + 60)) --authoritative --root-hints "$WORK/zones/root.hints" --timeout 300 --tries 1
assert_contains "$OUT" '"ready": false'
ids indeterminate | grep -q 'fabrikam.com' || fail "fabrikam.com is not indeterminate with its servers down"

note "$E2E_CHECKS checks in $(($(date +%s) - T_START)) s"
exit 0
