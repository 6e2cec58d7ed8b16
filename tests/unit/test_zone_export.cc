// `plan --format zone`: the records to create at the new DNS host as RFC 1035 zone files
// (SPEC §4), on literal plans and, end to end, on the demo tenant's fixture zones, read back by
// offboard's own zone-file reader (ldns).
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "checks/checks.h"
#include "commands/plan_commands.h"
#include "fake_resolver.h"
#include "plan/planner.h"
#include "plan_text.h"
#include "render/plan_render.h"
#include "render/zone_export.h"
#include "resolvers/zone_resolver.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

constexpr std::int64_t T0 = 1797328800;  // 2026-12-15T10:00:00Z

struct TempDir {
  std::filesystem::path dir;
  TempDir() {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("offboard-test-zone-export-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
};

// A domain's report from literal NS and MX answers (the real checks run on them).
DomainReport report(const std::string& d, const std::vector<std::string>& ns, const std::string& mx) {
  std::vector<Observation> o;
  for (const auto& q : questionsFor(N(d), true)) {
    std::vector<Record> rrs;
    if (q.type == RRType::NS && q.name == N(d))
      for (const auto& n : ns) rrs.push_back(rec(d, RRType::NS, n, q.parentSide ? 172800 : 3600));
    if (q.type == RRType::MX && q.name == N(d)) rrs.push_back(rec(d, RRType::MX, mx, 3600, 0));
    o.push_back(obs(q.name.toString(), q.type, rrs.empty() ? Outcome::NoData : Outcome::Answer, rrs, q.parentSide));
  }
  for (const auto& q : followUps(N(d), o)) o.push_back(obs(q.name.toString(), q.type, Outcome::NoData));
  return evaluate(N(d), o);
}

Record a(const std::string& name, const std::string& addr) {
  Record r;
  r.name = N(name);
  r.type = RRType::A;
  r.ttl = 300;
  r.data = addr;
  return r;
}

// contoso.com and bellowscollege.com hosted by Microsoft (their zones listed), fabrikam.com at
// another host; the new host and the new mail provider named unless `named` is false.
PlanInput hostedInput(bool named = true) {
  PlanInput in;
  in.tenant.name = "contoso.onmicrosoft.com";
  in.tenant.source = TenantSource::OwnFile;
  for (const char* d : {"contoso.com", "fabrikam.com", "bellowscollege.com"}) {
    TenantDomain td;
    std::string err;
    td.input = *normalizeDomain(d, &err);
    in.tenant.domains.push_back(td);
  }
  if (named) {
    in.tenant.newMx = {{N("mx1.newmail.example"), 10}, {N("mx2.newmail.example"), 20}};
    in.tenant.newSpfInclude = N("_spf.newmail.example");
    in.tenant.newNameservers = {N("ns1.newdns.example"), N("ns2.newdns.example")};
  }
  const std::vector<std::string> ms = {"ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"};
  in.reports = {report("contoso.com", ms, "contoso-com.mail.protection.outlook.com"),
                report("fabrikam.com", {"ns1.olddns.example"}, "fabrikam-com.mail.protection.outlook.com"),
                report("bellowscollege.com", ms, "bellowscollege-com.mail.protection.outlook.com")};
  in.zoneListings[N("contoso.com")] = {
      rec("contoso.com", RRType::NS, "ns1.bdm.microsoftonline.com"),
      rec("contoso.com", RRType::MX, "contoso-com.mail.protection.outlook.com", 3600, 0),
      txt("contoso.com", {"v=spf1 include:spf.protection.outlook.com -all"}),
      txt("contoso.com", {"MS=ms12345678"}),
      rec("autodiscover.contoso.com", RRType::CNAME, "autodiscover.outlook.com"),
      a("contoso.com", "203.0.113.10"),
      rec("www.contoso.com", RRType::CNAME, "contoso.com"),
      txt("_dmarc.contoso.com", {"v=DMARC1; p=quarantine"}),
  };
  in.zoneListings[N("bellowscollege.com")] = {a("bellowscollege.com", "203.0.113.20")};
  in.now = T0;
  return in;
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

bool hasLine(const std::string& text, const std::string& line) {
  auto ls = linesOf(text);
  return std::find(ls.begin(), ls.end(), line) != ls.end();
}

// Every line is a comment, a directive, blank, or a record: no line a zone parser would choke on
// because a control octet or a stray break got in.
bool cleanLines(const std::string& text) {
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
  return text.empty() || text.back() == '\n';
}

}  // namespace

TEST_CASE("one zone file per Microsoft-hosted domain, in plan order; none for a zone hosted elsewhere") {
  Plan p = buildPlan(hostedInput());
  auto zones = zoneExports(p);
  REQUIRE(zones.size() == 2);
  CHECK(zones[0].origin == N("contoso.com"));
  CHECK(zones[1].origin == N("bellowscollege.com"));
  for (const auto& z : zones) {
    CAPTURE(z.origin.toString());
    CHECK(z.text.rfind("; zone " + z.origin.toStringNoDot() + "\n", 0) == 0);
    CHECK(z.text.find("fabrikam") == std::string::npos);
    CHECK(cleanLines(z.text));
  }
  // Concatenated: each zone after its "; zone D" line, a blank line between them.
  CHECK(renderZoneExport(p) == zones[0].text + "\n" + zones[1].text);
}

TEST_CASE("the zone holds $ORIGIN, $TTL, the new host's SOA and NS, the new MX and SPF and the customer's own records") {
  Plan p = buildPlan(hostedInput());
  const std::string z = zoneExports(p).at(0).text;
  CHECK(hasLine(z, "$ORIGIN contoso.com."));
  CHECK(hasLine(z, "$TTL 3600"));
  // The SOA names the new host's first nameserver; the serial is the plan's day.
  CHECK(hasLine(z, "@ 3600 IN SOA ns1.newdns.example. hostmaster.contoso.com. ( 2026121501 3600 900 1209600 3600 )"));
  CHECK(hasLine(z, "@ 3600 IN NS ns1.newdns.example."));
  CHECK(hasLine(z, "@ 3600 IN NS ns2.newdns.example."));
  CHECK(hasLine(z, "contoso.com. 3600 IN MX 10 mx1.newmail.example."));
  CHECK(hasLine(z, "contoso.com. 3600 IN MX 20 mx2.newmail.example."));
  CHECK(hasLine(z, "contoso.com. 3600 IN TXT \"v=spf1 include:_spf.newmail.example -all\""));
  CHECK(hasLine(z, "contoso.com. 300 IN A 203.0.113.10"));
  CHECK(hasLine(z, "www.contoso.com. 3600 IN CNAME contoso.com."));
  CHECK(hasLine(z, "_dmarc.contoso.com. 3600 IN TXT \"v=DMARC1; p=quarantine\""));
  // Microsoft 365's records are what is left behind.
  for (const char* gone : {"outlook.com", "MS=ms12345678", "bdm.microsoftonline.com", "PLACEHOLDER", "TO DO"}) {
    CAPTURE(gone);
    CHECK(z.find(gone) == std::string::npos);
  }
  CHECK(z.find("; Evidence: ") != std::string::npos);
  // Directives and the SOA come before any record.
  CHECK(z.find("$ORIGIN") < z.find("IN SOA"));
  CHECK(z.find("IN SOA") < z.find("IN NS"));
  CHECK(z.find("IN NS") < z.find("IN MX"));
}

TEST_CASE("without the new host's nameservers or the new MX: marked placeholders and to-dos, still valid syntax") {
  Plan p = buildPlan(hostedInput(false));
  const std::string z = zoneExports(p).at(0).text;
  CHECK(z.find("; PLACEHOLDER: ") != std::string::npos);
  CHECK(hasLine(z, "@ 3600 IN SOA ns1.new-dns-host.invalid. hostmaster.contoso.com. ( 2026121501 3600 900 1209600 3600 )"));
  CHECK(hasLine(z, "@ 3600 IN NS ns1.new-dns-host.invalid."));
  CHECK(hasLine(z, "@ 3600 IN NS ns2.new-dns-host.invalid."));
  // No MX is made up: the step's own words say what to create, as a comment.
  for (const auto& l : linesOf(z)) {
    CAPTURE(l);
    CHECK((l.find(" IN MX ") == std::string::npos || l.rfind(";", 0) == 0));
  }
  CHECK(z.find("; TO DO: create: contoso.com. ") != std::string::npos);
  // SPF loses Microsoft's include and keeps what else it had (here nothing: -all).
  CHECK(hasLine(z, "contoso.com. 3600 IN TXT \"v=spf1 -all\""));
}

TEST_CASE("a zone offboard could not list says so, and a nameserver inside the zone asks for its address") {
  PlanInput in = hostedInput();
  in.zoneListings.erase(N("contoso.com"));
  in.tenant.newNameservers = {N("ns1.contoso.com"), N("ns2.newdns.example")};
  Plan p = buildPlan(in);
  const std::string z = zoneExports(p).at(0).text;
  CHECK(z.find("; TO DO: also: every other record of the zone") != std::string::npos);
  CHECK(z.find("; ns1.contoso.com. is inside the zone: add its address") != std::string::npos);
  CHECK(z.find("ns2.newdns.example. is inside") == std::string::npos);
}

TEST_CASE("control octets in a record or a name shown never break a line") {
  PlanInput in = hostedInput();
  Record hostile = txt("note.contoso.com", {"a"});
  hostile.data = "\"line one\nline two\x1b[31m\"";
  in.zoneListings[N("contoso.com")].push_back(hostile);
  Plan p = buildPlan(in);
  for (auto& s : p.steps)
    if (s.id.action == Action::PrepareNewDnsHost) s.domainShown = "contoso.com\n$ORIGIN evil.example.";
  const std::string z = renderZoneExport(p);
  CHECK(cleanLines(z));
  CHECK(hasLine(z, "note.contoso.com. 3600 IN TXT \"line one\\010line two\\027[31m\""));
  CHECK_FALSE(hasLine(z, "$ORIGIN evil.example."));
}

TEST_CASE("no Microsoft-hosted domain: one comment line, nothing to import") {
  PlanInput in = hostedInput();
  in.tenant.domains.erase(in.tenant.domains.begin());
  in.tenant.domains.pop_back();
  in.reports = {in.reports[1]};
  Plan p = buildPlan(in);
  CHECK(zoneExports(p).empty());
  const std::string z = renderZoneExport(p);
  CHECK(linesOf(z).size() == 1);
  CHECK(z.rfind("; no zone to write", 0) == 0);
}

TEST_CASE("the demo tenant's zone, written by plan --format zone, reads back as a zone with exactly those records") {
  // The real command on the fixture zones, then offboard's own zone-file reader on the output.
  std::string err;
  auto fixtures = ZoneResolver::load(std::string(OFFBOARD_SOURCE_DIR) + "/fixtures/zones", &err);
  INFO(err);
  REQUIRE(fixtures);
  std::ifstream tf(std::string(OFFBOARD_SOURCE_DIR) + "/fixtures/tenants/demo.json");
  std::stringstream bytes;
  bytes << tf.rdbuf();
  auto tenant = parseTenant(bytes.str(), "demo.json", &err);
  REQUIRE(tenant);
  TempDir tmp;
  auto store = StateStore::open((tmp.dir / "s.db").string(), OpenMode::CreateIfMissing);
  REQUIRE(store);
  PlanOptions o;
  o.format = "zone";
  o.source.zonesDir = std::string(OFFBOARD_SOURCE_DIR) + "/fixtures/zones";
  std::ostringstream out, errs;
  Io io{out, errs};
  CHECK(runPlan(o, *tenant, *fixtures, **store, T0, nullptr, io) == 1);
  const std::string z = out.str();
  INFO(z);
  // contoso.com is the demo's one Microsoft-hosted zone.
  REQUIRE(z.rfind("; zone contoso.com\n", 0) == 0);
  CHECK(z.find("; zone ", 1) == std::string::npos);

  TempDir zones;
  zones.write("contoso.com.zone", z);
  auto back = ZoneResolver::load(zones.dir.string(), &err);
  INFO(err);
  REQUIRE(back);
  const std::vector<Record>* listing = back->zoneListing(N("contoso.com"));
  REQUIRE(listing);
  std::set<std::string> got;
  for (const auto& r : *listing)
    if (r.type != RRType::SOA) got.insert(recordLine(r));
  CHECK(got == std::set<std::string>{
                   "contoso.com. 3600 IN NS ns1.newdns.example.",
                   "contoso.com. 3600 IN NS ns2.newdns.example.",
                   "contoso.com. 3600 IN MX 10 mx1.newmail.example.",
                   "contoso.com. 3600 IN MX 20 mx2.newmail.example.",
                   "contoso.com. 3600 IN TXT \"v=spf1 include:_spf.newmail.example -all\"",
                   "contoso.com. 3600 IN A 203.0.113.10",
                   "www.contoso.com. 3600 IN CNAME contoso.com.",
                   "_dmarc.contoso.com. 3600 IN TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@contoso.com\"",
               });
}
