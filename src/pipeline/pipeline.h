// The pipeline plan, gate and status share: tenant → resolve → check → plan.
//
// What it is for: one sequence, in one place, for every command that judges a tenant: the
// state's tenant binding (bound when recording, checked otherwise), the state read, every
// domain resolved and checked, the zone listings and the new DNS host's answers gathered
// (questions the planner names as data, asked through the Resolver seam), this run's
// observations recorded before anything is decided, and the plan built from what was
// recorded. Optional capabilities of the source (listing a zone, being offline) are methods
// of the seam.
// What it must not do: print, parse arguments, choose exit codes or read the clock: it returns
// a Plan or a typed Status, and the commands say the rest.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "fetch/policy_fetcher.h"
#include "plan/planner.h"
#include "resolvers/resolver.h"
#include "state/state_store.h"
#include "tenant/tenant.h"

namespace offboard {

// Builds a resolver that asks exactly these servers ("IP" or "IP:PORT"): the new DNS host's,
// and a zone's own servers for the real TTL of what a recursive resolver has cached. Tests
// substitute a fake.
using DirectResolverFactory =
    std::function<std::unique_ptr<Resolver>(const std::vector<std::string>& servers)>;

// Everything the planner needs that comes from outside: fresh reports, zone listings (when the
// source can list zones), the new DNS host's answers, and this run's observation rows.
struct Evidence {
  std::vector<DomainReport> reports;
  std::map<DnsName, std::vector<Record>> zoneListings;
  std::map<DnsName, NewHostView> newHost;
  std::vector<ObservationRow> rows;
};
// `cacheTtls`: the resolver is a recursive one, whose TTLs are what is left in its cache; each
// record is then asked once more at its zone's own servers (through `direct`) for its real TTL.
// `policies`: where MTA-STS policies are fetched (nullptr: not fetched, lookup-failed).
Evidence gatherEvidence(const Tenant& t, Resolver& resolver, const StateSnapshot& state,
                        std::int64_t now, const DirectResolverFactory& direct, bool cacheTtls = false,
                        PolicyFetcher* policies = nullptr);

struct PipelineRun {
  const Tenant& tenant;
  Resolver& resolver;
  StateStore* store = nullptr;  // null: no state (status without a state file)
  EvidenceInfo evidence;        // where the answers come from, for the plan's evidence block
  bool cacheTtls = false;       // the resolver is recursive (see gatherEvidence)
  std::int64_t now = 0;
  DirectResolverFactory direct;
  // true (plan, gate): bind the state to the tenant, record the observations and the plan's
  // step ids (what ack, waive and revoke accept). false (status): re-resolve, record nothing.
  bool record = true;
  PolicyFetcher* policies = nullptr;  // MTA-STS policies (see gatherEvidence)
};

// The plan, or why there is none: TenantMismatch (another tenant's state; nothing written), or
// the store's own status (IoError, Busy, Corrupt …).
Result<Plan> runPipeline(const PipelineRun& run);

}  // namespace offboard
