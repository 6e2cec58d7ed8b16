// Merging the answers of every authoritative server of a zone into one Observation.
//
// What it is for: in authoritative mode each question goes to every server address of the zone;
// the checks must see the worst case (a domain is clear only when every server says so), so the
// merged answer is the UNION of what the servers answered, and each server's own observation is
// kept in `perServer` for ns-inconsistent, lame-delegation and per-server lookup-failed findings.
// What it must not do: hide a disagreement or a failure: they stay visible in perServer.
#pragma once

#include <vector>

#include "core/types.h"

namespace offboard {

// Rules: records of every server that answered (Answer) are united (one RRset, the smallest
// TTL); with no Answer, NxDomain only when every answering server said NXDOMAIN, else NoData;
// with no evidence at all, the outcome is Lame when every server was lame or refused, else the
// first server's failure. `server` lists the servers; `perServer` keeps each observation.
Observation mergeServerAnswers(const Question& q, std::vector<Observation> perServer);

// True when two evidence observations differ in outcome or in their sets of record data.
bool answersDiffer(const Observation& a, const Observation& b);

}  // namespace offboard
