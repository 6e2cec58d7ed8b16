// Test helpers: literal observations and a fake Resolver that answers from a table.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"
#include "resolvers/resolver.h"

namespace offboard::testing {

inline DnsName N(const std::string& s) { return *DnsName::parse(s); }

inline Record rec(const std::string& name, RRType type, const std::string& target,
                  std::uint32_t ttl = 3600, std::uint16_t pref = 0) {
  Record r;
  r.name = N(name);
  r.type = type;
  r.ttl = ttl;
  r.target = N(target);
  r.preference = pref;
  r.data = type == RRType::MX ? std::to_string(pref) + " " + r.target.toString()
           : type == RRType::SRV ? "100 1 443 " + r.target.toString()
                                 : r.target.toString();
  return r;
}

inline Record txt(const std::string& name, std::vector<std::string> strings, std::uint32_t ttl = 3600) {
  Record r;
  r.name = N(name);
  r.type = RRType::TXT;
  r.ttl = ttl;
  r.strings = std::move(strings);
  for (const auto& s : r.strings) r.data += (r.data.empty() ? "\"" : " \"") + s + "\"";
  return r;
}

inline Observation obs(const std::string& name, RRType type, Outcome outcome,
                       std::vector<Record> answer = {}, bool parentSide = false) {
  Observation o;
  o.question = Question{N(name), type, parentSide};
  o.outcome = outcome;
  o.answer = std::move(answer);
  o.server = "test";
  if (outcome == Outcome::NoData || outcome == Outcome::NxDomain) o.negativeTtl = 300;
  return o;
}

// Answers from a table keyed by (name, type, parentSide); unknown questions get `fallback`
// (NxDomain by default). Records every question asked, and the peak number outstanding.
class FakeResolver : public Resolver {
 public:
  explicit FakeResolver(Outcome fallback = Outcome::NxDomain, bool parents = false)
      : fallback_(fallback), parents_(parents) {}

  void set(Observation o) { table_.push_back(std::move(o)); }

  void submit(const Question& q, Callback cb) override {
    asked.push_back(q);
    queue_.emplace_back(q, std::move(cb));
    if (queue_.size() > peakOutstanding) peakOutstanding = queue_.size();
  }

  void run() override {
    while (!queue_.empty()) {
      // Before each answer, as a network source before it waits (Resolver::setWaitHook).
      if (waitHook_) waitHook_();
      if (afterWait) afterWait(queue_.front().first);
      auto [q, cb] = std::move(queue_.front());
      queue_.pop_front();
      cb(answer(q));
    }
  }

  void setWaitHook(std::function<void()> hook) override {
    waitHook_ = std::move(hook);
    ++hooksSet;
  }
  bool hooked() const { return static_cast<bool>(waitHook_); }

  bool seesParentSide() const override { return parents_; }
  std::string describe() const override { return "fake"; }

  std::vector<Question> asked;
  std::size_t peakOutstanding = 0;
  std::size_t hooksSet = 0;  // calls of setWaitHook (installs and clears)
  // A test's look, right after the wait hook, at the question about to be answered.
  std::function<void(const Question&)> afterWait;

 private:
  Observation answer(const Question& q) const {
    for (const auto& o : table_)
      if (o.question == q) return o;
    Observation o;
    o.question = q;
    o.outcome = fallback_;
    o.server = "fake";
    if (fallback_ == Outcome::NxDomain || fallback_ == Outcome::NoData) o.negativeTtl = 300;
    return o;
  }

  std::vector<Observation> table_;
  std::deque<std::pair<Question, Callback>> queue_;
  std::function<void()> waitHook_;
  Outcome fallback_;
  bool parents_;
};

}  // namespace offboard::testing
