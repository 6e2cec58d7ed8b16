// Tenant import: the tool's own tenant file, Graph exports and PowerShell exports (SPEC §4).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tenant/tenant.h"
#include "time/time_text.h"

using namespace offboard;

namespace {

std::string fixture(const std::string& rel) {
  std::ifstream in(std::string(OFFBOARD_SOURCE_DIR) + "/" + rel, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), rel);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

DnsName N(const std::string& s) { return *DnsName::parse(s); }

Tenant parseOk(const std::string& text, const std::string& file = "t.json") {
  std::string err;
  auto t = parseTenant(text, file, &err);
  INFO(err);
  REQUIRE(t.has_value());
  return *t;
}

std::string parseErr(const std::string& text, const std::string& file = "t.json") {
  std::string err;
  auto t = parseTenant(text, file, &err);
  CHECK_FALSE(t.has_value());
  return err;
}

std::vector<std::string> names(const Tenant& t) {
  std::vector<std::string> out;
  for (const auto& d : t.domains) out.push_back(d.input.name.toStringNoDot());
  return out;
}

}  // namespace

TEST_CASE("the SPEC tenant file imports with every field") {
  Tenant t = parseOk(fixture("fixtures/tenants/unit/own-full.json"), "own-full.json");
  CHECK(t.source == TenantSource::OwnFile);
  CHECK(t.name == "contoso.onmicrosoft.com");
  REQUIRE(t.cloud.has_value());
  CHECK(*t.cloud == Cloud::Worldwide);
  REQUIRE(t.subscriptions.size() == 1);
  CHECK(t.subscriptions[0].name == "Microsoft 365 Business Premium");
  CHECK(t.subscriptions[0].assignedLicenses == 12);
  CHECK(t.subscriptions[0].cancel);
  // Normalised, initial skipped, duplicates dropped, the object entry kept in place.
  CHECK(names(t) == std::vector<std::string>{"contoso.com", "fabrikam.com", "tailspintoys.com"});
  CHECK(t.skipped.size() == 2);
  REQUIRE(t.newMx.size() == 2);
  CHECK(t.newMx[0].host == N("mx1.newmail.example"));
  CHECK(t.newMx[0].preference == 10);
  CHECK(t.newMx[1].host == N("mx2.newmail.example"));
  CHECK(t.newMx[1].preference == 20);
  CHECK(t.newSpfInclude == N("_spf.newmail.example"));
  CHECK(t.newNameservers == std::vector<DnsName>{N("ns1.newdns.example"), N("ns2.newdns.example")});
  CHECK(t.cutover == "2026-12-15");
  const TenantDomain& tt = t.domains[2];
  CHECK(tt.adminManaged == true);
  CHECK(tt.knownMicrosoftMx == std::vector<DnsName>{N("tailspintoys-com01e.mail.protection.outlook.com")});
  REQUIRE(tt.references.has_value());
  CHECK(tt.references->empty());
  CHECK_FALSE(t.domains[0].references.has_value());
}

TEST_CASE("every documented Graph example in the fixtures imports or is refused by name") {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(std::string(OFFBOARD_SOURCE_DIR) +
                                                  "/fixtures/graph")) {
    std::string name = entry.path().filename().string();
    CAPTURE(name);
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    std::string err;
    auto t = parseTenant(s.str(), name, &err);
    if (name == "graph-v1-domains-list.json") {
      // Microsoft's placeholder marks contoso.com as the initial domain, but an initial domain
      // is named under onmicrosoft.com: the mark is set aside (with a note) and contoso.com is
      // offboarded like any custom domain. It does not name the tenant.
      REQUIRE(t);
      CHECK(t->source == TenantSource::GraphList);
      REQUIRE(names(*t) == std::vector<std::string>{"contoso.com"});
      REQUIRE(t->skipped.size() == 1);
      CHECK(t->skipped[0].find("the isInitial mark on contoso.com (value[0])") == 0);
      CHECK(t->name.empty());
      CHECK(t->domains[0].supportedServices ==
            std::vector<std::string>{"Email", "OfficeCommunicationsOnline"});
      // Microsoft's placeholder value is kept as written (the planner never reads it as Managed).
      CHECK(t->domains[0].authenticationType == "authenticationType-value");
      CHECK(t->defaultDomain == N("contoso.com"));
    } else if (name == "graph-v1-domain-get.json") {
      // The tenant's own initial domain: skipped, and it names the tenant.
      REQUIRE(t);
      CHECK(t->source == TenantSource::GraphSingle);
      CHECK(t->domains.empty());
      CHECK(t->skipped.size() == 1);
      CHECK(t->name == "m365x214355.onmicrosoft.com");
      CHECK(t->defaultDomain == N("m365x214355.onmicrosoft.com"));  // initial, skipped, still the default
    } else if (name == "graph-v1-serviceConfigurationRecords.json" ||
               name == "graph-beta-serviceConfigurationRecords.json") {
      // No @odata.type in beta, "supportedServices" typo, "include: spf…" with a space.
      REQUIRE(t);
      CHECK(t->source == TenantSource::GraphRecords);
      REQUIRE(t->domains.size() == 1);
      CHECK(t->domains[0].input.name == N("contoso.com"));
      CHECK(t->domains[0].knownMicrosoftMx ==
            std::vector<DnsName>{N("contoso-com.mail.protection.outlook.com")});
      auto mx = parseServiceConfigurationMx(s.str(), &err);
      REQUIRE(mx);
      CHECK(mx->size() == 1);
    } else if (name == "graph-v1-verificationDnsRecords.json") {
      // Truncated by Microsoft: an MX record without mailExchange still names the domain.
      REQUIRE(t);
      REQUIRE(t->domains.size() == 1);
      CHECK(t->domains[0].input.name == N("contoso.com"));
      CHECK(t->domains[0].knownMicrosoftMx.empty());
    } else if (name == "graph-v1-domainNameReferences.json") {
      CHECK_FALSE(t);
      CHECK(err.find(name + ": ") == 0);
      CHECK(err.find("domainNameReferences") != std::string::npos);
      auto refs = parseDomainNameReferences(s.str(), &err);
      REQUIRE(refs);
      CHECK(*refs == std::vector<std::string>{"testuser1@contoso.com"});
    } else if (name == "graph-v1-forceDelete-request.json") {
      CHECK_FALSE(t);
      CHECK(err.find("forceDelete request body") != std::string::npos);
    } else {
      FAIL("a Graph fixture this test does not know: ", name);
    }
  }
  CHECK(files == 7);
}

TEST_CASE("the demo tenant files import: the tool's own, PowerShell, and PowerShell as UTF-16") {
  Tenant own = parseOk(fixture("fixtures/tenants/demo.json"));
  CHECK(own.source == TenantSource::OwnFile);
  const std::vector<std::string> demo{"contoso.com", "fabrikam.com", "tailspintoys.com", "wingtiptoys.com"};
  CHECK(names(own) == demo);
  for (const char* f : {"fixtures/tenants/graph-powershell.json", "fixtures/tenants/graph-powershell-utf16le.json"}) {
    CAPTURE(f);
    Tenant ps = parseOk(fixture(f));
    CHECK(ps.source == TenantSource::GraphList);
    CHECK(names(ps) == demo);
    CHECK(ps.domains[0].adminManaged == false);  // contoso.com: Microsoft hosts its DNS
    CHECK(ps.skipped.size() == 1);                // contoso.onmicrosoft.com
  }
}

TEST_CASE("a Graph list with embedded serviceConfigurationRecords and domainNameReferences") {
  Tenant t = parseOk(fixture("fixtures/tenants/unit/graph-expanded.json"));
  CHECK(t.source == TenantSource::GraphList);
  CHECK(names(t) == std::vector<std::string>{"contoso.com", "xn--bcher-kva.example"});
  CHECK(t.domains[1].input.unicode == "bücher.example");
  const TenantDomain& c = t.domains[0];
  CHECK(c.adminManaged == false);  // Microsoft hosts the zone
  CHECK(c.isDefault);
  CHECK(c.knownMicrosoftMx == std::vector<DnsName>{N("contoso-com.mail.protection.outlook.com")});
  REQUIRE(c.references.has_value());
  CHECK(c.references->empty());
  CHECK_FALSE(t.domains[1].references.has_value());
}

TEST_CASE("PowerShell Get-MgDomain exports: PascalCase arrays, single objects, UTF-16") {
  SUBCASE("array with AdditionalProperties and the routing domain") {
    Tenant t = parseOk(fixture("fixtures/tenants/unit/powershell-array.json"));
    CHECK(t.source == TenantSource::GraphList);
    // contoso.onmicrosoft.com (initial) and contoso.mail.onmicrosoft.com (routing) are skipped.
    CHECK(names(t) == std::vector<std::string>{"contoso.com", "fabrikam.com"});
    CHECK(t.skipped.size() == 2);
    CHECK(t.domains[0].adminManaged == false);
    CHECK(t.domains[0].knownMicrosoftMx ==
          std::vector<DnsName>{N("contoso-com.mail.protection.outlook.com")});
    REQUIRE(t.domains[0].references.has_value());
    CHECK(*t.domains[0].references == std::vector<std::string>{"adele@contoso.com"});
    CHECK_FALSE(t.domains[1].references.has_value());  // null: not exported
  }
  SUBCASE("a single object") {
    Tenant t = parseOk(fixture("fixtures/tenants/unit/powershell-single.json"));
    CHECK(t.source == TenantSource::GraphSingle);
    CHECK(names(t) == std::vector<std::string>{"wingtiptoys.com"});
  }
  SUBCASE("UTF-16LE with a BOM, as Windows PowerShell 5.1 redirects it") {
    Tenant t = parseOk(fixture("fixtures/tenants/unit/powershell-utf16le.json"));
    CHECK(names(t) == std::vector<std::string>{"wingtiptoys.com"});
  }
  SUBCASE("UTF-8 with a BOM") {
    Tenant t = parseOk("\xEF\xBB\xBF" + fixture("fixtures/tenants/unit/powershell-single.json"));
    CHECK(names(t) == std::vector<std::string>{"wingtiptoys.com"});
  }
  SUBCASE("objects cut into strings by a shallow -Depth are an error that says so") {
    std::string err = parseErr(fixture("fixtures/tenants/unit/powershell-shallow.json"), "d.json");
    CHECK(err.find("d.json: [0].ServiceConfigurationRecords[0]: ") == 0);
    CHECK(err.find("-Depth") != std::string::npos);
  }
}

TEST_CASE("malformed JSON names the file, the byte and the line") {
  std::string err = parseErr("{\n  \"domains\": [\"a.example\",]\n}", "bad.json");
  CHECK(err.find("bad.json: not valid JSON at byte ") == 0);
  CHECK(err.find("line 2") != std::string::npos);
  CHECK(parseErr("", "empty.json").find("empty.json: not valid JSON") == 0);
  std::string deep(100, '[');
  CHECK(parseErr(deep, "deep.json").find("nested more than") != std::string::npos);
}

TEST_CASE("wrong types are errors with the key path, never a crash") {
  struct Case {
    const char* json;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"domains": ["a.example", "b.example", 7]})", "t.json: domains[2]: not a string (found an integer)"},
      {R"({"domains": "a.example"})", "t.json: domains: not an array (found a string)"},
      {R"({"domains": [], "cloud": "mars"})", "t.json: cloud: 'mars' is not one of"},
      {R"({"domains": [], "subscriptions": [{"assigned_licenses": "12"}]})",
       "t.json: subscriptions[0].assigned_licenses: not an integer (found a string)"},
      {R"({"domains": [], "subscriptions": [{"assigned_licenses": -1}]})",
       "t.json: subscriptions[0].assigned_licenses: negative"},
      {R"({"domains": [], "subscriptions": [{"cancel": "yes"}]})",
       "t.json: subscriptions[0].cancel: not a boolean"},
      {R"({"domains": [], "subscriptions": [{"licences": 3}]})",
       "t.json: subscriptions[0].licences: unknown key"},
      {R"({"domains": [], "subscripions": []})", "t.json: subscripions: unknown key"},
      {R"({"tenant": "x"})", "t.json: domains: missing"},
      {R"({"domains": ["not a domain!"]})", "t.json: domains[0]: 'not a domain!' contains"},
      {R"({"domains": [], "new_mail": {"mx": [{"host": 5}]}})", "t.json: new_mail.mx[0].host: not a string"},
      {R"({"domains": [], "new_mail": {"mx": ["mx.example:99999"]}})", "t.json: new_mail.mx[0]: "},
      {R"({"domains": [], "cutover": "2026-02-30"})", "t.json: cutover: '2026-02-30' has a day"},
      {R"({"value": [{"id": "a.example", "isAdminManaged": "false"}]})",
       "t.json: value[0].isAdminManaged: not a boolean (found a string)"},
      {R"({"value": [{"isAdminManaged": true}]})", "t.json: value[0]: a domain object without \"id\""},
      {R"({"value": [5]})", "t.json: value[0]: not an object (found an integer)"},
      {R"([{"Id": "a.example", "ServiceConfigurationRecords": {"x": 1}}])",
       "t.json: [0].ServiceConfigurationRecords: an object without \"value\""},
      {R"([{"Id": "a.example", "ServiceConfigurationRecords": [{"RecordType": "Mx", "MailExchange": 3}]}])",
       "t.json: [0].ServiceConfigurationRecords[0].MailExchange: not a string"},
      {R"("contoso.com")", "t.json: the top level is a string"},
      {R"({"something": 1})", "t.json: neither an offboard tenant file"},
  };
  for (const auto& c : cases) {
    std::string input = c.json;
    CAPTURE(input);
    std::string err = parseErr(c.json);
    CHECK_MESSAGE(err.find(c.expected) == 0, err);
  }
}

TEST_CASE("consumer plans are refused with a pointer to the right procedure") {
  for (const char* kind : {"family", "Personal"}) {
    CAPTURE(kind);
    std::string err = parseErr(std::string(R"({"domains": [], "subscriptions": [{"kind": ")") + kind +
                               R"("}]})");
    CHECK(err.find("t.json: subscriptions[0].kind: ") == 0);
    CHECK(err.find("consumer plan") != std::string::npos);
    CHECK(err.find("account.microsoft.com") != std::string::npos);
  }
}

TEST_CASE("initial and routing domains are recognised on label boundaries") {
  CHECK(isInitialDomainName(N("contoso.onmicrosoft.com")));
  CHECK(isInitialDomainName(N("contoso.mail.onmicrosoft.com")));
  CHECK(isInitialDomainName(N("contoso.partner.onmschina.cn")));
  CHECK(isInitialDomainName(N("contoso.onmicrosoft.us")));
  CHECK_FALSE(isInitialDomainName(N("contoso.com")));
  CHECK_FALSE(isInitialDomainName(N("notonmicrosoft.com")));
  CHECK_FALSE(isInitialDomainName(N("onmicrosoft.com.evil.example")));
}

TEST_CASE("--new-mx HOST[:PREF]") {
  std::string err;
  auto a = parseMailTarget("mx1.newmail.example", &err);
  REQUIRE(a);
  CHECK(a->preference == 10);
  auto b = parseMailTarget("mx2.newmail.example:20", &err);
  REQUIRE(b);
  CHECK(b->host == N("mx2.newmail.example"));
  CHECK(b->preference == 20);
  CHECK_FALSE(parseMailTarget("mx.example:", &err));
  CHECK_FALSE(parseMailTarget("mx.example:70000", &err));
  CHECK_FALSE(parseMailTarget("localhost", &err));
}

TEST_CASE("RFC 3339 times round-trip and the boundary second is exact") {
  std::string err;
  auto t = parseRfc3339("2026-12-15T10:00:00Z", &err);
  REQUIRE(t);
  CHECK(*t == 1797328800);
  CHECK(formatRfc3339(*t) == "2026-12-15T10:00:00Z");
  CHECK(parseRfc3339("2026-12-15T12:00:00+02:00") == t);
  CHECK(parseRfc3339("2026-12-15t10:00:00.999z") == t);  // fractions never round up
  CHECK(formatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(formatRfc3339(951782400) == "2000-02-29T00:00:00Z");
  CHECK_FALSE(parseRfc3339("2026-12-15"));
  CHECK_FALSE(parseRfc3339("2026-12-15T10:00:00"));
  CHECK_FALSE(parseRfc3339("2026-12-15T24:00:00Z"));
  CHECK_FALSE(parseRfc3339("2026-12-15T10:00:00Zjunk"));
  CHECK(parseDate("2024-02-29") == 1709164800);
  CHECK_FALSE(parseDate("2023-02-29"));
  CHECK(formatDuration(172800) == "48h");
  CHECK(formatDuration(3661) == "1h 1m 1s");
}

TEST_CASE("a key repeated in one object is refused with the file, the key path and both lines") {
  struct Case {
    std::string json;
    const char* expected;  // the start of the message
    const char* lines;     // both lines, as the message gives them
  };
  const Case cases[] = {
      // The own file, read strictly: "domains" twice would have kept the second list only.
      {"{\n  \"domains\": [\"a.example\"],\n  \"domains\": [\"b.example\"]\n}", "t.json: domains: ",
       "lines 2 and 3"},
      // A cancellation decided by whichever "cancel" the reader keeps.
      {fixture("fixtures/tenants/unit/duplicate-cancel.json"),
       "t.json: subscriptions[0].cancel: ", "lines 5 and 6"},
      // Graph's id and PowerShell's Id are one key to the importer.
      {"{\"value\": [\n {\"id\": \"a.example\",\n  \"Id\": \"b.example\"}\n]}", "t.json: value[0].Id: ",
       "'id' (line 2) and 'Id' (line 3)"},
      // An escape spells the same key as nlohmann decodes it.
      {"[{\"Id\": \"a.example\", \"IsInitial\": false,\n \"\\u0049sInitial\": true}]",
       "t.json: [0].IsInitial: ", "lines 1 and 2"},
      // Deep inside a record collection, case folded.
      {"[{\"Id\": \"a.example\", \"ServiceConfigurationRecords\": [{\"RecordType\": \"Mx\",\n"
       "  \"MailExchange\": \"a.mail.protection.outlook.com\", \"mailExchange\": \"evil.example\"}]}]",
       "t.json: [0].ServiceConfigurationRecords[0].mailExchange: ", "(line 2) and 'mailExchange' (line 2)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    std::string err = parseErr(c.json);
    CHECK_MESSAGE(err.find(c.expected) == 0, err);
    CHECK_MESSAGE(err.find("twice") != std::string::npos, err);
    CHECK_MESSAGE(err.find(c.lines) != std::string::npos, err);
  }
  // The same key in two different objects, or a value that looks like a key, is no duplicate.
  Tenant t = parseOk(R"({"value": [{"id": "a.example", "isDefault": true},
                                   {"id": "b.example", "isDefault": false, "x": "id"}]})");
  CHECK(names(t) == std::vector<std::string>{"a.example", "b.example"});
  // The record and reference parsers refuse them too.
  std::string err;
  CHECK_FALSE(parseServiceConfigurationMx(
      R"([{"recordType": "Mx", "mailExchange": "a.example", "MailExchange": "b.example"}])", &err));
  CHECK(err.find("[0].MailExchange: ") == 0);
  CHECK_FALSE(parseDomainNameReferences(R"({"value": [], "Value": [{"id": "x"}]})", &err));
  CHECK(err.find("Value: ") == 0);
}

TEST_CASE("one page of a paged Graph export is refused, saying how to export every page") {
  std::string err = parseErr(fixture("fixtures/tenants/unit/graph-paged.json"), "p.json");
  CHECK_MESSAGE(err.find("p.json: @odata.nextLink: ") == 0, err);
  CHECK(err.find("one page of several") != std::string::npos);
  CHECK(err.find("Get-MgDomain -All | ConvertTo-Json -Depth 5") != std::string::npos);
  CHECK(err.find("$top") != std::string::npos);
  // A paged collection inside a domain object: its other pages are just as unseen.
  err = parseErr(R"({"value": [{"id": "a.example", "domainNameReferences":
                   {"value": [], "@odata.nextLink": "https://graph.microsoft.com/v1.0/x"}}]})");
  CHECK_MESSAGE(err.find("t.json: value[0].domainNameReferences.@odata.nextLink: ") == 0, err);
  err = parseErr(R"({"value": [{"id": "a.example", "domainNameReferences": [],
                   "domainNameReferences@odata.nextLink": "https://graph.microsoft.com/v1.0/x"}]})");
  CHECK_MESSAGE(err.find("t.json: value[0].domainNameReferences@odata.nextLink: ") == 0, err);
  // The last page (no nextLink) is a complete list.
  Tenant t = parseOk(R"({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains",
                         "value": [{"id": "a.example"}]})");
  CHECK(names(t) == std::vector<std::string>{"a.example"});
}

TEST_CASE("a single Graph domain object keyed name is read as its twin inside value is") {
  for (const char* key : {"id", "Id", "name", "Name"}) {
    CAPTURE(key);
    const std::string obj = std::string(R"({")") + key + R"(": "contoso.com", "isAdminManaged": false})";
    Tenant single = parseOk(obj);
    CHECK(single.source == TenantSource::GraphSingle);
    REQUIRE(names(single) == std::vector<std::string>{"contoso.com"});
    CHECK(single.domains[0].adminManaged == false);
    Tenant list = parseOk(R"({"value": [)" + obj + "]}");
    CHECK(names(list) == names(single));
  }
}

TEST_CASE("isInitial on a name that is not an initial domain's keeps the domain, with a note") {
  Tenant t = parseOk(R"({"value": [
      {"id": "contoso.com", "isInitial": true},
      {"id": "fabrikam.com", "isInitial": false},
      {"id": "contoso.mail.onmicrosoft.com", "isInitial": false}]})");
  // contoso.com is offboarded like any custom domain; the routing domain is never offboarded.
  CHECK(names(t) == std::vector<std::string>{"contoso.com", "fabrikam.com"});
  REQUIRE(t.skipped.size() == 2);
  CHECK(t.skipped[0].find("the isInitial mark on contoso.com (value[0])") == 0);
  CHECK(t.skipped[0].find("offboarded like any custom domain") != std::string::npos);
  CHECK(t.skipped[1].find("contoso.mail.onmicrosoft.com (value[2]): an initial") == 0);
  // Neither names the tenant: only an isInitial *.onmicrosoft.com domain does.
  CHECK(t.name.empty());
}

TEST_CASE("supportedServices is read when exported and nullopt when not") {
  Tenant t = parseOk(R"({"value": [
      {"id": "a.example", "supportedServices": ["Email", "OfficeCommunicationsOnline"]},
      {"id": "b.example", "supportedServices": []},
      {"id": "c.example"},
      {"id": "d.example", "supportedServices": null},
      {"id": "e.example", "SupportedServices": "Email"}]})");
  REQUIRE(t.domains.size() == 5);
  CHECK(t.domains[0].supportedServices ==
        std::vector<std::string>{"Email", "OfficeCommunicationsOnline"});
  REQUIRE(t.domains[1].supportedServices.has_value());
  CHECK(t.domains[1].supportedServices->empty());  // exported: no service was ever set up
  CHECK_FALSE(t.domains[2].supportedServices.has_value());
  CHECK_FALSE(t.domains[3].supportedServices.has_value());
  CHECK(t.domains[4].supportedServices == std::vector<std::string>{"Email"});
  // PowerShell's PascalCase export (the demo tenant).
  Tenant ps = parseOk(fixture("fixtures/tenants/graph-powershell.json"));
  REQUIRE(ps.domains.size() == 4);
  CHECK(ps.domains[0].supportedServices ==
        std::vector<std::string>{"Email", "OfficeCommunicationsOnline", "Intune"});
  CHECK(ps.domains[1].supportedServices == std::vector<std::string>{"Email"});
  REQUIRE(ps.domains[3].supportedServices.has_value());
  CHECK(ps.domains[3].supportedServices->empty());
  // Wrong types name the path.
  CHECK(parseErr(R"({"value": [{"id": "a.example", "supportedServices": 5}]})")
            .find("t.json: value[0].supportedServices: not an array of strings") == 0);
  CHECK(parseErr(R"({"value": [{"id": "a.example", "supportedServices": ["Email", 5]}]})")
            .find("t.json: value[0].supportedServices[1]: not a string") == 0);
}

TEST_CASE("a Graph export names the tenant by its initial domain; the own file by \"tenant\"") {
  for (const char* f : {"fixtures/tenants/graph-powershell.json",
                        "fixtures/tenants/graph-powershell-utf16le.json",
                        "fixtures/tenants/unit/powershell-array.json",
                        "fixtures/tenants/unit/graph-expanded.json"}) {
    CAPTURE(f);
    CHECK(parseOk(fixture(f)).name == "contoso.onmicrosoft.com");
  }
  // The own file's "tenant" is what it says, and a file without one does not borrow a name.
  CHECK(parseOk(R"({"tenant": "fabrikam.onmicrosoft.com", "domains": ["a.example",
                   {"id": "contoso.onmicrosoft.com", "isInitial": true}]})").name ==
        "fabrikam.onmicrosoft.com");
  CHECK(parseOk(R"({"domains": [{"id": "contoso.onmicrosoft.com", "isInitial": true}]})")
            .name.empty());
  // A list without an initial domain leaves the name empty.
  CHECK(parseOk(R"({"value": [{"id": "a.example"}]})").name.empty());
  // Two initial domains: two tenants in one file, refused rather than bound to either.
  std::string err = parseErr(R"({"value": [{"id": "contoso.onmicrosoft.com", "isInitial": true},
                                           {"id": "fabrikam.onmicrosoft.com", "isInitial": true}]})");
  CHECK_MESSAGE(err.find("t.json: value[1]: a second domain marked isInitial") == 0, err);
  CHECK(err.find("contoso.onmicrosoft.com at value[0]") != std::string::npos);
}

TEST_CASE("a NUL octet in a tenant file is refused: nothing after it is silently ignored") {
  using namespace std::string_literals;
  std::string err;
  const std::string two = R"({"domains": ["contoso.com"]})"s + '\0' + R"({"domains": ["fabrikam.com"]})";
  CHECK_FALSE(parseTenant(two, "t.json", &err).has_value());
  CHECK(err.find("NUL octet at byte 29") != std::string::npos);
  // Found by fuzz_tenant: a number, NULs, then unbalanced brackets (the key scanner must not
  // pop an empty stack).
  const std::string fuzzed = "42"s + std::string(5, '\0') + "[\n{\n]]]}}";
  CHECK_FALSE(parseTenant(fuzzed, "t.json", &err).has_value());
}

TEST_CASE("Graph's blockers of a removal are read from both export forms: authenticationType, isDefault, state") {
  const std::int64_t failed = *parseRfc3339("2026-12-02T09:00:00Z");
  const std::int64_t running = *parseRfc3339("2026-12-02T09:30:00Z");
  for (const char* f : {"fixtures/tenants/graph-blockers.json", "fixtures/tenants/graph-powershell-blockers.json"}) {
    CAPTURE(f);
    Tenant t = parseOk(fixture(f));
    CHECK(t.source == TenantSource::GraphList);
    CHECK(t.name == "contoso.onmicrosoft.com");
    REQUIRE(names(t) == std::vector<std::string>{"contoso.com", "fabrikam.com", "tailspintoys.com", "wingtiptoys.com"});
    CHECK(t.defaultDomain == N("contoso.com"));
    CHECK(t.domains[0].isDefault);
    CHECK(t.domains[0].authenticationType == "Federated");
    CHECK(t.domains[1].authenticationType == "Managed");
    CHECK(t.domains[2].authenticationType == "Unknown-Future-Value");
    CHECK_FALSE(t.domains[0].forceDelete.has_value());
    REQUIRE(t.domains[1].forceDelete.has_value());
    CHECK(t.domains[1].forceDelete->status == "Failed");
    CHECK(t.domains[1].forceDelete->lastAction == failed);  // RFC 3339, or PowerShell 5.1's \/Date(ms)\/
    REQUIRE(t.domains[2].forceDelete.has_value());
    CHECK(t.domains[2].forceDelete->status == "InProgress");
    CHECK(t.domains[2].forceDelete->lastAction == running);  // a fraction dropped, an offset applied
    CHECK_FALSE(t.domains[3].forceDelete.has_value());        // a Verification, not a removal
    CHECK(t.domains[3].supportedServices.has_value());
    CHECK(t.domains[3].supportedServices->empty());
  }
  for (const char* f : {"fixtures/tenants/graph-blockers-after.json", "fixtures/tenants/graph-powershell-blockers-after.json"}) {
    CAPTURE(f);
    Tenant t = parseOk(fixture(f));
    CHECK(t.defaultDomain == N("contoso.onmicrosoft.com"));  // the initial domain: skipped, still the default
    CHECK(t.domains[0].authenticationType == "Managed");
    CHECK_FALSE(t.domains[0].isDefault);
  }
  for (const char* f : {"fixtures/tenants/graph-references-over-limit.json",
                        "fixtures/tenants/graph-powershell-references-over-limit.json"}) {
    CAPTURE(f);
    Tenant t = parseOk(fixture(f));
    REQUIRE(names(t) == std::vector<std::string>{"fabrikam.com"});
    REQUIRE(t.domains[0].references.has_value());
    CHECK(t.domains[0].references->size() == 1001);
    CHECK(t.domains[0].references->front() == "user0001@fabrikam.com");
  }
  // Not exported: nothing is assumed. null is the same as absent.
  Tenant none = parseOk(R"({"value": [{"id": "a.example"}, {"id": "b.example", "authenticationType": null,
                                       "state": null, "isDefault": null}]})");
  CHECK_FALSE(none.domains[0].authenticationType.has_value());
  CHECK_FALSE(none.domains[1].authenticationType.has_value());
  CHECK_FALSE(none.domains[1].forceDelete.has_value());
  CHECK_FALSE(none.defaultDomain.has_value());
  // Blanks are trimmed; a time Graph would never write (no offset) is unknown, not a guess.
  Tenant odd = parseOk(R"([{"Id": "a.example", "AuthenticationType": " Federated ",
                            "State": {"Operation": "ForceDelete", "Status": "Failed",
                                      "LastActionDateTime": "2026-12-02T09:00:00"}}])");
  CHECK(odd.domains[0].authenticationType == "Federated");
  REQUIRE(odd.domains[0].forceDelete.has_value());
  CHECK_FALSE(odd.domains[0].forceDelete->lastAction.has_value());
  Tenant noStatus = parseOk(R"([{"Id": "a.example", "State": {"Operation": "forcedelete"}}])");
  REQUIRE(noStatus.domains[0].forceDelete.has_value());
  CHECK(noStatus.domains[0].forceDelete->status.empty());
}

TEST_CASE("Graph's blocker fields: wrong types, two defaults and repeated keys are refused by name") {
  CHECK(parseErr(R"({"value": [{"id": "a.example", "authenticationType": 5}]})")
            .find("t.json: value[0].authenticationType: not a string") == 0);
  CHECK(parseErr(R"({"value": [{"id": "a.example", "isDefault": "yes"}]})")
            .find("t.json: value[0].isDefault: not a boolean") == 0);
  CHECK(parseErr(R"([{"Id": "a.example", "State": "@{Operation=ForceDelete}"}])")
            .find("t.json: [0].State: a string where a domain state object was expected") == 0);
  CHECK(parseErr(R"([{"Id": "a.example", "State": {"Operation": "ForceDelete", "LastActionDateTime": 5}}])")
            .find("t.json: [0].State.LastActionDateTime: not a string") == 0);
  CHECK(parseErr(R"([{"Id": "a.example", "State": {"Operation": 1}}])")
            .find("t.json: [0].State.Operation: not a string") == 0);
  // A tenant has one default domain: two are two tenants mixed, and which one to replace a guess.
  std::string two = parseErr(R"({"value": [{"id": "a.example", "isDefault": true},
                                           {"id": "contoso.onmicrosoft.com", "isDefault": true}]})");
  CHECK_MESSAGE(two.find("t.json: value[1]: a second domain marked isDefault (contoso.onmicrosoft.com; the first "
                         "is a.example at value[0])") == 0,
                two);
  // The same domain listed twice is one default (the second entry is skipped as a duplicate).
  Tenant dup = parseOk(R"({"value": [{"id": "a.example", "isDefault": true}, {"id": "a.example", "isDefault": true}]})");
  CHECK(dup.defaultDomain == N("a.example"));
  // Repeated keys, also in another case: JSON does not say which one counts.
  const std::pair<const char*, const char*> repeated[] = {
      {"[{\"Id\": \"a.example\", \"AuthenticationType\": \"Federated\",\n \"authenticationType\": \"Managed\"}]",
       "t.json: [0].authenticationType: "},
      {"{\"value\": [{\"id\": \"a.example\", \"isDefault\": true, \"isDefault\": false}]}", "t.json: value[0].isDefault: "},
      {"[{\"Id\": \"a.example\", \"State\": {\"Operation\": \"ForceDelete\", \"Status\": \"Failed\",\n"
       " \"status\": \"InProgress\"}}]",
       "t.json: [0].State.status: "},
  };
  for (const auto& r : repeated) {
    CAPTURE(r.first);
    std::string err = parseErr(r.first);
    CHECK_MESSAGE(err.find(r.second) == 0, err);
    CHECK(err.find("twice") != std::string::npos);
  }
}
