// The stub resolver: questions answered by recursive servers (the system's or --resolver).
//
// What it is for: the default Resolver. Each question goes with RD=1 to the first server; when
// that server gives no evidence (timeout, SERVFAIL, REFUSED, unreachable, malformed, …) the
// question is asked again of the next server, in order, and the last failure is reported with
// every server's outcome in obs.detail. Evidence (Answer/NoData/NxDomain) from any server ends
// the question.
// What it must not do: read /etc/resolv.conf (system_resolvers.h does, and offboard passes the
// list in), see the parent side of a delegation (a recursive server only shows the child), ask
// named servers (Question::servers: NotAvailable, since a recursive answer would be that of the
// servers the name is delegated to now), or merge answers of different servers.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resolvers/cares_transport.h"
#include "resolvers/resolver.h"

namespace offboard {

class StubResolver : public Resolver {
 public:
  // `servers` in parseServerAddress syntax, tried in this order. Throws std::invalid_argument
  // for an address that does not parse (validate user input with parseServerAddress first).
  // An empty list is allowed: every question then ends as NotAvailable.
  StubResolver(std::vector<std::string> servers, TransportOptions options = {});

  // Canonical "IP:PORT" ("127.0.0.53:53", "[::1]:53") for "IP", "IP:PORT", "[IPv6]:PORT",
  // "[IPv6]" or a bare IPv6 address; nullopt with *error set for names, zone ids, bad ports.
  static std::optional<std::string> parseServerAddress(std::string_view text,
                                                       std::string* error = nullptr);

  void submit(const Question& q, Callback cb) override;
  void run() override;
  void setWaitHook(std::function<void()> hook) override { transport_.setWaitHook(std::move(hook)); }
  // False: recursive servers answer for the child zone only.
  bool seesParentSide() const override { return false; }
  // "recursive 127.0.0.53:53" or "recursive 127.0.0.1:53, [::1]:53".
  std::string describe() const override;
  // The c-ares transport's counters since construction.
  std::optional<TransportStats> transportStats() const override { return transport_.stats(); }

  // The canonical server list, in order.
  const std::vector<std::string>& servers() const { return servers_; }

 private:
  // A question on its way through the servers: the one being asked, what the earlier ones
  // said, the caller's callback. Kept in pending_ and reused through free_, so that the
  // transport's callback holds two pointers, which std::function keeps in place (no
  // allocation per question).
  struct Pending {
    std::size_t index = 0;
    std::string failures;
    Callback cb;
  };
  Pending* acquire(Callback cb);
  // Frees `p` and returns its callback: called before the callback runs, so that one that
  // throws leaves no slot taken.
  Callback release(Pending* p);
  void ask(const Question& q, Pending* p);

  std::vector<std::string> servers_;
  CaresTransport transport_;
  std::deque<Pending> pending_;  // a deque: its elements stay where they are as it grows
  std::vector<Pending*> free_;
  // Questions answered without a server (none configured, parent side or named servers asked): delivered
  // from run() so that a callback never runs inside submit().
  std::deque<std::pair<Observation, Callback>> local_;
};

}  // namespace offboard
