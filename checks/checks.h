// The checks: pure functions from a domain's Observations to its Findings and verdict.
//
// What it is for: deciding, for one domain, what still points at Microsoft 365 (SPEC §3), from
// evidence gathered by any resolver. The engine asks `questionsFor` first, then `followUps`
// until it returns nothing, then `evaluate`.
// What it must not do: I/O, clocks, or reading a failure as absence: a question without an
// evidence outcome (Answer / NoData / NxDomain) yields a `lookup-failed` finding and the
// domain can only be `indeterminate` or worse, never `clear`.
#pragma once

#include <vector>

#include "core/types.h"

namespace offboard {

// Limits on following MX exchange hosts through CNAMEs (RFC 5321 §5.1 forbids the alias, but
// the mail still follows it; bound the walk).
inline constexpr int kMaxExchangeChain = 8;

// Optional facts from outside DNS that sharpen the checks.
struct CheckContext {
  // Exact MX hosts Microsoft named for this tenant (Graph serviceConfigurationRecords
  // `mailExchange`); an exchange equal to one of them is Microsoft's even if no suffix matches.
  std::vector<DnsName> knownMicrosoftMx;
};

// The first round of questions for `domain`: NS (and the parent-side NS when the resolver sees
// parents), MX, TXT at the apex, and the CNAME/SRV names of the catalogue.
std::vector<Question> questionsFor(const DnsName& domain, bool parentSide);

// Further questions implied by what has been observed so far: each MX exchange that is not
// itself Microsoft's is followed through CNAMEs, one hop per round, up to kMaxExchangeChain.
// Returns only questions not already in `observed`.
std::vector<Question> followUps(const DnsName& domain, const std::vector<Observation>& observed,
                                const CheckContext& ctx = {});

// The findings, records of interest, delegation and verdict for `domain`.
DomainReport evaluate(const DnsName& domain, const std::vector<Observation>& observed,
                      const CheckContext& ctx = {});

// SPEC §3 verdict rule from findings alone.
Verdict verdictOf(const std::vector<Finding>& findings);

}  // namespace offboard
