// The resolver seam: the only place where offboard gets DNS answers.
//
// What it is for: three interchangeable sources of Observations — the c-ares stub resolver
// (recursive servers), the authoritative walk from the root, and zone files (--zones DIR) —
// behind one asynchronous interface, so that the check engine, `scan` and the gate are the same
// code whatever the source, and tests can substitute a fake.
// What it must not do: decide anything about Microsoft 365. A resolver reports outcomes
// faithfully: a failure is never turned into NXDOMAIN/NODATA, an answer that does not validate
// is Outcome::Malformed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"
#include "resolvers/transport_stats.h"

namespace offboard {

class Resolver {
 public:
  // Takes the observation by rvalue reference: one move less per answer than by value (a
  // lambda taking an Observation by value still fits).
  using Callback = std::function<void(Observation&&)>;

  virtual ~Resolver() = default;

  // Queues a question. The callback runs later, from inside run(), exactly once, never from
  // inside submit() and never from inside a c-ares callback; it may call submit() again
  // (follow-up queries). Questions are sent concurrently, bounded by the resolver's window.
  // A DS question is answered from the parent side (RFC 4035 §2.4). A question naming servers
  // (Question::servers) is answered by those servers only (zone files: by the name's own zone
  // file), or NotAvailable by a source that cannot ask them: never by the servers the name is
  // delegated to now.
  virtual void submit(const Question& q, Callback cb) = 0;

  // Drives I/O until every submitted question (including those submitted from callbacks) has
  // completed. Returns when nothing is outstanding.
  virtual void run() = 0;

  // `hook` runs from inside run(), on its thread, each time run() is about to wait for the
  // network (where it may block), never from inside a callback: a caller that holds back what
  // the answers produced (scan's output into a file) writes it out then, so none of it waits
  // behind a slow server. Empty: none. A source that never waits (zone files) ignores it.
  virtual void setWaitHook(std::function<void()> hook) { (void)hook; }

  // True when Question::parentSide is answered (authoritative walk, zone files holding the
  // parent). The stub resolver sees only what recursive servers say.
  virtual bool seesParentSide() const = 0;

  // A short label for reports: "recursive 127.0.0.53", "zones fixtures/demo", …
  virtual std::string describe() const = 0;

  // Caches that grow with the names asked (the authoritative walk's zone cuts and server
  // addresses): true when the resolver would like to forget them. A bulk caller (the check
  // engine) then starts no new domain, lets run() return, and calls trim(), which is only ever
  // called while nothing is outstanding. Memory then stays flat however long the input.
  virtual bool wantsTrim() const { return false; }
  virtual void trim() {}

  // Optional capabilities: a source that has them overrides these, so no caller needs to know
  // which source it holds.
  //
  // Every record of the zone whose apex is `apex`, when the source can list whole zones (zone
  // files); nullptr otherwise, and for a zone it does not hold. Valid while the resolver lives.
  virtual const std::vector<Record>* zoneListing(const DnsName& apex) const {
    (void)apex;
    return nullptr;
  }
  // True when nothing live is asked (zone files): a server named in the data cannot be queried.
  virtual bool offline() const { return false; }
  // What the transport under the source has done (queries sent, answered, retried, timed out;
  // the window), for `scan --stats`, when the source reports it (the stub resolver); nullopt
  // otherwise.
  virtual std::optional<TransportStats> transportStats() const { return std::nullopt; }
};

}  // namespace offboard
