#include "engine/check_engine.h"

#include <memory>
#include <unordered_map>

namespace offboard {
namespace {

// Room for the first round of questions and the usual MX follow-ups without regrowing.
constexpr std::size_t kQuestionsPerDomain = 16;

struct Active {
  std::size_t index = 0;
  DomainJob job;
  std::vector<Observation> observed;
  std::size_t outstanding = 0;
};

class Driver {
 public:
  Driver(Resolver& r, const JobSource& next, const ReportSink& sink, std::size_t maxActive, PolicyFetcher* policies)
      : resolver_(r), next_(next), sink_(sink), maxActive_(maxActive == 0 ? 1 : maxActive), policies_(policies) {}

  // When the resolver asks to be trimmed, no new domain starts; once those in flight are done
  // run() returns with nothing outstanding, the caches are dropped, and the input resumes.
  // Policies are fetched when the resolver is idle: the domains waiting for one hold their slots
  // until then, so the batch is at most maxActive domains.
  void run() {
    for (;;) {
      refill();
      resolver_.run();
      if (!awaitingPolicy_.empty()) {
        fetchPolicies();
        continue;
      }
      if (!draining_) return;
      resolver_.trim();
      draining_ = false;
    }
  }

 private:
  void refill() {
    if (draining_) return;
    while (!exhausted_ && active_.size() < maxActive_) {
      if (!active_.empty() && resolver_.wantsTrim()) {
        draining_ = true;
        return;
      }
      std::optional<DomainJob> job = next_();
      if (!job) {
        exhausted_ = true;
        break;
      }
      auto owned = std::make_unique<Active>();
      Active* a = owned.get();
      a->index = pulled_++;
      a->job = std::move(*job);
      a->job.context.offline = resolver_.offline();  // CheckContext::offline (the DS check)
      a->observed.reserve(kQuestionsPerDomain);
      active_.emplace(a, std::move(owned));
      submit(a, questionsFor(a->job.input.name, resolver_.seesParentSide()));
    }
  }

  // Each callback holds two plain pointers, so std::function keeps it in place (no allocation
  // per question); the domain is owned by active_ until its last answer.
  void submit(Active* a, const std::vector<Question>& qs) {
    a->outstanding += qs.size();
    for (const auto& q : qs) {
      resolver_.submit(q, [this, a](Observation o) { completed(a, std::move(o)); });
    }
  }

  void completed(Active* a, Observation o) {
    a->observed.push_back(std::move(o));
    if (--a->outstanding > 0) return;
    std::vector<Question> more = followUps(a->job.input.name, a->observed, a->job.context);
    if (!more.empty()) {
      submit(a, more);
      return;
    }
    if (policies_ && !a->job.context.policy) {
      if (auto req = policyRequest(a->job.input.name, a->observed, a->job.context)) {
        awaitingPolicy_.emplace_back(a, std::move(*req));
        return;
      }
    }
    finish(a);
  }

  void fetchPolicies() {
    std::vector<std::pair<Active*, PolicyRequest>> batch;
    batch.swap(awaitingPolicy_);
    std::vector<PolicyRequest> reqs;
    reqs.reserve(batch.size());
    for (auto& [a, r] : batch) reqs.push_back(std::move(r));
    std::vector<PolicyFetch> got = policies_->fetch(reqs);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      PolicyFetch f;
      if (i < got.size()) {
        f = std::move(got[i]);
      } else {
        f.error = "the policy source returned no result";  // never read as a policy
      }
      batch[i].first->job.context.policy = std::move(f);
    }
    for (auto& [a, r] : batch) finish(a);
  }

  void finish(Active* a) {
    DomainReport report = evaluate(a->job.input.name, a->observed, a->job.context);
    report.unicode = a->job.input.unicode;
    const std::size_t index = a->index;
    active_.erase(a);  // no callback of this domain is left
    sink_(index, std::move(report));
    refill();
  }

  Resolver& resolver_;
  const JobSource& next_;
  const ReportSink& sink_;
  std::size_t maxActive_;
  std::unordered_map<Active*, std::unique_ptr<Active>> active_;  // the domains in flight
  std::size_t pulled_ = 0;
  bool exhausted_ = false;
  bool draining_ = false;  // waiting for the domains in flight before Resolver::trim()
  PolicyFetcher* policies_;
  std::vector<std::pair<Active*, PolicyRequest>> awaitingPolicy_;  // DNS done, policy not yet fetched
};

}  // namespace

void runChecks(Resolver& resolver, const JobSource& next, const ReportSink& sink,
               std::size_t maxActiveDomains, PolicyFetcher* policies) {
  Driver(resolver, next, sink, maxActiveDomains, policies).run();
}

std::vector<DomainReport> checkAll(Resolver& resolver, const std::vector<DomainJob>& jobs, PolicyFetcher* policies) {
  std::vector<DomainReport> out(jobs.size());
  std::size_t i = 0;
  JobSource next = [&]() -> std::optional<DomainJob> {
    if (i >= jobs.size()) return std::nullopt;
    return jobs[i++];
  };
  ReportSink sink = [&](std::size_t index, DomainReport r) { out[index] = std::move(r); };
  runChecks(resolver, next, sink, 1024, policies);
  return out;
}

}  // namespace offboard
