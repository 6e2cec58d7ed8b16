// Shared answers within a run: the follow-up questions many domains have in common (the MX
// hosts and SPF includes of the same few providers, the CNAME targets of the same services)
// answered once per TTL instead of once per domain.
//
// What it is for: a bounded map from a question (name, type, parent side, the servers named;
// the class is always IN) to the observation that answered it, kept for the answer's TTL (the
// smallest of its records and CNAMEs) or, for NXDOMAIN and NODATA, its negative TTL (RFC 2308
// §5), and evicted least recently used first beyond `maxEntries`, so memory stays flat however
// many domains a scan reads. A copy handed out is the observation as the resolver gave it, with
// the server that answered: each domain's evidence still names it.
// What it must not do: keep a failure (timeout, SERVFAIL, …): it is the run's retry policy's to
// repeat, never a cached fact; keep anything whose TTL is zero; read the wall clock (the clock
// is given: monotonic seconds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <unordered_map>

#include "core/types.h"

namespace offboard {

class AnswerCache {
 public:
  using Clock = std::function<std::int64_t()>;
  // `clock`: monotonic seconds; empty: std::chrono::steady_clock.
  explicit AnswerCache(std::size_t maxEntries, Clock clock = {});

  // The exact identity of a question in the cache, written over `out` (whose room is reused:
  // no allocation per lookup once it has grown).
  static void key(const Question& q, std::string& out);

  // The fresh observation for `q`, or nullptr (absent, or expired and dropped).
  const Observation* find(const Question& q) {
    key(q, scratch_);
    return findKey(scratch_);
  }
  // The same, by the question's key().
  const Observation* findKey(const std::string& key);
  // Keeps `o` for its TTL when it is evidence with a TTL above zero; otherwise does nothing.
  void store(const Observation& o);

  std::size_t size() const { return map_.size(); }
  std::size_t evicted() const { return evicted_; }

 private:
  struct Entry {
    Observation obs;
    std::int64_t expires = 0;
    std::list<std::string>::iterator lru;  // its place in lru_ (front: least recently used)
  };
  std::size_t max_;
  Clock clock_;
  std::unordered_map<std::string, Entry> map_;
  std::list<std::string> lru_;
  std::size_t evicted_ = 0;
  std::string scratch_;  // the key of the question being looked up or stored
};

// How long an observation may be kept: the smallest TTL of its records and CNAMEs (an answer),
// its negative TTL (NXDOMAIN, NODATA); 0 for failures and for evidence without a TTL.
std::uint32_t cacheTtl(const Observation& o);

}  // namespace offboard
