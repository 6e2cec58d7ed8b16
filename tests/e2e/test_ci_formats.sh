#!/usr/bin/env bash
# The gate's CI formats, checked by the tools CI systems trust, end to end on zone files
# (--zones: nothing is sent anywhere):
#
# - SARIF (`gate --format sarif`) is run through Microsoft's SARIF validator, Sarif.Multitool
#   `validate` (npm @microsoft/sarif-multitool-linux, installed by scripts/deps.sh into
#   .tools/sarif-multitool), twice over the same files: with its default rules (the SARIF 2.1.0
#   schema and the SARIF1xxx/SARIF2xxx rules) and with `--rule-kind Gh` (the GHxxxx rules of
#   what GitHub code scanning accepts), each at `--level "Error;Warning"`. Any error fails, and
#   so does any warning but SARIF2005's "provide informationUri" (offboard has no web page to
#   name there; GitHub code scanning does not read it). The validator exits 0 on a log with
#   errors, so its own output log is what is read (jq). The files: a blocked tenant given as a
#   path relative to the repository (as CI gives it), the same tenant at an absolute path with
#   a space in it, a gate with indeterminate steps (a domain whose zone is missing) and a ready one.
# - JUnit (`gate --format junit`) is checked with xmllint against fixtures/ci/junit.xsd (the
#   attributes CI servers read: counts and time on testsuites and testsuite, classname, name
#   and time on every testcase, a message on every failure, error and skipped), and with XPath:
#   tests = the number of testcases = the plan's steps, failures = failure elements = the gate's
#   open steps, errors = error elements = the indeterminate ones, skipped = skipped elements,
#   and the evidence source is a property. A JUnit without a time attribute must fail the XSD,
#   so the schema is shown to check something.
#
# Without the validator, xmllint or jq the test is skipped (77), except under CI (CI=true),
# where scripts/deps.sh has installed them and their absence is a failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init ci_formats
cd "$SRC"

SARIF_MULTITOOL=${SARIF_MULTITOOL:-$SRC/.tools/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool}
missing() {
  if [[ "${CI:-}" == true ]]; then fail "$1 is not installed (scripts/deps.sh)"; fi
  echo "SKIP [$E2E_NAME]: $1 is not installed (scripts/deps.sh)" >&2
  exit 77
}
[[ -x $SARIF_MULTITOOL ]] || missing "Sarif.Multitool ($SARIF_MULTITOOL)"
command -v xmllint >/dev/null || missing xmllint
command -v jq >/dev/null || missing jq
export DOTNET_CLI_TELEMETRY_OPTOUT=1

ZONES=(--zones fixtures/zones)
NOW=2026-12-15T10:00:00Z

# gate CODE NAME FORMAT ARGS...: `offboard gate ARGS... --format FORMAT` with its own state
# ($WORK/NAME-FORMAT.db), requiring exit CODE; its output is written to $WORK/NAME.FORMAT.
gate() {
  local code=$1 name=$2 format=$3
  shift 3
  assert_exit "$code" "$OFFBOARD" gate "$@" --state "$WORK/$name-$format.db" --format "$format" --now "$NOW"
  printf '%s\n' "$OUT" >"$WORK/$name.$format"
}

# --- the gates ------------------------------------------------------------------------------
note "gate outputs: blocked, with indeterminate steps, ready"
# Blocked: the demo tenant, its file given relative to the repository root.
for f in sarif junit json; do gate 1 blocked "$f" --tenant fixtures/tenants/demo.json "${ZONES[@]}"; done
# The same tenant at an absolute path that needs percent-encoding in a URI.
mkdir -p "$WORK/my tenants"
cp fixtures/tenants/demo.json "$WORK/my tenants/demo.json"
for f in sarif junit; do gate 1 absolute "$f" --tenant "$WORK/my tenants/demo.json" "${ZONES[@]}"; done
# Unresolved: wideworldimporters.com's zone file is absent (fixtures/zones/README.md), so its
# DNS steps are indeterminate (and its manual steps open: the gate blocks).
for f in sarif junit json; do gate 1 unresolved "$f" wideworldimporters.com "${ZONES[@]}"; done
# Ready: wingtiptoys.com (clear) with every manual step acknowledged in order and the
# first-sight wait waived, on one state (which a first gate binds to these domains).
STATE=$WORK/ready.db
assert_exit 1 "$OFFBOARD" gate wingtiptoys.com "${ZONES[@]}" --state "$STATE" --now "$NOW"
for s in confirm-admin-role notify-users; do
  assert_exit 0 "$OFFBOARD" ack "$s" --by alice --state "$STATE" --now "$NOW"
done
assert_exit 0 "$OFFBOARD" waive wait-propagation:wingtiptoys.com --by alice --reason "never had Microsoft 365 mail" \
  --state "$STATE" --now "$NOW"
for s in backup-data move-users-off-domain:wingtiptoys.com remove-domain:wingtiptoys.com; do
  assert_exit 0 "$OFFBOARD" ack "$s" --by alice --state "$STATE" --now 2026-12-15T10:01:00Z
done
for f in sarif junit json; do
  assert_exit 0 "$OFFBOARD" gate wingtiptoys.com "${ZONES[@]}" --state "$STATE" --format "$f" --now 2026-12-15T10:02:00Z
  printf '%s\n' "$OUT" >"$WORK/ready.$f"
done

# The plans the gates judged (their steps), each on a copy of its gate's state.
plan_of() {
  local c=$1
  shift
  cp "$WORK/$c-json.db" "$WORK/$c-plan.db"
  "$OFFBOARD" plan "$@" "${ZONES[@]}" --state "$WORK/$c-plan.db" --format json --now "$NOW" >"$WORK/$c.plan.json" || true
  jq -e '.schema == "offboard.plan/1"' "$WORK/$c.plan.json" >/dev/null || fail "no plan JSON for $c"
}
plan_of blocked --tenant fixtures/tenants/demo.json
plan_of unresolved wideworldimporters.com
cp "$STATE" "$WORK/ready-json.db"
plan_of ready wingtiptoys.com

# --- SARIF: Microsoft's validator -----------------------------------------------------------
CASES=(blocked absolute unresolved ready)
SARIFS=()
for c in "${CASES[@]}"; do SARIFS+=("$WORK/$c.sarif"); done

# validate KIND...: runs the validator over every SARIF file (extra arguments KIND...), and
# fails on each error and on each warning but SARIF2005, naming file, rule and message.
validate() {
  local what=$1 log=$WORK/validation-$1.sarif rc=0
  shift
  "$SARIF_MULTITOOL" validate "${SARIFS[@]}" --output "$log" --log ForceOverwrite --level "Error;Warning" "$@" \
    >"$WORK/validation-$what.out" 2>&1 || rc=$?
  if ((rc != 0)) || [[ ! -s $log ]]; then
    sed 's/^/    | /' "$WORK/validation-$what.out" >&2
    fail "Sarif.Multitool validate ($what) did not run (exit $rc)"
  fi
  jq -e '[.runs[].invocations[]? | select(.executionSuccessful != true)] | length == 0' "$log" >/dev/null ||
    fail "Sarif.Multitool validate ($what): the validation itself did not succeed ($log)"
  local problems
  problems=$(jq -r '.runs[].results[]? | (.level // "warning") as $l
      | select($l == "error" or ($l == "warning" and .ruleId != "SARIF2005"))
      | "\($l) \(.ruleId) \(.locations[0].physicalLocation.artifactLocation.uri // "?" | split("/") | last):"
        + " \(.message.text // "\(.message.id) \(.message.arguments // [] | join(" | "))")"' "$log" | sort)
  if [[ -n $problems ]]; then
    cut -d: -f1 <<<"$problems" | uniq -c | sed 's/^/    | /' >&2
    echo "    the first ones (the full messages are in the validator's output, $WORK/validation-$what.out):" >&2
    awk -F: '!seen[$1]++' <<<"$problems" | cut -c1-400 | sed 's/^/    | /' >&2
    fail "Sarif.Multitool validate ($what): $(wc -l <<<"$problems") error(s) or warning(s)"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
  note "validator ($what): no error, no warning acted on ($(jq '[.runs[].results[]?] | length' "$log") note(s) or SARIF2005)"
}
note "SARIF: Sarif.Multitool validate, default rules and GitHub's"
validate default
validate github --rule-kind Gh

# What the validator cannot know: the results are the gate's, and the locations as intended.
# sarif_is CASE JQ-FILTER: the filter is true of $WORK/CASE.sarif.
sarif_is() {
  jq -e "$2" "$WORK/$1.sarif" >/dev/null || fail "$1.sarif: not true: $2"
  E2E_CHECKS=$((E2E_CHECKS + 1))
}
for c in blocked unresolved ready; do
  n=$(jq '(.open | length) + (.indeterminate | length)' "$WORK/$c.json")
  sarif_is "$c" ".runs[0].results | length == $n"
done
sarif_is blocked '.runs[0].results | length > 0 and all(.level == "error")'
sarif_is blocked '[.runs[0].results[].locations[0].physicalLocation] | all(.artifactLocation ==
  {"uri": "fixtures/tenants/demo.json", "uriBaseId": "%SRCROOT%"} and .region.startLine == 1)'
sarif_is blocked '.runs[0].tool.driver.rules | all(.name != .id and (.name | test("^[A-Z][A-Za-z0-9]*$")))'
sarif_is blocked '.runs[0].tool.driver.rules as $r | .runs[0].results | all($r[.ruleIndex].id == .ruleId)'
sarif_is blocked '.runs[0].properties.evidence == {"source": "zones", "servers": ["fixtures/zones"], "live": false}'
# uri_path PATH: PATH percent-encoded as RFC 3986 asks (every octet but unreserved ones and "/").
uri_path() {
  local LC_ALL=C s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~/-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}
sarif_is absolute "[.runs[0].results[].locations[0].physicalLocation.artifactLocation] | all(. ==
  {\"uri\": \"file://$(uri_path "$WORK/my tenants/demo.json")\"})"
sarif_is unresolved '[.runs[0].results[] | select(.level == "warning")] | length > 0'
sarif_is unresolved "[.runs[0].results[] | select(.level == \"warning\")] | length == $(jq '.indeterminate | length' "$WORK/unresolved.json")"
sarif_is ready '.runs[0].results == [] and .runs[0].properties.verdict == "ready"'
# A pass on zone files is an offline rehearsal: said as a notification the driver declares.
sarif_is ready '.runs[0].invocations[0].toolExecutionNotifications[0].descriptor == {"id": "offline-rehearsal", "index": 0}
  and .runs[0].tool.driver.notifications[0].id == "offline-rehearsal"'

# --- JUnit: the XSD and the counts ------------------------------------------------------------
note "JUnit: xmllint against fixtures/ci/junit.xsd, and the counts by XPath"
XSD=$SRC/fixtures/ci/junit.xsd
# xp CASE EXPR: the XPath EXPR (a number or a string) over $WORK/CASE.junit.
xp() { xmllint --xpath "$2" "$WORK/$1.junit"; }
for c in "${CASES[@]}"; do
  xmllint --noout --schema "$XSD" "$WORK/$c.junit" 2>"$WORK/xsd.err" ||
    { sed 's/^/    | /' "$WORK/xsd.err" >&2; fail "$c.junit does not validate against $XSD"; }
  E2E_CHECKS=$((E2E_CHECKS + 1))
  assert_eq "$(xp "$c" 'count(//testsuite)')" 1 "$c: testsuites"
  for attr in tests failures errors skipped; do
    case $attr in
      tests) counted=$(xp "$c" 'count(//testsuite/testcase)') ;;
      failures) counted=$(xp "$c" 'count(//testcase/failure)') ;;
      errors) counted=$(xp "$c" 'count(//testcase/error)') ;;
      skipped) counted=$(xp "$c" 'count(//testcase/skipped)') ;;
    esac
    assert_eq "$counted" "$(xp "$c" "string(/testsuites/@$attr)")" "$c: testsuites/@$attr"
    assert_eq "$counted" "$(xp "$c" "string(//testsuite/@$attr)")" "$c: testsuite/@$attr"
  done
  assert_eq 0 "$(xp "$c" 'count(//testcase[not(@classname) or @classname = "" or not(@name) or @name = ""])')" \
    "$c: testcases without classname or name"
  assert_eq 0 "$(xp "$c" 'count(//failure[@message = ""] | //error[@message = ""] | //skipped[@message = ""])')" \
    "$c: failures, errors and skipped without a message"
  assert_eq zones "$(xp "$c" 'string(//testsuite/properties/property[@name = "evidence.source"]/@value)')" \
    "$c: the evidence.source property"
done
# The counts are the gate's: a testcase per plan step, a failure per open step, an error per
# indeterminate one (the gate JSON of the same run).
for c in blocked unresolved ready; do
  assert_eq "$(jq '.open | length' "$WORK/$c.json")" "$(xp "$c" 'count(//testcase/failure)')" "$c: failures = open steps"
  assert_eq "$(jq '.indeterminate | length' "$WORK/$c.json")" "$(xp "$c" 'count(//testcase/error)')" \
    "$c: errors = indeterminate steps"
  assert_eq "$(jq '.steps | length' "$WORK/$c.plan.json")" "$(xp "$c" 'count(//testcase)')" "$c: a testcase per plan step"
done
assert_eq 0 "$(xp blocked 'count(//testcase/error)')" "blocked: errors"
(($(xp blocked 'count(//testcase/failure)') > 0)) || fail "blocked: no failure"
assert_eq ready "$(xp ready 'string(//property[@name = "verdict"]/@value)')" "ready: verdict property"
# The XSD checks something: without the time attribute CI servers read, the JUnit is refused.
sed 's/ time="[^"]*"//' "$WORK/blocked.junit" >"$WORK/no-time.junit"
if xmllint --noout --schema "$XSD" "$WORK/no-time.junit" 2>/dev/null; then
  fail "a JUnit without time attributes validates against $XSD"
fi
E2E_CHECKS=$((E2E_CHECKS + 1))
