// Fuzz target: answer classification (resolvers/wire.h classifyResponse).
//
// Input: one DNS message as received from a server. It is classified twice: as the answer to
// the question its own question section names (with its own ID, so the fuzzer reaches the
// rcode, CNAME-chain and RFC 2308 paths), and as the answer to the fixed question
// contoso.com/MX with a fixed ID (the identity checks).
// Invariants: no crash or sanitizer report; the result is deterministic; an invalid message
// never yields evidence — whenever the outcome is Answer, NoData or NxDomain, an independent
// decoder written here confirms the header (QR=1, opcode QUERY, TC=0, rcode NOERROR/NXDOMAIN,
// the expected ID), the single question, and that the sections fill the message exactly, and
// the observation is self-consistent (answer RRset of the asked type at the end of a CNAME
// chain of at most kMaxCnameChain links without repeats, a negative TTL for negative answers);
// every text that came from the message is safe to print on a terminal.
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz/fuzz_support.h"
#include "resolvers/wire.h"

using namespace offboard;
using offboard::fuzz::terminalSafe;

namespace {

constexpr std::uint16_t kFixedId = 0x4f42;
constexpr std::size_t kNoEnd = static_cast<std::size_t>(-1);

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

// Skips a name in place (a compression pointer ends it), as RFC 1035 §4.1.4 lays it out.
std::size_t skipName(const std::uint8_t* d, std::size_t len, std::size_t pos) {
  for (;;) {
    if (pos >= len) return kNoEnd;
    unsigned b = d[pos];
    if (b == 0) return pos + 1;
    if ((b & 0xC0) == 0xC0) return pos + 2 <= len ? pos + 2 : kNoEnd;
    if (b > 63) return kNoEnd;
    pos += 1 + b;
  }
}

// Decodes the name at pos, following compression pointers wherever they point (ldns does too)
// but no more than ldns' own limit of hops, so a pointer loop gives nullopt.
std::optional<std::vector<std::string>> readName(const std::uint8_t* d, std::size_t len,
                                                 std::size_t pos) {
  std::vector<std::string> labels;
  std::size_t wire = 1;
  for (long hops = 0; hops <= 65535;) {
    if (pos >= len) return std::nullopt;
    unsigned b = d[pos];
    if (b == 0) return labels;
    if ((b & 0xC0) == 0xC0) {
      if (pos + 1 >= len) return std::nullopt;
      pos = ((b & 0x3F) << 8) | d[pos + 1];
      ++hops;
      continue;
    }
    if (b > 63 || pos + 1 + b > len) return std::nullopt;
    labels.emplace_back(reinterpret_cast<const char*>(d + pos + 1), b);
    wire += 1 + b;
    if (wire > 255) return std::nullopt;
    pos += 1 + b;
  }
  return std::nullopt;
}

// The question section's single entry, when the message has one we can read.
std::optional<Question> questionOf(const std::uint8_t* d, std::size_t len) {
  if (len < 12 || get16(d + 4) != 1) return std::nullopt;
  auto labels = readName(d, len, 12);
  if (!labels) return std::nullopt;
  auto name = DnsName::fromLabels(*labels);
  std::size_t end = skipName(d, len, 12);
  if (!name || end == kNoEnd || end + 4 > len) return std::nullopt;
  Question q;
  q.name = *name;
  q.type = static_cast<RRType>(get16(d + end));
  return q;
}

// The independent validity oracle: what must be true of a message that yields evidence.
void requireValidMessage(const Question& q, std::uint16_t id, const std::uint8_t* d,
                         std::size_t len, Outcome outcome) {
  FUZZ_CHECK(len >= 12 && len <= 65535, "evidence from a message of impossible size");
  unsigned flags = get16(d + 2);
  FUZZ_CHECK((flags & 0x8000) != 0, "evidence from a message with QR=0");
  FUZZ_CHECK(((flags >> 11) & 0xF) == 0, "evidence from a non-QUERY opcode");
  FUZZ_CHECK((flags & 0x0200) == 0, "evidence from a truncated (TC=1) message");
  unsigned rcode = flags & 0xF;
  FUZZ_CHECK(rcode == 0 || rcode == 3, "evidence from an error rcode");
  FUZZ_CHECK((rcode == 3) == (outcome == Outcome::NxDomain), "NXDOMAIN outcome without rcode 3");
  FUZZ_CHECK(get16(d) == id, "evidence from a message with another ID");
  FUZZ_CHECK(get16(d + 4) == 1, "evidence from a message without exactly one question");
  auto asked = questionOf(d, len);
  FUZZ_CHECK(asked && asked->name == q.name && asked->type == q.type,
             "evidence from a message for another question");
  std::size_t qend = skipName(d, len, 12);
  FUZZ_CHECK(get16(d + qend + 2) == 1, "evidence from a question of another class");
  // The sections, walked by their header counts, must end exactly at the message's end.
  std::size_t pos = qend + 4;
  std::size_t rrs = std::size_t{get16(d + 6)} + get16(d + 8) + get16(d + 10);
  for (std::size_t i = 0; i < rrs; ++i) {
    pos = skipName(d, len, pos);
    FUZZ_CHECK(pos != kNoEnd && pos + 10 <= len, "evidence from a message whose records overrun it");
    pos += 10 + get16(d + pos + 8);
    FUZZ_CHECK(pos <= len, "evidence from a message whose RDATA overruns it");
  }
  FUZZ_CHECK(pos == len, "evidence from a message with trailing octets");
}

void requireSafeRecord(const Record& r) {
  FUZZ_CHECK(!r.name.isEmpty(), "a record without an owner");
  FUZZ_CHECK(terminalSafe(r.data), "record data unsafe for a terminal: " + r.name.toString());
  FUZZ_CHECK(terminalSafe(r.name.toString()), "owner name unsafe for a terminal");
  if (!r.target.isEmpty()) FUZZ_CHECK(terminalSafe(r.target.toString()), "target unsafe");
}

void requireConsistent(const Question& q, const std::string& server, const WireAnswer& w) {
  const Observation& o = w.obs;
  FUZZ_CHECK(o.question == q, "the observation names another question");
  FUZZ_CHECK(o.server == server, "the observation names another server");
  FUZZ_CHECK(terminalSafe(o.detail), "detail unsafe for a terminal: " + o.detail);
  for (const auto* list : {&o.answer, &o.chain, &w.authority, &w.additional})
    for (const auto& r : *list) requireSafeRecord(r);
  FUZZ_CHECK(o.chain.size() <= kMaxCnameChain, "a CNAME chain over the limit was followed");
  DnsName current = q.name;
  std::vector<DnsName> seen{current};
  for (const auto& c : o.chain) {
    FUZZ_CHECK(c.type == RRType::CNAME && c.name == current, "a broken CNAME chain");
    current = c.target;
    for (const auto& s : seen) FUZZ_CHECK(s != current, "a CNAME loop was followed as a chain");
    seen.push_back(current);
  }
  switch (o.outcome) {
    case Outcome::Answer:
      FUZZ_CHECK(!o.answer.empty(), "an Answer without records");
      for (const auto& r : o.answer) {
        FUZZ_CHECK(r.type == q.type || q.type == RRType::ANY, "an answer record of another type");
        FUZZ_CHECK(r.name == current, "an answer record off the CNAME chain");
        FUZZ_CHECK(r.ttl == o.answer.front().ttl, "an RRset with more than one TTL");
      }
      FUZZ_CHECK(!o.negativeTtl, "an Answer with a negative TTL");
      break;
    case Outcome::NoData:
    case Outcome::NxDomain:
      FUZZ_CHECK(o.answer.empty(), "a negative answer with records");
      FUZZ_CHECK(o.negativeTtl.has_value(), "a negative answer without an SOA's negative TTL");
      break;
    default:
      FUZZ_CHECK(o.answer.empty(), "a failure carrying an answer");
      FUZZ_CHECK(!o.negativeTtl, "a failure carrying a negative TTL");
      FUZZ_CHECK(!o.detail.empty() || o.outcome == Outcome::Timeout, "a failure without detail");
      break;
  }
}

void classifyAndCheck(const Question& q, std::uint16_t id, const std::uint8_t* data,
                      std::size_t size) {
  const std::string server = "127.0.0.1:53";
  WireAnswer w = classifyResponse(q, id, data, size, server);
  requireConsistent(q, server, w);
  if (isEvidence(w.obs.outcome)) requireValidMessage(q, id, data, size, w.obs.outcome);
  if (w.tc) FUZZ_CHECK(!isEvidence(w.obs.outcome), "a truncated message taken as evidence");
  WireAnswer again = classifyResponse(q, id, data, size, server);
  FUZZ_CHECK(again.obs.outcome == w.obs.outcome && again.obs.detail == w.obs.detail &&
                 again.obs.answer.size() == w.obs.answer.size(),
             "classification is not deterministic");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto own = questionOf(data, size)) classifyAndCheck(*own, get16(data), data, size);
  Question fixed;
  fixed.name = *DnsName::parse("contoso.com.");
  fixed.type = RRType::MX;
  classifyAndCheck(fixed, kFixedId, data, size);
  return 0;
}
