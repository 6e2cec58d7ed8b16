// The JSON of DomainReports (render/report_json.h): the one writer behind `check --format json`
// and `scan`'s lines. It writes without an nlohmann tree, so it is held here to what nlohmann
// would write and read: its output parses; re-dumping what was parsed gives the same bytes
// (nlohmann's layout, compact and at two spaces, and nlohmann's escaping); every field of
// offboard.check/1 is there, in order, with the report's value, for reports that use every
// field (both delegation sides, records, findings with and without TTL and server, clouds and
// null cloud, a Unicode domain, strings with quotes, backslashes, control octets, UTF-8 and
// invalid UTF-8); and scan's line for a domain is check's object for it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "commands/commands.h"
#include "checks/mta_sts.h"
#include "core/domain_input.h"
#include "core/ids.h"
#include "fake_resolver.h"
#include "render/report_json.h"

using namespace offboard;
using namespace offboard::testing;

namespace {

using ojson = nlohmann::ordered_json;

// The same world for both commands: every awkward case of the JSON writer.
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
constexpr std::size_t kDomains = 5;

// `scan` over kInput: its lines, without the newlines.
std::vector<std::string> scanLines() {
  FakeResolver r = world();
  std::istringstream in(kInput);
  std::ostringstream out, err;
  Io io{out, err};
  runScan("domains.txt", in, r, 8, io);
  std::vector<std::string> lines;
  std::istringstream text(out.str());
  for (std::string l; std::getline(text, l);) lines.push_back(l);
  return lines;
}

// `check --format json` over kInput: the document as printed.
std::string checkDocument() {
  FakeResolver r = world();
  std::vector<DomainInput> domains;
  std::istringstream in(kInput);
  for (std::string l; std::getline(in, l);) {
    std::string why;
    auto d = normalizeDomain(l, &why);
    REQUIRE(d);
    domains.push_back(*d);
  }
  CheckOptions o;
  o.format = "json";
  std::ostringstream out, err;
  Io io{out, err};
  runCheck(o, domains, r, io);
  return out.str();
}

std::string compact(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }
std::string pretty(const ojson& j) {
  return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

std::string domainLine(const DomainReport& r) {
  std::string out;
  appendDomainJson(out, r);
  return out;
}

std::vector<std::string> keys(const ojson& object) {
  std::vector<std::string> k;
  for (const auto& [key, value] : object.items()) k.push_back(key);
  return k;
}

// Strings no name or zone file gives the renderers, but a TXT string or a server's detail can:
// `"` and `\` (escaped by the writer itself), control octets and DEL (nlohmann's escaping),
// UTF-8 kept as is.
const std::string kAwkward = std::string("say \"hi\" C:\\dir tab\t nl\n bell\a us\x1f del\x7f caf\xc3\xa9 \xe2\x80\x94");
// Invalid UTF-8 and what nlohmann's replace handler makes of it (one U+FFFD per bad sequence).
const std::string kBroken = std::string("a\xff\xfe" "b \xe2\x82(x caf\xc3");
const std::string kMended = "a\xef\xbf\xbd\xef\xbf\xbd" "b \xef\xbf\xbd(x caf\xef\xbf\xbd";

// A report that uses every field of offboard.check/1.
DomainReport everyField() {
  DomainReport r;
  r.domain = N("xn--bcher-kva.example");
  r.unicode = "bücher.example";
  r.verdict = Verdict::PointsAtM365;
  r.cloud = Cloud::Worldwide;
  r.delegation.parentSeen = true;
  r.delegation.parentNs = {N("ns1.bdm.microsoftonline.com"), N("ns\\032one.example")};
  r.delegation.parentTtl = 172800;
  r.delegation.childSeen = true;
  r.delegation.childNs = {N("ns\\.two.example")};
  r.delegation.childTtl = 3600;
  r.records.push_back(rec("xn--bcher-kva.example", RRType::MX,
                          "xn--bcher-kva-example.mail.protection.outlook.com", 300, 0));
  Record odd = txt("xn--bcher-kva.example", {kAwkward}, 0);
  r.records.push_back(odd);
  Record broken = txt("a\\.b.xn--bcher-kva.example", {kBroken}, 4294967295u);
  r.records.push_back(broken);
  Finding withAll;
  withAll.id = FindingId::MxAtM365;
  withAll.severity = Severity::Blocker;
  withAll.cloud = Cloud::China21Vianet;
  withAll.name = N("xn--bcher-kva.example");
  withAll.type = RRType::MX;
  withAll.data = "0 xn--bcher-kva-example.mail.protection.outlook.com.";
  withAll.message = "Inbound mail is delivered to Microsoft 365 — \"point\" MX elsewhere";
  withAll.ttl = 300;
  withAll.server = "127.0.0.53:53";
  r.findings.push_back(withAll);
  Finding bare;
  bare.id = FindingId::LookupFailed;
  bare.severity = Severity::Indeterminate;
  bare.name = N("_sip._tls.xn--bcher-kva.example");
  bare.type = static_cast<RRType>(65280);  // a type without a name: TYPE65280
  bare.data = kBroken;
  bare.message = kAwkward;
  r.findings.push_back(bare);
  return r;
}

// A report where nothing was seen: no U-label, no delegation side, no record, no finding.
DomainReport nothingSeen() {
  DomainReport r;
  r.domain = N("quiet.example");
  r.verdict = Verdict::Clear;
  return r;
}

}  // namespace

TEST_CASE("scan's line for each domain is check --format json's object for it, byte for byte") {
  std::vector<std::string> scanned = scanLines();
  ojson doc = ojson::parse(checkDocument());
  REQUIRE(doc["domains"].size() == kDomains);
  std::vector<std::string> checked;
  for (const auto& d : doc["domains"]) checked.push_back(compact(d));
  REQUIRE(scanned.size() == checked.size());
  // scan writes each domain as it completes, check in input order.
  std::sort(scanned.begin(), scanned.end());
  std::sort(checked.begin(), checked.end());
  for (std::size_t i = 0; i < checked.size(); ++i) {
    CAPTURE(i);
    CHECK(scanned[i] == checked[i]);
  }
  // The cases the writer must get right are really there.
  std::string all;
  for (const auto& l : scanned) all += l + "\n";
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

TEST_CASE("both layouts are nlohmann's: what the writer wrote, parsed and dumped again, is the same bytes") {
  std::vector<std::string> lines = scanLines();
  REQUIRE(lines.size() == kDomains);
  for (const auto& line : lines) {
    CAPTURE(line);
    CHECK(compact(ojson::parse(line)) == line);
  }
  const std::string doc = checkDocument();
  CHECK(pretty(ojson::parse(doc)) == doc);

  for (const DomainReport& r : {everyField(), nothingSeen()}) {
    const std::string line = domainLine(r);
    CAPTURE(line);
    CHECK(compact(ojson::parse(line)) == line);
    CHECK(line.find('\n') == std::string::npos);  // one line per domain, whatever its strings
  }
  const std::string two = renderCheckJson({everyField(), nothingSeen()});
  CHECK(pretty(ojson::parse(two)) == two);
  const std::string none = renderCheckJson({});
  CHECK(pretty(ojson::parse(none)) == none);
}

TEST_CASE("the identifiers the writer puts between quotes unscanned are JSON as they are") {
  // Verdicts, severities, clouds, finding ids, MTA-STS modes and record type names are
  // written without the escape scan; each must then be what nlohmann writes for it.
  std::vector<std::string> ids;
  for (Verdict v : {Verdict::Clear, Verdict::Indeterminate, Verdict::PointsAtM365})
    ids.emplace_back(verdictName(v));
  for (Severity s : {Severity::Blocker, Severity::Required, Severity::Cleanup, Severity::Warning,
                     Severity::Indeterminate})
    ids.emplace_back(severityName(s));
  for (Cloud c : {Cloud::Worldwide, Cloud::UsGov, Cloud::China21Vianet, Cloud::Germany})
    ids.emplace_back(cloudName(c));
  for (FindingId f : findingIds()) ids.emplace_back(findingIdName(f));
  for (StsMode m : {StsMode::Enforce, StsMode::Testing, StsMode::None}) ids.emplace_back(stsModeName(m));
  for (unsigned t = 0; t <= 0xFFFF; ++t) {
    const auto type = static_cast<RRType>(t);
    ids.push_back(rrTypeName(type));
    // The writer's shortcut for the named types spells them as rrTypeName does.
    if (const std::string_view known = knownRrTypeName(type); !known.empty()) CHECK(known == ids.back());
  }
  for (const std::string& id : ids) {
    CAPTURE(id);
    REQUIRE(!id.empty());
    CHECK(ojson(id).dump() == "\"" + id + "\"");
  }
}

TEST_CASE("a string needing escapes is escaped wherever the octet is, as nlohmann escapes it") {
  // The writer looks at sixteen octets at a time, then eight, before it looks at one: each octet
  // that needs escaping, at every offset of a 59-octet string (three blocks of sixteen, a word of
  // eight and a tail of three), the octets at the edges of the plain range (' ', '~'), and the
  // plain string itself.
  const std::string plain = "v=spf1 include:example.org include:spf.example.net ~all -x";  // 58, then one
  REQUIRE(plain.size() == 58);
  for (const char c : {'"', '\\', '\t', '\x01', '\x1f', '\x7f', '\xc3', 'x', ' ', '~'}) {
    for (std::size_t at = 0; at <= plain.size(); ++at) {
      std::string value = plain;
      value.insert(at, 1, c);
      if (c == '\xc3') value.insert(at + 1, 1, '\xa9');  // é: UTF-8 kept as is
      DomainReport r = nothingSeen();
      Record record = txt("quiet.example", {"x"}, 60);
      record.data = value;
      r.records.push_back(record);
      const std::string line = domainLine(r);
      CAPTURE(line);
      const ojson parsed = ojson::parse(line);
      CHECK(compact(parsed) == line);
      CHECK(parsed["records"][0]["data"].get<std::string>() == value);
    }
  }
}

TEST_CASE("a report with nothing seen has empty containers, not missing keys, in both layouts") {
  CHECK(domainLine(nothingSeen()) ==
        R"({"domain":"quiet.example","verdict":"clear","cloud":null,"delegation":{},"records":[],"findings":[]})");
  CHECK(renderCheckJson({nothingSeen()}) == R"({
  "schema": "offboard.check/1",
  "verdict": "clear",
  "domains": [
    {
      "domain": "quiet.example",
      "verdict": "clear",
      "cloud": null,
      "delegation": {},
      "records": [],
      "findings": []
    }
  ]
}
)");
}

TEST_CASE("every field of offboard.check/1 is written, in order, with the report's value") {
  const DomainReport r = everyField();
  const ojson j = ojson::parse(domainLine(r));
  CHECK(keys(j) == std::vector<std::string>{"domain", "domain_unicode", "verdict", "cloud",
                                            "delegation", "records", "findings"});
  CHECK(j["domain"] == "xn--bcher-kva.example");  // A-label, no trailing dot
  CHECK(j["domain_unicode"] == "bücher.example");
  CHECK(j["verdict"] == "points-at-m365");
  CHECK(j["cloud"] == "worldwide");

  const ojson& del = j["delegation"];
  CHECK(keys(del) == std::vector<std::string>{"parent_ns", "parent_ttl", "child_ns", "child_ttl"});
  CHECK(del["parent_ns"] == ojson::array({"ns1.bdm.microsoftonline.com.", "ns\\032one.example."}));
  CHECK(del["parent_ttl"] == 172800);
  CHECK(del["child_ns"] == ojson::array({"ns\\.two.example."}));
  CHECK(del["child_ttl"] == 3600);

  const ojson& recs = j["records"];
  REQUIRE(recs.size() == 3);
  for (const auto& rec : recs) CHECK(keys(rec) == std::vector<std::string>{"name", "type", "ttl", "data"});
  CHECK(recs[0]["name"] == "xn--bcher-kva.example.");
  CHECK(recs[0]["type"] == "MX");
  CHECK(recs[0]["ttl"] == 300);
  CHECK(recs[0]["data"] == "0 xn--bcher-kva-example.mail.protection.outlook.com.");
  CHECK(recs[1]["ttl"] == 0);
  CHECK(recs[1]["data"] == "\"" + kAwkward + "\"");  // quotes, backslashes, controls, UTF-8
  CHECK(recs[2]["name"] == "a\\.b.xn--bcher-kva.example.");
  CHECK(recs[2]["type"] == "TXT");
  CHECK(recs[2]["ttl"] == 4294967295u);  // the largest TTL the wire carries
  CHECK(recs[2]["data"] == "\"" + kMended + "\"");  // invalid UTF-8: U+FFFD

  const ojson& fs = j["findings"];
  REQUIRE(fs.size() == 2);
  CHECK(keys(fs[0]) == std::vector<std::string>{"id", "severity", "cloud", "name", "type", "data",
                                                "message", "ttl", "server"});
  CHECK(fs[0]["id"] == "mx-at-m365");
  CHECK(fs[0]["severity"] == "blocker");
  CHECK(fs[0]["cloud"] == "21vianet");
  CHECK(fs[0]["name"] == "xn--bcher-kva.example.");
  CHECK(fs[0]["type"] == "MX");
  CHECK(fs[0]["data"] == "0 xn--bcher-kva-example.mail.protection.outlook.com.");
  CHECK(fs[0]["message"] == "Inbound mail is delivered to Microsoft 365 — \"point\" MX elsewhere");
  CHECK(fs[0]["ttl"] == 300);
  CHECK(fs[0]["server"] == "127.0.0.53:53");
  // No TTL, no server: the keys are absent (not null, not empty).
  CHECK(keys(fs[1]) == std::vector<std::string>{"id", "severity", "cloud", "name", "type", "data",
                                                "message"});
  CHECK(fs[1]["severity"] == "indeterminate");
  CHECK(fs[1]["cloud"].is_null());
  CHECK(fs[1]["name"] == "_sip._tls.xn--bcher-kva.example.");
  CHECK(fs[1]["type"] == "TYPE65280");
  CHECK(fs[1]["data"] == kMended);
  CHECK(fs[1]["message"] == kAwkward);

  // The escapes themselves, as nlohmann writes them: controls as \t \n or \u00XX, DEL and UTF-8
  // raw (ensure_ascii off), `"` and `\` with a backslash.
  const std::string line = domainLine(r);
  CHECK(line.find(R"(say \"hi\" C:\\dir tab\t nl\n bell\u0007 us\u001f del)"
                  "\x7f caf\xc3\xa9 \xe2\x80\x94") != std::string::npos);
  CHECK(line.find(R"("ns\\032one.example.")") != std::string::npos);

  // check's document holds the same object, and the worst verdict of its domains.
  const ojson doc = ojson::parse(renderCheckJson({nothingSeen(), r}));
  CHECK(keys(doc) == std::vector<std::string>{"schema", "verdict", "domains"});
  CHECK(doc["schema"] == "offboard.check/1");
  CHECK(doc["verdict"] == "points-at-m365");
  REQUIRE(doc["domains"].size() == 2);
  CHECK(doc["domains"][1] == j);
  CHECK(compact(doc["domains"][0]) == domainLine(nothingSeen()));
}
