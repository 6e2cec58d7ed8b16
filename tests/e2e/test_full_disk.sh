#!/usr/bin/env bash
# A full disk, for real: the state lives on a small tmpfs that is then filled to the last byte
# (issue 6: "a full disk gives a clear error and leaves the old state intact"). The state
# store's unit test covers a file-size limit (EFBIG); this is ENOSPC from the file system.
#
# What must hold, with the disk full:
#   - every command that writes the state (plan, ack, waive) exits 4 with a message that names
#     the state file and says it is a storage error; none exits 0 or 1, none crashes;
#   - a state that cannot be created on the full disk is exit 4 too, not "not an offboard state";
#   - the gate, which only reads, still decides from the old evidence, or refuses (never ready
#     on what it could not read);
# and once space is freed, the state reads back exactly as before the disk filled (no event
# lost, none half-written), and the next write succeeds.
#
# The tmpfs is mounted in a private mount namespace (unshare -m), so it disappears with the
# test however the test ends. Needs root (exit 77 otherwise: ctest reports it skipped).
set -euo pipefail
if [[ -z "${OFFBOARD_IN_MOUNT_NS:-}" ]]; then
  probe=$(mktemp -d "${TMPDIR:-/tmp}/offboard-tmpfs-probe.XXXXXX")
  if [[ $(id -u) != 0 ]] ||
    ! unshare -m --propagation private mount -t tmpfs -o size=64k offboard-probe "$probe" 2>/dev/null; then
    rmdir "$probe"
    echo "test_full_disk: needs root and a private mount namespace (unshare -m, a tmpfs); skipped" >&2
    exit 77
  fi
  rmdir "$probe"
  OFFBOARD_IN_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init full_disk
cd "$SRC"

DISK=$WORK/disk
mkdir -p "$DISK"
mount -t tmpfs -o size=2m,mode=0700 offboard-full-disk "$DISK" || fail "cannot mount a tmpfs on $DISK"
STATE=$DISK/offboard.db
DOMAINS=(contoso.com fabrikam.com wingtiptoys.com)

plan() {  # plan STATE NOW
  "$OFFBOARD" plan "${DOMAINS[@]}" --zones fixtures/zones --state "$1" --now "$2" --format json
}
history_of() { "$OFFBOARD" history --state "$1" --format json; }

note "a state with two plans, an ack and a waiver on the tmpfs"
assert_exit 1 plan "$STATE" 2026-12-15T10:00:00Z
assert_exit 1 plan "$STATE" 2026-12-15T11:00:00Z
assert_exit 0 "$OFFBOARD" ack notify-users --by "ana" --state "$STATE"
assert_exit 0 "$OFFBOARD" waive remove-verification-records:contoso.com --by "ana" \
  --reason "the TXT is harmless" --state "$STATE"
# The gate records what it saw too: run it once before taking the snapshot.
GATE_BEFORE=$(
  rc=0
  "$OFFBOARD" gate "${DOMAINS[@]}" --zones fixtures/zones --state "$STATE" \
    --now 2026-12-15T12:00:00Z --format json >/dev/null 2>&1 || rc=$?
  echo "$rc"
)
assert_exit 0 history_of "$STATE"
BEFORE=$OUT
[[ $(grep -c '"kind"' <<<"$BEFORE") -gt 4 ]] || fail "the state holds too few events: $BEFORE"

note "filling the disk"
# The WAL is checkpointed when the last writer closes; fill what is left, then keep nothing
# in reserve: a few more small files take the last blocks and inodes' slack.
dd if=/dev/zero of="$DISK/fill" bs=64k 2>/dev/null || true
for i in 1 2 3 4 5 6 7 8; do dd if=/dev/zero of="$DISK/fill-$i" bs=512 2>/dev/null || true; done
avail=$(df --output=avail -B1 "$DISK" | tail -n 1 | tr -d ' ')
((avail < 4096)) || fail "the tmpfs still has $avail bytes free"

# expect_storage_error CMD...: exit 4, the state named, "storage error" said, no stdout lie.
expect_storage_error() {
  assert_exit 4 "$@"
  assert_contains "$ERR" "$STATE" "the error of $1 $2"
  assert_contains "$ERR" "storage error" "the error of $1 $2"
  # Why, in words an operator can act on: the system's ENOSPC, or SQLite's own "disk is full".
  [[ $ERR == *"No space left on device"* || $ERR == *"disk is full"* ]] ||
    fail "the error of $1 $2 does not say the disk is full: $ERR"
  assert_not_contains "$ERR" "Assertion" "the error of $1 $2"
  note "$2: $(head -c 300 <<<"$ERR")"
}
note "writes on a full disk: exit 4, named, nothing half-written"
expect_storage_error plan "$STATE" 2026-12-15T12:00:00Z
expect_storage_error "$OFFBOARD" ack notify-users --by "ben" --note "written on a full disk" \
  --state "$STATE"
# The first read of a WAL state maps its index (-shm) beside it: that is what fails, and is named.
assert_contains "$ERR" "on its WAL index $STATE-shm" "the ack on a full disk"
expect_storage_error "$OFFBOARD" waive remove-verification-records:fabrikam.com --by "ben" \
  --reason "written on a full disk" --state "$STATE"
# Creating a state on the full disk is a storage error too, never "not an offboard state".
NEW=$DISK/new.db
assert_exit 4 plan "$NEW" 2026-12-15T12:00:00Z
assert_contains "$ERR" "storage error" "creating a state on a full disk"
# scan writes its lines into a file past stdio, in batches: a failed write is still exit 4.
printf '%s\n' "${DOMAINS[@]}" >"$WORK/domains.txt"
rc=0
"$OFFBOARD" scan "$WORK/domains.txt" --zones fixtures/zones >"$DISK/scan.jsonl" 2>"$WORK/scan.err" || rc=$?
assert_eq 4 "$rc" "scan into a file on the full disk"
grep -q "cannot write the output" "$WORK/scan.err" || fail "scan on a full disk: $(<"$WORK/scan.err")"
E2E_CHECKS=$((E2E_CHECKS + 1))

note "a disk that fills during the write: room to open the state, not for the plan's batch"
rm -f "$DISK"/fill*
avail=$(df --output=avail -B1 "$DISK" | tail -n 1 | tr -d ' ')
dd if=/dev/zero of="$DISK/fill" bs=4096 count=$(((avail - ${ROOM_KIB:-44} * 1024) / 4096)) 2>/dev/null ||
  fail "cannot leave ${ROOM_KIB:-44} KiB free on the tmpfs"
ALL=(contoso.com fabrikam.com tailspintoys.com wingtiptoys.com adatum.com fourthcoffee.com
  proseware.com relecloud.com northwindtraders.com litwareinc.com alpineskihouse.com
  cohowinery.com treyresearch.com margiestravel.com)
expect_storage_error "$OFFBOARD" plan "${ALL[@]}" --zones fixtures/zones --state "$STATE" \
  --now 2026-12-15T13:00:00Z --format json
assert_exit 0 history_of "$STATE"
assert_eq "$BEFORE" "$OUT" "the history after a write that did not fit"
dd if=/dev/zero of="$DISK/fill-more" bs=4k 2>/dev/null || true

note "the gate on a full disk: the old evidence, or a refusal; never a better verdict"
rc=0
"$OFFBOARD" gate "${DOMAINS[@]}" --zones fixtures/zones --state "$STATE" --now 2026-12-15T12:00:00Z \
  --format json >"$WORK/gate.out" 2>"$WORK/gate.err" || rc=$?
note "gate: exit $rc on the full disk ($GATE_BEFORE before): $(head -c 300 "$WORK/gate.err")"
[[ $rc == 0 && $GATE_BEFORE != 0 ]] && fail "the gate passed on a full disk after blocking before"
[[ $rc == "$GATE_BEFORE" || $rc == 4 ]] ||
  fail "gate on a full disk: exit $rc (before: $GATE_BEFORE): $(<"$WORK/gate.err")"
E2E_CHECKS=$((E2E_CHECKS + 1))

note "space freed: the state is exactly what it was, and takes writes again"
rm -f "$DISK"/fill*
assert_exit 0 history_of "$STATE"
assert_eq "$BEFORE" "$OUT" "the history after the disk was full"
# What the failed creation left, if anything, is usable by the next run.
assert_exit 1 plan "$NEW" 2026-12-15T12:00:00Z
assert_exit 0 "$OFFBOARD" ack notify-users --by "ben" --state "$STATE"
assert_exit 0 history_of "$STATE"
assert_contains "$OUT" '"by": "ben"' "the history after a write on freed space"
umount "$DISK"
exit 0
