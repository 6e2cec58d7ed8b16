// Chains the checks follow before deciding: SPF include:/redirect= trees, probe CNAMEs that
// reach Microsoft 365 later, and a domain that is itself an alias of a Microsoft mail host.
// Driven through the check engine with a fake resolver, so that the follow-up questions are
// asked exactly as `check` and `scan` ask them.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "checks/checks.h"
#include "core/server_merge.h"
#include "engine/check_engine.h"
#include "fake_resolver.h"
#include "plan_text.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

constexpr const char* kD = "d.example";

// A fake world where everything not set is NODATA, with the apex's MX at a plain host (so that
// no-mx stays out of the way).
FakeResolver world() {
  FakeResolver r(Outcome::NoData);
  r.set(obs(kD, RRType::MX, Outcome::Answer, {rec(kD, RRType::MX, "mx1.newmail.example", 3600, 10)}));
  return r;
}

void spf(FakeResolver& r, const std::string& name, const std::string& text) {
  r.set(obs(name, RRType::TXT, Outcome::Answer, {txt(name, {text})}));
}

void cname(FakeResolver& r, const std::string& name, const std::string& target) {
  r.set(obs(name, RRType::CNAME, Outcome::Answer, {rec(name, RRType::CNAME, target)}));
}

DomainReport check(FakeResolver& r, const std::string& d = kD) {
  auto reports = checkAll(r, {DomainJob{DomainInput{N(d), ""}, {}}});
  REQUIRE(reports.size() == 1);
  return reports[0];
}

const Finding* get(const DomainReport& r, const std::string& id) {
  for (const auto& f : r.findings)
    if (name(f.id) == id) return &f;
  return nullptr;
}

bool hasRecord(const DomainReport& r, const std::string& name, RRType type) {
  return std::any_of(r.records.begin(), r.records.end(),
                     [&](const Record& x) { return x.name == N(name) && x.type == type; });
}

std::size_t timesAsked(const FakeResolver& r, const std::string& name, RRType type) {
  return static_cast<std::size_t>(std::count(r.asked.begin(), r.asked.end(), Question{N(name), type}));
}

bool noQuestionTwice(const FakeResolver& r) {
  for (std::size_t i = 0; i < r.asked.size(); ++i)
    for (std::size_t j = i + 1; j < r.asked.size(); ++j)
      if (r.asked[i] == r.asked[j]) return false;
  return true;
}

}  // namespace

TEST_CASE("an SPF include chain reaching Microsoft's SPF domain is spf-includes-m365 on the apex record, naming the chain") {
  struct Row {
    int hops;  // includes before Microsoft's
    const char* microsoft;
    Cloud cloud;
  };
  const Row rows[] = {
      {1, "spf.protection.outlook.com", Cloud::Worldwide},
      {2, "spf.protection.outlook.com", Cloud::Worldwide},
      {3, "spf.protection.office365.us", Cloud::UsGov},
      {3, "spf.protection.partner.outlook.cn", Cloud::China21Vianet},
  };
  for (const auto& row : rows) {
    CAPTURE(row.hops);
    CAPTURE(row.microsoft);
    auto r = world();
    const std::string apex = "v=spf1 ip4:192.0.2.1 include:_spf0.d.example -all";
    spf(r, kD, apex);
    std::string expected = "through include:_spf0.d.example";
    for (int i = 0; i < row.hops; ++i) {
      std::string next = i + 1 < row.hops ? "_spf" + std::to_string(i + 1) + ".d.example" : row.microsoft;
      spf(r, "_spf" + std::to_string(i) + ".d.example", "v=spf1 ip4:192.0.2." + std::to_string(10 + i) +
                                                             " include:" + next + " ~all");
      expected += " -> include:" + next;
    }
    auto rep = check(r);
    const Finding* f = get(rep, "spf-includes-m365");
    REQUIRE(f);
    CHECK(f->severity == Severity::Required);
    CHECK(f->cloud == row.cloud);
    CHECK(f->name == N(kD));  // the planner matches (id, name, type) with the apex SPF subject
    CHECK(f->type == RRType::TXT);
    CHECK(f->data == "\"" + apex + "\"");
    CHECK(f->message.find(expected + ")") != std::string::npos);
    for (int i = 0; i < row.hops; ++i) {
      CAPTURE(i);
      CHECK(hasRecord(rep, "_spf" + std::to_string(i) + ".d.example", RRType::TXT));
      CHECK(timesAsked(r, "_spf" + std::to_string(i) + ".d.example", RRType::TXT) == 1);
    }
    CHECK(rep.verdict == Verdict::PointsAtM365);
    CHECK(rep.cloud == row.cloud);
    CHECK(get(rep, "lookup-failed") == nullptr);
  }
}

TEST_CASE("a redirect= to a record that includes Microsoft is spf-includes-m365") {
  auto r = world();
  spf(r, kD, "v=spf1 redirect=_spf.d.example");
  spf(r, "_spf.d.example", "v=spf1 include:spf.protection.outlook.com -all");
  auto rep = check(r);
  REQUIRE(get(rep, "spf-includes-m365"));
  CHECK(get(rep, "spf-includes-m365")->message.find(
            "redirect=_spf.d.example -> include:spf.protection.outlook.com") != std::string::npos);
  CHECK(rep.verdict == Verdict::PointsAtM365);
}

TEST_CASE("an SPF chain that ends elsewhere is followed and then clear") {
  SUBCASE("a provider's own record") {
    auto r = world();
    spf(r, kD, "v=spf1 include:_spf.newmail.example -all");
    spf(r, "_spf.newmail.example", "v=spf1 ip4:198.51.100.0/24 include:_spf2.newmail.example -all");
    spf(r, "_spf2.newmail.example", "v=spf1 ip4:198.51.101.0/24 -all");
    auto rep = check(r);
    CHECK(timesAsked(r, "_spf.newmail.example", RRType::TXT) == 1);
    CHECK(timesAsked(r, "_spf2.newmail.example", RRType::TXT) == 1);
    CHECK(rep.findings.empty());
    CHECK(rep.verdict == Verdict::Clear);
    // Records not on the way to a finding are not evidence of anything: not listed.
    CHECK_FALSE(hasRecord(rep, "_spf.newmail.example", RRType::TXT));
  }
  SUBCASE("a void target (NXDOMAIN) is simply not Microsoft's") {
    auto r = world();
    spf(r, kD, "v=spf1 include:gone.example -all");
    r.set(obs("gone.example", RRType::TXT, Outcome::NxDomain));
    auto rep = check(r);
    CHECK(timesAsked(r, "gone.example", RRType::TXT) == 1);
    CHECK(rep.findings.empty());
    CHECK(rep.verdict == Verdict::Clear);
  }
  SUBCASE("a -include: authorises nothing and is not followed") {
    auto r = world();
    spf(r, kD, "v=spf1 -include:_spf.d.example -all");
    spf(r, "_spf.d.example", "v=spf1 include:spf.protection.outlook.com -all");
    auto rep = check(r);
    CHECK(timesAsked(r, "_spf.d.example", RRType::TXT) == 0);
    CHECK(get(rep, "spf-includes-m365") == nullptr);
  }
}

TEST_CASE("SPF look-alikes: a name under evil.example is not Microsoft's, but what its record includes is followed") {
  SUBCASE("the look-alike's own record names no Microsoft domain") {
    auto r = world();
    spf(r, kD, "v=spf1 include:_spf.d.example -all");
    spf(r, "_spf.d.example", "v=spf1 include:spf.protection.outlook.com.evil.example -all");
    spf(r, "spf.protection.outlook.com.evil.example", "v=spf1 ip4:198.51.100.66 -all");
    auto rep = check(r);
    CHECK(timesAsked(r, "spf.protection.outlook.com.evil.example", RRType::TXT) == 1);
    CHECK(get(rep, "spf-includes-m365") == nullptr);
    CHECK(rep.verdict == Verdict::Clear);
  }
  SUBCASE("the look-alike includes the real one: Microsoft is authorised through it") {
    auto r = world();
    spf(r, kD, "v=spf1 include:spf.protection.outlook.com.evil.example -all");
    spf(r, "spf.protection.outlook.com.evil.example", "v=spf1 include:spf.protection.outlook.com -all");
    auto rep = check(r);
    REQUIRE(get(rep, "spf-includes-m365"));
    CHECK(get(rep, "spf-includes-m365")->message.find(
              "include:spf.protection.outlook.com.evil.example -> include:spf.protection.outlook.com)") !=
          std::string::npos);
  }
}

TEST_CASE("SPF limits: more than 10 DNS-querying terms across the tree is lookup-failed, never clear") {
  // Terms in evaluation order: apex a(1) mx(2) include(3); l1: a(4) mx(5) ptr(6) exists(7)
  // include(8); l2: a(9), then the term under test is the 10th or the 11th.
  auto build = [](bool eleventh) {
    auto r = world();
    spf(r, kD, "v=spf1 a mx include:l1.d.example -all");
    spf(r, "l1.d.example", "v=spf1 ip4:192.0.2.1 a mx ptr exists:x.d.example include:l2.d.example -all");
    spf(r, "l2.d.example", std::string("v=spf1 a ") + (eleventh ? "mx " : "") +
                               "include:spf.protection.outlook.com -all");
    return r;
  };
  SUBCASE("Microsoft as the 10th term is still reached") {
    auto r = build(false);
    auto rep = check(r);
    CHECK(get(rep, "spf-includes-m365"));
    CHECK(rep.verdict == Verdict::PointsAtM365);
  }
  SUBCASE("as the 11th it is past the limit: indeterminate") {
    auto r = build(true);
    auto rep = check(r);
    CHECK(get(rep, "spf-includes-m365") == nullptr);
    const Finding* f = get(rep, "lookup-failed");
    REQUIRE(f);
    CHECK(f->name == N(kD));
    CHECK(f->type == RRType::TXT);
    CHECK(f->message.find("more than 10 DNS-querying terms") != std::string::npos);
    CHECK(rep.verdict == Verdict::Indeterminate);
  }
  SUBCASE("eleven includes of plain records, none Microsoft's: indeterminate, and at most 10 asked") {
    auto r = world();
    std::string apex = "v=spf1";
    for (int i = 0; i < 11; ++i) {
      std::string n = "i" + std::to_string(i) + ".d.example";
      apex += " include:" + n;
      spf(r, n, "v=spf1 ip4:192.0.2." + std::to_string(i) + " -all");
    }
    spf(r, kD, apex + " -all");
    auto rep = check(r);
    CHECK(rep.verdict == Verdict::Indeterminate);
    REQUIRE(get(rep, "lookup-failed"));
    CHECK(timesAsked(r, "i10.d.example", RRType::TXT) == 0);
    std::size_t includesAsked = 0;
    for (int i = 0; i < 11; ++i) includesAsked += timesAsked(r, "i" + std::to_string(i) + ".d.example", RRType::TXT);
    CHECK(includesAsked == 10);
  }
  SUBCASE("an include loop is lookup-failed, asked once") {
    auto r = world();
    spf(r, kD, "v=spf1 include:a.d.example -all");
    spf(r, "a.d.example", "v=spf1 include:b.d.example -all");
    spf(r, "b.d.example", "v=spf1 include:a.d.example -all");
    auto rep = check(r);
    CHECK(timesAsked(r, "a.d.example", RRType::TXT) == 1);
    CHECK(timesAsked(r, "b.d.example", RRType::TXT) == 1);
    REQUIRE(get(rep, "lookup-failed"));
    CHECK(get(rep, "lookup-failed")->data == "include-loop");
    CHECK(rep.verdict == Verdict::Indeterminate);
  }
}

TEST_CASE("a timeout in the middle of an SPF chain is lookup-failed on the apex SPF record: indeterminate") {
  auto r = world();
  spf(r, kD, "v=spf1 include:_spf.d.example -all");
  spf(r, "_spf.d.example", "v=spf1 include:_spf.slow.example -all");
  r.set(obs("_spf.slow.example", RRType::TXT, Outcome::Timeout));
  auto rep = check(r);
  const Finding* f = get(rep, "lookup-failed");
  REQUIRE(f);
  CHECK(f->name == N(kD));
  CHECK(f->type == RRType::TXT);
  CHECK(f->data == "timeout");
  CHECK(f->server == "test");
  CHECK(f->message.find("TXT lookup for _spf.slow.example.") != std::string::npos);
  CHECK(f->message.find("include:_spf.d.example -> include:_spf.slow.example") != std::string::npos);
  CHECK(hasRecord(rep, "_spf.d.example", RRType::TXT));
  CHECK(rep.verdict == Verdict::Indeterminate);
}

TEST_CASE("a failed lookup on one SPF branch does not hide Microsoft reached on another") {
  auto r = world();
  spf(r, kD, "v=spf1 include:_spf.slow.example include:_spf.d.example -all");
  r.set(obs("_spf.slow.example", RRType::TXT, Outcome::ServFail));
  spf(r, "_spf.d.example", "v=spf1 include:spf.protection.outlook.com -all");
  auto rep = check(r);
  CHECK(get(rep, "spf-includes-m365"));
  CHECK(rep.verdict == Verdict::PointsAtM365);
}

TEST_CASE("a probe CNAME that reaches Microsoft one or two hops later is the probe's own finding") {
  struct Row {
    const char* owner;
    const char* target;
    const char* id;
    Severity severity;
  };
  const Row rows[] = {
      {"autodiscover", "autodiscover.outlook.com", "autodiscover-at-m365", Severity::Required},
      {"selector1._domainkey", "selector1-d-example._domainkey.d.onmicrosoft.com", "dkim-at-m365", Severity::Required},
      {"selector2._domainkey", "selector2-d-example._domainkey.d.n-v1.dkim.mail.microsoft", "dkim-at-m365", Severity::Required},
      {"msoid", "clientconfig.partner.microsoftonline-p.net.cn", "msoid-at-m365", Severity::Required},
      {"sip", "sipdir.online.lync.com", "teams-at-m365", Severity::Cleanup},
      {"lyncdiscover", "webdir.online.lync.com", "teams-at-m365", Severity::Cleanup},
      {"enterpriseregistration", "enterpriseregistration.windows.net", "mdm-at-m365", Severity::Cleanup},
      {"enterpriseenrollment", "enterpriseenrollment-s.manage.microsoft.com", "mdm-at-m365", Severity::Cleanup},
  };
  for (const auto& row : rows) {
    for (int hops : {1, 2}) {
      CAPTURE(row.owner);
      CAPTURE(hops);
      auto r = world();
      const std::string probe = std::string(row.owner) + ".d.example";
      cname(r, probe, "a.relay.example");
      if (hops == 1) {
        cname(r, "a.relay.example", row.target);
      } else {
        cname(r, "a.relay.example", "b.relay.example");
        cname(r, "b.relay.example", row.target);
      }
      auto rep = check(r);
      const Finding* f = get(rep, row.id);
      REQUIRE(f);
      CHECK(f->severity == row.severity);
      CHECK(f->name == N(probe));  // the planner matches the probe's (name, type)
      CHECK(f->type == RRType::CNAME);
      CHECK(f->data == "a.relay.example. -> " + std::string(row.target) + ".");
      std::string chain = probe + ". -> a.relay.example. -> " + (hops == 2 ? "b.relay.example. -> " : "") +
                          row.target + ".";
      CHECK(f->message.find(chain) != std::string::npos);
      CHECK(hasRecord(rep, "a.relay.example", RRType::CNAME));
      if (hops == 2) CHECK(hasRecord(rep, "b.relay.example", RRType::CNAME));
      CHECK(rep.verdict == Verdict::PointsAtM365);
      CHECK(timesAsked(r, "a.relay.example", RRType::CNAME) == 1);
    }
  }
}

TEST_CASE("a probe chain ending elsewhere is followed and clear; a look-alike at its end is not Microsoft") {
  for (const char* end : {"autodiscover.newmail.example", "autodiscover.outlook.com.evil.example"}) {
    CAPTURE(end);
    auto r = world();
    cname(r, "autodiscover.d.example", "a.relay.example");
    cname(r, "a.relay.example", end);
    auto rep = check(r);
    CHECK(timesAsked(r, "a.relay.example", RRType::CNAME) == 1);
    CHECK(timesAsked(r, end, RRType::CNAME) == 1);
    CHECK(rep.findings.empty());
    CHECK(rep.verdict == Verdict::Clear);
  }
}

TEST_CASE("probe chain limits and failures: a loop, one hop past the bound, a timeout — never clear") {
  SUBCASE("a CNAME loop") {
    auto r = world();
    cname(r, "autodiscover.d.example", "a.relay.example");
    cname(r, "a.relay.example", "b.relay.example");
    cname(r, "b.relay.example", "a.relay.example");
    auto rep = check(r);
    const Finding* f = get(rep, "lookup-failed");
    REQUIRE(f);
    CHECK(f->name == N("autodiscover.d.example"));
    CHECK(f->type == RRType::CNAME);
    CHECK(f->data == "cname-loop");
    CHECK(rep.verdict == Verdict::Indeterminate);
    CHECK(noQuestionTwice(r));
  }
  // The probe's own CNAME, then kMaxExchangeChain hops followed from its target.
  auto chainOf = [](FakeResolver& r, int hops) {
    cname(r, "autodiscover.d.example", "h0.relay.example");
    for (int i = 0; i < hops; ++i)
      cname(r, "h" + std::to_string(i) + ".relay.example",
            i + 1 < hops ? "h" + std::to_string(i + 1) + ".relay.example" : "autodiscover.outlook.com");
  };
  SUBCASE("a chain as long as the bound reaches Microsoft") {
    auto r = world();
    chainOf(r, kMaxExchangeChain);
    auto rep = check(r);
    CHECK(get(rep, "autodiscover-at-m365"));
  }
  SUBCASE("one hop longer than the bound is lookup-failed") {
    auto r = world();
    chainOf(r, kMaxExchangeChain + 1);
    auto rep = check(r);
    CHECK(get(rep, "autodiscover-at-m365") == nullptr);
    REQUIRE(get(rep, "lookup-failed"));
    CHECK(get(rep, "lookup-failed")->data == "chain-too-long");
    CHECK(rep.verdict == Verdict::Indeterminate);
    CHECK(timesAsked(r, "h" + std::to_string(kMaxExchangeChain) + ".relay.example", RRType::CNAME) == 0);
  }
  SUBCASE("a timeout in the middle") {
    auto r = world();
    cname(r, "selector1._domainkey.d.example", "a.relay.example");
    r.set(obs("a.relay.example", RRType::CNAME, Outcome::Timeout));
    auto rep = check(r);
    const Finding* f = get(rep, "lookup-failed");
    REQUIRE(f);
    CHECK(f->name == N("selector1._domainkey.d.example"));
    CHECK(f->message.find("CNAME lookup for a.relay.example.") != std::string::npos);
    CHECK(rep.verdict == Verdict::Indeterminate);
  }
}

namespace {
// An answer the resolver gave after following d's own CNAMEs (Observation::chain).
Observation aliased(const std::string& name, RRType type, Outcome outcome,
                    const std::vector<std::pair<std::string, std::string>>& hops) {
  Observation o = obs(name, type, outcome);
  for (const auto& [from, to] : hops) o.chain.push_back(rec(from, RRType::CNAME, to));
  return o;
}
}  // namespace

TEST_CASE("a domain that is itself a CNAME to a Microsoft 365 mail host is mx-at-m365, with the CNAME shown") {
  struct Row {
    Outcome end;  // what the chain's end answered (NODATA in life; NXDOMAIN in the fixture world)
    std::vector<std::pair<std::string, std::string>> hops;
    std::string data;
  };
  const Row rows[] = {
      {Outcome::NoData, {{kD, "d-example.mail.protection.outlook.com"}}, "CNAME d-example.mail.protection.outlook.com."},
      {Outcome::NxDomain, {{kD, "d-example.mail.protection.outlook.com"}}, "CNAME d-example.mail.protection.outlook.com."},
      {Outcome::NoData,
       {{kD, "relay.example.net"}, {"relay.example.net", "d-example.mail.protection.office365.us"}},
       "CNAME relay.example.net. -> d-example.mail.protection.office365.us."},
  };
  for (const auto& row : rows) {
    CAPTURE(row.data);
    CAPTURE(outcomeName(row.end));
    FakeResolver r(Outcome::NoData);
    for (RRType t : {RRType::NS, RRType::MX, RRType::TXT}) r.set(aliased(kD, t, row.end, row.hops));
    auto rep = check(r);
    const Finding* f = get(rep, "mx-at-m365");
    REQUIRE(f);
    CHECK(f->severity == Severity::Blocker);
    CHECK(f->name == N(kD));
    CHECK(f->type == RRType::MX);
    CHECK(f->data == row.data);
    CHECK(hasRecord(rep, kD, RRType::CNAME));
    CHECK(get(rep, "no-mx") == nullptr);
    CHECK(get(rep, "domain-nxdomain") == nullptr);
    CHECK(rep.verdict == Verdict::PointsAtM365);
  }
  SUBCASE("an alias to a host that is not Microsoft's is what it was: no MX there") {
    FakeResolver r(Outcome::NoData);
    for (RRType t : {RRType::NS, RRType::MX, RRType::TXT})
      r.set(aliased(kD, t, Outcome::NxDomain, {{kD, "gone.example.net"}}));
    auto rep = check(r);
    CHECK(get(rep, "mx-at-m365") == nullptr);
    CHECK(get(rep, "domain-nxdomain") == nullptr);
    CHECK(get(rep, "no-mx"));
    CHECK(hasRecord(rep, kD, RRType::CNAME));
  }
}

TEST_CASE("authoritative mode: the alias is on each server's own answer, and still mx-at-m365, not domain-nxdomain") {
  FakeResolver r(Outcome::NoData);
  for (RRType t : {RRType::NS, RRType::MX, RRType::TXT}) {
    Observation one = aliased(kD, t, Outcome::NxDomain, {{kD, "d-example.mail.protection.outlook.com"}});
    Observation two = one;
    one.server = "127.0.0.1:53";
    two.server = "127.0.0.2:53";
    Observation merged = mergeServerAnswers(Question{N(kD), t}, {one, two});
    REQUIRE(merged.chain.empty());  // what the merge gives for a negative answer
    r.set(merged);
  }
  auto rep = check(r);
  const Finding* f = get(rep, "mx-at-m365");
  REQUIRE(f);
  CHECK(f->data == "CNAME d-example.mail.protection.outlook.com.");
  CHECK(f->server == "127.0.0.1:53");
  CHECK(get(rep, "domain-nxdomain") == nullptr);
  CHECK(rep.verdict == Verdict::PointsAtM365);
}

TEST_CASE("follow-ups: nothing extra when every answer is Microsoft's or final, and no question twice") {
  SUBCASE("a domain at Microsoft throughout asks only the first round") {
    FakeResolver r(Outcome::NoData);
    r.set(obs(kD, RRType::MX, Outcome::Answer, {rec(kD, RRType::MX, "d-example.mail.protection.outlook.com")}));
    spf(r, kD, "v=spf1 include:spf.protection.outlook.com include:_spf.other.example -all");
    cname(r, "autodiscover.d.example", "autodiscover.outlook.com");
    check(r);
    CHECK(r.asked.size() == questionsFor(N(kD), false).size());
  }
  SUBCASE("the same non-Microsoft host behind MX and autodiscover is asked once") {
    FakeResolver r(Outcome::NoData);
    r.set(obs(kD, RRType::MX, Outcome::Answer, {rec(kD, RRType::MX, "mail.relay.example", 3600, 10)}));
    cname(r, "autodiscover.d.example", "mail.relay.example");
    cname(r, "mail.relay.example", "d-example.mail.protection.outlook.com");
    spf(r, kD, "v=spf1 include:_spf.relay.example include:_spf2.relay.example -all");
    spf(r, "_spf.relay.example", "v=spf1 include:_spf3.relay.example -all");
    spf(r, "_spf2.relay.example", "v=spf1 include:_spf3.relay.example -all");  // a diamond, not a loop
    auto rep = check(r);
    CHECK(noQuestionTwice(r));
    CHECK(timesAsked(r, "mail.relay.example", RRType::CNAME) == 1);
    CHECK(timesAsked(r, "_spf3.relay.example", RRType::TXT) == 1);
    CHECK(get(rep, "mx-at-m365"));
    CHECK(get(rep, "lookup-failed") == nullptr);
  }
}
