// Tests of the offline zone-file resolver (--zones DIR) on the small directories under
// fixtures/unit/zones/: good/ (com, contoso.com, fabrikam.net, xn--bcher-kva.example), crlf/,
// and one bad-*/ directory per input the loader must reject.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "resolvers/zone_resolver.h"

using namespace offboard;

namespace {

const std::string kZones = std::string(OFFBOARD_SOURCE_DIR) + "/fixtures/unit/zones/";
const std::string kGood = kZones + "good";

DnsName name(const char* text) {
  auto n = DnsName::parse(text);
  REQUIRE(n);
  return *n;
}

const ZoneResolver& good() {
  static std::unique_ptr<ZoneResolver> r = [] {
    std::string err;
    auto z = ZoneResolver::load(kGood, &err);
    INFO(err);
    REQUIRE(z);
    return z;
  }();
  return *r;
}

Observation ask(const char* qname, RRType type, bool parentSide = false) {
  return good().resolve(Question{name(qname), type, parentSide});
}

std::vector<std::string> rdataOf(const std::vector<Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.data);
  std::sort(out.begin(), out.end());
  return out;
}

std::string loadError(const std::string& dir) {
  std::string err;
  auto z = ZoneResolver::load(dir, &err);
  CHECK_FALSE(z);
  return err;
}

}  // namespace

TEST_CASE("records of the asked type are one RRset answered from the zone file") {
  auto o = ask("contoso.com", RRType::MX);
  CHECK(o.outcome == Outcome::Answer);
  REQUIRE(o.answer.size() == 1);
  CHECK(o.answer[0].name == name("contoso.com"));
  CHECK(o.answer[0].target == name("contoso-com.mail.protection.outlook.com"));
  CHECK(o.answer[0].ttl == 3600);
  CHECK(o.chain.empty());
  CHECK_FALSE(o.negativeTtl);
  CHECK(o.server == "zones:" + kGood + "/contoso.com.zone");

  auto ns = ask("contoso.com", RRType::NS);
  CHECK(ns.outcome == Outcome::Answer);
  CHECK(rdataOf(ns.answer) == std::vector<std::string>{"ns1.contoso.com.", "ns2.contoso.com."});
}

TEST_CASE("a name that exists without the asked type is NODATA with min(SOA TTL, MINIMUM)") {
  auto o = ask("contoso.com", RRType::AAAA);
  CHECK(o.outcome == Outcome::NoData);
  CHECK(o.answer.empty());
  REQUIRE(o.negativeTtl);
  CHECK(*o.negativeTtl == 300);  // SOA TTL 3600, MINIMUM 300

  auto f = ask("web.fabrikam.net", RRType::AAAA);
  CHECK(f.outcome == Outcome::NoData);
  REQUIRE(f.negativeTtl);
  CHECK(*f.negativeTtl == 900);  // SOA TTL 900, MINIMUM 3600
}

TEST_CASE("a name absent from its zone is NXDOMAIN with the zone's negative TTL") {
  auto o = ask("nothere.contoso.com", RRType::A);
  CHECK(o.outcome == Outcome::NxDomain);
  REQUIRE(o.negativeTtl);
  CHECK(*o.negativeTtl == 300);
  CHECK(o.server == "zones:" + kGood + "/contoso.com.zone");
}

TEST_CASE("an empty non-terminal is NODATA, not NXDOMAIN") {
  auto o = ask("_tls.contoso.com", RRType::TXT);
  CHECK(o.outcome == Outcome::NoData);
  auto below = ask("_sip._tls.contoso.com", RRType::SRV);
  CHECK(below.outcome == Outcome::Answer);
  REQUIRE(below.answer.size() == 1);
  CHECK(below.answer[0].port == 443);
}

TEST_CASE("a CNAME is followed into another zone of the directory") {
  auto o = ask("www.contoso.com", RRType::A);
  CHECK(o.outcome == Outcome::Answer);
  REQUIRE(o.chain.size() == 1);
  CHECK(o.chain[0].name == name("www.contoso.com"));
  CHECK(o.chain[0].target == name("web.fabrikam.net"));
  CHECK(o.chain[0].ttl == 600);
  REQUIRE(o.answer.size() == 1);
  CHECK(o.answer[0].name == name("web.fabrikam.net"));
  CHECK(o.answer[0].data == "192.0.2.10");
  CHECK(o.answer[0].ttl == 120);
  CHECK(o.server == "zones:" + kGood + "/fabrikam.net.zone");
}

TEST_CASE("a CNAME to a missing name ends in NXDOMAIN with the target zone's negative TTL") {
  auto o = ask("gone.contoso.com", RRType::A);
  CHECK(o.outcome == Outcome::NxDomain);
  REQUIRE(o.chain.size() == 1);
  REQUIRE(o.negativeTtl);
  CHECK(*o.negativeTtl == 900);
}

TEST_CASE("asking for the CNAME itself returns it without following it") {
  auto o = ask("www.contoso.com", RRType::CNAME);
  CHECK(o.outcome == Outcome::Answer);
  CHECK(o.chain.empty());
  REQUIRE(o.answer.size() == 1);
  CHECK(o.answer[0].type == RRType::CNAME);
  CHECK(o.answer[0].target == name("web.fabrikam.net"));
}

TEST_CASE("a CNAME into a zone the directory does not hold cannot be answered") {
  auto o = ask("autodiscover.contoso.com", RRType::A);
  CHECK(o.outcome == Outcome::NotAvailable);
  REQUIRE(o.chain.size() == 1);
  CHECK(o.chain[0].target == name("autodiscover.outlook.com"));
  CHECK(o.detail == "zone outlook.com. is delegated but not in " + kGood);
  CHECK(o.server == "zones:" + kGood + "/com.zone");
}

TEST_CASE("a CNAME loop is CnameLoop") {
  auto o = ask("loop1.contoso.com", RRType::A);
  CHECK(o.outcome == Outcome::CnameLoop);
  CHECK(o.chain.size() == 2);
  CHECK(o.answer.empty());
}

TEST_CASE("eight CNAMEs are followed, nine are ChainTooLong") {
  auto eight = ask("hop2.contoso.com", RRType::A);
  CHECK(eight.outcome == Outcome::Answer);
  CHECK(eight.chain.size() == 8);
  REQUIRE(eight.answer.size() == 1);
  CHECK(eight.answer[0].name == name("hop10.contoso.com"));

  auto nine = ask("hop1.contoso.com", RRType::A);
  CHECK(nine.outcome == Outcome::ChainTooLong);
  CHECK(nine.answer.empty());
  CHECK(nine.chain.size() == 8);  // the ninth CNAME, not followed, is not in the chain either
}

TEST_CASE("a CNAME loop of nine names shows at most eight CNAMEs, like every chain") {
  // fuzz/regressions/zone/cname-loop-of-nine: the ninth CNAME closed the loop and joined the
  // chain, so an observation held nine links though only eight are followed. Loops of 2 to 12
  // names: each ends without evidence and with a chain of at most eight.
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("offboard-cname-loop-" + std::to_string(::getpid()));
  for (int n = 2; n <= 12; ++n) {
    CAPTURE(n);
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
      std::ofstream f(dir / "contoso.com.zone");
      f << "$ORIGIN contoso.com.\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
           "@ IN NS ns1\nns1 IN A 192.0.2.1\n";
      for (int i = 1; i <= n; ++i) f << "hop" << i << " IN CNAME hop" << (i % n + 1) << "\n";
    }
    std::string err;
    auto z = ZoneResolver::load(dir.string(), &err);
    INFO(err);
    REQUIRE(z);
    for (RRType t : {RRType::A, RRType::TXT}) {
      Observation o = z->resolve(Question{name("hop1.contoso.com"), t, false});
      CHECK(o.chain.size() <= 8);
      CHECK(o.chain.size() == static_cast<std::size_t>(std::min(n, 8)));
      CHECK(o.answer.empty());
      CHECK_FALSE(isEvidence(o.outcome));
      // Up to nine names the loop is seen (the ninth CNAME points back at a name of the chain);
      // a longer loop is cut by the bound before it comes back.
      CHECK(o.outcome == (n <= 9 ? Outcome::CnameLoop : Outcome::ChainTooLong));
    }
  }
  fs::remove_all(dir);
}

TEST_CASE("a wildcard synthesises records owned by the name asked (RFC 4592)") {
  SUBCASE("one label below") {
    auto o = ask("anything.wild.contoso.com", RRType::A);
    CHECK(o.outcome == Outcome::Answer);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].name == name("anything.wild.contoso.com"));
    CHECK(o.answer[0].data == "192.0.2.20");
  }
  SUBCASE("several labels below") {
    auto o = ask("x.y.wild.contoso.com", RRType::TXT);
    CHECK(o.outcome == Outcome::Answer);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].strings == std::vector<std::string>{"from the wildcard"});
  }
  SUBCASE("an existing name is not overridden") {
    auto o = ask("host.wild.contoso.com", RRType::A);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].data == "192.0.2.21");
    CHECK(ask("host.wild.contoso.com", RRType::TXT).outcome == Outcome::NoData);
  }
  SUBCASE("a type the wildcard lacks is NODATA") {
    CHECK(ask("anything.wild.contoso.com", RRType::MX).outcome == Outcome::NoData);
  }
  SUBCASE("an empty non-terminal closest encloser blocks the wildcard above it") {
    CHECK(ask("c.b.wild.contoso.com", RRType::A).outcome == Outcome::NxDomain);
  }
  SUBCASE("a wildcard CNAME is followed with the synthesised owner") {
    auto o = ask("anything.cn.contoso.com", RRType::A);
    CHECK(o.outcome == Outcome::Answer);
    REQUIRE(o.chain.size() == 1);
    CHECK(o.chain[0].name == name("anything.cn.contoso.com"));
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].data == "192.0.2.10");
  }
}

TEST_CASE("a name under a delegation whose child zone is absent is NotAvailable, not NXDOMAIN") {
  const char* names[] = {"www.sub.contoso.com", "sub.contoso.com", "ns.sub.contoso.com"};
  for (const char* n : names) {
    CAPTURE(n);
    auto o = ask(n, RRType::A);
    CHECK(o.outcome == Outcome::NotAvailable);
    CHECK(o.detail == "zone sub.contoso.com. is delegated but not in " + kGood);
  }
  CHECK(ask("sub.contoso.com", RRType::NS).outcome == Outcome::NotAvailable);
  auto f = ask("www.fabrikam.com", RRType::MX);
  CHECK(f.outcome == Outcome::NotAvailable);
  CHECK(f.detail == "zone fabrikam.com. is delegated but not in " + kGood);
}

TEST_CASE("a name outside every zone of the directory is NotAvailable") {
  auto o = ask("www.example.org", RRType::A);
  CHECK(o.outcome == Outcome::NotAvailable);
  CHECK(o.detail == "no zone in " + kGood + " holds www.example.org.");
  CHECK(o.server == "zones:" + kGood);
}

TEST_CASE("the parent-side NS set comes from the parent zone, with the parent's TTL") {
  auto parent = ask("contoso.com", RRType::NS, true);
  CHECK(parent.outcome == Outcome::Answer);
  CHECK(rdataOf(parent.answer) == std::vector<std::string>{"ns1.contoso.com.", "ns2.contoso.com."});
  for (const auto& r : parent.answer) CHECK(r.ttl == 172800);
  CHECK(parent.server == "zones:" + kGood + "/com.zone");

  auto child = ask("contoso.com", RRType::NS);
  for (const auto& r : child.answer) CHECK(r.ttl == 3600);

  SUBCASE("a delegation to a child zone the directory lacks") {
    auto o = ask("fabrikam.com", RRType::NS, true);
    CHECK(o.outcome == Outcome::Answer);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].target == name("ns1.fabrikam.com"));
  }
  SUBCASE("a delegation inside a zone") {
    auto o = ask("sub.contoso.com", RRType::NS, true);
    CHECK(o.outcome == Outcome::Answer);
    REQUIRE(o.answer.size() == 1);
    CHECK(o.answer[0].target == name("ns.sub.contoso.com"));
  }
  SUBCASE("a name inside a zone without a cut of its own: the enclosing zone's delegation") {
    auto o = ask("www.contoso.com", RRType::NS, true);
    CHECK(o.outcome == Outcome::Answer);
    CHECK(rdataOf(o.answer) == std::vector<std::string>{"ns1.contoso.com.", "ns2.contoso.com."});
    for (const auto& r : o.answer) {
      CHECK(r.name == name("contoso.com"));
      CHECK(r.ttl == 172800);
    }
  }
  SUBCASE("a name with no delegation of its own in com: com's delegation, which needs the root") {
    auto o = ask("nodelegation.com", RRType::NS, true);
    CHECK(o.outcome != Outcome::NxDomain);
    CHECK(o.outcome != Outcome::NoData);
  }
  SUBCASE("the parent zone is not in the directory") {
    auto o = ask("fabrikam.net", RRType::NS, true);
    CHECK(o.outcome == Outcome::NotAvailable);
    CHECK(ask("fabrikam.net", RRType::NS).outcome == Outcome::Answer);
  }
  CHECK(good().seesParentSide());
}

TEST_CASE("DS records are answered by the parent zone") {
  auto o = ask("contoso.com", RRType::DS);
  CHECK(o.outcome == Outcome::Answer);
  REQUIRE(o.answer.size() == 1);
  CHECK(o.server == "zones:" + kGood + "/com.zone");
  CHECK(ask("fabrikam.com", RRType::DS).outcome == Outcome::NoData);
}

TEST_CASE("lookups are case-insensitive, in questions and in the zone file") {
  auto o = ask("MIXED.case.Contoso.COM", RRType::A);
  CHECK(o.outcome == Outcome::Answer);
  REQUIRE(o.answer.size() == 1);
  CHECK(o.answer[0].data == "192.0.2.3");
  CHECK(ask("WWW.CONTOSO.COM", RRType::A).outcome == Outcome::Answer);
}

TEST_CASE("zone files are read as written: sub-origins, blank owners after @, RRset TTLs") {
  CHECK(ask("printer.lab.contoso.com", RRType::A).outcome == Outcome::Answer);
  // ldns on its own would give the second CAA to ns3 (it does not remember "@" owners).
  auto caa = ask("contoso.com", static_cast<RRType>(257));
  CHECK(caa.outcome == Outcome::Answer);
  CHECK(caa.answer.size() == 2);
  CHECK(ask("ns3.contoso.com", static_cast<RRType>(257)).outcome == Outcome::NoData);
  auto multi = ask("multi.contoso.com", RRType::A);
  REQUIRE(multi.answer.size() == 2);  // the duplicate is dropped
  for (const auto& r : multi.answer) CHECK(r.ttl == 100);  // RFC 2181 §5.2: the lowest
}

TEST_CASE("an IDN zone is held under its A-label file name") {
  auto o = ask("xn--bcher-kva.example", RRType::MX);
  CHECK(o.outcome == Outcome::Answer);
  CHECK(o.server == "zones:" + kGood + "/xn--bcher-kva.example.zone");
}

TEST_CASE("zoneListing gives every record of a zone held, zoneFor the enclosing zone") {
  const auto* recs = good().zoneListing(name("fabrikam.net"));
  REQUIRE(recs);
  CHECK(recs->size() == 4);
  CHECK(recs->front().type == RRType::SOA);
  CHECK(good().zoneListing(name("fabrikam.com")) == nullptr);
  CHECK(good().zoneListing(name("www.contoso.com")) == nullptr);

  CHECK(good().zoneFor(name("a.b.contoso.com")) == name("contoso.com"));
  CHECK(good().zoneFor(name("fabrikam.com")) == name("com"));
  CHECK(good().zoneFor(name("contoso.com")) == name("contoso.com"));
  CHECK_FALSE(good().zoneFor(name("example.org")));
  CHECK(good().describe() == "zones " + kGood);
}

TEST_CASE("run() answers queued questions, including those submitted from callbacks") {
  std::string err;
  auto z = ZoneResolver::load(kGood, &err);
  REQUIRE(z);
  std::vector<std::string> seen;
  z->submit(Question{name("www.contoso.com"), RRType::CNAME, false}, [&](Observation o) {
    seen.push_back("cname " + std::string(outcomeName(o.outcome)));
    REQUIRE(o.answer.size() == 1);
    z->submit(Question{o.answer[0].target, RRType::A, false}, [&](Observation o2) {
      seen.push_back("a " + std::string(outcomeName(o2.outcome)));
    });
  });
  z->submit(Question{name("nothere.contoso.com"), RRType::A, false},
            [&](Observation o) { seen.push_back("x " + std::string(outcomeName(o.outcome))); });
  CHECK(seen.empty());  // never from inside submit()
  z->run();
  CHECK(seen == std::vector<std::string>{"cname answer", "x nxdomain", "a answer"});
}

TEST_CASE("CR-LF line ends are accepted") {
  std::string err;
  auto z = ZoneResolver::load(kZones + "crlf", &err);
  INFO(err);
  REQUIRE(z);
  auto o = z->resolve(Question{name("contoso.com"), RRType::TXT, false});
  CHECK(o.outcome == Outcome::Answer);
  REQUIRE(o.answer.size() == 1);
  CHECK(o.answer[0].strings == std::vector<std::string>{"crlf line ends"});
  auto soa = z->resolve(Question{name("contoso.com"), RRType::AAAA, false});
  REQUIRE(soa.negativeTtl);
  CHECK(*soa.negativeTtl == 300);
}

TEST_CASE("inputs ldns would misread are rejected with the file and the line") {
  struct Case {
    const char* dir;
    int line;
    const char* reason;
  };
  const Case cases[] = {
      {"bad-bom", 1, "UTF-8 byte order mark"},
      {"bad-nul", 4, "NUL byte"},
      {"bad-paren", 3, "unclosed parenthesis"},
      {"bad-outside", 5, "record outside the zone: www.other.example."},
      {"bad-origin", 1, "$ORIGIN fabrikam.com. disagrees with the file name (zone contoso.com.)"},
      {"bad-nosoa", 3, "no SOA record at the apex contoso.com."},
      {"bad-include", 3, "$INCLUDE is not supported"},
      {"bad-syntax", 4, "cannot parse the record"},
      {"bad-ttl", 4, "bad TTL 3o0"},
      {"bad-cname-data", 5, "CNAME and other data at www.contoso.com."},
      {"bad-quote", 4, "quoted string not closed"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.dir);
    std::string dir = kZones + c.dir;
    std::string err = loadError(dir);
    CAPTURE(err);
    std::string prefix = dir + "/contoso.com.zone:" + std::to_string(c.line) + ": ";
    CHECK(err.rfind(prefix, 0) == 0);
    CHECK(err.find(c.reason) == prefix.size());
  }
  CHECK(loadError(kZones + "bad-outside") ==
        kZones + "bad-outside/contoso.com.zone:5: record outside the zone: www.other.example.");
}

TEST_CASE("a zone file named by a U-label, an empty or a missing directory is rejected") {
  std::string err = loadError(kZones + "bad-filename");
  CHECK(err.find("A-label") != std::string::npos);
  err = loadError(kZones + "does-not-exist");
  CHECK(err.rfind(kZones + "does-not-exist: ", 0) == 0);
}

// Sanitizers slow ldns' per-record allocations several times over; the budget is for real builds.
#ifdef __SANITIZE_ADDRESS__
constexpr auto kLoadBudget = std::chrono::milliseconds(5000);
#else
constexpr auto kLoadBudget = std::chrono::milliseconds(1000);
#endif

TEST_CASE("loading 1,000 small zones takes well under a second") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("offboard-zones-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (int i = 0; i < 1000; ++i) {
    std::string zone = "d" + std::to_string(i) + ".example";
    std::ofstream f(dir / (zone + ".zone"));
    f << "$TTL 3600\n@ IN SOA ns1 hostmaster ( 1 7200 3600 1209600 300 )\n"
         "  IN NS ns1\n  IN NS ns2\n  IN MX 0 " << "d" << i
      << "-example.mail.protection.outlook.com.\n"
         "  IN TXT \"v=spf1 include:spf.protection.outlook.com -all\"\n"
         "ns1 IN A 192.0.2.1\nns2 IN A 192.0.2.2\n"
         "autodiscover IN CNAME autodiscover.outlook.com.\n"
         "selector1._domainkey IN CNAME selector1-d-example._domainkey.contoso.onmicrosoft.com.\n";
  }
  auto start = std::chrono::steady_clock::now();
  std::string err;
  auto z = ZoneResolver::load(dir.string(), &err);
  auto took = std::chrono::steady_clock::now() - start;
  fs::remove_all(dir);
  INFO(err);
  REQUIRE(z);
  CHECK(z->zoneListing(name("d999.example"))->size() == 9);
  CHECK(z->resolve(Question{name("d500.example"), RRType::MX, false}).outcome == Outcome::Answer);
  MESSAGE("loaded 1000 zones in "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < kLoadBudget);
}
