#include "core/types.h"

#include <array>
#include <utility>

namespace offboard {
namespace {

constexpr std::array<std::pair<RRType, std::string_view>, 13> kTypeNames{{
    {RRType::A, "A"},
    {RRType::NS, "NS"},
    {RRType::CNAME, "CNAME"},
    {RRType::SOA, "SOA"},
    {RRType::PTR, "PTR"},
    {RRType::MX, "MX"},
    {RRType::TXT, "TXT"},
    {RRType::AAAA, "AAAA"},
    {RRType::SRV, "SRV"},
    {RRType::OPT, "OPT"},
    {RRType::DS, "DS"},
    {RRType::DNSKEY, "DNSKEY"},
    {RRType::ANY, "ANY"},
}};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string_view knownRrTypeName(RRType t) {
  for (const auto& [type, name] : kTypeNames)
    if (type == t) return name;
  return {};
}

std::string rrTypeName(RRType t) {
  if (std::string_view name = knownRrTypeName(t); !name.empty()) return std::string(name);
  return "TYPE" + std::to_string(static_cast<unsigned>(t));
}

std::optional<RRType> rrTypeFromName(std::string_view s) {
  for (const auto& [type, name] : kTypeNames)
    if (equalsIgnoreCase(name, s)) return type;
  return std::nullopt;
}

std::string_view outcomeName(Outcome o) {
  switch (o) {
    case Outcome::Answer: return "answer";
    case Outcome::NoData: return "nodata";
    case Outcome::NxDomain: return "nxdomain";
    case Outcome::Timeout: return "timeout";
    case Outcome::ServFail: return "servfail";
    case Outcome::Refused: return "refused";
    case Outcome::FormErr: return "formerr";
    case Outcome::NotImp: return "notimp";
    case Outcome::OtherRcode: return "rcode";
    case Outcome::Unreachable: return "unreachable";
    case Outcome::Malformed: return "malformed";
    case Outcome::Lame: return "lame";
    case Outcome::CnameLoop: return "cname-loop";
    case Outcome::ChainTooLong: return "chain-too-long";
    case Outcome::NotAvailable: return "not-available";
  }
  return "unknown";
}

bool isEvidence(Outcome o) {
  return o == Outcome::Answer || o == Outcome::NoData || o == Outcome::NxDomain;
}

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::Blocker: return "blocker";
    case Severity::Required: return "required";
    case Severity::Cleanup: return "cleanup";
    case Severity::Warning: return "warning";
    case Severity::Indeterminate: return "indeterminate";
  }
  return "warning";
}

std::string_view cloudName(Cloud c) {
  switch (c) {
    case Cloud::None: return "";
    case Cloud::Worldwide: return "worldwide";
    case Cloud::UsGov: return "us-gov";
    case Cloud::China21Vianet: return "21vianet";
    case Cloud::Germany: return "germany";
  }
  return "";
}

std::string_view verdictName(Verdict v) {
  switch (v) {
    case Verdict::Clear: return "clear";
    case Verdict::Indeterminate: return "indeterminate";
    case Verdict::PointsAtM365: return "points-at-m365";
  }
  return "indeterminate";
}

Verdict worse(Verdict a, Verdict b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

}  // namespace offboard
