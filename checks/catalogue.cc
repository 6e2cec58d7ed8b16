#include "checks/catalogue.h"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
constexpr std::string_view kVerifTxt = "m365-dns.md §3.1 (change-nameservers; create-dns-records)";
constexpr std::string_view kSpf = "m365-dns.md §3.2 (email-authentication-spf-configure.md)";
constexpr std::string_view kAuto = "m365-dns.md §3.2 (external DNS records; create-dns-records)";
constexpr std::string_view kDkim = "m365-dns.md §3.3 (email-authentication-dkim-configure.md)";
constexpr std::string_view kTeams = "m365-dns.md §3.4 (external DNS records; create-dns-records)";
constexpr std::string_view kMdm = "m365-dns.md §3.5 (create-dns-records; Intune auto-discovery)";
constexpr std::string_view kMsoid = "m365-dns.md §3.6 (purpose-of-cname.md)";
// §3.8: real-world zones (34 record sets, several operators) and a second reading of the docs.
constexpr std::string_view kMsoidWw = "m365-dns.md §3.8 (older registrar pages; field data 8/34)";
constexpr std::string_view kVerifOld = "m365-dns.md §3.8 (field data, several unrelated zones)";
constexpr std::string_view kGoDaddy = "m365-dns.md §3.8 (field data: GoDaddy-resold tenants)";
constexpr std::string_view kMxFope = "m365-dns.md §3.8 (Exchange Team blog, assigned DNS records, 2018)";
constexpr std::string_view kAutoSrv = "m365-dns.md §3.8 (external-domain-name-system-records.md)";
constexpr std::string_view kDkimOther = "m365-dns.md §3.8 (third-party header evidence only)";
constexpr std::string_view kMdmGov = "m365-dns.md §3.8 (Intune windows-enrollment-create-cname.md)";
constexpr std::string_view kMissingDot = "m365-dns.md §3.8 (field data; registrar trailing-dot notes)";

// The day each row was last compared with the research notes' entry for it (and that entry's
// citation). Change a row's date only after re-reading its source.
constexpr std::string_view kChecked = "2026-12-01";

using F = Family;
using C = Cloud;
using M = Match;

constexpr Signature kRows[] = {
    // §1 Nameservers Microsoft uses when it hosts the zone. Germany and GCC High/DoD: none
    // documented (UNVERIFIED), so none listed.
    {F::Ns, C::Worldwide, M::Exact, "ns1.bdm.microsoftonline.com", kNs, "HIGH", kChecked},
    {F::Ns, C::Worldwide, M::Exact, "ns2.bdm.microsoftonline.com", kNs, "HIGH", kChecked},
    {F::Ns, C::Worldwide, M::Exact, "ns3.bdm.microsoftonline.com", kNs, "HIGH", kChecked},
    {F::Ns, C::Worldwide, M::Exact, "ns4.bdm.microsoftonline.com", kNs, "HIGH", kChecked},
    {F::Ns, C::China21Vianet, M::Exact, "ns1.dns.partner.microsoftonline.cn", kNs, "HIGH", kChecked},
    {F::Ns, C::China21Vianet, M::Exact, "ns2.dns.partner.microsoftonline.cn", kNs, "HIGH", kChecked},
    {F::Ns, C::China21Vianet, M::Exact, "ns3.dns.partner.microsoftonline.cn", kNs, "HIGH", kChecked},
    {F::Ns, C::China21Vianet, M::Exact, "ns4.dns.partner.microsoftonline.cn", kNs, "HIGH", kChecked},
    // §2 MX exchange hosts. Matched by suffix: the per-domain token is not derivable.
    {F::Mx, C::Worldwide, M::Below, "mail.protection.outlook.com", kMx, "HIGH", kChecked},
    {F::Mx, C::Worldwide, M::Below, "mx.microsoft", kMxIrr, "HIGH", kChecked},
    {F::Mx, C::Germany, M::Below, "mail.protection.outlook.de", kMxDe, "MEDIUM", kChecked},
    {F::Mx, C::China21Vianet, M::Below, "mail.protection.partner.outlook.cn", kMx21v, "MEDIUM", kChecked},
    {F::Mx, C::UsGov, M::Below, "mail.protection.office365.us", kMxGov, "HIGH", kChecked},
    {F::Mx, C::Worldwide, M::AtOrBelow, "eo.outlook.com", kMxLegacy, "MEDIUM", kChecked},
    {F::Mx, C::Worldwide, M::Exact, "mail.messaging.microsoft.com", kMxLegacy, "MEDIUM", kChecked},
    {F::Mx, C::Worldwide, M::Exact, "mail.global.frontbridge.com", kMxLegacy, "MEDIUM", kChecked},
    // §3.8 Older Exchange Online / FOPE inbound hosts still found in zones (legacy worldwide).
    {F::Mx, C::Worldwide, M::Exact, "mail.global.bigfish.com", kMxFope, "MEDIUM", kChecked},
    {F::Mx, C::Worldwide, M::Exact, "mail.outlook.com", kMxFope, "MEDIUM", kChecked},
    // §3.1 The verification MX points into .invalid (RFC 6761) and never delivers; §3.8 its
    // older form under outlook.com (msNNNNNNNN.msv1.invalid.outlook.com), same meaning.
    {F::VerificationMx, C::Worldwide, M::Below, "msv1.invalid", kVerif, "LOW", kChecked},
    {F::VerificationMx, C::Worldwide, M::Below, "msv1.invalid.outlook.com", kVerifOld, "MEDIUM", kChecked},
    // §3.1 Verification TXT, every cloud (the cloud is not told by it); §3.8 GoDaddy's token for
    // the Microsoft 365 it resells.
    {F::VerificationTxt, C::None, M::TextPrefix, "MS=ms", kVerifTxt, "HIGH", kChecked},
    {F::VerificationTxt, C::Worldwide, M::DigitsLabel, "NETORGFT<digits>.onmicrosoft.com", kGoDaddy,
     "LOW", kChecked},
    // §3.2 SPF include domains.
    {F::SpfInclude, C::Worldwide, M::Exact, "spf.protection.outlook.com", kSpf, "HIGH", kChecked},
    {F::SpfInclude, C::Germany, M::Exact, "spf.protection.outlook.de", kMxDe, "MEDIUM", kChecked},
    {F::SpfInclude, C::China21Vianet, M::Exact, "spf.protection.partner.outlook.cn", kSpf, "HIGH", kChecked},
    {F::SpfInclude, C::UsGov, M::Exact, "spf.protection.office365.us", kSpf, "HIGH", kChecked},
    // §3.2 Autodiscover CNAME targets.
    {F::Autodiscover, C::Worldwide, M::Exact, "autodiscover.outlook.com", kAuto, "HIGH", kChecked},
    {F::Autodiscover, C::Germany, M::Exact, "autodiscover-outlook.office.de", kAuto, "MEDIUM", kChecked},
    {F::Autodiscover, C::China21Vianet, M::Exact, "autodiscover.partner.outlook.cn", kAuto, "HIGH", kChecked},
    {F::Autodiscover, C::UsGov, M::Exact, "autodiscover.office365.us", kAuto, "HIGH", kChecked},
    {F::Autodiscover, C::UsGov, M::Exact, "autodiscover-dod.office365.us", kAuto, "HIGH", kChecked},
    // §3.8 The _autodiscover._tcp SRV alternative: autodiscover.outlook.com "or another cloud's
    // autodiscover host" (port 443), MEDIUM as a whole.
    {F::AutodiscoverSrv, C::Worldwide, M::Exact, "autodiscover.outlook.com", kAutoSrv, "MEDIUM", kChecked},
    {F::AutodiscoverSrv, C::Germany, M::Exact, "autodiscover-outlook.office.de", kAutoSrv, "MEDIUM",
     kChecked},
    {F::AutodiscoverSrv, C::China21Vianet, M::Exact, "autodiscover.partner.outlook.cn", kAutoSrv, "MEDIUM",
     kChecked},
    {F::AutodiscoverSrv, C::UsGov, M::Exact, "autodiscover.office365.us", kAutoSrv, "MEDIUM", kChecked},
    {F::AutodiscoverSrv, C::UsGov, M::Exact, "autodiscover-dod.office365.us", kAutoSrv, "MEDIUM", kChecked},
    // §3.3 DKIM CNAME targets, old and new format (worldwide); §3.8 the us-gov and 21Vianet
    // initial-domain zones, Microsoft's own, seen only in third-party headers (LOW).
    {F::Dkim, C::Worldwide, M::Below, "onmicrosoft.com", kDkim, "HIGH", kChecked},
    {F::Dkim, C::Worldwide, M::Below, "dkim.mail.microsoft", kDkim, "HIGH", kChecked},
    {F::Dkim, C::UsGov, M::Below, "onmicrosoft.us", kDkimOther, "LOW", kChecked},
    {F::Dkim, C::China21Vianet, M::Below, "partner.onmschina.cn", kDkimOther, "LOW", kChecked},
    // §3.6 msoid for 21Vianet; §3.8 the worldwide one of older Office 365 setups (HIGH in the
    // field, MEDIUM in the docs: graded by the weaker).
    {F::Msoid, C::China21Vianet, M::Exact, "clientconfig.partner.microsoftonline-p.net.cn", kMsoid,
     "HIGH", kChecked},
    {F::Msoid, C::Worldwide, M::Exact, "clientconfig.microsoftonline-p.net", kMsoidWw, "MEDIUM", kChecked},
    // §3.4 Teams / Skype for Business Online CNAME and SRV targets.
    {F::Teams, C::Worldwide, M::Below, "online.lync.com", kTeams, "HIGH", kChecked},
    {F::Teams, C::Germany, M::Below, "online.lync.de", kTeams, "MEDIUM", kChecked},
    {F::Teams, C::Germany, M::Below, "online.skype.de", kTeams, "MEDIUM", kChecked},
    {F::Teams, C::China21Vianet, M::Below, "online.partner.lync.cn", kTeams, "MEDIUM", kChecked},
    {F::Teams, C::UsGov, M::Below, "online.gov.skypeforbusiness.us", kTeams, "HIGH", kChecked},
    {F::Teams, C::UsGov, M::Below, "online.dod.skypeforbusiness.us", kTeams, "HIGH", kChecked},
    // §3.8 A Microsoft host name with the zone appended (a relative name missing its dot).
    {F::TargetMissingDot, C::None, M::Rule, "<Microsoft 365 host>.<zone>.", kMissingDot, "HIGH",
     kChecked},
    // §3.5 Intune / device registration CNAME targets; §3.8 the no-"-s" us-gov form (LOW).
    {F::Mdm, C::Worldwide, M::Exact, "enterpriseenrollment-s.manage.microsoft.com", kMdm, "HIGH", kChecked},
    {F::Mdm, C::Worldwide, M::Exact, "enterpriseenrollment.manage.microsoft.com", kMdm, "HIGH", kChecked},
    {F::Mdm, C::Worldwide, M::Exact, "manage.microsoft.com", kMdm, "HIGH", kChecked},
    {F::Mdm, C::UsGov, M::Exact, "enterpriseenrollment-s.manage.microsoft.us", kMdm, "HIGH", kChecked},
    {F::Mdm, C::UsGov, M::Exact, "enterpriseenrollment.manage.microsoft.us", kMdmGov, "LOW", kChecked},
    {F::Mdm, C::Worldwide, M::Exact, "enterpriseregistration.windows.net", kMdm, "HIGH", kChecked},
    {F::Mdm, C::Germany, M::Exact, "enterpriseregistration.microsoftonline.de", kMdm, "MEDIUM", kChecked},
};

// The last octets of a name's wire form (up to four, in the low octets): a name can end with a
// pattern only when it ends with the pattern's last octets, a test of one word.
std::uint32_t tailOf(std::string_view wire) {
  std::uint32_t t = 0;
  for (std::size_t i = wire.size() > 4 ? wire.size() - 4 : 0; i < wire.size(); ++i)
    t = (t << 8) | static_cast<unsigned char>(wire[i]);
  return t;
}
// The octets of tailOf(wire) that are the name's (all four but for a name of fewer).
std::uint32_t tailMaskOf(std::string_view wire) {
  return wire.size() >= 4 ? ~std::uint32_t{0} : (std::uint32_t{1} << (8 * wire.size())) - 1;
}

struct CompiledRow {
  const Signature* sig;
  DnsName name;        // the pattern (DigitsLabel: the part after the first label)
  std::string prefix;  // DigitsLabel: the first label before "<digits>", lower-case
  std::uint32_t tail = tailOf(name.wireLabels());
  std::uint32_t tailMask = tailMaskOf(name.wireLabels());
  std::size_t size = name.wireLabels().size();
};

// A host as the rows are compared with it: its wire length and last octets, read once.
struct HostKey {
  const DnsName& name;
  std::size_t size = name.wireLabels().size();
  std::uint32_t tail = tailOf(name.wireLabels());
};

constexpr std::size_t kFamilies = static_cast<std::size_t>(Family::Mdm) + 1;
constexpr std::string_view kDigits = "<digits>";

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::optional<CompiledRow> compile(const Signature& s) {
  switch (s.match) {
    case Match::TextPrefix:
    case Match::Rule: return std::nullopt;
    case Match::DigitsLabel: {
      std::size_t at = s.pattern.find(kDigits);
      if (at == std::string_view::npos || s.pattern.substr(at + kDigits.size(), 1) != ".") return std::nullopt;
      auto rest = DnsName::parse(s.pattern.substr(at + kDigits.size() + 1));
      if (!rest) return std::nullopt;
      std::string prefix;
      for (char c : s.pattern.substr(0, at)) prefix += lower(c);
      return CompiledRow{&s, std::move(*rest), std::move(prefix)};
    }
    default: {
      auto n = DnsName::parse(s.pattern);
      if (!n) return std::nullopt;
      return CompiledRow{&s, std::move(*n), {}};
    }
  }
}

// The patterns parsed once into DnsNames and grouped by family, in table order (the table
// itself stays constexpr data); a lookup then looks only at its own family's rows.
const std::vector<CompiledRow>& compiled(Family family) {
  static const std::array<std::vector<CompiledRow>, kFamilies> rows = [] {
    std::array<std::vector<CompiledRow>, kFamilies> out;
    for (const auto& s : kRows)
      if (auto row = compile(s)) out[static_cast<std::size_t>(s.family)].push_back(std::move(*row));
    return out;
  }();
  return rows[static_cast<std::size_t>(family)];
}

// Every kind of row matches only a host that ends with its pattern (DigitsLabel's `name` is
// the part after the first label): most rows are ruled out by this, inline, before any call.
inline bool mayMatch(const CompiledRow& row, const HostKey& key) {
  return key.size >= row.size && (key.tail & row.tailMask) == row.tail;
}

bool matches(const CompiledRow& row, const HostKey& key) {
  if (!mayMatch(row, key)) return false;
  const DnsName& host = key.name;
  switch (row.sig->match) {
    case Match::Exact: return host == row.name;
    case Match::Below: return host != row.name && host.isPartOf(row.name);
    case Match::AtOrBelow: return host.isPartOf(row.name);
    case Match::DigitsLabel: {
      if (host.labelCount() != row.name.labelCount() + 1 || !host.isPartOf(row.name)) return false;
      std::string first = host.labels().front();  // wire form: already lower-case
      if (first.size() <= row.prefix.size() || first.compare(0, row.prefix.size(), row.prefix) != 0)
        return false;
      return std::all_of(first.begin() + static_cast<std::ptrdiff_t>(row.prefix.size()), first.end(),
                         [](char c) { return c >= '0' && c <= '9'; });
    }
    case Match::TextPrefix:
    case Match::Rule: return false;
  }
  return false;
}

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
  const HostKey key{host};
  for (const auto& row : compiled(family))
    if (mayMatch(row, key) && matches(row, key)) return row.sig;
  return nullptr;
}

bool isSpfRecord(std::string_view record) {
  // The first term, as spfTerms would split it, without splitting the rest.
  const std::size_t i = std::min(record.find_first_not_of(' '), record.size());
  const std::string_view v = record.substr(i, record.find(' ', i) - i);
  return v.size() == 6 && startsWithNoCase(v, "v=spf1");
}

const Signature* matchVerificationTxt(std::string_view text) {
  std::optional<DnsName> asName;  // parsed once, only when a name row needs it
  bool parsed = false;
  for (const auto& s : kRows) {
    if (s.family != Family::VerificationTxt) continue;
    if (s.match == Match::TextPrefix) {
      if (startsWithNoCase(text, s.pattern)) return &s;
      continue;
    }
    if (!parsed) {
      parsed = true;
      // A value that is a DNS name is a single token: spaces or escapes mean it is not one.
      if (!text.empty() && text.find_first_of(" \\\t") == std::string_view::npos)
        asName = DnsName::parse(text);
    }
    if (!asName) continue;
    const HostKey key{*asName};
    for (const auto& row : compiled(Family::VerificationTxt))
      if (row.sig == &s && matches(row, key)) return &s;
  }
  return nullptr;
}

bool isVerificationTxt(std::string_view record) { return matchVerificationTxt(record) != nullptr; }

std::string_view familyKey(Family family) {
  switch (family) {
    case Family::Ns: return "ns";
    case Family::Mx: return "mx";
    case Family::VerificationMx: return "verification-mx";
    case Family::SpfInclude: return "spf-include";
    case Family::Autodiscover: return "autodiscover";
    case Family::Dkim: return "dkim";
    case Family::Msoid: return "msoid";
    case Family::Teams: return "teams";
    case Family::VerificationTxt: return "verification-txt";
    case Family::AutodiscoverSrv: return "autodiscover-srv";
    case Family::TargetMissingDot: return "target-missing-dot";
    case Family::Mdm: return "mdm";
  }
  return "?";
}

std::string_view familyRecord(Family family) {
  switch (family) {
    case Family::Ns: return "NS host";
    case Family::Mx: return "MX exchange";
    case Family::VerificationMx: return "MX exchange (domain verification)";
    case Family::SpfInclude: return "SPF include:/redirect= domain";
    case Family::Autodiscover: return "CNAME autodiscover";
    case Family::Dkim: return "CNAME selector1/selector2._domainkey";
    case Family::Msoid: return "CNAME msoid";
    case Family::Teams: return "CNAME sip, lyncdiscover; SRV _sip._tls, _sipfederationtls._tcp";
    case Family::VerificationTxt: return "TXT at the apex (domain verification)";
    case Family::AutodiscoverSrv: return "SRV _autodiscover._tcp";
    case Family::TargetMissingDot: return "MX, NS, CNAME or SRV target (any family above)";
    case Family::Mdm: return "CNAME enterpriseenrollment, enterpriseregistration";
  }
  return "?";
}

std::string patternText(const Signature& s) {
  std::string p(s.pattern);
  switch (s.match) {
    case Match::Below: return "*." + p;
    case Match::AtOrBelow: return p + ", *." + p;
    case Match::TextPrefix: return "\"" + p + "\"...";
    default: return p;
  }
}

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

std::shared_ptr<const std::vector<SpfTerm>> spfQueryingTermsOf(std::string_view record) {
  // Two generations: a record found in the older one moves to the newer; when the newer is
  // full it becomes the older, so the records read again and again stay, and memory is bounded.
  // Looked up by the view itself (a transparent hash): the key is copied only when entered.
  struct ViewHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view v) const { return std::hash<std::string_view>{}(v); }
  };
  using Generation = std::unordered_map<std::string, std::shared_ptr<const std::vector<SpfTerm>>,
                                        ViewHash, std::equal_to<>>;
  constexpr std::size_t kPerGeneration = 512;
  thread_local Generation current, previous;
  if (auto it = current.find(record); it != current.end()) return it->second;
  std::shared_ptr<const std::vector<SpfTerm>> terms;
  if (auto it = previous.find(record); it != previous.end()) {
    terms = it->second;
  } else {
    terms = std::make_shared<const std::vector<SpfTerm>>(spfQueryingTerms(record));
  }
  if (current.size() >= kPerGeneration) {
    previous = std::move(current);
    current = Generation();
  }
  current.emplace(std::string(record), terms);
  return terms;
}

std::optional<SpfMatch> matchSpf(std::string_view record) {
  for (const auto& t : *spfQueryingTermsOf(record)) {
    if (t.kind == SpfTerm::Kind::Other || t.negated || !t.target) continue;
    if (const Signature* s = matchHost(Family::SpfInclude, *t.target))
      return SpfMatch{s, t.written};
  }
  return std::nullopt;
}

}  // namespace offboard
