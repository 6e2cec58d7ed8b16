#include "core/server_merge.h"

#include <algorithm>
#include <set>

namespace offboard {
namespace {

std::set<std::string> dataSet(const Observation& o) {
  std::set<std::string> s;
  for (const auto& r : o.answer) s.insert(r.data);
  for (const auto& r : o.chain) s.insert("CNAME " + r.data);
  return s;
}

}  // namespace

bool answersDiffer(const Observation& a, const Observation& b) {
  if (a.outcome != b.outcome) return true;
  return dataSet(a) != dataSet(b);
}

Observation mergeServerAnswers(const Question& q, std::vector<Observation> perServer) {
  Observation m;
  m.question = q;
  for (const auto& s : perServer) m.server += (m.server.empty() ? "" : ", ") + s.server;

  bool anyAnswer = false, anyEvidence = false, allNx = true, allLame = !perServer.empty();
  for (const auto& s : perServer) {
    if (s.outcome != Outcome::Lame && s.outcome != Outcome::Refused) allLame = false;
    if (!isEvidence(s.outcome)) continue;
    anyEvidence = true;
    if (s.outcome != Outcome::NxDomain) allNx = false;
    if (s.outcome == Outcome::Answer) anyAnswer = true;
    if (s.negativeTtl) m.negativeTtl = std::max(m.negativeTtl.value_or(0), *s.negativeTtl);
  }

  if (anyAnswer) {
    m.outcome = Outcome::Answer;
    std::uint32_t ttl = UINT32_MAX;
    for (const auto& s : perServer) {
      if (s.outcome != Outcome::Answer) continue;
      if (m.chain.empty()) m.chain = s.chain;
      for (const auto& r : s.answer) {
        ttl = std::min(ttl, r.ttl);
        bool dup = std::any_of(m.answer.begin(), m.answer.end(),
                               [&](const Record& x) { return x.data == r.data; });
        if (!dup) m.answer.push_back(r);
      }
    }
    for (auto& r : m.answer) r.ttl = ttl;  // one RRset, one TTL (RFC 2181 §5.2)
    m.negativeTtl.reset();
  } else if (anyEvidence) {
    m.outcome = allNx ? Outcome::NxDomain : Outcome::NoData;
  } else if (perServer.empty()) {
    m.outcome = Outcome::NotAvailable;
    m.detail = "no authoritative server known";
  } else {
    m.outcome = allLame ? Outcome::Lame : perServer.front().outcome;
    m.detail = "no authoritative server answered";
  }
  m.perServer = std::move(perServer);
  return m;
}

}  // namespace offboard
