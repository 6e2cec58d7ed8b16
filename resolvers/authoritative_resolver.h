// AuthoritativeResolver: answers by walking the delegation from the root and asking every
// authoritative server directly (`offboard … --authoritative [--root-hints FILE]`).
//
// What it is for: the two planes a recursive resolver hides (SPEC §2, issue 4). For each name it
// finds the zone cut by iterating from the root with RD=0 (RFC 1034 §5.3.3), one label at a
// time (QNAME minimisation, RFC 9156), following referrals, accepting glue only from the
// bailiwick of the server that sent it, and looking up the addresses of glue-less nameservers
// with the same walk. Then:
//  - a question is sent to EVERY address of the zone's servers — the union of the parent's
//    delegation NS set and the zone's own apex NS set (reliability §6) — in parallel, each
//    answer is judged on its own (authoritative evidence, lame, refused, silent, unreachable),
//    and the result is mergeServerAnswers() of them: the worst case, every server visible;
//  - a parent-side NS question (Question::parentSide) gets the delegation NS RRset, with the
//    parent's TTL, of the zone containing the name, as each of the PARENT's servers gives it in
//    its referral (merged the same way, so parent servers that disagree show);
//  - a DS question goes to every server of the zone that contains the name's parent, where DS
//    lives (RFC 4035 §2.4), not to the name's own servers;
//  - a question naming servers (Question::servers: the DNS host a delegation moves to) goes to
//    every address of those names only, found with the same walk, each answer judged as an
//    authoritative answer for the name (merged the same way).
// A CNAME that leaves the zone is followed into the target's zone (bounded). Zone cuts, NS sets
// and server addresses are cached for the resolver's lifetime and concurrent walks for the same
// zone share one set of queries, so fifty domains under com. cost little more than one.
// What it must not do: use a recursive resolver, trust glue from outside the sender's
// bailiwick, amplify (a zone with more nameserver names or addresses than the bounds in
// AuthoritativeOptions is refused, not truncated; names sharing an address are asked once;
// glue-less lookups per referral are bounded), hang (a referral that does not get closer to the name, more than maxReferrals
// referrals, nameservers whose addresses depend on their own zone, or a CNAME chain through
// more than maxCnameZones zones all end as failure outcomes with a detail), or turn a silent
// server into a verdict on the zone (silence is Timeout for that server; Lame needs positive
// evidence: an answer without AA, a referral that does not go down, or REFUSED).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "resolvers/cares_transport.h"
#include "resolvers/resolver.h"
#include "resolvers/root_hints.h"
#include "resolvers/wire.h"

namespace offboard {

struct AuthoritativeOptions {
  TransportOptions transport;                 // per-query timeout, tries, queries in flight
  RootHints rootHints = builtinRootHints();   // where the walk starts
  // Also query nameservers' IPv6 addresses. Off by default: on a host without IPv6 every IPv6
  // server would be "unreachable" and every domain indeterminate.
  bool ipv6 = false;
  std::size_t maxReferrals = 16;       // referrals followed for one name (RFC 1034 §5.3.3 bound)
  std::size_t maxGluelessDepth = 6;    // nested glue-less nameserver lookups
  std::size_t maxCnameZones = 8;       // zones a CNAME chain may cross
  // Amplification bounds (NXNSAttack, CVE-2020-12662 / CVE-2020-8616). Without them one
  // domain delegated to 500 names glued to one address cost ~6,500 queries to that address,
  // and 500 glue-less names under a victim's zone 500 queries there. A zone over a bound is
  // not followed, and fails closed (NotAvailable naming the bound, hence lookup-failed):
  // using only the first N would silently skip some of the zone's servers.
  //  - nameserver names per zone (the delegation's, and the union with the apex NS set): 16.
  //    Real delegations use 2–13 (the root 13; Akamai and UltraDNS 6–8); 16 leaves room for a
  //    parent and child that disagree during a migration.
  std::size_t maxNsNames = 16;
  //  - distinct server addresses per zone: 32 (16 names, each with an IPv4 and an IPv6).
  //    Names sharing an address are merged: one query per address, never one per name.
  std::size_t maxServerAddresses = 32;
  //  - glue-less names whose addresses are looked up to follow one referral: 5 (the May 2020
  //    fixes, BIND 9.16.3 and Unbound 1.10.1, bound these fetches to a small number per
  //    referral too). Following a referral needs one server that answers;
  //    when these 5 give no address the walk fails closed (naming the names not looked up).
  //    The zone's other glue-less names are looked up only when the zone itself is asked
  //    (every server is asked, reliability §6), bounded by maxNsNames.
  std::size_t maxGluelessPerReferral = 5;
  // Queries in flight to one server address at once (the rest wait their turn). A burst of
  // hundreds of datagrams overflows a server's socket buffer (or trips its response-rate
  // limit) and each lost one costs a whole timeout; a polite resolver paces each server.
  std::size_t maxInFlightPerServer = 32;
  // Cache entries (zone cuts, nameserver addresses, delegation steps, server queues, the
  // transport's servers and their channels) above which the resolver asks to be trimmed
  // (Resolver::wantsTrim): a scan of 100,000 domains must not keep 100,000 zones (about 15 MB
  // per 1000 domains). The root is kept; everything else is walked again.
  std::size_t maxCacheEntries = 8000;
  // Test seam: server IP → "IP:PORT" actually contacted (a fake server on another port).
  // Reports still name the IP with port 53. Empty in production.
  std::map<std::string, std::string> redirect;
};

// ---- The pure parts (no I/O), exposed for tests --------------------------------------------

// The zone a referral delegates to and its NS RRset (owner = that zone), when `w` is one:
// NS records in authority whose owner encloses the name asked (the deepest such owner).
struct Referral {
  DnsName zone;
  std::vector<Record> ns;  // one RRset: the TTL is the minimum of the records' TTLs
};
std::optional<Referral> referralIn(const WireAnswer& w);

// Glue: the A (and, when `ipv6`, AAAA) records of `additional` owned by one of `nsNames` and
// lying inside `bailiwick`, the zone the sending server is authoritative for (RFC 2181 §5.4.1:
// anything else could be a cache-poisoning attempt). Returns name → addresses (text).
std::map<DnsName, std::vector<std::string>> bailiwickGlue(const std::vector<Record>& additional,
                                                          const std::vector<DnsName>& nsNames,
                                                          const DnsName& bailiwick, bool ipv6);

// What one server of zone `zone` says in answer to `next NS?` while looking for a zone cut
// (`next` is `zone` plus one label of the name sought).
enum class WalkStepKind {
  Delegation,  // `next` is a zone cut: `ns` is its NS set (from a referral, or from an AA
               // answer when the server also serves the child), `glue` in bailiwick
  InZone,      // `next` exists inside `zone` with no cut (NODATA, or an alias)
  NoSuchName,  // `next` does not exist (AA NXDOMAIN): nothing below it exists either
  Unusable,    // this server gave no usable answer: `obs` says why (Lame for a referral
               // that does not go down, "referral loop at …"); ask another server
};
struct WalkStep {
  WalkStepKind kind = WalkStepKind::Unusable;
  std::vector<Record> ns;
  std::map<DnsName, std::vector<std::string>> glue;
  Observation obs;  // the server's answer, judged
};
WalkStep classifyStep(const DnsName& zone, const DnsName& next, const WireAnswer& w, bool ipv6);

// One server's answer to `w.obs.question`, asked of a server of `zone` (the zone containing
// the name): AA answer / NODATA / NXDOMAIN are evidence; an answer without AA, or a referral
// that does not go below `zone`, is Lame ("not authoritative"); a referral below `zone` is
// NotAvailable (this server delegates the name, the walk found no cut); failures pass through.
Observation judgeZoneAnswer(const DnsName& zone, WireAnswer w);

// One parent server's answer to `child NS?` (the delegation of `child`): a referral to
// `child` becomes an Answer holding the referral's NS RRset (parent TTL, owner `child`); an AA
// answer (the server also serves the child) is an Answer too; AA NXDOMAIN/NODATA are evidence
// (no delegation there); a referral elsewhere or a non-AA answer is Lame.
Observation judgeParentAnswer(const DnsName& child, WireAnswer w);

// The referral loop message when `zone` is already among the zones whose nameserver addresses
// are being looked up on this walk (`path`, outermost first); nullopt otherwise.
std::optional<std::string> dependencyLoop(const std::vector<DnsName>& path, const DnsName& zone);

// ---- The resolver ---------------------------------------------------------------------------

class AuthoritativeResolver : public Resolver {
 public:
  // Throws std::runtime_error only when c-ares cannot be initialised.
  explicit AuthoritativeResolver(AuthoritativeOptions options = {});
  ~AuthoritativeResolver() override;
  AuthoritativeResolver(const AuthoritativeResolver&) = delete;
  AuthoritativeResolver& operator=(const AuthoritativeResolver&) = delete;

  // Queues q and starts its walk; cb runs from run(), exactly once, never from here.
  void submit(const Question& q, Callback cb) override;
  // Drives every walk and fan-out until all submitted questions have completed.
  void run() override;
  void setWaitHook(std::function<void()> hook) override;
  // True: parent-side NS questions are answered by the parent's servers.
  bool seesParentSide() const override { return true; }
  // "authoritative from the root (13 root servers)".
  std::string describe() const override;
  // More than maxCacheEntries cached.
  bool wantsTrim() const override;
  // Forgets every zone but the root, every server address and step; only between runs (with
  // a question outstanding it does nothing).
  void trim() override;

  // DNS queries handed to the transport so far (TCP retries count again).
  std::size_t queriesSent() const;
  // Zone cuts known so far (the root included).
  std::size_t zonesKnown() const;
  // Everything cached that trim() forgets, counted as wantsTrim() counts it.
  std::size_t cacheEntries() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace offboard
