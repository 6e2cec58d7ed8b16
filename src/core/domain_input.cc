#include "core/domain_input.h"

#include <idn2.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <system_error>

#include "core/i18n.h"

namespace offboard {
namespace {

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

bool isLdh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

// RFC 1123 host-name syntax on an ASCII name (already without a trailing dot).
bool checkHostSyntax(std::string_view name, std::string* error) {
  if (name.size() > 253) return fail(error, tr("is longer than 253 characters"));
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(start, dot - start);
    if (label.empty()) return fail(error, tr("has an empty label (two dots in a row, or a leading dot)"));
    if (label.size() > 63) return fail(error, tr("has a label longer than 63 characters"));
    for (char c : label) {
      if (!isLdh(c)) {
        unsigned char u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
          return fail(error, tr("contains a control character (host names allow letters, digits and hyphens)"));
        if (c == ' ') return fail(error, tr("contains a space (host names allow letters, digits and hyphens)"));
        return fail(error, trf("contains the character '{char}' (host names allow letters, digits and hyphens)",
                               fmt::arg("char", std::string(1, c))));
      }
    }
    if (label.front() == '-' || label.back() == '-')
      return fail(error, tr("has a label that starts or ends with a hyphen"));
    start = dot + 1;
  }
  return true;
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Names that can never be a custom domain of a tenant (RFC 6761 §6, RFC 6762, RFC 7686).
bool checkNotSpecialUse(const DnsName& name, std::string* error) {
  const auto& labels = name.labels();
  if (labels.size() < 2) return fail(error, tr("is a single label; a custom domain has at least two"));
  const std::string& tld = labels.back();
  static constexpr std::array<std::string_view, 5> kSpecial{"localhost", "local", "onion",
                                                            "invalid", "arpa"};
  for (auto s : kSpecial)
    if (tld == s) return fail(error, trf("is a special-use name (.{tld}) that cannot be a tenant's domain", fmt::arg("tld", s)));
  if (allDigits(tld)) return fail(error, tr("looks like an IP address, not a domain name"));
  return true;
}

}  // namespace

std::string quoteForMessage(std::string_view text) {
  std::string out;
  std::size_t shown = 0;
  for (unsigned char c : text) {
    if (shown >= 80) {
      out += "…";
      break;
    }
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++shown;
  }
  return "'" + out + "'";
}

std::optional<DomainInput> normalizeDomain(std::string_view text, std::string* error) {
  if (text.empty()) {
    fail(error, tr("is empty"));
    return std::nullopt;
  }
  if (text.size() > kMaxDomainText) {
    fail(error, tr("is longer than any domain name can be"));
    return std::nullopt;
  }
  if (text.find('\0') != std::string_view::npos) {
    fail(error, tr("contains a NUL byte"));
    return std::nullopt;
  }
  if (text == ".") {
    fail(error, tr("is the DNS root, not a domain"));
    return std::nullopt;
  }
  std::string input(text);
  if (input.back() == '.') input.pop_back();
  if (input.find(':') != std::string::npos) {
    fail(error, tr("looks like an IPv6 address, not a domain name"));
    return std::nullopt;
  }

  bool ascii = true;
  for (unsigned char c : input)
    if (c >= 0x80) ascii = false;

  std::string alabel;
  if (ascii) {
    if (!checkHostSyntax(input, error)) return std::nullopt;
    alabel = input;
    for (auto& c : alabel)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  } else {
    // Reject spaces and controls before IDNA mapping could fold them away.
    for (unsigned char c : input) {
      if (c <= 0x20 || c == 0x7f) {
        fail(error, c == ' ' ? tr("contains a space") : tr("contains a control character"));
        return std::nullopt;
      }
    }
    char* out = nullptr;
    int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()),
                            reinterpret_cast<uint8_t**>(&out),
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    std::unique_ptr<char, FreeDeleter> holder(out);
    if (rc != IDN2_OK) {
      fail(error, trf("is not a valid internationalised domain name ({reason})", fmt::arg("reason", idn2_strerror(rc))));
      return std::nullopt;
    }
    alabel = out;
    if (!checkHostSyntax(alabel, error)) return std::nullopt;
  }

  // Every label that is an A-label must decode (rejects fake "xn--" labels), and gives the
  // U-label form for display. A name without one is its own U-label form (libidn2 copies
  // other labels as they are), so only names with an "xn--" are handed to libidn2.
  std::string unicode;
  const bool anyIdn = alabel.find("xn--") != std::string::npos;
  if (anyIdn) {
    char* out = nullptr;
    int rc = idn2_to_unicode_8z8z(alabel.c_str(), &out, 0);
    std::unique_ptr<char, FreeDeleter> holder(out);
    if (rc != IDN2_OK) {
      fail(error, trf("has an invalid A-label ({reason})", fmt::arg("reason", idn2_strerror(rc))));
      return std::nullopt;
    }
    unicode = out;
    // Round trip: the U-label must map back to the same A-labels (IDNA2008 validity).
    char* back = nullptr;
    int rc2 = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(unicode.c_str()),
                             reinterpret_cast<uint8_t**>(&back),
                             IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    std::unique_ptr<char, FreeDeleter> holder2(back);
    if (rc2 != IDN2_OK || alabel != back) {
      fail(error, tr("has an A-label that is not valid IDNA2008"));
      return std::nullopt;
    }
  }

  std::string nameError;
  auto name = DnsName::parse(alabel, &nameError);
  if (!name) {
    fail(error, trf("is not a valid DNS name ({reason})", fmt::arg("reason", nameError)));
    return std::nullopt;
  }
  if (!checkNotSpecialUse(*name, error)) return std::nullopt;
  DomainInput result{std::move(*name), {}};
  if (anyIdn && unicode != alabel) result.unicode = unicode;
  return result;
}

LineRead readDomainLine(std::istream& in, std::string* line, std::string* error) {
  line->clear();
  std::streambuf* buf = in.rdbuf();
  if (!buf || in.bad()) {
    if (error) *error = tr("the input could not be read");
    return LineRead::Failed;
  }
  if (!in.good()) return LineRead::End;
  bool any = false, comment = false, tooLong = false;
  // The stream buffer is read directly (sbumpc is inline while its buffer holds octets): an
  // istream operation would turn a read error into badbit and lose what the error was.
  try {
    for (;;) {
      const int c = buf->sbumpc();
      if (c == std::char_traits<char>::eof()) {
        in.setstate(std::ios::eofbit);
        if (!any) return LineRead::End;
        break;
      }
      any = true;
      if (c == '\n') break;
      if (comment) continue;
      if (c == '#') {
        comment = true;
      } else if (line->size() < kMaxDomainText) {
        line->push_back(static_cast<char>(c));
      } else {
        tooLong = true;
      }
    }
  } catch (const std::system_error& e) {
    if (error) *error = e.code().message();
    in.setstate(std::ios::badbit);
    return LineRead::Failed;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    in.setstate(std::ios::badbit);
    return LineRead::Failed;
  }
  return tooLong ? LineRead::TooLong : LineRead::Line;
}

}  // namespace offboard
