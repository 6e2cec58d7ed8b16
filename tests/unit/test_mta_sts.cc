// MTA-STS (SPEC §3 mta-sts-lists-m365): the record and policy grammar of RFC 8461, which patterns
// are Microsoft 365's, the checks' verdicts on a fetched (or unfetched) policy, and the engine's
// fetch phase through a fake policy source.
#include <doctest/doctest.h>

#include <algorithm>

#include "checks/checks.h"
#include "checks/mta_sts.h"
#include "engine/check_engine.h"
#include "check_world.h"
#include "fake_resolver.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

constexpr const char* kM365Only =
    "version: STSv1\r\nmode: enforce\r\nmx: *.mail.protection.outlook.com\r\nmax_age: 604800\r\n";

// Every first-round question answered NODATA, with a mail setup at the new provider, and an
// `_mta-sts` record (when `sts` is given) whose policy host has an address.
std::vector<Observation> world(const std::string& d, const std::string& sts = "") {
  std::vector<Observation> out = quietDomain(d);
  if (sts.empty()) return out;
  for (auto& o : out)
    if (o.question.name == N("_mta-sts." + d))
      o = obs("_mta-sts." + d, RRType::TXT, Outcome::Answer, {txt("_mta-sts." + d, {sts})});
  Record a = rec("mta-sts." + d, RRType::A, "x.invalid");
  a.data = "127.0.0.9";
  out.push_back(obs("mta-sts." + d, RRType::A, Outcome::Answer, {a}));
  out.push_back(obs("mta-sts." + d, RRType::AAAA, Outcome::NoData));
  return out;
}

CheckContext fetched(const std::string& body) {
  CheckContext ctx;
  ctx.policy = PolicyFetch{true, "https://mta-sts.contoso.com/.well-known/mta-sts.txt (127.0.0.9)", body, ""};
  return ctx;
}

const Finding* get(const DomainReport& r, FindingId id) {
  for (const auto& f : r.findings)
    if (f.id == id) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("the _mta-sts record: v=STSv1 first, one id of letters and digits") {
  CHECK(parseStsRecord("v=STSv1; id=20240101T000000;").valid);
  CHECK(parseStsRecord("v=STSv1;id=abc").valid);
  CHECK(parseStsRecord("v=STSv1; id=abc; ext=value").valid);
  CHECK(parseStsRecord("v=STSv1; id=abc").id == "abc");
  StsRecord noId = parseStsRecord("v=STSv1;");
  CHECK_FALSE(noId.valid);
  CHECK(noId.error == "no id");
  CHECK_FALSE(parseStsRecord("v=STSv1; id=2024-01-01").valid);           // "-" is not allowed
  CHECK_FALSE(parseStsRecord("v=STSv1; id=" + std::string(33, 'a')).valid);  // 32 at most
  CHECK_FALSE(parseStsRecord("v=STSv1; id=a; id=b").valid);              // two ids
  CHECK_FALSE(parseStsRecord("v=STSv1 id=a").valid);                     // no ";"
  CHECK_FALSE(isStsRecord("v=spf1 -all"));
  CHECK_FALSE(isStsRecord("v=stsv1; id=a"));  // the version is case-sensitive (%s in the ABNF)
}

TEST_CASE("a policy follows RFC 8461 §3.2 exactly, or is invalid") {
  StsPolicy p = parseStsPolicy(kM365Only);
  REQUIRE(p.valid);
  CHECK(p.mode == StsMode::Enforce);
  CHECK(p.maxAge == 604800u);
  CHECK(p.mx == std::vector<std::string>{"*.mail.protection.outlook.com"});
  // LF line ends, no final line end, upper-case patterns, an extension field, any field order.
  p = parseStsPolicy("mode: testing\nversion: STSv1\nmx: MX1.Example.NET\nfoo_bar: baz\nmax_age: 86400");
  REQUIRE(p.valid);
  CHECK(p.mode == StsMode::Testing);
  CHECK(p.mx == std::vector<std::string>{"mx1.example.net"});
  CHECK(parseStsPolicy("version: STSv1\nmode: none\nmax_age: 0\n").valid);  // none needs no mx

  SUBCASE("duplicate keys: the second mode does not override the first, the policy is invalid") {
    StsPolicy d = parseStsPolicy(std::string(kM365Only) + "mode: none\r\n");
    CHECK_FALSE(d.valid);
    CHECK(d.error.find("mode given twice") != std::string::npos);
    CHECK(d.mx.empty());
    CHECK_FALSE(parseStsPolicy(std::string(kM365Only) + "max_age: 1\r\n").valid);
    CHECK_FALSE(parseStsPolicy(std::string(kM365Only) + "version: STSv1\r\n").valid);
  }
  SUBCASE("missing or bad fields") {
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: enforce\nmax_age: 60\n").valid);  // no mx
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: enforce\nmx: a.example\n").valid);  // no max_age
    CHECK_FALSE(parseStsPolicy("mode: enforce\nmx: a.example\nmax_age: 60\n").valid);   // no version
    CHECK_FALSE(parseStsPolicy("version: STSv2\nmode: none\nmax_age: 60\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 60\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: none\nmax_age: 31557601\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: none\nmax_age: -1\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: none\nmax_age: 60s\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 60\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: enforce\nmx: example\nmax_age: 60\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode: enforce\nmx: a.example.\nmax_age: 60\n").valid);
    CHECK_FALSE(parseStsPolicy("version: STSv1\nmode enforce\nmx: a.example\nmax_age: 60\n").valid);
    StsPolicy bad = parseStsPolicy("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\rmode: none\n");
    CHECK_FALSE(bad.valid);  // a bare CR is not a line end
    CHECK(bad.error.find("line 4") != std::string::npos);
  }
}

TEST_CASE("which mx patterns are Microsoft 365's (a wildcard is one leftmost label)") {
  CHECK(stsPatternSignature("*.mail.protection.outlook.com"));
  CHECK(stsPatternSignature("contoso-com.mail.protection.outlook.com"));
  CHECK(stsPatternSignature("*.o-v1.mx.microsoft"));
  CHECK(stsPatternSignature("*.mail.protection.office365.us")->cloud == Cloud::UsGov);
  CHECK_FALSE(stsPatternSignature("*.protection.outlook.com"));  // admits x.protection.outlook.com only
  CHECK_FALSE(stsPatternSignature("*.mail.protection.outlook.com.evil.example"));
  CHECK_FALSE(stsPatternSignature("mail.protection.outlook.com.evil.example"));
  CHECK_FALSE(stsPatternSignature("mx1.newmail.example"));

  StsPolicy mixed = parseStsPolicy("version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\n"
                                   "mx: mx1.newmail.example\nmax_age: 60\n");
  REQUIRE(mixed.valid);
  CHECK_FALSE(stsListsOnlyMicrosoft(mixed));
  CHECK(stsListsOnlyMicrosoft(parseStsPolicy(kM365Only)));
  CHECK_FALSE(stsListsOnlyMicrosoft(parseStsPolicy("version: STSv1\nmode: none\nmax_age: 60\n")));

  StsPolicy w = parseStsPolicy("version: STSv1\nmode: enforce\nmx: *.newmail.example\nmax_age: 60\n");
  CHECK(stsAdmits(w, N("mx1.newmail.example")));
  CHECK(stsAdmits(w, N("MX1.NEWMAIL.EXAMPLE")));
  CHECK_FALSE(stsAdmits(w, N("a.mx1.newmail.example")));  // two labels below
  CHECK_FALSE(stsAdmits(w, N("newmail.example")));
}

TEST_CASE("mta-sts-lists-m365: an enforce or testing policy admitting only Microsoft's MX") {
  auto v = world("contoso.com", "v=STSv1; id=20240101;");
  auto r = evaluate(N("contoso.com"), v, fetched(kM365Only));
  const Finding* f = get(r, FindingId::MtaStsListsM365);
  REQUIRE(f);
  CHECK(f->severity == Severity::Blocker);
  CHECK(f->cloud == Cloud::Worldwide);
  CHECK(f->name == N("_mta-sts.contoso.com"));
  CHECK(f->data == "id=20240101; mode=enforce; max_age=604800; mx=*.mail.protection.outlook.com");
  CHECK(r.verdict == Verdict::PointsAtM365);
  REQUIRE(r.mtaSts);
  CHECK(r.mtaSts->onlyM365);
  CHECK(r.mtaSts->txtValid);
  CHECK(r.mtaSts->maxAge == 604800u);

  auto testing = evaluate(N("contoso.com"), v,
                          fetched("version: STSv1\nmode: testing\nmx: *.mail.protection.outlook.com\nmax_age: 60\n"));
  CHECK(get(testing, FindingId::MtaStsListsM365));

  // Listing the new MX beside Microsoft's, or mode none: nothing to fix before the MX change.
  auto both = evaluate(N("contoso.com"), v,
                       fetched("version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\n"
                               "mx: mx1.newmail.example\nmax_age: 60\n"));
  CHECK_FALSE(get(both, FindingId::MtaStsListsM365));
  CHECK(both.verdict == Verdict::Clear);
  auto none = evaluate(N("contoso.com"), v, fetched("version: STSv1\nmode: none\nmax_age: 60\n"));
  CHECK(none.verdict == Verdict::Clear);
}

TEST_CASE("a policy that cannot be read is never clear") {
  auto v = world("contoso.com", "v=STSv1; id=20240101;");
  SUBCASE("not fetched at all") {
    auto r = evaluate(N("contoso.com"), v);
    CHECK(r.verdict == Verdict::Indeterminate);
    const Finding* f = get(r, FindingId::LookupFailed);
    REQUIRE(f);
    CHECK(f->name == N("_mta-sts.contoso.com"));
    CHECK(f->data == "not-fetched");
  }
  SUBCASE("the fetch failed") {
    CheckContext ctx;
    ctx.policy = PolicyFetch{false, "https://mta-sts.contoso.com/.well-known/mta-sts.txt (127.0.0.9)", "",
                             "SSL certificate problem: certificate has expired"};
    auto r = evaluate(N("contoso.com"), v, ctx);
    CHECK(r.verdict == Verdict::Indeterminate);
    REQUIRE(get(r, FindingId::LookupFailed));
    CHECK(get(r, FindingId::LookupFailed)->message.find("certificate has expired") != std::string::npos);
    REQUIRE(r.mtaSts);
    CHECK_FALSE(r.mtaSts->fetched);
  }
  SUBCASE("the body does not parse (a duplicate mode)") {
    auto r = evaluate(N("contoso.com"), v, fetched(std::string(kM365Only) + "mode: none\n"));
    CHECK(r.verdict == Verdict::Indeterminate);
    REQUIRE(get(r, FindingId::LookupFailed));
    CHECK(get(r, FindingId::LookupFailed)->data == "invalid-policy");
  }
  SUBCASE("the policy host has no address") {
    for (auto& o : v)
      if (o.question.name == N("mta-sts.contoso.com") && o.question.type == RRType::A)
        o = obs("mta-sts.contoso.com", RRType::A, Outcome::NxDomain);
    auto r = evaluate(N("contoso.com"), v);
    CHECK(r.verdict == Verdict::Indeterminate);
    REQUIRE(get(r, FindingId::LookupFailed));
    CHECK(get(r, FindingId::LookupFailed)->data == "no-address");
    CHECK_FALSE(policyRequest(N("contoso.com"), v, {}));
  }
  SUBCASE("the policy host's address lookup failed") {
    for (auto& o : v)
      if (o.question.name == N("mta-sts.contoso.com") && o.question.type == RRType::A)
        o = obs("mta-sts.contoso.com", RRType::A, Outcome::Timeout);
    auto r = evaluate(N("contoso.com"), v);
    CHECK(r.verdict == Verdict::Indeterminate);
    REQUIRE(get(r, FindingId::LookupFailed));
    CHECK(get(r, FindingId::LookupFailed)->message.find("mta-sts.contoso.com") != std::string::npos);
  }
  SUBCASE("the _mta-sts lookup itself failed") {
    for (auto& o : v)
      if (o.question.name == N("_mta-sts.contoso.com")) o = obs("_mta-sts.contoso.com", RRType::TXT, Outcome::ServFail);
    auto r = evaluate(N("contoso.com"), v, fetched(kM365Only));
    CHECK(r.verdict == Verdict::Indeterminate);
    CHECK_FALSE(r.mtaSts);
  }
}

TEST_CASE("the policy host's addresses are asked only when an _mta-sts record exists, and not offline") {
  auto plain = world("contoso.com");
  auto asked = followUps(N("contoso.com"), plain);
  CHECK(std::none_of(asked.begin(), asked.end(), [](const Question& q) { return q.name == N("mta-sts.contoso.com"); }));
  CHECK_FALSE(policyRequest(N("contoso.com"), plain, {}));

  auto v = world("contoso.com", "v=STSv1; id=1;");
  v.erase(std::remove_if(v.begin(), v.end(), [](const Observation& o) { return o.question.name == N("mta-sts.contoso.com"); }),
          v.end());
  asked = followUps(N("contoso.com"), v);
  CHECK(std::count_if(asked.begin(), asked.end(), [](const Question& q) { return q.name == N("mta-sts.contoso.com"); }) == 2);
  CheckContext offline;
  offline.offline = true;
  asked = followUps(N("contoso.com"), v, offline);
  CHECK(std::none_of(asked.begin(), asked.end(), [](const Question& q) { return q.name == N("mta-sts.contoso.com"); }));
  auto req = policyRequest(N("contoso.com"), v, offline);
  REQUIRE(req);
  CHECK(req->addresses.empty());
}

namespace {

// A policy source answering from a table by domain; counts its batches.
class FakePolicies : public PolicyFetcher {
 public:
  std::vector<PolicyFetch> fetch(const std::vector<PolicyRequest>& rs) override {
    ++batches;
    std::vector<PolicyFetch> out;
    for (const auto& r : rs) {
      requests.push_back(r);
      auto it = std::find_if(bodies.begin(), bodies.end(), [&](const auto& b) { return N(b.first) == r.domain; });
      if (it == bodies.end()) out.push_back(PolicyFetch{false, "fake", "", "HTTP 404"});
      else out.push_back(PolicyFetch{true, "fake " + r.domain.toStringNoDot(), it->second, ""});
    }
    return out;
  }
  std::string describe() const override { return "fake"; }
  std::vector<std::pair<std::string, std::string>> bodies;
  std::vector<PolicyRequest> requests;
  int batches = 0;
};

}  // namespace

TEST_CASE("the engine fetches policies once the DNS is done, in one batch, with the resolved addresses") {
  FakeResolver r(Outcome::NoData);
  std::vector<DomainJob> jobs;
  for (const char* d : {"a.example", "b.example", "c.example"}) {
    const std::string dn = d;
    for (const auto& o : world(dn, dn == "c.example" ? "" : "v=STSv1; id=7;")) r.set(o);
    jobs.push_back(DomainJob{*normalizeDomain(dn, nullptr), {}});
  }
  FakePolicies p;
  p.bodies = {{"a.example", kM365Only}};
  auto reports = checkAll(r, jobs, &p);
  REQUIRE(reports.size() == 3);
  CHECK(p.batches == 1);
  REQUIRE(p.requests.size() == 2);  // c.example has no _mta-sts record
  CHECK(p.requests[0].addresses == std::vector<std::string>{"127.0.0.9"});
  CHECK(get(reports[0], FindingId::MtaStsListsM365));
  CHECK(reports[1].verdict == Verdict::Indeterminate);  // b.example: HTTP 404, never clear
  CHECK(reports[2].verdict == Verdict::Clear);
  CHECK_FALSE(reports[2].mtaSts);
}

TEST_CASE("the engine calls beforeWait before the policy fetches, after the last answer, and clears its hook") {
  FakeResolver r(Outcome::NoData);
  std::vector<DomainJob> jobs;
  for (const char* d : {"a.example", "b.example"}) {
    const std::string dn = d;
    for (const auto& o : world(dn, "v=STSv1; id=7;")) r.set(o);
    jobs.push_back(DomainJob{*normalizeDomain(dn, nullptr), {}});
  }
  std::vector<std::string> log;
  class Logging : public FakePolicies {
   public:
    explicit Logging(std::vector<std::string>& l) : log_(l) {}
    std::vector<PolicyFetch> fetch(const std::vector<PolicyRequest>& rs) override {
      log_.push_back("fetch");
      return FakePolicies::fetch(rs);
    }
    std::vector<std::string>& log_;
  } p(log);
  r.afterWait = [&](const Question&) { log.push_back("answer"); };  // right after the resolver's hook
  EngineOptions o;
  o.policies = &p;
  o.beforeWait = [&] { log.push_back("wait"); };
  std::size_t reports = 0;
  runChecks(r, [&, i = std::size_t{0}]() mutable -> std::optional<DomainJob> {
    if (i == jobs.size()) return std::nullopt;
    return jobs[i++];
  }, [&](std::size_t, DomainReport) { ++reports; }, o);
  CHECK(reports == 2);
  auto fetch = std::find(log.begin(), log.end(), "fetch");
  REQUIRE(fetch != log.end());
  REQUIRE(fetch - log.begin() >= 3);
  CHECK(*(fetch - 1) == "wait");    // the engine's own call, before the fetches
  CHECK(*(fetch - 2) == "answer");  // after the last answer
  CHECK(*(fetch - 3) == "wait");    // the resolver's, before that answer
  CHECK(r.hooksSet == 2);
  CHECK_FALSE(r.hooked());
}
