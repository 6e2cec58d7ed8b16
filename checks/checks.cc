#include "checks/checks.h"

#include <algorithm>
#include <array>
#include <span>
#include <string_view>
#include <type_traits>

#include "checks/catalogue.h"
#include "core/server_merge.h"

namespace offboard {
namespace {

// The fixed names below a domain where Microsoft 365 asks for records (m365-dns.md §3.7).
struct Probe {
  std::array<std::string_view, 2> owner;  // labels below the domain, leftmost first ("" = none)
  RRType type;
  Family family;
  std::string_view id;
  Severity severity;
};

constexpr std::array<Probe, 10> kProbes{{
    {{"autodiscover"}, RRType::CNAME, Family::Autodiscover, "autodiscover-at-m365", Severity::Required},
    {{"selector1", "_domainkey"}, RRType::CNAME, Family::Dkim, "dkim-at-m365", Severity::Required},
    {{"selector2", "_domainkey"}, RRType::CNAME, Family::Dkim, "dkim-at-m365", Severity::Required},
    {{"msoid"}, RRType::CNAME, Family::Msoid, "msoid-at-m365", Severity::Required},
    {{"sip"}, RRType::CNAME, Family::Teams, "teams-at-m365", Severity::Cleanup},
    {{"lyncdiscover"}, RRType::CNAME, Family::Teams, "teams-at-m365", Severity::Cleanup},
    {{"_sip", "_tls"}, RRType::SRV, Family::Teams, "teams-at-m365", Severity::Cleanup},
    {{"_sipfederationtls", "_tcp"}, RRType::SRV, Family::Teams, "teams-at-m365", Severity::Cleanup},
    {{"enterpriseregistration"}, RRType::CNAME, Family::Mdm, "mdm-at-m365", Severity::Cleanup},
    {{"enterpriseenrollment"}, RRType::CNAME, Family::Mdm, "mdm-at-m365", Severity::Cleanup},
}};

DnsName below(const DnsName& domain, const Probe& p) {
  std::size_t count = p.owner[1].empty() ? 1 : 2;
  auto n = domain.prepend(std::span<const std::string_view>(p.owner.data(), count));
  return n ? std::move(*n) : DnsName();
}

// An RRset in a stable order (servers rotate RRsets): by preference, then data. Pointers into
// `rrs` (no copies), which must outlive the result.
std::vector<const Record*> sorted(const std::vector<Record>& rrs) {
  std::vector<const Record*> out;
  out.reserve(rrs.size());
  for (const auto& r : rrs) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const Record* a, const Record* b) {
    if (a->preference != b->preference) return a->preference < b->preference;
    return a->data < b->data;
  });
  return out;
}

const Observation* find(const std::vector<Observation>& obs, const DnsName& name, RRType type,
                        bool parentSide = false) {
  for (const auto& o : obs)
    if (o.question.type == type && o.question.parentSide == parentSide && o.question.name == name)
      return &o;
  return nullptr;
}

std::string joinTxt(const Record& r) {
  std::string s;
  for (const auto& part : r.strings) s += part;  // RFC 7208 §3.3: no separator
  return s;
}

bool isMicrosoftExchange(const DnsName& host, const CheckContext& ctx) {
  if (matchHost(Family::Mx, host)) return true;
  return std::find(ctx.knownMicrosoftMx.begin(), ctx.knownMicrosoftMx.end(), host) !=
         ctx.knownMicrosoftMx.end();
}

Cloud exchangeCloud(const DnsName& host) {
  const Signature* s = matchHost(Family::Mx, host);
  return s ? s->cloud : Cloud::Worldwide;
}

// Walks an MX exchange through the CNAME observations gathered so far.
struct ExchangeWalk {
  std::vector<Record> hops;     // CNAME records followed
  DnsName last;                 // the last name reached
  const Observation* pending = nullptr;  // an observation that ended the walk without evidence
  bool needsQuestion = false;   // `last` has not been asked yet
  bool loop = false;
  bool tooLong = false;
};

ExchangeWalk walkExchange(const DnsName& exchange, const std::vector<Observation>& obs,
                          const CheckContext& ctx) {
  ExchangeWalk w;
  w.last = exchange;
  std::vector<DnsName> seen{exchange};
  for (int depth = 0;; ++depth) {
    if (isMicrosoftExchange(w.last, ctx) || matchHost(Family::VerificationMx, w.last)) return w;
    if (depth >= kMaxExchangeChain) {
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
    if (std::find(seen.begin(), seen.end(), cname.target) != seen.end()) {
      w.loop = true;
      return w;
    }
    seen.push_back(cname.target);
    w.last = cname.target;
  }
}

class Builder {
 public:
  Builder(const DnsName& domain, const CheckContext& ctx) : ctx_(ctx) { report_.domain = domain; }

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

  void found(std::string_view id, Severity sev, Cloud cloud, const Record& r, std::string message) {
    add(Finding{std::string(id), sev, cloud, r.name, r.type, r.data, std::move(message), r.ttl, ""});
  }

  void failed(const Observation& o, std::string_view why) {
    std::string what = std::string(outcomeName(o.outcome));
    std::string detail = o.detail.empty() ? what : o.detail;
    if (!o.server.empty() && detail.find(o.server) == std::string::npos)
      detail += " (server " + o.server + ")";
    std::string msg = rrTypeName(o.question.type) + " lookup for " + o.question.name.toString() +
                      " failed: " + detail + "; " + std::string(why) +
                      " cannot be established. Retry, or fix the resolver or server.";
    add(Finding{"lookup-failed", Severity::Indeterminate, Cloud::None, o.question.name,
                o.question.type, what, std::move(msg), std::nullopt, o.server});
  }

  void nxdomain(const Observation& o) {
    for (const auto& g : report_.findings)
      if (g.id == "domain-nxdomain") return;
    add(Finding{"domain-nxdomain", Severity::Indeterminate, Cloud::None, report_.domain,
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
    if (o->outcome == Outcome::NxDomain) {
      b.nxdomain(*o);
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
      if (!parent) b.addRecord(r);
      if (const Signature* s = matchHost(Family::Ns, r.target)) {
        if (!first) first = s;
        hosts += (hosts.empty() ? "" : " ") + r.target.toString();
      }
    }
    bool parentFound = false;
    for (const auto& f : b.report().findings) parentFound = parentFound || f.id == "ns-at-m365";
    // A parent-side answer owned by another name is the delegation of the zone enclosing d
    // (d has no zone of its own): d is judged by that delegation.
    const DnsName& owner = o->answer.empty() ? d : o->answer.front().name;
    std::string subject = parent && owner != d
                              ? owner.toStringNoDot() + " (the zone containing " + d.toStringNoDot() +
                                    ", which has no zone of its own and is judged by this delegation)"
                              : d.toStringNoDot();
    if (first && !parentFound) {
      b.add(Finding{"ns-at-m365", Severity::Blocker, first->cloud, d, RRType::NS, hosts,
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
    b.add(Finding{"ns-inconsistent", Severity::Warning, Cloud::None, d, RRType::NS,
                  "parent: " + p + "; child: " + c,
                  "The parent's delegation and the zone's own NS set differ (a switch in "
                  "progress, or a stale zone): resolvers may follow either until the TTLs pass.",
                  del.parentTtl, ""});
  }
}

void checkMx(Builder& b, const std::vector<Observation>& obs) {
  const DnsName& d = b.report().domain;
  const Observation* o = find(obs, d, RRType::MX);
  if (!o) return;
  if (o->outcome == Outcome::NxDomain) {
    b.nxdomain(*o);
    return;
  }
  if (!isEvidence(o->outcome)) {
    b.failed(*o, "where mail for the domain goes");
    return;
  }
  if (o->outcome == Outcome::NoData || o->answer.empty()) {
    b.add(Finding{"no-mx", Severity::Warning, Cloud::None, d, RRType::MX, "nodata",
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
      b.found("verification-mx", Severity::Cleanup, s->cloud, r,
              "A Microsoft 365 domain-verification MX (it never receives mail). Delete it.");
      continue;
    }
    ExchangeWalk w = walkExchange(r.target, obs, b.ctx());
    for (const auto& hop : w.hops) b.addRecord(hop);
    if (isMicrosoftExchange(w.last, b.ctx())) {
      Record shown = r;
      if (!w.hops.empty()) shown.data += " -> " + w.last.toString();
      b.found("mx-at-m365", Severity::Blocker, exchangeCloud(w.last), shown,
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

void checkTxt(Builder& b, const std::vector<Observation>& obs) {
  const DnsName& d = b.report().domain;
  const Observation* o = find(obs, d, RRType::TXT);
  if (!o) return;
  if (o->outcome == Outcome::NxDomain) {
    b.nxdomain(*o);
    return;
  }
  if (!isEvidence(o->outcome)) {
    b.failed(*o, "whether SPF still authorises Microsoft 365");
    return;
  }
  for (const Record* rp : sorted(o->answer)) {
    const Record& r = *rp;
    std::string text = joinTxt(r);
    if (isSpfRecord(text)) {
      b.addRecord(r);
      if (auto m = matchSpf(text)) {
        b.found("spf-includes-m365", Severity::Required, m->signature->cloud, r,
                "SPF still authorises Microsoft 365's outbound servers (" + m->term +
                    ") to send as " + d.toStringNoDot() +
                    ". Remove that term and keep the rest of the record.");
      }
    } else if (isVerificationTxt(text)) {
      b.addRecord(r);
      b.found("verification-txt", Severity::Cleanup, Cloud::None, r,
              "A Microsoft 365 domain-verification record; harmless, delete it after the domain "
              "leaves the tenant.");
    }
  }
}

using ProbeNames = std::array<DnsName, kProbes.size()>;

ProbeNames probeNames(const DnsName& domain) {
  ProbeNames names;
  for (std::size_t i = 0; i < kProbes.size(); ++i) names[i] = below(domain, kProbes[i]);
  return names;
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
    if (!names[i].isEmpty()) f(names[i], kProbes[i].type, false);
}

void checkProbes(Builder& b, const std::vector<Observation>& obs, const ProbeNames& names) {
  for (std::size_t i = 0; i < kProbes.size(); ++i) {
    const Probe& p = kProbes[i];
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
      const Signature* s = matchHost(p.family, r.target);
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
        case Family::Msoid:
          what = "The msoid CNAME sends Office activation for this domain to 21Vianet; elsewhere "
                 "it breaks activation. Delete it.";
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
      b.found(p.id, p.severity, s->cloud, r, std::move(what));
    }
  }
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
    if (o.perServer.empty()) continue;
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
      b.add(Finding{"ns-inconsistent", Severity::Warning, Cloud::None, o.question.name,
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
    b.add(Finding{"lame-delegation", Severity::Warning, Cloud::None, o.question.name, o.question.type,
                  std::string(outcomeName(s.outcome)), std::move(message), std::nullopt, s.server});
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
  ProbeNames names = probeNames(domain);
  std::vector<Question> qs;
  qs.reserve(4 + names.size());
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
  const Observation* mx = find(observed, domain, RRType::MX);
  if (!mx || mx->outcome != Outcome::Answer) return out;
  for (const auto& r : mx->answer) {
    if (r.target.isRoot() || r.target.isEmpty()) continue;
    ExchangeWalk w = walkExchange(r.target, observed, ctx);
    if (!w.needsQuestion) continue;
    Question q{w.last, RRType::CNAME};
    if (std::find(out.begin(), out.end(), q) == out.end()) out.push_back(std::move(q));
  }
  return out;
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
  ProbeNames names = probeNames(domain);
  checkProbes(b, observed, names);
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
