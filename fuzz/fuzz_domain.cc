// Fuzz target: domain-name input (src/core/domain_input.h normalizeDomain, quoteForMessage) and
// DnsName presentation parsing (src/core/dns_name.h).
//
// Input: any bytes, as a user could type them as an argument or a scan line.
// Invariants: no crash or sanitizer report; a refusal always says why; an accepted name is a
// host name of at least two labels, lower-case LDH, within the 63/255 limits; normalisation is
// idempotent (normalising the result, or its U-label form, gives the same name) and
// case-insensitive (ASCII upper- or lower-casing the input changes nothing); quoteForMessage
// output is terminal-safe and bounded; DnsName::parse and toString are inverses.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/domain_input.h"
#include "fuzz/fuzz_support.h"

using namespace offboard;
using offboard::fuzz::terminalSafe;

namespace {

std::string asciiCase(std::string_view s, bool upper) {
  std::string out(s);
  for (auto& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void requireHostName(const DomainInput& d) {
  FUZZ_CHECK(!d.name.isEmpty() && d.name.labelCount() >= 2, "accepted a name of under two labels");
  FUZZ_CHECK(d.name.wireLength() <= DnsName::kMaxWire, "accepted a name over 255 octets");
  for (const auto& l : d.name.labels()) {
    FUZZ_CHECK(!l.empty() && l.size() <= DnsName::kMaxLabel, "accepted a label of bad length");
    FUZZ_CHECK(l.front() != '-' && l.back() != '-', "accepted a label with an edge hyphen");
    for (char c : l)
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-',
                 "accepted a label that is not lower-case LDH: " + d.name.toString());
  }
  FUZZ_CHECK(terminalSafe(d.name.toString()), "the A-label form is unsafe for a terminal");
  FUZZ_CHECK(terminalSafe(d.unicode), "the U-label form is unsafe for a terminal");
}

void requireSame(const std::optional<DomainInput>& a, const std::optional<DomainInput>& b,
                 const char* what) {
  FUZZ_CHECK(a.has_value() == b.has_value(), std::string(what) + ": accepted once, refused once");
  if (a) FUZZ_CHECK(a->name == b->name && a->unicode == b->unicode, std::string(what) + ": " +
                                                                         a->name.toString() + " vs " +
                                                                         b->name.toString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string quoted = quoteForMessage(text);
  FUZZ_CHECK(terminalSafe(quoted), "quoteForMessage let a control octet through");
  FUZZ_CHECK(quoted.size() <= 2 + 80 * 4 + 3, "quoteForMessage output is not bounded");

  std::string err;
  auto d = normalizeDomain(text, &err);
  if (!d) {
    FUZZ_CHECK(!err.empty(), "a refusal without a reason");
  } else {
    requireHostName(*d);
    // Idempotent: the A-label form (with or without the trailing dot) and the U-label form
    // normalise to the same name.
    std::string again;
    auto a = normalizeDomain(d->name.toStringNoDot(), &again);
    FUZZ_CHECK(a.has_value(), "the normalised name is refused: " + again);
    requireSame(d, a, "A-label form");
    requireSame(d, normalizeDomain(d->name.toString(), nullptr), "A-label form with the dot");
    if (!d->unicode.empty()) requireSame(d, normalizeDomain(d->unicode, nullptr), "U-label form");
  }
  // Case-insensitive (RFC 4343; UTS #46 maps ASCII upper case to lower case).
  requireSame(d, normalizeDomain(asciiCase(text, true), nullptr), "upper-cased input");
  requireSame(d, normalizeDomain(asciiCase(text, false), nullptr), "lower-cased input");

  // DnsName presentation format: parse(toString()) is the identity, and toString is safe.
  if (auto n = DnsName::parse(text)) {
    std::string shown = n->toString();
    FUZZ_CHECK(terminalSafe(shown), "DnsName::toString let a control octet through");
    auto back = DnsName::parse(shown);
    FUZZ_CHECK(back && *back == *n && back->toString() == shown, "DnsName round trip: " + shown);
    FUZZ_CHECK(n->wireLength() <= DnsName::kMaxWire, "DnsName over 255 octets");
  }
  return 0;
}
