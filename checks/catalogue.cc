#include "checks/catalogue.h"

#include <array>
#include <vector>

namespace offboard {
namespace {

constexpr std::string_view kNs = "m365-dns.md §1 (change-nameservers-at-any-domain-registrar.md)";
constexpr std::string_view kMx = "m365-dns.md §2.1 (external-domain-name-system-records.md)";
constexpr std::string_view kMxIrr = "m365-dns.md §2.1 (configure-multi-geo-in-region-routing.md)";
constexpr std::string_view kMxLegacy = "m365-dns.md §2.1 (IRR doc legacy list; EOP anti-spoofing)";
constexpr std::string_view kMxDe = "m365-dns.md §2.1 (create-dns-records, o365-germany, 2020)";
constexpr std::string_view kMx21v = "m365-dns.md §2.1 (O365ITPro services-in-china pages)";
constexpr std::string_view kMxGov = "m365-dns.md §2.1 (dns-records-for-office-365-gcc-high/dod)";
constexpr std::string_view kVerif = "m365-dns.md §3.1 (verification MX; value format field-observed)";
constexpr std::string_view kSpf = "m365-dns.md §3.2 (email-authentication-spf-configure.md)";
constexpr std::string_view kAuto = "m365-dns.md §3.2 (external DNS records; create-dns-records)";
constexpr std::string_view kDkim = "m365-dns.md §3.3 (email-authentication-dkim-configure.md)";
constexpr std::string_view kTeams = "m365-dns.md §3.4 (external DNS records; create-dns-records)";
constexpr std::string_view kMdm = "m365-dns.md §3.5 (create-dns-records; Intune auto-discovery)";
constexpr std::string_view kMsoid = "m365-dns.md §3.6 (purpose-of-cname.md)";

using F = Family;
using C = Cloud;
using M = Match;

constexpr Signature kRows[] = {
    // §1 Nameservers Microsoft uses when it hosts the zone. Germany and GCC High/DoD: none
    // documented (UNVERIFIED), so none listed.
    {F::Ns, C::Worldwide, M::Exact, "ns1.bdm.microsoftonline.com", kNs, "HIGH"},
    {F::Ns, C::Worldwide, M::Exact, "ns2.bdm.microsoftonline.com", kNs, "HIGH"},
    {F::Ns, C::Worldwide, M::Exact, "ns3.bdm.microsoftonline.com", kNs, "HIGH"},
    {F::Ns, C::Worldwide, M::Exact, "ns4.bdm.microsoftonline.com", kNs, "HIGH"},
    {F::Ns, C::China21Vianet, M::Exact, "ns1.dns.partner.microsoftonline.cn", kNs, "HIGH"},
    {F::Ns, C::China21Vianet, M::Exact, "ns2.dns.partner.microsoftonline.cn", kNs, "HIGH"},
    {F::Ns, C::China21Vianet, M::Exact, "ns3.dns.partner.microsoftonline.cn", kNs, "HIGH"},
    {F::Ns, C::China21Vianet, M::Exact, "ns4.dns.partner.microsoftonline.cn", kNs, "HIGH"},
    // §2 MX exchange hosts. Matched by suffix: the per-domain token is not derivable.
    {F::Mx, C::Worldwide, M::Below, "mail.protection.outlook.com", kMx, "HIGH"},
    {F::Mx, C::Worldwide, M::Below, "mx.microsoft", kMxIrr, "HIGH"},
    {F::Mx, C::Germany, M::Below, "mail.protection.outlook.de", kMxDe, "MEDIUM"},
    {F::Mx, C::China21Vianet, M::Below, "mail.protection.partner.outlook.cn", kMx21v, "MEDIUM"},
    {F::Mx, C::UsGov, M::Below, "mail.protection.office365.us", kMxGov, "HIGH"},
    {F::Mx, C::Worldwide, M::AtOrBelow, "eo.outlook.com", kMxLegacy, "MEDIUM"},
    {F::Mx, C::Worldwide, M::Exact, "mail.messaging.microsoft.com", kMxLegacy, "MEDIUM"},
    {F::Mx, C::Worldwide, M::Exact, "mail.global.frontbridge.com", kMxLegacy, "MEDIUM"},
    // §3.1 The verification MX points into .invalid (RFC 6761) and never delivers.
    {F::VerificationMx, C::Worldwide, M::Below, "msv1.invalid", kVerif, "LOW"},
    // §3.2 SPF include domains.
    {F::SpfInclude, C::Worldwide, M::Exact, "spf.protection.outlook.com", kSpf, "HIGH"},
    {F::SpfInclude, C::Germany, M::Exact, "spf.protection.outlook.de", kMxDe, "MEDIUM"},
    {F::SpfInclude, C::China21Vianet, M::Exact, "spf.protection.partner.outlook.cn", kSpf, "HIGH"},
    {F::SpfInclude, C::UsGov, M::Exact, "spf.protection.office365.us", kSpf, "HIGH"},
    // §3.2 Autodiscover CNAME targets.
    {F::Autodiscover, C::Worldwide, M::Exact, "autodiscover.outlook.com", kAuto, "HIGH"},
    {F::Autodiscover, C::Germany, M::Exact, "autodiscover-outlook.office.de", kAuto, "MEDIUM"},
    {F::Autodiscover, C::China21Vianet, M::Exact, "autodiscover.partner.outlook.cn", kAuto, "HIGH"},
    {F::Autodiscover, C::UsGov, M::Exact, "autodiscover.office365.us", kAuto, "HIGH"},
    {F::Autodiscover, C::UsGov, M::Exact, "autodiscover-dod.office365.us", kAuto, "HIGH"},
    // §3.3 DKIM CNAME targets, old and new format (worldwide only; other clouds UNVERIFIED).
    {F::Dkim, C::Worldwide, M::Below, "onmicrosoft.com", kDkim, "HIGH"},
    {F::Dkim, C::Worldwide, M::Below, "dkim.mail.microsoft", kDkim, "HIGH"},
    // §3.6 msoid (21Vianet only).
    {F::Msoid, C::China21Vianet, M::Exact, "clientconfig.partner.microsoftonline-p.net.cn", kMsoid,
     "HIGH"},
    // §3.4 Teams / Skype for Business Online CNAME and SRV targets.
    {F::Teams, C::Worldwide, M::Below, "online.lync.com", kTeams, "HIGH"},
    {F::Teams, C::Germany, M::Below, "online.lync.de", kTeams, "MEDIUM"},
    {F::Teams, C::Germany, M::Below, "online.skype.de", kTeams, "MEDIUM"},
    {F::Teams, C::China21Vianet, M::Below, "online.partner.lync.cn", kTeams, "MEDIUM"},
    {F::Teams, C::UsGov, M::Below, "online.gov.skypeforbusiness.us", kTeams, "HIGH"},
    {F::Teams, C::UsGov, M::Below, "online.dod.skypeforbusiness.us", kTeams, "HIGH"},
    // §3.5 Intune / device registration CNAME targets.
    {F::Mdm, C::Worldwide, M::Exact, "enterpriseenrollment-s.manage.microsoft.com", kMdm, "HIGH"},
    {F::Mdm, C::Worldwide, M::Exact, "enterpriseenrollment.manage.microsoft.com", kMdm, "HIGH"},
    {F::Mdm, C::Worldwide, M::Exact, "manage.microsoft.com", kMdm, "HIGH"},
    {F::Mdm, C::UsGov, M::Exact, "enterpriseenrollment-s.manage.microsoft.us", kMdm, "HIGH"},
    {F::Mdm, C::Worldwide, M::Exact, "enterpriseregistration.windows.net", kMdm, "HIGH"},
    {F::Mdm, C::Germany, M::Exact, "enterpriseregistration.microsoftonline.de", kMdm, "MEDIUM"},
};

struct CompiledRow {
  const Signature* sig;
  DnsName name;
};

constexpr std::size_t kFamilies = static_cast<std::size_t>(Family::Mdm) + 1;

// The patterns parsed once into DnsNames and grouped by family, in table order (the table
// itself stays constexpr data); a lookup then looks only at its own family's rows.
const std::vector<CompiledRow>& compiled(Family family) {
  static const std::array<std::vector<CompiledRow>, kFamilies> rows = [] {
    std::array<std::vector<CompiledRow>, kFamilies> out;
    for (const auto& s : kRows) {
      auto n = DnsName::parse(s.pattern);
      if (n) out[static_cast<std::size_t>(s.family)].push_back({&s, std::move(*n)});
    }
    return out;
  }();
  return rows[static_cast<std::size_t>(family)];
}

bool matches(const CompiledRow& row, const DnsName& host) {
  switch (row.sig->match) {
    case Match::Exact: return host == row.name;
    case Match::Below: return host != row.name && host.isPartOf(row.name);
    case Match::AtOrBelow: return host.isPartOf(row.name);
  }
  return false;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != lower(prefix[i])) return false;
  return true;
}

std::vector<std::string_view> spfTerms(std::string_view record) {
  std::vector<std::string_view> terms;
  std::size_t i = 0;
  while (i < record.size()) {
    while (i < record.size() && record[i] == ' ') ++i;
    std::size_t j = i;
    while (j < record.size() && record[j] != ' ') ++j;
    if (j > i) terms.push_back(record.substr(i, j - i));
    i = j;
  }
  return terms;
}

}  // namespace

std::span<const Signature> catalogue() {
  return kRows;
}

const Signature* matchHost(Family family, const DnsName& host) {
  if (host.isEmpty()) return nullptr;
  for (const auto& row : compiled(family))
    if (matches(row, host)) return row.sig;
  return nullptr;
}

bool isSpfRecord(std::string_view record) {
  auto terms = spfTerms(record);
  if (terms.empty()) return false;
  std::string_view v = terms.front();
  return v.size() == 6 && startsWithNoCase(v, "v=spf1");
}

bool isVerificationTxt(std::string_view record) { return startsWithNoCase(record, "MS=ms"); }

std::vector<SpfTerm> spfQueryingTerms(std::string_view record) {
  std::vector<SpfTerm> out;
  if (!isSpfRecord(record)) return out;
  auto terms = spfTerms(record);
  std::vector<SpfTerm> redirects;  // evaluated last (RFC 7208 §6.1)
  for (std::size_t i = 1; i < terms.size(); ++i) {
    std::string_view t = terms[i];
    SpfTerm term;
    term.written = std::string(t);
    if (!t.empty() && (t[0] == '+' || t[0] == '-' || t[0] == '~' || t[0] == '?')) {
      term.negated = t[0] == '-';
      t.remove_prefix(1);
    }
    // The term's name runs to its first ':', '/' or '=' (RFC 7208 §4.6.1 / §12).
    std::size_t end = t.find_first_of(":/=");
    std::string_view name = t.substr(0, end);
    char sep = end == std::string_view::npos ? '\0' : t[end];
    auto is = [&](std::string_view n) { return name.size() == n.size() && startsWithNoCase(name, n); };
    std::string_view target;
    if (is("include") && sep == ':') {
      term.kind = SpfTerm::Kind::Include;
      target = t.substr(end + 1);
      if (target.empty() && i + 1 < terms.size()) {  // "include: spf.protection…"
        target = terms[++i];
        term.written += " " + std::string(target);
      }
    } else if (is("redirect") && sep == '=') {
      term.kind = SpfTerm::Kind::Redirect;
      term.negated = false;
      target = t.substr(end + 1);
    } else if ((is("a") || is("mx") || is("ptr")) && sep != '=') {
      term.kind = SpfTerm::Kind::Other;
    } else if (is("exists") && sep == ':') {
      term.kind = SpfTerm::Kind::Other;
    } else {
      continue;  // ip4, ip6, all, exp= and unknown modifiers cost no lookup
    }
    if (term.kind != SpfTerm::Kind::Other) {
      if (target.find('%') != std::string_view::npos) {
        term.macro = true;
      } else if (auto n = DnsName::parse(target)) {
        term.target = std::move(*n);
      }
    }
    (term.kind == SpfTerm::Kind::Redirect ? redirects : out).push_back(std::move(term));
  }
  for (auto& r : redirects) out.push_back(std::move(r));
  return out;
}

std::optional<SpfMatch> matchSpf(std::string_view record) {
  for (auto& t : spfQueryingTerms(record)) {
    if (t.kind == SpfTerm::Kind::Other || t.negated || !t.target) continue;
    if (const Signature* s = matchHost(Family::SpfInclude, *t.target))
      return SpfMatch{s, std::move(t.written)};
  }
  return std::nullopt;
}

}  // namespace offboard
