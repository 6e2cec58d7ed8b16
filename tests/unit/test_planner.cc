// The planner: which steps, in which order, with which status (SPEC §4), on literal inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "checks/checks.h"
#include "fake_resolver.h"
#include "plan_text.h"
#include "gate/gate.h"
#include "state/observe.h"
#include "plan/planner.h"
#include "plan/steps.h"
#include "time/time_text.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

// A domain's DNS as literal data; report() runs the real checks on it.
struct Dns {
  std::string domain;
  std::vector<std::string> parentNs = {"ns1.olddns.example"};
  std::uint32_t parentTtl = 172800;
  bool parentSide = true;  // false: a stub resolver (the parent side is not seen)
  std::vector<std::string> childNs = {"ns1.olddns.example"};
  std::vector<std::pair<std::uint16_t, std::string>> mx = {{10, "mx1.newmail.example"}};
  std::uint32_t mxTtl = 3600;
  std::vector<std::string> txt;
  std::map<std::string, std::string> cname;  // owner (relative) -> target
  std::set<std::pair<std::string, RRType>> timeouts;  // owner (relative, "@" apex) + type
  bool nxdomain = false;
  std::string sts;  // the `_mta-sts` TXT record, when there is one (its policy host answers 127.0.0.9)
};

std::string rel(const Dns& d, const DnsName& n) {
  if (n == N(d.domain)) return "@";
  auto labels = n.labelsBelow(N(d.domain));
  std::string s;
  for (const auto& l : labels) s += (s.empty() ? "" : ".") + l;
  return s;
}

Observation answer(const Dns& d, const Question& q) {
  std::string owner = rel(d, q.name);
  if (d.timeouts.count({owner, q.type})) return obs(q.name.toString(), q.type, Outcome::Timeout, {}, q.parentSide);
  if (d.nxdomain) return obs(q.name.toString(), q.type, Outcome::NxDomain, {}, q.parentSide);
  std::vector<Record> rrs;
  if (q.type == RRType::NS && owner == "@") {
    for (const auto& n : q.parentSide ? d.parentNs : d.childNs)
      rrs.push_back(rec(d.domain, RRType::NS, n, q.parentSide ? d.parentTtl : 3600));
  } else if (q.type == RRType::MX && owner == "@") {
    for (const auto& [p, h] : d.mx) rrs.push_back(rec(d.domain, RRType::MX, h, d.mxTtl, p));
  } else if (q.type == RRType::TXT && owner == "@") {
    for (const auto& t : d.txt) rrs.push_back(txt(d.domain, {t}));
  } else if (q.type == RRType::TXT && owner == "_mta-sts" && !d.sts.empty()) {
    rrs.push_back(txt(q.name.toString(), {d.sts}));
  } else if (q.type == RRType::A && owner == "mta-sts" && !d.sts.empty()) {
    Record a = rec(q.name.toString(), RRType::A, "x.invalid");
    a.data = "127.0.0.9";
    rrs.push_back(a);
  } else if (q.type == RRType::CNAME && d.cname.count(owner)) {
    rrs.push_back(rec(q.name.toString(), RRType::CNAME, d.cname.at(owner)));
  } else if (q.type == RRType::SRV && d.cname.count(owner)) {
    rrs.push_back(rec(q.name.toString(), RRType::SRV, d.cname.at(owner)));
  }
  return obs(q.name.toString(), q.type, rrs.empty() ? Outcome::NoData : Outcome::Answer, rrs, q.parentSide);
}

DomainReport report(const Dns& d, const CheckContext& ctx = {}) {
  std::vector<Observation> seen;
  for (const auto& q : questionsFor(N(d.domain), d.parentSide)) seen.push_back(answer(d, q));
  for (int round = 0; round < 10; ++round) {
    auto more = followUps(N(d.domain), seen, ctx);
    if (more.empty()) break;
    for (const auto& q : more)
      seen.push_back(q.name.isPartOf(N(d.domain)) ? answer(d, q) : obs(q.name.toString(), q.type, Outcome::NoData));
  }
  return evaluate(N(d.domain), seen, ctx);
}

const std::vector<std::string> kMsNs = {"ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"};

// contoso.com: the zone hosted by Microsoft, every Microsoft 365 record in it.
Dns hosted() {
  Dns d;
  d.domain = "contoso.com";
  d.parentNs = kMsNs;
  d.childNs = kMsNs;
  d.mx = {{0, "contoso-com.mail.protection.outlook.com"}};
  d.txt = {"v=spf1 include:spf.protection.outlook.com -all", "MS=ms12345678"};
  d.cname = {{"autodiscover", "autodiscover.outlook.com"},
             {"selector1._domainkey", "selector1-contoso-com._domainkey.contoso.onmicrosoft.com"},
             {"sip", "sipdir.online.lync.com"},
             {"_sip._tls", "sipdir.online.lync.com"},
             {"enterpriseregistration", "enterpriseregistration.windows.net"}};
  return d;
}

// fabrikam.com: NS at the old host, mail at Microsoft, a verification MX.
Dns mxAtMicrosoft() {
  Dns d;
  d.domain = "fabrikam.com";
  d.mx = {{0, "fabrikam-com.mail.protection.outlook.com"}, {32767, "ms87654321.msv1.invalid"}};
  d.txt = {"v=spf1 include:spf.protection.outlook.com -all"};
  d.cname = {{"autodiscover", "autodiscover.outlook.com"}};
  return d;
}

// tailspintoys.com: half done: MX moved, SPF and autodiscover still at Microsoft.
Dns halfDone() {
  Dns d;
  d.domain = "tailspintoys.com";
  d.mx = {{10, "mx1.newmail.example"}, {20, "mx2.newmail.example"}};
  d.txt = {"v=spf1 include:spf.protection.outlook.com include:_spf.newmail.example -all"};
  d.cname = {{"autodiscover", "autodiscover.outlook.com"}};
  return d;
}

// wingtiptoys.com: clean.
Dns clean() {
  Dns d;
  d.domain = "wingtiptoys.com";
  d.parentNs = d.childNs = {"ns1.newdns.example"};
  d.mx = {{10, "mx1.newmail.example"}, {20, "mx2.newmail.example"}};
  d.txt = {"v=spf1 include:_spf.newmail.example -all"};
  d.cname = {{"autodiscover", "autodiscover.newmail.example"}};
  return d;
}

Tenant tenantOf(std::vector<std::string> domains) {
  Tenant t;
  t.source = TenantSource::OwnFile;
  t.file = "tenant.json";
  t.name = "contoso.onmicrosoft.com";
  t.subscriptions.push_back({"Microsoft 365 Business Premium", "business", 12, true});
  for (const auto& d : domains) {
    TenantDomain td;
    std::string err;
    td.input = *normalizeDomain(d, &err);
    t.domains.push_back(td);
  }
  t.newMx = {{N("mx1.newmail.example"), 10}, {N("mx2.newmail.example"), 20}};
  t.newSpfInclude = N("_spf.newmail.example");
  t.newNameservers = {N("ns1.newdns.example"), N("ns2.newdns.example")};
  return t;
}

constexpr std::int64_t T0 = 1797328800;  // 2026-12-15T10:00:00Z

// One gate run: record this run's observations (as the gate command does), then plan.
// One run at `now`, as the gate makes it: this run's observations recorded, then the plan.
Plan runFirst(PlanInput& in, std::int64_t now) {
  in.now = now;
  for (const auto& r : in.reports) {
    for (auto row : observationsOf(r, now)) in.state.observations.push_back(row);
  }
  return buildPlan(in);
}

// The same, with a state that has known these domains for ten days when it is new (the same
// reports then): the first-sight waits (SPEC §4) are long over, so a test sees the clock of the
// changes it makes. runFirst is a state's real first run.
constexpr std::int64_t kSeasoned = 10 * 86400;
Plan run(PlanInput& in, std::int64_t now) {
  if (in.state.observations.empty()) runFirst(in, now - kSeasoned);
  return runFirst(in, now);
}

std::vector<std::string> ids(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& s : p.steps) out.push_back(s.id.str());
  return out;
}

const PlanStep& step(const Plan& p, const std::string& id) {
  const PlanStep* s = findStep(p, id);
  INFO("step ", id, " in ", ids(p).size(), " steps");
  REQUIRE(s != nullptr);
  return *s;
}

bool has(const Plan& p, const std::string& id) { return findStep(p, id) != nullptr; }

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// All steps `id` depends on, transitively.
std::set<std::string> ancestors(const Plan& p, const std::string& id) {
  std::set<std::string> out;
  std::vector<std::string> todo{id};
  while (!todo.empty()) {
    std::string cur = todo.back();
    todo.pop_back();
    const PlanStep* s = findStep(p, cur);
    if (!s) continue;
    for (const auto& a : s->after)
      if (out.insert(a.str()).second) todo.push_back(a.str());
  }
  return out;
}

// The ordering rules every plan must follow, whatever the tenant.
void checkOrdering(const Plan& p) {
  std::set<std::string> seen;
  for (const auto& s : p.steps) {
    const std::string id = s.id.str();
    CAPTURE(id);
    CHECK(StepId::parse(id) == s.id);  // printed as it is parsed back (ack, waive, the state)
    CHECK(actionInfo(s.id.action).kind == s.kind);
    for (const auto& a : s.after) {
      CAPTURE(a.str());
      CHECK(has(p, a.str()));
      CHECK(seen.count(a.str()) == 1);  // execution order respects every dependency
    }
    seen.insert(id);
    if (name(s.id.action) == "update-mx") CHECK(ancestors(p, id).count("notify-users") == 1);
    if (name(s.id.action) == "switch-ns") {
      auto up = ancestors(p, id);
      CHECK(up.count(stepId("prepare-new-dns-host", *s.id.domain)) == 1);
      if (has(p, stepId("update-mx", *s.id.domain))) CHECK(up.count(stepId("update-mx", *s.id.domain)) == 1);
    }
    if (name(s.id.action) == "wait-propagation") {
      for (const auto& t : p.steps)
        if (t.id.domain == s.id.domain && t.kind == StepKind::Dns && name(t.id.action) != "remove-verification-records")
          CHECK(ancestors(p, id).count(t.id.str()) == 1);
    }
    if (name(s.id.action) == "remove-domain") {
      CHECK(ancestors(p, id).count(stepId("move-users-off-domain", *s.id.domain)) == 1);
      if (has(p, stepId("wait-propagation", *s.id.domain)))
        CHECK(ancestors(p, id).count(stepId("wait-propagation", *s.id.domain)) == 1);
    }
  }
  // cancel-subscription comes after every gating step; uninstall-office after it, last.
  auto beforeCancel = ancestors(p, "cancel-subscription");
  for (const auto& s : p.steps)
    if (s.gating) CHECK_MESSAGE(beforeCancel.count(s.id.str()) == 1, s.id.str());
  CHECK(p.steps.back().id.str() == "uninstall-office");
  CHECK(p.steps[p.steps.size() - 2].id.str() == "cancel-subscription");
  CHECK(ancestors(p, "backup-data").count("notify-users") == 1);
}

}  // namespace

TEST_CASE("a Microsoft-hosted zone: prepare the new host, update records, switch NS, wait") {
  PlanInput in;
  in.tenant = tenantOf({"contoso.com"});
  in.reports = {report(hosted())};
  Plan p = run(in, T0);
  checkOrdering(p);
  CHECK(ids(p) == std::vector<std::string>{
                      "confirm-admin-role", "notify-users", "prepare-new-dns-host:contoso.com",
                      "update-mx:contoso.com", "update-spf:contoso.com", "remove-autodiscover:contoso.com",
                      "remove-dkim:contoso.com", "remove-teams-records:contoso.com",
                      "remove-mdm-records:contoso.com", "switch-ns:contoso.com",
                      "wait-propagation:contoso.com", "backup-data", "move-users-off-domain:contoso.com",
                      "remove-domain:contoso.com", "remove-verification-records:contoso.com",
                      "cancel-subscription", "uninstall-office"});
  const PlanStep& mx = step(p, "update-mx:contoso.com");
  CHECK(mx.kind == StepKind::Dns);
  CHECK(mx.status == StepStatus::Open);
  CHECK(texts(mx.after) == std::vector<std::string>{"notify-users", "prepare-new-dns-host:contoso.com"});
  CHECK(contains(changeTexts(mx), "delete: contoso.com. 3600 IN MX 0 contoso-com.mail.protection.outlook.com."));
  CHECK(contains(changeTexts(mx), "create: contoso.com. 3600 IN MX 10 mx1.newmail.example."));
  const PlanStep& sw = step(p, "switch-ns:contoso.com");
  CHECK(sw.status == StepStatus::Open);
  CHECK(stateText(sw).find("parent") != std::string::npos);
  CHECK(contains(texts(sw.after), "prepare-new-dns-host:contoso.com"));
  CHECK(contains(texts(sw.after), "update-mx:contoso.com"));
  CHECK(texts(step(p, "wait-propagation:contoso.com").after) == std::vector<std::string>{"switch-ns:contoso.com"});
  CHECK(step(p, "wait-propagation:contoso.com").kind == StepKind::Time);
  CHECK(texts(step(p, "update-spf:contoso.com").after) == std::vector<std::string>{"update-mx:contoso.com"});
  const PlanStep& spf = step(p, "update-spf:contoso.com");
  REQUIRE(changeTexts(spf).size() == 1);
  CHECK(changeTexts(spf)[0] ==
        "replace: contoso.com. 3600 IN TXT \"v=spf1 include:spf.protection.outlook.com -all\"  =>  "
        "contoso.com. 3600 IN TXT \"v=spf1 include:_spf.newmail.example -all\"");
  CHECK(texts(step(p, "remove-verification-records:contoso.com").after) ==
        std::vector<std::string>{"remove-domain:contoso.com"});
  CHECK(decide(p).verdict == GateVerdict::Blocked);
}

TEST_CASE("prepare-new-dns-host lists every non-Microsoft record of the hosted zone") {
  Dns d = hosted();
  DomainReport r = report(d);
  auto line = [](const std::string& owner, RRType t, const std::string& target, std::uint16_t pref = 0) {
    return rec(owner, t, target, 3600, pref);
  };
  Record a;
  a.name = N("contoso.com");
  a.type = RRType::A;
  a.ttl = 3600;
  a.data = "203.0.113.10";
  Record soa;
  soa.name = N("contoso.com");
  soa.type = RRType::SOA;
  soa.data = "ns1.bdm.microsoftonline.com. hostmaster.microsoftonline.com. 1 3600 300 2419200 3600";
  std::vector<Record> zone = {
      soa,
      line("contoso.com", RRType::NS, "ns1.bdm.microsoftonline.com"),
      line("contoso.com", RRType::MX, "contoso-com.mail.protection.outlook.com"),
      txt("contoso.com", {"v=spf1 include:spf.protection.outlook.com -all"}),
      txt("contoso.com", {"MS=ms12345678"}),
      line("autodiscover.contoso.com", RRType::CNAME, "autodiscover.outlook.com"),
      line("selector2._domainkey.contoso.com", RRType::CNAME, "selector2-contoso-com._domainkey.contoso.onmicrosoft.com"),
      line("lyncdiscover.contoso.com", RRType::CNAME, "webdir.online.lync.com"),
      line("enterpriseenrollment.contoso.com", RRType::CNAME, "enterpriseenrollment-s.manage.microsoft.com"),
      a,
      line("www.contoso.com", RRType::CNAME, "contoso.com"),
      txt("_dmarc.contoso.com", {"v=DMARC1; p=quarantine"}),
  };
  Tenant t = tenantOf({"contoso.com"});
  auto req = requiredAtNewHost(t, r, &zone, {});
  std::vector<std::string> lines;
  for (const auto& x : req) lines.push_back(recordLine(x.record));
  CHECK(lines == std::vector<std::string>{
                     "contoso.com. 3600 IN TXT \"v=spf1 include:_spf.newmail.example -all\"",
                     "contoso.com. 3600 IN A 203.0.113.10",
                     "www.contoso.com. 3600 IN CNAME contoso.com.",
                     "_dmarc.contoso.com. 3600 IN TXT \"v=DMARC1; p=quarantine\"",
                     "contoso.com. 3600 IN MX 10 mx1.newmail.example.",
                     "contoso.com. 3600 IN MX 20 mx2.newmail.example.",
                 });

  SUBCASE("the list round-trips through the state and is used after the switch") {
    auto decoded = decodeRequired(encodeRequired(req));
    REQUIRE(decoded);
    REQUIRE(decoded->size() == req.size());
    for (std::size_t i = 0; i < req.size(); ++i) CHECK(recordLine((*decoded)[i].record) == lines[i]);
    StateSnapshot s;
    for (auto row : observationsOf(r, T0, encodeRequired(req))) s.observations.push_back(row);
    Dns after = clean();
    after.domain = "contoso.com";
    auto again = requiredAtNewHost(t, report(after), nullptr, s);
    CHECK(again.size() == req.size());
  }
  SUBCASE("without a zone listing: the records the check saw, and a warning to copy the rest") {
    PlanInput in;
    in.tenant = t;
    in.reports = {r};
    Plan p = run(in, T0);
    const PlanStep& prep = step(p, "prepare-new-dns-host:contoso.com");
    const std::vector<std::string> prepLines = changeTexts(prep);
    CHECK(contains(changeTexts(prep), "create: contoso.com. 3600 IN MX 10 mx1.newmail.example."));
    CHECK(std::any_of(prepLines.begin(), prepLines.end(),
                      [](const std::string& s) { return s.rfind("also: every other record", 0) == 0; }));
    CHECK(prep.status == StepStatus::Open);
  }
  SUBCASE("without new_mail.mx the MX is a placeholder any non-Microsoft MX satisfies") {
    t.newMx.clear();
    auto r2 = requiredAtNewHost(t, r, &zone, {});
    auto mx = std::find_if(r2.begin(), r2.end(), [](const RequiredRecord& x) { return x.record.type == RRType::MX; });
    REQUIRE(mx != r2.end());
    CHECK_FALSE(mx->exact);
  }
}

TEST_CASE("prepare-new-dns-host is verified against what the new host's servers answer") {
  PlanInput in;
  in.tenant = tenantOf({"contoso.com"});
  in.reports = {report(hosted())};
  auto req = requiredAtNewHost(in.tenant, in.reports[0], nullptr, {});
  NewHostView all{"ns1.newdns.example. (127.77.0.30)", {}, {}, ""};
  for (const auto& x : req) all.records.push_back(x.record);
  SUBCASE("every record present: done") {
    in.newHost[N("contoso.com")] = all;
    CHECK(step(run(in, T0), "prepare-new-dns-host:contoso.com").status == StepStatus::Done);
  }
  SUBCASE("one missing: open, naming it") {
    NewHostView v = all;
    v.records.pop_back();
    in.newHost[N("contoso.com")] = v;
    const PlanStep s = step(run(in, T0), "prepare-new-dns-host:contoso.com");
    CHECK(s.status == StepStatus::Open);
    CHECK(stateText(s).find("mx2.newmail.example") != std::string::npos);
  }
  SUBCASE("a lookup at the new host failed: indeterminate, never done") {
    NewHostView v = all;
    v.failures.push_back("contoso.com. MX: timeout at 127.77.0.30");
    in.newHost[N("contoso.com")] = v;
    CHECK(step(run(in, T0), "prepare-new-dns-host:contoso.com").status == StepStatus::Indeterminate);
  }
  SUBCASE("not queried: open") {
    CHECK(step(run(in, T0), "prepare-new-dns-host:contoso.com").status == StepStatus::Open);
  }
}

TEST_CASE("MX at Microsoft with NS elsewhere: change MX at the current host, then wait") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {report(mxAtMicrosoft())};
  Plan p = run(in, T0);
  checkOrdering(p);
  CHECK_FALSE(has(p, "prepare-new-dns-host:fabrikam.com"));
  CHECK_FALSE(has(p, "switch-ns:fabrikam.com"));
  CHECK(texts(step(p, "update-mx:fabrikam.com").after) == std::vector<std::string>{"notify-users"});
  CHECK(whyText(step(p, "update-mx:fabrikam.com"), p).find("current DNS host") != std::string::npos);
  CHECK(texts(step(p, "update-spf:fabrikam.com").after) == std::vector<std::string>{"update-mx:fabrikam.com"});
  CHECK(texts(step(p, "remove-autodiscover:fabrikam.com").after) == std::vector<std::string>{"update-mx:fabrikam.com"});
  CHECK(has(p, "remove-verification-records:fabrikam.com"));
  CHECK(texts(step(p, "wait-propagation:fabrikam.com").after) ==
        std::vector<std::string>{"update-mx:fabrikam.com", "update-spf:fabrikam.com",
                                 "remove-autodiscover:fabrikam.com"});
  CHECK(texts(step(p, "move-users-off-domain:fabrikam.com").after) ==
        std::vector<std::string>{"wait-propagation:fabrikam.com"});
  CHECK(texts(step(p, "backup-data").after) == std::vector<std::string>{"wait-propagation:fabrikam.com"});
}

TEST_CASE("a half-done domain lists only what is left; a clean one only the manual steps") {
  PlanInput in;
  in.tenant = tenantOf({"tailspintoys.com", "wingtiptoys.com"});
  in.reports = {report(halfDone()), report(clean())};
  Plan p = run(in, T0);
  checkOrdering(p);
  CHECK_FALSE(has(p, "update-mx:tailspintoys.com"));
  CHECK(texts(step(p, "update-spf:tailspintoys.com").after) == std::vector<std::string>{"notify-users"});
  CHECK(step(p, "update-spf:tailspintoys.com").status == StepStatus::Open);
  CHECK(has(p, "remove-autodiscover:tailspintoys.com"));
  CHECK(has(p, "wait-propagation:tailspintoys.com"));
  for (const auto& s : p.steps)
    if (s.id.domain == N("wingtiptoys.com"))
      CHECK_MESSAGE(s.kind == StepKind::Manual, s.id.str());
  CHECK(texts(step(p, "move-users-off-domain:wingtiptoys.com").after) == std::vector<std::string>{"notify-users"});
  CHECK(has(p, "remove-domain:wingtiptoys.com"));
}

TEST_CASE("a failed lookup makes its step indeterminate, never done, and never hides a blocker") {
  Dns d = clean();
  d.timeouts = {{"@", RRType::MX}};
  PlanInput in;
  in.tenant = tenantOf({"wingtiptoys.com"});
  in.reports = {report(d)};
  Plan p = run(in, T0);
  const PlanStep& mx = step(p, "update-mx:wingtiptoys.com");
  CHECK(mx.status == StepStatus::Indeterminate);
  CHECK(stateText(mx).find("timeout") != std::string::npos);
  CHECK(step(p, "wait-propagation:wingtiptoys.com").status != StepStatus::Done);
  // With every manual step acknowledged, the gate is indeterminate (3), not ready.
  for (const auto& s : p.steps)
    if (s.kind == StepKind::Manual) in.state.acks.push_back({s.id.str(), "ops", "", T0});
  GateDecision g = decide(run(in, T0));
  CHECK(g.verdict == GateVerdict::Indeterminate);
  CHECK(gateExitCode(g) == 3);

  SUBCASE("a domain that does not exist: update-mx indeterminate, the rest not listed") {
    Dns nx = clean();
    nx.nxdomain = true;
    PlanInput in2;
    in2.tenant = tenantOf({"wingtiptoys.com"});
    in2.reports = {report(nx)};
    Plan p2 = run(in2, T0);
    CHECK(step(p2, "update-mx:wingtiptoys.com").status == StepStatus::Indeterminate);
    CHECK(stateText(step(p2, "update-mx:wingtiptoys.com")).find("does not exist") != std::string::npos);
    CHECK_FALSE(has(p2, "update-spf:wingtiptoys.com"));
  }
  SUBCASE("an NS lookup failure: Microsoft hosting unknown, so switch-ns is indeterminate") {
    Dns ns = clean();
    ns.timeouts = {{"@", RRType::NS}};
    ns.parentSide = false;
    PlanInput in3;
    in3.tenant = tenantOf({"wingtiptoys.com"});
    in3.reports = {report(ns)};
    Plan p3 = run(in3, T0);
    CHECK(step(p3, "switch-ns:wingtiptoys.com").status == StepStatus::Indeterminate);
    CHECK(step(p3, "prepare-new-dns-host:wingtiptoys.com").status == StepStatus::Indeterminate);
  }
}

TEST_CASE("update-mx needs an MX in place: the new provider's, or a null MX") {
  Dns before = mxAtMicrosoft();
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {report(before)};
  run(in, T0);  // history: MX at Microsoft
  struct Case {
    std::vector<std::pair<std::uint16_t, std::string>> mx;
    StepStatus expected;
    const char* state;
  };
  const Case cases[] = {
      {{{10, "mx1.newmail.example"}, {20, "mx2.newmail.example"}}, StepStatus::Done, "MX is"},
      {{{10, "mx1.newmail.example"}}, StepStatus::Open, "the plan expects"},
      {{{5, "mx.other.example"}}, StepStatus::Open, "the plan expects"},
      {{{0, "."}}, StepStatus::Done, "null MX"},
      {{}, StepStatus::Open, "no MX at all"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.state);
    Dns after = before;
    after.mx = c.mx;
    PlanInput next = in;
    next.reports = {report(after)};
    const PlanStep s = step(run(next, T0 + 60), "update-mx:fabrikam.com");
    CHECK(s.status == c.expected);
    CHECK(stateText(s).find(c.state) != std::string::npos);
  }
}

TEST_CASE("a finished DNS step stays in the plan as done, with what it was") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {report(mxAtMicrosoft())};
  run(in, T0);
  Dns fixed = mxAtMicrosoft();
  fixed.mx = {{10, "mx1.newmail.example"}, {20, "mx2.newmail.example"}};
  in.reports = {report(fixed)};
  Plan p = run(in, T0 + 100);
  const PlanStep& mx = step(p, "update-mx:fabrikam.com");
  CHECK(mx.status == StepStatus::Done);
  REQUIRE_FALSE(mx.changes.empty());
  CHECK(changeTexts(mx)[0].rfind("was: MX fabrikam.com. 0 fabrikam-com.mail.protection.outlook.com.", 0) == 0);
  CHECK(step(p, "update-spf:fabrikam.com").status == StepStatus::Open);
}

TEST_CASE("the propagation clock: old TTL counted from the first observation of the new value") {
  Dns before = mxAtMicrosoft();
  before.mxTtl = 3600;
  before.txt.clear();
  before.cname.clear();
  before.mx = {{0, "fabrikam-com.mail.protection.outlook.com"}};
  Dns after = before;
  after.mx = {{10, "mx1.newmail.example"}, {20, "mx2.newmail.example"}};
  after.mxTtl = 300;  // the new record's TTL does not matter: the old one's does
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {report(before)};
  Plan p0 = run(in, T0);
  CHECK(step(p0, "wait-propagation:fabrikam.com").status == StepStatus::Open);
  CHECK_FALSE(step(p0, "wait-propagation:fabrikam.com").notBefore.has_value());
  in.reports = {report(after)};
  const std::int64_t changed = T0 + 600;
  Plan p1 = run(in, changed);
  const PlanStep& w1 = step(p1, "wait-propagation:fabrikam.com");
  CHECK(w1.status == StepStatus::Open);
  REQUIRE(w1.notBefore.has_value());
  CHECK(*w1.notBefore == changed + 3600);
  CHECK(w1.clockStart == changed);

  SUBCASE("one second before the boundary: open") {
    Plan p = run(in, changed + 3599);
    CHECK(step(p, "wait-propagation:fabrikam.com").status == StepStatus::Open);
    CHECK(*step(p, "wait-propagation:fabrikam.com").notBefore == changed + 3600);
  }
  SUBCASE("at the boundary second: done") {
    Plan p = run(in, changed + 3600);
    CHECK(step(p, "wait-propagation:fabrikam.com").status == StepStatus::Done);
    CHECK(formatRfc3339(*step(p, "wait-propagation:fabrikam.com").notBefore) == "2026-12-15T11:10:00Z");
  }
  SUBCASE("a failed lookup in between restarts the clock") {
    Dns failing = after;
    failing.timeouts = {{"@", RRType::MX}};
    in.reports = {report(failing)};
    Plan pf = run(in, changed + 1000);
    CHECK(step(pf, "wait-propagation:fabrikam.com").status == StepStatus::Indeterminate);
    in.reports = {report(after)};
    Plan p = run(in, changed + 3600);
    CHECK(step(p, "wait-propagation:fabrikam.com").status == StepStatus::Open);
    CHECK(*step(p, "wait-propagation:fabrikam.com").notBefore == changed + 3600 + 3600);
  }
  SUBCASE("the largest TTL seen at Microsoft counts (recursive caches count down)") {
    PlanInput in2;
    in2.tenant = in.tenant;
    Dns b2 = before;
    b2.mxTtl = 7200;
    in2.reports = {report(b2)};
    run(in2, T0);
    b2.mxTtl = 1800;
    in2.reports = {report(b2)};
    run(in2, T0 + 5400);
    in2.reports = {report(after)};
    Plan p = run(in2, changed + 6000);
    CHECK(*step(p, "wait-propagation:fabrikam.com").notBefore == changed + 6000 + 7200);
  }
}

TEST_CASE("a delegation switch waits for the parent NS TTL") {
  Dns before = hosted();
  Dns after = clean();
  after.domain = "contoso.com";
  after.parentNs = after.childNs = {"ns1.newdns.example", "ns2.newdns.example"};
  PlanInput in;
  in.tenant = tenantOf({"contoso.com"});
  in.reports = {report(before)};
  run(in, T0);
  in.reports = {report(after)};
  Plan p = run(in, T0 + 60);
  const PlanStep& sw = step(p, "switch-ns:contoso.com");
  CHECK(sw.status == StepStatus::Done);
  CHECK(stateText(sw).find("parent-side delegation") != std::string::npos);
  const PlanStep& w = step(p, "wait-propagation:contoso.com");
  REQUIRE(w.notBefore.has_value());
  CHECK(*w.notBefore == T0 + 60 + 172800);
  CHECK(step(run(in, T0 + 60 + 172799), "wait-propagation:contoso.com").status == StepStatus::Open);
  CHECK(step(run(in, T0 + 60 + 172800), "wait-propagation:contoso.com").status == StepStatus::Done);

  SUBCASE("without the parent side: verified by the child NS, and 48 h assumed") {
    Dns b = before, a = after;
    b.parentSide = a.parentSide = false;
    b.childNs = kMsNs;
    a.childNs = {"ns1.newdns.example"};
    PlanInput in2;
    in2.tenant = in.tenant;
    in2.reports = {report(b)};
    run(in2, T0);
    in2.reports = {report(a)};
    Plan p2 = run(in2, T0 + 60);
    CHECK(step(p2, "switch-ns:contoso.com").status == StepStatus::Done);
    CHECK(stateText(step(p2, "switch-ns:contoso.com")).find("zone's own NS set only") != std::string::npos);
    CHECK(*step(p2, "wait-propagation:contoso.com").notBefore == T0 + 60 + kAssumedParentNsTtl);
  }
}

TEST_CASE("acks complete manual steps; waivers pass any step with a recorded reason") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {report(mxAtMicrosoft())};
  in.state.acks.push_back({"confirm-admin-role", "alice", "", T0 - 200});  // notify-users comes after it
  in.state.acks.push_back({"notify-users", "alice", "mail sent 2026-12-01", T0 - 100});
  in.state.acks.push_back({"update-mx:fabrikam.com", "bob", "", T0 - 50});  // DNS: acks do not count
  in.state.waivers.push_back({"remove-autodiscover:fabrikam.com", "carol", "the new provider reuses it", T0 - 10});
  Plan p = run(in, T0);
  const PlanStep& n = step(p, "notify-users");
  CHECK(n.status == StepStatus::Done);
  CHECK(stateText(n).find("alice") != std::string::npos);
  CHECK(stateText(n).find("2026-12-15T09:58:20Z") != std::string::npos);
  CHECK(step(p, "update-mx:fabrikam.com").status == StepStatus::Open);
  const PlanStep& a = step(p, "remove-autodiscover:fabrikam.com");
  CHECK(a.status == StepStatus::Waived);
  CHECK(stateText(a).find("the new provider reuses it") != std::string::npos);
  REQUIRE(a.waiver.has_value());
  CHECK(a.waiver->by == "carol");
  GateDecision g = decide(p);
  REQUIRE(g.waived.size() == 1);
  CHECK(g.waived[0].name() == "remove-autodiscover:fabrikam.com");
  CHECK(std::none_of(g.open.begin(), g.open.end(), [](const GateItem& i) { return i.name() == "notify-users"; }));
}

TEST_CASE("reduce-licenses appears at 25 assigned licenses on a cancelled subscription, not at 24") {
  struct Case {
    int licenses;
    bool cancel;
    bool expected;
  };
  for (const Case& c : {Case{24, true, false}, Case{25, true, true}, Case{300, true, true},
                        Case{30, false, false}}) {
    CAPTURE(c.licenses);
    CAPTURE(c.cancel);
    PlanInput in;
    in.tenant = tenantOf({"wingtiptoys.com"});
    in.tenant.subscriptions = {{"E3", "enterprise", c.licenses, c.cancel}};
    if (!c.cancel) in.tenant.subscriptions.push_back({"Business Basic", "business", 3, true});
    in.reports = {report(clean())};
    Plan p = run(in, T0);
    CHECK(has(p, "reduce-licenses") == c.expected);
    if (c.expected) {
      CHECK(texts(step(p, "reduce-licenses").after) == std::vector<std::string>{"confirm-admin-role"});
      CHECK(whyText(step(p, "reduce-licenses"), p).find(std::to_string(c.licenses) + " assigned") != std::string::npos);
    }
    checkOrdering(p);
  }
}

TEST_CASE("a second active subscription: the domains may stay, the plan says so") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.tenant.subscriptions.push_back({"Exchange Online (Plan 1)", "business", 5, false});
  CHECK(domainsToCheck(in.tenant, {}).empty());
  Plan p = buildPlan(in);
  CHECK(p.domainsMayStay);
  CHECK(ids(p) == std::vector<std::string>{"confirm-admin-role", "notify-users", "backup-data",
                                           "cancel-subscription", "uninstall-office"});
  const std::vector<std::string> notes = noteTexts(p);
  CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
    return n.find("Exchange Online (Plan 1)") != std::string::npos && n.find("may stay") != std::string::npos;
  }));
  checkOrdering(p);
}

TEST_CASE("move-users-off-domain is done when Graph domainNameReferences is empty") {
  PlanInput in;
  in.tenant = tenantOf({"wingtiptoys.com"});
  in.reports = {report(clean())};
  SUBCASE("empty") {
    in.tenant.domains[0].references = std::vector<std::string>{};
    CHECK(step(run(in, T0), "move-users-off-domain:wingtiptoys.com").status == StepStatus::Done);
  }
  SUBCASE("still referenced") {
    in.tenant.domains[0].references = std::vector<std::string>{"adele@wingtiptoys.com"};
    const PlanStep s = step(run(in, T0), "move-users-off-domain:wingtiptoys.com");
    CHECK(s.status == StepStatus::Open);
    CHECK(stateText(s).find("adele@wingtiptoys.com") != std::string::npos);
  }
  SUBCASE("still referenced, waived: the waiver and what Graph still lists, both shown") {
    in.tenant.domains[0].references = std::vector<std::string>{"adele@wingtiptoys.com"};
    in.state.waivers.push_back({"move-users-off-domain:wingtiptoys.com", "carol", "a leftover alias", T0});
    const PlanStep s = step(run(in, T0), "move-users-off-domain:wingtiptoys.com");
    CHECK(s.status == StepStatus::Waived);
    CHECK(stateText(s).find("a leftover alias") != std::string::npos);
    CHECK(stateText(s).find("adele@wingtiptoys.com") != std::string::npos);
  }
  SUBCASE("not exported: an ack") {
    CHECK(step(run(in, T0), "move-users-off-domain:wingtiptoys.com").status == StepStatus::Open);
    // In plan order: what it comes after first (SPEC §4: an ack out of order does not count).
    in.state.acks.push_back({"confirm-admin-role", "alice", "", T0});
    in.state.acks.push_back({"notify-users", "alice", "", T0});
    in.state.acks.push_back({"move-users-off-domain:wingtiptoys.com", "alice", "", T0});
    CHECK(step(run(in, T0), "move-users-off-domain:wingtiptoys.com").status == StepStatus::Done);
  }
}

TEST_CASE("a domain dropped from the input stays in the plan until removed or acknowledged") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com", "wingtiptoys.com"});
  in.reports = {report(mxAtMicrosoft()), report(clean())};
  run(in, T0);
  Tenant smaller = tenantOf({"fabrikam.com"});
  auto domains = domainsToCheck(smaller, in.state);
  REQUIRE(domains.size() == 2);
  CHECK(domains[1].name == N("wingtiptoys.com"));
  in.tenant = smaller;
  SUBCASE("own tenant file: remove-domain needs an ack") {
    Plan p = run(in, T0 + 10);
    CHECK(step(p, "remove-domain:wingtiptoys.com").status == StepStatus::Open);
    CHECK(decide(p).verdict == GateVerdict::Blocked);
  }
  SUBCASE("a Graph export without the domain: removed") {
    in.tenant.source = TenantSource::GraphList;
    Plan p = run(in, T0 + 10);
    CHECK(step(p, "remove-domain:wingtiptoys.com").status == StepStatus::Done);
  }
}

TEST_CASE("the runbook ends with what follows cancellation and the admin center of the cloud") {
  struct Case {
    Cloud cloud;
    const char* url;
  };
  for (const Case& c : {Case{Cloud::Worldwide, "https://admin.microsoft.com"},
                        Case{Cloud::UsGov, "https://portal.office365.us"},
                        Case{Cloud::China21Vianet, "https://portal.partner.microsoftonline.cn"},
                        Case{Cloud::Germany, "https://admin.microsoft.com"}}) {
    CAPTURE(c.url);
    PlanInput in;
    in.tenant = tenantOf({});
    in.tenant.cloud = c.cloud;
    Plan p = buildPlan(in);
    CHECK(p.adminCenter == c.url);
    std::string all;
    for (const auto& l : afterCancellationTexts(p)) all += l + "\n";
    CHECK(all.find("Disabled") != std::string::npos);
    CHECK(all.find("90 days") != std::string::npos);
    CHECK(all.find("180 days") != std::string::npos);
    CHECK(all.find("explicitly") != std::string::npos);
    CHECK(all.find(c.url) != std::string::npos);
    if (c.cloud == Cloud::Germany) CHECK(all.find("closed in 2021") != std::string::npos);
  }
  SUBCASE("the cloud comes from DNS when the input does not say") {
    PlanInput in;
    in.tenant = tenantOf({"adatum.com"});
    Dns gov = mxAtMicrosoft();
    gov.domain = "adatum.com";
    gov.mx = {{0, "adatum.mail.protection.office365.us"}};
    in.reports = {report(gov)};
    Plan p = run(in, T0);
    CHECK(p.cloud == Cloud::UsGov);
    CHECK(p.adminCenter == "https://portal.office365.us");
  }
}

TEST_CASE("step identifiers parse strictly, with the list of valid forms on a typo") {
  std::string err;
  auto a = parseStepId("update-mx:Bücher.Example", &err);
  REQUIRE(a);
  CHECK(a->step.str() == "update-mx:xn--bcher-kva.example");
  CHECK(parseStepId("backup-data", &err)->step.str() == "backup-data");
  CHECK_FALSE(parseStepId("update-mxx:contoso.com", &err));
  CHECK(err.find("is not a step of the plan") != std::string::npos);
  CHECK(err.find("wait-propagation:DOMAIN") != std::string::npos);
  CHECK_FALSE(parseStepId("update-mx", &err));
  CHECK(err.find("needs a domain") != std::string::npos);
  CHECK_FALSE(parseStepId("backup-data:contoso.com", &err));
  CHECK_FALSE(parseStepId("remove-domain:contoso.onmicrosoft.com", &err));
  CHECK(err.find("initial") != std::string::npos);
  CHECK_FALSE(parseStepId("update-mx:not a domain", &err));
  // The Graph blockers' steps: SPEC's ids exactly.
  CHECK(parseStepId("defederate-domain:Contoso.com", &err)->step.str() == "defederate-domain:contoso.com");
  CHECK_FALSE(parseStepId("defederate-domain", &err));
  CHECK(parseStepId("set-default-domain", &err)->step.str() == "set-default-domain");
  CHECK_FALSE(parseStepId("set-default-domain:contoso.com", &err));
  CHECK(err.find("tenant-wide") != std::string::npos);
  CHECK(actionInfo(Action::DefederateDomain).kind == StepKind::Manual);
  CHECK(actionInfo(Action::SetDefaultDomain).kind == StepKind::Manual);
  CHECK(actions().size() == 22);
}

TEST_CASE("observation subjects cover every question the checks ask") {
  const DnsName d = N("contoso.com");
  auto subjects = subjectsOf(d);
  for (const auto& q : questionsFor(d, true)) {
    CAPTURE(q.name.toString());
    // The parent's DS is no record a step changes and waits for: the DS check's findings
    // hold switch-ns (test_dnssec.cc), without a subject of their own.
    if (q.type == RRType::DS) continue;
    CHECK(std::any_of(subjects.begin(), subjects.end(),
                      [&](const Subject& s) { return s.name == q.name && s.type == q.type; }));
  }
  auto rows = observationsOf(report(hosted()), T0);
  auto row = std::find_if(rows.begin(), rows.end(), [](const ObservationRow& r) { return r.subject == "MX contoso.com."; });
  REQUIRE(row != rows.end());
  CHECK(row->atM365);
  CHECK(row->evidence);
  CHECK(row->ttl == 3600);
  CHECK(row->value == "0 contoso-com.mail.protection.outlook.com.");
  CHECK(row->domain == "contoso.com");
  auto parent = std::find_if(rows.begin(), rows.end(), [](const ObservationRow& r) { return r.subject == "NS(parent) contoso.com."; });
  REQUIRE(parent != rows.end());
  CHECK(parent->ttl == 172800);
  CHECK(parent->atM365);
  Dns stub = clean();
  stub.parentSide = false;
  auto stubRows = observationsOf(report(stub), T0);
  CHECK(std::none_of(stubRows.begin(), stubRows.end(),
                     [](const ObservationRow& r) { return r.subject.rfind("NS(parent)", 0) == 0; }));
}

TEST_CASE("a tampered ZONE value in the state is unreadable, never a throw") {
  for (const char* text : {"", "not json", "{}", "[1]", R"([{"name": 5, "type": "A", "data": "x"}])",
                           R"([{"name": "a.example.", "type": "NOPE", "data": "x"}])",
                           R"([{"name": "a.example.", "type": "MX", "data": "x y z"}])"}) {
    CAPTURE(std::string(text));
    CHECK_NOTHROW(decodeRequired(text));
    CHECK_FALSE(decodeRequired(text).has_value());
  }
  auto ok = decodeRequired(R"([{"name": "a.example.", "type": "A", "ttl": "3600", "data": "192.0.2.1"}])");
  REQUIRE(ok);
  CHECK((*ok)[0].record.ttl == 0);  // a wrong-typed TTL is dropped, not trusted
}

TEST_CASE("a ZONE value keeps the structured fields: read back without parsing the presentation text") {
  RequiredRecord mx{rec("contoso.com", RRType::MX, "mx1.newmail.example", 300, 10), true, ""};
  RequiredRecord srv{rec("_sip._tls.contoso.com", RRType::SRV, "sip.newvoip.example", 600), true, ""};
  srv.record.preference = 100;
  srv.record.weight = 1;
  srv.record.port = 443;
  // A data text that no longer says the target: only the structured field can give it back.
  RequiredRecord alias{rec("www.contoso.com", RRType::CNAME, "web.host.example"), true, ""};
  alias.record.data = "something else entirely";
  auto back = decodeRequired(encodeRequired({mx, srv, alias}));
  REQUIRE(back);
  REQUIRE(back->size() == 3);
  CHECK((*back)[0].record.target == N("mx1.newmail.example"));
  CHECK((*back)[0].record.preference == 10);
  CHECK((*back)[1].record.target == N("sip.newvoip.example"));
  CHECK((*back)[1].record.preference == 100);
  CHECK((*back)[1].record.weight == 1);
  CHECK((*back)[1].record.port == 443);
  CHECK((*back)[2].record.target == N("web.host.example"));
  // A list an earlier version wrote (no "target"): the target still comes from the data.
  auto old = decodeRequired(R"([{"name": "contoso.com.", "type": "MX", "ttl": 300, "data": "10 mx1.newmail.example."}])");
  REQUIRE(old);
  CHECK((*old)[0].record.target == N("mx1.newmail.example"));
  CHECK((*old)[0].record.preference == 10);
  // A target that is not a name is unreadable, never a guess.
  CHECK_FALSE(decodeRequired(R"([{"name": "a.example.", "type": "MX", "data": "10 a.", "target": 7}])"));
}

// ---------------------------------------------------------------------------------------------
// Trying to make the gate say ready too early (SPEC §4): the clock, first sight, acks, revokes.

namespace {

// The MX change of fabrikam.com, alone: the old MX (TTL 3600) at Microsoft until `changed`.
struct MxChange {
  PlanInput in;
  Dns before = mxAtMicrosoft();
  Dns after;
  MxChange() {
    before.txt.clear();
    before.cname.clear();
    before.mx = {{0, "fabrikam-com.mail.protection.outlook.com"}};
    after = before;
    after.mx = {{10, "mx1.newmail.example"}, {20, "mx2.newmail.example"}};  // the tenant's new_mail.mx
    in.tenant = tenantOf({"fabrikam.com"});
    in.reports = {report(before)};
  }
  void see(const Dns& d, std::int64_t at) {
    in.reports = {report(d)};
    run(in, at);
  }
};

}  // namespace

TEST_CASE("a clock set back cannot start the propagation clock before the old value's last sighting") {
  MxChange c;
  c.see(c.before, T0 + 1000);  // the old MX still seen at T0+1000
  // A rehearsal with --now in the past shows the new MX "at T0+100".
  c.in.reports = {report(c.after)};
  Plan early = run(c.in, T0 + 100);
  // Seen for real later: the clock counts from T0+1000 at the earliest, never from T0+100.
  Plan p = run(c.in, T0 + 100 + 3600);
  const PlanStep& w = step(p, "wait-propagation:fabrikam.com");
  CHECK(w.status == StepStatus::Open);
  REQUIRE(w.notBefore.has_value());
  CHECK(*w.notBefore >= T0 + 1000 + 3600);
  CHECK(decide(p).verdict != GateVerdict::Ready);
  // And it is reported, not silently used.
  const std::vector<std::string> notes = noteTexts(p);
  CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
    return n.find("out of time order") != std::string::npos && n.find("MX fabrikam.com.") != std::string::npos;
  }));
  (void)early;
}

TEST_CASE("a later row stamped earlier does not move the first sighting of the new value back") {
  MxChange c;
  c.see(c.before, T0);
  c.in.reports = {report(c.after)};
  run(c.in, T0 + 600);  // first seen changed at T0+600
  Dns ttlChanged = c.after;
  ttlChanged.mxTtl = 1200;  // a new row (the TTL differs), stamped earlier than the first
  c.in.reports = {report(ttlChanged)};
  Plan p = run(c.in, T0 + 50);
  CHECK(*step(p, "wait-propagation:fabrikam.com").notBefore >= T0 + 600 + 3600);
}

TEST_CASE("first sight: a new state waits the TTLs seen at its first observation") {
  PlanInput in;
  in.tenant = tenantOf({"wingtiptoys.com"});
  in.reports = {report(clean())};
  // A fresh state (no history at all): the records may have changed just before.
  Plan p = runFirst(in, T0);
  const PlanStep* w = findStep(p, "wait-propagation:wingtiptoys.com");
  REQUIRE(w != nullptr);
  CHECK(w->status == StepStatus::Open);
  REQUIRE(w->notBefore.has_value());
  CHECK(*w->notBefore == T0 + 172800);  // the parent NS TTL seen then is the longest
  CHECK(decide(p).verdict != GateVerdict::Ready);
  SUBCASE("a second state file (another directory) starts its own clock; never none") {
    PlanInput other;
    other.tenant = in.tenant;
    other.reports = in.reports;
    Plan q = runFirst(other, T0 + 86400);
    CHECK(step(q, "wait-propagation:wingtiptoys.com").status == StepStatus::Open);
  }
  SUBCASE("over once the TTLs have passed since the first observation") {
    Plan q = runFirst(in, T0 + 172800);
    const PlanStep* x = findStep(q, "wait-propagation:wingtiptoys.com");
    CHECK((x == nullptr || x->status == StepStatus::Done));
  }
  SUBCASE("waived: the admin knows nothing changed") {
    in.state.waivers.push_back({"wait-propagation:wingtiptoys.com", "alice", "never used Microsoft 365 DNS", T0});
    CHECK(step(runFirst(in, T0), "wait-propagation:wingtiptoys.com").status == StepStatus::Waived);
  }
}

TEST_CASE("first sight: Graph supportedServices without Email exempts the mail records, not the rest") {
  Dns d = clean();
  d.parentTtl = 3600;
  d.mxTtl = 7200;  // the longest, if it counted
  PlanInput in;
  in.tenant = tenantOf({"wingtiptoys.com"});
  in.reports = {report(d)};
  SUBCASE("Email listed: the MX TTL counts") {
    in.tenant.domains[0].supportedServices = std::vector<std::string>{"Email", "Intune"};
    CHECK(*step(runFirst(in, T0), "wait-propagation:wingtiptoys.com").notBefore == T0 + 7200);
  }
  SUBCASE("Email not listed: no MX was ever Microsoft's; NS still counts") {
    in.tenant.domains[0].supportedServices = std::vector<std::string>{"Intune"};
    CHECK(*step(runFirst(in, T0), "wait-propagation:wingtiptoys.com").notBefore == T0 + 3600);
  }
}

TEST_CASE("through a recursive resolver the largest TTL ever seen counts, not the cache's remainder") {
  MxChange c;
  c.see(c.before, T0);  // the MX with its real 3600 s
  Dns cached = c.before;
  cached.mxTtl = 10;  // later, the resolver's cache had 10 s left
  c.see(cached, T0 + 500);
  c.see(c.after, T0 + 600);
  Plan p = run(c.in, T0 + 600 + 11);
  CHECK(*step(p, "wait-propagation:fabrikam.com").notBefore == T0 + 600 + 3600);
  CHECK(step(p, "wait-propagation:fabrikam.com").status == StepStatus::Open);
}

TEST_CASE("acks out of order do not count; a new ack after the predecessor does") {
  MxChange c;
  c.in.state.acks.push_back({"confirm-admin-role", "ops", "", T0 - 10});
  c.in.state.acks.push_back({"notify-users", "ops", "", T0 - 5});
  c.see(c.before, T0);
  c.see(c.after, T0 + 600);
  // backup-data acknowledged before the wait ended: recorded, but out of order.
  c.in.state.acks.push_back({"backup-data", "ops", "", T0 + 700});
  Plan during = run(c.in, T0 + 700);
  const PlanStep& b = step(during, "backup-data");
  CHECK(b.status == StepStatus::Open);
  CHECK(b.ackOutOfOrder);
  Plan after = run(c.in, T0 + 600 + 3600 + 10);
  const PlanStep& b2 = step(after, "backup-data");
  CHECK(b2.status == StepStatus::Open);
  CHECK(stateText(b2).find("acknowledged out of order") != std::string::npos);
  c.in.state.acks.push_back({"backup-data", "ops", "", T0 + 600 + 3600 + 20});
  CHECK(step(run(c.in, T0 + 600 + 3600 + 30), "backup-data").status == StepStatus::Done);
  SUBCASE("an ack dated after now (a clock set back) does not count") {
    c.in.state.acks.push_back({"move-users-off-domain:fabrikam.com", "ops", "", T0 + 999999});
    CHECK(step(run(c.in, T0 + 600 + 3600 + 40), "move-users-off-domain:fabrikam.com").status == StepStatus::Open);
  }
}

TEST_CASE("a DNS fact that regresses reopens its step and every later ack") {
  MxChange c;
  c.see(c.before, T0);
  c.see(c.after, T0 + 600);
  const std::int64_t over = T0 + 600 + 3600 + 10;
  for (const char* id : {"confirm-admin-role", "notify-users", "move-users-off-domain:fabrikam.com", "backup-data",
                         "remove-domain:fabrikam.com"})
    c.in.state.acks.push_back({id, "ops", "", over});
  c.in.reports = {report(c.after)};
  Plan done = run(c.in, over + 5);
  CHECK(step(done, "backup-data").status == StepStatus::Done);
  // The MX goes back to Microsoft 365.
  c.in.reports = {report(c.before)};
  Plan back = run(c.in, over + 100);
  CHECK(step(back, "update-mx:fabrikam.com").status == StepStatus::Open);
  CHECK(step(back, "wait-propagation:fabrikam.com").status == StepStatus::Open);
  CHECK(step(back, "backup-data").status == StepStatus::Open);
  CHECK(step(back, "remove-domain:fabrikam.com").status == StepStatus::Open);
  CHECK(decide(back).verdict == GateVerdict::Blocked);
  // Fixed again: the old acks predate the new change; the wait starts over.
  c.in.reports = {report(c.after)};
  Plan refixed = run(c.in, over + 200 + 3600);
  CHECK(step(refixed, "backup-data").status == StepStatus::Open);
}

TEST_CASE("a revocation withdraws what was recorded before it, whatever its timestamp") {
  PlanInput in;
  in.tenant = tenantOf({"wingtiptoys.com"});
  in.reports = {report(clean())};
  in.state.acks.push_back({"confirm-admin-role", "ops", "", T0, 1});
  CHECK(step(run(in, T0 + 10), "confirm-admin-role").status == StepStatus::Done);
  // Revoked with a clock set back (stamped before the ack): still withdrawn (recorded later).
  in.state.revocations.push_back({"confirm-admin-role", "lead", "wrong person", T0 - 100, 2});
  CHECK(step(run(in, T0 + 20), "confirm-admin-role").status == StepStatus::Open);
  in.state.waivers.push_back({"confirm-admin-role", "lead", "delegated", T0 + 30, 3});
  CHECK(step(run(in, T0 + 40), "confirm-admin-role").status == StepStatus::Waived);
  in.state.revocations.push_back({"confirm-admin-role", "lead", "not delegated after all", T0 + 50, 4});
  CHECK(step(run(in, T0 + 60), "confirm-admin-role").status == StepStatus::Open);
  in.state.acks.push_back({"confirm-admin-role", "ops", "", T0 + 70, 5});
  CHECK(step(run(in, T0 + 80), "confirm-admin-role").status == StepStatus::Done);
}

// --- Graph's blockers of a removal: defederate-domain:D, set-default-domain, force delete ---

namespace {

// Both export forms of one tenant: Graph's GET /domains (camelCase) and Graph PowerShell's
// Get-MgDomain | ConvertTo-Json (PascalCase, "\/Date(…)\/" and offset times).
const std::vector<std::string> kBlockers = {"fixtures/tenants/graph-blockers.json",
                                            "fixtures/tenants/graph-powershell-blockers.json"};
const std::vector<std::string> kBlockersAfter = {"fixtures/tenants/graph-blockers-after.json",
                                                 "fixtures/tenants/graph-powershell-blockers-after.json"};
const std::vector<std::string> kOtherDomainOnly = {"fixtures/tenants/graph-single-other-managed.json",
                                                   "fixtures/tenants/graph-powershell-single-other-managed.json"};
const std::vector<std::string> kOverLimit = {"fixtures/tenants/graph-references-over-limit.json",
                                             "fixtures/tenants/graph-powershell-references-over-limit.json"};

// A tenant import as `--tenant` reads it.
Tenant tenantFile(const std::string& rel) {
  std::ifstream f(std::string(OFFBOARD_SOURCE_DIR) + "/" + rel, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), rel);
  std::ostringstream text;
  text << f.rdbuf();
  std::string err;
  auto t = parseTenant(text.str(), rel, &err);
  INFO(err);
  REQUIRE(t.has_value());
  return *t;
}

Dns cleanAs(const std::string& domain) {
  Dns d = clean();
  d.domain = domain;
  return d;
}

// The demo's four domains, each in the DNS state of its name.
std::vector<DomainReport> demoReports() {
  Dns tailspin = halfDone();
  return {report(hosted()), report(mxAtMicrosoft()), report(tailspin), report(clean())};
}

// The four demo domains with nothing left in DNS: only the manual steps remain.
std::vector<DomainReport> cleanReports() {
  return {report(cleanAs("contoso.com")), report(cleanAs("fabrikam.com")), report(cleanAs("tailspintoys.com")),
          report(clean())};
}

// What the pipeline hands the next run: the step ids of this plan (StateStore::planSteps).
void remember(PlanInput& in, const Plan& p) {
  in.lastPlan.clear();
  for (const auto& s : p.steps) in.lastPlan.insert(s.id);
}

std::size_t position(const Plan& p, const std::string& id) {
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    if (p.steps[i].id.str() == id) return i;
  FAIL("no step ", id);
  return 0;
}

bool listsOpen(const GateDecision& g, const std::string& id) {
  return std::any_of(g.open.begin(), g.open.end(), [&](const GateItem& i) { return i.name() == id; });
}

}  // namespace

TEST_CASE("a federated domain gets defederate-domain before its removal; the default domain set-default-domain") {
  for (const auto& file : kBlockers) {
    CAPTURE(file);
    PlanInput in;
    in.tenant = tenantFile(file);
    in.reports = demoReports();
    Plan p = run(in, T0);
    checkOrdering(p);

    // defederate-domain:contoso.com: manual, open, in words, and before the removal.
    const PlanStep& def = step(p, "defederate-domain:contoso.com");
    CHECK(def.kind == StepKind::Manual);
    CHECK(def.status == StepStatus::Open);
    CHECK(def.state.reason == Reason::GraphFederated);
    CHECK(stateText(def).find("Federated in " + file) != std::string::npos);
    CHECK(whyText(def, p).find("`Update-MgDomain -DomainId contoso.com -AuthenticationType Managed`") !=
          std::string::npos);
    CHECK(whyText(def, p).find("GoDaddy") != std::string::npos);
    CHECK(verifyText(def).find("Managed") != std::string::npos);
    CHECK(position(p, "move-users-off-domain:contoso.com") < position(p, "defederate-domain:contoso.com"));
    CHECK(position(p, "defederate-domain:contoso.com") < position(p, "remove-domain:contoso.com"));
    const auto up = ancestors(p, "remove-domain:contoso.com");
    CHECK(up.count("defederate-domain:contoso.com") == 1);
    CHECK(up.count("move-users-off-domain:contoso.com") == 1);
    // Managed domains have none.
    CHECK_FALSE(has(p, "defederate-domain:fabrikam.com"));
    CHECK_FALSE(has(p, "defederate-domain:wingtiptoys.com"));
    // An authenticationType Graph does not document is never read as "not federated".
    const PlanStep& unknown = step(p, "defederate-domain:tailspintoys.com");
    CHECK(unknown.status == StepStatus::Open);
    CHECK(unknown.state.reason == Reason::GraphAuthUnknown);
    CHECK(stateText(unknown).find("'Unknown-Future-Value' in " + file + ", neither Managed nor Federated") !=
          std::string::npos);
    CHECK(ancestors(p, "remove-domain:tailspintoys.com").count("defederate-domain:tailspintoys.com") == 1);

    // set-default-domain: once, tenant-wide, before the default domain's removal only.
    const PlanStep& sd = step(p, "set-default-domain");
    CHECK(sd.kind == StepKind::Manual);
    CHECK_FALSE(sd.id.domain.has_value());
    CHECK(sd.status == StepStatus::Open);
    CHECK(sd.state.reason == Reason::GraphIsDefault);
    CHECK(sd.context.defaultDomain == "contoso.com");
    CHECK(stateText(sd) == "contoso.com is the default domain in " + file);
    CHECK(whyText(sd, p).find("contoso.onmicrosoft.com") != std::string::npos);  // the tenant's initial domain
    CHECK(whyText(sd, p).find("Set as default") != std::string::npos);
    CHECK(std::count_if(p.steps.begin(), p.steps.end(),
                        [](const PlanStep& x) { return x.id.action == Action::SetDefaultDomain; }) == 1);
    CHECK(position(p, "move-users-off-domain:contoso.com") < position(p, "set-default-domain"));
    CHECK(position(p, "set-default-domain") < position(p, "remove-domain:contoso.com"));
    CHECK(up.count("set-default-domain") == 1);
    CHECK(ancestors(p, "remove-domain:fabrikam.com").count("set-default-domain") == 0);
    // Either can be done at any time before the removal: they come after confirm-admin-role only.
    CHECK(texts(def.after) == std::vector<std::string>{"confirm-admin-role"});
    CHECK(texts(sd.after) == std::vector<std::string>{"confirm-admin-role"});

    // The gate is not ready while they are open.
    GateDecision g = decide(p);
    CHECK(g.verdict == GateVerdict::Blocked);
    CHECK(listsOpen(g, "defederate-domain:contoso.com"));
    CHECK(listsOpen(g, "defederate-domain:tailspintoys.com"));
    CHECK(listsOpen(g, "set-default-domain"));
  }
}

TEST_CASE("without Graph's fields there is no blocker step; Microsoft's own example is a federation to look at") {
  PlanInput in;
  in.tenant = tenantOf({"contoso.com", "fabrikam.com"});
  in.reports = {report(cleanAs("contoso.com")), report(cleanAs("fabrikam.com"))};
  Plan p = run(in, T0);
  CHECK_FALSE(has(p, "defederate-domain:contoso.com"));
  CHECK_FALSE(has(p, "set-default-domain"));
  // GET /domains as Microsoft documents it: "authenticationType-value", contoso.com the default.
  PlanInput ms;
  ms.tenant = tenantFile("fixtures/graph/graph-v1-domains-list.json");
  ms.reports = {report(cleanAs("contoso.com"))};
  Plan q = run(ms, T0);
  CHECK(step(q, "defederate-domain:contoso.com").state.reason == Reason::GraphAuthUnknown);
  CHECK(step(q, "set-default-domain").state.reason == Reason::GraphIsDefault);
  checkOrdering(q);
}

TEST_CASE("acks of defederate-domain and set-default-domain count in plan order, like every manual step") {
  auto setup = [](const std::string& file) {
    PlanInput in;
    in.tenant = tenantFile(file);
    in.tenant.domains[0].adminManaged = true;  // contoso.com: its zone already left Microsoft
    in.reports = cleanReports();
    in.state.acks.push_back({"confirm-admin-role", "ops", "", T0 - 100});
    in.state.acks.push_back({"notify-users", "ops", "", T0 - 90});
    in.state.acks.push_back({"move-users-off-domain:contoso.com", "ops", "", T0 - 80});
    return in;
  };
  SUBCASE("the removal acknowledged while defederation is open does not count") {
    for (const auto& file : kBlockers) {
      CAPTURE(file);
      PlanInput in = setup(file);
      in.state.acks.push_back({"remove-domain:contoso.com", "ops", "", T0 - 70});
      Plan p = run(in, T0);
      const PlanStep& r = step(p, "remove-domain:contoso.com");
      CHECK(r.status == StepStatus::Open);
      CHECK(r.ackOutOfOrder);
      CHECK(stateText(r).find("acknowledged out of order") != std::string::npos);
      CHECK(stateText(r).find("is not done yet") != std::string::npos);
      const GateDecision g = decide(p);
      CHECK(std::find(g.outOfOrder.begin(), g.outOfOrder.end(), *StepId::parse("remove-domain:contoso.com")) !=
            g.outOfOrder.end());
      // Defederated and the default changed after that ack: it still does not count.
      in.state.acks.push_back({"defederate-domain:contoso.com", "ops", "", T0 - 60});
      in.state.acks.push_back({"set-default-domain", "ops", "", T0 - 60});
      Plan q = run(in, T0);
      CHECK(step(q, "defederate-domain:contoso.com").status == StepStatus::Done);
      CHECK(step(q, "set-default-domain").status == StepStatus::Done);
      CHECK(step(q, "remove-domain:contoso.com").status == StepStatus::Open);
      CHECK(step(q, "remove-domain:contoso.com").state.flag);  // the predecessor was done only later
      // Acknowledged again once both are done: it counts.
      in.state.acks.push_back({"remove-domain:contoso.com", "ops", "", T0 - 50});
      CHECK(step(run(in, T0), "remove-domain:contoso.com").status == StepStatus::Done);
    }
  }
  SUBCASE("acknowledged before confirm-admin-role: does not count") {
    for (const auto& file : kBlockers) {
      CAPTURE(file);
      PlanInput in = setup(file);
      in.state.acks.push_back({"set-default-domain", "ops", "", T0 - 200});
      in.state.acks.push_back({"defederate-domain:contoso.com", "ops", "", T0 - 200});
      Plan p = run(in, T0);
      CHECK(step(p, "set-default-domain").status == StepStatus::Open);
      CHECK(step(p, "set-default-domain").ackOutOfOrder);
      CHECK(step(p, "defederate-domain:contoso.com").status == StepStatus::Open);
      CHECK(step(p, "defederate-domain:contoso.com").ackOutOfOrder);
    }
  }
  SUBCASE("an ack dated after now does not count") {
    for (const auto& file : kBlockers) {
      CAPTURE(file);
      PlanInput in = setup(file);
      in.state.acks.push_back({"defederate-domain:contoso.com", "ops", "", T0 + 999});
      CHECK(step(run(in, T0), "defederate-domain:contoso.com").state.reason == Reason::AckFromFuture);
    }
  }
}

TEST_CASE("a newer export closes them: Managed, another default, the domain gone") {
  for (std::size_t i = 0; i < kBlockers.size(); ++i) {
    CAPTURE(kBlockers[i]);
    PlanInput in;
    in.tenant = tenantFile(kBlockers[i]);
    in.reports = cleanReports();
    remember(in, run(in, T0));
    in.tenant = tenantFile(kBlockersAfter[i]);
    in.tenant.domains[0].adminManaged = true;  // contoso.com: its zone already left Microsoft
    Plan p = run(in, T0 + 3600);
    checkOrdering(p);
    const PlanStep& def = step(p, "defederate-domain:contoso.com");
    CHECK(def.status == StepStatus::Done);
    CHECK(def.state.reason == Reason::GraphManaged);
    CHECK(step(p, "defederate-domain:tailspintoys.com").status == StepStatus::Done);
    const PlanStep& sd = step(p, "set-default-domain");
    CHECK(sd.status == StepStatus::Done);
    CHECK(sd.state.reason == Reason::GraphOtherDefault);
    CHECK(stateText(sd).find("contoso.onmicrosoft.com, which stays") == 0);
    // fabrikam.com is gone from the whole-tenant export: removed, its force delete over.
    CHECK(step(p, "remove-domain:fabrikam.com").state.reason == Reason::AbsentFromGraph);
    CHECK(step(p, "remove-domain:fabrikam.com").status == StepStatus::Done);
    // The force delete of tailspintoys.com no longer shown: an ordinary removal to acknowledge.
    CHECK(step(p, "remove-domain:tailspintoys.com").state.reason == Reason::NotAcknowledged);
    // A state that never saw the blockers has no such steps.
    PlanInput fresh;
    fresh.tenant = tenantFile(kBlockersAfter[i]);
    fresh.reports = cleanReports();
    Plan f = run(fresh, T0);
    CHECK_FALSE(has(f, "defederate-domain:contoso.com"));
    CHECK_FALSE(has(f, "set-default-domain"));
  }
}

TEST_CASE("a newer export of another domain, or an input without Graph's fields, closes nothing") {
  for (std::size_t i = 0; i < kBlockers.size(); ++i) {
    for (int variant = 0; variant < 2; ++variant) {
      CAPTURE(kBlockers[i]);
      CAPTURE(variant);  // 0: wingtiptoys.com alone, Managed; 1: the own tenant file, names only
      PlanInput in;
      in.tenant = tenantFile(kBlockers[i]);
      in.reports = cleanReports();
      remember(in, run(in, T0));
      in.tenant = variant == 0 ? tenantFile(kOtherDomainOnly[i])
                               : tenantOf({"contoso.com", "fabrikam.com", "tailspintoys.com", "wingtiptoys.com"});
      Plan p = run(in, T0 + 3600);
      checkOrdering(p);
      const PlanStep& def = step(p, "defederate-domain:contoso.com");
      CHECK(def.status == StepStatus::Open);
      CHECK(def.state.reason == Reason::GraphNotShownAgain);
      CHECK(stateText(def).find("authenticationType") != std::string::npos);
      const PlanStep& sd = step(p, "set-default-domain");
      CHECK(sd.status == StepStatus::Open);
      CHECK(sd.state.reason == Reason::GraphNotShownAgain);
      // Which domain was the default is not known now: every removal waits for it.
      for (const char* d : {"contoso.com", "fabrikam.com", "tailspintoys.com", "wingtiptoys.com"})
        CHECK(ancestors(p, stepId("remove-domain", N(d))).count("set-default-domain") == 1);
      GateDecision g = decide(p);
      CHECK(g.verdict == GateVerdict::Blocked);
      CHECK(listsOpen(g, "defederate-domain:contoso.com"));
      CHECK(listsOpen(g, "set-default-domain"));
      // Remembered again by this run: a third run still has them.
      remember(in, p);
      CHECK(step(run(in, T0 + 7200), "defederate-domain:contoso.com").status == StepStatus::Open);
    }
  }
}

TEST_CASE("a force delete running or failed keeps remove-domain open; an ack counts only when newer") {
  const std::int64_t failedAt = *parseRfc3339("2026-12-02T09:00:00Z");
  for (const auto& file : kBlockers) {
    CAPTURE(file);
    PlanInput base;
    base.tenant = tenantFile(file);
    base.reports = cleanReports();
    {
      PlanInput in = base;
      Plan p = run(in, T0);
      const PlanStep& failed = step(p, "remove-domain:fabrikam.com");
      CHECK(failed.status == StepStatus::Open);
      CHECK(failed.state.reason == Reason::ForceDeleteFailed);
      CHECK(stateText(failed).find("force delete failed (Graph state: ForceDelete Failed, last action at "
                                   "2026-12-02T09:00:00Z)") == 0);
      CHECK(stateText(failed).find("more than 1000 objects") != std::string::npos);
      const PlanStep& running = step(p, "remove-domain:tailspintoys.com");
      CHECK(running.status == StepStatus::Open);
      CHECK(running.state.reason == Reason::ForceDeleteRunning);
      // 09:30:00.1234567Z and 10:30:00.1234567+01:00 are the same second.
      CHECK(stateText(running).find("force delete in progress (Graph state: ForceDelete InProgress, last action "
                                    "at 2026-12-02T09:30:00Z)") == 0);
      // A Verification operation is not about removal.
      CHECK(step(p, "remove-domain:wingtiptoys.com").state.reason == Reason::NotAcknowledged);
      CHECK(listsOpen(decide(p), "remove-domain:fabrikam.com"));
      CHECK(listsOpen(decide(p), "remove-domain:tailspintoys.com"));
    }
    base.state.acks.push_back({"confirm-admin-role", "ops", "", failedAt - 100});
    base.state.acks.push_back({"notify-users", "ops", "", failedAt - 90});
    base.state.acks.push_back({"move-users-off-domain:fabrikam.com", "ops", "", failedAt - 80});
    {
      // Acknowledged before the failure: set aside, and said so.
      PlanInput in = base;
      in.state.acks.push_back({"remove-domain:fabrikam.com", "bob", "", failedAt - 70});
      const PlanStep r = step(run(in, T0), "remove-domain:fabrikam.com");
      CHECK(r.status == StepStatus::Open);
      CHECK(r.state.reason == Reason::ForceDeleteFailed);
      CHECK(stateText(r).find("(The acknowledgement by bob at 2026-12-02T08:58:50Z is not newer") !=
            std::string::npos);
    }
    {
      // Acknowledged after the failure: it counts.
      PlanInput in = base;
      in.state.acks.push_back({"remove-domain:fabrikam.com", "bob", "", failedAt + 60});
      CHECK(step(run(in, T0), "remove-domain:fabrikam.com").status == StepStatus::Done);
    }
    {
      // The failure's time unknown: no ack can be newer.
      PlanInput in = base;
      REQUIRE(in.tenant.domains[1].forceDelete.has_value());
      in.tenant.domains[1].forceDelete->lastAction.reset();
      in.state.acks.push_back({"remove-domain:fabrikam.com", "bob", "", T0 - 10});
      const PlanStep r = step(run(in, T0), "remove-domain:fabrikam.com");
      CHECK(r.status == StepStatus::Open);
      CHECK(stateText(r).find("last action at an unknown time") != std::string::npos);
    }
    {
      // In progress: open until a newer export, or an ack after it.
      PlanInput in = base;
      in.state.acks.push_back({"move-users-off-domain:tailspintoys.com", "ops", "", failedAt - 80});
      in.state.acks.push_back({"defederate-domain:tailspintoys.com", "ops", "", failedAt - 80});
      in.state.acks.push_back({"remove-domain:tailspintoys.com", "bob", "", failedAt - 70});
      CHECK(step(run(in, T0), "remove-domain:tailspintoys.com").state.reason == Reason::ForceDeleteRunning);
      in.state.acks.push_back({"remove-domain:tailspintoys.com", "bob", "", T0 - 10});
      CHECK(step(run(in, T0), "remove-domain:tailspintoys.com").status == StepStatus::Done);
    }
  }
}

TEST_CASE("more than 1000 domainNameReferences: the runbook says forceDelete refuses the domain") {
  for (const auto& file : kOverLimit) {
    CAPTURE(file);
    PlanInput in;
    in.tenant = tenantFile(file);
    in.reports = {report(cleanAs("fabrikam.com"))};
    Plan p = run(in, T0);
    const PlanStep& move = step(p, "move-users-off-domain:fabrikam.com");
    CHECK(move.status == StepStatus::Open);
    CHECK(move.state.reason == Reason::GraphReferencesOverLimit);
    CHECK(move.state.count == 1001);
    CHECK(move.changes.size() == 1001);
    CHECK(stateText(move).find("Graph domainNameReferences lists 1001 objects still using the domain: "
                               "user0001@fabrikam.com, user0002@fabrikam.com") == 0);
    CHECK(stateText(move).find("forceDelete refuses a domain when more than 1000 objects") != std::string::npos);
    CHECK(step(p, "remove-domain:fabrikam.com").status == StepStatus::Open);
    CHECK(decide(p).verdict == GateVerdict::Blocked);
    // Exactly at the limit, forceDelete would still take it: no such words.
    in.tenant.domains[0].references->resize(kForceDeleteObjectLimit);
    const PlanStep at = step(run(in, T0), "move-users-off-domain:fabrikam.com");
    CHECK(at.state.reason == Reason::GraphReferences);
    CHECK(stateText(at).find("forceDelete") == std::string::npos);
  }
}

TEST_CASE("first sight: supportedServices without Email, from Graph and from PowerShell, exempts the MX") {
  // wingtiptoys.com exports "supportedServices": [] and fabrikam.com ["Email"], in both forms.
  for (const char* file : {"fixtures/tenants/graph-blockers.json", "fixtures/tenants/graph-powershell-blockers.json",
                           "fixtures/tenants/graph-powershell.json"}) {
    CAPTURE(file);
    Dns w = clean();
    w.parentTtl = 3600;
    w.mxTtl = 7200;  // the longest, if it counted
    Dns f = cleanAs("fabrikam.com");
    f.parentTtl = 3600;
    f.mxTtl = 7200;
    PlanInput in;
    in.tenant = tenantFile(file);
    in.reports = {report(w), report(f)};
    Plan p = runFirst(in, T0);
    CHECK(*step(p, "wait-propagation:wingtiptoys.com").notBefore == T0 + 3600);  // NS only
    CHECK(*step(p, "wait-propagation:fabrikam.com").notBefore == T0 + 7200);     // Email: the MX counts
  }
}

// ---- MTA-STS (SPEC §4 update-mta-sts) ---------------------------------------------------------

namespace {

constexpr std::uint32_t kWeek = 604800;

std::string stsPolicy(const std::string& mode, const std::vector<std::string>& mx, std::uint32_t maxAge) {
  std::string p = "version: STSv1\nmode: " + mode + "\n";
  for (const auto& m : mx) p += "mx: " + m + "\n";
  return p + "max_age: " + std::to_string(maxAge) + "\n";
}

// fabrikam.com with an MTA-STS record of id `id` whose policy is `body` (as fetched).
DomainReport stsReport(Dns d, const std::string& id, const std::string& body, bool fetchedOk = true) {
  d.sts = id.empty() ? "" : "v=STSv1; id=" + id + ";";
  CheckContext ctx;
  if (!id.empty())
    ctx.policy = PolicyFetch{fetchedOk, "https://mta-sts.fabrikam.com/.well-known/mta-sts.txt (127.0.0.9)",
                             fetchedOk ? body : "", fetchedOk ? "" : "connection refused"};
  return report(d, ctx);
}

const std::string kOnlyMs = stsPolicy("enforce", {"*.mail.protection.outlook.com"}, kWeek);
const std::string kNewMx = stsPolicy("enforce", {"mx1.newmail.example", "mx2.newmail.example"}, 86400);

}  // namespace

TEST_CASE("MTA-STS admitting only Microsoft's MX: update-mta-sts first, then the MX change waits max_age") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {stsReport(mxAtMicrosoft(), "1", kOnlyMs)};
  Plan p = run(in, T0);
  checkOrdering(p);
  const PlanStep& sts = step(p, "update-mta-sts:fabrikam.com");
  CHECK(sts.status == StepStatus::Open);
  CHECK(sts.state.reason == Reason::StillAtM365);
  CHECK(texts(sts.after) == std::vector<std::string>{"confirm-admin-role"});
  const auto ordered = ids(p);
  CHECK(std::find(ordered.begin(), ordered.end(), "update-mta-sts:fabrikam.com") <
        std::find(ordered.begin(), ordered.end(), "update-mx:fabrikam.com"));
  const PlanStep& mx = step(p, "update-mx:fabrikam.com");
  CHECK(contains(texts(mx.after), "update-mta-sts:fabrikam.com"));
  CHECK_FALSE(canStartNow(mx, p));
  // What to publish: the new MX in the policy, then a new id in the record.
  auto changes = changeTexts(sts);
  CHECK(std::any_of(changes.begin(), changes.end(), [](const std::string& c) {
    return c.find("serve at https://mta-sts.fabrikam.com/.well-known/mta-sts.txt: version: STSv1 | mode: enforce | "
                  "mx: mx1.newmail.example | mx: mx2.newmail.example | max_age: 604800") != std::string::npos;
  }));
  CHECK(std::any_of(changes.begin(), changes.end(), [](const std::string& c) {
    return c.find("replace: _mta-sts.fabrikam.com. 3600 IN TXT \"v=STSv1; id=1;\"  =>  _mta-sts.fabrikam.com. 3600 "
                  "IN TXT \"v=STSv1; id=20261215T100000Z;\"") != std::string::npos;
  }));
  CHECK(decide(p).verdict == GateVerdict::Blocked);

  // A day later the new policy is published under a new id: the MX change may start a week
  // (the old max_age) after offboard saw it, not before.
  const std::int64_t t1 = T0 + 86400;
  in.reports = {stsReport(mxAtMicrosoft(), "2", kNewMx)};
  p = runFirst(in, t1);
  checkOrdering(p);
  CHECK(step(p, "update-mta-sts:fabrikam.com").status == StepStatus::Done);
  const PlanStep& mx2 = step(p, "update-mx:fabrikam.com");
  REQUIRE(mx2.notBefore);
  CHECK(*mx2.notBefore == t1 + kWeek);
  CHECK_FALSE(canStartNow(mx2, p));

  // The MX changes at once anyway: the gate still waits the old policy's max_age.
  Dns moved = mxAtMicrosoft();
  moved.mx = {{10, "mx1.newmail.example"}, {20, "mx2.newmail.example"}};
  moved.txt = {"v=spf1 include:_spf.newmail.example -all"};
  moved.cname.clear();
  in.reports = {stsReport(moved, "2", kNewMx)};
  p = runFirst(in, t1 + 3600);
  const PlanStep& wait = step(p, "wait-propagation:fabrikam.com");
  REQUIRE(wait.notBefore);
  CHECK(*wait.notBefore >= t1 + kWeek);
  CHECK(wait.status == StepStatus::Open);
  p = runFirst(in, t1 + kWeek - 60);
  CHECK(step(p, "wait-propagation:fabrikam.com").status == StepStatus::Open);
  p = runFirst(in, t1 + kWeek + 3600);
  CHECK(step(p, "wait-propagation:fabrikam.com").status == StepStatus::Done);
  CHECK(step(p, "update-mta-sts:fabrikam.com").status == StepStatus::Done);
}

TEST_CASE("update-mta-sts cannot be led to done too early") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {stsReport(mxAtMicrosoft(), "1", kOnlyMs)};
  run(in, T0);
  const std::int64_t t1 = T0 + 86400;

  SUBCASE("a new policy under the old id: senders never fetch it") {
    in.reports = {stsReport(mxAtMicrosoft(), "1", kNewMx)};
    Plan p = runFirst(in, t1);
    const PlanStep& s = step(p, "update-mta-sts:fabrikam.com");
    CHECK(s.status == StepStatus::Open);
    CHECK(s.state.reason == Reason::MtaStsSameId);
    CHECK(decide(p).verdict != GateVerdict::Ready);
  }
  SUBCASE("a new policy that does not admit the new MX") {
    in.reports = {stsReport(mxAtMicrosoft(), "2", stsPolicy("enforce", {"mx9.other.example"}, 86400))};
    Plan p = runFirst(in, t1);
    const PlanStep& s = step(p, "update-mta-sts:fabrikam.com");
    CHECK(s.status == StepStatus::Open);
    CHECK(s.state.reason == Reason::MtaStsNewMxNotListed);
    CHECK(s.state.expected.size() == 2);
  }
  SUBCASE("the record removed while senders hold the policy") {
    in.reports = {stsReport(mxAtMicrosoft(), "", "")};
    Plan p = runFirst(in, t1);
    const PlanStep& s = step(p, "update-mta-sts:fabrikam.com");
    CHECK(s.status == StepStatus::Open);
    CHECK(s.state.reason == Reason::MtaStsRecordRemoved);
  }
  SUBCASE("the policy cannot be fetched any more: indeterminate, not done") {
    in.reports = {stsReport(mxAtMicrosoft(), "2", "", false)};
    Plan p = runFirst(in, t1);
    CHECK(step(p, "update-mta-sts:fabrikam.com").status == StepStatus::Indeterminate);
    CHECK(decide(p).verdict != GateVerdict::Ready);
  }
  SUBCASE("a policy with a duplicate mode (enforce, then none): indeterminate, not done") {
    in.reports = {stsReport(mxAtMicrosoft(), "2", kOnlyMs + "mode: none\n")};
    Plan p = runFirst(in, t1);
    CHECK(step(p, "update-mta-sts:fabrikam.com").status == StepStatus::Indeterminate);
  }
  SUBCASE("max_age shortened just before the change: the longest one seen counts") {
    in.reports = {stsReport(mxAtMicrosoft(), "1", stsPolicy("enforce", {"*.mail.protection.outlook.com"}, 60))};
    runFirst(in, T0 + 3600);
    in.reports = {stsReport(mxAtMicrosoft(), "2", kNewMx)};
    Plan p = runFirst(in, t1);
    REQUIRE(step(p, "update-mx:fabrikam.com").notBefore);
    CHECK(*step(p, "update-mx:fabrikam.com").notBefore == t1 + kWeek);
  }
  SUBCASE("a clock set back after the change does not start the wait earlier") {
    in.reports = {stsReport(mxAtMicrosoft(), "2", kNewMx)};
    runFirst(in, t1);
    Plan p = runFirst(in, T0 - 5 * 86400);  // --now in the past
    REQUIRE(step(p, "update-mx:fabrikam.com").notBefore);
    CHECK(*step(p, "update-mx:fabrikam.com").notBefore >= t1 + kWeek);
  }
  SUBCASE("a waiver of update-mx does not pass the gate while the policy wait runs") {
    in.reports = {stsReport(mxAtMicrosoft(), "2", kNewMx)};
    Plan p = runFirst(in, t1);
    CHECK(step(p, "wait-propagation:fabrikam.com").status != StepStatus::Done);
    CHECK(decide(p).verdict != GateVerdict::Ready);
  }
}

TEST_CASE("update-mta-sts also when a policy that admits more than Microsoft's misses the new MX") {
  PlanInput in;
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {stsReport(mxAtMicrosoft(), "1",
                          stsPolicy("enforce", {"*.mail.protection.outlook.com", "backup.fabrikam.com"}, kWeek))};
  Plan p = run(in, T0);
  const PlanStep& s = step(p, "update-mta-sts:fabrikam.com");
  CHECK(s.status == StepStatus::Open);
  CHECK(s.state.reason == Reason::MtaStsNewMxNotListed);
  // No MTA-STS record at all: no step.
  in = PlanInput{};
  in.tenant = tenantOf({"fabrikam.com"});
  in.reports = {report(mxAtMicrosoft())};
  CHECK_FALSE(has(run(in, T0), "update-mta-sts:fabrikam.com"));
}
