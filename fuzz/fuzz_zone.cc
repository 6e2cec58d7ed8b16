// Fuzz target: zone-file import (resolvers/zone_resolver.h, `--zones DIR`).
//
// Input: the text of DIR/contoso.com.zone. DIR also holds a fixed, valid com.zone that
// delegates contoso.com, so parent-side and cross-zone paths run too.
// Invariants: no crash or sanitizer report; a refusal names the file (and a line) in
// terminal-safe text; a file with a byte-order mark or a NUL is never loaded (ldns would
// misread it); a loaded zone holds its SOA at the apex and only records inside the zone, all
// printable; every question gets an observation for that question, evidence is consistent
// (an Answer has records of the asked type, a negative answer a negative TTL, failures no
// records) and CNAME chains stay within the limit.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "resolvers/wire.h"
#include "resolvers/zone_resolver.h"

using namespace offboard;
using offboard::fuzz::terminalSafe;

namespace {

constexpr std::string_view kComZone =
    "$ORIGIN com.\n$TTL 3600\n"
    "@ IN SOA a.gtld.com. hostmaster.com. 1 3600 600 604800 300\n"
    "@ IN NS a.gtld.com.\n"
    "a.gtld IN A 127.0.0.2\n"
    "contoso IN NS ns1.contoso.com.\n"
    "ns1.contoso IN A 127.0.0.20\n";

DnsName name(std::string_view s) { return *DnsName::parse(s); }

void requireObservation(const Question& q, const Observation& o) {
  FUZZ_CHECK(o.question == q, "an observation for another question");
  FUZZ_CHECK(terminalSafe(o.detail), "detail unsafe for a terminal: " + o.detail);
  // At most kMaxCnameChain CNAMEs in any observation, however it ends (a loop, a chain too
  // long, an answer): regressions/zone/cname-loop-of-nine once showed nine.
  FUZZ_CHECK(o.chain.size() <= kMaxCnameChain, "a CNAME chain over the limit");
  for (const auto* list : {&o.answer, &o.chain})
    for (const auto& r : *list) FUZZ_CHECK(terminalSafe(r.data), "record data unsafe for a terminal");
  switch (o.outcome) {
    case Outcome::Answer:
      FUZZ_CHECK(!o.answer.empty(), "an Answer without records");
      for (const auto& r : o.answer)
        FUZZ_CHECK(r.type == q.type || q.type == RRType::ANY, "an answer of another type");
      break;
    case Outcome::NoData:
    case Outcome::NxDomain:
      FUZZ_CHECK(o.answer.empty() && o.negativeTtl, "a negative answer without its negative TTL");
      break;
    default:
      FUZZ_CHECK(o.answer.empty(), "a failure carrying records");
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::ScratchDir dir("zone");
  dir.clear();
  fuzz::writeFile(dir.path() + "/com.zone", reinterpret_cast<const std::uint8_t*>(kComZone.data()),
                  kComZone.size());
  const std::string file = dir.path() + "/contoso.com.zone";
  fuzz::writeFile(file, data, size);
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string err;
  auto z = ZoneResolver::load(dir.path(), &err);
  if (!z) {
    FUZZ_CHECK(err.rfind(file + ":", 0) == 0, "a refusal that does not name the file: " + err);
    FUZZ_CHECK(terminalSafe(err), "a refusal unsafe for a terminal: " + err);
    return 0;
  }
  FUZZ_CHECK(text.find('\0') == std::string_view::npos, "a zone file with a NUL was loaded");
  FUZZ_CHECK(text.substr(0, 3) != "\xEF\xBB\xBF", "a zone file with a BOM was loaded");

  const DnsName apex = name("contoso.com.");
  const std::vector<Record>* records = z->zoneListing(apex);
  FUZZ_CHECK(records != nullptr, "the loaded zone is not held");
  bool soa = false;
  for (const auto& r : *records) {
    FUZZ_CHECK(r.name.isPartOf(apex), "a record outside the zone: " + r.name.toString());
    FUZZ_CHECK(terminalSafe(r.data), "record data unsafe for a terminal");
    if (r.type == RRType::SOA && r.name == apex) soa = true;
  }
  FUZZ_CHECK(soa, "a zone loaded without its SOA at the apex");

  std::vector<Question> questions;
  for (RRType t : {RRType::NS, RRType::MX, RRType::TXT, RRType::SOA, RRType::A, RRType::CNAME})
    questions.push_back(Question{apex, t, false});
  questions.push_back(Question{apex, RRType::NS, true});
  questions.push_back(Question{name("autodiscover.contoso.com."), RRType::CNAME, false});
  questions.push_back(Question{name("www.contoso.com."), RRType::A, false});
  questions.push_back(Question{name("a.b.c.contoso.com."), RRType::TXT, false});
  for (std::size_t i = 0; i < records->size() && i < 32; ++i) {
    questions.push_back(Question{(*records)[i].name, (*records)[i].type, false});
    questions.push_back(Question{(*records)[i].name, RRType::MX, false});
  }
  for (const auto& q : questions) requireObservation(q, z->resolve(q));
  return 0;
}
