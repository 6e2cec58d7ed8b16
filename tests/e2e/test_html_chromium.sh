#!/usr/bin/env bash
# offboard plan --format html, opened in a real browser: headless Chromium parses the runbook of
# the demo tenant (offline, from fixtures/zones) and of a bigger tenant of eight domains (written
# here), and for each:
# - the file is self-contained (SPEC §4): no script, and nothing fetched from elsewhere (no
#   http(s) src, stylesheet link, CSS url() or @import);
# - every step of `plan --format json` is in the DOM: its section (id="STEP") and its node in the
#   SVG step graph (data-step-id="STEP"), whose label shows the step's action whole (not cut
#   short with an ellipsis);
# - it fits a 1280 px wide window: a copy of the page, with a measuring script appended by this
#   test (never by offboard), reports the page's scrollWidth, every element's right edge, every
#   box whose content overflows it (scrollWidth > clientWidth), every SVG text line that does not
#   fit in its box (its rendered rectangle and getComputedTextLength against the box) or that is
#   drawn smaller than 10 px; all must be within bounds;
# - the demo runbook can be painted (a non-empty PNG screenshot).
# The demo runbook is checked in English and in Dutch (longer words). Needs no DNS server and no
# root. Without Chromium (Debian package "chromium", scripts/deps.sh) the test is skipped (77), or
# fails under CI=true.
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
command -v jq >/dev/null 2>&1 || fail "jq is not installed (scripts/deps.sh)"

# The window the runbook must fit.
VIEW_W=1280
VIEW_H=900

# Headless, and quiet on the network: nothing but the file:// page is loaded. HOME is this test's
# so Chromium's caches and crash database stay in $WORK.
chromium_run() {
  HOME=$WORK/home timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --user-data-dir="$WORK/chrome" \
    --window-size=$VIEW_W,$VIEW_H "$@"
}
mkdir -p "$WORK/home"

# The measuring script, appended to a copy of the page. It writes its findings as JSON into a
# <pre> of its own, which --dump-dom prints. Tolerance: half a pixel (sub-pixel layout).
cat >"$WORK/measure.js" <<'JS'
(function () {
  var W = VIEW_W, EPS = 0.5;
  var r = { viewport: window.innerWidth, clientWidth: document.documentElement.clientWidth,
            scrollWidth: document.documentElement.scrollWidth, maxRight: 0, widest: "",
            widestBox: 0, widestBoxName: "", widestSvg: 0, outside: [], overflowing: [], svgText: [],
            small: [], labels: [] };
  function name(e) {
    var s = e.tagName.toLowerCase(), c = e.getAttribute("class");
    if (e.id) s += "#" + e.id;
    if (c) s += "." + c.trim().split(/\s+/).join(".");
    var step = e.closest("[data-step-id]");
    if (step) s += "[" + step.getAttribute("data-step-id") + "]";
    return s;
  }
  var all = document.body.querySelectorAll("*");
  for (var i = 0; i < all.length; i++) {
    var e = all[i], b = e.getBoundingClientRect();
    if (b.width === 0 && b.height === 0) continue;
    if (b.right > r.maxRight) { r.maxRight = b.right; r.widest = name(e); }
    if (b.width > r.widestBox) { r.widestBox = b.width; r.widestBoxName = name(e); }
    if (e.tagName.toLowerCase() === "svg") r.widestSvg = Math.max(r.widestSvg, b.width);
    if (b.right > W + EPS || b.left < -EPS)
      r.outside.push(name(e) + " spans " + Math.round(b.left) + ".." + Math.round(b.right));
    // HTML boxes: content wider (or taller, when clipped) than the box itself.
    if (!(e instanceof SVGElement) && e.clientWidth > 0) {
      var ov = getComputedStyle(e);
      if (e.scrollWidth > e.clientWidth + 1)
        r.overflowing.push(name(e) + " content " + e.scrollWidth + " > box " + e.clientWidth + " (overflow-x " + ov.overflowX + ")");
      if (ov.overflowY !== "visible" && e.scrollHeight > e.clientHeight + 1)
        r.overflowing.push(name(e) + " content height " + e.scrollHeight + " > box " + e.clientHeight);
    }
  }
  // SVG text: each line inside its box (the <rect> of its group, else its <svg>), by the
  // rendered rectangle and by its computed length in the box's own units; and readable.
  var texts = document.querySelectorAll("svg text, svg tspan");
  for (var j = 0; j < texts.length; j++) {
    var t = texts[j];
    if (t.tagName.toLowerCase() === "text" && t.querySelector("tspan")) {
      var tb0 = t.getBoundingClientRect();
      var g0 = t.closest("g"), box0 = g0 && g0.querySelector(":scope > rect");
      var c0 = (box0 || t.ownerSVGElement).getBoundingClientRect();
      if (tb0.left < c0.left - EPS || tb0.right > c0.right + EPS || tb0.top < c0.top - EPS || tb0.bottom > c0.bottom + EPS)
        r.svgText.push(name(t) + " [" + t.textContent + "] outside its box");
      continue;
    }
    if (!t.textContent.trim()) continue;
    var tb = t.getBoundingClientRect(), g = t.closest("g"), box = g && g.querySelector(":scope > rect");
    var c = (box || t.ownerSVGElement).getBoundingClientRect();
    if (tb.left < c.left - EPS || tb.right > c.right + EPS || tb.top < c.top - EPS || tb.bottom > c.bottom + EPS)
      r.svgText.push(name(t) + " [" + t.textContent + "] spans x " + Math.round(tb.left) + ".." + Math.round(tb.right) +
                     " y " + Math.round(tb.top) + ".." + Math.round(tb.bottom) + ", its box x " + Math.round(c.left) +
                     ".." + Math.round(c.right) + " y " + Math.round(c.top) + ".." + Math.round(c.bottom));
    if (box) {
      var len = t.getComputedTextLength(), bw = box.width.baseVal.value;
      if (len > bw + EPS) r.svgText.push(name(t) + " [" + t.textContent + "] is " + Math.round(len) + " long in a box of " + Math.round(bw));
    }
    var m = t.getScreenCTM(), px = parseFloat(getComputedStyle(t).fontSize) * (m ? Math.abs(m.a) : 1);
    if (px < 10) r.small.push(name(t) + " [" + t.textContent + "] drawn at " + px.toFixed(1) + " px");
  }
  // Graph nodes: the visible label (all its lines, without spaces) holds the whole action.
  var nodes = document.querySelectorAll("svg [data-step-id]");
  for (var k = 0; k < nodes.length; k++) {
    var id = nodes[k].getAttribute("data-step-id"), action = id.split(":")[0];
    var shown = "", ts = nodes[k].querySelectorAll("text");
    for (var q = 0; q < ts.length; q++) shown += ts[q].textContent.replace(/\s+/g, "");
    if (shown.indexOf(action) < 0 || shown.indexOf("\u2026") >= 0) r.labels.push(id + ": label [" + shown + "]");
  }
  var pre = document.createElement("pre");
  pre.setAttribute("data-measure", "");
  // The markers are split so that this source, also in the DOM, does not match them.
  pre.textContent = "MEAS" + "URE" + JSON.stringify(r) + "ERUS" + "AEM";
  document.body.appendChild(pre);
})();
JS
sed -i "s/VIEW_W/$VIEW_W/" "$WORK/measure.js"

# check_runbook NAME TENANT MIN_STEPS [ARG...]: renders TENANT's runbook (with the extra plan
# arguments) and checks it in Chromium.
check_runbook() {
  local name=$1 tenant=$2 min=$3
  shift 3
  local plan=(plan --tenant "$tenant" --zones fixtures/zones --state "$WORK/$name.db" --now "$NOW" "$@")
  note "$name: render the runbook"
  # These tenants still point at Microsoft 365: the plan is not complete (exit 1).
  assert_exit 1 "$OFFBOARD" "${plan[@]}" --format html
  cp "$WORK/last.out" "$WORK/$name.html"
  local html=$OUT
  assert_exit 1 "$OFFBOARD" "${plan[@]}" --format json
  mapfile -t ids < <(jq -r '.steps[].id' <<<"$OUT")
  ((${#ids[@]} >= min)) || fail "$name: the plan has only ${#ids[@]} steps: ${ids[*]}"
  note "$name: ${#ids[@]} steps in the plan"

  # --- self-contained --------------------------------------------------------------------------
  # Patterns in variables: bash hands them to regcomp as EREs, where a quoted "\<" would be a
  # word boundary, not a "<".
  local ws='[[:space:]]*' re i
  local net="[\"']?$ws(https?:)?//"
  local forbidden=(
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
    if [[ $html =~ $re ]]; then fail "$name: the HTML has ${forbidden[i + 1]}: [${BASH_REMATCH[0]}]"; fi
    E2E_CHECKS=$((E2E_CHECKS + 1))
  done
  shopt -u nocasematch

  # --- the DOM as Chromium built it ------------------------------------------------------------
  chromium_run --dump-dom "file://$WORK/$name.html" >"$WORK/$name.dom.html" 2>"$WORK/$name.dom.err" ||
    { tail -n 20 "$WORK/$name.dom.err" >&2; fail "$name: chromium --dump-dom failed"; }
  local dom svg id
  dom=$(<"$WORK/$name.dom.html")
  assert_contains "$dom" "<svg" "$name: the rendered DOM"
  svg=${dom#*<svg class=\"graph}
  svg=${svg%</svg>*}
  for id in "${ids[@]}"; do
    # The step's own section (the graph's nodes and "after" links point at it) and its node in
    # the graph.
    assert_contains "$dom" "id=\"$id\"" "$name: the rendered DOM (section of step $id)"
    assert_contains "$svg" "data-step-id=\"$id\"" "$name: the rendered SVG graph (node of step $id)"
  done
  # Nothing in the DOM that the plan does not have: every element id is a step of the plan.
  mapfile -t dom_ids < <(grep -o ' id="[^"]*"' "$WORK/$name.dom.html" | sed 's/^ id="//; s/"$//' | sort -u)
  assert_eq "$(printf '%s\n' "${ids[@]}" | sort -u)" "$(printf '%s\n' "${dom_ids[@]}")" \
    "$name: element ids in the DOM vs step ids of the JSON plan"
  # Chromium ran no script (there is none) and the DOM still has no <script after parsing.
  assert_not_contains "$dom" "<script" "$name: the rendered DOM"

  # --- it fits the window ----------------------------------------------------------------------
  { sed 's#</body>##; s#</html>##' "$WORK/$name.html"; printf '<script>\n'; cat "$WORK/measure.js"
    printf '</script>\n</body>\n</html>\n'; } >"$WORK/$name.measure.html"
  chromium_run --dump-dom "file://$WORK/$name.measure.html" >"$WORK/$name.measure.dom" 2>"$WORK/$name.measure.err" ||
    { tail -n 20 "$WORK/$name.measure.err" >&2; fail "$name: chromium --dump-dom (measuring) failed"; }
  local m
  m=$(sed -n 's/.*MEASURE\(.*\)ERUSAEM.*/\1/p' "$WORK/$name.measure.dom" | sed 's/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g')
  [[ -n $m ]] || fail "$name: the measuring script wrote nothing (see $WORK/$name.measure.dom)"
  printf '%s\n' "$m" >"$WORK/$name.measure.json"
  assert_eq "$VIEW_W" "$(jq .viewport <<<"$m")" "$name: window width"
  note "$name: page scrollWidth $(jq .scrollWidth <<<"$m"), rightmost edge $(jq .maxRight <<<"$m") ($(jq -r .widest <<<"$m")), widest box $(jq .widestBox <<<"$m") px ($(jq -r .widestBoxName <<<"$m")), widest SVG $(jq .widestSvg <<<"$m") px"
  local sw
  sw=$(jq .scrollWidth <<<"$m")
  ((sw <= VIEW_W)) || fail "$name: the page scrolls sideways: scrollWidth $sw > $VIEW_W"
  E2E_CHECKS=$((E2E_CHECKS + 1))
  local what list
  for what in outside:"elements whose right edge is beyond $VIEW_W px" \
    overflowing:"boxes whose content overflows them" \
    svgText:"SVG text lines not inside their box" \
    small:"SVG text drawn too small to read" \
    labels:"graph nodes whose label does not show the step's action whole"; do
    list=$(jq -r ".${what%%:*}[]" <<<"$m")
    if [[ -n $list ]]; then
      printf '%s\n' "$list" | head -n 25 | sed 's/^/    | /' >&2
      fail "$name: $(jq ".${what%%:*} | length" <<<"$m") ${what#*:}"
    fi
    E2E_CHECKS=$((E2E_CHECKS + 1))
  done
}

cd "$SRC"
NOW=2026-12-01T09:00:00Z

check_runbook demo fixtures/tenants/demo.json 20
# Dutch words are longer than English ones: the same runbook in Dutch fits too.
check_runbook demo-nl fixtures/tenants/demo.json 20 --lang nl

# A tenant of eight domains in every state the fixtures have: Microsoft-hosted zones (two), mail
# at Microsoft, half done, done, a CNAME chain, an IDN given as its U-label, the newer MX format.
cp fixtures/tenants/eight-domains.json "$WORK/eight.json"  # every state the fixtures have
check_runbook eight "$WORK/eight.json" 40

# --- painted -----------------------------------------------------------------------------------
note "chromium --screenshot"
start=$(date +%s)
rm -f "$WORK/plan.png"
(cd "$WORK" && chromium_run --screenshot="$WORK/plan.png" --window-size=1280,2000 \
  "file://$WORK/demo.html" >"$WORK/chromium-shot.out" 2>"$WORK/chromium-shot.err") ||
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
