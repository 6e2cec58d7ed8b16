#include "render/report_json.h"

#include <nlohmann/json.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "checks/mta_sts.h"
#include "core/append.h"
#include "render/check_render.h"

namespace offboard {
namespace {

// What a JSON string needs for each octet: 0 nothing (printable ASCII), 1 a backslash before it
// (`"` and `\`), 2 nlohmann's escaping (control octets, DEL, anything not ASCII).
constexpr std::array<std::uint8_t, 256> kJsonOctet = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] = (c < 0x20 || c >= 0x7f) ? 2 : (c == '"' || c == '\\') ? 1 : 0;
  }
  return t;
}();

// True when one of the eight octets of `x` is below 0x20, at or above 0x7f, '"' or '\\': one that
// kJsonOctet marks. Exact as a whole (the subtractions borrow across octets only from an octet
// that is itself marked); the octet loop then says which.
bool wordNeedsEscape(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x80 * kOnes;
  auto hasZero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const std::uint64_t below20 = (x - 0x20 * kOnes) & ~x & kHigh;
  return ((x & kHigh) | below20 | hasZero(x ^ (0x7f * kOnes)) | hasZero(x ^ ('"' * kOnes)) |
          hasZero(x ^ ('\\' * kOnes))) != 0;
}

// Where the octets kJsonOctet marks may begin: every octet of `s` before the returned offset is
// plain. Sixteen octets at a time with SSE2 (every x86-64 has it), then eight, while they are all
// plain, as most strings are.
std::size_t plainPrefix(std::string_view s) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i below = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    // A signed comparison: octets from 0x80 up are negative, so "below 0x20" takes them too.
    const __m128i marked = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(v, below), _mm_cmpeq_epi8(v, del)),
                                        _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    if (_mm_movemask_epi8(marked) != 0) return i;
  }
#endif
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    if (wordNeedsEscape(x)) break;
  }
  return i;
}

// Strings of printable ASCII are written here, with `"` and `\` escaped as JSON (and nlohmann)
// escape them; any other string is handed to nlohmann's own escaping, so the rare hard cases
// (control octets as \u0007, UTF-8 kept, invalid UTF-8 as U+FFFD) are nlohmann's by
// construction rather than by imitation.
void appendJsonString(std::string& out, std::string_view s) {
  std::uint8_t need = 0;
  for (std::size_t i = plainPrefix(s); i < s.size(); ++i)
    need |= kJsonOctet[static_cast<unsigned char>(s[i])];
  if (need >= 2) {
    out += nlohmann::ordered_json(std::string(s))
               .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    return;
  }
  if (need == 0) {
    // One resize for the quotes and the octets: no capacity check per character.
    const std::size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* p = out.data() + at;
    *p = '"';
    std::memcpy(p + 1, s.data(), s.size());
    p[s.size() + 1] = '"';
    return;
  }
  out.push_back('"');
  {
    std::size_t from = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (kJsonOctet[static_cast<unsigned char>(s[i])] == 0) continue;
      out.append(s.data() + from, i - from);
      out.push_back('\\');
      from = i;  // the octet itself goes out with the next run
    }
    out.append(s.data() + from, s.size() - from);
  }
  out.push_back('"');
}

// One of this program's own identifiers as a JSON string (a verdict, severity, finding id,
// cloud or record type name: letters, digits, '-' and '_', which JSON leaves as they are),
// without the scan appendJsonString makes of text from elsewhere. unit_scan_json checks that
// each of them is what nlohmann writes for it.
void appendIdentifier(std::string& out, std::string_view id) {
  const std::size_t at = out.size();
  out.resize(at + id.size() + 2);
  char* p = out.data() + at;
  *p = '"';
  std::memcpy(p + 1, id.data(), id.size());
  p[id.size() + 1] = '"';
}

// A record type's name: the mnemonic in place, TYPE123 (RFC 3597) for the others.
void appendTypeName(std::string& out, RRType t) {
  if (std::string_view name = knownRrTypeName(t); !name.empty()) return appendIdentifier(out, name);
  appendIdentifier(out, rrTypeName(t));
}

// A name as a JSON string: its presentation form is printable ASCII, so it is written in place
// unless it holds a backslash (an escaped octet), which JSON must escape in turn.
void appendJsonName(std::string& out, const DnsName& name) {
  const std::size_t at = out.size();
  out.push_back('"');
  if (name.appendTo(out)) {  // no escape: JSON leaves the text as it is
    out.push_back('"');
    return;
  }
  out.resize(at);
  appendJsonString(out, name.toString());
}

// Objects and arrays laid out as nlohmann's dump() lays them out. Compact: `{"k":v,"k":v}`.
// Pretty (dump(2)): each member on its own line, one step (two spaces) deeper than its
// container, as `"k": v`, members separated by `,` and a line break, the closing bracket on a
// line of its own at the container's indent. An empty object or array is `{}` or `[]` in
// both: nlohmann writes no line break into one (a domain with no delegation side seen, no
// record or no finding writes one).
class JsonLayout {
 public:
  JsonLayout(std::string& out, bool pretty) : out_(out), pretty_(pretty) {}

  std::string& out() { return out_; }

  // Opens an object ('{') or an array ('[') as the value just started.
  void open(char bracket) {
    out_.push_back(bracket);
    ++depth_;
    empty_ = true;
  }
  // Closes the innermost container with '}' or ']'.
  void close(char bracket) {
    --depth_;
    if (pretty_ && !empty_) newline();
    out_.push_back(bracket);
    // The container closed was a member of the one around it, which is therefore not empty.
    empty_ = false;
  }
  // Starts the next element of the innermost array.
  void element() {
    if (!empty_) out_.push_back(',');
    empty_ = false;
    if (pretty_) newline();
  }
  // Starts the next member of the innermost object: `"key":` (a literal of this file, plain
  // ASCII, so not escaped), then a space when pretty. Compact, the comma goes out in the same
  // write as the key: a scan line has dozens of keys, and a write of its own made the writer
  // 7% more instructions (callgrind, scan's report of a domain on Microsoft 365). The key's
  // length is known where it is written, so `,"key":` is put together with stores of known
  // size and appended in one call: about half the instructions of the resize (which fills)
  // and the copy of unknown length it replaced (callgrind, a 2,000-domain scan: 8M fewer).
  template <std::size_t N>
  void key(const char (&k)[N]) {
    static_assert(N > 1, "a key is a non-empty literal");
    char text[N + 3];
    text[0] = ',';
    text[1] = '"';
    std::memcpy(text + 2, k, N - 1);
    text[N + 1] = '"';
    text[N + 2] = ':';
    const std::size_t skip = begin() ? 1 : 0;
    out_.append(text + skip, N + 3 - skip);
    if (pretty_) out_.push_back(' ');
  }

 private:
  // A member starts: true when no comma goes before it (the first of its object, or pretty,
  // where element() has written the comma and the line break).
  bool begin() {
    const bool first = pretty_ || empty_;
    if (pretty_) element();
    empty_ = false;
    return first;
  }

  void newline() {
    out_.push_back('\n');
    out_.append(2 * depth_, ' ');
  }

  std::string& out_;
  bool pretty_;
  std::size_t depth_ = 0;
  bool empty_ = true;  // the innermost container has no member yet
};

void appendCloud(std::string& out, Cloud c) {
  if (c == Cloud::None) out += "null";
  else appendIdentifier(out, cloudName(c));
}

void appendNames(JsonLayout& j, const std::vector<DnsName>& names) {
  j.open('[');
  for (const DnsName& n : names) {
    j.element();
    appendJsonName(j.out(), n);
  }
  j.close(']');
}

// A delegation side is written only when seen: an absent side is no key, not an empty list
// (a recursive server shows no parent side, and "no NS seen" is not "no NS").
template <std::size_t NsKey, std::size_t TtlKey>
void appendSide(JsonLayout& j, const char (&nsKey)[NsKey], const char (&ttlKey)[TtlKey],
                const std::vector<DnsName>& ns, const std::optional<std::uint32_t>& ttl) {
  j.key(nsKey);
  appendNames(j, ns);
  j.key(ttlKey);
  appendDecimal(j.out(), *ttl);
}

// "mta_sts": what the `_mta-sts` record and its policy said, present only when the domain has
// such a record. The policy's fields appear only when it was read and parsed; "error" says why
// not otherwise.
void appendMtaSts(JsonLayout& j, const MtaStsView& v) {
  std::string& out = j.out();
  j.key("mta_sts");
  j.open('{');
  j.key("record");
  appendJsonString(out, v.txt);
  j.key("id");
  appendJsonString(out, v.id);
  j.key("record_valid");
  out += v.txtValid ? "true" : "false";
  if (!v.source.empty()) {
    j.key("source");
    appendJsonString(out, v.source);
  }
  j.key("fetched");
  out += v.fetched ? "true" : "false";
  if (v.valid) {
    j.key("mode");
    appendIdentifier(out, stsModeName(v.mode));
    j.key("max_age");
    appendDecimal(out, v.maxAge);
    j.key("mx");
    j.open('[');
    for (const auto& m : v.mx) {
      j.element();
      appendJsonString(out, m);
    }
    j.close(']');
    j.key("only_m365");
    out += v.onlyM365 ? "true" : "false";
  } else {
    j.key("error");
    appendJsonString(out, v.error);
  }
  j.close('}');
}

void appendReport(JsonLayout& j, const DomainReport& r) {
  std::string& out = j.out();
  j.open('{');
  j.key("domain");
  appendJsonString(out, r.domain.toStringNoDot());
  if (!r.unicode.empty()) {
    j.key("domain_unicode");
    appendJsonString(out, r.unicode);
  }
  j.key("verdict");
  appendIdentifier(out, verdictName(r.verdict));
  j.key("cloud");
  appendCloud(out, r.cloud);
  j.key("delegation");
  j.open('{');
  if (r.delegation.parentSeen)
    appendSide(j, "parent_ns", "parent_ttl", r.delegation.parentNs, r.delegation.parentTtl);
  if (r.delegation.childSeen)
    appendSide(j, "child_ns", "child_ttl", r.delegation.childNs, r.delegation.childTtl);
  j.close('}');
  j.key("records");
  j.open('[');
  for (const Record& rec : r.records) {
    j.element();
    j.open('{');
    j.key("name");
    appendJsonName(out, rec.name);
    j.key("type");
    appendTypeName(out, rec.type);
    j.key("ttl");
    appendDecimal(out, rec.ttl);
    j.key("data");
    appendJsonString(out, rec.data);
    j.close('}');
  }
  j.close(']');
  j.key("findings");
  j.open('[');
  for (const Finding& f : r.findings) {
    j.element();
    j.open('{');
    j.key("id");
    appendIdentifier(out, findingIdName(f.id));
    j.key("severity");
    appendIdentifier(out, severityName(f.severity));
    j.key("cloud");
    appendCloud(out, f.cloud);
    j.key("name");
    appendJsonName(out, f.name);
    j.key("type");
    appendTypeName(out, f.type);
    j.key("data");
    appendJsonString(out, f.data);
    j.key("message");
    appendJsonString(out, f.message);
    if (f.ttl) {
      j.key("ttl");
      appendDecimal(out, *f.ttl);
    }
    if (!f.server.empty()) {
      j.key("server");
      appendJsonString(out, f.server);
    }
    j.close('}');
  }
  j.close(']');
  if (r.mtaSts) appendMtaSts(j, *r.mtaSts);
  j.close('}');
}

}  // namespace

void appendDomainJson(std::string& out, const DomainReport& r) {
  JsonLayout j(out, /*pretty=*/false);
  appendReport(j, r);
}

std::string renderCheckJson(const std::vector<DomainReport>& reports) {
  std::string out;
  JsonLayout j(out, /*pretty=*/true);
  j.open('{');
  j.key("schema");
  appendJsonString(out, "offboard.check/1");
  j.key("verdict");
  appendIdentifier(out, verdictName(overallVerdict(reports)));
  j.key("domains");
  j.open('[');
  for (const DomainReport& r : reports) {
    j.element();
    appendReport(j, r);
  }
  j.close(']');
  j.close('}');
  out.push_back('\n');
  return out;
}

}  // namespace offboard
