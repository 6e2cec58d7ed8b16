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
#include <cstring>
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
  DnsName(const DnsName& o) : valid_(o.valid_) { copyFrom(o); }
  DnsName(DnsName&& o) noexcept : valid_(o.valid_) { takeFrom(o); }
  DnsName& operator=(const DnsName& o) {
    if (this != &o) {
      release();
      valid_ = false;  // empty, not the root, should the copy fail to allocate
      copyFrom(o);
      valid_ = o.valid_;
    }
    return *this;
  }
  DnsName& operator=(DnsName&& o) noexcept {
    if (this != &o) {
      release();
      valid_ = o.valid_;
      takeFrom(o);
    }
    return *this;
  }
  ~DnsName() { release(); }

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
  bool isRoot() const { return valid_ && size_ == 0; }
  std::size_t labelCount() const;
  // The labels, leftmost first (a copy: the name is stored in wire form).
  std::vector<std::string> labels() const;
  // Octets of the uncompressed wire form (root = 1).
  std::size_t wireLength() const { return std::size_t{size_} + 1; }
  // The uncompressed wire form, lower-case, without the final zero octet (root: empty).
  std::string_view wireLabels() const { return {wireData(), size_}; }

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
  // Appends toString() to `out` (no temporary string); true when no octet needed an escape
  // (no backslash was written).
  bool appendTo(std::string& out) const;
  // As toString() without the trailing dot (root stays ".").
  std::string toStringNoDot() const;

  // Case-insensitive equality (ASCII only, RFC 4343).
  // Inline: names are compared by the hundred per domain (finding an observation, matching the
  // catalogue), and most pairs differ in length.
  friend bool operator==(const DnsName& a, const DnsName& b) {
    return a.size_ == b.size_ && a.valid_ == b.valid_ &&
           std::memcmp(a.wireData(), b.wireData(), a.size_) == 0;
  }
  friend bool operator!=(const DnsName& a, const DnsName& b) { return !(a == b); }
  // Canonical DNS ordering (RFC 4034 §6.1), case-insensitive; for maps and sets.
  friend bool operator<(const DnsName& a, const DnsName& b);

 private:
  // The wire form is kept as length-prefixed labels, ASCII lower-case, without the root's zero
  // octet (at most kMaxWire - 1 octets), so that equality is a byte comparison. Up to kInline
  // octets it lives in the object itself, as nearly every name does: a copy is then a fixed
  // copy of 64 octets, no allocation (names are copied into every question, record and
  // finding). A longer one is on the heap, its pointer in the first octets of inline_.
  static constexpr std::size_t kInline = 62;
  static_assert(kInline >= sizeof(char*));
  bool onHeap() const { return size_ > kInline; }
  char* heap() const {
    char* p;
    std::memcpy(&p, inline_, sizeof p);
    return p;
  }
  const char* wireData() const { return onHeap() ? heap() : inline_; }
  // Sets the wire form to the `n` octets at `p` (n < kMaxWire), as they are: the caller has
  // lower-cased them. Replaces no storage: only on a name that holds none (new, or released).
  void setWire(const char* p, std::size_t n);
  void copyFrom(const DnsName& o);
  void takeFrom(DnsName& o) noexcept {
    size_ = o.size_;
    std::memcpy(inline_, o.inline_, kInline);
    o.size_ = 0;  // a heap pointer now owned here
  }
  void release() noexcept {
    if (onHeap()) delete[] heap();
    size_ = 0;
  }

  char inline_[kInline] = {};
  std::uint8_t size_ = 0;
  bool valid_ = false;
};
static_assert(sizeof(DnsName) == 64);

// Hash for unordered containers (case-insensitive, consistent with operator==).
struct DnsNameHash {
  std::size_t operator()(const DnsName& n) const;
};

}  // namespace offboard
