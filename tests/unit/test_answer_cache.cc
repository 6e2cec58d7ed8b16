// Shared answers within a run (engine/answer_cache.h): a follow-up question many domains have in
// common goes out once per TTL, failures are never kept, memory is bounded, and every domain's
// evidence still names the server that answered.
#include <doctest/doctest.h>

#include <algorithm>

#include "engine/answer_cache.h"
#include "engine/check_engine.h"
#include "fake_resolver.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

DomainJob job(const std::string& d) { return DomainJob{DomainInput{N(d), ""}, {}}; }

std::size_t timesAsked(const FakeResolver& r, const std::string& name, RRType type) {
  return static_cast<std::size_t>(std::count_if(r.asked.begin(), r.asked.end(), [&](const Question& q) {
    return q.name == N(name) && q.type == type;
  }));
}

// `n` domains d0.example … whose MX is the same provider host, and whose SPF includes the same
// provider record, which includes another.
FakeResolver sharedWorld(int n, Outcome providerSpf = Outcome::Answer) {
  FakeResolver r(Outcome::NoData);
  for (int i = 0; i < n; ++i) {
    const std::string d = "d" + std::to_string(i) + ".example";
    r.set(obs(d, RRType::MX, Outcome::Answer, {rec(d, RRType::MX, "mx1.provider.example", 3600, 10)}));
    r.set(obs(d, RRType::TXT, Outcome::Answer, {txt(d, {"v=spf1 include:_spf.provider.example -all"})}));
  }
  r.set(obs("_spf.provider.example", RRType::TXT, providerSpf,
            providerSpf == Outcome::Answer
                ? std::vector<Record>{txt("_spf.provider.example", {"v=spf1 include:_spf2.provider.example -all"}, 300)}
                : std::vector<Record>{}));
  r.set(obs("_spf2.provider.example", RRType::TXT, Outcome::Answer,
            {txt("_spf2.provider.example", {"v=spf1 ip4:192.0.2.0/24 -all"}, 600)}));
  return r;
}

std::vector<DomainJob> jobs(int n) {
  std::vector<DomainJob> out;
  for (int i = 0; i < n; ++i) out.push_back(job("d" + std::to_string(i) + ".example"));
  return out;
}

// Checks `n` jobs `perBatch` domains at a time (1: one after the other, so sharing can only
// come from the cache, not from questions in flight together).
std::vector<DomainReport> run(FakeResolver& r, int n, EngineOptions o, EngineStats* stats = nullptr) {
  auto js = jobs(n);
  std::vector<DomainReport> out(js.size());
  std::size_t i = 0;
  JobSource next = [&]() -> std::optional<DomainJob> {
    if (i >= js.size()) return std::nullopt;
    return js[i++];
  };
  ReportSink sink = [&](std::size_t index, DomainReport rep) { out[index] = std::move(rep); };
  o.stats = stats;
  runChecks(r, next, sink, o);
  return out;
}

}  // namespace

TEST_CASE("the cache keeps evidence for its TTL, never a failure, and evicts the least recently used") {
  std::int64_t now = 1000;
  AnswerCache c(2, [&] { return now; });
  Observation a = obs("a.example", RRType::TXT, Outcome::Answer, {txt("a.example", {"x"}, 60)});
  a.server = "127.0.0.53:53";
  c.store(a);
  REQUIRE(c.find(a.question));
  CHECK(c.find(a.question)->server == "127.0.0.53:53");
  CHECK(c.find(Question{N("A.EXAMPLE"), RRType::TXT}));  // names compare case-insensitively
  CHECK_FALSE(c.find(Question{N("a.example"), RRType::MX}));
  CHECK_FALSE(c.find(Question{N("a.example"), RRType::TXT, true}));            // the parent side
  CHECK_FALSE(c.find(Question{N("a.example"), RRType::TXT, false, {N("ns1.x.example")}}));  // named servers
  now += 59;
  CHECK(c.find(a.question));
  now += 1;
  CHECK_FALSE(c.find(a.question));  // expired at its TTL
  CHECK(c.size() == 0);

  for (Outcome f : {Outcome::Timeout, Outcome::ServFail, Outcome::Refused, Outcome::Malformed}) {
    c.store(obs("f.example", RRType::A, f));
    CHECK_FALSE(c.find(Question{N("f.example"), RRType::A}));
  }
  Observation zero = obs("z.example", RRType::TXT, Outcome::Answer, {txt("z.example", {"x"}, 0)});
  c.store(zero);
  CHECK_FALSE(c.find(zero.question));
  Observation nx = obs("n.example", RRType::A, Outcome::NxDomain);  // negative TTL 300 (RFC 2308)
  c.store(nx);
  now += 299;
  CHECK(c.find(nx.question));
  // An authoritative observation one of whose servers failed is not a fact to repeat.
  Observation mixed = obs("m.example", RRType::A, Outcome::NoData);
  mixed.perServer = {obs("m.example", RRType::A, Outcome::NoData), obs("m.example", RRType::A, Outcome::Timeout)};
  c.store(mixed);
  CHECK_FALSE(c.find(mixed.question));

  // Two entries at most: the one used last survives.
  Observation b = obs("b.example", RRType::TXT, Outcome::Answer, {txt("b.example", {"x"}, 600)});
  Observation d = obs("d.example", RRType::TXT, Outcome::Answer, {txt("d.example", {"x"}, 600)});
  c.store(b);  // with nx: full
  CHECK(c.find(nx.question));  // nx is now the most recently used
  c.store(d);  // evicts b
  CHECK(c.size() == 2);
  CHECK_FALSE(c.find(b.question));
  CHECK(c.find(nx.question));
  CHECK(c.find(d.question));
  CHECK(c.evicted() == 1);
}

TEST_CASE("a follow-up many domains share is asked once, whether in flight together or one after another") {
  for (std::size_t batch : {std::size_t{1}, std::size_t{64}}) {
    CAPTURE(batch);
    FakeResolver r = sharedWorld(40);
    EngineOptions o;
    o.maxActiveDomains = batch;
    EngineStats st;
    auto reports = run(r, 40, o, &st);
    CHECK(timesAsked(r, "mx1.provider.example", RRType::CNAME) == 1);
    CHECK(timesAsked(r, "_spf.provider.example", RRType::TXT) == 1);
    CHECK(timesAsked(r, "_spf2.provider.example", RRType::TXT) == 1);
    CHECK(st.domains == 40);
    CHECK(st.fromCache + st.joined == 3 * 39);
    CHECK(st.asked == r.asked.size());
    for (const auto& rep : reports) CHECK(rep.verdict == Verdict::Clear);

    // Without sharing every domain asks its own.
    FakeResolver alone = sharedWorld(40);
    o.sharedAnswers = 0;
    auto again = run(alone, 40, o);
    CHECK(timesAsked(alone, "mx1.provider.example", RRType::CNAME) == 40);
    CHECK(timesAsked(alone, "_spf2.provider.example", RRType::TXT) == 40);
    // The same reports either way.
    REQUIRE(again.size() == reports.size());
    for (std::size_t i = 0; i < again.size(); ++i) {
      CHECK(again[i].verdict == reports[i].verdict);
      CHECK(again[i].records.size() == reports[i].records.size());
      CHECK(again[i].findings.size() == reports[i].findings.size());
    }
  }
}

TEST_CASE("a shared answer is asked again once its TTL has passed") {
  FakeResolver r = sharedWorld(3);
  std::int64_t now = 0;
  EngineOptions o;
  o.maxActiveDomains = 1;
  o.clock = [&] { return now; };
  auto js = jobs(3);
  std::size_t i = 0;
  JobSource next = [&]() -> std::optional<DomainJob> {
    if (i >= js.size()) return std::nullopt;
    now += 301;  // each domain starts after the 300 s TTL of _spf.provider.example
    return js[i++];
  };
  runChecks(r, next, [](std::size_t, DomainReport) {}, o);
  CHECK(timesAsked(r, "_spf.provider.example", RRType::TXT) == 3);
  CHECK(timesAsked(r, "_spf2.provider.example", RRType::TXT) == 2);  // 600 s: once more at 903
}

TEST_CASE("a shared question that failed is never read from the cache, and each domain says so") {
  FakeResolver r = sharedWorld(5, Outcome::Timeout);
  EngineOptions o;
  o.maxActiveDomains = 1;  // one after another: nothing in flight to share
  auto reports = run(r, 5, o);
  CHECK(timesAsked(r, "_spf.provider.example", RRType::TXT) == 5);
  for (const auto& rep : reports) {
    CHECK(rep.verdict == Verdict::Indeterminate);
    const bool named = std::any_of(rep.findings.begin(), rep.findings.end(), [](const Finding& f) {
      return f.id == FindingId::LookupFailed && f.message.find("_spf.provider.example") != std::string::npos;
    });
    CHECK(named);
  }
  // In flight together, the domains waiting for it all get the failure: none is clear.
  FakeResolver together = sharedWorld(5, Outcome::Timeout);
  o.maxActiveDomains = 16;
  for (const auto& rep : run(together, 5, o)) CHECK(rep.verdict == Verdict::Indeterminate);
  CHECK(timesAsked(together, "_spf.provider.example", RRType::TXT) == 1);
}
