#include "engine/check_engine.h"

#include <memory>
#include <unordered_map>

#include "engine/answer_cache.h"

namespace offboard {
namespace {

// Room for the first round of questions (16, 17 with the parent side) and the usual follow-ups
// (MX exchanges, SPF includes, probe targets) without regrowing: 248 octets each, 512 domains in
// flight by default.
constexpr std::size_t kQuestionsPerDomain = 24;

struct Active {
  std::size_t index = 0;
  DomainJob job;
  std::vector<Observation> observed;
  std::size_t outstanding = 0;
};

class Driver {
 public:
  Driver(Resolver& r, const JobSource& next, const ReportSink& sink, const EngineOptions& o)
      : resolver_(r),
        next_(next),
        sink_(sink),
        maxActive_(o.maxActiveDomains == 0 ? 1 : o.maxActiveDomains),
        policies_(o.policies),
        stats_(o.stats),
        sharing_(o.sharedAnswers > 0),
        cache_(o.sharedAnswers, o.clock),
        beforeWait_(o.beforeWait) {
    if (beforeWait_) resolver_.setWaitHook(beforeWait_);
  }
  ~Driver() {
    if (beforeWait_) resolver_.setWaitHook({});  // it names the caller's state, which ends with the run
  }
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // When the resolver asks to be trimmed, no new domain starts; once those in flight are done
  // run() returns with nothing outstanding, the caches are dropped, and the input resumes.
  // Policies are fetched when the resolver is idle: the domains waiting for one hold their slots
  // until then, so the batch is at most maxActive domains.
  void run() {
    for (;;) {
      refill();
      resolver_.run();
      if (!awaitingPolicy_.empty()) {
        if (beforeWait_) beforeWait_();  // the fetches may take seconds
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
      if (stats_) ++stats_->domains;
      // The first round is the domain's own (its apex, its probe names): nothing to share.
      for (const auto& q : questionsFor(a->job.input.name, resolver_.seesParentSide())) ask(a, q);
    }
  }

  // Each callback holds two plain pointers, so std::function keeps it in place (no allocation
  // per question); the domain is owned by active_ until its last answer.
  void ask(Active* a, const Question& q) {
    ++a->outstanding;
    if (stats_) ++stats_->asked;
    resolver_.submit(q, [this, a](Observation&& o) { completed(a, std::move(o)); });
  }

  // A follow-up: from the shared answers when they hold it, joined to the same question when
  // another domain has it in flight, else asked. Returns false when it was answered at once.
  bool askShared(Active* a, const Question& q) {
    if (!sharing_) {
      ask(a, q);
      return true;
    }
    AnswerCache::key(q, key_);
    if (const Observation* hit = cache_.findKey(key_)) {
      a->observed.push_back(*hit);
      if (stats_) ++stats_->fromCache;
      return false;
    }
    auto [it, first] = inFlight_.try_emplace(key_);  // the key copied only when it is new
    it->second.push_back(a);
    ++a->outstanding;
    if (!first) {
      if (stats_) ++stats_->joined;
      return true;
    }
    if (stats_) ++stats_->asked;
    // The key lives in its map node until shared() erases it: two pointers, no allocation.
    const std::string* k = &it->first;
    resolver_.submit(q, [this, k](Observation&& o) { shared(*k, std::move(o)); });
    return true;
  }

  // A shared question answered: kept for its TTL, and handed to every domain waiting for it.
  void shared(const std::string& key, Observation&& o) {
    cache_.store(o);
    auto it = inFlight_.find(key);  // `key` is this entry's own: read before the erase
    std::vector<Active*> waiters = std::move(it->second);
    inFlight_.erase(it);  // before the waiters run: a domain they start asks afresh
    for (std::size_t i = 0; i < waiters.size(); ++i) {
      if (i + 1 == waiters.size()) completed(waiters[i], std::move(o));
      else completed(waiters[i], Observation(o));
    }
  }

  void completed(Active* a, Observation&& o) {
    a->observed.push_back(std::move(o));
    if (--a->outstanding > 0) return;
    advance(a);
  }

  // Every question of the round is answered: the next round, until there is none.
  void advance(Active* a) {
    for (;;) {
      std::vector<Question> more = followUps(a->job.input.name, a->observed, a->job.context);
      if (more.empty()) break;
      bool waiting = false;
      for (const auto& q : more) waiting = askShared(a, q) || waiting;
      if (waiting) return;
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
  EngineStats* stats_;
  std::vector<std::pair<Active*, PolicyRequest>> awaitingPolicy_;  // DNS done, policy not yet fetched
  bool sharing_;
  AnswerCache cache_;
  // Follow-up questions in flight, by AnswerCache::key: the domains waiting for each.
  std::unordered_map<std::string, std::vector<Active*>> inFlight_;
  std::string key_;  // the key of the follow-up being asked (its room reused)
  std::function<void()> beforeWait_;  // EngineOptions::beforeWait
};

}  // namespace

void runChecks(Resolver& resolver, const JobSource& next, const ReportSink& sink, const EngineOptions& options) {
  Driver(resolver, next, sink, options).run();
}

void runChecks(Resolver& resolver, const JobSource& next, const ReportSink& sink,
               std::size_t maxActiveDomains, PolicyFetcher* policies) {
  EngineOptions o;
  o.maxActiveDomains = maxActiveDomains;
  o.policies = policies;
  runChecks(resolver, next, sink, o);
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
