// The Microsoft 365 signature catalogue: which DNS values mean "this still points at Microsoft
// 365", per record family and per cloud, as data.
//
// What it is for: the single table the checks consult. Each row names its source (the
// research notes, research/m365-dns.md, which cite Microsoft's documentation), its confidence and
// the date it was last checked against that source; `offboard catalogue` prints it.
// Facts the research marks UNVERIFIED are deliberately absent (Germany's nameservers, 21Vianet
// Intune targets, GCC High / DoD nameservers): offboard does not guess. LOW rows (third-party or
// field evidence only) are kept, and a finding they produce says so.
// What it must not do: derive per-domain host names from the domain (the MX token algorithm is
// unknown for hyphens and IDNs); match on strings — every rule compares DnsNames by labels.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns_name.h"
#include "core/types.h"

namespace offboard {

// The record families of SPEC §3 that the catalogue covers.
enum class Family {
  Ns,            // delegation NS hosts
  Mx,            // MX exchange hosts (Exchange Online inbound)
  VerificationMx,// `msXXXXXXXX.msv1.invalid` verification MX
  SpfInclude,    // SPF include:/redirect= domains
  Autodiscover,  // autodiscover CNAME targets
  Dkim,          // selector1/2._domainkey CNAME targets
  Msoid,         // msoid CNAME target
  Teams,         // sip / lyncdiscover CNAME and _sip._tls / _sipfederationtls._tcp SRV targets
  VerificationTxt,   // apex TXT domain-verification values (`MS=ms…`, GoDaddy's NETORGFT…)
  AutodiscoverSrv,   // _autodiscover._tcp SRV targets
  TargetMissingDot,  // a rule, not a name: a Microsoft host with the zone appended (never
                     // matched by matchHost; checks.cc applies it with the other families)
  Mdm,           // enterpriseregistration / enterpriseenrollment CNAME targets (keep last:
                 // catalogue.cc sizes its per-family index by it)
};

enum class Match {
  Exact,      // the host equals the pattern
  Below,      // the host lies strictly below the pattern (a label boundary)
  AtOrBelow,  // either
  // The host is one label directly below the rest of the pattern, and that label is the
  // pattern's first label with its `<digits>` placeholder replaced by one or more ASCII digits
  // (case-insensitive): "NETORGFT<digits>.onmicrosoft.com".
  DigitsLabel,
  TextPrefix,  // a TXT value (the strings concatenated) starting with the pattern, any case
  Rule,        // a rule described in words, applied by checks.cc (TargetMissingDot)
};

struct Signature {
  Family family;
  Cloud cloud;
  Match match;
  std::string_view pattern;     // a DNS name in presentation form
  std::string_view source;      // where the research notes found it
  std::string_view confidence;  // HIGH / MEDIUM / LOW, as the research notes grade it
  std::string_view verified;    // YYYY-MM-DD: when the row was last checked against `source`
};

// Every row of the catalogue.
std::span<const Signature> catalogue();

// The first catalogue row of `family` that `host` matches, or nullptr (TextPrefix and Rule rows
// never match a host).
const Signature* matchHost(Family family, const DnsName& host);

// The first VerificationTxt row that the TXT value `text` (the strings concatenated) matches:
// a TextPrefix row by prefix, a name row when the whole value is that DNS name.
const Signature* matchVerificationTxt(std::string_view text);

// Stable lower-case key of a family for output ("mx", "autodiscover-srv", "target-missing-dot").
std::string_view familyKey(Family family);
// What the family's rows are matched against, for people ("MX exchange", "CNAME msoid").
std::string_view familyRecord(Family family);
// The pattern as a person reads it: "*.x" (Below), "x, *.x" (AtOrBelow), "\"MS=ms\"…" (TextPrefix),
// the pattern itself otherwise.
std::string patternText(const Signature& s);

// Microsoft 365 SPF check, RFC 7208 §4.5/§5.2/§6.1: when `record` (the TXT strings
// concatenated) is an SPF record ("v=spf1" first term, case-insensitive) returns the first
// include:/redirect= target that is a Microsoft 365 SPF domain, with the term as written.
// Tolerates "include: spf.protection.outlook.com" (a space after the colon, as Microsoft's own
// Graph examples print it). A "-include:" (fail qualifier) authorises nothing and is ignored.
struct SpfMatch {
  const Signature* signature = nullptr;
  std::string term;
};
std::optional<SpfMatch> matchSpf(std::string_view record);
// One term of an SPF record that costs a DNS lookup when evaluated (RFC 7208 §4.6.4: the
// include, a, mx, ptr and exists mechanisms and the redirect modifier), as `spfQueryingTerms`
// lists them.
struct SpfTerm {
  enum class Kind { Include, Redirect, Other };
  Kind kind = Kind::Other;
  std::string written;            // as written ("include:_spf.example", "mx/24")
  std::optional<DnsName> target;  // include/redirect: the domain, when it is a plain name
  bool macro = false;             // include/redirect target holds a macro (RFC 7208 §7)
  bool negated = false;           // "-include:": its match is a fail, it authorises nothing
};
// The DNS-querying terms of `record` (the TXT strings concatenated) in evaluation order:
// mechanisms left to right, then redirect= (RFC 7208 §6.1: applied only after every mechanism
// failed). Empty unless it is an SPF record. Accepts "include: x" as matchSpf does.
std::vector<SpfTerm> spfQueryingTerms(std::string_view record);
// The same, remembered per thread for the records read most recently (a scan reads the same
// providers' records for thousands of domains, and each domain's own record several times).
std::shared_ptr<const std::vector<SpfTerm>> spfQueryingTermsOf(std::string_view record);
// True when the TXT strings concatenated start with the SPF version term.
bool isSpfRecord(std::string_view record);
// True for a domain-verification TXT value (`MS=ms…`, NETORGFT…): matchVerificationTxt != nullptr.
bool isVerificationTxt(std::string_view record);

}  // namespace offboard
