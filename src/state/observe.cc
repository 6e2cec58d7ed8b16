#include "state/observe.h"

#include <algorithm>
#include <array>

#include "checks/catalogue.h"
#include "checks/checks.h"
#include "checks/mta_sts.h"

namespace offboard {
namespace {

// Subject keys with a qualifier in parentheses select part of an RRset.
constexpr std::string_view kParentNs = "NS(parent) ";
constexpr std::string_view kMxVerification = "MX(verification) ";
constexpr std::string_view kSpf = "TXT(spf) ";
constexpr std::string_view kTxtVerification = "TXT(verification) ";
constexpr std::string_view kMtaSts = "MTA-STS ";


std::string joinedTxt(const Record& r) {
  std::string s;
  for (const auto& part : r.strings) s += part;
  return s;
}

const Finding* findingAt(const DomainReport& r, FindingId id, const DnsName& name, RRType type) {
  for (const auto& f : r.findings)
    if (f.id == id && f.name == name && f.type == type) return &f;
  return nullptr;
}

const Finding* anyFinding(const DomainReport& r, FindingId id) {
  for (const auto& f : r.findings)
    if (f.id == id) return &f;
  return nullptr;
}

bool isProbeName(const DnsName& domain, const DnsName& name) {
  for (const auto& p : probes())
    if (probeName(domain, p) == name) return true;
  return false;
}

// The lookup-failed finding that leaves this subject without evidence, if any.
const Finding* failureFor(const DomainReport& r, const Subject& s) {
  for (const auto& f : r.findings) {
    if (f.id != FindingId::LookupFailed) continue;
    if (f.name == s.name && f.type == s.type) return &f;
    // An MX exchange followed through CNAMEs: its failure is the MX subject's.
    if (s.kind == SubjectKind::Mx && f.type == RRType::CNAME && !isProbeName(r.domain, f.name))
      return &f;
  }
  return nullptr;
}

SubjectState valueOf(std::vector<const Record*> rrs) {
  SubjectState st;
  st.evidence = true;
  if (rrs.empty()) {
    st.value = "absent";
    return st;
  }
  std::vector<std::string> data;
  for (const Record* r : rrs) {
    data.push_back(r->data);
    st.ttl = std::max(st.ttl, r->ttl);
  }
  std::sort(data.begin(), data.end());
  data.erase(std::unique(data.begin(), data.end()), data.end());
  for (const auto& d : data) st.value += (st.value.empty() ? "" : " | ") + d;
  return st;
}

std::string joinNames(const std::vector<DnsName>& names) {
  std::vector<std::string> s;
  for (const auto& n : names) s.push_back(n.toString());
  std::sort(s.begin(), s.end());
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : " | ") + x;
  return out;
}

bool anyMicrosoftNs(const std::vector<DnsName>& names) {
  for (const auto& n : names)
    if (matchHost(Family::Ns, n)) return true;
  return false;
}

}  // namespace

std::vector<Subject> subjectsOf(const DnsName& d) {
  std::vector<Subject> out;
  const std::string dn = d.toString();
  using K = SubjectKind;
  out.push_back({K::ParentNs, std::string(kParentNs) + dn, Action::SwitchNs, d, RRType::NS, true});
  out.push_back({K::Ns, "NS " + dn, Action::SwitchNs, d, RRType::NS, true});
  // Before MX: its step comes first (a policy that admits only Microsoft's MX refuses the new one).
  if (DnsName sts = mtaStsRecordName(d); !sts.isEmpty())
    out.push_back({K::MtaSts, std::string(kMtaSts) + sts.toString(), Action::UpdateMtaSts, sts, RRType::TXT, true});
  out.push_back({K::Mx, "MX " + dn, Action::UpdateMx, d, RRType::MX, true});
  out.push_back({K::Spf, std::string(kSpf) + dn, Action::UpdateSpf, d, RRType::TXT, true});
  for (const auto& p : probes()) {
    DnsName n = probeName(d, p);
    if (n.isEmpty()) continue;  // the name would exceed 255 octets: the checks skip it too
    out.push_back({K::Probe, rrTypeName(p.type) + " " + n.toString(), p.action, n, p.type, true});
  }
  // Verification leftovers are removed after the domain leaves the tenant; their caches do not
  // hold anything up.
  out.push_back({K::VerificationMx, std::string(kMxVerification) + dn, Action::RemoveVerificationRecords, d,
                 RRType::MX, false});
  out.push_back({K::VerificationTxt, std::string(kTxtVerification) + dn, Action::RemoveVerificationRecords, d,
                 RRType::TXT, false});
  return out;
}

constexpr std::string_view kZone = "ZONE ";

std::string zoneSubjectKey(const DnsName& domain) { return std::string(kZone) + domain.toString(); }

bool isZoneSubjectKey(std::string_view key) { return key.substr(0, kZone.size()) == kZone; }

SubjectState subjectState(const DomainReport& r, const Subject& s) {
  if (const Finding* nx = anyFinding(r, FindingId::DomainNxdomain)) {
    SubjectState st;
    st.value = "nxdomain";
    st.detail = nx->message;
    return st;
  }
  const Delegation& del = r.delegation;
  const bool parent = s.kind == SubjectKind::ParentNs;
  if (const Finding* f = failureFor(r, s)) {
    // A (D, NS) failure is the parent side's only when the child side was seen, and the child
    // side's only when the parent side was seen or the source does not see parents.
    bool mine = s.type != RRType::NS || (parent ? !del.parentSeen : !del.childSeen);
    if (mine) {
      SubjectState st;
      st.value = f->data.empty() ? "failed" : f->data;
      st.detail = f->message;
      return st;
    }
  }
  if (parent) {
    if (!del.parentSeen) {
      SubjectState st;
      st.seen = false;
      st.value = "not seen";
      st.detail = "the parent-side delegation was not observed (the source does not see it)";
      return st;
    }
    SubjectState st;
    st.evidence = true;
    st.value = del.parentNs.empty() ? "absent" : joinNames(del.parentNs);
    st.atM365 = anyMicrosoftNs(del.parentNs);
    st.ttl = del.parentTtl.value_or(0);
    return st;
  }
  if (s.type == RRType::NS) {
    SubjectState st;
    st.evidence = true;
    st.value = del.childNs.empty() ? "absent" : joinNames(del.childNs);
    st.atM365 = anyMicrosoftNs(del.childNs);
    st.ttl = del.childTtl.value_or(0);
    return st;
  }
  if (s.kind == SubjectKind::MtaSts) {
    SubjectState st;
    st.evidence = true;
    if (!r.mtaSts) {
      st.value = "absent";
      return st;
    }
    const MtaStsView& v = *r.mtaSts;
    st.value = stsSummary(v.id, policyOf(v));
    st.atM365 = findingAt(r, FindingId::MtaStsListsM365, s.name, RRType::TXT) != nullptr;
    st.ttl = v.maxAge;
    return st;
  }
  std::vector<const Record*> rrs;
  const bool verificationMx = s.kind == SubjectKind::VerificationMx;
  const bool spf = s.kind == SubjectKind::Spf;
  const bool verificationTxt = s.kind == SubjectKind::VerificationTxt;
  for (const auto& rec : r.records) {
    if (rec.name != s.name || rec.type != s.type) continue;
    if (s.type == RRType::MX) {
      bool v = !rec.target.isEmpty() && matchHost(Family::VerificationMx, rec.target) != nullptr;
      if (v != verificationMx) continue;
    } else if (s.type == RRType::TXT) {
      std::string text = joinedTxt(rec);
      if (spf && !isSpfRecord(text)) continue;
      if (verificationTxt && !isVerificationTxt(text)) continue;
    }
    rrs.push_back(&rec);
  }
  SubjectState st = valueOf(rrs);
  if (verificationMx) st.atM365 = findingAt(r, FindingId::VerificationMx, s.name, RRType::MX) != nullptr;
  else if (s.type == RRType::MX) st.atM365 = findingAt(r, FindingId::MxAtM365, s.name, RRType::MX) != nullptr;
  else if (spf) st.atM365 = findingAt(r, FindingId::SpfIncludesM365, s.name, RRType::TXT) != nullptr;
  else if (verificationTxt) st.atM365 = findingAt(r, FindingId::VerificationTxt, s.name, RRType::TXT) != nullptr;
  else {
    for (const auto& p : probes())
      if (p.action == s.action && p.type == s.type)
        st.atM365 = st.atM365 || findingAt(r, p.finding, s.name, s.type) != nullptr;
  }
  return st;
}

std::vector<ObservationRow> observationsOf(const DomainReport& report, std::int64_t now,
                                           const std::optional<std::string>& zoneValue) {
  std::vector<ObservationRow> rows;
  const std::string domain = report.domain.toStringNoDot();
  for (const auto& s : subjectsOf(report.domain)) {
    SubjectState st = subjectState(report, s);
    if (!st.seen) continue;
    ObservationRow row;
    row.domain = domain;
    row.subject = s.key;
    row.value = st.value;
    row.atM365 = st.atM365;
    row.evidence = st.evidence;
    row.ttl = st.ttl;
    row.at = now;
    rows.push_back(std::move(row));
  }
  if (zoneValue) {
    ObservationRow row;
    row.domain = domain;
    row.subject = zoneSubjectKey(report.domain);
    row.value = *zoneValue;
    row.at = now;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<const ObservationRow*> historyOf(const StateSnapshot& s, const DnsName& domain,
                                             std::string_view key) {
  std::vector<const ObservationRow*> out;
  const std::string d = domain.toStringNoDot();
  for (const auto& row : s.observations) {
    // The gate writes domains as A-labels without the trailing dot (observationsOf).
    if (row.subject == key && row.domain == d) out.push_back(&row);
  }
  return out;
}

namespace {

// The domain's length, ':', the domain, the subject: one string per (domain, subject) pair,
// whatever bytes either holds (a state file is read as untrusted).
std::string historyKey(std::string_view domain, std::string_view subject) {
  std::string k = std::to_string(domain.size());
  k.reserve(k.size() + 1 + domain.size() + subject.size());
  k.push_back(':');
  k.append(domain);
  k.append(subject);
  return k;
}

}  // namespace

StateIndex::StateIndex(const StateSnapshot& s) : s_(s) {
  history_.reserve(s.observations.size());
  for (const auto& row : s.observations) history_[historyKey(row.domain, row.subject)].push_back(&row);
  // Rows whose step offboard cannot read (another version's) name no step of any plan.
  for (const auto& r : s.revocations) {
    auto id = StepId::parse(r.step);
    if (!id) continue;
    auto& rev = steps_[*id].revoked;
    rev = std::max(rev.value_or(r.seq), r.seq);
  }
  // The same choice as a scan of every row in snapshot order: the last row with the largest seq
  // above the step's last revocation. Revocations are all read first, as the scan reads them
  // before it looks at a row.
  for (const auto& a : s.acks) {
    auto id = StepId::parse(a.step);
    if (!id) continue;
    StepRows& st = steps_[*id];
    if ((!st.revoked || a.seq > *st.revoked) && (!st.ack || a.seq >= st.ack->seq)) st.ack = &a;
  }
  for (const auto& w : s.waivers) {
    auto id = StepId::parse(w.step);
    if (!id) continue;
    StepRows& st = steps_[*id];
    if ((!st.revoked || w.seq > *st.revoked) && (!st.waiver || w.seq >= st.waiver->seq)) st.waiver = &w;
  }
}

const std::vector<const ObservationRow*>& StateIndex::history(const DnsName& domain, std::string_view key) const {
  static const std::vector<const ObservationRow*> kNone;
  // The gate writes domains as A-labels without the trailing dot (observationsOf).
  auto it = history_.find(historyKey(domain.toStringNoDot(), key));
  return it == history_.end() ? kNone : it->second;
}

const StateIndex::StepRows* StateIndex::step(const StepId& id) const {
  auto it = steps_.find(id);
  return it == steps_.end() ? nullptr : &it->second;
}

std::optional<std::int64_t> StateIndex::revokedUpTo(const StepId& id) const {
  const StepRows* st = step(id);
  return st ? st->revoked : std::nullopt;
}

const AckRow* StateIndex::latestAck(const StepId& id) const {
  const StepRows* st = step(id);
  return st ? st->ack : nullptr;
}

const WaiverRow* StateIndex::latestWaiver(const StepId& id) const {
  const StepRows* st = step(id);
  return st ? st->waiver : nullptr;
}

std::optional<std::uint32_t> m365Ttl(const std::vector<const ObservationRow*>& h) {
  std::optional<std::uint32_t> ttl;
  for (const ObservationRow* r : h)
    if (r->atM365 && r->evidence) ttl = std::max(ttl.value_or(0), r->ttl);
  return ttl;
}

std::optional<std::int64_t> changedSince(const std::vector<const ObservationRow*>& h) {
  if (h.empty()) return std::nullopt;
  const ObservationRow* last = h.back();
  if (!last->evidence || last->atM365) return std::nullopt;
  // The trailing run, in the order the rows were recorded: its first row is the first sighting
  // of the current value. A later row stamped earlier (a clock set back, --now in the past) does
  // not move it back.
  std::size_t first = h.size() - 1;
  while (first > 0) {
    const ObservationRow* r = h[first - 1];
    if (!r->evidence || r->atM365 || r->value != last->value) break;
    --first;
  }
  std::int64_t since = h[first]->at;
  // Never before the last sighting of anything else: the old value was still being served then.
  for (std::size_t i = 0; i < first; ++i) since = std::max(since, std::max(h[i]->at, h[i]->lastSeen));
  return since;
}

std::optional<OutOfOrder> outOfOrder(const std::vector<const ObservationRow*>& h) {
  std::int64_t latest = 0;
  const ObservationRow* latestRow = nullptr;
  for (const ObservationRow* r : h) {
    if (latestRow && r->at < latest) return OutOfOrder{r->at, latest, r->value};
    const std::int64_t seen = std::max(r->at, r->lastSeen);
    if (!latestRow || seen > latest) {
      latest = seen;
      latestRow = r;
    }
  }
  return std::nullopt;
}

const ObservationRow* firstEvidence(const std::vector<const ObservationRow*>& h) {
  for (const ObservationRow* r : h)
    if (r->evidence) return r;
  return nullptr;
}

}  // namespace offboard
