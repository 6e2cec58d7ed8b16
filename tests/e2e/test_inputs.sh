#!/usr/bin/env bash
# Inputs trusted too far, end to end: what offboard used to read silently, or read whole.
#
# - scan of what holds no domain or cannot be read (a directory as FILE or as stdin, a closed
#   stdin, an empty file, only comments, a file whose read fails): exit 2 naming the input,
#   nothing on stdout; never exit 0 "clear" for a scan of nothing.
# - scan of a line that never ends (300 MB of NULs, /dev/zero): memory stays flat (peak RSS
#   within 32 MiB of a one-line scan's; it was 515 MB and 2.1 GB) and the line is reported by number as a bad line.
# - tenant files and Graph exports with a key twice in one object (also id/Id), or that are one
#   page of a paged Graph export (@odata.nextLink): exit 2 naming the file, the key path and the
#   lines, and no state is created. A lone Graph domain object keyed "name" is read.
# Everything runs on zone files (--zones): nothing is sent anywhere.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init inputs
cd "$SRC"
ZONES=(--zones fixtures/zones)

# scan_stdin FILE ARGS...: offboard scan - ARGS... with FILE as stdin ("-": stdin closed).
scan_stdin() {
  local from=$1
  shift
  if [[ $from == - ]]; then
    "$OFFBOARD" scan - "$@" <&-
  else
    "$OFFBOARD" scan - "$@" <"$from"
  fi
}
# refuse_scan EXPECTED-TEXT CMD...: exit 2, EXPECTED-TEXT on stderr, nothing on stdout.
refuse_scan() {
  local expected=$1
  shift
  assert_exit 2 "$@"
  assert_contains "$ERR" "$expected" "scan stderr"
  [[ -z $OUT ]] || fail "stdout not empty for: $*"
}

note "scan inputs that hold no domain or cannot be read"
mkdir -p "$WORK/a-dir"
: >"$WORK/empty.txt"
printf '# the list comes later\n\n   \n' >"$WORK/comments.txt"
refuse_scan "offboard scan: $WORK/a-dir: is a directory" "$OFFBOARD" scan "$WORK/a-dir" "${ZONES[@]}"
refuse_scan "offboard scan: stdin: is a directory" scan_stdin "$WORK/a-dir" "${ZONES[@]}"
refuse_scan "offboard scan: stdin: no domains in the input (it is empty)" scan_stdin - "${ZONES[@]}"
refuse_scan "offboard scan: $WORK/empty.txt: no domains in the input (it is empty)" \
  "$OFFBOARD" scan "$WORK/empty.txt" "${ZONES[@]}"
refuse_scan "offboard scan: stdin: no domains in the input (3 lines of comments and blanks)" \
  scan_stdin "$WORK/comments.txt" "${ZONES[@]}"
refuse_scan "offboard scan: $WORK/missing.txt: cannot open: No such file or directory" \
  "$OFFBOARD" scan "$WORK/missing.txt" "${ZONES[@]}"
# A file that opens but whose read() fails (EIO): as root, a mode of 000 still reads.
refuse_scan "offboard scan: /proc/self/mem:1: cannot read: Input/output error" \
  "$OFFBOARD" scan /proc/self/mem "${ZONES[@]}"
# The same domains in a file are scanned (so the refusals above are not about the zones).
printf 'wingtiptoys.com\n' >"$WORK/one.txt"
assert_exit 0 "$OFFBOARD" scan "$WORK/one.txt" "${ZONES[@]}"
assert_contains "$OUT" '"domain":"wingtiptoys.com"'

note "scan of a line that never ends: flat memory"
# peak_kb PID: the process's peak resident set (VmHWM, kB), polled until it exits or for
# $2 seconds (then it is killed). Sets PEAK_KB, READ_BYTES and RC.
peak_kb() {
  local pid=$1 limit=$2 t=0 hwm rchar
  PEAK_KB=0 READ_BYTES=0 RC=0
  while kill -0 "$pid" 2>/dev/null; do
    hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
    rchar=$(sed -n 's/^rchar: //p' "/proc/$pid/io" 2>/dev/null || true)
    [[ -n $hwm ]] && ((hwm > PEAK_KB)) && PEAK_KB=$hwm
    [[ -n $rchar ]] && READ_BYTES=$rchar
    if ((t >= limit * 20)); then
      kill "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.05
    t=$((t + 1))
  done
  wait "$pid" || RC=$?
}
# The limit is relative to the same binary scanning one short line: a sanitizer build starts
# near 100 MB (its shadow memory), a plain one near 8 MB; flat means less than 32 MiB more.
# (its input stays open for a second, so the process lives long enough to be sampled).
"$OFFBOARD" scan - "${ZONES[@]}" < <(cat "$WORK/one.txt"; sleep 1) >/dev/null 2>&1 &
peak_kb $! 60
((PEAK_KB > 0)) || fail "no peak RSS sampled for a one-line scan"
LIMIT_KB=$((PEAK_KB + 32768))
"$OFFBOARD" scan - "${ZONES[@]}" < <(head -c 300000000 /dev/zero) >"$WORK/nul.out" 2>"$WORK/nul.err" &
peak_kb $! 60
assert_eq 2 "$RC" "exit status of a scan of 300 MB of NULs"
assert_contains "$(<"$WORK/nul.err")" "offboard scan: stdin:1: " "scan of 300 MB of NULs"
assert_contains "$(<"$WORK/nul.err")" "longer than any domain name can be" "scan of 300 MB of NULs"
(($(wc -c <"$WORK/nul.err") < 1000)) || fail "a $(wc -c <"$WORK/nul.err")-octet message for one long line"
((PEAK_KB > 0 && PEAK_KB < LIMIT_KB)) || fail "peak RSS of a scan of 300 MB of NULs: $PEAK_KB kB (limit $LIMIT_KB)"
note "300 MB of NULs: peak RSS $PEAK_KB kB"
E2E_CHECKS=$((E2E_CHECKS + 1))
# /dev/zero: a line without end. Read for 3 s, a gigabyte or more, and the peak stays flat.
"$OFFBOARD" scan /dev/zero "${ZONES[@]}" >"$WORK/zero.out" 2>"$WORK/zero.err" &
peak_kb $! 3
((READ_BYTES > 100000000)) || fail "scan of /dev/zero read only $READ_BYTES octets in 3 s"
((PEAK_KB > 0 && PEAK_KB < LIMIT_KB)) || fail "peak RSS of a scan of /dev/zero: $PEAK_KB kB after $READ_BYTES octets (limit $LIMIT_KB)"
note "/dev/zero: peak RSS $PEAK_KB kB after reading $READ_BYTES octets"
E2E_CHECKS=$((E2E_CHECKS + 1))
# A long line between good ones: reported by number, the good ones scanned.
{
  printf 'wingtiptoys.com\n'
  head -c 5000000 /dev/zero
  printf '\ncohowinery.com\n'
} >"$WORK/long-line.txt"
assert_exit 2 "$OFFBOARD" scan "$WORK/long-line.txt" "${ZONES[@]}"
assert_contains "$ERR" "long-line.txt:2: " "scan of a 5 MB line"
assert_eq 2 "$(grep -c '"verdict"' <<<"$OUT")" "domains scanned around a 5 MB line"

note "tenant files: duplicate keys, one page of several, a domain keyed name"
# refuse_tenant NAME TEXT...: plan --tenant $WORK/tenant-NAME.json is exit 2 naming the file,
# each TEXT on stderr, and no state is created.
refuse_tenant() {
  local f=$WORK/tenant-$1.json
  shift
  assert_exit 2 "$OFFBOARD" plan --tenant "$f" "${ZONES[@]}" --state "$WORK/never.db"
  assert_contains "$ERR" "$f: " "tenant $f"
  local text
  for text in "$@"; do assert_contains "$ERR" "$text" "tenant $f"; done
  [[ ! -e $WORK/never.db ]] || fail "plan created a state for $f"
}
cp fixtures/tenants/unit/duplicate-cancel.json "$WORK/tenant-cancel.json"
refuse_tenant cancel "subscriptions[0].cancel: " "lines 5 and 6"
printf '{\n  "domains": ["wingtiptoys.com"],\n  "domains": ["cohowinery.com"]\n}\n' >"$WORK/tenant-domains.json"
refuse_tenant domains "domains: the key appears twice" "lines 2 and 3"
printf '[{"Id": "wingtiptoys.com",\n  "id": "cohowinery.com", "IsInitial": false}]\n' >"$WORK/tenant-id.json"
refuse_tenant id "[0].id: " "'Id' (line 1) and 'id' (line 2)"
cp fixtures/tenants/unit/graph-paged.json "$WORK/tenant-paged.json"
refuse_tenant paged "@odata.nextLink: " "one page of several" "Get-MgDomain -All | ConvertTo-Json -Depth 5"
# A lone Graph domain object keyed "name" is read as its twin in {"value": [...]} is.
printf '{"name": "wingtiptoys.com", "isAdminManaged": true}\n' >"$WORK/tenant-name.json"
rc=0
"$OFFBOARD" plan --tenant "$WORK/tenant-name.json" "${ZONES[@]}" --state "$WORK/name.db" \
  --format json >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
((rc != 2)) || fail "a domain object keyed name was refused: $(<"$WORK/last.err")"
assert_contains "$(<"$WORK/last.out")" '"remove-domain:wingtiptoys.com"' "plan of a domain object keyed name"

exit 0
