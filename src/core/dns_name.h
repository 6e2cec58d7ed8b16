// DnsName: a DNS domain name as a sequence of labels (RFC 1034 §3.1).
//
// What it is for: every name in offboard (queried names, record owners, targets, catalogue
// suffixes) is a DnsName, never a std::string, so that comparison is label-wise and
// case-insensitive and `isPartOf` works on label boundaries only
// (`mail.protection.outlook.com.evil.example` is not part of `outlook.com`).
// What it must not do: no I/O, no IDNA (see idna.h), no knowledge of Microsoft 365.
//
// Limits live in the type: a label is 1..63 octets, the wire form of the whole name is at most
// 255 octets (RFC 1035 §2.3.4). A default-constructed DnsName is *empty* (invalid), which is
// not the root: the root is `DnsName::root()`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace offboard {

class DnsName {
 public:
  static constexpr std::size_t kMaxLabel = 63;
  static constexpr std::size_t kMaxWire = 255;

  // An empty (invalid) name; `isEmpty()` is true. Not the root.
  DnsName() = default;

  // The root name ".".
  static DnsName root();

  // Parses presentation format: labels separated by dots, trailing dot optional, `\X` and
  // `\DDD` escapes (RFC 1035 §5.1). "." and "" with allowRootText → root.
  // Returns nullopt and sets *error (when given) on empty labels, over-long labels or names,
  // bad escapes. Any octet is allowed inside a label (this is DNS, not host-name syntax).
  static std::optional<DnsName> parse(std::string_view text, std::string* error = nullptr);

  // Builds from raw labels (no escapes). Same limits as parse.
  static std::optional<DnsName> fromLabels(std::vector<std::string> labels,
                                           std::string* error = nullptr);

  // Builds from the uncompressed wire form: length-prefixed labels ending in the zero octet,
  // nothing after it. nullopt (and *error) on a compression pointer, a truncated label, data
  // after the root octet, or broken limits.
  static std::optional<DnsName> fromWire(std::span<const std::uint8_t> wire,
                                         std::string* error = nullptr);

  // True when `wire` (the uncompressed wire form, as fromWire takes it) is this very name,
  // case-insensitively: what fromWire(wire) == *this says, without building a name.
  bool equalsWire(std::span<const std::uint8_t> wire) const;

  bool isEmpty() const { return !valid_; }
  bool isRoot() const { return valid_ && wire_.empty(); }
  std::size_t labelCount() const;
  // The labels, leftmost first (a copy: the name is stored in wire form).
  std::vector<std::string> labels() const;
  // Octets of the uncompressed wire form (root = 1).
  std::size_t wireLength() const { return wire_.size() + 1; }
  // The uncompressed wire form, lower-case, without the final zero octet (root: empty).
  std::string_view wireLabels() const { return wire_; }

  // True when this name equals `zone` or lies below it, label-wise and case-insensitively.
  bool isPartOf(const DnsName& zone) const;
  // The name one label up; the root's parent is empty.
  DnsName parent() const;
  // `label.this`; nullopt when limits would be broken.
  std::optional<DnsName> prepend(std::string_view label) const;
  // `a.b.this` for labels {"a", "b"} (raw labels, no escapes, leftmost first), without a
  // text round trip; nullopt when a label is empty or limits would be broken.
  std::optional<DnsName> prepend(std::span<const std::string_view> labels) const;
  // This name relative to `origin` (labels above it removed); requires isPartOf(origin).
  std::vector<std::string> labelsBelow(const DnsName& origin) const;

  // Presentation form with the trailing dot, lower-case, and every octet that is not a
  // letter, digit, hyphen or underscore escaped as \DDD (or \. \\ for dot and backslash), so
  // that the text is safe on a terminal and parse(toString()) == *this.
  std::string toString() const;
  // Appends toString() to `out` (no temporary string).
  void appendTo(std::string& out) const;
  // As toString() without the trailing dot (root stays ".").
  std::string toStringNoDot() const;

  // Case-insensitive equality (ASCII only, RFC 4343).
  friend bool operator==(const DnsName& a, const DnsName& b);
  friend bool operator!=(const DnsName& a, const DnsName& b) { return !(a == b); }
  // Canonical DNS ordering (RFC 4034 §6.1), case-insensitive; for maps and sets.
  friend bool operator<(const DnsName& a, const DnsName& b);

 private:
  // Length-prefixed labels as on the wire, ASCII lower-case, without the root's zero octet: one
  // allocation per name (none for short ones), and equality is a byte comparison.
  std::string wire_;
  bool valid_ = false;
};

// Hash for unordered containers (case-insensitive, consistent with operator==).
struct DnsNameHash {
  std::size_t operator()(const DnsName& n) const;
};

}  // namespace offboard
