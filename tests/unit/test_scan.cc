#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "commands/commands.h"
#include "fake_resolver.h"

using namespace offboard;
using namespace offboard::testing;

namespace {
struct Run {
  int rc;
  std::vector<nlohmann::json> lines;
  std::string err;
};

Run scan(const std::string& input, FakeResolver& r) {
  std::istringstream in(input);
  std::ostringstream out, err;
  Io io{out, err};
  Run run;
  run.rc = runScan("domains.txt", in, r, 8, io);
  std::istringstream lines(out.str());
  std::string l;
  while (std::getline(lines, l)) run.lines.push_back(nlohmann::json::parse(l));
  run.err = err.str();
  return run;
}
}  // namespace

TEST_CASE("scan streams one JSON object per domain, skipping comments and blank lines") {
  FakeResolver r(Outcome::NoData);
  r.set(obs("b.example", RRType::MX, Outcome::Answer, {rec("b.example", RRType::MX, "b-example.mail.protection.outlook.com")}));
  auto run = scan("# tenant list\n\na.example\n  b.example   # still on M365\r\nc.example\n", r);
  REQUIRE(run.lines.size() == 3);
  int points = 0;
  for (const auto& j : run.lines) {
    CHECK(j.contains("domain"));
    CHECK(j.contains("findings"));
    if (j["verdict"] == "points-at-m365") {
      ++points;
      CHECK(j["domain"] == "b.example");
    }
  }
  CHECK(points == 1);
  CHECK(run.rc == kExitPointsAtM365);
  CHECK(run.err.empty());
}

TEST_CASE("a bad line is reported with its line number and skipped; the run goes on") {
  FakeResolver r(Outcome::NoData);
  r.set(obs("a.example", RRType::MX, Outcome::Answer, {rec("a.example", RRType::MX, "mx.a.example", 300, 10)}));
  r.set(obs("b.example", RRType::MX, Outcome::Answer, {rec("b.example", RRType::MX, "mx.b.example", 300, 10)}));
  auto run = scan("a.example\nbad..name\nb.example\n", r);
  CHECK(run.lines.size() == 2);
  CHECK(run.err.find("domains.txt:2:") != std::string::npos);
  CHECK(run.err.find("empty label") != std::string::npos);
  // Everything read was clear, but the input was not read whole: never exit 0.
  CHECK(run.rc == kExitUsage);
}

TEST_CASE("scan gives each domain the same verdict as check does") {
  FakeResolver r(Outcome::NoData);
  r.set(obs("t.example", RRType::MX, Outcome::Timeout));
  auto run = scan("t.example\n", r);
  REQUIRE(run.lines.size() == 1);
  CHECK(run.lines[0]["verdict"] == "indeterminate");
  CHECK(run.rc == kExitIndeterminate);
}
