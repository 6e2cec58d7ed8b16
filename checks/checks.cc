#include "checks/checks.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "checks/catalogue.h"
#include "checks/mta_sts.h"
#include "core/server_merge.h"

namespace offboard {

namespace {

using F = FindingId;
using A = Action;
constexpr std::size_t kProbeCount = 11;
constexpr std::array<Probe, kProbeCount> kProbes{{
    {{"autodiscover"}, RRType::CNAME, Family::Autodiscover, F::AutodiscoverAtM365, Severity::Required,
     A::RemoveAutodiscover},
    {{"selector1", "_domainkey"}, RRType::CNAME, Family::Dkim, F::DkimAtM365, Severity::Required, A::RemoveDkim},
    {{"selector2", "_domainkey"}, RRType::CNAME, Family::Dkim, F::DkimAtM365, Severity::Required, A::RemoveDkim},
    {{"msoid"}, RRType::CNAME, Family::Msoid, F::MsoidAtM365, Severity::Required, A::RemoveMsoid},
    {{"sip"}, RRType::CNAME, Family::Teams, F::TeamsAtM365, Severity::Cleanup, A::RemoveTeamsRecords},
    {{"lyncdiscover"}, RRType::CNAME, Family::Teams, F::TeamsAtM365, Severity::Cleanup, A::RemoveTeamsRecords},
    {{"_sip", "_tls"}, RRType::SRV, Family::Teams, F::TeamsAtM365, Severity::Cleanup, A::RemoveTeamsRecords},
    {{"_sipfederationtls", "_tcp"}, RRType::SRV, Family::Teams, F::TeamsAtM365, Severity::Cleanup,
     A::RemoveTeamsRecords},
    {{"enterpriseregistration"}, RRType::CNAME, Family::Mdm, F::MdmAtM365, Severity::Cleanup, A::RemoveMdmRecords},
    {{"enterpriseenrollment"}, RRType::CNAME, Family::Mdm, F::MdmAtM365, Severity::Cleanup, A::RemoveMdmRecords},
    {{"_autodiscover", "_tcp"}, RRType::SRV, Family::AutodiscoverSrv, F::AutodiscoverAtM365, Severity::Required,
     A::RemoveAutodiscover},
}};

}  // namespace

std::span<const Probe> probes() { return kProbes; }

DnsName probeName(const DnsName& domain, const Probe& p) {
  std::size_t count = p.owner[1].empty() ? 1 : 2;
  auto n = domain.prepend(std::span<const std::string_view>(p.owner.data(), count));
  return n ? std::move(*n) : DnsName();
}

DnsName mtaStsRecordName(const DnsName& domain) {
  static constexpr std::string_view kLabel[] = {"_mta-sts"};
  auto n = domain.prepend(kLabel);
  return n ? std::move(*n) : DnsName();
}

DnsName mtaStsPolicyHost(const DnsName& domain) {
  static constexpr std::string_view kLabel[] = {"mta-sts"};
  auto n = domain.prepend(kLabel);
  return n ? std::move(*n) : DnsName();
}

namespace {

constexpr std::uint16_t kZoneKeyFlag = 0x0100;  // RFC 4034 §2.1.1
constexpr std::uint16_t kRevokeFlag = 0x0080;   // RFC 5011 §2.1
constexpr std::uint8_t kDnskeyProtocol = 3;     // RFC 4034 §2.1.2

template <std::size_t N>
bool listed(const std::uint8_t (&list)[N], std::uint8_t v) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

// The digest of `type` a DNSKEY record carries (its computed DS digest); nullptr when none was
// computed for that type.
const Record::Digest* keyDigest(const Record& key, std::uint8_t type) {
  for (const auto& d : key.digests)
    if (d.type == type) return &d;
  return nullptr;
}

bool usableKey(const Record& key) {
  return key.type == RRType::DNSKEY && (key.keyFlags & kZoneKeyFlag) && !(key.keyFlags & kRevokeFlag) &&
         key.keyProtocol == kDnskeyProtocol;
}

}  // namespace

bool dsMatchesKey(const Record& ds, const Record& key) {
  if (ds.type != RRType::DS || ds.digests.size() != 1 || !usableKey(key)) return false;
  if (ds.keyTag != key.keyTag || ds.algorithm != key.algorithm) return false;
  const Record::Digest* d = keyDigest(key, ds.digests.front().type);
  return d && !d->octets.empty() && d->octets == ds.digests.front().octets;
}

DsComparison compareDs(const std::vector<Record>& ds, const std::vector<Record>& dnskeys) {
  DsComparison c;
  std::uint8_t strongest = 0;  // the favourite digest type among the DS that can be compared
  for (const auto& r : ds) {
    if (r.type != RRType::DS) continue;
    const std::uint8_t type = r.digests.size() == 1 ? r.digests.front().type : 0;
    if (!listed(kDnssecAlgorithms, r.algorithm)) {
      c.notCompared.push_back(&r);
      c.whyNot.push_back("algorithm " + std::to_string(r.algorithm));
    } else if (!listed(kDsDigestTypes, type)) {
      c.notCompared.push_back(&r);
      c.whyNot.push_back("digest type " + std::to_string(type));
    } else {
      strongest = std::max(strongest, type);
    }
  }
  for (const auto& r : ds)
    if (r.type == RRType::DS && listed(kDnssecAlgorithms, r.algorithm) && r.digests.size() == 1 &&
        r.digests.front().type == strongest)
      c.compared.push_back(&r);
  bool matched = false, unknownDigest = false;
  for (const Record* d : c.compared) {
    for (const auto& k : dnskeys) {
      if (dsMatchesKey(*d, k)) matched = true;
      // A key of that tag whose digest ldns could not compute: it might have matched.
      const Record::Digest* kd = keyDigest(k, strongest);
      if (usableKey(k) && k.keyTag == d->keyTag && k.algorithm == d->algorithm && (!kd || kd->octets.empty()))
        unknownDigest = true;
    }
  }
  // A DS of a stronger digest type than the match, that offboard cannot compute: a validator
  // implementing that type compares only it.
  bool strongerNotCompared = false;
  for (const Record* r : c.notCompared)
    if (r->digests.size() == 1 && r->digests.front().type > strongest) strongerNotCompared = true;
  if (c.compared.empty() && c.notCompared.empty()) c.outcome = DsOutcome::Matches;  // no DS
  else if (matched) c.outcome = strongerNotCompared ? DsOutcome::NotCompared : DsOutcome::Matches;
  else if (!c.notCompared.empty() || unknownDigest) c.outcome = DsOutcome::NotCompared;
  else c.outcome = DsOutcome::NoMatch;
  return c;
}

namespace {

// An RRset in a stable order (servers rotate RRsets): by preference, then data. Pointers into
// the records (no copies), which must outlive it; held in place up to kInline records (every
// RRset a check reads, nearly), on the heap beyond.
class SortedRRset {
 public:
  explicit SortedRRset(const std::vector<Record>& rrs) : size_(rrs.size()) {
    if (size_ > kInline) heap_.resize(size_);
    const Record** out = data();
    for (std::size_t i = 0; i < size_; ++i) out[i] = &rrs[i];
    std::sort(out, out + size_, [](const Record* a, const Record* b) {
      if (a->preference != b->preference) return a->preference < b->preference;
      return a->data < b->data;
    });
  }
  const Record* const* begin() const { return size_ > kInline ? heap_.data() : inline_.data(); }
  const Record* const* end() const { return begin() + size_; }

 private:
  static constexpr std::size_t kInline = 8;
  const Record** data() { return size_ > kInline ? heap_.data() : inline_.data(); }
  std::size_t size_;
  std::array<const Record*, kInline> inline_{};
  std::vector<const Record*> heap_;
};

SortedRRset sorted(const std::vector<Record>& rrs) { return SortedRRset(rrs); }

const Observation* find(const std::vector<Observation>& obs, const DnsName& name, RRType type,
                        bool parentSide = false) {
  for (const auto& o : obs)
    if (o.question.type == type && o.question.parentSide == parentSide && o.question.name == name)
      return &o;
  return nullptr;
}

// The CNAMEs the resolver followed from the question name (Observation::chain). In
// authoritative mode a negative answer is merged without them (they stay on each server's own
// observation), so those of the first server that gave evidence stand in.
const std::vector<Record>& aliasChain(const Observation& o) {
  if (!o.chain.empty()) return o.chain;
  for (const auto& s : o.perServer)
    if (isEvidence(s.outcome) && !s.chain.empty()) return s.chain;
  return o.chain;
}

std::string joinTxt(const Record& r) {
  std::string s;
  for (const auto& part : r.strings) s += part;  // RFC 7208 §3.3: no separator
  return s;
}

// joinTxt(r) to read: a view of the one string most TXT records hold, or of their join, kept
// here. Neither copied nor moved (the view may point into it).
class TxtText {
 public:
  explicit TxtText(const Record& r) {
    if (r.strings.size() == 1) {
      view_ = r.strings.front();
    } else {
      joined_ = joinTxt(r);
      view_ = joined_;
    }
  }
  TxtText(const TxtText&) = delete;
  TxtText& operator=(const TxtText&) = delete;
  std::string_view view() const { return view_; }

 private:
  std::string joined_;
  std::string_view view_;
};

bool isMicrosoftExchange(const DnsName& host, const CheckContext& ctx) {
  if (matchHost(Family::Mx, host)) return true;
  return std::find(ctx.knownMicrosoftMx.begin(), ctx.knownMicrosoftMx.end(), host) !=
         ctx.knownMicrosoftMx.end();
}

Cloud exchangeCloud(const DnsName& host) {
  const Signature* s = matchHost(Family::Mx, host);
  return s ? s->cloud : Cloud::Worldwide;
}

// The names a walk has met, held by pointer (the caller's and the observations', which outlive
// the walk), in a fixed array of N: a walk allocates nothing for them. N is the bound its
// limit sets (alias hops, SPF lookups).
template <std::size_t N>
class NamePath {
 public:
  void push(const DnsName& n) { at_[size_++] = &n; }
  void pop() { --size_; }
  const DnsName& back() const { return *at_[size_ - 1]; }
  bool holds(const DnsName& n) const {
    return std::any_of(at_.begin(), at_.begin() + static_cast<std::ptrdiff_t>(size_),
                       [&](const DnsName* o) { return *o == n; });
  }

 private:
  std::array<const DnsName*, N> at_{};
  std::size_t size_ = 0;
};

// A name followed through the CNAME observations gathered so far, one hop per observation
// (a CNAME question is answered with the alias itself, never chased by the resolver).
struct AliasWalk {
  std::vector<Record> hops;              // CNAME records followed
  DnsName last;                          // the last name reached
  const Observation* pending = nullptr;  // an observation that ended the walk without evidence
  bool arrived = false;                  // `last` is what the walk was looking for
  bool needsQuestion = false;            // `last` has not been asked yet
  bool loop = false;
  bool tooLong = false;
};

// Follows `start` until `arrived(name)`, a name that is no alias, a failure, a loop (a name
// already on the chain, or `origin`, the name whose alias `start` is) or kMaxAliasChain hops.
template <typename Arrived>
AliasWalk walkAliases(const DnsName& start, const std::vector<Observation>& obs, Arrived&& arrived,
                      const DnsName* origin = nullptr) {
  AliasWalk w;
  w.last = start;
  NamePath<kMaxAliasChain + 2> seen;  // origin, start, and one name per hop
  if (origin) seen.push(*origin);
  seen.push(start);
  for (int depth = 0;; ++depth) {
    if (arrived(w.last)) {
      w.arrived = true;
      return w;
    }
    if (depth >= kMaxAliasChain) {
      w.tooLong = true;
      return w;
    }
    const Observation* o = find(obs, w.last, RRType::CNAME);
    if (!o) {
      w.needsQuestion = true;
      return w;
    }
    if (!isEvidence(o->outcome)) {
      w.pending = o;
      return w;
    }
    if (o->outcome != Outcome::Answer || o->answer.empty()) return w;  // not an alias
    const Record& cname = o->answer.front();
    w.hops.push_back(cname);
    if (seen.holds(cname.target)) {
      w.loop = true;
      return w;
    }
    seen.push(cname.target);
    w.last = cname.target;
  }
}

// An MX exchange, until it is Microsoft's (or a verification host, never delivered to).
AliasWalk walkExchange(const DnsName& exchange, const std::vector<Observation>& obs,
                       const CheckContext& ctx) {
  return walkAliases(exchange, obs, [&](const DnsName& n) {
    return isMicrosoftExchange(n, ctx) || matchHost(Family::VerificationMx, n) != nullptr;
  });
}

// "a. -> b. -> c.": the names of a chain, from `first`.
std::string chainText(const DnsName& first, const std::vector<Record>& hops) {
  std::string s = first.toString();
  for (const auto& h : hops) s += " -> " + h.target.toString();
  return s;
}

// What a finding from a LOW-confidence row adds to its message (m365-dns.md: LOW = third-party or
// field evidence only), so that the reader weighs it; empty for the other grades.
std::string confidenceNote(const Signature& s) {
  if (s.confidence != "LOW") return "";
  return " (Catalogue confidence LOW: " + std::string(s.source) + ".)";
}

// SPEC §3 target-missing-dot: `target` is a Microsoft 365 host of `family` with a zone appended
// (`x.mail.protection.outlook.com.contoso.com.`), the zone being `domain` or a zone above it
// (a record of sub.contoso.com may live in contoso.com's zone file). A relative name in a master
// file is completed with $ORIGIN (RFC 1035 §5.1), which is how the trailing dot's absence shows.
struct MissingDot {
  DnsName host;  // the Microsoft host that was meant
  DnsName zone;  // what was appended
};
std::optional<MissingDot> missingDot(const DnsName& domain, const DnsName& target, Family family) {
  if (target.isEmpty()) return std::nullopt;
  // Zones of two labels or more: a top-level domain is never a customer's zone.
  for (DnsName zone = domain; !zone.isEmpty() && zone.labelCount() >= 2; zone = zone.parent()) {
    if (target == zone || !target.isPartOf(zone)) continue;
    auto host = DnsName::fromLabels(target.labelsBelow(zone));
    if (host && matchHost(family, *host)) return MissingDot{std::move(*host), zone};
  }
  return std::nullopt;
}

// SPF evaluated as far as the observations go: the DNS-querying terms of the record and of
// every record its include:/redirect= targets publish, depth first in evaluation order
// (RFC 7208 §4.6.4 counts them across the whole tree and stops at kMaxSpfLookups).
struct SpfFailure {
  Observation obs;   // the failed lookup, or a synthetic one (limit, loop, macro, never asked)
  std::string path;  // the terms that led to it, " -> " between records
  std::string message;  // set for the synthetic ones: why the walk stopped
  std::vector<const Record*> records;  // the SPF records below the apex on the way to it
};

struct SpfWalk {
  // False: only `found`, `overLimit` and `unasked` are wanted (the engine's follow-ups), so no
  // failure is written up.
  bool explain = true;
  int terms = 0;
  bool overLimit = false;
  const Signature* found = nullptr;         // the Microsoft SPF domain reached
  // Terms from the apex record down to here, as written: views into the parsed terms of the
  // records on the way, which the walk holds while they are on the path.
  std::vector<std::string_view> path;
  std::vector<const Record*> pathRecords;   // records below the apex along `path`
  std::string foundPath;
  std::vector<const Record*> foundRecords;
  std::vector<SpfFailure> failures;
  std::vector<DnsName> unasked;             // targets whose TXT is not observed yet
};

std::string joinPath(const std::vector<std::string_view>& path) {
  std::string s;
  for (const auto p : path) {
    if (!s.empty()) s += " -> ";
    s += p;
  }
  return s;
}

// The owners of the records being evaluated, the apex first: the caller's name and the targets
// of the terms on the way, which the walk holds. Each record below the apex costs a querying
// term, so there are at most kMaxSpfLookups + 1.
using SpfOwners = NamePath<kMaxSpfLookups + 1>;

void walkSpf(SpfWalk& w, std::string_view text, SpfOwners& owners,
             const std::vector<Observation>& obs) {
  const auto terms = spfQueryingTermsOf(text);  // held: the walk below recurses
  for (const SpfTerm& t : *terms) {
    if (w.found || w.overLimit) return;
    if (++w.terms > kMaxSpfLookups) {
      w.overLimit = true;
      if (!w.explain) return;
      w.path.push_back(t.written);
      SpfFailure f;
      f.obs.question = Question{owners.back(), RRType::TXT};
      f.obs.outcome = Outcome::ChainTooLong;
      f.path = joinPath(w.path);
      f.records = w.pathRecords;
      f.message = "its evaluation needs more than " + std::to_string(kMaxSpfLookups) +
                  " DNS-querying terms (include, a, mx, ptr, exists, redirect; RFC 7208 "
                  "§4.6.4), the " + std::to_string(kMaxSpfLookups + 1) + "th being " + f.path +
                  ": receivers stop there with a permanent error, and offboard looks no further";
      w.failures.push_back(std::move(f));
      w.path.pop_back();
      return;
    }
    if (t.kind == SpfTerm::Kind::Other || t.negated) continue;  // no record to read
    w.path.push_back(t.written);
    auto synthetic = [&](Outcome outcome, std::string message) {  // only when w.explain
      SpfFailure f;
      f.obs.question = Question{t.target ? *t.target : owners.back(), RRType::TXT};
      f.obs.outcome = outcome;
      f.path = joinPath(w.path);
      f.records = w.pathRecords;
      f.message = std::move(message);
      w.failures.push_back(std::move(f));
    };
    if (!t.target) {
      if (w.explain)
        synthetic(Outcome::NotAvailable,
                  t.macro ? "the target of " + t.written +
                                " is a macro (RFC 7208 §7), which only a receiver can expand"
                          : "the target of " + t.written + " is not a domain name");
    } else if (const Signature* s = matchHost(Family::SpfInclude, *t.target)) {
      w.found = s;
      w.foundPath = joinPath(w.path);
      w.foundRecords = w.pathRecords;
    } else if (owners.holds(*t.target)) {
      if (w.explain)
        synthetic(Outcome::CnameLoop, joinPath(w.path) + " comes back to " + t.target->toString() +
                                        ", which is already being evaluated (an include loop)");
    } else if (const Observation* o = find(obs, *t.target, RRType::TXT); !o) {
      if (std::find(w.unasked.begin(), w.unasked.end(), *t.target) == w.unasked.end())
        w.unasked.push_back(*t.target);
      if (!w.explain) {
        w.path.pop_back();
        continue;
      }
      SpfFailure f;
      f.obs.question = Question{*t.target, RRType::TXT};
      f.obs.outcome = Outcome::NotAvailable;
      f.obs.detail = "never asked";
      f.path = joinPath(w.path);
      f.records = w.pathRecords;
      w.failures.push_back(std::move(f));
    } else if (!isEvidence(o->outcome)) {
      if (!w.explain) {
        w.path.pop_back();
        continue;
      }
      SpfFailure f;
      f.obs = *o;
      f.path = joinPath(w.path);
      f.records = w.pathRecords;
      w.failures.push_back(std::move(f));
    } else if (o->outcome == Outcome::Answer) {
      // A void target (NXDOMAIN, NODATA, no SPF record) authorises nothing: not Microsoft's.
      owners.push(*t.target);  // within bounds: this term is counted in w.terms
      for (const Record* rp : sorted(o->answer)) {
        const TxtText held(*rp);
        const std::string_view sub = held.view();
        if (!isSpfRecord(sub)) continue;
        w.pathRecords.push_back(rp);
        walkSpf(w, sub, owners, obs);
        w.pathRecords.pop_back();
        if (w.found || w.overLimit) break;
      }
      owners.pop();
    }
    w.path.pop_back();
  }
}

SpfWalk walkSpfRecord(const DnsName& domain, std::string_view text,
                      const std::vector<Observation>& obs, bool explain = true) {
  SpfWalk w;
  w.explain = explain;
  SpfOwners owners;
  owners.push(domain);
  walkSpf(w, text, owners, obs);
  return w;
}

class Builder {
 public:
  Builder(const DnsName& domain, const CheckContext& ctx) : ctx_(ctx) {
    report_.domain = domain;
    // Room for what most domains report (NS, MX, SPF, a few probes), grown only beyond it.
    report_.records.reserve(8);
    report_.findings.reserve(4);
  }

  void add(Finding f) {
    for (const auto& g : report_.findings)
      if (g.id == f.id && g.name == f.name && g.type == f.type && g.data == f.data &&
          g.server == f.server)
        return;
    report_.findings.push_back(std::move(f));
  }

  void addRecord(const Record& r) {
    for (const auto& x : report_.records)
      if (x.name == r.name && x.type == r.type && x.data == r.data) return;
    report_.records.push_back(r);
  }

  void found(FindingId id, Severity sev, Cloud cloud, const Record& r, std::string message) {
    add(Finding{id, sev, cloud, r.name, r.type, r.data, std::move(message), r.ttl, ""});
  }

  void failed(const Observation& o, std::string_view why) {
    std::string what = std::string(outcomeName(o.outcome));
    std::string detail = o.detail.empty() ? what : o.detail;
    if (!o.server.empty() && detail.find(o.server) == std::string::npos)
      detail += " (server " + o.server + ")";
    std::string msg = rrTypeName(o.question.type) + " lookup for " + o.question.name.toString() +
                      " failed: " + detail + "; " + std::string(why) +
                      " cannot be established. Retry, or fix the resolver or server.";
    add(Finding{FindingId::LookupFailed, Severity::Indeterminate, Cloud::None, o.question.name,
                o.question.type, what, std::move(msg), std::nullopt, o.server});
  }

  // A failed lookup on a chain, reported on the subject the chain starts from (`name`, `type`:
  // the record whose state it leaves unknown), naming the lookup that failed and its server.
  void failedOn(const DnsName& name, RRType type, const Observation& o, std::string_view via,
                std::string_view why) {
    std::string what = std::string(outcomeName(o.outcome));
    std::string detail = o.detail.empty() ? what : o.detail;
    if (!o.server.empty() && detail.find(o.server) == std::string::npos)
      detail += " (server " + o.server + ")";
    std::string msg = rrTypeName(o.question.type) + " lookup for " + o.question.name.toString() +
                      " (reached through " + std::string(via) + ") failed: " + detail + "; " +
                      std::string(why) + " cannot be established. Retry, or fix the resolver or server.";
    add(Finding{FindingId::LookupFailed, Severity::Indeterminate, Cloud::None, name, type, what,
                std::move(msg), std::nullopt, o.server});
  }

  // A chain offboard will not follow further (a loop, a limit): indeterminate on its subject.
  void unfollowed(const DnsName& name, RRType type, std::string data, std::string message) {
    add(Finding{FindingId::LookupFailed, Severity::Indeterminate, Cloud::None, name, type, std::move(data),
                std::move(message), std::nullopt, ""});
  }

  // SPEC §3 target-missing-dot on `r` when its target is one of `family`'s hosts with the zone
  // appended; true when it was.
  bool missingDotIn(const Record& r, Family family, std::string_view what) {
    auto m = missingDot(report_.domain, r.target, family);
    if (!m) return false;
    add(Finding{FindingId::TargetMissingDot, Severity::Warning, Cloud::None, r.name, r.type, r.data,
                "The " + std::string(what) + " " + r.target.toString() + " is Microsoft 365's " +
                    m->host.toString() + " with the zone " + m->zone.toString() +
                    " appended: the name was written without its trailing dot, so it names a "
                    "host inside " + m->zone.toStringNoDot() + ", not Microsoft's (already "
                    "broken, and easy to mistake for Microsoft 365). Delete the record, or write "
                    "the intended target with its final dot.",
                r.ttl, ""});
    return true;
  }

  void nxdomain(const Observation& o) {
    for (const auto& g : report_.findings)
      if (g.id == FindingId::DomainNxdomain) return;
    add(Finding{FindingId::DomainNxdomain, Severity::Indeterminate, Cloud::None, report_.domain,
                o.question.type, "nxdomain",
                report_.domain.toStringNoDot() +
                    " does not exist in DNS (a typo, or a lapsed registration): nothing about it "
                    "can be verified. Check the spelling and the registration.",
                o.negativeTtl, o.server});
  }

  DomainReport& report() { return report_; }
  const CheckContext& ctx() const { return ctx_; }

 private:
  DomainReport report_;
  const CheckContext& ctx_;
};

std::vector<DnsName> targets(const std::vector<Record>& rrs) {
  std::vector<DnsName> out;
  for (const auto& r : rrs) out.push_back(r.target);
  std::sort(out.begin(), out.end());
  return out;
}

void checkNs(Builder& b, const std::vector<Observation>& obs) {
  const DnsName& d = b.report().domain;
  Delegation& del = b.report().delegation;
  auto look = [&](const Observation* o, bool parent) {
    if (!o) return;
    // After a CNAME (d is an alias) NXDOMAIN is the target's (RFC 6604), and d has no zone cut.
    if (o->outcome == Outcome::NxDomain) {
      if (aliasChain(*o).empty()) b.nxdomain(*o);
      return;
    }
    if (!isEvidence(o->outcome)) {
      b.failed(*o, parent ? "the parent-side delegation" : "whether Microsoft 365 hosts the zone");
      return;
    }
    if (o->outcome != Outcome::Answer) return;  // NODATA: no zone cut here (a subdomain)
    std::uint32_t ttl = o->answer.empty() ? 0 : o->answer.front().ttl;
    (parent ? del.parentNs : del.childNs) = targets(o->answer);
    (parent ? del.parentTtl : del.childTtl) = ttl;
    (parent ? del.parentSeen : del.childSeen) = true;
    // One finding per delegation side, naming every Microsoft nameserver in it.
    std::string hosts;
    const Signature* first = nullptr;
    for (const Record* rp : sorted(o->answer)) {
      const Record& r = *rp;
      if (!parent) {
        b.addRecord(r);
        b.missingDotIn(r, Family::Ns, "nameserver");
      }
      if (const Signature* s = matchHost(Family::Ns, r.target)) {
        if (!first) first = s;
        hosts += (hosts.empty() ? "" : " ") + r.target.toString();
      }
    }
    if (!first) return;
    bool parentFound = false;
    for (const auto& f : b.report().findings) parentFound = parentFound || f.id == FindingId::NsAtM365;
    if (!parentFound) {
      // A parent-side answer owned by another name is the delegation of the zone enclosing d
      // (d has no zone of its own): d is judged by that delegation.
      const DnsName& owner = o->answer.empty() ? d : o->answer.front().name;
      std::string subject = parent && owner != d
                                ? owner.toStringNoDot() + " (the zone containing " + d.toStringNoDot() +
                                      ", which has no zone of its own and is judged by this delegation)"
                                : d.toStringNoDot();
      b.add(Finding{FindingId::NsAtM365, Severity::Blocker, first->cloud, d, RRType::NS, hosts,
                      std::string(parent ? "The parent zone delegates " : "The zone's NS set names ") +
                          subject +
                          " to Microsoft 365's nameservers: Microsoft hosts this zone. Recreate every "
                          "record at the new DNS host, then switch NS at the registrar; MX changes "
                          "made elsewhere do not take effect before that.",
                      ttl, o->server});
    }
  };
  look(find(obs, d, RRType::NS, true), true);
  look(find(obs, d, RRType::NS, false), false);
  if (del.parentSeen && del.childSeen && del.parentNs != del.childNs) {
    std::string p, c;
    for (const auto& n : del.parentNs) p += (p.empty() ? "" : " ") + n.toString();
    for (const auto& n : del.childNs) c += (c.empty() ? "" : " ") + n.toString();
    b.add(Finding{FindingId::NsInconsistent, Severity::Warning, Cloud::None, d, RRType::NS,
                  "parent: " + p + "; child: " + c,
                  "The parent's delegation and the zone's own NS set differ (a switch in "
                  "progress, or a stale zone): resolvers may follow either until the TTLs pass.",
                  del.parentTtl, ""});
  }
}

// d itself an alias (the resolver followed its CNAMEs for the MX question): RFC 5321 §5.1 has
// mail follow the alias and fall back to the target's address, so a chain reaching a Microsoft
// mail host delivers d's mail to Microsoft 365 whatever the target answers for MX. True when
// `v`'s chain does (then it is reported, with the chain as the finding's data).
bool aliasedToMicrosoft(Builder& b, const Observation& v) {
  if (v.chain.empty()) return false;
  const DnsName& d = b.report().domain;
  for (const auto& hop : v.chain) b.addRecord(hop);
  std::string via, chain = d.toString();
  std::uint32_t ttl = v.chain.front().ttl;
  for (const auto& hop : v.chain) {
    via += (via.empty() ? "CNAME " : " -> ") + hop.target.toString();
    chain += " -> " + hop.target.toString();
    ttl = std::min(ttl, hop.ttl);
    if (!isMicrosoftExchange(hop.target, b.ctx())) continue;
    b.add(Finding{FindingId::MxAtM365, Severity::Blocker, exchangeCloud(hop.target), d, RRType::MX, via,
                  d.toStringNoDot() + " is itself an alias (" + chain +
                      ") of a Microsoft 365 inbound mail host: mail for it follows the alias "
                      "(RFC 5321 §5.1) and is delivered to Microsoft 365; after cancellation it "
                      "bounces. Replace the CNAME with the new mail provider's MX.",
                  ttl, v.server});
    return true;
  }
  return false;
}

// The merged observation's chain, then each server's own (authoritative mode keeps a negative
// answer's chain only there): the worst view decides, as for every other record.
bool checkAliasedDomain(Builder& b, const Observation& o) {
  if (aliasedToMicrosoft(b, o)) return true;
  for (const auto& s : o.perServer)
    if (isEvidence(s.outcome) && aliasedToMicrosoft(b, s)) return true;
  return false;
}

void checkMx(Builder& b, const std::vector<Observation>& obs) {
  const DnsName& d = b.report().domain;
  const Observation* o = find(obs, d, RRType::MX);
  if (!o) return;
  if (checkAliasedDomain(b, *o)) return;
  if (o->outcome == Outcome::NxDomain && aliasChain(*o).empty()) {
    b.nxdomain(*o);
    return;
  }
  if (!isEvidence(o->outcome)) {
    b.failed(*o, "where mail for the domain goes");
    return;
  }
  if (o->outcome != Outcome::Answer || o->answer.empty()) {
    b.add(Finding{FindingId::NoMx, Severity::Warning, Cloud::None, d, RRType::MX, "nodata",
                  d.toStringNoDot() + " has no MX: mail falls back to its address records (RFC 5321 "
                                 "§5.1). Publish the new provider's MX, or a null MX (0 .) if the "
                                 "domain receives no mail.",
                  o->negativeTtl, o->server});
    return;
  }
  for (const Record* rp : sorted(o->answer)) {
    const Record& r = *rp;
    b.addRecord(r);
    if (r.target.isRoot()) continue;  // null MX, RFC 7505
    if (const Signature* s = matchHost(Family::VerificationMx, r.target)) {
      // No confidence note: whoever made it, an MX that never delivers is to be deleted.
      b.found(FindingId::VerificationMx, Severity::Cleanup, s->cloud, r,
              "A Microsoft 365 domain-verification MX (it never receives mail). Delete it.");
      continue;
    }
    if (!b.missingDotIn(r, Family::Mx, "MX exchange"))
      b.missingDotIn(r, Family::VerificationMx, "MX exchange");
    AliasWalk w = walkExchange(r.target, obs, b.ctx());
    for (const auto& hop : w.hops) b.addRecord(hop);
    if (isMicrosoftExchange(w.last, b.ctx())) {
      Record shown = r;
      if (!w.hops.empty()) shown.data += " -> " + w.last.toString();
      b.found(FindingId::MxAtM365, Severity::Blocker, exchangeCloud(w.last), shown,
              "Inbound mail for " + d.toStringNoDot() + " is delivered to Microsoft 365" +
                  (w.hops.empty() ? "" : " (through the CNAME chain of the exchange)") +
                  "; after cancellation it bounces. Point MX at the new mail provider first.");
    } else if (w.pending) {
      b.failed(*w.pending, "whether the MX exchange " + r.target.toString() +
                               " leads to Microsoft 365");
    } else if (w.loop || w.tooLong || w.needsQuestion) {
      Observation synthetic;
      synthetic.question = Question{w.last, RRType::CNAME};
      synthetic.outcome = w.loop ? Outcome::CnameLoop : Outcome::ChainTooLong;
      synthetic.detail = w.needsQuestion ? "not followed" : "MX exchange alias chain";
      b.failed(synthetic, "where the MX exchange " + r.target.toString() + " leads");
    }
  }
}

// One SPF record of the domain, with the records its include:/redirect= chain leads to.
void checkSpfTree(Builder& b, const Record& r, std::string_view text,
                  const std::vector<Observation>& obs) {
  const DnsName& d = b.report().domain;
  SpfWalk w = walkSpfRecord(d, text, obs);
  if (w.found) {
    if (w.foundRecords.empty()) {
      b.found(FindingId::SpfIncludesM365, Severity::Required, w.found->cloud, r,
              "SPF still authorises Microsoft 365's outbound servers (" + w.foundPath +
                  ") to send as " + d.toStringNoDot() +
                  ". Remove that term and keep the rest of the record.");
      return;
    }
    for (const Record* hop : w.foundRecords) b.addRecord(*hop);
    const DnsName& holder = w.foundRecords.back()->name;
    b.found(FindingId::SpfIncludesM365, Severity::Required, w.found->cloud, r,
            "SPF still authorises Microsoft 365's outbound servers (through " + w.foundPath +
                ") to send as " + d.toStringNoDot() + ". Remove the Microsoft term from the "
                "record at " + holder.toString() + ", or the term of this record that leads "
                "there, and keep the rest.");
    return;
  }
  // Not found: every way the walk was cut short leaves the answer unknown (never "not
  // included"); a void target (NXDOMAIN, NODATA, no SPF record) is simply not Microsoft's.
  const std::string why = "whether SPF for " + d.toStringNoDot() + " still authorises Microsoft 365";
  for (const auto& f : w.failures) {
    for (const Record* hop : f.records) b.addRecord(*hop);
    if (f.message.empty()) {
      b.failedOn(d, RRType::TXT, f.obs, f.path, why);
    } else {
      b.unfollowed(d, RRType::TXT,
                   f.obs.outcome == Outcome::ChainTooLong ? "too-many-lookups"
                   : f.obs.outcome == Outcome::CnameLoop  ? "include-loop"
                                                          : "not-followed",
                   "SPF for " + d.toStringNoDot() + ": " + f.message + "; " + why +
                       " cannot be established. Simplify the record (fewer includes), or check "
                       "it by hand.");
    }
  }
}

void checkTxt(Builder& b, const std::vector<Observation>& obs) {
  const DnsName& d = b.report().domain;
  const Observation* o = find(obs, d, RRType::TXT);
  if (!o) return;
  if (o->outcome == Outcome::NxDomain) {
    if (aliasChain(*o).empty()) b.nxdomain(*o);
    return;
  }
  if (!isEvidence(o->outcome)) {
    b.failed(*o, "whether SPF still authorises Microsoft 365");
    return;
  }
  for (const Record* rp : sorted(o->answer)) {
    const Record& r = *rp;
    const TxtText held(r);
    const std::string_view text = held.view();
    if (isSpfRecord(text)) {
      b.addRecord(r);
      checkSpfTree(b, r, text, obs);
    } else if (const Signature* s = matchVerificationTxt(text)) {
      b.addRecord(r);
      b.found(FindingId::VerificationTxt, Severity::Cleanup, s->cloud, r,
              std::string(s->match == Match::TextPrefix
                              ? "A Microsoft 365 domain-verification record"
                              : "GoDaddy's domain-verification token for the Microsoft 365 it "
                                "resells (such tenants are usually federated through GoDaddy)") +
                  "; harmless, delete it after the domain leaves the tenant." + confidenceNote(*s));
    }
  }
}

// A probe's CNAME target followed until it is Microsoft's in the probe's own family.
AliasWalk walkProbe(const Probe& p, const DnsName& probeName, const DnsName& target,
                    const std::vector<Observation>& obs) {
  return walkAliases(target, obs, [&](const DnsName& n) { return matchHost(p.family, n) != nullptr; },
                     &probeName);
}

using ProbeNames = std::array<DnsName, kProbeCount>;

// The probe names of `domain`, remembered per thread for the domains read most recently: the
// engine asks for them when it starts a domain, at each of its rounds and when it evaluates it,
// with hundreds of domains in flight. A direct-mapped table, one hash and one comparison per
// call: a domain whose slot another took meanwhile has its names built again. 1,024 slots for
// the 512 domains in flight by default, under 1 MB per thread; 2,048 and 4,096 measured within
// 0.1 % of it in instructions.
std::shared_ptr<const ProbeNames> probeNames(const DnsName& domain) {
  struct Slot {
    DnsName domain;
    std::shared_ptr<const ProbeNames> names;
  };
  constexpr std::size_t kSlots = 1024;
  static_assert((kSlots & (kSlots - 1)) == 0);
  thread_local std::vector<Slot> table(kSlots);
  Slot& slot = table[DnsNameHash{}(domain) & (kSlots - 1)];
  if (slot.names && slot.domain == domain) return slot.names;
  auto made = std::make_shared<ProbeNames>();
  for (std::size_t i = 0; i < probes().size(); ++i) (*made)[i] = probeName(domain, probes()[i]);
  slot.domain = domain;
  slot.names = std::move(made);
  return slot.names;
}

// Calls f(name, type, parentSide) for each question every domain gets (SPEC §3), in asking
// order; probes whose name would break the limits of a DNS name (a domain near 255 octets) are
// left out. The probe names are passed as `names` holds them (mutable when it is), the domain
// as const.
template <typename Names, typename F>
void forEachBaseQuestion(const DnsName& domain, Names& names, bool parentSide, F&& f) {
  if (parentSide) f(domain, RRType::NS, true);
  f(domain, RRType::NS, false);
  f(domain, RRType::MX, false);
  f(domain, RRType::TXT, false);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (!names[i].isEmpty()) f(names[i], probes()[i].type, false);
  // Last, so that the questions before them keep their order (DNSSEC at the NS switch, then
  // MTA-STS).
  f(domain, RRType::DS, false);
  if (DnsName sts = mtaStsRecordName(domain); !sts.isEmpty()) f(std::as_const(sts), RRType::TXT, false);
}

void checkProbes(Builder& b, const std::vector<Observation>& obs, const ProbeNames& names) {
  for (std::size_t i = 0; i < probes().size(); ++i) {
    const Probe& p = probes()[i];
    const DnsName& name = names[i];
    if (name.isEmpty()) continue;
    const Observation* o = find(obs, name, p.type);
    if (!o) continue;
    if (!isEvidence(o->outcome)) {
      b.failed(*o, "whether " + name.toString() + " points at Microsoft 365");
      continue;
    }
    for (const Record* rp : sorted(o->answer)) {
      const Record& r = *rp;
      if (r.type != p.type) continue;
      b.addRecord(r);
      b.missingDotIn(r, p.family, p.type == RRType::SRV ? "SRV target" : "CNAME target");
      const Signature* s = matchHost(p.family, r.target);
      std::string through, reached;  // set when a CNAME chain leads to Microsoft 365
      if (!s && p.type == RRType::CNAME) {
        AliasWalk w = walkProbe(p, name, r.target, obs);
        for (const auto& hop : w.hops) b.addRecord(hop);
        // Written only for a finding: most chains end at a host that is not Microsoft's.
        auto chain = [&] { return name.toString() + " -> " + chainText(r.target, w.hops); };
        auto why = [&] { return "whether " + name.toString() + " points at Microsoft 365"; };
        if (w.arrived) {
          s = matchHost(p.family, w.last);
          reached = " -> " + w.last.toString();
          through = " (CNAME chain: " + chain() + ")";
        } else if (w.pending) {
          b.failedOn(name, p.type, *w.pending, "the CNAME chain " + chain(), why());
        } else if (w.needsQuestion) {
          Observation never;
          never.question = Question{w.last, RRType::CNAME};
          never.outcome = Outcome::NotAvailable;
          never.detail = "never asked";
          b.failedOn(name, p.type, never, "the CNAME chain " + chain(), why());
        } else if (w.loop || w.tooLong) {
          b.unfollowed(name, p.type, std::string(outcomeName(w.loop ? Outcome::CnameLoop : Outcome::ChainTooLong)),
                       "The CNAME chain " + chain() +
                           (w.loop ? " comes back to a name already on it (a loop)"
                                   : " is longer than " + std::to_string(kMaxAliasChain) +
                                         " hops and is not followed further") +
                           "; " + why() + " cannot be established. Fix the chain, or check it by hand.");
        }
      }
      if (!s) continue;
      std::string what;
      switch (p.family) {
        case Family::Autodiscover:
          what = "Outlook and mobile clients keep configuring themselves against Microsoft 365. "
                 "Point autodiscover at the new provider or delete it.";
          break;
        case Family::Dkim:
          what = "A DKIM selector still delegates to Microsoft 365's signing keys. Replace it "
                 "with the new provider's selector or delete it.";
          break;
        case Family::AutodiscoverSrv:
          what = "The _autodiscover._tcp SRV record still sends Outlook to Microsoft 365 for "
                 "configuration. Point it at the new provider or delete it.";
          break;
        case Family::Msoid:
          what = s->cloud == Cloud::China21Vianet
                     ? "The msoid CNAME sends Office activation for this domain to 21Vianet; "
                       "elsewhere it breaks activation. Delete it."
                     : "The msoid CNAME of older Office 365 setups: outside 21Vianet it breaks "
                       "Office licence activation for users of this domain. Delete it.";
          break;
        case Family::Teams:
          what = "Teams / Skype for Business discovery still points at Microsoft 365; "
                 "federation partners keep routing here. Delete it.";
          break;
        case Family::Mdm:
          what = "Device enrolment / registration still points at Microsoft Intune / Entra. "
                 "Delete it, or point it at the new MDM.";
          break;
        default:
          break;
      }
      Record shown = r;  // the record as found, with where its chain led
      shown.data += reached;
      b.found(p.finding, p.severity, s->cloud, shown, what + through + confidenceNote(*s));
    }
  }
}

// The `_mta-sts` TXT records that start "v=STSv1" (RFC 8461 §3.1 discards the others), and the
// observation they come from; nullptr when there is no such answer.
std::vector<const Record*> stsRecords(const Observation* o) {
  std::vector<const Record*> out;
  if (!o || o->outcome != Outcome::Answer) return out;
  for (const auto& r : o->answer)
    if (r.type == RRType::TXT && isStsRecord(TxtText(r).view())) out.push_back(&r);
  return out;
}

// SPEC §3 mta-sts-lists-m365: the policy a `_mta-sts` record announces, judged from the body
// the engine fetched (ctx.policy). Anything that leaves the policy unknown (the TXT lookup, the
// policy host's address lookups, the fetch, a body that does not parse) is lookup-failed on the
// `_mta-sts` TXT: senders may hold the policy whatever offboard could read.
void checkMtaSts(Builder& b, const std::vector<Observation>& obs, const CheckContext& ctx) {
  const DnsName& d = b.report().domain;
  const DnsName name = mtaStsRecordName(d);
  if (name.isEmpty()) return;
  const Observation* o = find(obs, name, RRType::TXT);
  if (!o) return;  // never asked: evaluate reports it with the other base questions
  if (!isEvidence(o->outcome)) {
    b.failed(*o, "whether " + d.toString() + " publishes an MTA-STS policy");
    return;
  }
  const std::vector<const Record*> recs = stsRecords(o);
  if (recs.empty()) return;
  MtaStsView v;
  v.txt = joinTxt(*recs.front());
  v.txtCount = recs.size();
  const StsRecord rec = parseStsRecord(v.txt);
  v.id = rec.id;
  v.txtValid = rec.valid && recs.size() == 1;
  for (const Record* r : recs) b.addRecord(*r);
  const DnsName host = mtaStsPolicyHost(d);
  const std::string why = "which MX hosts " + d.toString() + "'s MTA-STS policy admits";
  const std::string held = "; senders that cached it keep applying it for up to its max_age.";
  if (!ctx.policy) {
    const Observation* a = find(obs, host, RRType::A);
    const Observation* aaaa = find(obs, host, RRType::AAAA);
    const Observation* failedLookup = a && !isEvidence(a->outcome)         ? a
                                      : aaaa && !isEvidence(aaaa->outcome) ? aaaa
                                                                           : nullptr;
    const bool addressed = !ctx.offline && policyRequest(d, obs, ctx).has_value();
    if (failedLookup && !addressed) {
      b.failedOn(name, RRType::TXT, *failedLookup, "the policy host " + host.toString(), why);
      v.error = "the address lookup for " + host.toString() + " failed";
    } else if (a && aaaa && !addressed && !ctx.offline) {
      v.error = host.toString() + " has no address";
      b.unfollowed(name, RRType::TXT, "no-address",
                   d.toString() + " publishes an MTA-STS record but its policy host " + host.toString() +
                       " has no address, so the policy cannot be fetched; " + why + " cannot be established" + held +
                       " Publish the policy host, or publish mode: none under a new id.");
    } else {
      v.error = "the policy was not fetched";
      b.unfollowed(name, RRType::TXT, "not-fetched",
                   d.toString() + " publishes an MTA-STS record and its policy was not fetched; " + why +
                       " cannot be established. Check it with a source that can fetch it.");
    }
    b.report().mtaSts = std::move(v);
    return;
  }
  const PolicyFetch& pf = *ctx.policy;
  v.source = pf.source;
  v.fetched = pf.ok;
  if (!pf.ok) {
    v.error = pf.error;
    b.unfollowed(name, RRType::TXT, "not-fetched",
                 "The MTA-STS policy of " + d.toString() + " could not be read from " + pf.source + ": " + pf.error +
                     "; " + why + " cannot be established" + held +
                     " Fix the policy host (RFC 8461 §3.3: HTTPS, a valid certificate for " + host.toStringNoDot() +
                     ", no redirect), or check the policy by hand.");
    b.report().mtaSts = std::move(v);
    return;
  }
  const StsPolicy p = parseStsPolicy(pf.body);
  v.valid = p.valid;
  v.error = p.error;
  v.mode = p.mode;
  v.maxAge = p.maxAge;
  v.mx = p.mx;
  if (!p.valid) {
    b.unfollowed(name, RRType::TXT, "invalid-policy",
                 "The MTA-STS policy of " + d.toString() + " at " + pf.source + " does not follow RFC 8461 §3.2 (" +
                     p.error + "); " + why + " cannot be established: senders that cached an earlier one keep it. "
                     "Fix the policy.");
  } else if (stsListsOnlyMicrosoft(p)) {
    v.onlyM365 = true;
    const Signature* sig = stsPatternSignature(p.mx.front());
    std::string mx;
    for (const auto& m : p.mx) mx += (mx.empty() ? "" : ", ") + m;
    b.add(Finding{FindingId::MtaStsListsM365, Severity::Blocker, sig ? sig->cloud : Cloud::None, name, RRType::TXT,
                  stsSummary(v.id, p),
                  "The MTA-STS policy of " + d.toString() + " (" + pf.source + ", mode " +
                      std::string(stsModeName(p.mode)) + ") admits only Microsoft 365's MX hosts (" + mx +
                      "): senders that cached it " + (p.mode == StsMode::Enforce ? "refuse" : "report") +
                      " any other MX for up to max_age " + std::to_string(p.maxAge) +
                      " s. Before the MX change, publish a policy listing the new MX (or mode: none) under a new "
                      "id, then wait the old max_age.",
                  std::nullopt, ""});
  }
  b.report().mtaSts = std::move(v);
}

std::string answerSummary(const Observation& o) {
  if (o.outcome != Outcome::Answer) return std::string(outcomeName(o.outcome));
  std::string s;
  for (const auto& r : o.answer) s += (s.empty() ? "" : ", ") + r.data;
  return s;
}

// Authoritative mode: each server's own answer (SPEC §3 lame-delegation, ns-inconsistent,
// lookup-failed naming the server). A silent server is a lookup failure for that server, never
// a verdict on the zone; lameness needs positive evidence (non-authoritative answer, REFUSED).
void checkServers(Builder& b, const std::vector<Observation>& obs) {
  // One lame-delegation finding per server, on the first question it failed: a lame server
  // fails every question of the zone, and thirteen copies of one fault hide the others.
  struct Lame {
    const Observation* first;
    const Observation* own;  // that server's answer to it
    std::size_t more = 0;    // further questions the same server failed the same way
  };
  std::vector<Lame> lame;
  for (const auto& o : obs) {
    // Named servers (the new DNS host, Question::servers) are not the zone's: checkDnssec
    // judges their answers.
    if (o.perServer.empty() || !o.question.servers.empty()) continue;
    const Observation* reference = nullptr;
    bool differ = false;
    for (const auto& s : o.perServer) {
      if (s.outcome == Outcome::Lame || s.outcome == Outcome::Refused) {
        auto seen = std::find_if(lame.begin(), lame.end(),
                                 [&](const Lame& l) { return l.own->server == s.server; });
        if (seen == lame.end()) lame.push_back(Lame{&o, &s});
        else ++seen->more;
      } else if (!isEvidence(s.outcome)) {
        b.failed(s, "what this server says about " + o.question.name.toString());
      } else if (!reference) {
        reference = &s;
      } else if (answersDiffer(*reference, s)) {
        differ = true;
      }
    }
    if (differ) {
      std::string data;
      for (const auto& s : o.perServer)
        if (isEvidence(s.outcome)) data += (data.empty() ? "" : "; ") + s.server + ": " + answerSummary(s);
      b.add(Finding{FindingId::NsInconsistent, Severity::Warning, Cloud::None, o.question.name,
                    o.question.type, data,
                    "The authoritative servers disagree on " + rrTypeName(o.question.type) + " " +
                        o.question.name.toString() +
                        " (a change not yet on every server, or a stale server); the verdict "
                        "takes the worst answer.",
                    std::nullopt, ""});
    }
  }
  for (const auto& l : lame) {
    const Observation& o = *l.first;
    const Observation& s = *l.own;
    std::string message = "The delegated server " + s.server + " does not answer authoritatively for " +
                          o.question.name.toString() + " (" +
                          (s.detail.empty() ? std::string(outcomeName(s.outcome)) : s.detail) + ")";
    if (l.more > 0)
      message += ", nor for " + std::to_string(l.more) +
                 (l.more == 1 ? " other question" : " other questions") + " about this domain";
    message += ": fix or remove it from the NS set.";
    b.add(Finding{FindingId::LameDelegation, Severity::Warning, Cloud::None, o.question.name, o.question.type,
                  std::string(outcomeName(s.outcome)), std::move(message), std::nullopt, s.server});
  }
}

// The DNS host whose DNSKEY RRset must match the parent's DS (SPEC §3 dnssec-ds-mismatch): the
// question that asks it, when it is known.
struct NewHost {
  std::optional<Question> question;
  bool switched = false;  // the delegation names Microsoft no longer: that host serves the zone now
};

bool namesMicrosoft(const Observation& o) {
  return std::any_of(o.answer.begin(), o.answer.end(),
                     [](const Record& r) { return r.type == RRType::NS && matchHost(Family::Ns, r.target); });
}

NewHost newHostOf(const DnsName& d, const std::vector<Observation>& obs, const CheckContext& ctx) {
  NewHost h;
  Question q{d, RRType::DNSKEY};
  const Observation* parent = find(obs, d, RRType::NS, true);
  const Observation* child = find(obs, d, RRType::NS, false);
  if (parent && parent->outcome == Outcome::Answer && !parent->answer.empty() &&
      parent->answer.front().name == d) {
    // The parent's delegation: the servers validators will ask once it names no Microsoft host.
    h.switched = !namesMicrosoft(*parent);
    if (h.switched) q.servers = targets(parent->answer);
  } else if (!parent && child && child->outcome == Outcome::Answer && !child->answer.empty()) {
    // A recursive resolver (no parent side): its DNSKEY answer comes from the servers the
    // domain is delegated to now, which is the new host once they name no Microsoft host.
    h.switched = !namesMicrosoft(*child);
  }
  if (ctx.offline) {
    q.servers.clear();  // zone files: the domain's own zone file (ZoneResolver)
  } else if (!h.switched) {
    if (ctx.newNameservers.empty()) return h;  // not known: evaluate says so
    q.servers = ctx.newNameservers;
  }
  h.question = std::move(q);
  return h;
}

// One server's view of a merged observation (authoritative mode), or the observation itself.
std::vector<const Observation*> viewsOf(const Observation& o) {
  std::vector<const Observation*> out;
  if (o.perServer.empty()) out.push_back(&o);
  for (const auto& s : o.perServer) out.push_back(&s);
  return out;
}

std::string keyList(const std::vector<Record>& keys) {
  std::string s;
  for (const auto& k : keys) {
    if (k.type != RRType::DNSKEY) continue;
    s += (s.empty() ? "" : ", ") + std::to_string(k.keyTag) + " (algorithm " + std::to_string(k.algorithm) +
         ", flags " + std::to_string(k.keyFlags) + ")";
  }
  return s.empty() ? "no DNSKEY" : "DNSKEY key tags " + s;
}

// SPEC §3 dnssec-ds-mismatch: every parent server's DS RRset against every new-host server's
// DNSKEY RRset (a validator may ask any of them). No DS at the parent: nothing to match. A
// lookup that failed, a DS offboard cannot compare, or a new host that is not known: the
// answer is unknown (lookup-failed), never clear.
void checkDnssec(Builder& b, const std::vector<Observation>& obs) {
  const DnsName& d = b.report().domain;
  const Observation* ds = find(obs, d, RRType::DS);
  if (!ds || ds->outcome == Outcome::NoData || ds->outcome == Outcome::NxDomain) return;
  const std::string dsWhy = "whether the parent publishes DS records for " + d.toStringNoDot();
  std::vector<const Observation*> withDs;
  bool anyEvidence = false;
  for (const Observation* v : viewsOf(*ds)) {
    if (!v->chain.empty() && (isEvidence(v->outcome) || v->outcome == Outcome::NotAvailable)) {
      // The domain is an alias: no zone cut, so no DS of its own (what the chain's end has
      // is another name's).
      anyEvidence = true;
    } else if (isEvidence(v->outcome)) {
      anyEvidence = true;
      if (v->outcome == Outcome::Answer && !v->answer.empty()) withDs.push_back(v);
    } else if (v->outcome != Outcome::Lame && v->outcome != Outcome::Refused) {
      b.failed(*v, dsWhy);  // a lame parent server is a lame-delegation (checkServers)
    }
  }
  if (!anyEvidence) {
    b.failed(*ds, dsWhy);
    return;
  }
  if (withDs.empty()) return;
  for (const Observation* v : withDs)
    for (const auto& r : v->answer) b.addRecord(r);

  const NewHost host = newHostOf(d, obs, b.ctx());
  const std::string keysWhy = "whether the DNS host the delegation " +
                              std::string(host.switched ? "names" : "moves to") +
                              " serves a DNSKEY matching the parent's DS records for " + d.toStringNoDot();
  if (!host.question) {
    b.add(Finding{FindingId::LookupFailed, Severity::Indeterminate, Cloud::None, d, RRType::DNSKEY, "not-asked",
                  "The parent publishes DS records for " + d.toStringNoDot() +
                      ", but the DNS host the delegation moves to is not known (name its nameservers: "
                      "new_dns.nameservers in the tenant file, or --new-ns): " + keysWhy +
                      " cannot be established, and without one the switch makes the domain bogus for "
                      "validating resolvers.",
                  std::nullopt, ""});
    return;
  }
  // The answer to exactly that question: a DNSKEY RRset from anywhere else (Microsoft's servers,
  // the zone's own) says nothing about the host the delegation moves to.
  const Observation* keys = nullptr;
  for (const auto& o : obs)
    if (o.question == *host.question) keys = &o;
  if (!keys) {
    Observation never;
    never.question = *host.question;
    never.outcome = Outcome::NotAvailable;
    never.detail = "never asked";
    b.failed(never, keysWhy);
    return;
  }
  // One finding per DS record that matches no key (per DS set not compared), naming every
  // server of the host that serves the same keys: a validator may ask any of them.
  struct Miss {
    const Record* ds = nullptr;  // NoMatch: the DS; NotCompared: nullptr
    std::string what;            // NoMatch: the keys served; NotCompared: the DS not compared, and why
    std::string servers;
  };
  std::vector<Miss> misses;
  auto miss = [&misses](const Record* r, std::string what, const std::string& server) {
    for (auto& m : misses) {
      if ((m.ds ? m.ds->data : "") != (r ? r->data : "") || m.what != what) continue;
      if (m.servers.find(server) == std::string::npos) m.servers += ", " + server;
      return;
    }
    misses.push_back(Miss{r, std::move(what), server});
  };
  for (const Observation* kv : viewsOf(*keys)) {
    if (!isEvidence(kv->outcome)) {
      b.failed(*kv, keysWhy);
      continue;
    }
    static const std::vector<Record> kNoKeys;
    const std::vector<Record>& keyset = kv->outcome == Outcome::Answer ? kv->answer : kNoKeys;
    for (const Observation* dv : withDs) {
      DsComparison c = compareDs(dv->answer, keyset);
      if (c.outcome == DsOutcome::NotCompared) {
        std::string which;
        for (std::size_t i = 0; i < c.notCompared.size(); ++i)
          which += (which.empty() ? "" : "; ") + c.notCompared[i]->data + " (" + c.whyNot[i] + ")";
        miss(nullptr, which.empty() ? "a key whose digest could not be computed" : which, kv->server);
      } else if (c.outcome == DsOutcome::NoMatch) {
        for (const Record* r : c.compared) miss(r, keyList(keyset), kv->server);
      }
    }
  }
  for (const auto& m : misses) {
    if (!m.ds) {
      b.add(Finding{FindingId::LookupFailed, Severity::Indeterminate, Cloud::None, d, RRType::DS, "not-compared",
                    "The parent publishes DS records for " + d.toStringNoDot() +
                        " that offboard cannot compare with the keys the DNS host serves (answer from " +
                        m.servers + "): " + m.what +
                        " (offboard compares digest types 1, 2 and 4 of the algorithms validators implement); " +
                        keysWhy +
                        " cannot be established. Check it with a validating resolver, or publish a DS of "
                        "digest type 2 (SHA-256) instead.",
                    std::nullopt, m.servers});
      continue;
    }
    const Record& r = *m.ds;
    std::string msg = "The parent zone publishes DS " + r.data + " for " + d.toStringNoDot() +
                      ", and the DNS host the delegation " + (host.switched ? "names" : "is to move to") +
                      " serves " + m.what + " (answer from " + m.servers + "): no DS of the set matches a key there. ";
    msg += host.switched
               ? "Validating resolvers treat " + d.toStringNoDot() +
                     " as bogus now (RFC 4035 §5): remove the DS records at the registrar (caches keep them "
                     "for their TTL, " + std::to_string(r.ttl) +
                     " s), or publish the matching key at that host; sign and add a new DS only once the "
                     "switch's wait is over."
               : "Once NS is switched, validating resolvers will treat " + d.toStringNoDot() +
                     " as bogus (RFC 4035 §5). Before the switch, remove the DS records at the registrar and "
                     "wait their TTL (" + std::to_string(r.ttl) +
                     " s), or publish the matching key at the new host; sign the zone there and add the new "
                     "DS only after the switch and its wait.";
    b.add(Finding{FindingId::DnssecDsMismatch, Severity::Blocker, Cloud::None, d, RRType::DS, r.data,
                  std::move(msg), r.ttl, m.servers});
  }
}

int severityRank(Severity s) {
  switch (s) {
    case Severity::Blocker: return 0;
    case Severity::Required: return 1;
    case Severity::Cleanup: return 2;
    case Severity::Indeterminate: return 3;
    case Severity::Warning: return 4;
  }
  return 5;
}

}  // namespace

std::vector<Question> questionsFor(const DnsName& domain, bool parentSide) {
  ProbeNames names = *probeNames(domain);
  std::vector<Question> qs;
  qs.reserve(6 + names.size());
  forEachBaseQuestion(domain, names, parentSide, [&](auto& n, RRType t, bool parent) {
    // The probe names are this function's own: moved, not copied.
    if constexpr (std::is_const_v<std::remove_reference_t<decltype(n)>>) {
      qs.push_back(Question{n, t, parent});
    } else {
      qs.push_back(Question{std::move(n), t, parent});
    }
  });
  return qs;
}

std::vector<Question> followUps(const DnsName& domain, const std::vector<Observation>& observed,
                                const CheckContext& ctx) {
  std::vector<Question> out;
  auto ask = [&](const DnsName& name, RRType type) {
    Question q{name, type};
    if (std::find(out.begin(), out.end(), q) != out.end() || find(observed, name, type)) return;
    out.push_back(std::move(q));
  };
  if (const Observation* mx = find(observed, domain, RRType::MX); mx && mx->outcome == Outcome::Answer) {
    for (const auto& r : mx->answer) {
      if (r.target.isRoot() || r.target.isEmpty()) continue;
      AliasWalk w = walkExchange(r.target, observed, ctx);
      if (w.needsQuestion) ask(w.last, RRType::CNAME);
    }
  }
  if (const Observation* txt = find(observed, domain, RRType::TXT); txt && txt->outcome == Outcome::Answer) {
    for (const auto& r : txt->answer) {
      const TxtText held(r);
      const std::string_view text = held.view();
      if (!isSpfRecord(text)) continue;
      SpfWalk w = walkSpfRecord(domain, text, observed, false);  // its unasked targets only
      if (w.found) continue;  // settled: nothing further changes the finding
      for (const auto& n : w.unasked) ask(n, RRType::TXT);
    }
  }
  // DNSSEC at the NS switch: once the parent publishes DS, the new host's DNSKEY RRset.
  if (const Observation* ds = find(observed, domain, RRType::DS);
      ds && ds->outcome == Outcome::Answer && !ds->answer.empty() && aliasChain(*ds).empty()) {
    auto key = newHostOf(domain, observed, ctx).question;
    if (key && std::none_of(observed.begin(), observed.end(), [&](const Observation& o) { return o.question == *key; }))
      out.push_back(std::move(*key));
  }
  // MTA-STS: the policy host's addresses, to fetch the policy from (a zone directory has the
  // policy beside the zone instead).
  if (!ctx.offline && !stsRecords(find(observed, mtaStsRecordName(domain), RRType::TXT)).empty()) {
    if (DnsName host = mtaStsPolicyHost(domain); !host.isEmpty()) {
      ask(host, RRType::A);
      ask(host, RRType::AAAA);
    }
  }
  // The probe names are built only when some CNAME was answered (most rounds of a scan have
  // none left to follow).
  bool anyAlias = std::any_of(observed.begin(), observed.end(), [](const Observation& o) {
    return o.question.type == RRType::CNAME && o.outcome == Outcome::Answer && !o.answer.empty();
  });
  if (!anyAlias) return out;
  const auto held = probeNames(domain);
  const ProbeNames& names = *held;
  for (std::size_t i = 0; i < probes().size(); ++i) {
    const Probe& p = probes()[i];
    if (p.type != RRType::CNAME || names[i].isEmpty()) continue;
    const Observation* o = find(observed, names[i], p.type);
    if (!o || o->outcome != Outcome::Answer) continue;
    for (const auto& r : o->answer) {
      if (r.type != RRType::CNAME || r.target.isEmpty()) continue;
      AliasWalk w = walkProbe(p, names[i], r.target, observed);
      if (w.needsQuestion) ask(w.last, RRType::CNAME);
    }
  }
  return out;
}

std::optional<PolicyRequest> policyRequest(const DnsName& domain, const std::vector<Observation>& observed,
                                           const CheckContext& ctx) {
  const DnsName name = mtaStsRecordName(domain);
  if (name.isEmpty() || stsRecords(find(observed, name, RRType::TXT)).empty()) return std::nullopt;
  PolicyRequest req{domain, {}};
  if (ctx.offline) return req;
  const DnsName host = mtaStsPolicyHost(domain);
  for (RRType t : {RRType::A, RRType::AAAA}) {
    const Observation* o = find(observed, host, t);
    if (!o || o->outcome != Outcome::Answer) continue;
    for (const auto& r : o->answer)
      if (r.type == t) req.addresses.push_back(r.data);
  }
  if (req.addresses.empty()) return std::nullopt;
  return req;
}

Verdict verdictOf(const std::vector<Finding>& findings) {
  Verdict v = Verdict::Clear;
  for (const auto& f : findings) {
    switch (f.severity) {
      case Severity::Blocker:
      case Severity::Required:
      case Severity::Cleanup: return Verdict::PointsAtM365;
      case Severity::Indeterminate: v = Verdict::Indeterminate; break;
      case Severity::Warning: break;
    }
  }
  return v;
}

DomainReport evaluate(const DnsName& domain, const std::vector<Observation>& observed,
                      const CheckContext& ctx) {
  Builder b(domain, ctx);
  checkNs(b, observed);
  checkMx(b, observed);
  checkTxt(b, observed);
  const auto held = probeNames(domain);
  const ProbeNames& names = *held;
  checkProbes(b, observed, names);
  checkMtaSts(b, observed, ctx);
  checkDnssec(b, observed);  // before checkServers: its per-server failures say what they leave unknown
  checkServers(b, observed);
  // Every question the engine should have asked must have an observation: a missing one is
  // missing evidence, never absence.
  forEachBaseQuestion(domain, names, false, [&](const DnsName& n, RRType t, bool parent) {
    if (find(observed, n, t, parent)) return;
    Observation missing;
    missing.question = Question{n, t, parent};
    missing.outcome = Outcome::NotAvailable;
    missing.detail = "never asked";
    b.failed(missing, "the record's state");
  });
  DomainReport& r = b.report();
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& c) {
    return severityRank(a.severity) < severityRank(c.severity);
  });
  r.verdict = verdictOf(r.findings);
  for (const auto& f : r.findings) {
    if (f.cloud != Cloud::None && severityRank(f.severity) <= 2) {
      r.cloud = f.cloud;
      break;
    }
  }
  return std::move(r);
}

}  // namespace offboard
