// Plan and gate renderers: schemas, escaping, self-contained HTML (SPEC §4).
#include <doctest/doctest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "checks/checks.h"
#include "fake_resolver.h"
#include "plan_text.h"
#include "gate/gate.h"
#include "state/observe.h"
#include "plan/planner.h"
#include "time/time_text.h"
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
    CAPTURE(p.steps[i].id.str());
    CHECK(s["id"] == p.steps[i].id.str());
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
  // The planner decides when the wait ends (test_planner); the JSON carries it as RFC 3339.
  const PlanStep* waitStep = findStep(p, "wait-propagation:fabrikam.com");
  REQUIRE(waitStep);
  REQUIRE(waitStep->notBefore);
  CHECK((*wait)["not_before"] == formatRfc3339(*waitStep->notBefore));
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
  for (const auto& s : p.steps) CHECK_MESSAGE(html.find("id=\"" + s.id.str() + "\"") != std::string::npos, s.id.str());
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
  CHECK(md.find("```mermaid\nflowchart TD\n") != std::string::npos);
  CHECK(md.find(" --> ") != std::string::npos);
  CHECK(md.find("## Timeline of waits") != std::string::npos);
  const PlanStep* wait = findStep(p, "wait-propagation:fabrikam.com");
  REQUIRE(wait);
  REQUIRE(wait->clockStart);
  REQUIRE(wait->notBefore);
  // Times for people in the table (the details below it give the RFC 3339 form too).
  REQUIRE(formatRfc3339(*wait->clockStart) == "2026-12-15T10:00:00Z");
  REQUIRE(formatRfc3339(*wait->notBefore) == "2026-12-17T10:00:00Z");
  CHECK(md.find("| `wait-propagation:fabrikam.com` | 15 Dec 2026 10:00 UTC | 17 Dec 2026 10:00 UTC | open |") !=
        std::string::npos);
  CHECK(md.find("- **not before:** 17 Dec 2026 10:00 UTC (`2026-12-17T10:00:00Z`)") != std::string::npos);
  // Outside code blocks and code spans (where Markdown shows text literally, CommonMark §4.5,
  // §6.1: a run of N backticks up to the next run of exactly N) nothing is raw HTML.
  std::string prose;
  bool inFence = false;
  auto withoutCodeSpans = [](const std::string& l) {
    std::string out;
    for (std::size_t i = 0; i < l.size();) {
      if (l[i] == '\\' && i + 1 < l.size()) {
        out += l.substr(i, 2);
        i += 2;
        continue;
      }
      if (l[i] != '`') {
        out += l[i++];
        continue;
      }
      std::size_t n = l.find_first_not_of('`', i);
      n = (n == std::string::npos ? l.size() : n) - i;
      std::size_t close = i + n;
      for (; (close = l.find('`', close)) != std::string::npos;) {
        std::size_t m = l.find_first_not_of('`', close);
        m = (m == std::string::npos ? l.size() : m) - close;
        if (m == n) break;
        close += m;
      }
      if (close == std::string::npos) {
        out += l.substr(i, n);
        i += n;
      } else {
        i = close + n;
      }
    }
    return out;
  };
  for (std::size_t at = 0; at < md.size();) {
    std::size_t nl = md.find('\n', at);
    std::string line = md.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (line.rfind("```", 0) == 0) inFence = !inFence;
    else if (!inFence) prose += withoutCodeSpans(line) + "\n";
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
  const PlanStep* wait = findStep(p, "wait-propagation:fabrikam.com");
  REQUIRE(wait);
  REQUIRE(wait->notBefore);
  CHECK(t.find("wait-propagation:fabrikam.com  not before " + formatRfc3339(*wait->notBefore)) != std::string::npos);
  TextStyle verbose;
  verbose.verbose = true;
  std::string v = renderPlanText(p, verbose);
  CHECK(noControl(v));
  CHECK(v.find("not before: " + formatRfc3339(*wait->notBefore)) != std::string::npos);
  CHECK(v.find("       why:") != std::string::npos);
  CHECK(t.find("       why:") == std::string::npos);
  std::string g = renderGateText(p, decide(p), TextStyle{false});
  CHECK(noControl(g));
  CHECK(g.rfind("BLOCKED", 0) == 0);
  std::string colored = renderGateText(p, decide(p), TextStyle{true});
  CHECK(colored.find("\x1b[1;31mBLOCKED") != std::string::npos);
}

// ---- the evidence block (SPEC §4: every plan and gate output says where its evidence came
// from; a gate that passes on zone files says it is an offline rehearsal in every format) ----

namespace {

EvidenceInfo zonesEvidence(const std::string& dir = "fixtures/zones") {
  return {EvidenceSource::Zones, {dir}, false};
}
EvidenceInfo resolverEvidence() { return {EvidenceSource::Resolver, {"127.0.0.53:53"}, true}; }

// A plan whose one gating step is done: the gate passes.
Plan readyPlan(const EvidenceInfo& e) {
  Plan p;
  p.evidence = e;
  p.tenant = "Contoso";
  p.cloudBasis = CloudBasis::TenantFile;
  p.now = T0;
  p.adminCenter = "https://admin.microsoft.com";
  PlanStep backup;
  backup.id = Action::BackupData;
  backup.status = StepStatus::Done;
  backup.state = StepState(Reason::Acknowledged, "alice", "", "", T0);
  PlanStep cancel;
  cancel.id = Action::CancelSubscription;
  cancel.after = {Action::BackupData};
  cancel.gating = false;
  p.steps = {backup, cancel};
  return p;
}

std::vector<std::string> keysOf(const nlohmann::ordered_json& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST_CASE("evidenceText names each source, and says offline rehearsal exactly when not live") {
  struct Row {
    EvidenceInfo e;
    std::string text;
  };
  const Row rows[] = {
      {zonesEvidence(), "zone files in fixtures/zones (offline rehearsal: nothing live was asked)"},
      {resolverEvidence(), "recursive resolver 127.0.0.53:53"},
      {{EvidenceSource::Resolver, {"127.0.0.1:53", "[::1]:5353"}, true},
       "recursive resolvers 127.0.0.1:53, [::1]:5353"},
      {{EvidenceSource::SystemResolver, {"127.0.0.53:53"}, true}, "system resolver 127.0.0.53:53"},
      {{EvidenceSource::SystemResolver, {}, true}, "the system's resolvers"},
      {{EvidenceSource::Authoritative, {"built-in root hints"}, true},
       "authoritative servers, walked from the root (built-in root hints)"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(evidenceText(r.e) == r.text);
    CHECK(rehearsalWarning(r.e).empty() == r.e.live);
  }
  CHECK(rehearsalWarning(zonesEvidence()) == "offline rehearsal on zone files: not evidence that live DNS is ready");
}

TEST_CASE("plan JSON carries the evidence block after as_of; every other key keeps its place") {
  Plan p = demoPlan();
  for (const EvidenceInfo& e : {resolverEvidence(), zonesEvidence()}) {
    p.evidence = e;
    CAPTURE(evidenceSourceName(e.source));
    auto j = nlohmann::ordered_json::parse(renderPlanJson(p));
    CHECK(keysOf(j) == std::vector<std::string>{"schema", "tenant", "cloud", "as_of", "evidence", "steps",
                                                "domains_may_stay", "notes", "admin_center", "after_cancellation"});
    CHECK(keysOf(j["evidence"]) == std::vector<std::string>{"source", "servers", "live"});
    CHECK(j["evidence"]["source"] == std::string(evidenceSourceName(e.source)));
    CHECK(j["evidence"]["servers"] == nlohmann::ordered_json(e.servers));
    CHECK(j["evidence"]["live"] == e.live);
  }
  // No servers known is an empty array, not null.
  p.evidence = {EvidenceSource::SystemResolver, {}, true};
  json j = json::parse(renderPlanJson(p));
  CHECK(j["evidence"]["servers"].is_array());
  CHECK(j["evidence"]["servers"].empty());
}

TEST_CASE("gate JSON on zone files keeps ready true and carries live false") {
  Plan p = readyPlan(zonesEvidence());
  GateDecision d = decide(p);
  REQUIRE(d.verdict == GateVerdict::Ready);
  auto j = nlohmann::ordered_json::parse(renderGateJson(p, d));
  CHECK(keysOf(j) == std::vector<std::string>{"schema", "ready", "verdict", "open", "waived", "indeterminate",
                                              "done", "out_of_order", "as_of", "evidence"});
  CHECK(j["ready"] == true);
  CHECK(j["evidence"] == nlohmann::ordered_json::parse(
                             R"({"source": "zones", "servers": ["fixtures/zones"], "live": false})"));
  p.evidence = resolverEvidence();
  j = nlohmann::ordered_json::parse(renderGateJson(p, d));
  CHECK(j["evidence"] == nlohmann::ordered_json::parse(
                             R"({"source": "resolver", "servers": ["127.0.0.53:53"], "live": true})"));
}

TEST_CASE("plan text says the evidence on its second line; zone files are an offline rehearsal") {
  Plan p = demoPlan();
  p.evidence = resolverEvidence();
  std::string live = renderPlanText(p, TextStyle{false});
  CHECK(live.substr(live.find('\n') + 1).rfind("Evidence: recursive resolver 127.0.0.53:53\n", 0) == 0);
  CHECK(live.find("rehearsal") == std::string::npos);
  p.evidence = zonesEvidence();
  std::string offline = renderPlanText(p, TextStyle{false});
  CHECK(offline.find("\nEvidence: zone files in fixtures/zones (offline rehearsal: nothing live was asked)\n") !=
        std::string::npos);
  // A directory name is user input: no control octets reach the terminal.
  p.evidence = zonesEvidence(kHostile);
  CHECK(noControl(renderPlanText(p, TextStyle{false})));
}

TEST_CASE("a gate that passes on zone files says so on its verdict line; a live pass does not") {
  Plan p = readyPlan(resolverEvidence());
  GateDecision d = decide(p);
  REQUIRE(d.verdict == GateVerdict::Ready);
  std::string live = renderGateText(p, d, TextStyle{false});
  CHECK(firstLine(live) == "READY: every step is verified done or waived; cancel in https://admin.microsoft.com");
  CHECK(live.find("\nEvidence: recursive resolver 127.0.0.53:53\n") != std::string::npos);
  CHECK(live.find("rehearsal") == std::string::npos);

  p.evidence = zonesEvidence();
  std::string offline = renderGateText(p, d, TextStyle{false});
  CHECK(offline.rfind("READY (offline rehearsal on zone files: not evidence that live DNS is ready)", 0) == 0);
  CHECK(firstLine(offline).find("run the gate against live DNS before cancelling") != std::string::npos);
  CHECK(offline.find("\nEvidence: zone files in fixtures/zones (offline rehearsal: nothing live was asked)\n") !=
        std::string::npos);
  // Not painted the green of a real pass.
  std::string colored = renderGateText(p, d, TextStyle{true});
  CHECK(colored.find("\x1b[1;32mREADY") == std::string::npos);
  CHECK(colored.find("\x1b[1;33mREADY") != std::string::npos);

  // A blocked gate on zone files says it too (on its evidence line).
  Plan blocked = demoPlan();
  blocked.evidence = zonesEvidence();
  std::string b = renderGateText(blocked, decide(blocked), TextStyle{false});
  CHECK(b.rfind("BLOCKED", 0) == 0);
  CHECK(b.find("\nEvidence: zone files in fixtures/zones (offline rehearsal: nothing live was asked)\n") !=
        std::string::npos);
}

TEST_CASE("Markdown and HTML runbooks show the evidence line, escaped, offline marked") {
  Plan p = demoPlan();
  p.evidence = {EvidenceSource::Authoritative, {"built-in root hints"}, true};
  std::string md = renderPlanMarkdown(p);
  CHECK(md.find("\n**Evidence:** authoritative servers, walked from the root (built-in root hints)\n") !=
        std::string::npos);
  CHECK(md.find("rehearsal") == std::string::npos);
  std::string html = renderPlanHtml(p);
  CHECK(html.find("<p class=\"evidence\"><strong>Evidence:</strong> authoritative servers, walked from the root "
                  "(built-in root hints)</p>") != std::string::npos);

  p.evidence = zonesEvidence("zones<b>");
  md = renderPlanMarkdown(p);
  CHECK(md.find("\n**Evidence:** zone files in zones\\<b\\> (offline rehearsal: nothing live was asked)\n") !=
        std::string::npos);
  html = renderPlanHtml(p);
  CHECK(html.find("<p class=\"evidence offline\"><strong>Evidence:</strong> zone files in zones&lt;b&gt; "
                  "(offline rehearsal: nothing live was asked)</p>") != std::string::npos);
  CHECK(html.find("<b>") == std::string::npos);
}

TEST_CASE("JUnit carries the evidence as testsuite properties and says offline rehearsal in words") {
  Plan p = readyPlan(resolverEvidence());
  GateDecision d = decide(p);
  std::string live = renderGateJunit(p, d);
  CHECK(live.find("<property name=\"evidence.source\" value=\"resolver\"/>") != std::string::npos);
  CHECK(live.find("<property name=\"evidence.servers\" value=\"127.0.0.53:53\"/>") != std::string::npos);
  CHECK(live.find("<property name=\"evidence.live\" value=\"true\"/>") != std::string::npos);
  CHECK(live.find("evidence.rehearsal") == std::string::npos);
  CHECK(live.find("<system-out>Evidence: recursive resolver 127.0.0.53:53</system-out>\n  </testsuite>") !=
        std::string::npos);
  // The properties sit inside the testsuite, before its testcases.
  CHECK(live.find("<testsuite ") < live.find("evidence.source"));
  CHECK(live.find("evidence.source") < live.find("<testcase "));

  p.evidence = zonesEvidence("z&\"one");
  std::string offline = renderGateJunit(p, d);
  CHECK(offline.find("<property name=\"evidence.source\" value=\"zones\"/>") != std::string::npos);
  CHECK(offline.find("<property name=\"evidence.servers\" value=\"z&amp;&quot;one\"/>") != std::string::npos);
  CHECK(offline.find("<property name=\"evidence.live\" value=\"false\"/>") != std::string::npos);
  CHECK(offline.find("<property name=\"evidence.rehearsal\" value=\"offline rehearsal on zone files: not evidence "
                     "that live DNS is ready\"/>") != std::string::npos);
  CHECK(offline.find("<system-out>Evidence: zone files in z&amp;&quot;one (offline rehearsal: nothing live was "
                     "asked)\noffline rehearsal on zone files: not evidence that live DNS is ready</system-out>") !=
        std::string::npos);
  CHECK(noControl(offline));
}

TEST_CASE("SARIF carries the evidence in run.properties and warns of an offline rehearsal") {
  Plan p = readyPlan(resolverEvidence());
  GateDecision d = decide(p);
  json live = json::parse(renderGateSarif(p, d, ""));
  const json& run = live["runs"][0];
  CHECK(run["properties"]["verdict"] == "ready");
  CHECK(run["properties"]["evidence"] ==
        json::parse(R"({"source": "resolver", "servers": ["127.0.0.53:53"], "live": true})"));
  CHECK_FALSE(run["invocations"][0].contains("toolExecutionNotifications"));

  p.evidence = zonesEvidence();
  json offline = json::parse(renderGateSarif(p, d, ""));
  const json& orun = offline["runs"][0];
  CHECK(orun["properties"]["evidence"] ==
        json::parse(R"({"source": "zones", "servers": ["fixtures/zones"], "live": false})"));
  CHECK(orun["invocations"][0]["executionSuccessful"] == true);
  const json& notes = orun["invocations"][0]["toolExecutionNotifications"];
  REQUIRE(notes.size() == 1);
  CHECK(notes[0]["level"] == "warning");
  CHECK(notes[0]["descriptor"]["id"] == "offline-rehearsal");
  CHECK(notes[0]["message"]["text"] ==
        "offline rehearsal on zone files: not evidence that live DNS is ready (evidence: zone files in "
        "fixtures/zones)");
  CHECK(orun["results"].empty());  // a pass: nothing blocks, the rehearsal is a notification
}

TEST_CASE("plan JSON: a DNS step's record changes as data, and a stable reason code") {
  Plan p = demoPlan();
  json j = json::parse(renderPlanJson(p));
  std::map<std::string, const json*> byId;
  for (const auto& s : j["steps"]) byId[s["id"]] = &s;
  REQUIRE(byId.count("update-mx:contoso.com"));
  const json& mx = *byId["update-mx:contoso.com"];
  CHECK(mx["reason"] == "still-at-m365");
  REQUIRE(mx["changes"].is_array());
  // The Microsoft MX deleted, the tenant's new MX created: exactly what the text lists.
  CHECK(mx["changes"] == json::parse(R"([
    {"op": "delete", "name": "contoso.com.", "type": "MX", "ttl": 3600, "data": "10 contoso-com.mail.protection.outlook.com."},
    {"op": "create", "name": "contoso.com.", "type": "MX", "ttl": 3600, "data": "10 mx1.newmail.example."}])"));
  // Manual and time steps carry no "changes"; every step carries its reason.
  CHECK_FALSE(byId["notify-users"]->contains("changes"));
  CHECK_FALSE(byId["wait-propagation:fabrikam.com"]->contains("changes"));
  CHECK((*byId["notify-users"])["reason"] == "ack-out-of-order");  // before confirm-admin-role was done
  CHECK((*byId["update-mx:fabrikam.com"])["reason"] == "mx-is");
  CHECK((*byId["update-mx:fabrikam.com"])["changes"].empty());
  for (const auto& s : j["steps"]) {
    CAPTURE(s["id"]);
    const std::string r = s["reason"];
    CHECK(!r.empty());
    CHECK(r.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos);
  }
}
