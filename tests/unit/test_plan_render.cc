// Plan and gate renderers: schemas, escaping, self-contained HTML (SPEC §4).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "checks/checks.h"
#include "fake_resolver.h"
#include "plan/gate.h"
#include "plan/observe.h"
#include "plan/planner.h"
#include "render/plan_render.h"

using namespace offboard;
using namespace offboard::testing;
using json = nlohmann::json;

namespace {

constexpr std::int64_t T0 = 1797328800;  // 2026-12-15T10:00:00Z
const std::string kHostile = "<script>alert(\"x\")</script>&\x1b[31m'|*_`]";

// contoso.com hosted by Microsoft, fabrikam.com with MX at Microsoft (changed already, waiting).
Plan demoPlan() {
  auto report = [](const std::string& d, std::vector<std::string> ns, const std::string& mx) {
    std::vector<Observation> o;
    for (const auto& q : questionsFor(N(d), true)) {
      std::vector<Record> rrs;
      if (q.type == RRType::NS && q.name == N(d))
        for (const auto& n : ns) rrs.push_back(rec(d, RRType::NS, n, q.parentSide ? 172800 : 3600));
      if (q.type == RRType::MX && q.name == N(d)) rrs.push_back(rec(d, RRType::MX, mx, 3600, 10));
      o.push_back(obs(q.name.toString(), q.type, rrs.empty() ? Outcome::NoData : Outcome::Answer, rrs, q.parentSide));
    }
    for (const auto& q : followUps(N(d), o)) o.push_back(obs(q.name.toString(), q.type, Outcome::NoData));
    return evaluate(N(d), o);
  };
  PlanInput in;
  in.tenant.name = kHostile;
  in.tenant.file = "tenant.json";
  in.tenant.source = TenantSource::OwnFile;
  in.tenant.subscriptions.push_back({kHostile, "business", 30, true});
  for (const char* d : {"contoso.com", "fabrikam.com"}) {
    TenantDomain td;
    std::string err;
    td.input = *normalizeDomain(d, &err);
    in.tenant.domains.push_back(td);
  }
  in.tenant.newMx = {{N("mx1.newmail.example"), 10}};
  DomainReport contoso = report("contoso.com", {"ns1.bdm.microsoftonline.com"}, "contoso-com.mail.protection.outlook.com");
  Record evil;
  evil.name = N("_dmarc.contoso.com");
  evil.type = RRType::TXT;
  evil.ttl = 3600;
  evil.strings = {kHostile};
  evil.data = "\"" + kHostile + "\"";
  in.zoneListings[N("contoso.com")] = {evil};
  // fabrikam.com: at Microsoft at T0, changed at T0+60.
  for (auto row : observationsOf(report("fabrikam.com", {"ns1.olddns.example"}, "fabrikam-com.mail.protection.outlook.com"), T0))
    in.state.observations.push_back(row);
  DomainReport fabrikam = report("fabrikam.com", {"ns1.olddns.example"}, "mx1.newmail.example");
  in.now = T0 + 60;
  for (const auto& r : {contoso, fabrikam})
    for (auto row : observationsOf(r, in.now)) in.state.observations.push_back(row);
  in.reports = {contoso, fabrikam};
  in.state.waivers.push_back({"remove-domain:fabrikam.com", kHostile, "reason " + kHostile, T0});
  in.state.acks.push_back({"notify-users", "alice", kHostile, T0});
  return buildPlan(in);
}

bool noControl(const std::string& s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  return true;
}

}  // namespace

TEST_CASE("plan JSON has the schema and every step's SPEC fields, in execution order") {
  Plan p = demoPlan();
  json j = json::parse(renderPlanJson(p));
  CHECK(j["schema"] == "offboard.plan/1");
  REQUIRE(j["steps"].is_array());
  REQUIRE(j["steps"].size() == p.steps.size());
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const json& s = j["steps"][i];
    CAPTURE(p.steps[i].id);
    CHECK(s["id"] == p.steps[i].id);
    CHECK((s["kind"] == "manual" || s["kind"] == "dns" || s["kind"] == "time"));
    CHECK((s["status"] == "done" || s["status"] == "open" || s["status"] == "waived" ||
           s["status"] == "indeterminate"));
    CHECK(s["after"].is_array());
    CHECK(s["why"].is_string());
    CHECK(s["verify"].is_string());
  }
  const json* wait = nullptr;
  for (const auto& s : j["steps"])
    if (s["id"] == "wait-propagation:fabrikam.com") wait = &s;
  REQUIRE(wait);
  CHECK((*wait)["not_before"] == "2026-12-15T11:01:00Z");
  CHECK(j["tenant"] == kHostile);  // JSON escaping keeps the value intact
  CHECK(j["after_cancellation"].size() == 4);
}

TEST_CASE("gate JSON, JUnit and SARIF") {
  Plan p = demoPlan();
  GateDecision d = decide(p);
  REQUIRE(d.verdict == GateVerdict::Blocked);
  json g = json::parse(renderGateJson(p, d));
  CHECK(g["schema"] == "offboard.gate/1");
  CHECK(g["ready"] == false);
  REQUIRE(g["open"].size() == d.open.size());
  CHECK(g["open"][0].contains("id"));
  CHECK(g["open"][0].contains("why"));
  REQUIRE(g["waived"].size() == 1);
  CHECK(g["waived"][0]["id"] == "remove-domain:fabrikam.com");
  CHECK(g["waived"][0]["reason"] == "reason " + kHostile);
  CHECK(g["indeterminate"].is_array());
  for (const auto& o : g["open"]) CHECK(o["id"] != "cancel-subscription");

  std::string junit = renderGateJunit(p, d);
  std::size_t cases = 0, failures = 0;
  for (std::size_t at = 0; (at = junit.find("<testcase ", at)) != std::string::npos; ++at) ++cases;
  for (std::size_t at = 0; (at = junit.find("<failure ", at)) != std::string::npos; ++at) ++failures;
  CHECK(cases == p.steps.size());
  CHECK(failures == d.open.size());
  CHECK(junit.find("<script") == std::string::npos);
  CHECK(junit.find("&lt;script&gt;") != std::string::npos);
  CHECK(noControl(junit));

  json s = json::parse(renderGateSarif(p, d, "tenant.json"));
  CHECK(s["version"] == "2.1.0");
  REQUIRE(s["runs"].size() == 1);
  const json& results = s["runs"][0]["results"];
  CHECK(results.size() == d.open.size() + d.indeterminate.size());
  for (const auto& r : results) {
    CHECK(r["level"] == "error");
    CHECK(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tenant.json");
    const auto& rules = s["runs"][0]["tool"]["driver"]["rules"];
    CHECK(rules[r["ruleIndex"].get<int>()]["id"] == r["ruleId"]);
  }
}

TEST_CASE("HTML is one self-contained file: no script, nothing fetched, every string escaped") {
  Plan p = demoPlan();
  std::string html = renderPlanHtml(p);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* banned : {"<script", "<img", "<link", "<iframe", "<object", "<embed", "src=",
                             "@import", "url(", "@font-face", "<meta http-equiv"}) {
    CAPTURE(banned);
    CHECK(html.find(banned) == std::string::npos);
  }
  CHECK(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;") != std::string::npos);
  CHECK(noControl(html));
  CHECK(html.find("<svg class=\"graph\"") != std::string::npos);
  CHECK(html.find("<svg class=\"timeline\"") != std::string::npos);
  for (const auto& s : p.steps) CHECK_MESSAGE(html.find("id=\"" + s.id + "\"") != std::string::npos, s.id);
  // The only URL is the admin center's, as a link and as text.
  std::size_t urls = 0;
  for (std::size_t at = 0; (at = html.find("://", at)) != std::string::npos; ++at) {
    ++urls;
    CHECK(html.compare(at - 5, 27, "https://admin.microsoft.com") == 0);
  }
  CHECK(urls >= 2);
}

TEST_CASE("Markdown has a Mermaid step graph, a timeline of waits, and escapes text") {
  Plan p = demoPlan();
  std::string md = renderPlanMarkdown(p);
  CHECK(md.find("```mermaid\ngraph LR\n") != std::string::npos);
  CHECK(md.find(" --> ") != std::string::npos);
  CHECK(md.find("## Timeline of waits") != std::string::npos);
  CHECK(md.find("| `wait-propagation:fabrikam.com` | 2026-12-15T10:01:00Z | 2026-12-15T11:01:00Z | open |") !=
        std::string::npos);
  // Outside code blocks (where Markdown shows text literally) nothing is raw HTML.
  std::string prose;
  bool inFence = false;
  for (std::size_t at = 0; at < md.size();) {
    std::size_t nl = md.find('\n', at);
    std::string line = md.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (line.rfind("```", 0) == 0) inFence = !inFence;
    else if (!inFence) prose += line + "\n";
    at = nl == std::string::npos ? md.size() : nl + 1;
  }
  CHECK(prose.find("<script>") == std::string::npos);
  CHECK(prose.find("\\<script\\>") != std::string::npos);
  CHECK(noControl(md));
}

TEST_CASE("text output carries no terminal control octets from names or notes") {
  Plan p = demoPlan();
  std::string t = renderPlanText(p, TextStyle{false});
  CHECK(noControl(t));
  CHECK(t.find("wait-propagation:fabrikam.com") != std::string::npos);
  CHECK(t.find("not before: 2026-12-15T11:01:00Z") != std::string::npos);
  std::string g = renderGateText(p, decide(p), TextStyle{false});
  CHECK(noControl(g));
  CHECK(g.rfind("BLOCKED", 0) == 0);
  std::string colored = renderGateText(p, decide(p), TextStyle{true});
  CHECK(colored.find("\x1b[1;31mBLOCKED") != std::string::npos);
}
