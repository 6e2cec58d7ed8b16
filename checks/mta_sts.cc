#include "checks/mta_sts.h"

#include <algorithm>
#include <charconv>

#include "core/domain_input.h"


namespace offboard {
namespace {

bool isWsp(char c) { return c == ' ' || c == '\t'; }
bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && isWsp(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// §3.2 sts-policy-ext-name / §3.1 sts-ext-name: a letter or digit, then up to 31 letters,
// digits, "_", "-" or ".".
bool fieldName(std::string_view s) {
  if (s.empty() || s.size() > 32 || !isAlnum(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '_' || c == '-' || c == '.'; });
}

// A pattern's host name: labels of letters, digits and hyphens (a policy names mail hosts),
// at least two of them, no trailing dot.
std::optional<DnsName> patternHost(std::string_view s) {
  if (s.empty() || s.back() == '.' || s.find('.') == std::string_view::npos) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '-' || c == '.'; }))
    return std::nullopt;
  return DnsName::parse(s);
}

// The host a pattern names, and whether it is a "*." pattern.
struct Pattern {
  DnsName host;
  bool wildcard = false;
};
std::optional<Pattern> splitPattern(std::string_view p) {
  Pattern out;
  if (p.substr(0, 2) == "*.") {
    out.wildcard = true;
    p.remove_prefix(2);
  }
  auto h = patternHost(p);
  if (!h) return std::nullopt;
  out.host = *h;
  return out;
}

}  // namespace

bool isStsRecord(std::string_view txt) { return txt.substr(0, 7) == "v=STSv1"; }

StsRecord parseStsRecord(std::string_view txt) {
  StsRecord r;
  if (!isStsRecord(txt)) {
    r.error = "does not start with v=STSv1";
    return r;
  }
  std::string_view rest = txt.substr(7);
  bool first = true;
  bool sawId = false;
  while (!rest.empty()) {
    std::size_t semi = rest.find(';');
    std::string_view field = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    if (first) {
      // Right after "v=STSv1" only whitespace and the ";" may come.
      if (!field.empty()) {
        r.error = "v=STSv1 is followed by " + quoteForMessage(field) + ", not \";\"";
        return r;
      }
      if (semi == std::string_view::npos) break;
      first = false;
      continue;
    }
    if (field.empty()) {
      if (rest.empty()) break;  // the optional final ";"
      r.error = "an empty field";
      return r;
    }
    std::size_t eq = field.find('=');
    if (eq == std::string_view::npos || !fieldName(field.substr(0, eq)) || eq + 1 == field.size()) {
      r.error = "field " + quoteForMessage(field) + " is not name=value";
      return r;
    }
    std::string_view name = field.substr(0, eq), value = field.substr(eq + 1);
    if (name == "id") {
      if (sawId) {
        r.error = "more than one id";
        return r;
      }
      sawId = true;
      r.id = std::string(value);
      if (value.size() > 32 || !std::all_of(value.begin(), value.end(), isAlnum)) {
        r.error = "id " + quoteForMessage(value) + " is not 1 to 32 letters and digits";
        return r;
      }
    } else if (!std::all_of(value.begin(), value.end(),
                            [](char c) { return c >= 0x21 && c <= 0x7e && c != ';' && c != '='; })) {
      r.error = "field " + quoteForMessage(field) + " has a value §3.1 does not allow";
      return r;
    }
  }
  if (!sawId) {
    r.error = "no id";
    return r;
  }
  r.valid = true;
  return r;
}

std::string_view stsModeName(StsMode m) {
  switch (m) {
    case StsMode::Enforce: return "enforce";
    case StsMode::Testing: return "testing";
    case StsMode::None: return "none";
  }
  return "none";
}

StsPolicy parseStsPolicy(std::string_view body) {
  StsPolicy p;
  bool sawVersion = false, sawMode = false, sawMaxAge = false;
  std::size_t lineNo = 0;
  auto fail = [&](std::string why) {
    p.valid = false;
    p.error = "line " + std::to_string(lineNo) + ": " + why;
    p.mx.clear();
    return p;
  };
  while (!body.empty()) {
    ++lineNo;
    std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_of("\r\0", 0, 2) != std::string_view::npos) return fail("a control character");
    // Blank lines are not in §3.2's grammar, but a trailing one is common and harmless.
    if (trim(line).empty()) continue;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(quoteForMessage(line) + " is not key: value");
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (!fieldName(key)) return fail(quoteForMessage(key) + " is not a field name");
    if (value.empty()) return fail(std::string(key) + " has no value");
    if (!std::all_of(value.begin(), value.end(), [](char c) { return (c >= 0x21 && c <= 0x7e) || isWsp(c); }))
      return fail(std::string(key) + " has a character outside printable ASCII");
    if (key == "version") {
      if (sawVersion) return fail("version given twice");
      sawVersion = true;
      if (value != "STSv1") return fail("version is " + quoteForMessage(value) + ", not STSv1");
    } else if (key == "mode") {
      if (sawMode) return fail("mode given twice");
      sawMode = true;
      if (value == "enforce") p.mode = StsMode::Enforce;
      else if (value == "testing") p.mode = StsMode::Testing;
      else if (value == "none") p.mode = StsMode::None;
      else return fail("mode is " + quoteForMessage(value) + ", not enforce, testing or none");
    } else if (key == "max_age") {
      if (sawMaxAge) return fail("max_age given twice");
      sawMaxAge = true;
      std::uint64_t v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc{} || end != value.data() + value.size() || value.size() > 10)
        return fail("max_age " + quoteForMessage(value) + " is not a number of seconds");
      if (v > kMaxStsMaxAge) return fail("max_age " + std::string(value) + " is above 31557600");
      p.maxAge = static_cast<std::uint32_t>(v);
    } else if (key == "mx") {
      std::string pat = lower(value);
      if (!splitPattern(pat)) return fail("mx " + quoteForMessage(value) + " is not a host name or *.name");
      p.mx.push_back(std::move(pat));
    }
    // Other fields are extensions, which §3.2 says to ignore.
  }
  lineNo = 0;
  if (!sawVersion) return fail("no version");
  if (!sawMode) return fail("no mode");
  if (!sawMaxAge) return fail("no max_age");
  if (p.mode != StsMode::None && p.mx.empty()) return fail("no mx, which the mode needs");
  p.valid = true;
  return p;
}

const Signature* stsPatternSignature(std::string_view pattern) {
  auto p = splitPattern(lower(pattern));
  if (!p) return nullptr;
  if (!p->wildcard) return matchHost(Family::Mx, p->host);
  static constexpr std::string_view kLabel[] = {"offboard-pattern-probe"};
  auto below = p->host.prepend(kLabel);
  return below ? matchHost(Family::Mx, *below) : nullptr;
}

bool stsListsOnlyMicrosoft(const StsPolicy& p) {
  if (!p.valid || p.mode == StsMode::None || p.mx.empty()) return false;
  return std::all_of(p.mx.begin(), p.mx.end(), [](const std::string& m) { return stsPatternSignature(m) != nullptr; });
}

bool stsAdmits(const StsPolicy& p, const DnsName& host) {
  for (const auto& m : p.mx) {
    auto pat = splitPattern(m);
    if (!pat) continue;
    if (!pat->wildcard && host == pat->host) return true;
    if (pat->wildcard && host.isPartOf(pat->host) && host.labelsBelow(pat->host).size() == 1) return true;
  }
  return false;
}

StsPolicy policyOf(const MtaStsView& v) {
  StsPolicy p;
  p.valid = v.valid;
  p.mode = v.mode;
  p.maxAge = v.maxAge;
  p.mx = v.mx;
  return p;
}

std::string stsSummary(const std::string& id, const StsPolicy& p) {
  std::string s = "id=" + id + "; mode=" + std::string(stsModeName(p.mode)) + "; max_age=" + std::to_string(p.maxAge);
  std::string mx;
  for (const auto& m : p.mx) mx += (mx.empty() ? "" : ", ") + m;
  if (!mx.empty()) s += "; mx=" + mx;
  return s;
}

std::string stsIdOfSummary(std::string_view summary) {
  if (summary.substr(0, 3) != "id=") return {};
  summary.remove_prefix(3);
  return std::string(summary.substr(0, summary.find(';')));
}

}  // namespace offboard
