#!/usr/bin/env bash
# offboard plan --format html, opened in a real browser: headless Chromium parses the runbook of
# the demo tenant (offline, from fixtures/zones) and must end up with every step of the plan in
# its DOM (each step's section, and its node in the SVG step graph), and must be able to paint
# it (a non-empty PNG screenshot). The file itself must be self-contained (SPEC §4): no script,
# and nothing fetched from elsewhere (no http(s) src, stylesheet link, CSS url() or @import).
# Needs no DNS server and no root. Without Chromium (Debian package "chromium", scripts/deps.sh)
# the test is skipped (77), or fails under CI=true.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init html_chromium

CHROMIUM=${CHROMIUM:-}
if [[ -z $CHROMIUM ]]; then
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then CHROMIUM=$(command -v "$c"); break; fi
  done
fi
if [[ -z $CHROMIUM || ! -x $CHROMIUM ]]; then
  if [[ "${CI:-}" == true ]]; then fail "chromium is not installed (scripts/deps.sh)"; fi
  echo "SKIP [$E2E_NAME]: chromium is not installed (scripts/deps.sh)" >&2
  exit 77
fi

# Headless, and quiet on the network: nothing but the file:// page is loaded. HOME is this test's
# so Chromium's caches and crash database stay in $WORK.
chromium_run() {
  HOME=$WORK/home timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --user-data-dir="$WORK/chrome" "$@"
}
mkdir -p "$WORK/home"

cd "$SRC"
NOW=2026-12-01T09:00:00Z
PLAN=(plan --tenant fixtures/tenants/demo.json --zones fixtures/zones --state "$WORK/state.db" --now "$NOW")

note "render the runbook"
# The demo tenant still points at Microsoft 365: the plan is not complete (exit 1).
assert_exit 1 "$OFFBOARD" "${PLAN[@]}" --format html
cp "$WORK/last.out" "$WORK/plan.html"
html=$OUT
assert_exit 1 "$OFFBOARD" "${PLAN[@]}" --format json
mapfile -t ids < <(grep -o '"id": "[^"]*"' <<<"$OUT" | sed 's/^"id": "//; s/"$//')
((${#ids[@]} >= 20)) || fail "the demo plan has only ${#ids[@]} steps: ${ids[*]}"
note "${#ids[@]} steps in the plan"

# --- self-contained ----------------------------------------------------------------------------
note "no script, no external fetch"
# Patterns in variables: bash hands them to regcomp as EREs, where a quoted "\<" would be a
# word boundary, not a "<".
ws='[[:space:]]*'
net="[\"']?$ws(https?:)?//"
forbidden=(
  "<script" "a <script element"
  "src$ws=$ws$net" "a src loaded from the network"
  "<link[^>]*href$ws=$ws$net" "a stylesheet or icon linked from the network"
  "url\($ws$net" "a CSS url() fetched from the network"
  "@import" "a CSS @import"
  "<(iframe|object|embed|img|video|audio)[[:space:]>]" "an embedded iframe/object/image/media element"
)
shopt -s nocasematch
for ((i = 0; i < ${#forbidden[@]}; i += 2)); do
  re=${forbidden[i]}
  if [[ $html =~ $re ]]; then fail "the HTML has ${forbidden[i + 1]}: [${BASH_REMATCH[0]}]"; fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
done
shopt -u nocasematch

# --- the DOM as Chromium built it --------------------------------------------------------------
note "chromium --dump-dom"
start=$(date +%s)
chromium_run --dump-dom "file://$WORK/plan.html" >"$WORK/dom.html" 2>"$WORK/chromium-dom.err" ||
  { tail -n 20 "$WORK/chromium-dom.err" >&2; fail "chromium --dump-dom failed"; }
dom=$(<"$WORK/dom.html")
assert_contains "$dom" "<svg" "the rendered DOM"
svg=${dom#*<svg}
svg=${svg%%</svg>*}
for id in "${ids[@]}"; do
  # The step's own section (the graph's nodes and "after" links point at it) and its node in
  # the graph (the node's tooltip starts with the step id).
  assert_contains "$dom" "id=\"$id\"" "the rendered DOM (section of step $id)"
  assert_contains "$svg" "<title>$id " "the rendered SVG graph (node of step $id)"
done
# Nothing in the DOM that the plan does not have: every element id is a step of the plan.
mapfile -t dom_ids < <(grep -o ' id="[^"]*"' "$WORK/dom.html" | sed 's/^ id="//; s/"$//' | sort -u)
assert_eq "$(printf '%s\n' "${ids[@]}" | sort -u)" "$(printf '%s\n' "${dom_ids[@]}")" "element ids in the DOM vs step ids of the JSON plan"
# Chromium ran no script (there is none) and the DOM still has no <script after parsing.
assert_not_contains "$dom" "<script" "the rendered DOM"

# --- painted -----------------------------------------------------------------------------------
note "chromium --screenshot"
rm -f "$WORK/plan.png"
(cd "$WORK" && chromium_run --screenshot="$WORK/plan.png" --window-size=1280,2000 \
  "file://$WORK/plan.html" >"$WORK/chromium-shot.out" 2>"$WORK/chromium-shot.err") ||
  { tail -n 20 "$WORK/chromium-shot.err" >&2; fail "chromium --screenshot failed"; }
[[ -s $WORK/plan.png ]] || fail "no screenshot written"
assert_eq $'\x89PNG' "$(head -c 4 "$WORK/plan.png")" "PNG signature"
# IHDR: width and height are the window's.
assert_eq "1280 2000" "$(od -An -tu4 --endian=big -j16 -N8 "$WORK/plan.png" | xargs)" "PNG width and height"
size=$(stat -c %s "$WORK/plan.png")
# A blank 1280x2000 page compresses to a few kilobytes; the runbook's text and graph do not.
((size > 20000)) || fail "the screenshot is suspiciously small ($size bytes): a blank page?"
note "screenshot $size bytes, chromium $(($(date +%s) - start)) s, $E2E_CHECKS checks"
exit 0
