// The gate: ready only when every gating step is done or waived; fails closed (SPEC §4, §5;
// research reliability.md §6: monotone, never ready on missing evidence).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "checks/checks.h"
#include "commands/plan_commands.h"
#include "fake_resolver.h"
#include "plan_text.h"
#include "gate/gate.h"
#include "state/observe.h"
#include "plan/planner.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

PlanStep st(const std::string& id, StepStatus s, bool gating = true) {
  PlanStep p;
  p.id = *StepId::parse(id);
  p.status = s;
  p.gating = gating;
  p.state = StepState(Reason::StillAtM365);
  p.state.seen = {{"", "state of " + id}};
  return p;
}

Plan planOf(std::vector<PlanStep> steps) {
  Plan p;
  p.steps = std::move(steps);
  return p;
}

// A domain's DNS as literal data (the same shape as in test_planner.cc).
struct Dns {
  std::string domain;
  std::vector<std::string> parentNs = {"ns1.olddns.example"};
  std::vector<std::string> childNs = {"ns1.olddns.example"};
  std::vector<std::pair<std::uint16_t, std::string>> mx = {{10, "mx1.newmail.example"}};
  std::vector<std::string> txt;
  std::map<std::string, std::string> cname;
};

std::vector<Observation> observe(const Dns& d) {
  const DnsName D = N(d.domain);
  std::vector<Observation> out;
  auto answer = [&](const Question& q) {
    std::vector<Record> rrs;
    std::string owner;
    if (q.name != D)
      for (const auto& l : q.name.labelsBelow(D)) owner += (owner.empty() ? "" : ".") + l;
    if (q.type == RRType::NS && q.name == D)
      for (const auto& n : q.parentSide ? d.parentNs : d.childNs)
        rrs.push_back(rec(d.domain, RRType::NS, n, q.parentSide ? 172800 : 3600));
    else if (q.type == RRType::MX && q.name == D)
      for (const auto& [p, h] : d.mx) rrs.push_back(rec(d.domain, RRType::MX, h, 3600, p));
    else if (q.type == RRType::TXT && q.name == D)
      for (const auto& t : d.txt) rrs.push_back(txt(d.domain, {t}));
    else if ((q.type == RRType::CNAME || q.type == RRType::SRV) && d.cname.count(owner))
      rrs.push_back(rec(q.name.toString(), q.type, d.cname.at(owner)));
    return obs(q.name.toString(), q.type, rrs.empty() ? Outcome::NoData : Outcome::Answer, rrs, q.parentSide);
  };
  for (const auto& q : questionsFor(D, true)) out.push_back(answer(q));
  for (int i = 0; i < 10; ++i) {
    auto more = followUps(D, out);
    if (more.empty()) break;
    for (const auto& q : more) out.push_back(obs(q.name.toString(), q.type, Outcome::NoData));
  }
  return out;
}

// The demo tenant before the migration…
std::vector<Dns> before() {
  Dns contoso{"contoso.com",
              {"ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"},
              {"ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"},
              {{0, "contoso-com.mail.protection.outlook.com"}},
              {"v=spf1 include:spf.protection.outlook.com -all", "MS=ms12345678"},
              {{"autodiscover", "autodiscover.outlook.com"}, {"sip", "sipdir.online.lync.com"}}};
  Dns fabrikam{"fabrikam.com", {"ns1.olddns.example"}, {"ns1.olddns.example"},
               {{0, "fabrikam-com.mail.protection.outlook.com"}},
               {"v=spf1 include:spf.protection.outlook.com -all"},
               {{"selector1._domainkey", "selector1-fabrikam-com._domainkey.fabrikam.onmicrosoft.com"}}};
  Dns tailspin{"tailspintoys.com", {"ns1.olddns.example"}, {"ns1.olddns.example"},
               {{10, "mx1.newmail.example"}},
               {"v=spf1 include:spf.protection.outlook.com include:_spf.newmail.example -all"},
               {{"autodiscover", "autodiscover.outlook.com"}}};
  Dns wingtip{"wingtiptoys.com", {"ns1.newdns.example"}, {"ns1.newdns.example"},
              {{10, "mx1.newmail.example"}}, {"v=spf1 include:_spf.newmail.example -all"}, {}};
  return {contoso, fabrikam, tailspin, wingtip};
}

// …and after it: nothing left at Microsoft 365.
std::vector<Dns> after() {
  std::vector<Dns> out;
  for (Dns d : before()) {
    d.parentNs = d.childNs = {"ns1.newdns.example"};
    d.mx = {{10, "mx1.newmail.example"}};
    d.txt = {"v=spf1 include:_spf.newmail.example -all"};
    d.cname = {{"autodiscover", "autodiscover.newmail.example"}};
    out.push_back(d);
  }
  return out;
}

Tenant tenant() {
  Tenant t;
  t.source = TenantSource::OwnFile;
  t.file = "tenant.json";
  t.subscriptions.push_back({"Business Premium", "business", 12, true});
  for (const auto& d : before()) {
    TenantDomain td;
    std::string err;
    td.input = *normalizeDomain(d.domain, &err);
    t.domains.push_back(td);
  }
  t.newMx = {{N("mx1.newmail.example"), 10}};
  t.newSpfInclude = N("_spf.newmail.example");
  t.newNameservers = {N("ns1.newdns.example")};
  return t;
}

constexpr std::int64_t T0 = 1797328800;
constexpr std::int64_t T1 = T0 + 3600;
constexpr std::int64_t NOW = T1 + 172800 + 60;  // every wait over

std::vector<std::vector<Observation>> observeAll(const std::vector<Dns>& world) {
  std::vector<std::vector<Observation>> out;
  for (const auto& d : world) out.push_back(observe(d));
  return out;
}

// One gate run at `now` over `observed` (one vector per domain), on top of `base`.
Plan gateRun(const StateSnapshot& base, const std::vector<std::vector<Observation>>& observed,
             std::int64_t now, const std::map<DnsName, NewHostView>& newHost = {}) {
  PlanInput in;
  in.tenant = tenant();
  in.state = base;
  in.now = now;
  in.newHost = newHost;
  auto domains = before();
  for (std::size_t i = 0; i < domains.size(); ++i) {
    DomainReport r = evaluate(N(domains[i].domain), observed[i]);
    for (auto row : observationsOf(r, now)) in.state.observations.push_back(row);
    in.reports.push_back(std::move(r));
  }
  return buildPlan(in);
}

// History: the tenant seen before the migration at T0 and after it at T1; every manual step
// acknowledged; the new DNS host verified for contoso.com.
struct World {
  StateSnapshot state;
  std::map<DnsName, NewHostView> newHost;
};

World migrated() {
  World w;
  PlanInput first;
  first.tenant = tenant();
  auto b = before();
  for (const auto& d : b) {
    DomainReport r = evaluate(N(d.domain), observe(d));
    std::optional<std::string> zone;
    if (hostedByMicrosoftNow(r)) zone = encodeRequired(requiredAtNewHost(first.tenant, r, nullptr, {}));
    for (auto row : observationsOf(r, T0, zone)) w.state.observations.push_back(row);
    if (zone) {
      NewHostView v{"ns1.newdns.example.", {}, {}, ""};
      const auto required = decodeRequired(*zone);
      REQUIRE(required.has_value());
      for (const auto& x : *required) {
        Record got = x.record;
        if (!x.exact) got = rec(d.domain, RRType::MX, "mx1.newmail.example", 3600, 10);
        v.records.push_back(got);
      }
      w.newHost[N(d.domain)] = v;
    }
  }
  Plan p = gateRun(w.state, observeAll(after()), T1, w.newHost);
  // Acknowledged once the waits are over, in plan order (SPEC §4: an ack made while a step it
  // comes after was open does not count).
  for (const auto& row : p.steps)
    if (row.kind == StepKind::Manual) w.state.acks.push_back({row.id.str(), "ops", "", NOW});
  // T1's observations are part of the history too.
  auto a = after();
  for (const auto& d : a)
    for (auto row : observationsOf(evaluate(N(d.domain), observe(d)), T1)) w.state.observations.push_back(row);
  return w;
}

std::set<std::string> doneSet(const Plan& p) {
  std::set<std::string> out;
  for (const auto& s : p.steps)
    if (s.gating && (s.status == StepStatus::Done || s.status == StepStatus::Waived)) out.insert(s.id.str());
  return out;
}

int rank(GateVerdict v) { return v == GateVerdict::Ready ? 0 : 1; }

}  // namespace

TEST_CASE("ready only when every gating step is done or waived") {
  CHECK(decide(planOf({st("confirm-admin-role", StepStatus::Done), st("notify-users", StepStatus::Waived)})).verdict ==
        GateVerdict::Ready);
  CHECK(gateExitCode(decide(planOf({st("confirm-admin-role", StepStatus::Done)}))) == 0);
  // The decision points into the plan: it lives as long as the decision is read.
  const Plan plan = planOf({st("confirm-admin-role", StepStatus::Done), st("notify-users", StepStatus::Open)});
  GateDecision open = decide(plan);
  CHECK(open.verdict == GateVerdict::Blocked);
  CHECK(gateExitCode(open) == 1);
  REQUIRE(open.open.size() == 1);
  CHECK(open.open[0].name() == "notify-users");
  CHECK(open.open[0].step == &plan.steps[1]);
  CHECK(gateItemText(open.open[0], plan) == "still at Microsoft 365: state of notify-users");
}

TEST_CASE("missing evidence is exit 3 only when nothing definite blocks") {
  GateDecision ind = decide(planOf({st("confirm-admin-role", StepStatus::Done), st("notify-users", StepStatus::Indeterminate)}));
  CHECK(ind.verdict == GateVerdict::Indeterminate);
  CHECK(gateExitCode(ind) == 3);
  GateDecision both = decide(planOf({st("confirm-admin-role", StepStatus::Open), st("notify-users", StepStatus::Indeterminate)}));
  CHECK(both.verdict == GateVerdict::Blocked);
  CHECK(gateExitCode(both) == 1);
  CHECK(both.indeterminate.size() == 1);
}

TEST_CASE("cancel-subscription never counts as open and uninstall-office never blocks") {
  GateDecision d = decide(planOf({st("backup-data", StepStatus::Done),
                                  st("cancel-subscription", StepStatus::Open, false),
                                  st("uninstall-office", StepStatus::Open, false)}));
  CHECK(d.verdict == GateVerdict::Ready);
  CHECK(d.open.empty());
}

TEST_CASE("an empty plan is never ready") {
  CHECK(decide(planOf({})).verdict != GateVerdict::Ready);
  CHECK(decide(planOf({st("cancel-subscription", StepStatus::Open, false)})).verdict != GateVerdict::Ready);
}

TEST_CASE("the demo tenant: blocked before the migration, ready after it and its waits") {
  World w = migrated();
  Plan blocked = gateRun({}, observeAll(before()), T0);
  CHECK(decide(blocked).verdict == GateVerdict::Blocked);
  Plan early = gateRun(w.state, observeAll(after()), T1 + 3600, w.newHost);
  GateDecision e = decide(early);
  CHECK(e.verdict == GateVerdict::Blocked);
  // The waits, and the manual steps whose acks are dated after this moment.
  CHECK(std::any_of(e.open.begin(), e.open.end(),
                    [](const GateItem& i) { return i.name().rfind("wait-propagation:", 0) == 0; }));
  CHECK(std::all_of(e.open.begin(), e.open.end(), [&](const GateItem& i) {
    const PlanStep* s = i.step;
    return s && (s->kind == StepKind::Time || s->kind == StepKind::Manual);
  }));
  Plan ready = gateRun(w.state, observeAll(after()), NOW, w.newHost);
  GateDecision r = decide(ready);
  for (const auto& i : r.open) INFO(i.name(), ": ", gateItemText(i, ready));
  CHECK(r.verdict == GateVerdict::Ready);
  CHECK(gateExitCode(r) == 0);
}

TEST_CASE("monotone: acks moved earlier, rows stamped in the past, revocations never improve the gate (fixed seed)") {
  World w = migrated();
  Plan reference = gateRun(w.state, observeAll(after()), NOW, w.newHost);
  REQUIRE(decide(reference).verdict == GateVerdict::Ready);
  const std::set<std::string> refDone = doneSet(reference);
  std::mt19937 rng(20261201);
  for (int iter = 0; iter < 200; ++iter) {
    StateSnapshot s = w.state;
    std::string what;
    const int kind = iter % 4;
    if (kind == 0) {
      // An ack made earlier than it was (before the wait it comes after ended, say).
      auto& a = s.acks[rng() % s.acks.size()];
      const std::int64_t back = 1 + static_cast<std::int64_t>(rng() % (3 * 86400));
      a.at -= back;
      what = "ack of " + a.step + " moved back " + std::to_string(back) + " s";
    } else if (kind == 1) {
      // A run with a clock set back: the new values recorded again, stamped in the past.
      const std::int64_t at = T0 - 86400 + static_cast<std::int64_t>(rng() % (NOW - T0 + 86400));
      for (const auto& d : after())
        for (auto row : observationsOf(evaluate(N(d.domain), observe(d)), at)) s.observations.push_back(row);
      what = "after-rows stamped " + std::to_string(at);
    } else if (kind == 2) {
      // A revocation of a random step, at a random time (even before its ack).
      const auto& steps = reference.steps;
      const std::string id = steps[rng() % steps.size()].id.str();
      s.revocations.push_back({id, "lead", "undone", T0 + static_cast<std::int64_t>(rng() % (NOW - T0)), 1000 + iter});
      what = "revoked " + id;
    } else {
      // A second, earlier ack of a step recorded after the good one: the latest counts.
      auto a = s.acks[rng() % s.acks.size()];
      a.at = T0 + static_cast<std::int64_t>(rng() % (T1 - T0));
      a.seq = 1000 + iter;
      s.acks.push_back(a);
      what = "re-ack of " + a.step + " at " + std::to_string(a.at);
    }
    CAPTURE(iter);
    CAPTURE(what);
    Plan p = gateRun(s, observeAll(after()), NOW, w.newHost);
    for (const auto& id : doneSet(p)) CHECK_MESSAGE(refDone.count(id) == 1, id);
    // Moved before a wait it comes after: that step is not done.
    if (kind == 0 || kind == 3) {
      const std::string id = what.substr(what.find("of ") + 3, what.find(' ', what.find("of ") + 3) - what.find("of ") - 3);
      const PlanStep* st = findStep(p, id);
      REQUIRE(st != nullptr);
      for (const auto& a : st->after) {
        const PlanStep* before = findStep(reference, a);
        if (before && before->kind == StepKind::Time && before->notBefore) {
          const AckRow* latest = nullptr;
          for (const auto& r : s.acks)
            if (r.step == id && (!latest || r.seq >= latest->seq)) latest = &r;
          if (latest && latest->at < *before->notBefore) CHECK(st->status != StepStatus::Done);
        }
      }
    }
  }
}

TEST_CASE("monotone: turning observations into failures never improves the gate (fixed seed)") {
  World w = migrated();
  std::mt19937 rng(20261215);
  struct Base {
    const char* name;
    std::vector<std::vector<Observation>> observed;
    StateSnapshot state;
  };
  std::vector<Base> bases = {{"before", observeAll(before()), {}},
                             {"after", observeAll(after()), w.state}};
  const Outcome failures[] = {Outcome::Timeout, Outcome::ServFail, Outcome::Refused, Outcome::Malformed};
  for (const auto& base : bases) {
    Plan reference = gateRun(base.state, base.observed, NOW, w.newHost);
    GateDecision ref = decide(reference);
    std::set<std::string> refDone = doneSet(reference);
    std::size_t total = 0;
    for (const auto& v : base.observed) total += v.size();
    for (int iter = 0; iter < 150; ++iter) {
      // A random non-empty subset of the observations fails.
      auto observed = base.observed;
      std::bernoulli_distribution pick(iter < 50 ? 1.0 / static_cast<double>(total) : 0.08);
      std::size_t failed = 0;
      std::string which;
      while (failed == 0) {
        for (auto& v : observed)
          for (auto& o : v)
            if (pick(rng)) {
              o.outcome = failures[rng() % 4];
              o.answer.clear();
              o.negativeTtl.reset();
              ++failed;
              which += o.question.name.toString() + "/" + rrTypeName(o.question.type) +
                       (o.question.parentSide ? "(parent) " : " ");
            }
      }
      std::string baseName = base.name;
      CAPTURE(baseName);
      CAPTURE(iter);
      CAPTURE(which);
      Plan p = gateRun(base.state, observed, NOW, w.newHost);
      GateDecision d = decide(p);
      CHECK(rank(d.verdict) >= rank(ref.verdict));
      CHECK(d.verdict != GateVerdict::Ready);  // never ready on missing evidence
      for (const auto& id : doneSet(p)) CHECK_MESSAGE(refDone.count(id) == 1, id);
    }
  }
}

// ---- the commands around the gate (runGate, runAck, runWaive, runStatus, runHistory) ---------

namespace {

// A state file in a fresh temporary directory, removed afterwards.
struct TempState {
  std::filesystem::path dir;
  std::string path;
  TempState() {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("offboard-test-gate-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    path = (dir / "offboard.db").string();
  }
  ~TempState() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::unique_ptr<StateStore> open() {
    auto s = StateStore::open(path, OpenMode::CreateIfMissing);
    INFO(s.status().message());
    REQUIRE(s);
    return std::move(s).value();
  }
};

// What the state holds; a failed read fails the test.
StateSnapshot snapshotOf(StateStore& store) {
  auto s = store.snapshot();
  INFO(s.status().message());
  REQUIRE(s);
  return std::move(s).value();
}

// A fake resolver that answers every question of the given world (and NODATA otherwise).
std::unique_ptr<FakeResolver> resolverFor(const std::vector<Dns>& world) {
  auto r = std::make_unique<FakeResolver>(Outcome::NoData, true);
  for (const auto& d : world)
    for (auto& o : observe(d)) r->set(o);
  return r;
}

struct Out {
  std::ostringstream out, err;
  Io io{out, err};
};

}  // namespace

TEST_CASE("gate command: records what it saw, decides, and renders each format") {
  TempState ts;
  auto store = ts.open();
  auto resolver = resolverFor(before());
  GateOptions o;
  o.format = "json";
  Out a;
  CHECK(runGate(o, tenant(), *resolver, *store, T0, nullptr, a.io) == 1);
  auto j = nlohmann::json::parse(a.out.str());
  CHECK(j["schema"] == "offboard.gate/1");
  CHECK(j["ready"] == false);
  CHECK_FALSE(snapshotOf(*store).observations.empty());
  for (const char* f : {"text", "junit", "sarif"}) {
    CAPTURE(f);
    o.format = f;
    Out b;
    CHECK(runGate(o, tenant(), *resolver, *store, T0 + 1, nullptr, b.io) == 1);
    CHECK_FALSE(b.out.str().empty());
  }
}

TEST_CASE("ack and waive validate the step, the kind, and the text") {
  TempState ts;
  auto store = ts.open();
  struct Case {
    std::string step, by, note;
    int rc;
    const char* err;
  };
  // The steps of the tenant's plan, as a plan or gate run keeps them.
  REQUIRE(store->setPlanSteps({"confirm-admin-role", "notify-users", "move-users-off-domain:xn--bcher-kva.example",
                               "remove-dkim:fabrikam.com", "update-mx:contoso.com", "wait-propagation:contoso.com"})
              .isOk());
  const Case acks[] = {
      {"notify-users", "alice", "sent", 0, ""},
      {"move-users-off-domain:Bücher.Example", "alice", "", 0, ""},
      {"notfy-users", "alice", "", 2, "valid steps are:"},
      {"update-mx:contoso.com", "alice", "", 2, "offboard waive update-mx:contoso.com"},
      {"wait-propagation:contoso.com", "alice", "", 2, "is a time step"},
      {"notify-users", "   ", "", 2, "--by is required"},
      {"notify-users", "al\x1b[31mice", "", 2, "control character"},
  };
  for (const auto& c : acks) {
    CAPTURE(c.step);
    Out x;
    AckOptions o;
    o.step = c.step;
    o.by = c.by;
    o.note = c.note;
    CHECK(runAck(o, *store, T0, x.io) == c.rc);
    CHECK(x.err.str().find(c.err) != std::string::npos);
  }
  auto snap = snapshotOf(*store);
  REQUIRE(snap.acks.size() == 2);
  CHECK(snap.acks[1].step == "move-users-off-domain:xn--bcher-kva.example");

  Out w1, w2, w3;
  WaiveOptions wo;
  wo.step = "remove-dkim:fabrikam.com";
  wo.by = "carol";
  CHECK(runWaive(wo, *store, T0, w1.io) == 2);  // no reason
  CHECK(w1.err.str().find("--reason is required") != std::string::npos);
  wo.reason = "the new provider signs with its own selectors";
  CHECK(runWaive(wo, *store, T0, w2.io) == 0);
  wo.step = "cancel-subscription";
  CHECK(runWaive(wo, *store, T0, w3.io) == 2);
  CHECK(snapshotOf(*store).waivers.size() == 1);

  Out h;
  CHECK(runHistory(HistoryOptions{}, *store, h.io) == 0);
  CHECK(h.out.str().find("notify-users  by alice  sent") != std::string::npos);
  CHECK(h.out.str().find("remove-dkim:fabrikam.com  by carol") != std::string::npos);
  Out s;
  CHECK(runStatus(StatusOptions{}, std::nullopt, nullptr, store.get(), T0, nullptr, s.io) == 0);
  CHECK(s.out.str().find("waivers (1):") != std::string::npos);
}

TEST_CASE("the whole cut-over through the commands: blocked, then ready after the TTL") {
  TempState ts;
  auto store = ts.open();
  GateOptions o;
  auto old = resolverFor(before());
  Out first;
  CHECK(runGate(o, tenant(), *old, *store, T0, nullptr, first.io) == 1);
  // The manual steps, acknowledged in plan order once what they come after is done: those
  // before the waits now, the rest when the waits are over (below).
  auto planned = store->planSteps();
  REQUIRE(planned.isOk());
  auto ackAll = [&](std::int64_t at, bool afterWaits) {
    for (const auto& id : *planned) {
      const bool early = id == "confirm-admin-role" || id == "notify-users";
      const bool manual = early || id == "backup-data" || id.rfind("move-users-off-domain:", 0) == 0 ||
                          id.rfind("remove-domain:", 0) == 0;
      if (!manual || early == afterWaits) continue;
      Out x;
      CAPTURE(id);
      CHECK(runAck(AckOptions{id, "ops", "", "", ts.path}, *store, at, x.io) == 0);
    }
  };
  ackAll(T0 + 10, false);
  // The new DNS host answers for contoso.com (queried directly through the factory).
  std::vector<std::string> asked;
  auto newWorld = after();
  DirectResolverFactory direct = [&](const std::vector<std::string>& servers) -> std::unique_ptr<Resolver> {
    asked = servers;
    auto r = std::make_unique<FakeResolver>(Outcome::NoData);
    for (auto& ob : observe(newWorld[0])) r->set(ob);
    return r;
  };
  auto fresh = resolverFor(after());
  fresh->set(obs("ns1.newdns.example", RRType::A, Outcome::Answer, {[] {
                   Record r = rec("ns1.newdns.example", RRType::A, "ns1.newdns.example");
                   r.data = "127.0.0.1";
                   r.target = DnsName();
                   return r;
                 }()}));
  Out mid;
  o.format = "json";
  CHECK(runGate(o, tenant(), *fresh, *store, T1, direct, mid.io) == 1);
  CHECK(asked == std::vector<std::string>{"127.0.0.1"});
  auto j = nlohmann::json::parse(mid.out.str());
  // Open: the waits, and the manual steps after them (not acknowledged yet).
  for (const auto& item : j["open"]) {
    const std::string id = item["id"].get<std::string>();
    CAPTURE(id);
    CHECK((id.rfind("wait-propagation:", 0) == 0 || id == "backup-data" ||
           id.rfind("move-users-off-domain:", 0) == 0 || id.rfind("remove-domain:", 0) == 0));
  }
  Out before48h, at48h, early, acked;
  CHECK(runGate(o, tenant(), *fresh, *store, T1 + 172799, direct, before48h.io) == 1);
  // An ack made during the wait does not count, even once the wait is over.
  REQUIRE(store->addAck(AckRow{"backup-data", "ops", "", T1 + 100}).isOk());
  CHECK(runGate(o, tenant(), *fresh, *store, T1 + 172800, direct, early.io) == 1);
  CHECK(early.out.str().find("acknowledged out of order") != std::string::npos);
  CHECK(nlohmann::json::parse(early.out.str())["out_of_order"] == nlohmann::json::array({"backup-data"}));
  ackAll(T1 + 172800, true);
  CHECK(runGate(o, tenant(), *fresh, *store, T1 + 172800, direct, at48h.io) == 0);
  CHECK(nlohmann::json::parse(at48h.out.str())["ready"] == true);
}

TEST_CASE("tenant arguments: exclusive, validated, files named in errors") {
  std::string err;
  TenantArgs both;
  both.tenantFile = "t.json";
  both.domains = {"contoso.com"};
  CHECK_FALSE(loadTenant(both, false, &err));
  CHECK(err.find("not both") != std::string::npos);
  CHECK_FALSE(loadTenant(TenantArgs{}, false, &err));
  CHECK(loadTenant(TenantArgs{}, true, &err).has_value());
  TenantArgs missing;
  missing.tenantFile = "/nonexistent/tenant.json";
  CHECK_FALSE(loadTenant(missing, false, &err));
  CHECK(err.find("/nonexistent/tenant.json") == 0);
  TenantArgs args;
  args.domains = {"Contoso.COM", "contoso.onmicrosoft.com", "contoso.com"};
  args.newMx = {"mx1.newmail.example:5"};
  args.newNs = {"ns1.newdns.example"};
  auto t = loadTenant(args, false, &err);
  REQUIRE(t);
  REQUIRE(t->domains.size() == 1);
  CHECK(t->skipped.size() == 1);
  CHECK(t->newMx[0].preference == 5);
  args.newMx = {"mx1.newmail.example:x"};
  CHECK_FALSE(loadTenant(args, false, &err));
  CHECK(err.rfind("--new-mx ", 0) == 0);
  TempState ts;
  std::string file = (ts.dir / "family.json").string();
  std::ofstream(file) << R"({"domains": [], "subscriptions": [{"name": "Microsoft 365 Family", "kind": "family"}]})";
  TenantArgs fam;
  fam.tenantFile = file;
  CHECK_FALSE(loadTenant(fam, false, &err));
  CHECK(err.find("consumer plan") != std::string::npos);
}

TEST_CASE("a file that is not an offboard state is refused, never overwritten") {
  TempState ts;
  std::ofstream(ts.path) << "not a database, just text\n";
  Out x;
  int rc = 0;
  auto store = openStateFor("gate", ts.path, OpenMode::CreateIfMissing, x.io, &rc);
  CHECK_FALSE(store);
  CHECK(rc == 2);
  CHECK(x.err.str().rfind("offboard gate: ", 0) == 0);
  std::ifstream in(ts.path);
  std::string line;
  std::getline(in, line);
  CHECK(line == "not a database, just text");
}

TEST_CASE("an exact MX host from serviceConfigurationRecords makes the check see Microsoft") {
  // A host no suffix rule knows: only the Graph export says it is Microsoft's.
  Dns d{"fabrikam.com", {"ns1.olddns.example"}, {"ns1.olddns.example"}, {{0, "inbound.fabrikam-mail.example"}}, {}, {}};
  auto resolver = resolverFor({d});
  Tenant t = tenant();
  t.domains.resize(2);
  t.domains[1].knownMicrosoftMx = {N("inbound.fabrikam-mail.example")};
  Evidence withGraph = gatherEvidence(t, *resolver, {}, T0, nullptr);
  REQUIRE(withGraph.reports.size() == 2);
  const DomainReport& r = withGraph.reports[1];
  CHECK(r.domain == N("fabrikam.com"));
  CHECK(std::any_of(r.findings.begin(), r.findings.end(), [](const Finding& f) { return name(f.id) == "mx-at-m365"; }));
  t.domains[1].knownMicrosoftMx.clear();
  auto resolver2 = resolverFor({d});
  Evidence without = gatherEvidence(t, *resolver2, {}, T0, nullptr);
  CHECK(std::none_of(without.reports[1].findings.begin(), without.reports[1].findings.end(),
                     [](const Finding& f) { return name(f.id) == "mx-at-m365"; }));
}

TEST_CASE("plan command: records the observations and renders every format") {
  TempState ts;
  auto store = ts.open();
  auto resolver = resolverFor(before());
  for (const char* f : {"text", "markdown", "json", "html"}) {
    CAPTURE(f);
    PlanOptions o;
    o.format = f;
    Out x;
    CHECK(runPlan(o, tenant(), *resolver, *store, T0, nullptr, x.io) == 1);
    CHECK(x.out.str().find("update-mx:fabrikam.com") != std::string::npos);
  }
  auto snap = snapshotOf(*store);
  CHECK(std::any_of(snap.observations.begin(), snap.observations.end(), [](const ObservationRow& r) {
    return r.domain == "contoso.com" && r.subject == "ZONE contoso.com.";
  }));
}

TEST_CASE("a state belongs to one tenant: another tenant's gate is exit 2 naming both, and writes nothing") {
  TempState ts;
  auto store = ts.open();
  GateOptions o;
  auto resolver = resolverFor(before());
  Tenant a = tenant();
  a.name = "contoso.onmicrosoft.com";
  Out first;
  CHECK(runGate(o, a, *resolver, *store, T0, nullptr, first.io) == 1);
  std::string err;
  const auto rowsBefore = snapshotOf(*store).observations.size();
  Tenant b = tenant();
  b.name = "Fabrikam.onmicrosoft.com";
  b.file = "fabrikam.json";
  Out other;
  CHECK(runGate(o, b, *resolver, *store, T0 + 1, nullptr, other.io) == 2);
  CHECK(other.err.str().find("contoso.onmicrosoft.com") != std::string::npos);
  CHECK(other.err.str().find("fabrikam.onmicrosoft.com") != std::string::npos);
  CHECK(other.err.str().find("one state per tenant") != std::string::npos);
  CHECK(snapshotOf(*store).observations.size() == rowsBefore);
  // plan and status refuse it too; the same tenant (any case) is accepted.
  PlanOptions po;
  Out p;
  CHECK(runPlan(po, b, *resolver, *store, T0 + 2, nullptr, p.io) == 2);
  Out st;
  CHECK(runStatus(StatusOptions{}, b, resolver.get(), store.get(), T0 + 3, nullptr, st.io) == 2);
  a.name = "CONTOSO.onmicrosoft.com";
  Out again;
  CHECK(runGate(o, a, *resolver, *store, T0 + 4, nullptr, again.io) == 1);
  SUBCASE("domains without a tenant name: the same tenant when they share a domain") {
    TempState ts2;
    auto s2 = ts2.open();
    Tenant u = tenant();
    u.domains.resize(2);
    Out x, y, z;
    CHECK(runGate(o, u, *resolver, *s2, T0, nullptr, x.io) != 2);
    Tenant overlap = tenant();  // all four: shares two
    CHECK(runGate(o, overlap, *resolver, *s2, T0 + 1, nullptr, y.io) != 2);
    Tenant disjoint = tenant();
    disjoint.domains.clear();
    TenantDomain td;
    td.input = *normalizeDomain("northwindtraders.com", &err);
    disjoint.domains.push_back(td);
    CHECK(runGate(o, disjoint, *resolver, *s2, T0 + 2, nullptr, z.io) == 2);
    CHECK(z.err.str().find("northwindtraders.com") != std::string::npos);
  }
}

TEST_CASE("ack, waive and revoke accept only the tenant's plan's step ids, with the nearest on a typo") {
  TempState ts;
  auto store = ts.open();
  Out none;
  CHECK(runAck(AckOptions{"notify-users", "ops", "", "", ts.path}, *store, T0, none.io) == 2);
  CHECK(none.err.str().find("no plan has been made") != std::string::npos);
  GateOptions o;
  auto resolver = resolverFor(before());
  Out g;
  CHECK(runGate(o, tenant(), *resolver, *store, T0, nullptr, g.io) == 1);
  Out typo;
  // A real step form, a real domain syntax, but not a domain of this tenant.
  CHECK(runAck(AckOptions{"remove-domain:contoso.co", "ops", "", "", ts.path}, *store, T0, typo.io) == 2);
  CHECK(typo.err.str().find("not in this tenant's plan") != std::string::npos);
  CHECK(typo.err.str().find("remove-domain:contoso.com") != std::string::npos);
  CHECK(snapshotOf(*store).acks.empty());
  Out w;
  CHECK(runWaive(WaiveOptions{"remove-dkim:contoso.co", "ops", "why", "", ts.path}, *store, T0, w.io) == 2);
  // revoke: nothing standing is exit 2; a standing ack is withdrawn, and the history keeps both.
  Out r0, a1, r1, r2;
  CHECK(runRevoke(RevokeOptions{"confirm-admin-role", "lead", "mistake", "", ts.path}, *store, T0, r0.io) == 2);
  CHECK(runAck(AckOptions{"confirm-admin-role", "ops", "", "", ts.path}, *store, T0 + 1, a1.io) == 0);
  CHECK(runRevoke(RevokeOptions{"confirm-admin-role", "lead", "", "", ts.path}, *store, T0 + 2, r1.io) == 2);
  CHECK(runRevoke(RevokeOptions{"confirm-admin-role", "lead", "wrong person", "", ts.path}, *store, T0 - 50, r1.io) == 0);
  CHECK(runRevoke(RevokeOptions{"confirm-admin-role", "lead", "twice", "", ts.path}, *store, T0 + 3, r2.io) == 2);
  auto events = store->history();
  REQUIRE(events.isOk());
  std::vector<std::string> kinds;
  for (const auto& e : *events)
    if (e.target == "confirm-admin-role") kinds.push_back(e.kind);
  CHECK(kinds == std::vector<std::string>{"ack", "revoke"});
  o.format = "json";
  Out after;
  runGate(o, tenant(), *resolver, *store, T0 + 10, nullptr, after.io);
  bool open = false;
  const auto j = nlohmann::json::parse(after.out.str());
  for (const auto& item : j["open"]) open = open || item["id"] == "confirm-admin-role";
  CHECK(open);
}
