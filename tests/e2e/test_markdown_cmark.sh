#!/usr/bin/env bash
# offboard plan --format markdown, rendered by a CommonMark implementation (cmark-gfm, GitHub's,
# with its table extension) for the demo tenant and for a tenant of eight domains: the Mermaid
# block is a top-down flowchart with one subgraph per domain; every `offboard …` command and
# every step id of `plan --format json` comes out as <code>, and no command is left in plain text
# (nor a backtick, the sign of a broken code span); every table cell is at most 80 characters.
# Needs no DNS server and no root. Without cmark-gfm (Debian package "cmark-gfm", scripts/deps.sh)
# the test is skipped (77), or fails under CI=true.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init markdown_cmark

if ! command -v cmark-gfm >/dev/null 2>&1; then
  if [[ "${CI:-}" == true ]]; then fail "cmark-gfm is not installed (scripts/deps.sh)"; fi
  echo "SKIP [$E2E_NAME]: cmark-gfm is not installed (scripts/deps.sh)" >&2
  exit 77
fi
command -v jq >/dev/null 2>&1 || fail "jq is not installed (scripts/deps.sh)"
command -v python3 >/dev/null 2>&1 || fail "python3 is not installed (scripts/deps.sh)"

# The rendered HTML, read by Python's HTML parser: one line per finding, empty when all is well.
cat >"$WORK/inspect.py" <<'PY'
import html.parser, json, re, sys

page, plan = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2], encoding="utf-8"))
COMMAND = re.compile(r"offboard (ack|waive|revoke|gate|plan|check|scan|status|history|catalogue)\b")

class Reader(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.codes, self.cells, self.plain, self.cell = [], [], [], [], None
        self.mermaid, self.mermaid_done = None, False
    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag == "code" and "pre" in self.stack[:-1] and dict(attrs).get("class") == "language-mermaid":
            self.mermaid = ""
        if tag in ("td", "th"):
            self.cell = ""
        if tag == "code":
            self.codes.append("")
    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass
        if tag == "pre" and self.mermaid is not None:
            self.mermaid_done = True
        if tag in ("td", "th") and self.cell is not None:
            self.cells.append(self.cell.strip())
            self.cell = None
    def handle_data(self, data):
        if self.mermaid is not None and "pre" in self.stack and not self.mermaid_done:
            self.mermaid += data
        if self.cell is not None:
            self.cell += data
        if "code" in self.stack:
            self.codes[-1] += data
        elif "pre" not in self.stack:
            self.plain.append(data)

r = Reader()
r.feed(page)
problems = []
if r.mermaid is None:
    problems.append("no <pre><code class=\"language-mermaid\"> block")
else:
    graph = r.mermaid.splitlines()
    if not graph or graph[0] != "flowchart TD":
        problems.append("the Mermaid block does not start with flowchart TD: %r" % graph[:1])
    domains = {s["domain"] for s in plan["steps"] if "domain" in s}
    subgraphs = [l for l in graph if l.strip().startswith("subgraph ")]
    if len(subgraphs) != len(domains):
        problems.append("%d subgraphs for %d domains" % (len(subgraphs), len(domains)))
plain = "".join(r.plain)
for m in COMMAND.finditer(plain):
    problems.append("a command outside <code>: %r" % plain[max(0, m.start() - 30):m.end() + 30])
if "`" in plain:
    i = plain.index("`")
    problems.append("a literal backtick in the text: %r" % plain[max(0, i - 40):i + 40])
codes = set(r.codes)
for s in plan["steps"]:
    if s["id"] not in codes:
        problems.append("step %s is never <code>" % s["id"])
    for cmd in re.findall(r"`(offboard [^`]*)`", s["verify"]):
        if cmd not in codes:
            problems.append("command %r of %s is not a <code> of its own" % (cmd, s["id"]))
for c in r.cells:
    if len(c) > 80:
        problems.append("a table cell of %d characters: %r" % (len(c), c[:100]))
print("cells %d, longest %d, code spans %d" % (len(r.cells), max([len(c) for c in r.cells] or [0]), len(r.codes)),
      file=sys.stderr)
print("\n".join(problems))
PY

# check_markdown NAME TENANT: renders TENANT's Markdown runbook and checks it as cmark-gfm shows it.
check_markdown() {
  local name=$1 tenant=$2
  local plan=(plan --tenant "$tenant" --zones fixtures/zones --state "$WORK/$name.db" --now "$NOW")
  note "$name: render the runbook"
  # These tenants still point at Microsoft 365: the plan is not complete (exit 1).
  assert_exit 1 "$OFFBOARD" "${plan[@]}" --format markdown
  cp "$WORK/last.out" "$WORK/$name.md"
  assert_exit 1 "$OFFBOARD" "${plan[@]}" --format json
  cp "$WORK/last.out" "$WORK/$name.json"
  cmark-gfm --unsafe -e table "$WORK/$name.md" >"$WORK/$name.html" || fail "$name: cmark-gfm failed"
  local problems
  problems=$(python3 "$WORK/inspect.py" "$WORK/$name.html" "$WORK/$name.json" 2> >(sed "s/^/--- [$E2E_NAME] $name: /" >&2))
  if [[ -n $problems ]]; then
    printf '%s\n' "$problems" | head -n 25 | sed 's/^/    | /' >&2
    fail "$name: the rendered Markdown has $(wc -l <<<"$problems") problems"
  fi
  E2E_CHECKS=$((E2E_CHECKS + 1))
}

cd "$SRC"
NOW=2026-12-01T09:00:00Z
check_markdown demo fixtures/tenants/demo.json

cp fixtures/tenants/eight-domains.json "$WORK/eight.json"  # every state the fixtures have
check_markdown eight "$WORK/eight.json"
exit 0
