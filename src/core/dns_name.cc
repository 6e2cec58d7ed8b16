#include "core/dns_name.h"

#include <algorithm>

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

bool plainOctet(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         (c >= 'A' && c <= 'Z') || c == '*';
}

}  // namespace

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
  for (auto& l : labels)
    for (auto& c : l) c = lowerAscii(c);
  DnsName n;
  n.labels_ = std::move(labels);
  n.valid_ = true;
  return n;
}

std::size_t DnsName::wireLength() const {
  std::size_t w = 1;
  for (const auto& l : labels_) w += l.size() + 1;
  return w;
}

bool DnsName::isPartOf(const DnsName& zone) const {
  if (!valid_ || !zone.valid_) return false;
  if (zone.labels_.size() > labels_.size()) return false;
  return std::equal(zone.labels_.rbegin(), zone.labels_.rend(), labels_.rbegin());
}

DnsName DnsName::parent() const {
  if (!valid_ || labels_.empty()) return DnsName();
  DnsName p;
  p.valid_ = true;
  p.labels_.assign(labels_.begin() + 1, labels_.end());
  return p;
}

std::optional<DnsName> DnsName::prepend(std::string_view label) const {
  return prepend(std::span<const std::string_view>(&label, 1));
}

std::optional<DnsName> DnsName::prepend(std::span<const std::string_view> labels) const {
  if (!valid_) return std::nullopt;
  std::vector<std::string> l;
  l.reserve(labels_.size() + labels.size());
  for (auto label : labels) l.emplace_back(label);
  l.insert(l.end(), labels_.begin(), labels_.end());
  return fromLabels(std::move(l));
}

std::vector<std::string> DnsName::labelsBelow(const DnsName& origin) const {
  if (!isPartOf(origin)) return {};
  return std::vector<std::string>(labels_.begin(),
                                  labels_.begin() + (labels_.size() - origin.labels_.size()));
}

std::string DnsName::toString() const {
  if (!valid_) return "";
  if (labels_.empty()) return ".";
  std::string out;
  out.reserve(wireLength() + 8);
  for (const auto& l : labels_) {
    for (unsigned char c : l) {
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
    out.push_back('.');
  }
  return out;
}

std::string DnsName::toStringNoDot() const {
  std::string s = toString();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  return s;
}

bool operator==(const DnsName& a, const DnsName& b) {
  return a.valid_ == b.valid_ && a.labels_ == b.labels_;
}

bool operator<(const DnsName& a, const DnsName& b) {
  if (a.valid_ != b.valid_) return !a.valid_;
  auto ia = a.labels_.rbegin(), ib = b.labels_.rbegin();
  for (; ia != a.labels_.rend() && ib != b.labels_.rend(); ++ia, ++ib) {
    if (*ia != *ib) return *ia < *ib;
  }
  return a.labels_.size() < b.labels_.size();
}

std::size_t DnsNameHash::operator()(const DnsName& n) const {
  std::size_t h = 1469598103934665603ull;
  for (const auto& l : n.labels()) {
    for (unsigned char c : l) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0x2e) * 1099511628211ull;
  }
  return h;
}

}  // namespace offboard
