// What a DNS transport has done since it was made: the figures `scan --stats` prints (which
// bench/scan.sh reads).
//
// What it is for: a plain struct that the resolver seam (resolver.h, Resolver::transportStats)
// hands out, so that a caller reads a source's figures without knowing which source it holds,
// and resolver.h stays free of the transport and of c-ares.
// What it must not do: include c-ares or the transport, or hold anything but counts.
#pragma once

#include <cstddef>

namespace offboard {

struct TransportStats {
  std::size_t sent = 0;          // queries handed to c-ares (TCP re-asks count again)
  std::size_t answered = 0;      // queries that ended with a packet (any rcode)
  std::size_t retries = 0;       // tries after the first, over all queries (c-ares' timeouts)
  std::size_t timedOut = 0;      // queries that ended as Timeout (every try lost)
  std::size_t peakInFlight = 0;  // the most queries in flight at once
  std::size_t window = 0;        // the adaptive window now
  std::size_t minWindow = 0;     // the smallest the window was cut to (maxInFlight: never cut)
  std::size_t windowCuts = 0;    // times the window was shrunk after lost packets
};

}  // namespace offboard
