#include <doctest/doctest.h>

#include <algorithm>

#include "checks/catalogue.h"
#include "checks/checks.h"
#include "check_world.h"
#include "fake_resolver.h"
#include "plan_text.h"
#include "core/server_merge.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

// A domain with nothing of interest (check_world.h).
std::vector<Observation> baseline(const std::string& domain) { return quietDomain(domain); }

void put(std::vector<Observation>& v, Observation o) {
  for (auto& x : v)
    if (x.question == o.question) {
      x = std::move(o);
      return;
    }
  v.push_back(std::move(o));
}

std::vector<std::string> ids(const DomainReport& r) {
  std::vector<std::string> out;
  for (const auto& f : r.findings) out.push_back(name(f.id));
  return out;
}

bool has(const DomainReport& r, const std::string& id) {
  auto v = ids(r);
  return std::find(v.begin(), v.end(), id) != v.end();
}

const Finding* get(const DomainReport& r, const std::string& id) {
  for (const auto& f : r.findings)
    if (name(f.id) == id) return &f;
  return nullptr;
}

}  // namespace

TEST_CASE("a domain with nothing of Microsoft's is clear") {
  auto r = evaluate(N("wingtiptoys.com"), baseline("wingtiptoys.com"));
  CHECK(r.findings.empty());
  CHECK(r.verdict == Verdict::Clear);
  CHECK(r.cloud == Cloud::None);
}

TEST_CASE("an MX under mail.protection.outlook.com is a blocker") {
  auto v = baseline("fabrikam.com");
  put(v, obs("fabrikam.com", RRType::MX, Outcome::Answer,
             {rec("fabrikam.com", RRType::MX, "fabrikam-com.mail.protection.outlook.com", 3600, 0)}));
  auto r = evaluate(N("fabrikam.com"), v);
  REQUIRE(has(r, "mx-at-m365"));
  const Finding* f = get(r, "mx-at-m365");
  CHECK(f->severity == Severity::Blocker);
  CHECK(f->cloud == Cloud::Worldwide);
  CHECK(f->ttl == 3600u);
  CHECK(f->data == "0 fabrikam-com.mail.protection.outlook.com.");
  CHECK(r.verdict == Verdict::PointsAtM365);
  CHECK(r.cloud == Cloud::Worldwide);
}

TEST_CASE("MX hosts of every cloud are recognised, look-alikes are not") {
  struct Row {
    const char* host;
    bool m365;
    Cloud cloud;
  };
  const Row rows[] = {
      {"contoso-com.mail.protection.outlook.com", true, Cloud::Worldwide},
      {"CONTOSO-COM.Mail.Protection.Outlook.COM.", true, Cloud::Worldwide},
      {"contosotest-com.o-v1.mx.microsoft", true, Cloud::Worldwide},
      {"contoso.mail.protection.office365.us", true, Cloud::UsGov},
      {"contoso-cn.mail.protection.partner.outlook.cn", true, Cloud::China21Vianet},
      {"contoso-de.mail.protection.outlook.de", true, Cloud::Germany},
      {"mail.eo.outlook.com", true, Cloud::Worldwide},
      {"mail.messaging.microsoft.com", true, Cloud::Worldwide},
      {"mail.global.frontbridge.com", true, Cloud::Worldwide},
      // look-alikes and non-tenant hosts
      {"contoso-com.mail.protection.outlook.com.evil.example", false, Cloud::None},
      {"xmail.protection.outlook.com", false, Cloud::None},
      {"mail.protection.outlook.com", false, Cloud::None},
      {"mx.microsoft", false, Cloud::None},
      {"mx.microsoft.evil.example", false, Cloud::None},
      {"hotmail-com.olc.protection.outlook.com", false, Cloud::None},
      {"eoutlook.com", false, Cloud::None},
      {"mx1.newmail.example", false, Cloud::None},
  };
  for (const auto& row : rows) {
    CAPTURE(row.host);
    auto v = baseline("x.example");
    put(v, obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, row.host, 3600, 0)}));
    put(v, obs(row.host, RRType::CNAME, Outcome::NoData));
    auto r = evaluate(N("x.example"), v);
    CHECK(has(r, "mx-at-m365") == row.m365);
    if (row.m365) CHECK(get(r, "mx-at-m365")->cloud == row.cloud);
    if (!row.m365) CHECK(r.verdict == Verdict::Clear);
  }
}

TEST_CASE("an MX exchange is followed through a CNAME chain before deciding") {
  auto v = baseline("chain.example");
  put(v, obs("chain.example", RRType::MX, Outcome::Answer, {rec("chain.example", RRType::MX, "mail.newmail.example", 60, 10)}));
  SUBCASE("the chain ends at Microsoft: blocker, with the chain shown") {
    put(v, obs("mail.newmail.example", RRType::CNAME, Outcome::Answer,
               {rec("mail.newmail.example", RRType::CNAME, "relay.newmail.example")}));
    put(v, obs("relay.newmail.example", RRType::CNAME, Outcome::Answer,
               {rec("relay.newmail.example", RRType::CNAME, "tenant.mail.protection.outlook.com")}));
    auto r = evaluate(N("chain.example"), v);
    REQUIRE(has(r, "mx-at-m365"));
    CHECK(get(r, "mx-at-m365")->data.find("-> tenant.mail.protection.outlook.com.") != std::string::npos);
  }
  SUBCASE("followUps asks for the next hop until the chain ends") {
    auto q = followUps(N("chain.example"), v);
    REQUIRE(q.size() == 1);
    CHECK(q[0].name == N("mail.newmail.example"));
    CHECK(q[0].type == RRType::CNAME);
    // Once mail.newmail.example is known to be a plain host, nothing more is asked.
    put(v, obs("mail.newmail.example", RRType::CNAME, Outcome::NoData));
    CHECK(followUps(N("chain.example"), v).empty());
    CHECK(evaluate(N("chain.example"), v).verdict == Verdict::Clear);
  }
  SUBCASE("a failed hop is a lookup-failed, not clear") {
    put(v, obs("mail.newmail.example", RRType::CNAME, Outcome::Timeout));
    auto r = evaluate(N("chain.example"), v);
    CHECK(has(r, "lookup-failed"));
    CHECK(r.verdict == Verdict::Indeterminate);
  }
  SUBCASE("a loop ends the walk as indeterminate") {
    put(v, obs("mail.newmail.example", RRType::CNAME, Outcome::Answer,
               {rec("mail.newmail.example", RRType::CNAME, "b.newmail.example")}));
    put(v, obs("b.newmail.example", RRType::CNAME, Outcome::Answer,
               {rec("b.newmail.example", RRType::CNAME, "mail.newmail.example")}));
    CHECK(followUps(N("chain.example"), v).empty());
    auto r = evaluate(N("chain.example"), v);
    CHECK(has(r, "lookup-failed"));
    CHECK(r.verdict == Verdict::Indeterminate);
  }
  SUBCASE("an exact MX host from Graph counts even without a known suffix") {
    CheckContext ctx;
    ctx.knownMicrosoftMx.push_back(N("mail.newmail.example"));
    CHECK(followUps(N("chain.example"), v, ctx).empty());
    CHECK(has(evaluate(N("chain.example"), v, ctx), "mx-at-m365"));
  }
}

TEST_CASE("each question is read from its first observation, however many observations and whatever their names share") {
  // What evaluate and followUps read for a question: its first observation, among names of one
  // length and the same first octets, with few observations or many (a guard for any index
  // over them; one keyed by type, side, length and first octets was tried, and measured no
  // cheaper than reading them in turn).
  auto v = baseline("index.example");
  // Two exchanges whose names have one length and the same first eight wire octets.
  put(v, obs("index.example", RRType::MX, Outcome::Answer,
             {rec("index.example", RRType::MX, "aaaaaaaa1.relay.example", 60, 10),
              rec("index.example", RRType::MX, "aaaaaaaa2.relay.example", 60, 20)}));
  auto pad = [](std::vector<Observation>& w, int n) {
    for (int i = 0; i < n; ++i)
      w.push_back(obs("pad" + std::to_string(i) + ".index.example", RRType::A, Outcome::NoData));
  };
  for (int padding : {0, 80}) {
    CAPTURE(padding);
    {
      INFO("the first exchange's chain reaches Microsoft, the second's does not");
      auto w = v;
      put(w, obs("aaaaaaaa1.relay.example", RRType::CNAME, Outcome::Answer,
                 {rec("aaaaaaaa1.relay.example", RRType::CNAME, "tenant.mail.protection.outlook.com")}));
      put(w, obs("aaaaaaaa2.relay.example", RRType::CNAME, Outcome::NoData));
      pad(w, padding);
      CHECK(followUps(N("index.example"), w).empty());
      auto r = evaluate(N("index.example"), w);
      REQUIRE(has(r, "mx-at-m365"));
      CHECK(get(r, "mx-at-m365")->data.find("aaaaaaaa1") != std::string::npos);
      CHECK(get(r, "mx-at-m365")->data.find("aaaaaaaa2") == std::string::npos);
    }
    {
      INFO("the second's does, the first's does not");
      auto w = v;
      put(w, obs("aaaaaaaa1.relay.example", RRType::CNAME, Outcome::NoData));
      put(w, obs("aaaaaaaa2.relay.example", RRType::CNAME, Outcome::Answer,
                 {rec("aaaaaaaa2.relay.example", RRType::CNAME, "tenant.mail.protection.outlook.com")}));
      pad(w, padding);
      auto r = evaluate(N("index.example"), w);
      REQUIRE(has(r, "mx-at-m365"));
      CHECK(get(r, "mx-at-m365")->data.find("aaaaaaaa2") != std::string::npos);
    }
    {
      INFO("one exchange not asked yet: followUps asks for it, evaluate calls it missing");
      auto w = v;
      put(w, obs("aaaaaaaa1.relay.example", RRType::CNAME, Outcome::NoData));
      pad(w, padding);
      auto q = followUps(N("index.example"), w);
      REQUIRE(q.size() == 1);
      CHECK(q[0].name == N("aaaaaaaa2.relay.example"));
      CHECK(evaluate(N("index.example"), w).verdict == Verdict::Indeterminate);
    }
    {
      INFO("a question observed twice: the first observation decides");
      auto w = v;
      put(w, obs("aaaaaaaa1.relay.example", RRType::CNAME, Outcome::NoData));
      put(w, obs("aaaaaaaa2.relay.example", RRType::CNAME, Outcome::NoData));
      pad(w, padding);
      auto later = obs("index.example", RRType::MX, Outcome::Answer,
                       {rec("index.example", RRType::MX, "tenant.mail.protection.outlook.com", 60, 0)});
      w.push_back(later);  // after the first MX observation: not read
      CHECK_FALSE(has(evaluate(N("index.example"), w), "mx-at-m365"));
      auto first = w;
      first.insert(first.begin(), later);  // before it: read
      CHECK(has(evaluate(N("index.example"), first), "mx-at-m365"));
    }
  }
}

TEST_CASE("MX outcomes: NODATA is no-mx, NXDOMAIN is domain-nxdomain, a timeout is indeterminate") {
  auto v = baseline("x.example");
  SUBCASE("nodata") {
    put(v, obs("x.example", RRType::MX, Outcome::NoData));
    auto r = evaluate(N("x.example"), v);
    CHECK(ids(r) == std::vector<std::string>{"no-mx"});
    CHECK(r.verdict == Verdict::Clear);
  }
  SUBCASE("null MX is deliberate, not no-mx") {
    put(v, obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, ".", 3600, 0)}));
    auto r = evaluate(N("x.example"), v);
    CHECK(r.findings.empty());
    CHECK(r.verdict == Verdict::Clear);
  }
  SUBCASE("nxdomain") {
    for (auto& o : v) o.outcome = Outcome::NxDomain, o.answer.clear();
    auto r = evaluate(N("x.example"), v);
    CHECK(ids(r) == std::vector<std::string>{"domain-nxdomain"});
    CHECK(r.verdict == Verdict::Indeterminate);
  }
  for (Outcome bad : {Outcome::Timeout, Outcome::ServFail, Outcome::Refused, Outcome::Malformed,
                      Outcome::Unreachable}) {
    CAPTURE(outcomeName(bad));
    auto w = baseline("x.example");
    put(w, obs("x.example", RRType::MX, bad));
    auto r = evaluate(N("x.example"), w);
    REQUIRE(has(r, "lookup-failed"));
    CHECK(get(r, "lookup-failed")->name == N("x.example"));
    CHECK(get(r, "lookup-failed")->type == RRType::MX);
    CHECK(get(r, "lookup-failed")->message.find("test") != std::string::npos);  // names the server
    CHECK(r.verdict == Verdict::Indeterminate);
  }
}

TEST_CASE("a definite blocker wins over a failed lookup") {
  auto v = baseline("x.example");
  put(v, obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "x-example.mail.protection.outlook.com")}));
  put(v, obs("autodiscover.x.example", RRType::CNAME, Outcome::ServFail));
  auto r = evaluate(N("x.example"), v);
  CHECK(has(r, "lookup-failed"));
  CHECK(r.verdict == Verdict::PointsAtM365);
}

TEST_CASE("a question never answered is missing evidence, never clear") {
  auto v = baseline("x.example");
  v.erase(std::remove_if(v.begin(), v.end(), [](const Observation& o) { return o.question.type == RRType::TXT; }), v.end());
  auto r = evaluate(N("x.example"), v);
  CHECK(has(r, "lookup-failed"));
  CHECK(r.verdict == Verdict::Indeterminate);
}

TEST_CASE("NS at Microsoft 365 is a blocker, any cloud, only by label") {
  struct Row {
    const char* ns;
    bool m365;
    Cloud cloud;
  };
  const Row rows[] = {
      {"ns1.bdm.microsoftonline.com", true, Cloud::Worldwide},
      {"NS4.BDM.microsoftonline.com.", true, Cloud::Worldwide},
      {"ns2.dns.partner.microsoftonline.cn", true, Cloud::China21Vianet},
      {"ns1.bdm.microsoftonline.com.evil.example", false, Cloud::None},
      {"ns5.bdm.microsoftonline.com", false, Cloud::None},
      {"ns1.olddns.example", false, Cloud::None},
  };
  for (const auto& row : rows) {
    CAPTURE(row.ns);
    auto v = baseline("contoso.com");
    put(v, obs("contoso.com", RRType::NS, Outcome::Answer, {rec("contoso.com", RRType::NS, row.ns, 3600)}));
    auto r = evaluate(N("contoso.com"), v);
    CHECK(has(r, "ns-at-m365") == row.m365);
    if (row.m365) CHECK(get(r, "ns-at-m365")->cloud == row.cloud);
    CHECK(r.delegation.childSeen);
    CHECK(r.delegation.childTtl == 3600u);
  }
  SUBCASE("a NS lookup that times out is indeterminate") {
    auto v = baseline("contoso.com");
    put(v, obs("contoso.com", RRType::NS, Outcome::Timeout));
    auto r = evaluate(N("contoso.com"), v);
    CHECK(has(r, "lookup-failed"));
    CHECK(r.verdict == Verdict::Indeterminate);
  }
}

TEST_CASE("a mixed delegation naming one Microsoft nameserver is ns-at-m365; parent and child differing is ns-inconsistent") {
  auto v = baseline("contoso.com");
  put(v, obs("contoso.com", RRType::NS, Outcome::Answer,
             {rec("contoso.com", RRType::NS, "ns1.newdns.example", 3600), rec("contoso.com", RRType::NS, "ns2.newdns.example", 3600)},
             true));
  put(v, obs("contoso.com", RRType::NS, Outcome::Answer,
             {rec("contoso.com", RRType::NS, "ns1.bdm.microsoftonline.com", 3600), rec("contoso.com", RRType::NS, "ns1.newdns.example", 3600)}));
  auto r = evaluate(N("contoso.com"), v);
  CHECK(has(r, "ns-at-m365"));
  CHECK(has(r, "ns-inconsistent"));
  CHECK(r.delegation.parentSeen);
  CHECK(r.delegation.parentNs.size() == 2);
}

TEST_CASE("SPF: only v=spf1 counts; include or redirect anywhere; look-alikes do not") {
  struct Row {
    std::vector<std::string> strings;
    bool m365;
  };
  const Row rows[] = {
      {{"v=spf1 include:spf.protection.outlook.com -all"}, true},
      {{"v=spf1 ip4:192.0.2.1 include:_spf.newmail.example include:spf.protection.outlook.com ~all"}, true},
      {{"v=spf1 include:spf.protection.outlook.com include:_spf.newmail.example -all"}, true},
      {{"v=spf1 redirect=spf.protection.outlook.com"}, true},
      {{"V=SPF1 INCLUDE:SPF.PROTECTION.OUTLOOK.COM -all"}, true},
      {{"v=spf1 +include:spf.protection.office365.us -all"}, true},
      {{"v=spf1 include:spf.protection.partner.outlook.cn -all"}, true},
      {{"v=spf1 include:spf.protection.outlook.de -all"}, true},
      {{"v=spf1 include: spf.protection.outlook.com ~all"}, true},  // Graph's documented quirk
      {{"v=spf1 include:spf.prot", "ection.outlook.com -all"}, true},  // split strings join
      {{"v=spf1 include:_spf.newmail.example -all"}, false},
      {{"v=spf1 include:spf.protection.outlook.com.evil.example -all"}, false},
      {{"v=spf1 include:xspf.protection.outlook.com -all"}, false},
      {{"v=spf1 -include:spf.protection.outlook.com -all"}, false},
      {{"v=spf10 include:spf.protection.outlook.com"}, false},
      {{"some text include:spf.protection.outlook.com"}, false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.strings.front());
    auto v = baseline("x.example");
    put(v, obs("x.example", RRType::TXT, Outcome::Answer, {txt("x.example", row.strings)}));
    auto r = evaluate(N("x.example"), v);
    CHECK(has(r, "spf-includes-m365") == row.m365);
    if (row.m365) CHECK(get(r, "spf-includes-m365")->severity == Severity::Required);
  }
  SUBCASE("a TXT lookup failure is indeterminate") {
    auto v = baseline("x.example");
    put(v, obs("x.example", RRType::TXT, Outcome::ServFail));
    CHECK(evaluate(N("x.example"), v).verdict == Verdict::Indeterminate);
  }
}

TEST_CASE("MS=ms TXT and .msv1.invalid MX are verification leftovers (cleanup)") {
  auto v = baseline("x.example");
  put(v, obs("x.example", RRType::TXT, Outcome::Answer, {txt("x.example", {"MS=ms12345678"}), txt("x.example", {"google-site-verification=abc"})}));
  put(v, obs("x.example", RRType::MX, Outcome::Answer,
             {rec("x.example", RRType::MX, "mx1.newmail.example", 3600, 10),
              rec("x.example", RRType::MX, "ms12345678.msv1.invalid", 3600, 32767)}));
  auto r = evaluate(N("x.example"), v);
  CHECK(has(r, "verification-txt"));
  CHECK(has(r, "verification-mx"));
  CHECK_FALSE(has(r, "mx-at-m365"));
  CHECK(get(r, "verification-mx")->severity == Severity::Cleanup);
  CHECK(r.verdict == Verdict::PointsAtM365);
  SUBCASE("look-alike verification values do not match") {
    auto w = baseline("x.example");
    put(w, obs("x.example", RRType::TXT, Outcome::Answer, {txt("x.example", {"XMS=ms1"})}));
    put(w, obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "ms1.msv1.invalid.evil.example", 3600, 10)}));
    put(w, obs("ms1.msv1.invalid.evil.example", RRType::CNAME, Outcome::NoData));
    auto q = evaluate(N("x.example"), w);
    CHECK_FALSE(has(q, "verification-txt"));
    CHECK_FALSE(has(q, "verification-mx"));
  }
}

TEST_CASE("CNAME and SRV families: positive, negative, look-alike, outcome") {
  struct Row {
    const char* owner;
    RRType type;
    const char* target;
    const char* id;  // nullptr: must not match
    Cloud cloud;
  };
  const Row rows[] = {
      {"autodiscover", RRType::CNAME, "autodiscover.outlook.com", "autodiscover-at-m365", Cloud::Worldwide},
      {"autodiscover", RRType::CNAME, "autodiscover.office365.us", "autodiscover-at-m365", Cloud::UsGov},
      {"autodiscover", RRType::CNAME, "autodiscover-dod.office365.us", "autodiscover-at-m365", Cloud::UsGov},
      {"autodiscover", RRType::CNAME, "autodiscover.partner.outlook.cn", "autodiscover-at-m365", Cloud::China21Vianet},
      {"autodiscover", RRType::CNAME, "autodiscover-outlook.office.de", "autodiscover-at-m365", Cloud::Germany},
      {"autodiscover", RRType::CNAME, "autodiscover.outlook.com.evil.example", nullptr, Cloud::None},
      {"autodiscover", RRType::CNAME, "autodiscover.newmail.example", nullptr, Cloud::None},
      {"selector1._domainkey", RRType::CNAME, "selector1-contoso-com._domainkey.contoso.onmicrosoft.com", "dkim-at-m365", Cloud::Worldwide},
      {"selector2._domainkey", RRType::CNAME, "selector2-contoso-com._domainkey.contoso.n-v1.dkim.mail.microsoft", "dkim-at-m365", Cloud::Worldwide},
      {"selector1._domainkey", RRType::CNAME, "selector1._domainkey.onmicrosoft.com.evil.example", nullptr, Cloud::None},
      {"msoid", RRType::CNAME, "clientconfig.partner.microsoftonline-p.net.cn", "msoid-at-m365", Cloud::China21Vianet},
      {"msoid", RRType::CNAME, "clientconfig.partner.microsoftonline-p.net.cn.evil.example", nullptr, Cloud::None},
      {"sip", RRType::CNAME, "sipdir.online.lync.com", "teams-at-m365", Cloud::Worldwide},
      {"lyncdiscover", RRType::CNAME, "webdir.online.lync.com", "teams-at-m365", Cloud::Worldwide},
      {"lyncdiscover", RRType::CNAME, "webdir.online.gov.skypeforbusiness.us", "teams-at-m365", Cloud::UsGov},
      {"_sip._tls", RRType::SRV, "sipdir.online.lync.com", "teams-at-m365", Cloud::Worldwide},
      {"_sipfederationtls._tcp", RRType::SRV, "sipfed.online.partner.lync.cn", "teams-at-m365", Cloud::China21Vianet},
      {"_sipfederationtls._tcp", RRType::SRV, "sipfed.online.lync.com.evil.example", nullptr, Cloud::None},
      {"enterpriseregistration", RRType::CNAME, "enterpriseregistration.windows.net", "mdm-at-m365", Cloud::Worldwide},
      {"enterpriseenrollment", RRType::CNAME, "enterpriseenrollment-s.manage.microsoft.com", "mdm-at-m365", Cloud::Worldwide},
      {"enterpriseenrollment", RRType::CNAME, "enterpriseenrollment-s.manage.microsoft.us", "mdm-at-m365", Cloud::UsGov},
      {"enterpriseenrollment", RRType::CNAME, "xmanage.microsoft.com", nullptr, Cloud::None},
  };
  for (const auto& row : rows) {
    CAPTURE(row.owner);
    CAPTURE(row.target);
    std::string name = std::string(row.owner) + ".x.example";
    auto v = baseline("x.example");
    put(v, obs(name, row.type, Outcome::Answer, {rec(name, row.type, row.target)}));
    // A CNAME target that is not Microsoft's is followed (it may alias Microsoft's): here it is
    // a plain host.
    if (row.type == RRType::CNAME) put(v, obs(row.target, RRType::CNAME, Outcome::NoData));
    auto r = evaluate(N("x.example"), v);
    if (row.id) {
      REQUIRE(has(r, row.id));
      CHECK(get(r, row.id)->cloud == row.cloud);
      CHECK(get(r, row.id)->name == N(name));
      CHECK(r.verdict == Verdict::PointsAtM365);
    } else {
      CHECK(r.findings.empty());
      CHECK(r.verdict == Verdict::Clear);
    }
    // The same name failing to resolve is never clear.
    auto w = baseline("x.example");
    put(w, obs(name, row.type, Outcome::Timeout));
    CHECK(evaluate(N("x.example"), w).verdict == Verdict::Indeterminate);
  }
}

TEST_CASE("severity decides the verdict and the domain's cloud") {
  CHECK(verdictOf({}) == Verdict::Clear);
  auto finding = [](const char* id, Severity s) {
    Finding f;
    f.id = *findingIdFromName(id);
    f.severity = s;
    return f;
  };
  Finding warn = finding("no-mx", Severity::Warning);
  Finding ind = finding("lookup-failed", Severity::Indeterminate);
  Finding cleanup = finding("verification-txt", Severity::Cleanup);
  CHECK(verdictOf({warn}) == Verdict::Clear);
  CHECK(verdictOf({warn, ind}) == Verdict::Indeterminate);
  CHECK(verdictOf({ind, cleanup}) == Verdict::PointsAtM365);
}

TEST_CASE("the catalogue leaves out what the research marks UNVERIFIED") {
  for (const auto& s : catalogue()) {
    CAPTURE(s.pattern);
    if (s.match == Match::Exact || s.match == Match::Below || s.match == Match::AtOrBelow)
      CHECK(DnsName::parse(s.pattern));
    CHECK_FALSE(s.source.empty());
    CHECK(std::string_view(s.confidence) != "UNVERIFIED");
  }
  CHECK_FALSE(matchHost(Family::Ns, N("ns1.bdm.microsoftonline.de")));
  CHECK_FALSE(matchHost(Family::Mdm, N("enterpriseregistration.partner.microsoftonline.cn")));
  CHECK_FALSE(matchHost(Family::Ns, N("ns1.bdm.microsoftonline.us")));
}

// ---------------------------------------------------------------------------------------------
// The rows of m365-dns.md §3.8: what real zones carry. For each, a positive, a negative (the same
// record at a host of the domain's own) and look-alikes that differ by a label.

TEST_CASE("a worldwide msoid CNAME to clientconfig.microsoftonline-p.net is msoid-at-m365 (required)") {
  struct Row {
    const char* target;
    bool m365;
  };
  const Row rows[] = {
      {"clientconfig.microsoftonline-p.net", true},
      {"ClientConfig.MicrosoftOnline-P.NET.", true},
      {"clientconfig.idp.newdns.example", false},                  // negative: own host
      {"clientconfig.microsoftonline-p.net.evil.example", false},  // look-alikes
      {"xclientconfig.microsoftonline-p.net", false},
      {"a.clientconfig.microsoftonline-p.net", false},
      {"microsoftonline-p.net", false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.target);
    auto v = baseline("x.example");
    put(v, obs("msoid.x.example", RRType::CNAME, Outcome::Answer, {rec("msoid.x.example", RRType::CNAME, row.target)}));
    put(v, obs(row.target, RRType::CNAME, Outcome::NoData));
    auto r = evaluate(N("x.example"), v);
    CHECK(has(r, "msoid-at-m365") == row.m365);
    if (!row.m365) {
      CHECK(r.verdict == Verdict::Clear);
      continue;
    }
    const Finding* f = get(r, "msoid-at-m365");
    CHECK(f->severity == Severity::Required);
    CHECK(f->cloud == Cloud::Worldwide);
    CHECK(r.cloud == Cloud::Worldwide);
    CHECK(f->message.find("licence activation") != std::string::npos);
    CHECK(f->message.find("21Vianet;") == std::string::npos);  // not the 21Vianet wording
  }
}

TEST_CASE("an msNNNNNNNN.msv1.invalid.outlook.com MX is verification-mx (cleanup), never mx-at-m365") {
  struct Row {
    const char* host;
    bool verification;
  };
  const Row rows[] = {
      {"ms12345678.msv1.invalid.outlook.com", true},
      {"MS87654321.MSV1.Invalid.Outlook.Com.", true},
      {"mx1.newmail.example", false},                            // negative
      {"ms1.msv1.invalid.outlook.com.evil.example", false},      // look-alikes
      {"ms1.xmsv1.invalid.outlook.com", false},
      {"msv1.invalid.outlook.com", false},                       // the zone itself, no token
      {"ms1.msv1.invalid.outlook.co", false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.host);
    auto v = baseline("x.example");
    put(v, obs("x.example", RRType::MX, Outcome::Answer,
               {rec("x.example", RRType::MX, "mx1.newmail.example", 3600, 10),
                rec("x.example", RRType::MX, row.host, 3600, 32767)}));
    put(v, obs(row.host, RRType::CNAME, Outcome::NoData));
    auto r = evaluate(N("x.example"), v);
    CHECK(has(r, "verification-mx") == row.verification);
    CHECK_FALSE(has(r, "mx-at-m365"));
    if (row.verification) {
      CHECK(get(r, "verification-mx")->severity == Severity::Cleanup);
      CHECK(get(r, "verification-mx")->cloud == Cloud::Worldwide);
    } else {
      CHECK(r.verdict == Verdict::Clear);
    }
  }
}

TEST_CASE("GoDaddy's NETORGFT<digits>.onmicrosoft.com TXT is verification-txt, shown as LOW confidence") {
  struct Row {
    const char* value;
    bool verification;
  };
  const Row rows[] = {
      {"NETORGFT1234567.onmicrosoft.com", true},
      {"netorgft42.OnMicrosoft.com.", true},
      {"google-site-verification=abc123", false},            // negative
      {"NETORGFT1234567.onmicrosoft.com.evil.example", false},  // look-alikes
      {"NETORGFTabc.onmicrosoft.com", false},
      {"NETORGFT.onmicrosoft.com", false},
      {"XNETORGFT1.onmicrosoft.com", false},
      {"NETORGFT12x.onmicrosoft.com", false},
      {"a.NETORGFT1.onmicrosoft.com", false},
      {"NETORGFT1.onmicrosoft.us", false},
      {"NETORGFT1.onmicrosoft.com trailing", false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.value);
    CHECK(isVerificationTxt(row.value) == row.verification);
    auto v = baseline("x.example");
    put(v, obs("x.example", RRType::TXT, Outcome::Answer, {txt("x.example", {row.value})}));
    auto r = evaluate(N("x.example"), v);
    CHECK(has(r, "verification-txt") == row.verification);
    if (!row.verification) {
      CHECK(r.verdict == Verdict::Clear);
      continue;
    }
    const Finding* f = get(r, "verification-txt");
    CHECK(f->severity == Severity::Cleanup);
    CHECK(f->cloud == Cloud::Worldwide);
    CHECK(f->message.find("GoDaddy") != std::string::npos);
    CHECK(f->message.find("confidence LOW") != std::string::npos);
  }
  // The MS=ms row is now a catalogue row too: same finding as before, no cloud, no LOW note.
  auto v = baseline("x.example");
  put(v, obs("x.example", RRType::TXT, Outcome::Answer, {txt("x.example", {"MS=ms12345678"})}));
  auto r = evaluate(N("x.example"), v);
  REQUIRE(has(r, "verification-txt"));
  CHECK(get(r, "verification-txt")->cloud == Cloud::None);
  CHECK(get(r, "verification-txt")->message.find("confidence LOW") == std::string::npos);
}

TEST_CASE("legacy inbound hosts mail.global.bigfish.com and mail.outlook.com are mx-at-m365, by whole name") {
  struct Row {
    const char* host;
    bool m365;
  };
  const Row rows[] = {
      {"mail.global.bigfish.com", true},
      {"Mail.Outlook.Com.", true},
      {"mx1.newmail.example", false},                  // negative
      {"mail.global.bigfish.com.evil.example", false},  // look-alikes
      {"xmail.global.bigfish.com", false},
      {"smtp.mail.global.bigfish.com", false},
      {"mail.outlook.com.evil.example", false},
      {"xmail.outlook.com", false},
      {"outlook.com", false},
  };
  for (const auto& row : rows) {
    CAPTURE(row.host);
    auto v = baseline("x.example");
    put(v, obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, row.host, 3600, 10)}));
    put(v, obs(row.host, RRType::CNAME, Outcome::NoData));
    auto r = evaluate(N("x.example"), v);
    CHECK(has(r, "mx-at-m365") == row.m365);
    if (row.m365) {
      CHECK(get(r, "mx-at-m365")->severity == Severity::Blocker);
      CHECK(get(r, "mx-at-m365")->cloud == Cloud::Worldwide);
    } else {
      CHECK(r.verdict == Verdict::Clear);
    }
  }
}

TEST_CASE("the _autodiscover._tcp SRV is asked and judged like the other SRV probes") {
  bool asked = false;
  for (const auto& q : questionsFor(N("x.example"), false))
    asked = asked || (q.name == N("_autodiscover._tcp.x.example") && q.type == RRType::SRV);
  CHECK(asked);
  struct Row {
    const char* target;
    Cloud cloud;  // None: not Microsoft's
  };
  const Row rows[] = {
      {"autodiscover.outlook.com", Cloud::Worldwide},
      {"autodiscover.office365.us", Cloud::UsGov},
      {"autodiscover-dod.office365.us", Cloud::UsGov},
      {"autodiscover.partner.outlook.cn", Cloud::China21Vianet},
      {"autodiscover-outlook.office.de", Cloud::Germany},
      {"autodiscover.newmail.example", Cloud::None},             // negative
      {"autodiscover.outlook.com.evil.example", Cloud::None},     // look-alikes
      {"xautodiscover.outlook.com", Cloud::None},
      {"outlook.com", Cloud::None},
  };
  const std::string name = "_autodiscover._tcp.x.example";
  for (const auto& row : rows) {
    CAPTURE(row.target);
    auto v = baseline("x.example");
    put(v, obs(name, RRType::SRV, Outcome::Answer, {rec(name, RRType::SRV, row.target)}));
    auto r = evaluate(N("x.example"), v);
    CHECK(has(r, "autodiscover-at-m365") == (row.cloud != Cloud::None));
    if (row.cloud == Cloud::None) {
      CHECK(r.findings.empty());
      CHECK(r.verdict == Verdict::Clear);
      continue;
    }
    const Finding* f = get(r, "autodiscover-at-m365");
    CHECK(f->severity == Severity::Required);
    CHECK(f->cloud == row.cloud);
    CHECK(f->name == N(name));
    CHECK(f->type == RRType::SRV);
    CHECK(f->message.find("_autodiscover._tcp") != std::string::npos);
  }
  SUBCASE("a failed or missing SRV lookup is never clear") {
    auto w = baseline("x.example");
    put(w, obs(name, RRType::SRV, Outcome::ServFail));
    CHECK(evaluate(N("x.example"), w).verdict == Verdict::Indeterminate);
    auto m = baseline("x.example");
    m.erase(std::remove_if(m.begin(), m.end(), [&](const Observation& o) { return o.question.name == N(name); }),
            m.end());
    auto r = evaluate(N("x.example"), m);
    CHECK(r.verdict == Verdict::Indeterminate);
    CHECK(has(r, "lookup-failed"));
  }
}

TEST_CASE("LOW rows: DKIM under onmicrosoft.us / partner.onmschina.cn and the us-gov enrollment host, with their confidence") {
  struct Row {
    const char* owner;
    const char* target;
    const char* id;  // nullptr: must not match
    Cloud cloud;
  };
  const Row rows[] = {
      {"selector1._domainkey", "selector1-contoso-com._domainkey.contoso.onmicrosoft.us", "dkim-at-m365", Cloud::UsGov},
      {"selector2._domainkey", "selector2-armchina-partner-onmschina-cn._domainkey.armchina.partner.onmschina.cn",
       "dkim-at-m365", Cloud::China21Vianet},
      {"enterpriseenrollment", "EnterpriseEnrollment.manage.microsoft.us", "mdm-at-m365", Cloud::UsGov},
      // negatives: the domain's own hosts
      {"selector1._domainkey", "selector1._domainkey.newmail.example", nullptr, Cloud::None},
      {"enterpriseenrollment", "enrollment.newmdm.example", nullptr, Cloud::None},
      // look-alikes
      {"selector1._domainkey", "selector1._domainkey.contoso.onmicrosoft.us.evil.example", nullptr, Cloud::None},
      {"selector1._domainkey", "selector1._domainkey.xonmicrosoft.us", nullptr, Cloud::None},
      {"selector1._domainkey", "onmicrosoft.us", nullptr, Cloud::None},
      {"selector2._domainkey", "selector2._domainkey.x.onmschina.cn", nullptr, Cloud::None},  // not partner.
      {"selector2._domainkey", "selector2._domainkey.x.partner.onmschina.cn.evil.example", nullptr, Cloud::None},
      {"enterpriseenrollment", "enterpriseenrollment.manage.microsoft.us.evil.example", nullptr, Cloud::None},
      {"enterpriseenrollment", "x.enterpriseenrollment.manage.microsoft.us", nullptr, Cloud::None},
  };
  for (const auto& row : rows) {
    CAPTURE(row.owner);
    CAPTURE(row.target);
    std::string name = std::string(row.owner) + ".x.example";
    auto v = baseline("x.example");
    put(v, obs(name, RRType::CNAME, Outcome::Answer, {rec(name, RRType::CNAME, row.target)}));
    put(v, obs(row.target, RRType::CNAME, Outcome::NoData));
    auto r = evaluate(N("x.example"), v);
    if (!row.id) {
      CHECK(r.findings.empty());
      CHECK(r.verdict == Verdict::Clear);
      continue;
    }
    REQUIRE(has(r, row.id));
    const Finding* f = get(r, row.id);
    CHECK(f->cloud == row.cloud);
    CHECK(f->message.find("Catalogue confidence LOW") != std::string::npos);
    CHECK(f->message.find("m365-dns.md §3.8") != std::string::npos);
  }
  // A HIGH row's finding carries no confidence note.
  auto v = baseline("x.example");
  put(v, obs("selector1._domainkey.x.example", RRType::CNAME, Outcome::Answer,
             {rec("selector1._domainkey.x.example", RRType::CNAME, "selector1-x-example._domainkey.x.onmicrosoft.com")}));
  auto r = evaluate(N("x.example"), v);
  REQUIRE(has(r, "dkim-at-m365"));
  CHECK(get(r, "dkim-at-m365")->message.find("confidence") == std::string::npos);
}

TEST_CASE("target-missing-dot: a Microsoft 365 host with the zone appended is a warning, not Microsoft's") {
  SUBCASE("an MX exchange") {
    auto v = baseline("contoso.com");
    const char* host = "contoso-com.mail.protection.outlook.com.contoso.com";
    put(v, obs("contoso.com", RRType::MX, Outcome::Answer, {rec("contoso.com", RRType::MX, host, 3600, 0)}));
    put(v, obs(host, RRType::CNAME, Outcome::NxDomain));
    auto r = evaluate(N("contoso.com"), v);
    REQUIRE(has(r, "target-missing-dot"));
    const Finding* f = get(r, "target-missing-dot");
    CHECK(f->severity == Severity::Warning);
    CHECK(f->name == N("contoso.com"));
    CHECK(f->type == RRType::MX);
    CHECK(f->data == "0 contoso-com.mail.protection.outlook.com.contoso.com.");
    CHECK(f->message.find("contoso-com.mail.protection.outlook.com.") != std::string::npos);
    CHECK(f->message.find("trailing dot") != std::string::npos);
    CHECK_FALSE(has(r, "mx-at-m365"));
    CHECK(r.verdict == Verdict::Clear);  // a warning alone decides nothing
  }
  SUBCASE("a probe CNAME and SRV target, and an NS host") {
    auto v = baseline("contoso.com");
    put(v, obs("autodiscover.contoso.com", RRType::CNAME, Outcome::Answer,
               {rec("autodiscover.contoso.com", RRType::CNAME, "autodiscover.outlook.com.contoso.com")}));
    put(v, obs("autodiscover.outlook.com.contoso.com", RRType::CNAME, Outcome::NxDomain));
    put(v, obs("_sipfederationtls._tcp.contoso.com", RRType::SRV, Outcome::Answer,
               {rec("_sipfederationtls._tcp.contoso.com", RRType::SRV, "sipfed.online.lync.com.contoso.com")}));
    put(v, obs("contoso.com", RRType::NS, Outcome::Answer,
               {rec("contoso.com", RRType::NS, "ns1.newdns.example"),
                rec("contoso.com", RRType::NS, "ns1.bdm.microsoftonline.com.contoso.com")}));
    auto r = evaluate(N("contoso.com"), v);
    std::vector<RRType> types;
    for (const auto& f : r.findings)
      if (name(f.id) == "target-missing-dot") types.push_back(f.type);
    CHECK(std::count(types.begin(), types.end(), RRType::CNAME) == 1);
    CHECK(std::count(types.begin(), types.end(), RRType::SRV) == 1);
    CHECK(std::count(types.begin(), types.end(), RRType::NS) == 1);
    CHECK_FALSE(has(r, "autodiscover-at-m365"));
    CHECK_FALSE(has(r, "teams-at-m365"));
    CHECK_FALSE(has(r, "ns-at-m365"));
  }
  SUBCASE("a subdomain's record written in its parent's zone file") {
    auto v = baseline("sales.contoso.com");
    const char* host = "sales-contoso-com.mail.protection.outlook.com.contoso.com";
    put(v, obs("sales.contoso.com", RRType::MX, Outcome::Answer, {rec("sales.contoso.com", RRType::MX, host, 3600, 0)}));
    put(v, obs(host, RRType::CNAME, Outcome::NxDomain));
    auto r = evaluate(N("sales.contoso.com"), v);
    CHECK(has(r, "target-missing-dot"));
  }
  SUBCASE("negatives and look-alikes") {
    const char* hosts[] = {
        "mx1.contoso.com",                                     // the domain's own host
        "contoso-com.mail.protection.outlook.com.evil.example",  // another zone appended
        "mail.protection.outlook.com.contoso.com",             // no token: not a Microsoft host
        "contoso-com.mail.protection.outlook.com.com",         // a top-level domain is no zone
        "contoso-com.xmail.protection.outlook.com.contoso.com",
    };
    for (const char* host : hosts) {
      CAPTURE(host);
      auto v = baseline("contoso.com");
      put(v, obs("contoso.com", RRType::MX, Outcome::Answer, {rec("contoso.com", RRType::MX, host, 3600, 0)}));
      put(v, obs(host, RRType::CNAME, Outcome::NxDomain));
      auto r = evaluate(N("contoso.com"), v);
      CHECK_FALSE(has(r, "target-missing-dot"));
      CHECK(r.verdict == Verdict::Clear);
    }
  }
}

TEST_CASE("DigitsLabel rows: one label directly below, the prefix then digits only, any case") {
  CHECK(matchHost(Family::VerificationTxt, N("NETORGFT0.onmicrosoft.com")));
  CHECK(matchHost(Family::VerificationTxt, N("netorgft99999999999.onmicrosoft.com")));
  CHECK_FALSE(matchHost(Family::VerificationTxt, N("NETORGFT.onmicrosoft.com")));
  CHECK_FALSE(matchHost(Family::VerificationTxt, N("NETORGFT1-2.onmicrosoft.com")));
  CHECK_FALSE(matchHost(Family::VerificationTxt, N("onmicrosoft.com")));
  // Text and rule rows never match a host.
  CHECK_FALSE(matchHost(Family::TargetMissingDot, N("x.mail.protection.outlook.com.contoso.com")));
  CHECK_FALSE(matchHost(Family::VerificationTxt, N("MS=ms12345678")));
}

namespace {
Observation server(Observation o, const std::string& name) {
  o.server = name;
  return o;
}
}  // namespace

TEST_CASE("authoritative servers that disagree: ns-inconsistent, and the worst answer decides") {
  auto v = baseline("x.example");
  auto oldMx = obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "x-example.mail.protection.outlook.com")});
  auto newMx = obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "mx1.newmail.example", 3600, 10)});
  put(v, mergeServerAnswers(oldMx.question, {server(newMx, "127.0.0.1:53"), server(oldMx, "127.0.0.2:53")}));
  auto r = evaluate(N("x.example"), v);
  CHECK(has(r, "mx-at-m365"));
  REQUIRE(has(r, "ns-inconsistent"));
  CHECK(get(r, "ns-inconsistent")->data.find("127.0.0.2:53") != std::string::npos);
  CHECK(r.verdict == Verdict::PointsAtM365);
}

TEST_CASE("a silent authoritative server is lookup-failed for that server, never clear") {
  auto v = baseline("x.example");
  auto good = obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "mx1.newmail.example", 3600, 10)});
  auto silent = obs("x.example", RRType::MX, Outcome::Timeout);
  put(v, mergeServerAnswers(good.question, {server(good, "127.0.0.1:53"), server(silent, "127.0.0.99:53")}));
  auto r = evaluate(N("x.example"), v);
  REQUIRE(has(r, "lookup-failed"));
  CHECK(get(r, "lookup-failed")->server == "127.0.0.99:53");
  CHECK_FALSE(has(r, "lame-delegation"));
  CHECK(r.verdict == Verdict::Indeterminate);
}

TEST_CASE("a lame server (REFUSED or not authoritative) is a warning when another server answers") {
  auto v = baseline("x.example");
  auto good = obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "mx1.newmail.example", 3600, 10)});
  auto lame = obs("x.example", RRType::MX, Outcome::Refused);
  put(v, mergeServerAnswers(good.question, {server(good, "127.0.0.1:53"), server(lame, "127.0.0.3:53")}));
  auto r = evaluate(N("x.example"), v);
  REQUIRE(has(r, "lame-delegation"));
  CHECK(get(r, "lame-delegation")->server == "127.0.0.3:53");
  CHECK(r.verdict == Verdict::Clear);
  SUBCASE("every server lame: indeterminate") {
    auto w = baseline("x.example");
    auto l2 = obs("x.example", RRType::MX, Outcome::Lame);
    put(w, mergeServerAnswers(good.question, {server(lame, "127.0.0.3:53"), server(l2, "127.0.0.4:53")}));
    auto q = evaluate(N("x.example"), w);
    CHECK(has(q, "lame-delegation"));
    CHECK(has(q, "lookup-failed"));
    CHECK(q.verdict == Verdict::Indeterminate);
  }
}

TEST_CASE("a lame server is reported once per domain, with how many questions it failed") {
  auto v = baseline("x.example");
  for (RRType t : {RRType::MX, RRType::TXT}) {
    auto good = obs("x.example", t, Outcome::NoData);
    auto lame = obs("x.example", t, Outcome::Refused);
    put(v, mergeServerAnswers(good.question, {server(good, "127.0.0.1:53"), server(lame, "127.0.0.3:53"),
                                              server(lame, "127.0.0.4:53")}));
  }
  auto probe = obs("autodiscover.x.example", RRType::CNAME, Outcome::NxDomain);
  auto lameProbe = obs("autodiscover.x.example", RRType::CNAME, Outcome::Lame);
  put(v, mergeServerAnswers(probe.question, {server(probe, "127.0.0.1:53"), server(lameProbe, "127.0.0.3:53")}));
  auto r = evaluate(N("x.example"), v);
  std::vector<const Finding*> lame;
  for (const auto& f : r.findings)
    if (name(f.id) == "lame-delegation") lame.push_back(&f);
  REQUIRE(lame.size() == 2);
  CHECK(lame[0]->server == "127.0.0.3:53");
  CHECK(lame[0]->type == RRType::MX);
  CHECK(lame[0]->message.find("nor for 2 other questions") != std::string::npos);
  CHECK(lame[1]->server == "127.0.0.4:53");
  CHECK(lame[1]->message.find("nor for 1 other question about") != std::string::npos);
  CHECK(r.verdict == Verdict::Clear);
}

TEST_CASE("merging: union of answers with one TTL; NXDOMAIN only when all agree") {
  auto a = obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "a.example", 300, 10)});
  auto b = obs("x.example", RRType::MX, Outcome::Answer, {rec("x.example", RRType::MX, "b.example", 600, 10)});
  auto m = mergeServerAnswers(a.question, {a, b});
  CHECK(m.outcome == Outcome::Answer);
  CHECK(m.answer.size() == 2);
  for (const auto& r : m.answer) CHECK(r.ttl == 300u);
  auto nx = obs("x.example", RRType::MX, Outcome::NxDomain);
  auto nd = obs("x.example", RRType::MX, Outcome::NoData);
  CHECK(mergeServerAnswers(a.question, {nx, nx}).outcome == Outcome::NxDomain);
  CHECK(mergeServerAnswers(a.question, {nx, nd}).outcome == Outcome::NoData);
  CHECK(mergeServerAnswers(a.question, {}).outcome == Outcome::NotAvailable);
  CHECK(mergeServerAnswers(a.question, {obs("x.example", RRType::MX, Outcome::Timeout)}).outcome == Outcome::Timeout);
}
