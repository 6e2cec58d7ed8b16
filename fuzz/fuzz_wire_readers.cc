// Fuzz target, differential: the two readers of a DNS message (resolvers/wire.h).
//
// classifyResponse reads the common responses itself (the direct reader) and leaves every
// other message to ldns; classifyResponseLdns gives every message to ldns. The direct reader
// is allowed only because of this target.
// Input: one DNS message as received from a server (the seeds are the classify corpus, plus
// fuzz/corpus/wire_readers/: messages at the edges of what the direct reader takes).
// Invariant: for the question the message names (with its own ID) and for a fixed question,
// with the sections kept and without, both classifications give the same WireAnswer in every
// field: outcome, detail, flags, the
// answer and chain records field by field (owner, type, TTL, presentation, target, numbers,
// TXT strings), the negative TTL. No crash or sanitizer report.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "resolvers/wire.h"
#include "tests/fakes/wire_text.h"

using namespace offboard;
using offboard::fakes::describe;

namespace {

std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

void compare(const Question& q, std::uint16_t id, const std::uint8_t* data, std::size_t size) {
  const std::string server = "192.0.2.53:53";
  for (bool keep : {false, true}) {
    WireAnswer fast = classifyResponse(q, id, data, size, server, keep);
    WireAnswer ldns = classifyResponseLdns(q, id, data, size, server, keep);
    const std::string a = describe(fast), b = describe(ldns);
    FUZZ_CHECK(a == b, "the readers disagree (sections " + std::string(keep ? "kept" : "not kept") +
                           ", direct reader " +
                           std::string(readsDirectly(data, size) ? "took" : "declined") +
                           " the message)\ndirect:\n" + a + "ldns:\n" + b);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The question section's own entry, when it is a plain name at offset 12.
  Question asked;
  std::size_t pos = 12;
  std::string labels;
  bool plain = size > 12 && get16(data + 4) >= 1;
  while (plain && pos < size && data[pos] != 0) {
    const std::uint8_t n = data[pos];
    if (n > 63 || pos + 1 + n >= size) {
      plain = false;
      break;
    }
    labels.append(reinterpret_cast<const char*>(data + pos), 1 + std::size_t{n});
    pos += 1 + std::size_t{n};
  }
  if (plain && pos + 5 <= size) {
    labels.push_back('\0');
    auto name = DnsName::fromWire(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(labels.data()), labels.size()));
    if (name) {
      asked.name = *name;
      asked.type = static_cast<RRType>(get16(data + pos + 1));
      compare(asked, get16(data), data, size);
    }
  }
  Question fixed;
  fixed.name = *DnsName::parse("contoso.com.");
  fixed.type = RRType::MX;
  compare(fixed, 0x4f42, data, size);
  return 0;
}
