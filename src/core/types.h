// Core value types shared by resolvers, checks, planner, gate and renderers.
//
// What it is for: the vocabulary of the data flow in DESIGN.md — a Question goes to a Resolver,
// which returns an Observation (an outcome plus RRsets with TTLs); checks turn Observations into
// Findings; a DomainReport collects them with a verdict.
// What it must not do: no I/O, no clock, no library handles. DNS outcomes are values here,
// never exceptions (NXDOMAIN and NODATA are answers; timeouts and SERVFAIL are failures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns_name.h"
#include "core/ids.h"

namespace offboard {

// RR types offboard asks for or reads (RFC 1035, 2782, 3596). Other codes pass through.
enum class RRType : std::uint16_t {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  PTR = 12,
  MX = 15,
  TXT = 16,
  AAAA = 28,
  SRV = 33,
  OPT = 41,
  DS = 43,
  DNSKEY = 48,  // RFC 4034 §2
  ANY = 255,
};

// "MX", "TXT", … or "TYPE123" (RFC 3597).
std::string rrTypeName(RRType t);
// The mnemonic of the types offboard names ("MX", "TXT", …); empty for any other (which
// rrTypeName writes as TYPE123). No allocation: for writers that append it.
std::string_view knownRrTypeName(RRType t);
// Inverse of rrTypeName for the names above (case-insensitive); nullopt otherwise.
std::optional<RRType> rrTypeFromName(std::string_view s);

// One resource record, already parsed. `data` is the presentation form of the RDATA (as in a
// zone file, names with trailing dots, TXT strings quoted); the structured fields hold what the
// checks need so that nothing downstream re-parses text.
struct Record {
  DnsName name;
  RRType type = RRType::A;
  std::uint32_t ttl = 0;
  std::string data;
  // NS/CNAME/PTR target, MX exchange, SRV target; empty otherwise.
  DnsName target;
  // MX preference or SRV priority.
  std::uint16_t preference = 0;
  std::uint16_t weight = 0;  // SRV
  std::uint16_t port = 0;    // SRV
  // TXT character-strings, raw octets (not escaped).
  std::vector<std::string> strings;
  // DS (RFC 4034 §5.1) and DNSKEY (§2.1), as the DS check compares them (checks/checks.h
  // compareDs): the key tag (a DS's as published; a DNSKEY's computed, RFC 4034 Appendix B),
  // the algorithm, and the digests. A DS holds its one digest; a DNSKEY the digest a DS of it
  // would carry, one per type of kDsDigestTypes, computed by ldns when the record is read (an
  // entry with empty octets: ldns could not compute that type). Zero and empty otherwise.
  std::uint16_t keyTag = 0;
  std::uint16_t keyFlags = 0;     // DNSKEY: flags (Zone Key 0x0100, REVOKE 0x0080)
  std::uint8_t keyProtocol = 0;   // DNSKEY: protocol (always 3)
  std::uint8_t algorithm = 0;
  struct Digest {
    std::uint8_t type = 0;  // DS digest type (1 SHA-1, 2 SHA-256, 4 SHA-384)
    std::string octets;     // raw
  };
  std::vector<Digest> digests{};
};

// The DS digest types whose DNSKEY digests are computed when a DNSKEY is read (RFC 4034 SHA-1,
// RFC 4509 SHA-256, RFC 6605 SHA-384): the types the DS check can compare. GOST (3, RFC 5933;
// RFC 8624: MUST NOT be used) and later types are not, and a DS of theirs is never matched.
inline constexpr std::uint8_t kDsDigestTypes[] = {1, 2, 4};

// How a lookup ended. Only Answer, NoData and NxDomain are evidence; all others are failures
// and never mean "absent" (fail closed).
enum class Outcome {
  Answer,        // NOERROR with records of the asked type (possibly after CNAMEs)
  NoData,        // NOERROR, name exists, no records of the type (RFC 2308)
  NxDomain,      // name does not exist (RFC 2308)
  Timeout,       // no answer within timeout × tries
  ServFail,      // RCODE 2
  Refused,       // RCODE 5
  FormErr,       // RCODE 1
  NotImp,        // RCODE 4
  OtherRcode,    // any other RCODE
  Unreachable,   // ICMP unreachable / connection refused / no route
  Malformed,     // did not parse, failed validation (QR, question, counts, trailing bytes …)
  Lame,          // answered, but not authoritatively for the zone (authoritative mode)
  CnameLoop,     // a CNAME chain came back to a name already seen
  ChainTooLong,  // CNAME chain or referral chain longer than the limit
  NotAvailable,  // the source cannot answer: zone absent from --zones DIR, no server known
};

// "answer", "nodata", "nxdomain", "timeout", "servfail", …
std::string_view outcomeName(Outcome o);
// True for Answer, NoData and NxDomain.
bool isEvidence(Outcome o);

// What was asked.
struct Question {
  DnsName name;
  RRType type = RRType::A;
  // Ask for the parent side of a delegation instead of the child: the NS RRset (with the
  // parent's TTL) by which the parent zone delegates the zone that CONTAINS `name`. When `name`
  // is itself a zone apex that is its own delegation; when it is not (sub.contoso.com inside
  // contoso.com), it is the delegation of the enclosing zone and the records' owner is that
  // zone's apex. Only meaningful for type NS and only for resolvers that see parents.
  bool parentSide = false;
  // Ask exactly the nameservers named here (the DNS host a delegation moves to), not the servers
  // the name is delegated to now. Empty: the usual servers. Answered by a source that can ask
  // named servers (the authoritative walk); zone files answer from the name's own zone file
  // (what the new host is to serve); a recursive resolver cannot, and says NotAvailable.
  std::vector<DnsName> servers{};
  friend bool operator==(const Question& a, const Question& b) {
    return a.name == b.name && a.type == b.type && a.parentSide == b.parentSide && a.servers == b.servers;
  }
};

// One server's view of a question (authoritative mode), or the single resolver's view.
struct Observation {
  Question question;
  Outcome outcome = Outcome::Timeout;
  // Records of the asked type at the end of any CNAME chain (one RRset: one TTL).
  std::vector<Record> answer;
  // CNAMEs followed from the question name, in order (empty when none).
  std::vector<Record> chain;
  // Negative-caching TTL for NoData/NxDomain (min of SOA TTL and SOA MINIMUM, RFC 2308 §5).
  std::optional<std::uint32_t> negativeTtl;
  // Who answered: "127.0.0.53:53", "zones:DIR/contoso.com.zone", … (for evidence and findings).
  std::string server;
  // Human detail for failures ("answer section incomplete", "QR bit not set", …).
  std::string detail;
  // Authoritative mode: each server's own observation of the same question.
  std::vector<Observation> perServer;
};

// MTA-STS (RFC 8461): what fetch/policy_fetcher.h asks for and returns.
// RFC 8461 §3.3 suggests senders limit the body (64 KiB) and the time (60 s) of a fetch.
inline constexpr std::size_t kMaxPolicyBody = 64 * 1024;

struct PolicyRequest {
  DnsName domain;  // D, A-label form: the policy host is mta-sts.D
  // The addresses of mta-sts.D as the resolver answered them (IPv4 dotted quads, IPv6 without
  // brackets), in answer order. Ignored by the zone-directory source. Empty for HTTPS: no
  // address is known, which is a failure ("mta-sts.D has no address"), never a lookup of its own.
  std::vector<std::string> addresses;
};

struct PolicyFetch {
  bool ok = false;     // `body` is the policy as served
  std::string source;  // "https://mta-sts.contoso.com/.well-known/mta-sts.txt (127.0.0.1)" (the URL
                       // alone when no address is known), "fixtures/zones/mta-sts.contoso.com.txt"
  std::string body;    // the octets served (ok only)
  std::string error;   // !ok: one line naming what failed ("SSL certificate problem: certificate
                       // has expired", "redirect (HTTP 301 to https://…) refused: RFC 8461 §3.3
                       // forbids following it", "media type \"text/html\" is not text/plain",
                       // "body larger than 65536 octets", "HTTP 404", "no such file")
};


enum class Severity { Blocker, Required, Cleanup, Warning, Indeterminate };
std::string_view severityName(Severity s);

enum class Cloud { None, Worldwide, UsGov, China21Vianet, Germany };
// "worldwide", "us-gov", "21vianet", "germany"; None → "" (rendered as null).
std::string_view cloudName(Cloud c);

struct Finding {
  FindingId id = FindingId::LookupFailed;  // SPEC §3; printed by findingIdName
  Severity severity = Severity::Warning;
  Cloud cloud = Cloud::None;
  DnsName name;    // owner name of the record (or the question for lookup-failed)
  RRType type = RRType::A;
  std::string data;     // the record's presentation data, or the query outcome
  std::string message;  // one line: why it matters and what to do
  std::optional<std::uint32_t> ttl;
  std::string server;   // for lookup-failed / lame / inconsistent: who said it
};

enum class Verdict { Clear, Indeterminate, PointsAtM365 };
std::string_view verdictName(Verdict v);
// The worse of two verdicts (PointsAtM365 > Indeterminate > Clear).
Verdict worse(Verdict a, Verdict b);

struct Delegation {
  std::vector<DnsName> parentNs;
  std::optional<std::uint32_t> parentTtl;
  std::vector<DnsName> childNs;
  std::optional<std::uint32_t> childTtl;
  bool parentSeen = false;
  bool childSeen = false;
};

// RFC 8461 §3.2 policy modes.
enum class StsMode { Enforce, Testing, None };

// A domain's MTA-STS as the checks saw it (SPEC §3 mta-sts-lists-m365): present in a report when
// `_mta-sts.D` has a record starting "v=STSv1".
struct MtaStsView {
  std::string txt;          // the first such TXT value (strings concatenated)
  std::size_t txtCount = 0; // how many such records there are (§3.1: exactly one is valid)
  std::string id;           // its id as written ("" when none)
  bool txtValid = false;    // §3.1 grammar, and the only such record
  std::string source;       // where the policy was read: URL and address, or the file
  bool fetched = false;     // the body was read; else `error` says why not
  bool valid = false;       // the body follows §3.2; else (fetched) `error` says why not
  std::string error;
  StsMode mode = StsMode::None;
  std::uint32_t maxAge = 0;
  std::vector<std::string> mx;  // the patterns, lower case, in order
  bool onlyM365 = false;        // enforce/testing and every pattern Microsoft 365's
};

// The result of checking one domain: what `check` prints and `scan` streams.
struct DomainReport {
  DnsName domain;          // A-label form
  std::string unicode;     // U-label form when it differs from the A-label form, else empty
  Verdict verdict = Verdict::Indeterminate;
  Cloud cloud = Cloud::None;
  Delegation delegation;
  std::vector<Record> records;  // every record that matters (M365-related or evidence)
  std::vector<Finding> findings;
  std::optional<MtaStsView> mtaSts;  // when the domain publishes an MTA-STS TXT record
};

}  // namespace offboard
