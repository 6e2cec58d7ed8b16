#include "core/dns_name.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace offboard {
namespace {

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void setError(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

bool checkLimits(const std::vector<std::string>& labels, std::string* error) {
  std::size_t wire = 1;
  for (const auto& l : labels) {
    if (l.empty()) {
      setError(error, "empty label");
      return false;
    }
    if (l.size() > DnsName::kMaxLabel) {
      setError(error, "label longer than 63 octets");
      return false;
    }
    wire += l.size() + 1;
  }
  if (wire > DnsName::kMaxWire) {
    setError(error, "name longer than 255 octets");
    return false;
  }
  return true;
}

// Octets a label shows as they are in presentation format; all others are escaped.
constexpr std::array<bool, 256> kPlainOctets = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                     c == '-' || c == '_' || (c >= 'A' && c <= 'Z') || c == '*';
  }
  return t;
}();

bool plainOctet(unsigned char c) { return kPlainOctets[c]; }

// Lower-cases ASCII in place over a whole wire-form buffer. Length octets (0-63) are below 'A'
// and so untouched, which lets one flat loop do every label at once.
static_assert(DnsName::kMaxLabel < 'A');
// Eight octets at a time: an octet below 0x80 gets 0x20 added when it is 'A'..'Z' (the high bit
// of x + (0x80 - 'A') is set from 'A' on, that of x + (0x80 - 'Z' - 1) from past 'Z' on; seven
// bits each, so no sum carries into the next octet); octets from 0x80 on stay as they are.
void lowerWire(char* wire, std::size_t n) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x80 * kOnes;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x;
    std::memcpy(&x, wire + i, 8);
    const std::uint64_t low7 = x & ~kHigh;
    const std::uint64_t fromA = low7 + (0x80 - 'A') * kOnes;
    const std::uint64_t pastZ = low7 + (0x80 - 'Z' - 1) * kOnes;
    const std::uint64_t upper = fromA & ~pastZ & ~x & kHigh;
    x |= upper >> 2;
    std::memcpy(wire + i, &x, 8);
  }
  for (; i < n; ++i) wire[i] = lowerAscii(wire[i]);
}

}  // namespace

void DnsName::setWire(const char* p, std::size_t n) {
  size_ = static_cast<std::uint8_t>(n);
  if (n <= kInline) {
    std::memcpy(inline_, p, n);
    return;
  }
  char* h = new char[n];
  std::memcpy(h, p, n);
  std::memcpy(inline_, &h, sizeof h);
}

void DnsName::copyFrom(const DnsName& o) {
  if (o.onHeap()) {
    setWire(o.heap(), o.size_);
  } else {
    size_ = o.size_;
    std::memcpy(inline_, o.inline_, kInline);
  }
}

DnsName DnsName::root() {
  DnsName n;
  n.valid_ = true;
  return n;
}

std::optional<DnsName> DnsName::parse(std::string_view text, std::string* error) {
  if (text.empty()) {
    setError(error, "empty name");
    return std::nullopt;
  }
  if (text == ".") return root();
  std::vector<std::string> labels;
  std::string cur;
  bool sawLabelEnd = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    sawLabelEnd = false;
    if (c == '.') {
      if (cur.empty()) {
        setError(error, "empty label");
        return std::nullopt;
      }
      labels.push_back(std::move(cur));
      cur.clear();
      sawLabelEnd = true;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        setError(error, "dangling backslash");
        return std::nullopt;
      }
      char n = text[i + 1];
      if (n >= '0' && n <= '9') {
        if (i + 3 >= text.size()) {
          setError(error, "short \\DDD escape");
          return std::nullopt;
        }
        int v = 0;
        for (int k = 1; k <= 3; ++k) {
          char d = text[i + k];
          if (d < '0' || d > '9') {
            setError(error, "bad \\DDD escape");
            return std::nullopt;
          }
          v = v * 10 + (d - '0');
        }
        if (v > 255) {
          setError(error, "\\DDD escape above 255");
          return std::nullopt;
        }
        cur.push_back(static_cast<char>(v));
        i += 3;
      } else {
        cur.push_back(n);
        i += 1;
      }
      if (cur.size() > kMaxLabel) {
        setError(error, "label longer than 63 octets");
        return std::nullopt;
      }
      continue;
    }
    cur.push_back(c);
    if (cur.size() > kMaxLabel) {
      setError(error, "label longer than 63 octets");
      return std::nullopt;
    }
  }
  if (!sawLabelEnd) {
    if (cur.empty()) {
      setError(error, "empty label");
      return std::nullopt;
    }
    labels.push_back(std::move(cur));
  }
  return fromLabels(std::move(labels), error);
}

std::optional<DnsName> DnsName::fromLabels(std::vector<std::string> labels, std::string* error) {
  if (!checkLimits(labels, error)) return std::nullopt;
  DnsName n;
  n.valid_ = true;
  char wire[kMaxWire];
  std::size_t size = 0;
  for (const auto& l : labels) {
    wire[size++] = static_cast<char>(l.size());
    for (char c : l) wire[size++] = lowerAscii(c);
  }
  n.setWire(wire, size);
  return n;
}

std::optional<DnsName> DnsName::fromWire(std::span<const std::uint8_t> wire, std::string* error) {
  std::size_t i = 0;
  while (i < wire.size()) {
    const std::uint8_t len = wire[i];
    if (len == 0) {
      if (i + 1 != wire.size()) {
        setError(error, "data after the root label");
        return std::nullopt;
      }
      if (i + 1 > kMaxWire) {
        setError(error, "name longer than 255 octets");
        return std::nullopt;
      }
      DnsName n;
      n.valid_ = true;
      char lower[kMaxWire];
      std::memcpy(lower, wire.data(), i);
      lowerWire(lower, i);
      n.setWire(lower, i);
      return n;
    }
    if (len > kMaxLabel) {
      setError(error, "label longer than 63 octets (or a compression pointer)");
      return std::nullopt;
    }
    if (i + 1 + len > wire.size()) break;
    i += 1 + len;
  }
  setError(error, "truncated name");
  return std::nullopt;
}

std::size_t DnsName::labelCount() const {
  const std::string_view w = wireLabels();
  std::size_t n = 0;
  for (std::size_t i = 0; i < w.size(); i += 1 + static_cast<std::uint8_t>(w[i])) ++n;
  return n;
}

std::vector<std::string> DnsName::labels() const {
  const std::string_view w = wireLabels();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < w.size(); i += 1 + static_cast<std::uint8_t>(w[i]))
    out.emplace_back(w.substr(i + 1, static_cast<std::uint8_t>(w[i])));
  return out;
}

bool DnsName::isPartOf(const DnsName& zone) const {
  if (!valid_ || !zone.valid_) return false;
  const std::string_view w = wireLabels(), z = zone.wireLabels();
  if (z.size() > w.size()) return false;
  // Step over whole labels until what is left is as long as the zone: a match must start on
  // a label boundary.
  std::size_t i = 0;
  while (w.size() - i > z.size()) i += 1 + static_cast<std::uint8_t>(w[i]);
  return w.size() - i == z.size() && w.substr(i) == z;
}

DnsName DnsName::parent() const {
  if (!valid_ || size_ == 0) return DnsName();
  const std::string_view w = wireLabels();
  const std::size_t skip = 1 + static_cast<std::uint8_t>(w[0]);
  DnsName p;
  p.valid_ = true;
  p.setWire(w.data() + skip, w.size() - skip);
  return p;
}

std::optional<DnsName> DnsName::prepend(std::string_view label) const {
  return prepend(std::span<const std::string_view>(&label, 1));
}

std::optional<DnsName> DnsName::prepend(std::span<const std::string_view> labels) const {
  if (!valid_) return std::nullopt;
  std::size_t size = size_;
  for (auto l : labels) {
    if (l.empty() || l.size() > kMaxLabel) return std::nullopt;
    size += 1 + l.size();
  }
  if (size + 1 > kMaxWire) return std::nullopt;
  char wire[kMaxWire];
  std::size_t at = 0;
  for (auto l : labels) {
    wire[at++] = static_cast<char>(l.size());
    std::memcpy(wire + at, l.data(), l.size());
    at += l.size();
  }
  lowerWire(wire, at);                        // the new labels only:
  std::memcpy(wire + at, wireData(), size_);  // *this is lower-case already
  DnsName n;
  n.valid_ = true;
  n.setWire(wire, size);
  return n;
}

std::vector<std::string> DnsName::labelsBelow(const DnsName& origin) const {
  if (!isPartOf(origin)) return {};
  const std::string_view w = wireLabels();
  std::vector<std::string> out;
  const std::size_t end = w.size() - origin.size_;
  for (std::size_t i = 0; i < end; i += 1 + static_cast<std::uint8_t>(w[i]))
    out.emplace_back(w.substr(i + 1, static_cast<std::uint8_t>(w[i])));
  return out;
}

bool DnsName::equalsWire(std::span<const std::uint8_t> wire) const {
  // Same octets, the final zero octet included: then wire is a well-formed name (it matches
  // one), and since the length octets agree, a case-folded compare of the rest is exact.
  if (!valid_ || wire.size() != std::size_t{size_} + 1 || wire.back() != 0) return false;
  const char* own = wireData();
  // Servers echo the name as it was asked, and offboard asks in lower case: the same octets.
  if (std::memcmp(wire.data(), own, size_) == 0) return true;
  for (std::size_t i = 0; i < size_; ++i) {
    if (lowerAscii(static_cast<char>(wire[i])) != own[i]) return false;
  }
  return true;
}

std::string DnsName::toString() const {
  std::string out;
  appendTo(out);
  return out;
}

bool DnsName::appendTo(std::string& out) const {
  if (!valid_) return true;
  if (size_ == 0) {
    out.push_back('.');
    return true;
  }
  const std::string_view w = wireLabels();
  // Every label plain (as nearly all are): the presentation form is the wire form with each
  // length octet a dot after its label, written with one resize and one copy.
  bool allPlain = true;
  for (std::size_t i = 0; i < w.size() && allPlain; i += 1 + static_cast<std::uint8_t>(w[i])) {
    const std::size_t len = static_cast<std::uint8_t>(w[i]);
    for (std::size_t j = 1; j <= len; ++j) allPlain &= plainOctet(static_cast<unsigned char>(w[i + j]));
  }
  if (allPlain) {
    const std::size_t at = out.size();
    out.resize(at + w.size());
    char* p = out.data() + at;
    std::memcpy(p, w.data() + 1, w.size() - 1);
    for (std::size_t i = 0; i < w.size(); i += 1 + static_cast<std::uint8_t>(w[i]))
      p[i + static_cast<std::uint8_t>(w[i])] = '.';
    return true;
  }
  // Some octet is not plain: it goes out escaped, with a backslash.
  out.reserve(out.size() + w.size() + 8);
  for (std::size_t i = 0; i < w.size();) {
    const std::size_t len = static_cast<std::uint8_t>(w[i]);
    const char* label = w.data() + i + 1;
    bool plain = true;
    for (std::size_t j = 0; j < len; ++j) plain &= plainOctet(static_cast<unsigned char>(label[j]));
    if (plain) {
      out.append(label, len);
    } else {
      for (std::size_t j = 0; j < len; ++j) {
        const auto c = static_cast<unsigned char>(label[j]);
        if (plainOctet(c)) {
          out.push_back(static_cast<char>(c));
        } else if (c == '.' || c == '\\') {
          out.push_back('\\');
          out.push_back(static_cast<char>(c));
        } else {
          out.push_back('\\');
          out.push_back(static_cast<char>('0' + c / 100));
          out.push_back(static_cast<char>('0' + (c / 10) % 10));
          out.push_back(static_cast<char>('0' + c % 10));
        }
      }
    }
    out.push_back('.');
    i += 1 + len;
  }
  return false;
}

std::string DnsName::toStringNoDot() const {
  std::string s = toString();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

namespace {
// Offsets of the labels of a wire form, leftmost first (at most 127 labels fit in 255 octets).
std::size_t labelOffsets(std::string_view wire, std::array<std::uint8_t, 128>& at) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < wire.size(); i += 1 + static_cast<std::uint8_t>(wire[i]))
    at[n++] = static_cast<std::uint8_t>(i);
  return n;
}
}  // namespace

bool operator<(const DnsName& a, const DnsName& b) {
  if (a.valid_ != b.valid_) return !a.valid_;
  std::array<std::uint8_t, 128> oa, ob;
  const std::string_view wa = a.wireLabels(), wb = b.wireLabels();
  std::size_t na = labelOffsets(wa, oa), nb = labelOffsets(wb, ob);
  for (std::size_t k = 1; k <= na && k <= nb; ++k) {
    std::string_view la = wa.substr(oa[na - k] + 1, static_cast<std::uint8_t>(wa[oa[na - k]]));
    std::string_view lb = wb.substr(ob[nb - k] + 1, static_cast<std::uint8_t>(wb[ob[nb - k]]));
    if (la != lb) return la < lb;
  }
  return na < nb;
}

std::size_t DnsNameHash::operator()(const DnsName& n) const {
  std::size_t h = 1469598103934665603ull;
  for (unsigned char c : n.wireLabels()) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace offboard
