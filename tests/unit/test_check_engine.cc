#include <doctest/doctest.h>

#include "engine/check_engine.h"
#include "fake_resolver.h"
#include "plan_text.h"

using namespace offboard;
using namespace offboard::testing;

namespace {
DomainJob job(const std::string& d) { return DomainJob{DomainInput{N(d), ""}, {}}; }
}  // namespace

TEST_CASE("every question of every domain is in flight at once") {
  FakeResolver r(Outcome::NoData);
  std::vector<DomainJob> jobs;
  for (int i = 0; i < 50; ++i) jobs.push_back(job("d" + std::to_string(i) + ".example"));
  auto reports = checkAll(r, jobs);
  REQUIRE(reports.size() == 50);
  std::size_t perDomain = questionsFor(N("x.example"), false).size();
  CHECK(r.peakOutstanding == 50 * perDomain);
  for (std::size_t i = 0; i < reports.size(); ++i) CHECK(reports[i].domain == jobs[i].input.name);
}

TEST_CASE("the engine follows MX exchanges and reports the chain's verdict") {
  FakeResolver r(Outcome::NoData);
  r.set(obs("a.example", RRType::MX, Outcome::Answer, {rec("a.example", RRType::MX, "mail.relay.example", 300, 10)}));
  r.set(obs("mail.relay.example", RRType::CNAME, Outcome::Answer,
            {rec("mail.relay.example", RRType::CNAME, "a-example.mail.protection.outlook.com")}));
  auto reports = checkAll(r, {job("a.example")});
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].verdict == Verdict::PointsAtM365);
  CHECK(name(reports[0].findings.front().id) == "mx-at-m365");
}

TEST_CASE("parent-side questions are asked only when the resolver sees parents") {
  FakeResolver stub(Outcome::NoData, false), zones(Outcome::NoData, true);
  checkAll(stub, {job("a.example")});
  checkAll(zones, {job("a.example")});
  auto parentAsked = [](const FakeResolver& f) {
    for (const auto& q : f.asked)
      if (q.parentSide) return true;
    return false;
  };
  CHECK_FALSE(parentAsked(stub));
  CHECK(parentAsked(zones));
}

TEST_CASE("streaming keeps at most maxActiveDomains domains in memory and reports each once") {
  FakeResolver r(Outcome::NoData);
  int next = 0;
  JobSource source = [&]() -> std::optional<DomainJob> {
    if (next >= 100) return std::nullopt;
    return job("s" + std::to_string(next++) + ".example");
  };
  std::vector<int> seen(100, 0);
  ReportSink sink = [&](std::size_t i, DomainReport rep) {
    REQUIRE(i < 100);
    seen[i]++;
    CHECK(rep.domain == N("s" + std::to_string(i) + ".example"));
  };
  runChecks(r, source, sink, 4);
  for (int c : seen) CHECK(c == 1);
  CHECK(r.peakOutstanding <= 4 * questionsFor(N("x.example"), false).size());
}

TEST_CASE("a resolver that fails everything gives indeterminate, never clear") {
  FakeResolver r(Outcome::Timeout);
  auto reports = checkAll(r, {job("a.example"), job("b.example")});
  for (const auto& rep : reports) CHECK(rep.verdict == Verdict::Indeterminate);
}
