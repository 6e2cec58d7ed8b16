// `scan` writes each domain's JSON line itself, without building an nlohmann tree (scan.cc).
// These lines must be byte for byte what domainJson(report).dump(-1, ' ', false, replace)
// gives, the object `check --format json` prints, for reports that use every field: both
// delegation sides, records, findings with and without TTL and server, clouds and null cloud,
// a Unicode domain, and strings with quotes, backslashes, control octets, UTF-8 and invalid
// UTF-8.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "commands/commands.h"
#include "core/domain_input.h"
#include "engine/check_engine.h"
#include "fake_resolver.h"
#include "render/check_render.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

// The same world for both runs: every awkward case of the JSON writer.
FakeResolver world() {
  FakeResolver r(Outcome::NoData, /*parents=*/true);
  r.set(obs("plain.example", RRType::MX, Outcome::Answer,
            {rec("plain.example", RRType::MX, "plain-example.mail.protection.outlook.com", 3600, 0)}));
  r.set(obs("plain.example", RRType::NS, Outcome::Answer,
            {rec("plain.example", RRType::NS, "ns1.bdm.microsoftonline.com", 172800)}, true));
  r.set(obs("plain.example", RRType::NS, Outcome::Answer,
            {rec("plain.example", RRType::NS, "ns1.other.example", 86400)}));
  r.set(obs("odd.example", RRType::TXT, Outcome::Answer,
            {txt("odd.example", {"v=spf1 include:spf.protection.outlook.com -all"}),
             txt("odd.example", {std::string("v=spf1 \"quoted\" back\\slash tab\t bell\a -all")}),
             txt("odd.example", {std::string("v=spf1 \"only\" printable \\ \"ascii\" -all")}),
             txt("odd.example", {std::string("v=spf1 caf\xc3\xa9 \xff\xfe broken utf-8 "
                                             "include:spf.protection.outlook.com")})}));
  r.set(obs("odd.example", RRType::MX, Outcome::Timeout));
  // Names whose presentation form has escapes (a space, a dot in a label): their backslashes must be
  // escaped again in JSON, in the delegation lists as in records.
  r.set(obs("odd.example", RRType::NS, Outcome::Answer,
            {rec("odd.example", RRType::NS, "ns\\032one.odd.example", 86400),
             rec("odd.example", RRType::NS, "ns\\.two.odd.example", 86400)}));
  r.set(obs("autodiscover.odd.example", RRType::CNAME, Outcome::Answer,
            {rec("autodiscover.odd.example", RRType::CNAME, "autodiscover.partner.outlook.cn")}));
  r.set(obs("xn--bcher-kva.example", RRType::MX, Outcome::Answer,
            {rec("xn--bcher-kva.example", RRType::MX, "mx.xn--bcher-kva.example", 300, 10)}));
  r.set(obs("gone.example", RRType::NS, Outcome::NxDomain, {}, true));
  r.set(obs("gone.example", RRType::NS, Outcome::NxDomain));
  return r;
}

const char* const kInput = "plain.example\nodd.example\nbücher.example\ngone.example\nclean.example\n";

}  // namespace

TEST_CASE("scan's JSON lines are byte for byte domainJson(...).dump() of the same reports") {
  FakeResolver forScan = world();
  std::istringstream in(kInput);
  std::ostringstream out, err;
  Io io{out, err};
  runScan("domains.txt", in, forScan, 8, io);
  std::vector<std::string> scanned;
  std::istringstream lines(out.str());
  for (std::string l; std::getline(lines, l);) scanned.push_back(l);

  FakeResolver forCheck = world();
  std::vector<DomainJob> jobs;
  std::istringstream again(kInput);
  for (std::string l; std::getline(again, l);) {
    std::string why;
    auto d = normalizeDomain(l, &why);
    REQUIRE(d);
    jobs.push_back(DomainJob{*d, {}});
  }
  std::vector<std::string> expected;
  for (const auto& r : checkAll(forCheck, jobs)) {
    expected.push_back(
        domainJson(r).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
  }
  REQUIRE(scanned.size() == expected.size());
  std::sort(scanned.begin(), scanned.end());
  std::sort(expected.begin(), expected.end());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(scanned[i] == expected[i]);
  }
  // The cases the writer must get right are really there.
  const std::string all = out.str();
  CHECK(all.find("\"domain_unicode\":\"bücher.example\"") != std::string::npos);
  CHECK(all.find("\"parent_ns\":[") != std::string::npos);
  CHECK(all.find("\"cloud\":null") != std::string::npos);
  CHECK(all.find("\"cloud\":\"21vianet\"") != std::string::npos);
  CHECK(all.find("\\u0007") != std::string::npos);      // a control octet, escaped
  CHECK(all.find("\\\"quoted\\\"") != std::string::npos);  // \"quoted\" inside TXT data
  CHECK(all.find("\\\"only\\\" printable \\\\ ") != std::string::npos);  // the printable-ASCII path
  CHECK(all.find("\xef\xbf\xbd") != std::string::npos);  // invalid UTF-8 replaced by U+FFFD
  CHECK(all.find("\"server\":\"test\"") != std::string::npos);
  CHECK(all.find("\"ns\\\\032one.odd.example.\"") != std::string::npos);  // "ns\\032one…"
  CHECK(all.find("\"ns\\\\.two.odd.example.\"") != std::string::npos);     // "ns\\.two…"
  CHECK(all.find("lookup-failed") != std::string::npos);
}
