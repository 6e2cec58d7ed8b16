// ZoneResolver: answers questions offline from zone files (`offboard … --zones DIR`).
//
// What it is for: DIR/NAME.zone holds zone NAME in RFC 1035 master format (`root.zone` is the
// root; file names are A-labels). The resolver answers as the authoritative servers of those
// zones would, and follows CNAMEs across them as a recursive resolver would, so that the check
// engine sees the same Observations as with live DNS. It also exposes every record of a zone
// (the planner recreates them elsewhere) and the parent side of delegations: the delegation NS
// and the DS RRset come from the parent zone's file. A question naming servers
// (Question::servers, the DNS host a delegation moves to) is answered from the name's own zone
// file, the rehearsal of what that host is to serve (no server is ever asked).
// What it must not do: touch the network, guess what DIR does not hold (a name under a
// delegation whose child zone is absent is NotAvailable, never NXDOMAIN), or load a file that
// ldns would misread: a BOM, a NUL, an unclosed parenthesis or quote, `$INCLUDE`, a record
// outside the zone, a zone without its SOA, an unparseable TTL — each rejects the whole
// directory with `PATH:LINE: reason`, because a gate must not decide on half-read data.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "resolvers/resolver.h"

namespace offboard {

class ZoneResolver : public Resolver {
 public:
  // Loads every DIR/*.zone (other files are ignored). Returns nullptr with *error set to
  // "DIR/NAME.zone:LINE: reason" (or "DIR/NAME.zone: reason" for file-level problems) on the
  // first file that is not a clean, self-contained zone; an empty DIR is an error too.
  static std::unique_ptr<ZoneResolver> load(const std::string& dir, std::string* error);

  ~ZoneResolver() override;

  // Queues q; cb runs from run(), never from here.
  void submit(const Question& q, Callback cb) override;
  // Answers every queued question, including those submitted by callbacks, in FIFO order.
  void run() override;
  // True: a parent zone held in DIR gives the delegation's NS set (Question::parentSide).
  bool seesParentSide() const override { return true; }
  // "zones DIR".
  std::string describe() const override;

  // Every record of the zone at `apex` (file order, duplicates removed, one TTL per RRset);
  // nullptr when DIR does not hold that zone.
  const std::vector<Record>* zoneListing(const DnsName& apex) const override;
  // True: zone files are a rehearsal, no server is ever asked.
  bool offline() const override { return true; }
  // The apex of the longest zone in DIR that encloses `name`; nullopt when none does.
  std::optional<DnsName> zoneFor(const DnsName& name) const;

  // The answer to one question, computed synchronously (what run() hands to callbacks).
  Observation resolve(const Question& q) const;
  // The apex of the zone that contains `name`: the held zone, or the delegated zone below it
  // (a cut in the held zone) that the name lies in. `name` itself when no held zone encloses it.
  DnsName containingApex(const DnsName& name) const;

  struct Zone;  // one loaded zone: its records indexed by owner name (defined in the .cc)

 private:
  struct Step;
  explicit ZoneResolver(std::string dir);
  // One authoritative lookup of (name, type) in the zone DIR says is responsible for it.
  Step lookup(const DnsName& name, RRType type, bool parentSide) const;

  std::string dir_;
  std::unordered_map<DnsName, std::unique_ptr<const Zone>, DnsNameHash> zones_;
  std::deque<std::pair<Question, Callback>> queue_;
};

}  // namespace offboard
