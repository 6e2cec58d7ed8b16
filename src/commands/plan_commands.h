// Subcommands around the plan: plan, gate, ack, waive, status, history (SPEC §1, §4, §5).
//
// What it is for: the I/O shell around the pure planner and gate. These commands read the
// tenant file, resolve, read and write the state store and read the clock (or --now), then hand
// plain values to planner/gate/renderers. Each has an options struct, a setupX(CLI::App&) and a
// runX(...) that tests call with a fake resolver, an open StateStore and string streams.
// What it must not do: decide anything the planner or gate decides, or exit 0 when anything
// failed: a storage error is 4, an input error 2, as SPEC §5 says.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/commands.h"
#include "pipeline/pipeline.h"
#include "plan/planner.h"
#include "tenant/tenant.h"
#include "state/state_store.h"

namespace offboard {

// Where the tenant comes from: --tenant FILE, or DOMAIN arguments with --new-mx / --new-ns.
struct TenantArgs {
  std::string tenantFile;              // --tenant FILE
  std::vector<std::string> domains;    // DOMAIN...
  std::vector<std::string> newMx;      // --new-mx HOST[:PREF], repeatable
  std::vector<std::string> newNs;      // --new-ns HOST, repeatable
};

// Loads the tenant the arguments name (reads the file). nullopt with *error (exit 2) when the
// file is unreadable or malformed, an argument is invalid, or both or neither of --tenant and
// DOMAIN are given (unless `allowEmpty`). --new-mx / --new-ns override the file's values.
std::optional<Tenant> loadTenant(const TenantArgs& a, bool allowEmpty, std::string* error);

// A failed pipeline, printed as "offboard CMD: message"; its exit code (exitCodeOf).
int reportFailure(const char* cmd, const Status& status, Io& io);

// The pipeline run for a command's source options (evidence block, recursive TTL probe).
PipelineRun pipelineRun(const Tenant& t, Resolver& resolver, StateStore* store, const SourceOptions& source,
                        std::int64_t now, const DirectResolverFactory& direct, bool record,
                        PolicyFetcher* policies = nullptr);

// The clock for a command: --now when given (RFC 3339), else the system clock.
std::optional<std::int64_t> commandNow(const std::string& nowOption, std::string* error);

// Shared set-up of the plan commands' flags.
void addTenantOptions(CLI::App& cmd, TenantArgs& a);
void addStateOptions(CLI::App& cmd, std::string& state, std::string& now);
// Opens the state for command `cmd` ("gate"); on failure prints the store's Status as
// reportFailure does, sets *rc to its exit code and returns null.
std::unique_ptr<StateStore> openStateFor(const char* cmd, const std::string& path, OpenMode mode,
                                         Io& io, int* rc);
// The production DirectResolverFactory: a stub resolver with the source's timeout and tries.
DirectResolverFactory directResolvers(const SourceOptions& source);

struct PlanOptions {
  TenantArgs input;
  SourceOptions source;
  std::string format = "text";         // text | markdown | json | html
  std::string color = "auto";
  bool verbose = false;                // text: each step's why, verification and records
  std::string now;                     // --now RFC3339
  std::string state = "offboard.db";   // --state FILE
};
Runner setupPlan(CLI::App& app);
// Resolves, records this run's observations in `store`, and prints the runbook. Exit as the
// gate would (0 complete, 1 open steps, 3 missing evidence), 4 on a storage error.
int runPlan(const PlanOptions& o, const Tenant& t, Resolver& resolver, StateStore& store,
            std::int64_t now, const DirectResolverFactory& direct, Io& io, PolicyFetcher* policies = nullptr);

struct GateOptions {
  TenantArgs input;
  SourceOptions source;
  std::string format = "text";         // text | json | junit | sarif
  std::string color = "auto";
  std::string now;
  std::string state = "offboard.db";
};
Runner setupGate(CLI::App& app);
// Re-resolves, records the observations, reads the state back, and decides: 0 ready, 1 blocked,
// 3 indeterminate, 4 storage error.
int runGate(const GateOptions& o, const Tenant& t, Resolver& resolver, StateStore& store,
            std::int64_t now, const DirectResolverFactory& direct, Io& io, PolicyFetcher* policies = nullptr);

struct AckOptions {
  std::string step;
  std::string by;
  std::string note;
  std::string now;
  std::string state = "offboard.db";
};
Runner setupAck(CLI::App& app);
// Records an acknowledgement of a manual step; a typo, a DNS/time step, or a step not in the
// tenant's plan (as the last plan or gate with this state made it) is exit 2.
int runAck(const AckOptions& o, StateStore& store, std::int64_t now, Io& io);

struct WaiveOptions {
  std::string step;
  std::string by;
  std::string reason;
  std::string now;
  std::string state = "offboard.db";
};
Runner setupWaive(CLI::App& app);
// Records a waiver (a reason is required); a typo is exit 2.
int runWaive(const WaiveOptions& o, StateStore& store, std::int64_t now, Io& io);

struct RevokeOptions {
  std::string step;
  std::string by;
  std::string reason;
  std::string now;
  std::string state = "offboard.db";
};
Runner setupRevoke(CLI::App& app);
// Withdraws every standing ack and waiver of a step (a reason is required); nothing standing,
// or a typo, is exit 2.
int runRevoke(const RevokeOptions& o, StateStore& store, std::int64_t now, Io& io);

struct StatusOptions {
  TenantArgs input;
  SourceOptions source;
  std::string format = "text";  // text | json
  std::string now;
  std::string state = "offboard.db";
};
Runner setupStatus(CLI::App& app);
// Without a tenant: what the state holds (acks, waivers, latest observation of each subject).
// With one: each step's status, re-resolved but not recorded. `store` may be null (no state).
int runStatus(const StatusOptions& o, const std::optional<Tenant>& t, Resolver* resolver,
              StateStore* store, std::int64_t now, const DirectResolverFactory& direct, Io& io,
              PolicyFetcher* policies = nullptr);

struct HistoryOptions {
  std::string format = "text";  // text | json
  std::string state = "offboard.db";
  bool all = false;             // --all: also the observations that changed nothing
  std::string domain;           // --domain D: only events about D (its observations and steps)
  std::string since;            // --since T: only events at or after T (RFC 3339)
};
Runner setupHistory(CLI::App& app);
int runHistory(const HistoryOptions& o, StateStore& store, Io& io);

}  // namespace offboard
