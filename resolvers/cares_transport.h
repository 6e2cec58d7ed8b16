// The c-ares transport: sends single DNS queries to single servers and hands back classified
// answers (wire.h). The only code in offboard that calls c-ares.
//
// What it is for: the I/O under both the stub resolver (recursive servers, RD=1) and the
// authoritative walk (any server per query, RD=0). Each query names the one server it goes to;
// there is one c-ares channel per server address (UDP, plus a TCP-only one on demand), so every
// answer is that server's own evidence (c-ares' NOCHECKRESP stops its fail-over, on purpose).
// The defences of the reliability research §10 live here: c-ares never reads a system file
// (every ares_init_options field that would trigger a read is set), query IDs come from
// getrandom() and are unique per channel, EDNS is on only with an OPT in the query, IGNTC is
// never set (a truncated answer is asked again over TCP), no channel call is ever made from
// inside a c-ares callback (c-ares 1.18.1 double-frees on ares_cancel from a callback), I/O is
// poll() over the sockets c-ares reports plus a fixed tick for its timeouts, a window bounds the
// queries in flight, and an optional overall deadline bounds run(). UDP goes through c-ares'
// socket functions to resolvers/batch_socket.h: the queries of one loop leave in one sendmmsg()
// and answers come in by recvmmsg(), c-ares still reading them one by one and matching each to
// its query (ID and question); a failed send reaches c-ares as that socket's read error.
// What it must not do: decide anything from the c-ares status when a packet exists (the packet
// is classified by wire.h), use ares_query/ares_search/ares_gethostbyname/ares_getaddrinfo, or
// turn any failure into NoData/NxDomain.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"
#include "resolvers/transport_stats.h"
#include "resolvers/wire.h"

namespace offboard {

struct TransportOptions {
  // Time a server gets to answer the first try. c-ares 1.18.1 doubles it at each retry to the
  // same server, so a silent server costs timeoutMs × (2^tries − 1) (300 ms × 2 tries: 900 ms).
  int timeoutMs = 2000;
  // Tries per query and server (UDP; c-ares moves to TCP by itself on truncation).
  int tries = 2;
  // Queries in flight at once over all servers (clamped to 1..30000); the rest wait in order.
  std::size_t maxInFlight = 512;
  // Upper bound on one run() in milliseconds; 0 = none. When reached, every query still queued
  // or in flight ends as Timeout ("overall deadline"), and so does any query sent afterwards
  // during the same run().
  int overallDeadlineMs = 0;
  // Send an EDNS0 OPT (payload 1232) and let c-ares accept answers of that size over UDP.
  bool edns = true;
  // Queries per second at most over all servers; 0 = unlimited. A token bucket refilled as
  // run() loops (at least every tick) and holding one tick's worth of tokens, so sends are
  // spread over each second rather than sent in one burst. c-ares' own retries are not metered.
  double ratePerSecond = 0;
  // Adapt the window: start at maxInFlight, halve it when a live server's answers needed
  // retries (lost packets: a socket buffer overflowing is the usual cause on a fast path), grow
  // it back by one for every window/8 answers that come back on the first try. Timeouts of a
  // server that never answered do not shrink it (dead, not congested). False: the window
  // stays at maxInFlight.
  bool adaptiveWindow = true;
  // UDP sockets per server (1..16): each is its own c-ares channel and queries go to them in
  // turn, so one socket's receive buffer and ID space do not bound the rate to one server.
  int socketsPerServer = 1;
  // Fill WireAnswer::authority and ::additional (the authoritative walk reads referrals and
  // glue there); false leaves them empty, which the stub resolver can afford (it never reads
  // them) and which saves most of the cost of classifying an answer.
  bool keepSections = true;
  // Keep a channel's sockets open when its last query ends (ARES_FLAG_STAYOPEN). c-ares closes
  // them otherwise, and opens new ones for the next query: a stub's few channels would churn
  // sockets all run long (a 2,000-domain scan opened 54 sockets; with the flag, one). Off for
  // the authoritative walk, which meets thousands of servers, most of them once: open sockets
  // would pile up to one per server.
  bool stayOpen = false;
};

// A DNS server address: "IP", "IP:PORT", "[IPv6]", "[IPv6]:PORT" or a bare IPv6 address.
struct ServerEndpoint {
  int family = 0;                        // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> addr{};   // network order; the first 4 octets for IPv4
  std::uint16_t port = 53;
  std::string canonical;                 // "127.0.0.1:53", "[::1]:53"
};

// Parses a server address. Host names are rejected (no resolution here: the servers are what
// resolves names), as are zone ids ("%eth0": c-ares 1.18.1 cannot carry them), port 0, ports
// over 65535 and anything else that is not an address. Returns nullopt with *error set.
std::optional<ServerEndpoint> parseServerEndpoint(std::string_view text,
                                                  std::string* error = nullptr);

class CaresTransport {
 public:
  using Callback = std::function<void(WireAnswer&&)>;  // rvalue: one move less per answer

  // Throws std::runtime_error when c-ares cannot be initialised at all (library init).
  explicit CaresTransport(TransportOptions options = {});
  // Destroys the channels; work never run() is dropped without calling its callbacks.
  ~CaresTransport();
  CaresTransport(const CaresTransport&) = delete;
  CaresTransport& operator=(const CaresTransport&) = delete;

  // Queues one query for `q` to `server` (parseServerEndpoint syntax) with RD as given, over
  // UDP (TCP after truncation) or TCP only when `tcpOnly`. `cb` runs exactly once, from inside
  // run(), never from inside send() or a c-ares callback; it may call send() again. A bad server
  // address or an unusable channel ends as NotAvailable with the reason in obs.detail.
  void send(const std::string& server, const Question& q, bool rd, Callback cb,
            bool tcpOnly = false);

  // Drives I/O until nothing is queued or in flight, including queries sent from callbacks, or
  // until the overall deadline. Throws std::runtime_error only if getrandom() fails (query IDs
  // must not be guessable; CVE-2023-31147).
  void run();
  // Runs `hook` in run() before each poll() that may block, after the queries of that loop are
  // sent (Resolver::setWaitHook). Empty: none.
  void setWaitHook(std::function<void()> hook);

  // Queries queued or in flight.
  std::size_t outstanding() const;
  // Closes every channel and forgets every server: memory that grows with the servers asked
  // (the authoritative walk meets thousands in a long scan). Only when nothing is outstanding;
  // returns whether it did. The counters (stats) are kept.
  bool forgetServers();
  // Servers known (each with its channels).
  std::size_t serversKnown() const;
  // Queries handed to c-ares since construction (TCP retries count again).
  std::size_t queriesSent() const;
  const TransportOptions& options() const;
  // Counters since construction (resolvers/transport_stats.h).
  TransportStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace offboard
