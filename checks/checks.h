// The checks: pure functions from a domain's Observations to its Findings and verdict.
//
// What it is for: deciding, for one domain, what still points at Microsoft 365 (SPEC §3), from
// evidence gathered by any resolver. The engine asks `questionsFor` first, then `followUps`
// until it returns nothing, then `evaluate`.
// What it must not do: I/O, clocks, or reading a failure as absence: a question without an
// evidence outcome (Answer / NoData / NxDomain) yields a `lookup-failed` finding and the
// domain can only be `indeterminate` or worse, never `clear`.
#pragma once

#include <array>
#include <optional>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checks/catalogue.h"
#include "core/ids.h"
#include "core/types.h"

namespace offboard {

// Bound on the CNAME hops followed from an MX exchange host (RFC 5321 §5.1 forbids the alias,
// but the mail still follows it) or from a probe's CNAME target (autodiscover, DKIM selectors,
// …: clients and verifiers follow the chain).
inline constexpr int kMaxAliasChain = 8;
inline constexpr int kMaxExchangeChain = kMaxAliasChain;
// RFC 7208 §4.6.4: at most 10 DNS-querying terms (include, a, mx, ptr, exists, redirect) in one
// SPF evaluation, counted across the whole include/redirect tree; past that, a permerror.
inline constexpr int kMaxSpfLookups = 10;

// The fixed names below a domain where Microsoft 365 asks for records (m365-dns.md §3.7): what
// the checks probe, the finding each raises, and the step whose work removes it. The state's
// subjects (state/observe) are these too, so the two can never disagree.
struct Probe {
  std::array<std::string_view, 2> owner;  // labels below the domain, leftmost first ("" = none)
  RRType type;
  Family family;
  FindingId finding;
  Severity severity;
  Action action;
};
// In question order; the last (_autodiscover._tcp) was added last, so that the questions
// before it keep their order (m365-dns.md §3.8).
std::span<const Probe> probes();
// The probe's owner name below `domain`; the empty name when it would exceed 255 octets.
DnsName probeName(const DnsName& domain, const Probe& p);

// Optional facts from outside DNS that sharpen the checks.
struct CheckContext {
  // Exact MX hosts Microsoft named for this tenant (Graph serviceConfigurationRecords
  // `mailExchange`); an exchange equal to one of them is Microsoft's even if no suffix matches.
  std::vector<DnsName> knownMicrosoftMx;
  // The nameservers of the DNS host the delegation is to move to (the tenant's
  // new_dns.nameservers): where the DNSKEY matching the parent's DS must be, while the
  // delegation still names Microsoft. Empty: not known.
  std::vector<DnsName> newNameservers;
  // The source is zone files (Resolver::offline; the engine sets it): the DS in the parent's
  // file is compared with the domain's own zone file, whoever the delegation names.
  bool offline = false;
  // The MTA-STS policy as fetched (HTTPS, or the file beside the zone), when the domain
  // publishes an `_mta-sts` TXT record starting "v=STSv1" (policyRequest): the engine fetches
  // it once the DNS questions are done. nullopt: not fetched (evaluate says so: lookup-failed).
  std::optional<PolicyFetch> policy;
};

// DNSSEC algorithms validators implement (RFC 8624 §3.1): RSASHA1 5, RSASHA1-NSEC3-SHA1 7,
// RSASHA256 8, RSASHA512 10, ECDSAP256SHA256 13, ECDSAP384SHA384 14, ED25519 15, ED448 16.
// RSAMD5, DSA, ECC-GOST, SM2, GOST 2012 and the private ones are not compared.
inline constexpr std::uint8_t kDnssecAlgorithms[] = {5, 7, 8, 10, 13, 14, 15, 16};

// A DS record against a DNSKEY record (both as resolvers/rr_convert reads them): the same key
// tag and algorithm, a zone key (flags: Zone Key set, REVOKE clear, RFC 4034 §2.1.1, RFC 5011
// §2.1) of protocol 3, and the key's digest of the DS's digest type equal to the DS's digest.
bool dsMatchesKey(const Record& ds, const Record& key);

// SPEC §3 dnssec-ds-mismatch: a DS RRset (the parent's, as one server gives it) against the
// DNSKEY RRset one server of the DNS host serves. A DS is compared when its algorithm is in
// kDnssecAlgorithms and its digest type in kDsDigestTypes; of those only the strongest digest
// type present counts, as validators do (RFC 4509 §3 ignores SHA-1 beside SHA-256; Unbound
// compares only its favourite, the highest, digest type), so a stale SHA-384 DS beside a good
// SHA-256 one is still a mismatch.
enum class DsOutcome {
  Matches,      // a DS that counts matches a key (or there is no DS): the chain can be built
  NoMatch,      // every DS is compared and none matches a key: validators say bogus
  NotCompared,  // none that counts matches and some DS could not be compared, or one that could
                // not be is of a stronger digest type than the match: unknown, never clear
};
struct DsComparison {
  DsOutcome outcome = DsOutcome::Matches;
  std::vector<const Record*> compared;     // the DS records that count (into `ds`)
  std::vector<const Record*> notCompared;  // the DS records offboard cannot compare, with why
  std::vector<std::string> whyNot;         // parallel to notCompared: "digest type 3", …
};
DsComparison compareDs(const std::vector<Record>& ds, const std::vector<Record>& dnskeys);

// The names RFC 8461 puts below a domain: the `_mta-sts` TXT owner and the policy host
// `mta-sts` (the empty name when it would exceed 255 octets).
DnsName mtaStsRecordName(const DnsName& domain);
DnsName mtaStsPolicyHost(const DnsName& domain);

// The policy to fetch for `domain`, once followUps returns nothing: when `_mta-sts.D` has a
// record starting "v=STSv1" and (unless ctx.offline, where the file beside the zone is read) the
// policy host's addresses are known. nullopt otherwise; evaluate then says why the policy could
// not be read (no address, a failed lookup), never that there is none.
std::optional<PolicyRequest> policyRequest(const DnsName& domain, const std::vector<Observation>& observed,
                                           const CheckContext& ctx);

// The first round of questions for `domain`: NS (and the parent-side NS when the resolver sees
// parents), MX, TXT at the apex, the CNAME/SRV names of the catalogue, the DS RRset (which
// every source asks of the parent), and the `_mta-sts` TXT record (RFC 8461 §3.1).
std::vector<Question> questionsFor(const DnsName& domain, bool parentSide);

// Further questions implied by what has been observed so far, one hop per round, only where an
// answer leads somewhere that is not (yet) Microsoft's:
//  - each MX exchange that is not itself Microsoft's, through CNAMEs (up to kMaxAliasChain);
//  - each probe CNAME (autodiscover, selector1/2._domainkey, msoid, sip, lyncdiscover,
//    enterpriseregistration/-enrollment) whose target is not Microsoft's, through CNAMEs;
//  - the TXT of each include:/redirect= target of the apex SPF record and of the records they
//    lead to, within kMaxSpfLookups DNS-querying terms, until Microsoft's SPF domain is reached;
//  - when the parent publishes DS records, the DNSKEY RRset at the DNS host the delegation
//    moves to: the delegation's own servers once it names Microsoft no longer (the parent's NS
//    set; a recursive resolver's answer, which comes from them), else ctx.newNameservers
//    (Question::servers); the domain's zone file with ctx.offline. Not asked when no new host
//    is known: evaluate says so (lookup-failed, never clear);
//  - when `_mta-sts.D` has a "v=STSv1" record, the A and AAAA of the policy host mta-sts.D (not
//    with ctx.offline: the policy is then the file beside the zone).
// Returns only questions not already in `observed`, each once.
std::vector<Question> followUps(const DnsName& domain, const std::vector<Observation>& observed,
                                const CheckContext& ctx = {});

// The findings, records of interest, delegation and verdict for `domain`. A chain that reaches
// Microsoft is reported on the record it starts from (the apex MX or SPF record, the probe
// record; an apex that is itself a CNAME to a Microsoft mail host is mx-at-m365 on (domain, MX)),
// naming every hop; a chain cut short by a failed lookup, a loop or a limit is lookup-failed on
// that same (name, type), never "not at Microsoft".
DomainReport evaluate(const DnsName& domain, const std::vector<Observation>& observed,
                      const CheckContext& ctx = {});

// SPEC §3 verdict rule from findings alone.
Verdict verdictOf(const std::vector<Finding>& findings);

}  // namespace offboard
