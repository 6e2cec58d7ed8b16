#include "engine/answer_cache.h"

#include <algorithm>
#include <chrono>

namespace offboard {

AnswerCache::AnswerCache(std::size_t maxEntries, Clock clock) : max_(maxEntries), clock_(std::move(clock)) {
  if (!clock_) {
    clock_ = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

void AnswerCache::key(const Question& q, std::string& k) {
  // Wire labels are lower-case and length-prefixed, so the parts cannot run into each other.
  k.assign(q.name.wireLabels());
  const auto t = static_cast<std::uint16_t>(q.type);
  k.push_back('\0');
  k.push_back(static_cast<char>(t >> 8));
  k.push_back(static_cast<char>(t & 0xff));
  k.push_back(q.parentSide ? 'p' : 'c');
  for (const auto& s : q.servers) {
    k.push_back('\0');
    k.append(s.wireLabels());
  }
}

std::uint32_t cacheTtl(const Observation& o) {
  switch (o.outcome) {
    case Outcome::Answer: {
      if (o.answer.empty()) return 0;
      std::uint32_t ttl = UINT32_MAX;
      for (const auto& r : o.answer) ttl = std::min(ttl, r.ttl);
      for (const auto& r : o.chain) ttl = std::min(ttl, r.ttl);
      // Authoritative mode: every server's own answer is part of the observation.
      for (const auto& s : o.perServer) {
        if (!isEvidence(s.outcome)) return 0;  // one server failed: not a fact to repeat
        for (const auto& r : s.answer) ttl = std::min(ttl, r.ttl);
      }
      return ttl;
    }
    case Outcome::NoData:
    case Outcome::NxDomain:
      for (const auto& s : o.perServer)
        if (!isEvidence(s.outcome)) return 0;
      return o.negativeTtl.value_or(0);
    default: return 0;
  }
}

const Observation* AnswerCache::findKey(const std::string& k) {
  if (max_ == 0) return nullptr;
  auto it = map_.find(k);
  if (it == map_.end()) return nullptr;
  if (it->second.expires <= clock_()) {
    lru_.erase(it->second.lru);
    map_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.end(), lru_, it->second.lru);  // most recently used last
  return &it->second.obs;
}

void AnswerCache::store(const Observation& o) {
  if (max_ == 0) return;
  const std::uint32_t ttl = cacheTtl(o);
  if (ttl == 0) return;
  key(o.question, scratch_);
  auto it = map_.find(scratch_);
  if (it != map_.end()) {
    it->second.obs = o;
    it->second.expires = clock_() + ttl;
    lru_.splice(lru_.end(), lru_, it->second.lru);
    return;
  }
  while (map_.size() >= max_) {
    map_.erase(lru_.front());
    lru_.pop_front();
    ++evicted_;
  }
  lru_.push_back(scratch_);
  Entry e{o, clock_() + ttl, std::prev(lru_.end())};
  map_.emplace(scratch_, std::move(e));
}

}  // namespace offboard
