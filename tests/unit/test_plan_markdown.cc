// The Markdown runbook (`plan --format markdown`): a top-down Mermaid graph with a subgraph per
// domain, commands as code spans that render as code (CommonMark §6.1: nothing inside a code
// span is escaped), short table cells with each step's details below the tables (SPEC §4).
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "pipeline/pipeline.h"
#include "plan_text.h"
#include "render/plan_render.h"
#include "resolvers/zone_resolver.h"
#include "tenant/tenant.h"
#include "time/time_text.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

const std::string kZones = std::string(OFFBOARD_SOURCE_DIR) + "/fixtures/zones";

std::string fileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The plan of a tenant file's text, from the fixture zones (offline, no state), at 2026-12-01T09:00Z.
Plan planOf(const std::string& tenantJson) {
  std::string err;
  auto tenant = parseTenant(tenantJson, "tenant.json", &err);
  INFO(err);
  REQUIRE(tenant.has_value());
  auto zones = ZoneResolver::load(kZones, &err);
  INFO(err);
  REQUIRE(zones);
  auto now = parseRfc3339("2026-12-01T09:00:00Z");
  REQUIRE(now);
  PipelineRun run{*tenant, *zones, nullptr, EvidenceInfo{EvidenceSource::Zones, {"fixtures/zones"}, false}, false, *now,
                  [](const std::vector<std::string>&) { return std::unique_ptr<Resolver>(); }, false};
  auto plan = runPipeline(run);
  REQUIRE(plan.isOk());
  return std::move(plan).value();
}

Plan demoPlan() { return planOf(fileText(std::string(OFFBOARD_SOURCE_DIR) + "/fixtures/tenants/demo.json")); }

// Eight domains in every state the fixtures have, one of them an IDN given as its U-label.
Plan eightDomainPlan() {
  return planOf(R"({"tenant": "contoso.onmicrosoft.com", "cloud": "worldwide",
    "subscriptions": [{"name": "Microsoft 365 Business Premium", "kind": "business", "assigned_licenses": 30, "cancel": true}],
    "domains": ["contoso.com", "fabrikam.com", "tailspintoys.com", "wingtiptoys.com", "relecloud.com",
                "northwindtraders.com", "bücher.example", "lucernepublishing.com"],
    "new_mail": {"mx": [{"host": "mx1.newmail.example", "preference": 10}], "spf_include": "_spf.newmail.example"},
    "new_dns": {"nameservers": ["ns1.newdns.example", "ns2.newdns.example"]},
    "cutover": "2026-12-15"})");
}

// The demo plan with an ack made out of order (its state names the command to run again, bare)
// and a waiver whose reason has backticks and a table's `|`.
Plan troubledPlan() {
  Plan p = demoPlan();
  for (auto& s : p.steps) {
    if (s.id.str() == "backup-data") {
      s.ack = AckRow{"backup-data", "bob", "saved", p.now - 60, 1};
      s.ackOutOfOrder = true;
      s.state = StepState{Reason::AckOutOfOrder, "bob", "", "", p.now - 60};
      s.state.step = StepId::parse("wait-propagation:contoso.com");
    }
    if (s.id.str() == "remove-domain:fabrikam.com") {
      s.status = StepStatus::Waived;
      s.waiver = WaiverRow{"remove-domain:fabrikam.com", "carol", "kept for `mail|relay` until ``later``", p.now - 60, 2};
    }
  }
  return p;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The Markdown outside fenced blocks (```… or longer fences), line by line.
std::vector<std::string> proseLines(const std::string& md) {
  std::vector<std::string> out;
  std::string fence;
  for (const auto& l : lines(md)) {
    std::size_t ticks = 0;
    while (ticks < l.size() && l[ticks] == '`') ++ticks;
    if (fence.empty() && ticks >= 3) {
      fence.assign(ticks, '`');
    } else if (!fence.empty()) {
      if (ticks >= fence.size() && l.find_first_not_of('`') == std::string::npos) fence.clear();
    } else {
      out.push_back(l);
    }
  }
  return out;
}

// The fenced block whose info string is `info`.
std::string fenced(const std::string& md, const std::string& info) {
  std::size_t at = md.find("```" + info + "\n");
  REQUIRE(at != std::string::npos);
  at += 4 + info.size();
  std::size_t end = md.find("\n```\n", at);
  REQUIRE(end != std::string::npos);
  return md.substr(at, end - at);
}

// One line split as CommonMark reads inline code (§6.1): a run of N backticks opens a code span
// that the next run of exactly N closes; a backslash outside code escapes the next character; an
// unmatched run is literal. Returns the code spans' contents; `prose` gets the rest.
std::vector<std::string> codeSpans(const std::string& line, std::string* prose) {
  std::vector<std::string> spans;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      *prose += line.substr(i, 2);
      i += 2;
      continue;
    }
    if (line[i] != '`') {
      *prose += line[i++];
      continue;
    }
    std::size_t n = 0;
    while (i + n < line.size() && line[i + n] == '`') ++n;
    std::size_t close = std::string::npos;
    for (std::size_t j = i + n; j < line.size();) {
      if (line[j] != '`') {
        ++j;
        continue;
      }
      std::size_t m = 0;
      while (j + m < line.size() && line[j + m] == '`') ++m;
      if (m == n) {
        close = j;
        break;
      }
      j += m;
    }
    if (close == std::string::npos) {
      *prose += line.substr(i, n);
      i += n;
      continue;
    }
    std::string content = line.substr(i + n, close - i - n);
    if (content.size() >= 2 && content.front() == ' ' && content.back() == ' ' &&
        content.find_first_not_of(' ') != std::string::npos)
      content = content.substr(1, content.size() - 2);
    spans.push_back(content);
    i = close + n;
  }
  return spans;
}

// A table row's cells (outside code spans, `\|` does not split).
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cur;
  bool inCode = false;
  for (std::size_t i = 1; i < row.size(); ++i) {
    char c = row[i];
    if (c == '\\' && i + 1 < row.size() && !inCode) {
      cur += row.substr(i++, 2);
      continue;
    }
    if (c == '`') inCode = !inCode;
    if (c == '|' && !inCode) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  for (auto& cell : out) {
    cell.erase(0, cell.find_first_not_of(' '));
    cell.erase(cell.find_last_not_of(' ') + 1);
  }
  return out;
}

std::size_t chars(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::set<std::string> domainsOf(const Plan& p) {
  std::set<std::string> out;
  for (const auto& s : p.steps)
    if (s.id.domain) out.insert(s.id.domain->toStringNoDot());
  return out;
}

const std::regex kCommand(R"(offboard (ack|waive|revoke|gate|plan|check|scan|status|history|catalogue)\b)");

// Every assertion of this file, for one plan.
void checkRunbook(const Plan& p) {
  const std::string md = renderPlanMarkdown(p);
  const auto domains = domainsOf(p);
  REQUIRE(domains.size() >= 2);

  SUBCASE("the Mermaid graph runs top-down with one subgraph per domain, each holding its domain's steps") {
    const auto graph = lines(fenced(md, "mermaid"));
    REQUIRE(!graph.empty());
    CHECK(graph.front() == "flowchart TD");
    std::size_t subgraphs = 0, depth = 0, nodes = 0;
    std::set<std::string> titled;
    const std::regex subgraph(R"re(^\s*subgraph d\d+ \["([^"]*)"\]$)re");
    const std::regex node(R"re(^\s*s\d+\["[^"]*"\]:::(done|open|waived|indeterminate)$)re");
    std::string within;
    std::map<std::string, std::size_t> perDomain;
    for (const auto& l : graph) {
      std::smatch m;
      if (std::regex_match(l, m, subgraph)) {
        ++subgraphs;
        ++depth;
        within = m[1];
        titled.insert(within);
      } else if (l == "  end") {
        REQUIRE(depth == 1);
        --depth;
        within.clear();
      } else if (std::regex_match(l, node)) {
        ++nodes;
        if (!within.empty()) ++perDomain[within];
      }
    }
    CHECK(depth == 0);
    CHECK(subgraphs == domains.size());
    CHECK(nodes == p.steps.size());
    // Each subgraph is titled with its domain as shown, and holds exactly that domain's steps.
    for (const auto& d : domains) {
      std::string shown;
      std::size_t count = 0;
      for (const auto& s : p.steps)
        if (s.id.domain && s.id.domain->toStringNoDot() == d) {
          shown = s.domainShown.empty() ? d : s.domainShown;
          ++count;
        }
      CAPTURE(d);
      CHECK(titled.count(shown) == 1);
      CHECK(perDomain[shown] == count);
    }
  }

  SUBCASE("every offboard command is in a code span, and no code span holds a backslash") {
    std::vector<std::string> spans;
    std::string prose;
    for (const auto& l : proseLines(md)) {
      auto s = codeSpans(l, &prose);
      spans.insert(spans.end(), s.begin(), s.end());
      prose += "\n";
    }
    for (const auto& s : spans) {
      CAPTURE(s);
      CHECK(s.find('\\') == std::string::npos);
    }
    std::smatch m;
    bool bare = std::regex_search(prose, m, kCommand);
    CHECK_MESSAGE(!bare, "a command outside a code span: " << (bare ? m.str() : std::string()));
    // No literal backtick pair left in prose: they were all code spans or escaped.
    CHECK(prose.find("\\`offboard") == std::string::npos);
    // Each command the steps name is a code span of its own, whole.
    std::set<std::string> commands;
    for (const auto& s : spans)
      if (std::regex_search(s, kCommand)) commands.insert(s);
    for (const auto& s : p.steps) {
      CAPTURE(s.id.str());
      const std::string verify = verifyText(s);
      if (verify.find("`offboard ack ") != std::string::npos)
        CHECK(commands.count("offboard ack " + std::string(actionName(s.id.action)) + " --by NAME") == 1);
    }
    CHECK(commands.count("offboard gate") == 1);
  }

  SUBCASE("every table cell is short, and each step's why, verify and changes come below the tables") {
    std::size_t rows = 0;
    std::size_t lastTable = 0, firstWhy = std::string::npos, whys = 0, i = 0;
    for (const auto& l : proseLines(md)) {
      ++i;
      if (l.rfind("- **why:** ", 0) == 0) {
        ++whys;
        firstWhy = std::min(firstWhy, i);
      }
      if (l.empty() || l[0] != '|') continue;
      lastTable = i;
      ++rows;
      for (const auto& c : cells(l)) {
        CAPTURE(l);
        CHECK(chars(c) <= 80);
      }
    }
    CHECK(rows >= p.steps.size() + 2);  // the steps' table, its header and rule
    CHECK(whys == p.steps.size());
    CHECK(lastTable < firstWhy);
  }

  SUBCASE("every step id appears, in a code span, in the table and in its heading") {
    for (std::size_t i = 0; i < p.steps.size(); ++i) {
      const std::string id = p.steps[i].id.str();
      CAPTURE(id);
      CHECK(md.find(" | `" + id + "` | ") != std::string::npos);
      CHECK(md.find("\n### " + std::to_string(i + 1) + ". `" + id + "` — ") != std::string::npos);
    }
  }
}

}  // namespace

TEST_CASE("the demo tenant's Markdown runbook") { checkRunbook(demoPlan()); }

TEST_CASE("an eight-domain tenant's Markdown runbook") { checkRunbook(eightDomainPlan()); }

TEST_CASE("a Markdown runbook with an ack out of order and a waiver with backticks") {
  const Plan p = troubledPlan();
  checkRunbook(p);
  const std::string md = renderPlanMarkdown(p);
  // The command the ack's state names bare is a code span; so are the waiver's code spans, read
  // as CommonMark reads them (a run of two backticks closed by the next run of two).
  CHECK(md.find("(`offboard ack backup-data --by NAME`)") != std::string::npos);
  CHECK(md.find("kept for `mail|relay` until `later`") != std::string::npos);
}

TEST_CASE("a code span's fence is longer than any backtick run inside it, and nothing in it is escaped") {
  Plan p = demoPlan();
  // A note's text reaches the runbook as the tenant import wrote it.
  PlanNote n;
  n.kind = PlanNote::Kind::Skipped;
  n.text = "run ``offboard plan --format json | jq '.steps[] | `id`'`` first";
  p.notes.push_back(n);
  const std::string md = renderPlanMarkdown(p);
  std::string prose;
  std::set<std::string> spans;
  for (const auto& l : proseLines(md))
    for (const auto& s : codeSpans(l, &prose)) spans.insert(s);
  // Outside a table a `|` in a code span is harmless; the backticks inside need a fence of two.
  CHECK(spans.count("offboard plan --format json | jq '.steps[] | `id`'") == 1);
  CHECK(md.find("``offboard plan --format json | jq '.steps[] | `id`'``") != std::string::npos);
}
