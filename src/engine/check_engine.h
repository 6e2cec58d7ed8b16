// The check engine: drives a Resolver through the questions the checks need for many domains
// at once, and hands each domain's DomainReport to the caller as soon as it is complete.
//
// What it is for: concurrency and streaming. Every question of every active domain is submitted
// before the resolver runs, follow-ups are submitted from completion callbacks, and at most
// `maxActiveDomains` domains are held in memory (scan streams 100,000 domains in flat memory).
// What it must not do: decide anything (checks/ does), print anything (render/ does), or touch
// the network itself (the Resolver does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "checks/checks.h"
#include "core/domain_input.h"
#include "fetch/policy_fetcher.h"
#include "resolvers/resolver.h"

namespace offboard {

struct DomainJob {
  DomainInput input;
  CheckContext context;
};

// Pulls the next domain to check; nullopt when there are no more.
using JobSource = std::function<std::optional<DomainJob>()>;
// Receives each finished report with the index of its job in pull order.
using ReportSink = std::function<void(std::size_t index, DomainReport report)>;

// What a run did, for `scan --stats` and the benchmark.
struct EngineStats {
  std::size_t domains = 0;    // started
  std::size_t asked = 0;      // questions submitted to the resolver
  std::size_t fromCache = 0;  // follow-ups answered from the shared answers
  std::size_t joined = 0;     // follow-ups that waited for the same question of another domain
};

struct EngineOptions {
  std::size_t maxActiveDomains = 1024;
  PolicyFetcher* policies = nullptr;
  // Follow-up questions (MX exchanges, SPF includes, probe CNAME chains) are shared by every
  // domain of the run: answered from a cache of at most this many answers, kept for their TTL
  // (engine/answer_cache.h), and asked once while in flight however many domains need them.
  // 0: every domain asks its own.
  std::size_t sharedAnswers = 1024;
  std::function<std::int64_t()> clock;  // monotonic seconds for those TTLs (tests); empty: steady
  EngineStats* stats = nullptr;         // counted as the run goes, when given
  // Called, when given, each time the run is about to wait: for the network (from inside
  // Resolver::run, through Resolver::setWaitHook) and before a batch of policy fetches. A sink
  // that holds finished reports back (scan into a file) writes them out then, so that none
  // waits behind a slow server. Never called from inside the sink.
  std::function<void()> beforeWait;
};

// Checks every job from `next` through `resolver`, keeping at most `maxActiveDomains` domains
// in flight, and calls `sink` once per job as each completes (not in input order).
// A domain whose DNS shows an MTA-STS record (checks policyRequest) waits, once its questions
// are done, for its policy: whenever the resolver has nothing outstanding, every waiting
// domain's policy is fetched through `policies` in one batch and the domains are evaluated.
// Without `policies` such a domain is evaluated with its policy not fetched (lookup-failed).
void runChecks(Resolver& resolver, const JobSource& next, const ReportSink& sink, const EngineOptions& options);
void runChecks(Resolver& resolver, const JobSource& next, const ReportSink& sink,
               std::size_t maxActiveDomains = 1024, PolicyFetcher* policies = nullptr);

// Convenience: checks `jobs` and returns the reports in the order of `jobs`.
std::vector<DomainReport> checkAll(Resolver& resolver, const std::vector<DomainJob>& jobs,
                                   PolicyFetcher* policies = nullptr);

}  // namespace offboard
