#!/usr/bin/env bash
# The output a person reads, end to end on the demo tenant (zone files: nothing is sent):
#
# - Dutch: check, plan (short and --verbose, Markdown, HTML), gate and the errors, with --lang nl
#   and with LANG=nl_NL.UTF-8 (no nl_NL locale needs to exist), hold no English sentence: no
#   line keeps two English function words once identifiers, record data, code and product
#   names are taken out. --lang en and LC_ALL=C give English.
# - Identifiers never change with the language: plan and gate JSON, JUnit and SARIF are
#   byte-identical in English and Dutch.
# - A terminal (a pseudo-terminal made by script(1)): colour by default, none with NO_COLOR or
#   TERM=dumb; lines wrapped to COLUMNS; whole lines when not a terminal.
# - plan opens with the summary; gate groups the steps that cannot start yet.
# - Bare `offboard` prints the help; a mistyped command or flag names the nearest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init i18n
cd "$SRC"
T=(--tenant fixtures/tenants/demo.json --zones fixtures/zones --now 2026-12-01T00:00:00Z)

# english_lines TEXT: the lines of TEXT that still read as English: after dropping code spans,
# quoted strings, identifiers (anything with . : _ / = - @ or a digit), <placeholders> and
# product names, two or more English function words remain.
english_lines() {
  sed -e 's/`[^`]*`//g' -e 's/"[^"]*"//g' -e 's/<[^>]*>//g' \
      -e 's/Microsoft 365//g; s/Skype for Business//g; s/Office 365//g; s/Cloud Deutschland//g' <<<"$1" |
    tr -s ' ' |
    awk '{
      n = 0
      for (i = 1; i <= NF; i++) {
        w = tolower($i); gsub(/[,;()!?]/, "", w)
        if (w ~ /[.:_\/=@0-9-]/) continue
        if (w ~ /^(the|and|with|before|after|when|still|every|this|that|from|has|been|which|must|will|cannot|should|for|not|yet|only|are|its|their|your|you|to|it|be|no|can|then|once|there|what|where|how|why|done|open)$/) n++
      }
      if (n >= 2) print
    }'
}

assert_dutch() {  # NAME TEXT
  local leaks
  leaks=$(english_lines "$2")
  [[ -z $leaks ]] || fail "$1: English left in Dutch output:"$'\n'"$(head -n 10 <<<"$leaks")"
}

# The heuristic itself: it finds English, and lets Dutch with identifiers through.
[[ -n $(english_lines "waiting for the change: still at Microsoft 365") ]] || fail "english_lines misses English"
[[ -z $(english_lines "wacht op update-mx:contoso.com (offboard ack notify-users --by NAAM)") ]] ||
  fail "english_lines flags Dutch"

# --- Dutch, every human format -------------------------------------------------------------
for lang in "--lang nl" "LANG=nl_NL.UTF-8"; do
  if [[ $lang == --lang* ]]; then run=("$OFFBOARD" $lang); envs=(env -u LANG -u LC_ALL -u LANGUAGE); else run=("$OFFBOARD"); envs=(env -u LC_ALL -u LANGUAGE "$lang"); fi
  rm -f "$WORK/nl.db"
  out=$("${envs[@]}" "${run[@]}" check contoso.com fabrikam.com tailspintoys.com wingtiptoys.com --zones fixtures/zones || true)
  assert_contains "$out" "wijst"
  assert_dutch "check ($lang)" "$out"
  for f in text markdown html; do
    out=$("${envs[@]}" "${run[@]}" plan "${T[@]}" --state "$WORK/nl.db" --format $f || true)
    assert_contains "$out" "Microsoft 365"
    assert_dutch "plan --format $f ($lang)" "$out"
  done
  out=$("${envs[@]}" "${run[@]}" plan "${T[@]}" --state "$WORK/nl.db" --verbose || true)
  assert_contains "$out" "waarom:"
  assert_dutch "plan --verbose ($lang)" "$out"
  out=$("${envs[@]}" "${run[@]}" gate "${T[@]}" --state "$WORK/nl.db" || true)
  assert_contains "$out" "Kunnen nog niet beginnen"
  assert_dutch "gate ($lang)" "$out"
  err=$("${envs[@]}" "${run[@]}" chek 2>&1 || true)
  assert_contains "$err" "bedoelt u 'check'"
done

# --- the errors and warnings of bad input, in Dutch ---------------------------------------
# Each command is run with --lang en and --lang nl: every line of its stderr must differ between
# the two (a sentence left English reads the same in both), and the Dutch holds no English.
printf '%s\n' 'a..b' 'foo bar.com' 'foo_x.com' 'x.local' '10.0.0.1' >"$WORK/bad.txt"
printf '# comments only\n\n' >"$WORK/blank.txt"
printf '%s\n' contoso.com >"$WORK/one.txt"
# Tenant files: a key twice (in two cases), a consumer plan, a number for a domain, an unknown
# key, a file cut short, a second default domain, a page of a paged Graph export.
printf '{"domains": ["contoso.com"], "Domains": []}' >"$WORK/t-dup.json"
printf '{"domains": ["contoso.com"], "subscriptions": [{"kind": "Family"}]}' >"$WORK/t-family.json"
printf '{"domains": [1]}' >"$WORK/t-number.json"
printf '{"domains": ["contoso.com"], "colour": 1}' >"$WORK/t-key.json"
printf '{"domains": [' >"$WORK/t-cut.json"
printf '{"value": [{"id": "a.com", "isDefault": true}, {"id": "b.com", "isDefault": true}]}' >"$WORK/t-default.json"
printf '{"value": [{"id": "a.com"}], "@odata.nextLink": "https://graph.microsoft.com/v1.0/domains?$skiptoken=x"}' >"$WORK/t-page.json"
bad_input=(
  "scan $WORK/bad.txt --zones fixtures/zones"
  "scan $WORK/blank.txt --zones fixtures/zones"
  "scan $WORK/one.txt --zones fixtures/zones --shard 3/4"
  "scan $WORK/one.txt --zones fixtures/zones --shard 4/4"
  "scan $WORK --zones fixtures/zones"
  "scan $WORK/none.txt --zones fixtures/zones"
  "check contoso.com --zones $WORK/none"
  "check contoso.com --zones fixtures/zones --resolver 127.0.0.1"
  "check foo..com --zones fixtures/zones"
  "plan --zones fixtures/zones --state $WORK/x.db"
  "plan --tenant fixtures/tenants/demo.json contoso.com --zones fixtures/zones --state $WORK/x.db"
  "plan contoso.com --new-ns ns1 --zones fixtures/zones --state $WORK/x.db"
  "ack confirm-admin-role --by '' --state $WORK/x.db"
  "ack confirm-admin-role --by me --note $'a\tb' --state $WORK/x.db"
)
for t in dup family number key cut default page; do
  bad_input+=("plan --tenant $WORK/t-$t.json --zones fixtures/zones --state $WORK/x.db")
done
# Zone files: a parenthesis left open, a TTL that is not one, a record outside the zone, two SOA
# records, a class other than IN, an empty directory.
soa='@ 60 IN SOA ns.example.com. admin.example.com. 1 2 3 4 5'
for z in paren ttl outside soa2 class empty; do mkdir -p "$WORK/z-$z"; done
printf '%s\n' '@ 60 IN SOA ns.example.com. admin.example.com. ( 1 2 3 4 5' >"$WORK/z-paren/example.com.zone"
printf '%s\n' '$TTL 5x' "$soa" >"$WORK/z-ttl/example.com.zone"
printf '%s\n' "$soa" 'www.example.org. 60 IN A 192.0.2.1' >"$WORK/z-outside/example.com.zone"
printf '%s\n' "$soa" "${soa/ 1 2 / 9 2 }" >"$WORK/z-soa2/example.com.zone"
printf '%s\n' "$soa" 'www 60 CH A 192.0.2.1' >"$WORK/z-class/example.com.zone"
for z in paren ttl outside soa2 class empty; do bad_input+=("check example.com --zones $WORK/z-$z"); done
for cmd in "${bad_input[@]}"; do
  en=$(eval "env -u LANG -u LC_ALL -u LANGUAGE \"\$OFFBOARD\" --lang en $cmd" 2>&1 >/dev/null || true)
  nl=$(eval "env -u LANG -u LC_ALL -u LANGUAGE \"\$OFFBOARD\" --lang nl $cmd" 2>&1 >/dev/null || true)
  [[ -n $en ]] || fail "$cmd: no error at all"
  ((($(wc -l <<<"$en")) == $(wc -l <<<"$nl"))) || fail "$cmd: the Dutch has other lines than the English:"$'\n'"$en"$'\n'"$nl"
  same=$(paste -d '\n' <(printf '%s\n' "$en") <(printf '%s\n' "$nl") | awk 'NR % 2 { e = $0; next } $0 == e')
  [[ -z $same ]] || fail "$cmd: left in English with --lang nl: $same"
  assert_dutch "$cmd" "$nl"
done

# English by the flag, and by a C locale whatever LANGUAGE says (gettext's rule).
out=$(LANG=nl_NL.UTF-8 "$OFFBOARD" --lang en plan "${T[@]}" --state "$WORK/en.db" || true)
assert_contains "$out" "Summary"
out=$(LC_ALL=C LANGUAGE=nl "$OFFBOARD" plan "${T[@]}" --state "$WORK/en.db" || true)
assert_contains "$out" "Summary"
assert_exit 2 "$OFFBOARD" --lang fr plan "${T[@]}" --state "$WORK/en.db"

# --- identifiers and machine formats do not change with the language ------------------------
for cmd in "plan --format json" "gate --format json" "gate --format junit" "gate --format sarif"; do
  rm -f "$WORK/a.db" "$WORK/b.db"
  en=$("$OFFBOARD" --lang en $cmd "${T[@]}" --state "$WORK/a.db" || true)
  nl=$("$OFFBOARD" --lang nl $cmd "${T[@]}" --state "$WORK/b.db" || true)
  [[ -n $en && $en == "$nl" ]] || fail "$cmd differs between --lang en and --lang nl"
done

# --- a terminal --------------------------------------------------------------------------
# on_tty VAR=VALUE... -- CMD...: CMD's output through a pseudo-terminal of 80 columns.
on_tty() {
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" script -qec "stty cols 80 rows 50; $(printf '%q ' "$@")" /dev/null | tr -d '\r' || true
}
# longest_line: the longest line of stdin, in characters (not bytes: "—" is one column).
longest_line() { python3 -c 'import sys; print(max((len(l.rstrip("\n")) for l in sys.stdin), default=0))'; }
command -v script >/dev/null || fail "script(1) (bsdutils) is needed for the terminal tests"
rm -f "$WORK/t.db"
out=$(on_tty TERM=xterm -- "$OFFBOARD" plan "${T[@]}" --state "$WORK/t.db")
[[ $out == *$'\e['* ]] || fail "no colour on a terminal"
longest=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$out" | longest_line)
((longest <= 80)) || fail "plan on an 80-column terminal has a line of $longest characters"
out=$(on_tty TERM=xterm NO_COLOR=1 -- "$OFFBOARD" plan "${T[@]}" --state "$WORK/t.db")
[[ $out != *$'\e['* ]] || fail "NO_COLOR ignored"
out=$(on_tty TERM=dumb -- "$OFFBOARD" gate "${T[@]}" --state "$WORK/t.db")
[[ $out != *$'\e['* ]] || fail "TERM=dumb ignored"
out=$(on_tty TERM=xterm NO_COLOR= -- "$OFFBOARD" check contoso.com --zones fixtures/zones)
[[ $out == *$'\e['* ]] || fail "an empty NO_COLOR turned colour off (no-color.org: only when not empty)"
out=$(on_tty TERM=xterm NO_COLOR=1 -- "$OFFBOARD" check contoso.com --zones fixtures/zones --color always)
[[ $out == *$'\e['* ]] || fail "--color always lost to NO_COLOR"
# scan with stdout and stderr on one terminal: every JSON line starts on a line of its own (the
# progress bar is erased before it), and each is a whole JSON object.
printf '%s\n' contoso.com fabrikam.com tailspintoys.com wingtiptoys.com >"$WORK/domains.txt"
raw=$(on_tty TERM=xterm -- "$OFFBOARD" scan "$WORK/domains.txt" --zones fixtures/zones)
json_lines=0
while IFS= read -r line; do
  [[ $line == *'{"'* ]] || continue
  shown=${line##*$'\e[K'}  # what the terminal shows after the last erase
  [[ $shown == '{'* && $shown != *$'\r'* ]] || fail "a scan line shares the terminal line with the progress bar: $line"
  python3 -c 'import json,sys; json.loads(sys.argv[1])' "$shown" || fail "not a JSON object: $shown"
  json_lines=$((json_lines + 1))
done <<<"$raw"
((json_lines == 4)) || fail "scan on a terminal printed $json_lines JSON lines, not 4"
assert_contains "$raw" "4 domains in"

# Not a terminal: whole lines (a script or a diff sees one line per item).
out=$("$OFFBOARD" plan "${T[@]}" --state "$WORK/t.db" || true)
longest=$(longest_line <<<"$out")
((longest > 120)) || fail "plan to a pipe was wrapped (longest line $longest)"

# --- the summary first; gate groups what cannot start ----------------------------------------
head=$(head -n 12 <<<"$out")
assert_contains "$head" "Summary"
assert_contains "$head" "contoso.com still points at Microsoft 365"
assert_contains "$head" "Can be done now (1 step):"
assert_contains "$head" "confirm-admin-role"
assert_contains "$out" "When the gate can pass is not known yet"
verbose=$("$OFFBOARD" plan "${T[@]}" --state "$WORK/t.db" --verbose || true)
assert_contains "$verbose" "why:"
assert_not_contains "$out" "       why:"
gate=$("$OFFBOARD" gate "${T[@]}" --state "$WORK/t.db" || true)
assert_contains "$gate" "Cannot start yet (26 steps"
# A step that can start now is listed with its why, not in the group.
assert_contains "$gate" "confirm-admin-role: not acknowledged yet"

# --- history: changes (old → new) by default; --all, --domain, --since ----------------------
H=(--tenant fixtures/tenants/demo.json --state "$WORK/h.db")
rm -f "$WORK/h.db"
"$OFFBOARD" plan "${H[@]}" --zones fixtures/zones --now 2026-12-01T00:00:00Z >/dev/null || true
"$OFFBOARD" plan "${H[@]}" --zones fixtures/zones --now 2026-12-01T01:00:00Z >/dev/null || true
rm -rf "$WORK/z2" && cp -r fixtures/zones "$WORK/z2"
sed -i 's/0 fabrikam-com.mail.protection.outlook.com./0 mx1.newmail.example./' "$WORK/z2/fabrikam.com.zone"
"$OFFBOARD" plan "${H[@]}" --zones "$WORK/z2" --now 2026-12-01T02:00:00Z >/dev/null || true
out=$("$OFFBOARD" history --state "$WORK/h.db")
assert_not_contains "$out" "unchanged"
assert_contains "$out" "MX fabrikam.com.: 0 fabrikam-com.mail.protection.outlook.com. → 0 mx1.newmail.example."
assert_contains "$out" "--all shows them"
out=$("$OFFBOARD" history --state "$WORK/h.db" --all)
assert_contains "$out" "2026-12-01T01:00:00Z  observe contoso.com  19 observations, unchanged"
out=$("$OFFBOARD" history --state "$WORK/h.db" --all --domain fabrikam.com)
assert_contains "$out" "observe fabrikam.com"
assert_not_contains "$out" "contoso.com"
out=$("$OFFBOARD" history --state "$WORK/h.db" --since 2026-12-01T01:30:00Z)
assert_not_contains "$out" "2026-12-01T00:00:00Z"
assert_contains "$out" "2026-12-01T02:00:00Z  observe fabrikam.com"
assert_exit 2 "$OFFBOARD" history --state "$WORK/h.db" --since yesterday
assert_contains "$ERR" "--since 'yesterday'"

# --- help and near misses ------------------------------------------------------------------
assert_exit 2 "$OFFBOARD"
assert_contains "$OUT" "Usage: offboard"
assert_exit 2 "$OFFBOARD" chek contoso.com
assert_contains "$ERR" "did you mean 'check'"
assert_exit 2 "$OFFBOARD" check contoso.com --zone fixtures/zones
assert_contains "$ERR" "did you mean '--zones'"
assert_exit 2 "$OFFBOARD" histroy
assert_contains "$ERR" "'history'"
echo "i18n: ok"
