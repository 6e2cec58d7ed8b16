#include "resolvers/authoritative_resolver.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <set>
#include <unordered_map>
#include <utility>

#include "core/server_merge.h"

namespace offboard {
namespace {

bool isIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

std::string namesText(const std::vector<DnsName>& names, const char* sep) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : sep) + n.toString();
  return s;
}

// One RRset, one TTL (RFC 2181 §5.2), no duplicates, stable order.
std::vector<Record> normaliseRrset(std::vector<Record> rrs) {
  std::vector<Record> out;
  std::uint32_t ttl = UINT32_MAX;
  for (auto& r : rrs) {
    ttl = std::min(ttl, r.ttl);
    bool dup = std::any_of(out.begin(), out.end(), [&](const Record& x) { return x.data == r.data; });
    if (!dup) out.push_back(std::move(r));
  }
  for (auto& r : out) r.ttl = ttl;
  std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) { return a.data < b.data; });
  return out;
}

Observation lame(Observation obs, std::string detail) {
  obs.outcome = Outcome::Lame;
  obs.detail = std::move(detail);
  obs.answer.clear();
  obs.chain.clear();
  obs.negativeTtl.reset();
  return obs;
}

bool aliasWithoutAnswer(const Observation& o) {
  return o.outcome == Outcome::NotAvailable && !o.chain.empty();
}

}  // namespace

// ---- pure parts -----------------------------------------------------------------------------

std::optional<Referral> referralIn(const WireAnswer& w) {
  if (!w.referral) return std::nullopt;
  DnsName sought = w.obs.chain.empty() ? w.obs.question.name : w.obs.chain.back().target;
  std::optional<DnsName> zone;
  for (const auto& r : w.authority) {
    if (r.type != RRType::NS || !sought.isPartOf(r.name)) continue;
    if (!zone || r.name.labelCount() > zone->labelCount()) zone = r.name;
  }
  if (!zone) return std::nullopt;
  Referral ref;
  ref.zone = *zone;
  for (const auto& r : w.authority)
    if (r.type == RRType::NS && r.name == *zone) ref.ns.push_back(r);
  ref.ns = normaliseRrset(std::move(ref.ns));
  return ref;
}

std::map<DnsName, std::vector<std::string>> bailiwickGlue(const std::vector<Record>& additional,
                                                          const std::vector<DnsName>& nsNames,
                                                          const DnsName& bailiwick, bool ipv6) {
  std::map<DnsName, std::vector<std::string>> glue;
  for (const auto& r : additional) {
    if (r.type != RRType::A && !(ipv6 && r.type == RRType::AAAA)) continue;
    if (!r.name.isPartOf(bailiwick)) continue;
    if (std::find(nsNames.begin(), nsNames.end(), r.name) == nsNames.end()) continue;
    auto& list = glue[r.name];
    if (std::find(list.begin(), list.end(), r.data) == list.end()) list.push_back(r.data);
  }
  return glue;
}

WalkStep classifyStep(const DnsName& zone, const DnsName& next, const WireAnswer& w, bool ipv6) {
  WalkStep s;
  s.obs = w.obs;
  const Observation& o = w.obs;
  auto nsNames = [](const std::vector<Record>& ns) {
    std::vector<DnsName> out;
    for (const auto& r : ns) out.push_back(r.target);
    return out;
  };
  if (w.referral) {
    auto ref = referralIn(w);
    if (ref && ref->zone == next) {
      s.kind = WalkStepKind::Delegation;
      s.ns = ref->ns;
      s.glue = bailiwickGlue(w.additional, nsNames(s.ns), zone, ipv6);
      return s;
    }
    DnsName to = ref ? ref->zone : zone;
    s.obs = lame(o, zone.isPartOf(to)
                        ? "referral loop at " + zone.toString() + ": asked for " +
                              next.toString() + ", the server refers back to " + to.toString()
                        : "referral from " + zone.toString() + " to " + to.toString() +
                              ", which is not on the way to " + next.toString());
    return s;
  }
  if (isEvidence(o.outcome) || aliasWithoutAnswer(o)) {
    if (!w.aa) {
      s.obs = lame(o, "not authoritative (answer without AA for " + next.toString() + ")");
      return s;
    }
    if (o.outcome == Outcome::NxDomain) {
      s.kind = WalkStepKind::NoSuchName;
      return s;
    }
    if (o.outcome == Outcome::Answer && o.chain.empty() && !o.answer.empty() &&
        o.answer.front().type == RRType::NS && o.answer.front().name == next) {
      // The server serves the child zone too and answers from it (no referral to see).
      s.kind = WalkStepKind::Delegation;
      s.ns = normaliseRrset(o.answer);
      s.glue = bailiwickGlue(w.additional, nsNames(s.ns), zone, ipv6);
      return s;
    }
    s.kind = WalkStepKind::InZone;
    return s;
  }
  return s;  // a failure: Unusable as classified by the wire layer
}

Observation judgeZoneAnswer(const DnsName& zone, WireAnswer w) {
  auto ref = referralIn(w);
  Observation o = std::move(w.obs);
  if (w.referral) {
    DnsName to = ref ? ref->zone : zone;
    if (to.isPartOf(zone) && to != zone) {
      o.outcome = Outcome::NotAvailable;
      o.detail = "referral to " + to.toString() + ": this server delegates the name, the walk found " +
                 "no zone cut there (the servers of " + zone.toString() + " disagree)";
      return o;
    }
    return lame(std::move(o), "not authoritative (referral to " + to.toString() + ")");
  }
  if ((isEvidence(o.outcome) || aliasWithoutAnswer(o)) && !w.aa)
    return lame(std::move(o), "not authoritative (answer without AA)");
  return o;
}

Observation judgeParentAnswer(const DnsName& child, WireAnswer w) {
  if (w.referral) {
    auto ref = referralIn(w);
    Observation o = std::move(w.obs);
    if (ref && ref->zone == child) {
      o.outcome = Outcome::Answer;
      o.detail.clear();
      o.answer = ref->ns;
      return o;
    }
    return lame(std::move(o), "not authoritative (referral to " +
                                  (ref ? ref->zone.toString() : std::string("?")) + ")");
  }
  Observation o = std::move(w.obs);
  if (isEvidence(o.outcome) || aliasWithoutAnswer(o)) {
    if (!w.aa) return lame(std::move(o), "not authoritative (answer without AA)");
    if (o.outcome == Outcome::Answer) o.detail = "answered from the child zone (this server serves it too)";
  }
  return o;
}

std::optional<std::string> dependencyLoop(const std::vector<DnsName>& path, const DnsName& zone) {
  auto it = std::find(path.begin(), path.end(), zone);
  if (it == path.end()) return std::nullopt;
  std::vector<DnsName> cycle(it, path.end());
  cycle.push_back(zone);
  return "referral loop at " + zone.toString() +
         ": the addresses of its nameservers can only be found through itself (" +
         namesText(cycle, " -> ") + ")";
}

// ---- the resolver ---------------------------------------------------------------------------

namespace {

enum class Phase { Idle, Working, Ready, Failed };

// One server address and every nameserver name that has it: a zone whose names share an
// address is asked once at that address, not once per name (500 names glued to one address
// must not cost 500 queries per question there).
struct Server {
  std::vector<DnsName> hosts;  // sorted, distinct
  std::string address;         // what the transport is given ("IP:53", or a redirect)
  std::string label;           // what reports show: "IP:53 (host, host…)"
};

// Why a walk could not go on.
struct Fail {
  Outcome outcome = Outcome::NotAvailable;
  std::string detail;
  std::vector<Observation> perServer;
};

using Done = std::function<void(const Fail*)>;  // nullptr: success

struct Zone {
  DnsName apex;
  std::optional<DnsName> parent;  // the zone that delegated it; none for the root
  std::vector<Record> delegation; // NS RRset by which the parent delegates it (or the hints)
  std::map<DnsName, std::vector<std::string>> glue;

  // Addresses of the delegation's nameservers (what the walk needs to go on).
  Phase servers = Phase::Idle;
  std::vector<Server> parentServers;
  Fail serversFail;
  std::vector<Done> serverWaiters;

  // Every server of the zone: the delegation's plus the apex NS set's (reliability §6).
  Phase full = Phase::Idle;
  std::vector<Server> allServers;
  std::vector<Observation> unaddressed;  // NS names without an address, as failures
  std::optional<Fail> fullFail;          // the set is over a bound: every question fails closed
  std::vector<std::function<void()>> fullWaiters;
};

struct Host {
  Phase phase = Phase::Idle;
  std::vector<std::string> addresses;
  Fail fail;
  std::vector<Done> waiters;
};

struct StepState {
  Phase phase = Phase::Idle;
  WalkStep step;
  Fail fail;  // when no server gave a usable answer
  std::vector<std::function<void()>> waiters;
};

// Where a name lives: its zone, and whether the walk saw it does not exist.
struct Located {
  struct Zone* zone = nullptr;
  bool nx = false;
  const Fail* fail = nullptr;
};
using LocatedCb = std::function<void(const Located&)>;

}  // namespace

struct AuthoritativeResolver::Impl {
  AuthoritativeOptions opt;
  CaresTransport transport;
  std::unordered_map<DnsName, std::unique_ptr<Zone>, DnsNameHash> zones;
  std::unordered_map<DnsName, std::unique_ptr<Host>, DnsNameHash> hosts;
  std::map<std::pair<DnsName, DnsName>, std::unique_ptr<StepState>> steps;
  std::deque<std::pair<Observation, Callback>> local;  // results found inside submit()
  bool inSubmit = false;

  explicit Impl(AuthoritativeOptions o) : opt(std::move(o)), transport(opt.transport) {
    addRootZone();
  }

  void addRootZone() {
    auto root = std::make_unique<Zone>();
    root->apex = DnsName::root();
    for (const auto& s : opt.rootHints.servers) {
      Record r;
      r.name = DnsName::root();
      r.type = RRType::NS;
      r.ttl = opt.rootHints.ttl;
      r.target = s;
      r.data = s.toString();
      root->delegation.push_back(std::move(r));
      auto it = opt.rootHints.addresses.find(s);
      if (it == opt.rootHints.addresses.end()) continue;
      for (const auto& a : it->second)
        if (opt.ipv6 || !isIpv6(a)) root->glue[s].push_back(a);
    }
    zones.emplace(DnsName::root(), std::move(root));
  }

  std::size_t cacheEntries() const {
    return zones.size() + hosts.size() + steps.size() + queues.size() + transport.serversKnown();
  }

  // Only with nothing in flight: every pointer into the caches lives in a callback of a walk.
  bool trim() {
    if (!live.empty() || !local.empty() || !transport.forgetServers()) return false;
    zones.clear();
    hosts.clear();
    steps.clear();
    queues.clear();
    addRootZone();
    return true;
  }

  // ---- servers -------------------------------------------------------------------------------

  Server makeServer(const DnsName& host, const std::string& ip) {
    std::string canonical = isIpv6(ip) ? "[" + ip + "]:53" : ip + ":53";
    auto it = opt.redirect.find(ip);
    return Server{{host}, it == opt.redirect.end() ? canonical : it->second,
                  canonical + " (" + host.toString() + ")"};
  }

  // One Server per address (the hosts that share it merged, the label naming them all), in a
  // stable order: by first host name, then address.
  static std::vector<Server> mergeServers(const std::vector<Server>& in) {
    std::vector<Server> out;
    for (const auto& s : in) {
      auto it = std::find_if(out.begin(), out.end(), [&](const Server& x) { return x.address == s.address; });
      if (it == out.end()) {
        out.push_back(s);
        continue;
      }
      for (const auto& h : s.hosts)
        if (std::find(it->hosts.begin(), it->hosts.end(), h) == it->hosts.end()) it->hosts.push_back(h);
    }
    for (auto& s : out) {
      std::sort(s.hosts.begin(), s.hosts.end());
      std::string canonical = s.label.substr(0, s.label.find(' '));
      s.label = canonical + " (" + namesText(s.hosts, ", ") + ")";
    }
    std::sort(out.begin(), out.end(), [](const Server& a, const Server& b) {
      if (a.hosts.front() != b.hosts.front()) return a.hosts.front() < b.hosts.front();
      return a.address < b.address;
    });
    return out;
  }

  // The fail-closed refusal of a zone whose NS set is over the bound (see AuthoritativeOptions).
  Fail tooManyNames(const DnsName& apex, const char* which, std::size_t n) const {
    return Fail{Outcome::NotAvailable,
                std::string(which) + " of " + apex.toString() + " names " + std::to_string(n) +
                    " nameservers, more than offboard's bound of " + std::to_string(opt.maxNsNames) +
                    "; not followed",
                {}};
  }
  Fail tooManyAddresses(const DnsName& apex, std::size_t n) const {
    return Fail{Outcome::NotAvailable,
                "the nameservers of " + apex.toString() + " have " + std::to_string(n) +
                    " addresses, more than offboard's bound of " + std::to_string(opt.maxServerAddresses) +
                    "; not followed",
                {}};
  }

  // ---- pacing: at most maxInFlightPerServer queries at one server address ----------------------

  struct ServerQueue {
    std::size_t inFlight = 0;
    std::deque<std::function<void()>> waiting;
  };
  std::unordered_map<std::string, ServerQueue> queues;

  void sendTo(const std::string& address, const Question& q, std::function<void(WireAnswer)> cb) {
    auto go = [this, address, q, cb = std::move(cb)]() mutable {
      transport.send(address, q, /*rd=*/false, [this, address, cb = std::move(cb)](WireAnswer w) {
        --queues[address].inFlight;
        pump(address);
        cb(std::move(w));
      });
    };
    queues[address].waiting.push_back(std::move(go));
    pump(address);
  }

  void pump(const std::string& address) {
    ServerQueue& sq = queues[address];
    std::size_t limit = std::max<std::size_t>(1, opt.maxInFlightPerServer);
    while (sq.inFlight < limit && !sq.waiting.empty()) {
      auto go = std::move(sq.waiting.front());
      sq.waiting.pop_front();
      ++sq.inFlight;
      go();
    }
  }

  // ---- one query to the servers of a zone in turn, until one is usable -----------------------

  // Sends `q` (RD=0) to servers[i], then the next while `judge` says the answer is unusable.
  // `done` gets the usable answer, or nullptr with every server's judged attempt.
  using Judge = std::function<bool(const WireAnswer&, Observation& judged)>;
  void firstUsable(std::shared_ptr<std::vector<Server>> servers, std::size_t i, Question q,
                   Judge judge, std::shared_ptr<std::vector<Observation>> attempts,
                   std::function<void(const WireAnswer*, std::vector<Observation>)> done) {
    if (i >= servers->size()) {
      done(nullptr, std::move(*attempts));
      return;
    }
    const Server& s = (*servers)[i];
    std::string label = s.label;
    sendTo(s.address, q,
                   [this, servers, i, q, judge, attempts, done, label](WireAnswer w) mutable {
                     w.obs.server = label;
                     Observation judged;
                     if (judge(w, judged)) {
                       done(&w, std::move(*attempts));
                       return;
                     }
                     judged.server = label;
                     attempts->push_back(std::move(judged));
                     firstUsable(servers, i + 1, q, judge, attempts, done);
                   });
  }

  // ---- addresses of a zone's delegated nameservers -------------------------------------------

  void ensureServers(Zone& z, const std::vector<DnsName>& path, Done done) {
    if (z.servers == Phase::Ready) return done(nullptr);
    if (z.servers == Phase::Failed) return done(&z.serversFail);
    if (z.servers == Phase::Working) {
      if (auto loop = dependencyLoop(path, z.apex)) {
        Fail f{Outcome::NotAvailable, *loop, {}};
        return done(&f);
      }
      z.serverWaiters.push_back(std::move(done));
      return;
    }
    z.servers = Phase::Working;
    z.serverWaiters.push_back(std::move(done));
    std::vector<DnsName> names;
    for (const auto& r : z.delegation)
      if (std::find(names.begin(), names.end(), r.target) == names.end()) names.push_back(r.target);
    if (names.empty()) {
      finishServers(z, {}, {}, 0);
      return;
    }
    // A delegation to more names than any real zone uses is an amplification attempt (500
    // names glued to one victim address, or 500 glue-less names under a victim's zone:
    // NXNSAttack, CVE-2020-12662/-8616). Using the first N would silently ask only part of
    // the zone's servers, so the zone fails closed instead: not evidence, lookup-failed.
    if (names.size() > opt.maxNsNames) {
      failServers(z, tooManyNames(z.apex, "the delegation", names.size()));
      return;
    }
    std::vector<DnsName> inner = path;
    inner.push_back(z.apex);
    struct Pending {
      std::size_t left;
      std::vector<Server> found;
      std::vector<std::pair<DnsName, Fail>> failed;
      std::size_t skipped = 0;  // glue-less names over the per-referral bound, not looked up
    };
    auto pending = std::make_shared<Pending>();
    pending->left = names.size();
    Zone* zp = &z;
    std::size_t glueless = 0;
    for (const auto& host : names) {
      auto finishOne = [this, zp, pending]() {
        if (--pending->left == 0) finishServers(*zp, pending->found, pending->failed, pending->skipped);
      };
      auto g = z.glue.find(host);
      if (g != z.glue.end() && !g->second.empty()) {
        for (const auto& a : g->second) pending->found.push_back(makeServer(host, a));
        finishOne();
        continue;
      }
      // Following a referral needs one server that answers, not all of them: at most
      // maxGluelessPerReferral glue-less names are looked up for it (every other name's
      // address is still looked up when the zone itself is asked, in collectAll).
      if (z.parent && ++glueless > opt.maxGluelessPerReferral) {
        ++pending->skipped;
        finishOne();
        continue;
      }
      if (!z.parent) {
        // The root's servers can only come from the hints: looking them up needs the root.
        pending->failed.emplace_back(
            host, Fail{Outcome::NotAvailable,
                       std::string("no usable address in the root hints") +
                           (opt.ipv6 ? "" : " (IPv6 addresses are not used)"),
                       {}});
        finishOne();
        continue;
      }
      resolveHost(host, inner, [this, host, pending, finishOne](const Fail* f) {
        if (f) {
          pending->failed.emplace_back(host, *f);
        } else {
          for (const auto& a : hosts.at(host)->addresses) pending->found.push_back(makeServer(host, a));
        }
        finishOne();
      });
    }
  }

  void finishServers(Zone& z, const std::vector<Server>& found,
                     const std::vector<std::pair<DnsName, Fail>>& failed, std::size_t skipped) {
    if (z.servers != Phase::Working) return;
    std::vector<Server> merged = mergeServers(found);
    if (merged.size() > opt.maxServerAddresses) return failServers(z, tooManyAddresses(z.apex, merged.size()));
    if (!merged.empty()) {
      z.parentServers = std::move(merged);
      z.servers = Phase::Ready;
    } else {
      z.servers = Phase::Failed;
      z.serversFail.outcome = Outcome::NotAvailable;
      // A loop says it all; otherwise name each server and why it has no address.
      std::string detail;
      for (const auto& [host, f] : failed)
        if (f.detail.rfind("referral loop", 0) == 0) detail = f.detail;
      if (detail.empty()) {
        detail = "no address for any nameserver of " + z.apex.toString();
        for (const auto& [host, f] : failed) detail += "; " + host.toString() + ": " + f.detail;
        if (skipped > 0)
          detail += "; " + std::to_string(skipped) + " more glue-less nameservers not looked up (offboard " +
                    "looks up at most " + std::to_string(opt.maxGluelessPerReferral) + " per referral)";
        if (failed.empty() && skipped == 0) detail += " (empty NS set)";
      }
      z.serversFail.detail = std::move(detail);
    }
    notifyServers(z);
  }

  void failServers(Zone& z, Fail f) {
    z.servers = Phase::Failed;
    z.serversFail = std::move(f);
    notifyServers(z);
  }

  void notifyServers(Zone& z) {
    auto waiters = std::move(z.serverWaiters);
    z.serverWaiters.clear();
    for (auto& w : waiters) w(z.servers == Phase::Ready ? nullptr : &z.serversFail);
  }

  // ---- addresses of one nameserver name, found with the same walk ----------------------------

  void resolveHost(const DnsName& name, const std::vector<DnsName>& path, Done done) {
    auto& slot = hosts[name];
    if (!slot) slot = std::make_unique<Host>();
    Host& h = *slot;
    if (h.phase == Phase::Ready) return done(nullptr);
    if (h.phase == Phase::Failed) return done(&h.fail);
    if (h.phase == Phase::Working) {
      h.waiters.push_back(std::move(done));
      return;
    }
    h.phase = Phase::Working;
    h.waiters.push_back(std::move(done));
    if (path.size() > opt.maxGluelessDepth) {
      finishHost(name, {}, Fail{Outcome::ChainTooLong,
                                "glue-less nameserver chain deeper than " +
                                    std::to_string(opt.maxGluelessDepth) + " (" +
                                    namesText(path, " -> ") + " -> " + name.toString() + ")",
                                {}});
      return;
    }
    locate(name, path, [this, name, path](const Located& l) {
      if (l.fail) return finishHost(name, {}, *l.fail);
      if (l.nx)
        return finishHost(name, {}, Fail{Outcome::NxDomain, name.toString() + " does not exist", {}});
      std::vector<RRType> types{RRType::A};
      if (opt.ipv6) types.push_back(RRType::AAAA);
      auto pending = std::make_shared<std::pair<std::size_t, std::vector<std::string>>>(types.size(),
                                                                                         std::vector<std::string>{});
      auto why = std::make_shared<std::string>();
      Zone* z = l.zone;
      for (RRType t : types) {
        Question q{name, t};
        Judge judge = [z](const WireAnswer& w, Observation& judged) {
          judged = judgeZoneAnswer(z->apex, w);
          return isEvidence(judged.outcome);
        };
        firstUsable(std::make_shared<std::vector<Server>>(z->parentServers), 0, q, judge,
                    std::make_shared<std::vector<Observation>>(),
                    [this, name, pending, why, z](const WireAnswer* w, std::vector<Observation> attempts) {
                      if (w) {
                        if (w->aa && w->obs.outcome == Outcome::Answer)
                          for (const auto& r : w->obs.answer) pending->second.push_back(r.data);
                      } else if (why->empty()) {
                        *why = "no server of " + z->apex.toString() + " gave its address";
                        for (const auto& a : attempts)
                          *why += "; " + a.server + ": " + std::string(outcomeName(a.outcome));
                      }
                      if (--pending->first > 0) return;
                      if (pending->second.empty())
                        return finishHost(name, {},
                                          Fail{Outcome::NotAvailable,
                                               why->empty() ? name.toString() + " has no address" : *why,
                                               {}});
                      finishHost(name, pending->second, Fail{});
                    });
      }
    });
  }

  void finishHost(const DnsName& name, std::vector<std::string> addresses, Fail fail) {
    Host& h = *hosts.at(name);
    if (h.phase != Phase::Working) return;
    if (!addresses.empty()) {
      h.addresses = std::move(addresses);
      h.phase = Phase::Ready;
    } else {
      h.fail = std::move(fail);
      h.phase = Phase::Failed;
    }
    auto waiters = std::move(h.waiters);
    h.waiters.clear();
    for (auto& w : waiters) w(h.phase == Phase::Ready ? nullptr : &h.fail);
  }

  // ---- finding the zone of a name --------------------------------------------------------------

  Zone* deepestKnown(const DnsName& name) {
    for (DnsName n = name;; n = n.parent()) {
      auto it = zones.find(n);
      if (it != zones.end()) return it->second.get();
      if (n.isRoot()) return nullptr;  // unreachable: the root is always known
    }
  }

  void locate(const DnsName& name, const std::vector<DnsName>& path, LocatedCb cb) {
    Zone* z = deepestKnown(name);
    descend(z, z->apex, name, path, 0, std::move(cb));
  }

  // Walks down from zone `z`, in which `at` is known to exist without a cut, towards `name`.
  void descend(Zone* z, DnsName at, DnsName name, std::vector<DnsName> path, std::size_t referrals,
               LocatedCb cb) {
    ensureServers(*z, path, [this, z, at, name, path, referrals, cb](const Fail* f) {
      if (f) {
        Located l;
        l.fail = f;
        return cb(l);
      }
      if (at == name) {
        Located l;
        l.zone = z;
        return cb(l);
      }
      auto below = name.labelsBelow(at);
      DnsName next = *at.prepend(below.back());
      step(*z, next, [this, z, next, name, path, referrals, cb](StepState& s) {
        Located l;
        if (s.phase == Phase::Failed) {
          l.fail = &s.fail;
          return cb(l);
        }
        switch (s.step.kind) {
          case WalkStepKind::Delegation: {
            if (referrals + 1 > opt.maxReferrals) {
              Fail tooLong{Outcome::ChainTooLong,
                           "referral chain too long (more than " + std::to_string(opt.maxReferrals) +
                               " referrals) at " + next.toString(),
                           {}};
              l.fail = &tooLong;
              return cb(l);
            }
            Zone* child = zones.at(next).get();
            return descend(child, next, name, path, referrals + 1, cb);
          }
          case WalkStepKind::InZone:
            return descend(z, next, name, path, referrals, cb);
          case WalkStepKind::NoSuchName:
            l.zone = z;
            l.nx = true;
            return cb(l);
          case WalkStepKind::Unusable:
            break;
        }
        Fail odd{Outcome::NotAvailable, "no usable answer", {}};
        l.fail = &odd;
        cb(l);
      });
    });
  }

  // `next NS?` to the servers of z, one at a time; shared by every walk that passes here.
  void step(Zone& z, const DnsName& next, std::function<void(StepState&)> cb) {
    auto& slot = steps[{z.apex, next}];
    if (!slot) slot = std::make_unique<StepState>();
    StepState* s = slot.get();
    if (s->phase == Phase::Ready || s->phase == Phase::Failed) return cb(*s);
    s->waiters.push_back([s, cb] { cb(*s); });
    if (s->phase == Phase::Working) return;
    s->phase = Phase::Working;
    Question q{next, RRType::NS};
    DnsName apex = z.apex;
    bool ipv6 = opt.ipv6;
    Judge judge = [apex, next, ipv6](const WireAnswer& w, Observation& judged) {
      WalkStep st = classifyStep(apex, next, w, ipv6);
      judged = st.obs;
      return st.kind != WalkStepKind::Unusable;
    };
    Zone* zp = &z;
    firstUsable(std::make_shared<std::vector<Server>>(z.parentServers), 0, q, judge,
                std::make_shared<std::vector<Observation>>(),
                [this, s, zp, next, ipv6](const WireAnswer* w, std::vector<Observation> attempts) {
                  if (w) {
                    s->step = classifyStep(zp->apex, next, *w, ipv6);
                    s->phase = Phase::Ready;
                    if (s->step.kind == WalkStepKind::Delegation) addZone(*zp, next, s->step);
                  } else {
                    s->phase = Phase::Failed;
                    Observation merged = mergeServerAnswers(Question{next, RRType::NS}, attempts);
                    s->fail.outcome = merged.outcome;
                    std::string loop;
                    for (const auto& a : attempts)
                      if (a.detail.rfind("referral loop", 0) == 0 && loop.empty()) loop = a.detail;
                    s->fail.detail = !loop.empty() ? loop
                                                   : "no server of " + zp->apex.toString() +
                                                         " answered the NS query for " + next.toString();
                    s->fail.perServer = std::move(attempts);
                  }
                  auto waiters = std::move(s->waiters);
                  s->waiters.clear();
                  for (auto& f : waiters) f();
                });
  }

  void addZone(const Zone& parent, const DnsName& apex, const WalkStep& st) {
    if (zones.count(apex)) return;
    auto z = std::make_unique<Zone>();
    z->apex = apex;
    z->parent = parent.apex;
    z->delegation = st.ns;
    z->glue = st.glue;
    zones.emplace(apex, std::move(z));
  }

  // ---- every server of a zone ------------------------------------------------------------------

  void ensureFull(Zone& z, std::function<void()> done) {
    if (z.full == Phase::Ready) return done();
    z.fullWaiters.push_back(std::move(done));
    if (z.full == Phase::Working) return;
    z.full = Phase::Working;
    Zone* zp = &z;
    DnsName apex = z.apex;
    bool ipv6 = opt.ipv6;
    Judge judge = [apex](const WireAnswer& w, Observation& judged) {
      judged = judgeZoneAnswer(apex, w);
      return isEvidence(judged.outcome);
    };
    firstUsable(std::make_shared<std::vector<Server>>(z.parentServers), 0, Question{apex, RRType::NS},
                judge, std::make_shared<std::vector<Observation>>(),
                [this, zp, ipv6](const WireAnswer* w, std::vector<Observation>) {
                  std::vector<DnsName> names;
                  auto add = [&names](const DnsName& n) {
                    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
                  };
                  for (const auto& r : zp->delegation) add(r.target);
                  std::map<DnsName, std::vector<std::string>> apexGlue;
                  if (w && w->obs.outcome == Outcome::Answer) {
                    std::vector<DnsName> apexNames;
                    for (const auto& r : w->obs.answer) {
                      if (r.type != RRType::NS) continue;
                      add(r.target);
                      apexNames.push_back(r.target);
                    }
                    apexGlue = bailiwickGlue(w->additional, apexNames, zp->apex, ipv6);
                  }
                  // The bound holds for the union too: an apex NS set of 500 names (glued or
                  // glue-less) would amplify just as a delegation would.
                  if (names.size() > opt.maxNsNames)
                    return finishFull(*zp, {}, {},
                                      tooManyNames(zp->apex, "the delegation and apex NS sets", names.size()));
                  collectAll(*zp, names, apexGlue);
                });
  }

  void collectAll(Zone& z, const std::vector<DnsName>& names,
                  const std::map<DnsName, std::vector<std::string>>& apexGlue) {
    struct Pending {
      std::size_t left;
      std::vector<Server> found;
      std::vector<Observation> missing;
    };
    auto pending = std::make_shared<Pending>();
    pending->left = names.size() + 1;
    Zone* zp = &z;
    auto finishOne = [this, zp, pending]() {
      if (--pending->left > 0) return;
      std::vector<Server> merged = mergeServers(pending->found);
      if (merged.size() > opt.maxServerAddresses)
        return finishFull(*zp, {}, {}, tooManyAddresses(zp->apex, merged.size()));
      finishFull(*zp, std::move(merged), std::move(pending->missing), std::nullopt);
    };
    for (const auto& host : names) {
      bool known = false;
      for (const auto& s : z.parentServers) {
        if (std::find(s.hosts.begin(), s.hosts.end(), host) == s.hosts.end()) continue;
        Server one = s;
        one.hosts = {host};
        pending->found.push_back(std::move(one));
        known = true;
      }
      auto g = apexGlue.find(host);
      if (!known && g != apexGlue.end()) {
        for (const auto& a : g->second) pending->found.push_back(makeServer(host, a));
        known = true;
      }
      if (known) {
        finishOne();
        continue;
      }
      resolveHost(host, {z.apex}, [this, host, pending, finishOne](const Fail* f) {
        if (f) {
          Observation o;
          o.outcome = f->outcome == Outcome::NxDomain ? Outcome::NotAvailable : f->outcome;
          o.server = "(" + host.toString() + ", no address)";
          o.detail = "no address for the nameserver " + host.toString() + ": " + f->detail;
          pending->missing.push_back(std::move(o));
        } else {
          for (const auto& a : hosts.at(host)->addresses) pending->found.push_back(makeServer(host, a));
        }
        finishOne();
      });
    }
    finishOne();
  }

  void finishFull(Zone& z, std::vector<Server> servers, std::vector<Observation> missing,
                  std::optional<Fail> fail) {
    z.allServers = std::move(servers);
    z.unaddressed = std::move(missing);
    z.fullFail = std::move(fail);
    z.full = Phase::Ready;
    auto waiters = std::move(z.fullWaiters);
    z.fullWaiters.clear();
    for (auto& w : waiters) w();
  }

  // ---- asking every server ---------------------------------------------------------------------

  // Sends q to every server of z (RD=0) in parallel; `judge` turns each answer into that
  // server's observation; `done` gets them in server order, then the unaddressed names.
  void fanOut(Zone& z, const Question& q, std::function<Observation(WireAnswer)> judge,
              std::function<void(std::vector<Observation>)> done) {
    fanOutTo(z.allServers, z.unaddressed, q, std::move(judge), std::move(done));
  }

  // fanOut to `servers`; `extra` (names without an address, as failures) follow their answers.
  void fanOutTo(const std::vector<Server>& servers, std::vector<Observation> extra, const Question& q,
                std::function<Observation(WireAnswer)> judge, std::function<void(std::vector<Observation>)> done) {
    struct Pending {
      std::size_t left;
      std::vector<Observation> results;
    };
    auto pending = std::make_shared<Pending>();
    pending->left = servers.size() + 1;
    pending->results.resize(servers.size());
    for (auto& e : extra) e.question = q;
    auto finishOne = [pending, extra = std::move(extra), done]() {
      if (--pending->left > 0) return;
      auto all = std::move(pending->results);
      all.insert(all.end(), extra.begin(), extra.end());
      done(std::move(all));
    };
    for (std::size_t i = 0; i < servers.size(); ++i) {
      const Server& s = servers[i];
      std::string label = s.label;
      sendTo(s.address, q,
                     [pending, i, judge, label, finishOne](WireAnswer w) {
                       w.obs.server = label;
                       pending->results[i] = judge(std::move(w));
                       pending->results[i].server = label;
                       finishOne();
                     });
    }
    finishOne();
  }

  // ---- answering a question ----------------------------------------------------------------------

  static Observation failed(const Question& q, const Fail& f) {
    Observation o;
    o.question = q;
    o.outcome = f.outcome;
    o.detail = f.detail;
    for (auto s : f.perServer) {
      s.question = q;
      o.perServer.push_back(std::move(s));
    }
    if (!o.perServer.empty()) {
      for (const auto& s : o.perServer) o.server += (o.server.empty() ? "" : ", ") + s.server;
    }
    return o;
  }

  // `seen`: names of the CNAME chain so far (loop detection); `zonesCrossed` bounds the chain.
  void resolve(const Question& q, std::vector<DnsName> seen, std::size_t zonesCrossed,
               std::function<void(Observation)> cb) {
    if (!q.servers.empty()) return askNamed(q, std::move(cb));
    if (q.type == RRType::DS && !q.name.isRoot()) return askDs(q, std::move(cb));
    locate(q.name, {}, [this, q, seen, zonesCrossed, cb](const Located& l) {
      if (l.fail) return cb(failed(q, *l.fail));
      Zone* z = l.zone;
      if (q.parentSide && q.type == RRType::NS && !l.nx) return askParent(q, *z, cb);
      ensureFull(*z, [this, q, z, seen, zonesCrossed, cb]() {
        if (z->fullFail) return cb(failed(q, *z->fullFail));
        Question asked{q.name, q.type};
        DnsName apex = z->apex;
        fanOut(*z, asked, [apex](WireAnswer w) { return judgeZoneAnswer(apex, std::move(w)); },
               [this, q, seen, zonesCrossed, cb](std::vector<Observation> per) {
                 for (auto& s : per) s.question = q;
                 followAliases(q, std::move(per), seen, zonesCrossed, cb);
               });
      });
    });
  }

  // A DS RRset lives in the parent zone (RFC 4035 §2.4): asked of every server of the zone that
  // contains the name's parent, never of the name's own servers (they answer for the child, and
  // a walk to them may fail where the parent answers). A name without a cut of its own gets its
  // zone's answer (NODATA).
  void askDs(const Question& q, std::function<void(Observation)> cb) {
    locate(q.name.parent(), {}, [this, q, cb](const Located& l) {
      if (l.fail) return cb(failed(q, *l.fail));
      Zone* z = l.zone;
      ensureFull(*z, [this, q, z, cb]() {
        if (z->fullFail) return cb(failed(q, *z->fullFail));
        DnsName apex = z->apex;
        // An alias (no cut, so no DS of its own) is followed as for any question: the
        // observation shows the chain, as a recursive resolver's would.
        fanOut(*z, Question{q.name, q.type}, [apex](WireAnswer w) { return judgeZoneAnswer(apex, std::move(w)); },
               [this, q, cb](std::vector<Observation> per) {
                 for (auto& s : per) s.question = q;
                 followAliases(q, std::move(per), {q.name}, 0, cb);
               });
      });
    });
  }

  // Question::servers: the addresses of the named nameservers (found with the same walk, within
  // the bounds of a zone's NS set), every one asked, each answer judged as an authoritative
  // answer for the name (a host that is to serve the zone answers with AA), merged as for a zone.
  // Names without an address are failures beside the answers: never a smaller server set.
  void askNamed(const Question& q, std::function<void(Observation)> cb) {
    std::vector<DnsName> names;
    for (const auto& n : q.servers)
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    if (names.size() > opt.maxNsNames)
      return cb(failed(q, Fail{Outcome::NotAvailable,
                               "the servers to ask for " + q.name.toString() + " are " + std::to_string(names.size()) +
                                   " names, more than offboard's bound of " + std::to_string(opt.maxNsNames) +
                                   "; not asked",
                               {}}));
    struct Pending {
      std::size_t left = 0;
      std::vector<Server> found;
      std::vector<Observation> missing;
    };
    auto pending = std::make_shared<Pending>();
    pending->left = names.size();
    auto finish = [this, q, cb, pending]() {
      std::vector<Server> servers = mergeServers(pending->found);
      if (servers.size() > opt.maxServerAddresses) return cb(failed(q, tooManyAddresses(q.name, servers.size())));
      DnsName zone = q.name;
      fanOutTo(servers, std::move(pending->missing), Question{q.name, q.type},
               [zone](WireAnswer w) { return judgeZoneAnswer(zone, std::move(w)); },
               [q, cb](std::vector<Observation> per) {
                 for (auto& s : per) s.question = q;
                 cb(mergeServerAnswers(q, std::move(per)));
               });
    };
    for (const auto& host : names) {
      resolveHost(host, {}, [this, host, pending, finish](const Fail* f) {
        const std::vector<std::string>* addresses = f ? nullptr : &hosts.at(host)->addresses;
        if (!addresses || addresses->empty()) {
          Observation o;
          o.outcome = f && f->outcome != Outcome::NxDomain ? f->outcome : Outcome::NotAvailable;
          o.server = "(" + host.toString() + ", no address)";
          o.detail = "no address for the nameserver " + host.toString() + (f ? ": " + f->detail : std::string());
          pending->missing.push_back(std::move(o));
        } else {
          for (const auto& a : *addresses) pending->found.push_back(makeServer(host, a));
        }
        if (--pending->left == 0) finish();
      });
    }
  }

  void askParent(const Question& q, Zone& z, std::function<void(Observation)> cb) {
    if (!z.parent) {
      Observation o;
      o.question = q;
      o.outcome = Outcome::NotAvailable;
      o.detail = "the root zone has no parent";
      return cb(o);
    }
    Zone* parent = zones.at(*z.parent).get();
    DnsName child = z.apex;
    ensureFull(*parent, [this, q, parent, child, cb]() {
      if (parent->fullFail) return cb(failed(q, *parent->fullFail));
      fanOut(*parent, Question{child, RRType::NS},
             [child](WireAnswer w) { return judgeParentAnswer(child, std::move(w)); },
             [q, cb](std::vector<Observation> per) {
               for (auto& s : per) s.question = q;
               cb(mergeServerAnswers(q, std::move(per)));
             });
    });
  }

  // Servers whose answer is a CNAME leaving the zone: the target is resolved in its own zone
  // (every server there too) and each such server's observation completed with the result.
  void followAliases(const Question& q, std::vector<Observation> per, std::vector<DnsName> seen,
                     std::size_t zonesCrossed, std::function<void(Observation)> cb) {
    std::vector<DnsName> targets;
    for (const auto& s : per)
      if (aliasWithoutAnswer(s) &&
          std::find(targets.begin(), targets.end(), s.chain.back().target) == targets.end())
        targets.push_back(s.chain.back().target);
    if (targets.empty() || q.type == RRType::CNAME) return cb(mergeServerAnswers(q, std::move(per)));

    struct Pending {
      std::size_t left;
      std::vector<Observation> per;
      std::vector<Observation> extra;
    };
    auto pending = std::make_shared<Pending>();
    pending->left = targets.size();
    pending->per = std::move(per);
    auto complete = [q, pending, cb](const DnsName& target, const Observation& t) {
      // The target's own links: mergeServerAnswers keeps a chain only for an Answer, so for a
      // negative answer or a failure they are those of the first server that ended that way
      // (without them a chain of any length ending in NXDOMAIN passed the bound unseen).
      const std::vector<Record>* tail = &t.chain;
      if (tail->empty())
        for (const auto& x : t.perServer)
          if (x.outcome == t.outcome && !x.chain.empty()) {
            tail = &x.chain;
            break;
          }
      for (auto& s : pending->per) {
        if (!aliasWithoutAnswer(s) || s.chain.back().target != target) continue;
        s.chain.insert(s.chain.end(), tail->begin(), tail->end());
        s.outcome = t.outcome;
        s.answer = t.answer;
        s.negativeTtl = t.negativeTtl;
        s.detail = isEvidence(t.outcome) ? std::string() : "CNAME target " + target.toString() + ": " + t.detail;
        // No observation holds more than kMaxCnameChain links, however it ends (a loop or a
        // failure further on included): the links past the bound were not to be followed.
        if (s.chain.size() > kMaxCnameChain) {
          s.chain.resize(kMaxCnameChain);
          s.outcome = Outcome::ChainTooLong;
          s.detail = "CNAME chain longer than " + std::to_string(kMaxCnameChain);
          s.answer.clear();
          s.negativeTtl.reset();
        }
      }
      for (const auto& x : t.perServer)
        if (!isEvidence(x.outcome)) pending->extra.push_back(x);
      if (--pending->left > 0) return;
      auto all = std::move(pending->per);
      all.insert(all.end(), pending->extra.begin(), pending->extra.end());
      cb(mergeServerAnswers(q, std::move(all)));
    };
    for (const auto& t : targets) {
      Observation stop;
      stop.question = Question{t, q.type};
      if (std::find(seen.begin(), seen.end(), t) != seen.end()) {
        stop.outcome = Outcome::CnameLoop;
        stop.detail = "CNAME chain comes back to " + t.toString();
        complete(t, stop);
        continue;
      }
      if (zonesCrossed + 1 > opt.maxCnameZones) {
        stop.outcome = Outcome::ChainTooLong;
        stop.detail = "CNAME chain crosses more than " + std::to_string(opt.maxCnameZones) + " zones";
        complete(t, stop);
        continue;
      }
      std::vector<DnsName> more = seen;
      more.push_back(t);
      resolve(Question{t, q.type}, std::move(more), zonesCrossed + 1,
              [t, complete](Observation o) { complete(t, o); });
    }
  }

  // ---- delivery -------------------------------------------------------------------------------

  // One submitted question until its callback has been given the answer.
  struct Asked {
    Question q;
    Callback cb;
  };
  std::map<std::size_t, Asked> live;
  std::size_t nextId = 0;

  void deliver(std::size_t id, Observation o) {
    auto it = live.find(id);
    if (it == live.end()) return;  // already answered (by the stall safety net)
    Callback cb = std::move(it->second.cb);
    live.erase(it);
    if (inSubmit) {
      local.emplace_back(std::move(o), std::move(cb));
      return;
    }
    if (cb) cb(std::move(o));
  }

  // Safety net: when nothing is in flight and questions are still waiting, their walks wait
  // on each other (a loop the path check could not see, across walks): fail every host lookup
  // still working, which lets every waiting zone, and so every question, finish.
  void breakStalls() {
    std::vector<DnsName> stuck;
    for (const auto& [name, h] : hosts)
      if (h->phase == Phase::Working) stuck.push_back(name);
    std::sort(stuck.begin(), stuck.end());
    for (const auto& name : stuck)
      finishHost(name, {},
                 Fail{Outcome::NotAvailable,
                      "referral loop: the addresses of the nameservers " + namesText(stuck, ", ") +
                          " can only be found through zones that wait for them",
                      {}});
  }
};

AuthoritativeResolver::AuthoritativeResolver(AuthoritativeOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

AuthoritativeResolver::~AuthoritativeResolver() = default;

void AuthoritativeResolver::submit(const Question& q, Callback cb) {
  Impl& m = *impl_;
  if (q.name.isEmpty()) {
    Observation o;
    o.question = q;
    o.outcome = Outcome::Malformed;
    o.detail = "empty question name";
    m.local.emplace_back(std::move(o), std::move(cb));
    return;
  }
  std::size_t id = m.nextId++;
  m.live.emplace(id, Impl::Asked{q, std::move(cb)});
  // Work starts at once (queries queue in the transport); an answer found without any query
  // (everything cached) waits in `local` until run(), so cb never runs inside submit().
  bool outer = m.inSubmit;
  m.inSubmit = true;
  m.resolve(q, {q.name}, 0, [&m, id](Observation o) { m.deliver(id, std::move(o)); });
  m.inSubmit = outer;
}

void AuthoritativeResolver::setWaitHook(std::function<void()> hook) {
  impl_->transport.setWaitHook(std::move(hook));
}

void AuthoritativeResolver::run() {
  Impl& m = *impl_;
  for (;;) {
    while (!m.local.empty()) {
      auto [obs, cb] = std::move(m.local.front());
      m.local.pop_front();
      if (cb) cb(std::move(obs));
    }
    m.transport.run();
    if (!m.local.empty()) continue;
    if (m.live.empty()) break;
    std::size_t before = m.live.size();
    m.breakStalls();
    if (m.live.size() < before || !m.local.empty() || m.transport.outstanding() > 0) continue;
    // Nothing can move any more (never expected): every question still waiting fails, so that
    // each callback still runs exactly once and the run ends.
    std::vector<std::size_t> ids;
    for (const auto& [id, a] : m.live) ids.push_back(id);
    for (auto id : ids) {
      Observation o;
      o.question = m.live.at(id).q;
      o.outcome = Outcome::NotAvailable;
      o.detail = "the authoritative walk stalled";
      m.deliver(id, std::move(o));
    }
  }
}

std::string AuthoritativeResolver::describe() const {
  return "authoritative from the root (" + std::to_string(impl_->opt.rootHints.servers.size()) +
         " root servers)";
}

std::size_t AuthoritativeResolver::queriesSent() const { return impl_->transport.queriesSent(); }

std::size_t AuthoritativeResolver::zonesKnown() const { return impl_->zones.size(); }

std::size_t AuthoritativeResolver::cacheEntries() const { return impl_->cacheEntries(); }

bool AuthoritativeResolver::wantsTrim() const {
  return impl_->cacheEntries() > impl_->opt.maxCacheEntries;
}

void AuthoritativeResolver::trim() { impl_->trim(); }

}  // namespace offboard
