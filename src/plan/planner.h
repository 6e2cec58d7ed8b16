// The planner: tenant + fresh DNS reports + state history + now → the ordered runbook (SPEC §4).
//
// What it is for: deciding which steps a tenant needs, in which order, why, how each is
// verified, and each step's status right now. The ordering is Microsoft's (m365-dns.md §5):
// users are told before any MX change; with NS at Microsoft the records are set up at the new DNS
// host first and only then is NS switched (MX changes inside a Microsoft-hosted zone do not take
// effect before that); without it the MX change at the current host moves mail at once; the
// caches of every changed record are waited out (the TTL it had, the parent NS TTL for a
// delegation); data is saved and the domain removed before cancellation. What Graph says blocks
// a removal comes before it: a federated domain is converted to managed, and the default domain
// is replaced as the default ("Remove a domain": the domain isn't the default domain).
// A step stays in the plan once the state history shows its subject at Microsoft 365, so a
// finished step is shown as done (and its wait timed) instead of disappearing.
// What it must not do: resolve, read files, read the clock or write the state: everything
// arrives in PlanInput (the pipeline gathers it). Write sentences: a step's why, state and
// changes are codes and records (plan_types.h). A failed lookup never makes a step done.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/types.h"
#include "state/observe.h"
#include "plan/plan_types.h"
#include "tenant/tenant.h"
#include "state/state_types.h"

namespace offboard {

// When the parent-side NS TTL of a switched delegation was never observed (the stub resolver
// does not see the parent), offboard waits this long: 172800 s (48 h) is the delegation TTL of
// .com/.net and a common TLD default. Stricter than guessing the child's TTL.
inline constexpr std::uint32_t kAssumedParentNsTtl = 172800;

// Online cancellation needs fewer than 25 assigned licenses (SPEC §4; Microsoft's 2020–2021
// wording; the 2022 page says "25 or fewer"); offboard takes the stricter reading.
inline constexpr int kOnlineCancelLicenseLimit = 25;

// Graph's forceDelete of a domain "fails if more than 1000 objects need renaming" (Microsoft
// Graph, domain: forceDelete): above this many domainNameReferences the objects must be moved
// off the domain first, whatever the removal path.
inline constexpr std::size_t kForceDeleteObjectLimit = 1000;

// One record the new DNS host must serve before the NS switch.
struct RequiredRecord {
  Record record;      // name, type, ttl, data (presentation form)
  bool exact = true;  // false: "any record of this type here that is not Microsoft 365's"
  std::string note;   // e.g. "new MX (give new_mail.mx)"
};

// What the new DNS host's servers answered for the required names (queried directly, or the
// zone itself when it is readable).
struct NewHostView {
  std::string source;                 // "ns1.newdns.example. (127.77.0.30)", "zones DIR"
  std::vector<Record> records;
  std::vector<std::string> failures;  // lookups that failed: the step cannot be verified
  std::string unavailable;            // why the new host could not be asked at all (step open)
};

struct PlanInput {
  Tenant tenant;
  std::vector<DomainReport> reports;                  // fresh, one per domain checked
  std::map<DnsName, std::vector<Record>> zoneListings;  // every record of a zone, by apex
  std::map<DnsName, NewHostView> newHost;             // by domain
  StateSnapshot state;                                // includes this run's observations
  // The step ids of the last plan made with this state (StateStore::planSteps). A Graph blocker
  // once seen keeps its step (defederate-domain:D, set-default-domain) until an input shows it
  // gone or it is acknowledged: an input that says nothing about it is not evidence that it went.
  std::set<StepId> lastPlan;
  std::int64_t now = 0;
};

// True when another subscription of the tenant stays active: domains need not leave.
bool domainsMayStay(const Tenant& t);

// The domains to resolve: the tenant's, then those only the state history knows (a domain
// dropped from the input still has to be removed, or acknowledged). Empty when domains may stay.
std::vector<DomainInput> domainsToCheck(const Tenant& t, const StateSnapshot& s);

// The records to create at the new DNS host for `report`'s domain: every record of the hosted
// zone that is not Microsoft 365's (from `zoneListing` when the source can list the zone, else
// the records the check saw), SPF without the Microsoft include (plus new_mail.spf_include),
// and new_mail.mx instead of Microsoft's MX. When the zone is no longer at Microsoft, the list
// captured while it was (the state's "ZONE D." subject) is used.
std::vector<RequiredRecord> requiredAtNewHost(const Tenant& t, const DomainReport& report,
                                              const std::vector<Record>* zoneListing,
                                              const StateSnapshot& s);

// The same from an index of the state, with the tenant file's Microsoft MX hosts for the
// domain (its TenantDomain::knownMicrosoftMx; empty when the tenant file does not list it):
// no scan of the state or of the tenant's domains, so callers stay linear over many domains.
std::vector<RequiredRecord> requiredAtNewHost(const Tenant& t, const DomainReport& report,
                                              const std::vector<Record>* zoneListing, const StateIndex& s,
                                              const std::vector<DnsName>& knownMicrosoftMx);

// Stable text of a required-record list (the "ZONE D." observation value) and back.
std::string encodeRequired(const std::vector<RequiredRecord>& rs);
std::optional<std::vector<RequiredRecord>> decodeRequired(const std::string& text);

// "contoso.com. 3600 IN MX 10 mx1.newmail.example." (zone-file form).
std::string recordLine(const Record& r);

// True when Microsoft hosts the zone now (a Microsoft NS in the parent or child NS set).
bool hostedByMicrosoftNow(const DomainReport& r);

// The runbook.
Plan buildPlan(const PlanInput& in);

}  // namespace offboard
