#include "plan/planner.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "checks/catalogue.h"
#include "checks/checks.h"
#include "checks/mta_sts.h"
#include "state/observe.h"
#include "plan/steps.h"
#include "time/time_text.h"

namespace offboard {
namespace {

std::string shown(const DomainInput& d) {
  std::string a = d.name.toStringNoDot();
  return d.unicode.empty() ? a : d.unicode + " (" + a + ")";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string joinedTxt(const Record& r) {
  std::string s;
  for (const auto& part : r.strings) s += part;
  return s;
}

// TXT presentation form of one string (RFC 1035 §5.1): quoted, '"' and '\' escaped, other
// non-printable octets as \DDD.
std::string quoteTxt(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03u", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

Record makeTxt(const DnsName& name, std::uint32_t ttl, const std::string& text) {
  Record r;
  r.name = name;
  r.type = RRType::TXT;
  r.ttl = ttl;
  r.strings = {text};
  r.data = quoteTxt(text);
  return r;
}

Record makeMx(const DnsName& name, std::uint32_t ttl, const MailTarget& t) {
  Record r;
  r.name = name;
  r.type = RRType::MX;
  r.ttl = ttl;
  r.target = t.host;
  r.preference = t.preference;
  r.data = std::to_string(t.preference) + " " + t.host.toString();
  return r;
}

// An SPF record without its Microsoft 365 include:/redirect= terms (m365-dns.md §3.7), with
// `add` inserted before the final all-term when given and not already there. Tolerates
// "include: spf…" (a space after the colon, as Microsoft's Graph examples print it).
std::string spfWithout(const std::string& text, const std::optional<DnsName>& add) {
  std::vector<std::string> tokens;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) tokens.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) tokens.push_back(cur);
  std::vector<std::string> kept;
  bool hasAdd = false;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string t = tokens[i];
    std::string l = lower(t);
    bool mech = false;
    for (std::string_view p : {"include:", "+include:", "~include:", "?include:", "-include:", "redirect="}) {
      if (l.rfind(p, 0) == 0) {
        mech = true;
        if (l.size() == p.size() && i + 1 < tokens.size()) t += tokens[++i];  // "include: spf…"
        break;
      }
    }
    if (mech) {
      std::string target = t.substr(t.find_first_of(":=") + 1);
      if (matchSpf("v=spf1 include:" + target)) continue;  // Microsoft 365's: drop it
      if (add) {
        auto n = DnsName::parse(target);
        if (n && *n == *add) hasAdd = true;
      }
    }
    kept.push_back(t);
  }
  if (add && !hasAdd) {
    std::size_t at = kept.size();
    for (std::size_t i = 0; i < kept.size(); ++i) {
      std::string l = lower(kept[i]);
      if (l == "all" || l == "-all" || l == "~all" || l == "?all" || l == "+all" ||
          l.rfind("redirect=", 0) == 0) {
        at = i;
        break;
      }
    }
    kept.insert(kept.begin() + static_cast<std::ptrdiff_t>(at), "include:" + add->toStringNoDot());
  }
  std::string out;
  for (const auto& k : kept) out += (out.empty() ? "" : " ") + k;
  return out;
}

// True when an SPF record has no mechanism that authorises a sender (only an all-term).
bool spfAuthorisesNothing(const std::string& text) {
  std::size_t terms = 0;
  std::string cur;
  for (char c : text + " ") {
    if (c != ' ') {
      cur += c;
      continue;
    }
    if (cur.empty()) continue;
    std::string l = lower(cur);
    if (l != "v=spf1" && l != "-all" && l != "~all" && l != "?all" && l.rfind("exp=", 0) != 0) ++terms;
    cur.clear();
  }
  return terms == 0;
}

bool isDnssecType(RRType t) {
  auto v = static_cast<std::uint16_t>(t);
  return v == 46 || v == 47 || v == 48 || v == 50 || v == 51;  // RRSIG NSEC DNSKEY NSEC3 NSEC3PARAM
}

bool targetIsMicrosoft(const DnsName& target) {
  if (target.isEmpty() || target.isRoot()) return false;
  for (Family f : {Family::Ns, Family::Mx, Family::VerificationMx, Family::Autodiscover, Family::Dkim,
                   Family::Msoid, Family::Teams, Family::Mdm})
    if (matchHost(f, target)) return true;
  return false;
}

bool severe(const Finding& f) {
  return f.severity == Severity::Blocker || f.severity == Severity::Required ||
         f.severity == Severity::Cleanup;
}

// Is this record one of Microsoft 365's (never recreated at the new host)?
bool microsoftRecord(const Record& r, const DomainReport& rep, const std::vector<DnsName>& knownMx) {
  for (const auto& f : rep.findings) {
    if (!severe(f) || f.name != r.name || f.type != r.type) continue;
    if (f.data == r.data || f.data.rfind(r.data + " -> ", 0) == 0) return true;
  }
  if (r.type == RRType::MX &&
      std::find(knownMx.begin(), knownMx.end(), r.target) != knownMx.end())
    return true;
  if (r.type == RRType::TXT && isVerificationTxt(joinedTxt(r))) return true;
  return targetIsMicrosoft(r.target);
}

bool sameRecord(const Record& want, const Record& got) {
  if (want.name != got.name || want.type != got.type) return false;
  switch (want.type) {
    case RRType::TXT: return joinedTxt(want) == joinedTxt(got);
    case RRType::MX: return want.preference == got.preference && want.target == got.target;
    case RRType::CNAME:
    case RRType::NS:
    case RRType::PTR: return want.target == got.target;
    default: return lower(want.data) == lower(got.data);
  }
}

bool satisfies(const RequiredRecord& req, const Record& got) {
  if (req.exact) return sameRecord(req.record, got);
  if (req.record.name != got.name || req.record.type != got.type) return false;
  if (got.type == RRType::MX) return !got.target.isEmpty() && !matchHost(Family::Mx, got.target);
  if (got.type == RRType::TXT) return isSpfRecord(joinedTxt(got)) && !matchSpf(joinedTxt(got));
  return !targetIsMicrosoft(got.target);
}

// The record a finding names, to delete (its data may show the chain: "x -> y").
RecordChange deletion(const Finding& f) {
  RecordChange c;
  c.op = RecordChange::Op::Delete;
  c.record.name = f.name;
  c.record.type = f.type;
  c.record.ttl = f.ttl.value_or(0);
  c.record.data = f.data;
  c.ttlKnown = f.ttl.has_value();
  return c;
}

enum class Hosted { No, Yes, Unknown };

// Graph supportedServices names the services set up for the domain; a subject of a service
// missing from an exported list was never Microsoft 365's (SPEC §4 first-sight rule).
bool serviceNeverSetUp(const TenantDomain* td, Action action) {
  if (!td || !td->supportedServices) return false;
  const std::string_view service = actionInfo(action).graphService;
  if (service.empty()) return false;  // NS, msoid: no Graph service says they were never set up
  for (const auto& x : *td->supportedServices)
    if (lower(x) == service) return false;
  return true;
}

struct DomainCtx {
  DomainInput input;
  const TenantDomain* td = nullptr;  // null: known only from the state history
  const DomainReport* report = nullptr;
  DomainReport empty;                // stands in when no report was made (no evidence at all)
  const DomainReport& rep() const { return report ? *report : empty; }
};

class Builder {
 public:
  explicit Builder(const PlanInput& in) : in_(in), idx_(in.state) {
    plan_.now = in.now;
    // The tenant file's entry for a domain, as a scan of t.domains finds it (the last one).
    for (const auto& td : in.tenant.domains) tenantDomain_[td.input.name] = &td;
  }

  Plan build() {
    const Tenant& t = in_.tenant;
    plan_.tenant = t.name;
    cloud();
    for (const auto& s : t.skipped) note(PlanNote::Kind::Skipped, s);
    plan_.domainsMayStay = domainsMayStay(t);

    add(Action::ConfirmAdminRole, {});
    licenses();
    add(Action::NotifyUsers, {Action::ConfirmAdminRole}).context.cutover = t.cutover;

    std::vector<StepId> waits;
    if (plan_.domainsMayStay) {
      std::string staying;
      for (const auto& s : t.subscriptions)
        if (!s.cancel) staying += (staying.empty() ? "" : ", ") + (s.name.empty() ? s.kind : s.name);
      note(PlanNote::Kind::DomainsMayStay, staying);
    } else {
      domains();
      for (auto& d : doms_) dnsSteps(d, waits);
      for (auto& n : outOfOrderNotes_) plan_.notes.push_back(std::move(n));
    }

    add(Action::BackupData, waits.empty() ? std::vector<StepId>{Action::NotifyUsers} : waits).context.afterWaits =
        !waits.empty();

    if (!plan_.domainsMayStay) {
      planDefaultDomain();
      for (auto& d : doms_) removalSteps(d);
    }

    cancelSteps();
    settle();
    return std::move(plan_);
  }

  // Last, once every step's own status is known, in plan order (a step's `after` steps come
  // before it): an ack counts only when every step it comes after was done (or waived) when it
  // was made (SPEC §4: acks out of order; a step reopened by a regression takes every later ack
  // with it); then waivers, which any step can have ("the gate then passes it") and which never
  // hide what the step found.
  void settle() {
    std::map<StepId, std::optional<std::int64_t>> doneAt;
    std::map<StepId, StepStatus> notDone;
    for (auto& step : plan_.steps) {
      std::optional<StepId> openBefore;
      // Open when a step before it is open; indeterminate when the only ones not done lack
      // evidence (SPEC §5: exit 3 when nothing definite blocks).
      StepStatus blocked = StepStatus::Indeterminate;
      std::optional<std::int64_t> latest;
      std::optional<StepId> latestId;
      for (const auto& a : step.after) {
        if (auto nd = notDone.find(a); nd != notDone.end()) {
          if (!openBefore || nd->second == StepStatus::Open) openBefore = a;
          if (nd->second == StepStatus::Open) blocked = StepStatus::Open;
          continue;
        }
        auto it = doneAt.find(a);
        if (it != doneAt.end() && it->second && (!latest || *it->second > *latest)) {
          latest = it->second;
          latestId = a;
        }
      }
      if (step.status == StepStatus::Done && step.ack && step.kind == StepKind::Manual && step.gating) {
        const AckRow& a = *step.ack;
        if (a.at > in_.now) {
          // Stamped after the moment judged (a clock set back, or --now in the past): at that
          // moment the step was not acknowledged yet.
          step.status = StepStatus::Open;
          step.state = StepState{Reason::AckFromFuture, a.by, "", "", a.at, in_.now};
        } else if (openBefore || (latest && a.at < *latest)) {
          step.status = !openBefore ? StepStatus::Open : blocked;
          step.ackOutOfOrder = true;
          step.state = StepState{Reason::AckOutOfOrder, a.by, "", "", a.at, openBefore ? 0 : *latest};
          step.state.flag = !openBefore;
          step.state.step = openBefore ? openBefore : latestId;
        }
      } else if (step.kind == StepKind::Time && step.status == StepStatus::Done && openBefore) {
        // A wait whose change is open again (or unverifiable) has nothing to count from.
        step.status = blocked;
        step.state = StepState{Reason::WaitingFor};
        step.state.step = openBefore;
      }
      applyWaiver(step);
      switch (step.status) {
        case StepStatus::Done:
          doneAt[step.id] = step.kind == StepKind::Manual && step.ack ? std::optional<std::int64_t>(step.ack->at)
                            : step.kind == StepKind::Time             ? step.notBefore
                                                                      : step.doneSince;
          break;
        case StepStatus::Waived: doneAt[step.id] = step.waiver->at; break;
        default: notDone.emplace(step.id, step.status); break;
      }
    }
  }

 private:
  PlanNote& note(PlanNote::Kind kind, std::string text) {
    PlanNote n;
    n.kind = kind;
    n.text = std::move(text);
    plan_.notes.push_back(std::move(n));
    return plan_.notes.back();
  }

  // A step of the plan: a per-domain action (the table says which) for `d`'s domain.
  PlanStep& add(Action action, std::vector<StepId> after, const DomainCtx* d = nullptr) {
    const ActionInfo& info = actionInfo(action);
    PlanStep s;
    s.id = info.perDomain && d ? StepId(action, d->input.name) : StepId(action);
    if (d) s.domainShown = shown(d->input);
    s.kind = info.kind;
    s.after = std::move(after);
    stepIds_.insert(s.id);
    plan_.steps.push_back(std::move(s));
    PlanStep& ref = plan_.steps.back();
    if (ref.kind == StepKind::Manual) manualStatus(ref);
    return ref;
  }

  // Manual steps: done by acknowledgement unless the evidence says otherwise (set later).
  void manualStatus(PlanStep& s) {
    if (const AckRow* a = idx_.latestAck(s.id)) {
      s.status = StepStatus::Done;
      s.ack = *a;
      s.state = StepState{Reason::Acknowledged, a->by, a->note, "", a->at};
    } else {
      s.status = StepStatus::Open;
      s.state = StepState{Reason::NotAcknowledged};
    }
  }

  // A waiver turns anything that is not done into waived, and says who and why.
  void applyWaiver(PlanStep& s) {
    if (s.status == StepStatus::Done) return;
    if (const WaiverRow* w = idx_.latestWaiver(s.id)) {
      s.status = StepStatus::Waived;
      s.waiver = *w;
      // The state stays what it would be otherwise; the renderers say the waiver over it.
    }
  }

  void cloud() {
    const Tenant& t = in_.tenant;
    std::optional<Cloud> dns;
    std::string dnsDomain;
    for (const auto& r : in_.reports) {
      if (r.cloud != Cloud::None) {
        dns = r.cloud;
        dnsDomain = r.domain.toStringNoDot();
        break;
      }
    }
    if (t.cloud) {
      plan_.cloud = *t.cloud;
      plan_.cloudBasis = CloudBasis::TenantFile;
      if (dns && *dns != *t.cloud) {
        PlanNote& n = note(PlanNote::Kind::CloudMismatch, dnsDomain);
        n.cloud = *t.cloud;
        n.cloud2 = *dns;
      }
    } else if (dns) {
      plan_.cloud = *dns;
      plan_.cloudBasis = CloudBasis::Dns;
      plan_.cloudBasisDomain = dnsDomain;
    } else {
      plan_.cloud = Cloud::Worldwide;
      plan_.cloudBasis = CloudBasis::Assumed;
    }
    switch (plan_.cloud) {
      case Cloud::UsGov: plan_.adminCenter = "https://portal.office365.us"; break;
      case Cloud::China21Vianet: plan_.adminCenter = "https://portal.partner.microsoftonline.cn"; break;
      default: plan_.adminCenter = "https://admin.microsoft.com"; break;
    }
    if (plan_.cloud == Cloud::Germany) note(PlanNote::Kind::LegacyGermany, "");
  }

  void licenses() {
    std::vector<std::string> over;
    for (const auto& s : in_.tenant.subscriptions) {
      if (!s.cancel || !s.assignedLicenses || *s.assignedLicenses < kOnlineCancelLicenseLimit) continue;
      over.push_back((s.name.empty() ? s.kind : s.name) + " (" + std::to_string(*s.assignedLicenses) + " assigned)");
    }
    if (over.empty()) return;
    add(Action::ReduceLicenses, {Action::ConfirmAdminRole}).context.subscriptions = std::move(over);
  }

  void domains() {
    std::map<DnsName, const DomainReport*> reports;
    for (const auto& r : in_.reports) reports.emplace(r.domain, &r);
    std::set<DnsName> inTenant;
    for (const auto& td : in_.tenant.domains) {
      DomainCtx d;
      d.input = td.input;
      d.td = &td;
      inTenant.insert(td.input.name);
      doms_.push_back(std::move(d));
    }
    for (const auto& di : domainsToCheck(in_.tenant, in_.state)) {
      if (inTenant.count(di.name)) continue;
      DomainCtx d;
      d.input = di;
      doms_.push_back(std::move(d));
      PlanNote& n = note(PlanNote::Kind::OnlyInHistory, shown(di));
      n.flag = in_.tenant.source == TenantSource::GraphList;
      n.domain = di.name;
    }
    for (auto& d : doms_) {
      auto it = reports.find(d.input.name);
      if (it != reports.end()) d.report = it->second;
      else d.empty.domain = d.input.name;
    }
  }

  Hosted hosted(const DomainCtx& d) {
    // Unknown when any side of the delegation that the source sees could not be read: a gate
    // must not conclude "not at Microsoft" from half the evidence.
    const DomainReport& r = d.rep();
    bool unknown = false;
    for (const auto& s : subjectsOf(d.input.name)) {
      if (s.action != Action::SwitchNs) continue;
      SubjectState st = d.report ? subjectState(r, s) : SubjectState{};
      if (st.atM365) return Hosted::Yes;
      if (m365Ttl(idx_.history(d.input.name, s.key))) return Hosted::Yes;
      if (st.seen && !st.evidence) unknown = true;
    }
    if (d.td && d.td->adminManaged == false) return Hosted::Yes;
    // A domain that does not exist is represented by its indeterminate update-mx step alone.
    const bool nx = std::any_of(r.findings.begin(), r.findings.end(),
                                [](const Finding& f) { return f.id == FindingId::DomainNxdomain; });
    return unknown && !nx ? Hosted::Unknown : Hosted::No;
  }

  struct Group {
    Action action;
    std::vector<Subject> subjects;
  };

  std::vector<Group> groups(const DnsName& domain) {
    std::vector<Group> out;
    for (auto& s : subjectsOf(domain)) {
      auto it = std::find_if(out.begin(), out.end(), [&](const Group& g) { return g.action == s.action; });
      if (it == out.end()) out.push_back(Group{s.action, {s}});
      else it->subjects.push_back(s);
    }
    return out;
  }

  // A DNS step from its subjects' current states and history.
  void dnsStatus(PlanStep& step, const DomainCtx& d, const std::vector<Subject>& subjects) {
    const DomainReport& r = d.rep();
    std::vector<std::pair<std::string, std::string>> atMs, failed;
    for (const auto& s : subjects) {
      if (!d.report) {
        // No report at all: the first subject names what could not be verified.
        step.status = StepStatus::Indeterminate;
        step.state = StepState{Reason::NotResolved};
        step.state.seen = {{s.key, ""}};
        break;
      }
      SubjectState st = subjectState(r, s);
      if (!st.seen) continue;
      if (st.atM365) atMs.emplace_back(s.key, st.value);
      else if (!st.evidence && failed.empty()) failed.emplace_back(s.key, st.detail);
    }
    if (!d.report) {
      // Indeterminate, said above: nothing was seen, so nothing is done.
    } else if (!atMs.empty()) {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::StillAtM365};
      step.state.seen = std::move(atMs);
    } else if (!failed.empty()) {
      step.status = StepStatus::Indeterminate;
      step.state = StepState{Reason::NoEvidence};
      step.state.seen = std::move(failed);
    } else {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::NoLongerAtM365};
      // Done since the change was seen: a later step's ack made before that does not count.
      for (const auto& s : subjects)
        if (auto since = changedSince(idx_.history(d.input.name, s.key)))
          step.doneSince = std::max(step.doneSince.value_or(*since), *since);
      if (step.id.action == Action::UpdateMx) mxDone(step, d);
      if (step.id.action == Action::UpdateMtaSts) mtaStsDone(step, d, subjects);
    }
    // What to change: the Microsoft records seen now, or what was seen before.
    const auto removes = actionInfo(step.id.action).findings;
    for (const auto& f : r.findings) {
      if (std::find(removes.begin(), removes.end(), f.id) == removes.end()) continue;
      // Shown as replacements below.
      if (step.id.action == Action::UpdateSpf || step.id.action == Action::UpdateMtaSts) continue;
      step.changes.push_back(deletion(f));
    }
    if (step.id.action == Action::UpdateMx && !r.findings.empty() && step.status != StepStatus::Done) {
      for (auto& c : newMx(d)) step.changes.push_back(std::move(c));
    }
    if (step.id.action == Action::UpdateMtaSts && step.status != StepStatus::Done) mtaStsChanges(step, d);
    if (step.id.action == Action::UpdateSpf) {
      for (const auto& rec : r.records) {
        if (rec.type != RRType::TXT || rec.name != d.input.name) continue;
        std::string text = joinedTxt(rec);
        if (!isSpfRecord(text) || !matchSpf(text)) continue;
        std::string rewritten = spfWithout(text, in_.tenant.newSpfInclude);
        RecordChange c;
        c.op = RecordChange::Op::Replace;
        c.record = rec;
        c.to = makeTxt(rec.name, rec.ttl, rewritten);
        c.authorisesNothing = spfAuthorisesNothing(rewritten);
        step.changes.push_back(std::move(c));
      }
    }
    if (step.changes.empty()) {
      for (const auto& s : subjects) {
        const auto& h = idx_.history(d.input.name, s.key);
        for (auto it = h.rbegin(); it != h.rend(); ++it) {
          if ((*it)->atM365 && (*it)->evidence) {
            RecordChange c;
            c.op = RecordChange::Op::LastSeen;
            c.subject = s.key;
            c.value = (*it)->value;
            c.at = std::max((*it)->lastSeen, (*it)->at);
            step.changes.push_back(std::move(c));
            break;
          }
        }
      }
    }
  }

  std::vector<RecordChange> newMx(const DomainCtx& d) {
    std::vector<RecordChange> out;
    if (in_.tenant.newMx.empty()) {
      RecordChange c;
      c.op = RecordChange::Op::CreateAny;
      c.record.name = d.input.name;
      c.record.type = RRType::MX;
      c.any = RecordChange::Any::NewMailMx;
      out.push_back(std::move(c));
      return out;
    }
    for (const auto& t : in_.tenant.newMx) {
      RecordChange c;
      c.record = makeMx(d.input.name, 3600, t);
      out.push_back(std::move(c));
    }
    return out;
  }

  // update-mx also needs an MX in place: the new provider's (when known) or a null MX.
  void mxDone(PlanStep& step, const DomainCtx& d) {
    std::vector<const Record*> mx;
    for (const auto& rec : d.rep().records)
      if (rec.type == RRType::MX && rec.name == d.input.name &&
          !(matchHost(Family::VerificationMx, rec.target)))
        mx.push_back(&rec);
    if (mx.empty()) {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::NoMxAtAll};
      return;
    }
    if (mx.size() == 1 && mx[0]->target.isRoot()) {
      step.state = StepState{Reason::NullMx};
      return;
    }
    std::vector<std::pair<DnsName, std::uint16_t>> seen, want;
    StepState st(Reason::MxIs);
    for (const Record* r : mx) {
      seen.emplace_back(r->target, r->preference);
      st.records.push_back(*r);
    }
    step.state = st;
    if (in_.tenant.newMx.empty()) return;
    for (const auto& t : in_.tenant.newMx) {
      want.emplace_back(t.host, t.preference);
      st.expected.push_back(makeMx(d.input.name, 3600, t));
    }
    std::sort(seen.begin(), seen.end());
    std::sort(want.begin(), want.end());
    if (seen != want) {
      step.status = StepStatus::Open;
      st.reason = Reason::MxNotExpected;
      step.state = std::move(st);
    }
  }

  // The new MX hosts (new_mail.mx) that the domain's MTA-STS policy, in enforce or testing
  // mode, does not admit: senders holding the policy would refuse them. Empty when the policy
  // is unknown, none, or admits them all, and when the new MX is not given.
  std::vector<Record> mtaStsMissingNewMx(const DomainReport& r) {
    std::vector<Record> out;
    if (!r.mtaSts || !r.mtaSts->valid || r.mtaSts->mode == StsMode::None) return out;
    const StsPolicy p = policyOf(*r.mtaSts);
    for (const auto& t : in_.tenant.newMx)
      if (!stsAdmits(p, t.host)) out.push_back(makeMx(r.domain, 3600, t));
    return out;
  }

  // update-mta-sts (SPEC §4) once the policy no longer admits only Microsoft's MX: done when it
  // lists the new MX (or is none) under an id never seen while it did. Senders fetch a policy
  // again only when the id changes (RFC 8461 §5.1); a record removed or made invalid leaves them
  // with the policy they hold, which they may even refresh from the policy host.
  void mtaStsDone(PlanStep& step, const DomainCtx& d, const std::vector<Subject>& subjects) {
    const Subject* s = mtaStsSubject(subjects);
    if (!s) return;
    std::set<std::string> oldIds;
    std::string lastOld;
    for (const ObservationRow* row : idx_.history(d.input.name, s->key)) {
      if (!row->atM365 || !row->evidence) continue;
      oldIds.insert(stsIdOfSummary(row->value));
      lastOld = row->value;
    }
    const auto& v = d.rep().mtaSts;
    auto open = [&](Reason why, std::string text) {
      step.status = StepStatus::Open;
      step.state = StepState{why, "", std::move(text), lastOld};
      step.doneSince.reset();
    };
    if (!v) {
      if (!oldIds.empty()) open(Reason::MtaStsRecordRemoved, "");
      return;
    }
    if (!v->txtValid) {
      open(Reason::MtaStsRecordInvalid, v->txt);
      return;
    }
    if (oldIds.count(v->id)) {
      open(Reason::MtaStsSameId, v->id);
      return;
    }
    if (std::vector<Record> missing = mtaStsMissingNewMx(d.rep()); !missing.empty()) {
      open(Reason::MtaStsNewMxNotListed, "");
      step.state.expected = std::move(missing);
    }
  }

  // What update-mta-sts changes: the policy published at the policy host (the new MX, or mode
  // none when the new MX is not given), then the `_mta-sts` TXT under a new id, which tells
  // senders to fetch it again.
  void mtaStsChanges(PlanStep& step, const DomainCtx& d) {
    const DomainReport& r = d.rep();
    const DnsName name = mtaStsRecordName(d.input.name);
    const std::uint32_t maxAge = r.mtaSts && r.mtaSts->valid ? r.mtaSts->maxAge : 604800;
    std::string policy = "version: STSv1\n";
    if (in_.tenant.newMx.empty()) {
      policy += "mode: none\n";
    } else {
      const bool testing = r.mtaSts && r.mtaSts->mode == StsMode::Testing;
      policy += std::string("mode: ") + (testing ? "testing" : "enforce") + "\n";
      for (const auto& t : in_.tenant.newMx) policy += "mx: " + t.host.toStringNoDot() + "\n";
    }
    policy += "max_age: " + std::to_string(maxAge) + "\n";
    RecordChange pub;
    pub.op = RecordChange::Op::PublishPolicy;
    pub.subject = "https://" + mtaStsPolicyHost(d.input.name).toStringNoDot() + "/.well-known/mta-sts.txt";
    pub.value = std::move(policy);
    step.changes.push_back(std::move(pub));
    // A new id: the run's time, which no earlier policy of this plan can have had.
    std::string id = formatRfc3339(in_.now);
    id.erase(std::remove_if(id.begin(), id.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }),
             id.end());
    if (id.size() > 32) id.resize(32);
    const Record* old = nullptr;
    for (const auto& rec : r.records)
      if (rec.name == name && rec.type == RRType::TXT && isStsRecord(joinedTxt(rec))) old = &rec;
    RecordChange txt;
    txt.op = old ? RecordChange::Op::Replace : RecordChange::Op::Create;
    const Record fresh = makeTxt(name, old ? old->ttl : 3600, "v=STSv1; id=" + id + ";");
    if (old) {
      txt.record = *old;
      txt.to = fresh;
    } else {
      txt.record = fresh;
    }
    step.changes.push_back(std::move(txt));
  }

  // update-mx after update-mta-sts (SPEC §4): the MX change waits the old policy's max_age from
  // the moment the new policy was seen, so that no sender still holds the policy that admits
  // only Microsoft's MX. Unknown while the new policy is not seen.
  void mtaStsWait(PlanStep& step, const DomainCtx& d, const std::vector<Subject>& subjects) {
    const Subject* s = mtaStsSubject(subjects);
    if (!s) return;
    const auto& h = idx_.history(d.input.name, s->key);
    auto maxAge = m365Ttl(h);
    auto since = changedSince(h);
    if (!maxAge || !since) return;
    RecordChange c;
    c.op = RecordChange::Op::Wait;
    c.subject = s->key;
    c.at = *since;
    c.ttl = *maxAge;
    c.basis = WaitBasis::MtaStsMaxAge;
    c.until = *since + *maxAge;
    step.notBefore = c.until;
    step.changes.push_back(std::move(c));
  }

  // The domain's MTA-STS subject among its subjects (none when the name would be too long).
  static const Subject* mtaStsSubject(const std::vector<Subject>& subjects) {
    for (const auto& s : subjects)
      if (s.kind == SubjectKind::MtaSts) return &s;
    return nullptr;
  }

  void dnsSteps(DomainCtx& d, std::vector<StepId>& waits) {
    const DnsName& D = d.input.name;
    const DomainReport& r = d.rep();
    const bool nx = std::any_of(r.findings.begin(), r.findings.end(),
                                [](const Finding& f) { return f.id == FindingId::DomainNxdomain; });
    Hosted h = hosted(d);
    const std::vector<Subject> subjects = subjectsOf(D);
    if (d.td && d.td->adminManaged == false && d.report && !hostedByMicrosoftNow(r) &&
        !std::any_of(subjects.begin(), subjects.end(), [&](const Subject& s) {
          return s.action == Action::SwitchNs && m365Ttl(idx_.history(D, s.key));
        }))
      note(PlanNote::Kind::AdminManagedSwitched, shown(d.input));
    const StepId prepareId(Action::PrepareNewDnsHost, D);
    std::vector<StepId> changeIds;
    std::optional<StepId> mxId, mtaStsId;

    if (h != Hosted::No) prepareStep(d, h);

    for (const auto& g : groups(D)) {
      if (g.action == Action::SwitchNs || g.action == Action::RemoveVerificationRecords) continue;
      bool applies = false;
      for (const auto& s : g.subjects) {
        SubjectState st = d.report ? subjectState(r, s) : SubjectState{};
        bool history = m365Ttl(idx_.history(D, s.key)).has_value();
        if (history || st.atM365) applies = true;
        else if (!st.evidence && st.seen && (!nx || g.action == Action::UpdateMx)) applies = true;
      }
      if (g.action == Action::UpdateMtaSts && !applies) applies = d.report && !mtaStsMissingNewMx(r).empty();
      if (!applies) continue;
      std::vector<StepId> after;
      if (g.action == Action::UpdateMtaSts) {
        // The policy is changed where it is published (its TXT and its web server), whoever
        // hosts the zone, and as early as possible: the MX change waits its old max_age.
        after.push_back(Action::ConfirmAdminRole);
      } else {
        if (g.action == Action::UpdateMx || !mxId) after.push_back(Action::NotifyUsers);
        if (h != Hosted::No) after.push_back(prepareId);
        if (g.action != Action::UpdateMx && mxId) after = {*mxId};
        if (g.action == Action::UpdateMx && mtaStsId) after.push_back(*mtaStsId);
      }
      PlanStep& step = add(g.action, after, &d);
      step.context.atNewHost = h == Hosted::Yes && g.action != Action::UpdateMtaSts;
      const StepId id = step.id;
      dnsStatus(step, d, g.subjects);
      if (nx && step.status == StepStatus::Indeterminate)
        step.state = StepState{Reason::DomainMissing};
      if (g.action == Action::UpdateMx) {
        mxId = id;
        if (mtaStsId) mtaStsWait(step, d, subjects);
      }
      if (g.action == Action::UpdateMtaSts) mtaStsId = id;
      changeIds.push_back(id);
    }

    std::optional<StepId> switchId;
    // A DS check that blocks (SPEC §4 switch-ns: "and no dnssec-ds-mismatch") brings the step in
    // even when offboard never saw Microsoft host the zone: the delegation may have just moved.
    if (h != Hosted::No || (d.report && dnssecBlocks(r))) {
      std::vector<StepId> after{h != Hosted::No ? prepareId : StepId(Action::ConfirmAdminRole)};
      after.insert(after.end(), changeIds.begin(), changeIds.end());
      PlanStep& step = add(Action::SwitchNs, after, &d);
      switchStatus(step, d);
      if (h != Hosted::No) switchId = step.id;
    }

    Waits w = waitsOf(d);
    if (changeIds.empty() && !switchId && w.parts.empty()) return;
    std::vector<StepId> after = switchId            ? std::vector<StepId>{*switchId}
                                : changeIds.empty() ? std::vector<StepId>{Action::NotifyUsers}
                                                    : changeIds;
    PlanStep& wait = add(Action::WaitPropagation, after, &d);
    waitStatus(wait, w);
    waits.push_back(wait.id);
  }

  void prepareStep(DomainCtx& d, Hosted h) {
    const DnsName& D = d.input.name;
    auto zl = in_.zoneListings.find(D);
    const std::vector<Record>* listing = zl == in_.zoneListings.end() ? nullptr : &zl->second;
    auto td = tenantDomain_.find(D);
    std::vector<RequiredRecord> req =
        requiredAtNewHost(in_.tenant, d.rep(), listing, idx_,
                          td == tenantDomain_.end() ? std::vector<DnsName>{} : td->second->knownMicrosoftMx);
    PlanStep& step = add(Action::PrepareNewDnsHost, {Action::ConfirmAdminRole}, &d);
    for (const auto& rr : req) {
      RecordChange c;
      c.op = rr.exact ? RecordChange::Op::Create : RecordChange::Op::CreateAny;
      c.record = rr.record;
      c.value = rr.note;
      step.changes.push_back(std::move(c));
    }
    if (!listing && hostedByMicrosoftNow(d.rep())) {
      RecordChange c;
      c.op = RecordChange::Op::RestOfZone;
      c.record.name = D;
      step.changes.push_back(std::move(c));
    }
    auto view = in_.newHost.find(D);
    if (h == Hosted::Unknown) {
      step.status = StepStatus::Indeterminate;
      step.state = StepState{Reason::HostingUnknown};
    } else if (view != in_.newHost.end() && !view->second.unavailable.empty()) {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::NewHostUnavailable, "", view->second.unavailable};
    } else if (view != in_.newHost.end()) {
      const NewHostView& v = view->second;
      std::vector<RecordChange> missing;
      for (const auto& rr : req) {
        bool ok = std::any_of(v.records.begin(), v.records.end(),
                              [&](const Record& got) { return satisfies(rr, got); });
        if (ok) continue;
        RecordChange c;
        c.op = rr.exact ? RecordChange::Op::Create : RecordChange::Op::CreateAny;
        c.record = rr.record;
        c.value = rr.note;
        missing.push_back(std::move(c));
      }
      if (!v.failures.empty()) {
        step.status = StepStatus::Indeterminate;
        step.state = StepState{Reason::NewHostNoAnswer, "", v.failures.front()};
      } else if (!missing.empty()) {
        step.status = StepStatus::Open;
        step.state = StepState{Reason::NewHostMissing, "", v.source};
        step.state.missing = std::move(missing);
      } else {
        step.status = StepStatus::Done;
        step.state = StepState{Reason::NewHostComplete, "", v.source};
        step.state.count = req.size();
      }
    } else {
      step.status = StepStatus::Open;
      step.state = StepState{in_.tenant.newNameservers.empty() ? Reason::NewHostUnnamed : Reason::NewHostNotQueried};
    }
  }

  void switchStatus(PlanStep& step, const DomainCtx& d) {
    const DomainReport& r = d.rep();
    std::vector<Subject> subs;
    for (auto& s : subjectsOf(d.input.name))
      if (s.action == Action::SwitchNs) subs.push_back(s);
    SubjectState p = d.report ? subjectState(r, subs[0]) : SubjectState{};
    SubjectState c = d.report ? subjectState(r, subs[1]) : SubjectState{};
    if (!d.report) p.seen = false;
    RecordChange delegation;
    delegation.op = RecordChange::Op::SetDelegation;
    delegation.record.name = d.input.name;
    delegation.record.type = RRType::NS;
    delegation.targets = in_.tenant.newNameservers;
    step.changes.push_back(std::move(delegation));
    if (p.atM365) {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::ParentAtM365, "", p.value};
    } else if (c.atM365) {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::ChildAtM365, "", c.value};
      step.state.flag = p.evidence;
    } else if ((p.seen && !p.evidence) || !c.evidence) {
      // One side unreadable: the other side alone does not prove the switch (fail closed).
      step.status = StepStatus::Indeterminate;
      step.state = StepState{Reason::NoEvidence};
      step.state.seen = {{"", p.seen && !p.evidence ? p.detail : c.detail}};
    } else if (p.seen && p.evidence) {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::ParentSwitched, "", p.value};
    } else {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::ChildOnlySwitched, "", c.value};
    }
    if (d.report) dnssecStatus(step, r, p.seen ? p.evidence && !p.atM365 : c.evidence && !c.atM365);
  }

  // The DS check's findings for the domain itself: a DS matching no key at the new host, or a
  // DS or DNSKEY lookup (or comparison) without evidence.
  static bool dnssecFinding(const Finding& f, const DnsName& domain) {
    if (f.id == FindingId::DnssecDsMismatch) return true;
    return f.id == FindingId::LookupFailed && f.name == domain && (f.type == RRType::DS || f.type == RRType::DNSKEY);
  }
  static bool dnssecBlocks(const DomainReport& r) {
    return std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) { return dnssecFinding(f, r.domain); });
  }

  // SPEC §4: switch-ns is verified by the delegation "and no dnssec-ds-mismatch". A DS that
  // matches no key at the new host keeps the step open whatever the delegation says; a DS check
  // without evidence keeps it from being done (and says so before the switch, while the step is
  // open only for the delegation). `switched`: the delegation names Microsoft no longer.
  void dnssecStatus(PlanStep& step, const DomainReport& r, bool switched) {
    std::vector<Record> stale;
    std::string hosts;
    std::vector<std::pair<std::string, std::string>> unknown;
    bool unnamed = false;
    for (const auto& f : r.findings) {
      if (!dnssecFinding(f, r.domain)) continue;
      if (f.id == FindingId::DnssecDsMismatch) {
        if (std::none_of(stale.begin(), stale.end(), [&](const Record& x) { return x.data == f.data; })) {
          Record ds;
          ds.name = f.name;
          ds.type = RRType::DS;
          ds.ttl = f.ttl.value_or(0);
          ds.data = f.data;
          stale.push_back(std::move(ds));
        }
        if (!f.server.empty() && hosts.find(f.server) == std::string::npos)
          hosts += (hosts.empty() ? "" : ", ") + f.server;
        continue;
      }
      unnamed = unnamed || f.data == "not-asked";
      // As Reason::NoEvidence: the first failure's message (the lookup, its server and why).
      if (unknown.empty()) unknown.emplace_back("", f.message);
    }
    if (!stale.empty()) {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::DsMismatch, "", hosts};
      step.state.flag = switched;
      step.state.records = std::move(stale);
      return;
    }
    if (unknown.empty()) return;
    // Open only because the delegation still names Microsoft (the parent, or the zone's NS set
    // when the source does not see the parent): say what to check before the switch.
    const bool beforeSwitch = step.state.reason == Reason::ParentAtM365 ||
                              (step.state.reason == Reason::ChildAtM365 && !step.state.flag);
    if (step.status == StepStatus::Done) {
      step.status = StepStatus::Indeterminate;
    } else if (!beforeSwitch) {
      return;  // open or indeterminate for the delegation itself, which says more
    }
    step.state = StepState{unnamed ? Reason::DsNewHostUnnamed : Reason::DsUnverified};
    step.state.flag = switched;
    step.state.seen = std::move(unknown);
  }

  // One changed (or first-seen) record a wait counts for.
  struct WaitPart {
    std::string key;
    std::int64_t since = 0;
    std::uint32_t wait = 0;
    WaitBasis basis = WaitBasis::TtlAtM365;
  };
  struct Waits {
    std::vector<WaitPart> parts;
    std::vector<std::pair<std::string, std::string>> pending;  // subjects still at Microsoft 365
    std::vector<std::pair<std::string, std::string>> failed;   // the first subject without evidence
  };

  // What wait-propagation:D waits for, subject by subject (SPEC §4). A subject seen at Microsoft
  // 365 waits the largest TTL it was seen with (a recursive resolver shows what is left in its
  // cache, so the largest sighting is the closest to the real TTL; the pipeline also asks the
  // authoritative servers) from its change (changedSince). A subject never seen at Microsoft 365
  // falls under the first-sight rule: the state cannot know it did not change just before its
  // first observation, so it waits the TTL seen then, from then; unless Graph shows the
  // service was never set up, or its step is waived.
  Waits waitsOf(const DomainCtx& d) {
    const DnsName& D = d.input.name;
    const DomainReport& r = d.rep();
    Waits w;
    const std::vector<Subject> subjects = subjectsOf(D);
    bool parentHistory = false;
    for (const auto& s : subjects)
      if (s.kind == SubjectKind::ParentNs) parentHistory = m365Ttl(idx_.history(D, s.key)).has_value();
    for (const auto& s : subjects) {
      if (!s.propagates) continue;
      const auto& h = idx_.history(D, s.key);
      if (auto o = outOfOrder(h)) {
        PlanNote n;
        n.kind = PlanNote::Kind::OutOfTimeOrder;
        n.text = s.key;
        n.value = o->value;
        n.at = o->at;
        n.at2 = o->afterSeen;
        outOfOrderNotes_.push_back(std::move(n));
      }
      auto ttl = m365Ttl(h);
      SubjectState st = d.report ? subjectState(r, s) : SubjectState{};
      if (!st.seen) continue;
      const bool waived = idx_.latestWaiver(StepId(s.action, D)) != nullptr;
      if (!ttl) {
        if (!st.evidence) {
          if (w.failed.empty()) w.failed.emplace_back(s.key, st.detail);
          continue;
        }
        if (waived || serviceNeverSetUp(d.td, s.action)) continue;
        const ObservationRow* first = firstEvidence(h);
        // Over once its TTL has passed: then it is no change to wait for, and not shown.
        if (!first || first->ttl == 0 || first->at + first->ttl <= in_.now) continue;
        w.parts.push_back(WaitPart{s.key, first->at, first->ttl, WaitBasis::FirstSight});
        continue;
      }
      if (st.atM365) {
        // A record the admin deliberately keeps (its step waived) is not a change to wait for.
        if (waived) continue;
        w.pending.emplace_back(s.key, "");
        continue;
      }
      if (!st.evidence) {
        if (w.failed.empty()) w.failed.emplace_back(s.key, st.detail);
        continue;
      }
      std::uint32_t wait = *ttl;
      WaitBasis basis = WaitBasis::TtlAtM365;
      if (s.type == RRType::NS && !parentHistory && wait < kAssumedParentNsTtl) {
        wait = kAssumedParentNsTtl;
        basis = WaitBasis::AssumedParentNs;
      }
      w.parts.push_back(WaitPart{s.key, changedSince(h).value_or(in_.now), wait, basis});
    }
    return w;
  }

  void waitStatus(PlanStep& step, const Waits& w) {
    std::optional<std::int64_t> notBefore, start;
    for (const auto& p : w.parts) {
      std::int64_t nb = p.since + p.wait;
      notBefore = std::max(notBefore.value_or(nb), nb);
      start = std::min(start.value_or(p.since), p.since);
      RecordChange c;
      c.op = RecordChange::Op::Wait;
      c.subject = p.key;
      c.at = p.since;
      c.ttl = p.wait;
      c.basis = p.basis;
      c.until = nb;
      step.changes.push_back(std::move(c));
    }
    step.clockStart = start;
    if (!w.pending.empty()) {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::WaitChangePending};
      step.state.seen = w.pending;
      return;
    }
    if (!w.failed.empty()) {
      step.status = StepStatus::Indeterminate;
      step.state = StepState{Reason::NoEvidence};
      step.state.seen = w.failed;
      return;
    }
    if (!notBefore) {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::NothingToWait};
      return;
    }
    step.notBefore = notBefore;
    if (in_.now >= *notBefore) {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::WaitOver, "", "", "", *notBefore};
    } else {
      step.status = StepStatus::Open;
      step.state = StepState{Reason::WaitUntil, "", "", "", *notBefore, in_.now};
    }
  }

  void removalSteps(DomainCtx& d) {
    const DnsName& D = d.input.name;
    const StepId waitId(Action::WaitPropagation, D);
    const bool waited = stepIds_.count(waitId) > 0;
    PlanStep& move = add(Action::MoveUsersOffDomain, {waited ? waitId : StepId(Action::NotifyUsers)}, &d);
    move.context.afterWaits = waited;
    if (move.status != StepStatus::Done && d.td && d.td->references) {
      const auto& refs = *d.td->references;
      if (refs.empty()) {
        move.status = StepStatus::Done;
        move.state = StepState{Reason::GraphNoReferences, "", in_.tenant.file};
      } else {
        // Above forceDelete's limit the objects must be moved by hand: the words say so.
        move.state = StepState{refs.size() > kForceDeleteObjectLimit ? Reason::GraphReferencesOverLimit
                                                                     : Reason::GraphReferences};
        for (const auto& x : refs) move.state.seen.emplace_back(x, "");
        move.state.count = refs.size();
        for (const auto& x : refs) {
          RecordChange c;
          c.op = RecordChange::Op::MoveObject;
          c.value = x;
          move.changes.push_back(std::move(c));
        }
      }
    }

    const StepId moveId = move.id;
    // Graph's blockers of the removal (Microsoft, "Remove a domain"; Graph domain: delete): a
    // federated domain, and the default domain. Each is listed just before the removal; it comes
    // after nothing but confirm-admin-role, since either can be done at any time before it.
    std::vector<StepId> removeAfter{moveId};
    if (auto defederate = defederateStep(d)) removeAfter.push_back(*defederate);
    if (defaultAnchor_ && *defaultAnchor_ == D) setDefaultId_ = setDefaultStep(d);
    if (setDefaultId_ && (defaultBeforeEveryRemoval_ || *defaultAnchor_ == D)) removeAfter.push_back(*setDefaultId_);
    PlanStep& remove = add(Action::RemoveDomain, removeAfter, &d);
    const StepId removeId = remove.id;
    if (d.td && d.td->forceDelete) {
      forceDeleteStatus(remove, *d.td->forceDelete);
    } else if (remove.status != StepStatus::Done && !d.td && in_.tenant.source == TenantSource::GraphList) {
      remove.status = StepStatus::Done;
      remove.state = StepState{Reason::AbsentFromGraph, "", in_.tenant.file};
    }

    // Verification leftovers: after the domain has left the tenant.
    const DomainReport& r = d.rep();
    for (const auto& g : groups(D)) {
      if (g.action != Action::RemoveVerificationRecords) continue;
      bool applies = false;
      for (const auto& s : g.subjects) {
        SubjectState st = d.report ? subjectState(r, s) : SubjectState{};
        if (st.atM365 || m365Ttl(idx_.history(D, s.key))) applies = true;
      }
      if (!applies) continue;
      PlanStep& step = add(g.action, {removeId}, &d);
      dnsStatus(step, d, g.subjects);
    }
  }

  // defederate-domain:D (SPEC §4): when Graph shows the domain Federated (or an
  // authenticationType it does not document: never read as "not federated"), or when the last
  // plan had it. Done by an ack, by an input showing it Managed, or by a whole-tenant export
  // without the domain (it left the tenant). An input that says nothing keeps it open.
  std::optional<StepId> defederateStep(const DomainCtx& d) {
    const StepId id(Action::DefederateDomain, d.input.name);
    const std::optional<std::string> auth = d.td ? d.td->authenticationType : std::nullopt;
    const bool managed = auth && lower(*auth) == "managed";
    if (!in_.lastPlan.count(id) && (!auth || managed)) return std::nullopt;
    PlanStep& step = add(Action::DefederateDomain, {Action::ConfirmAdminRole}, &d);
    if (step.status == StepStatus::Done) return id;  // acknowledged
    const std::string& file = in_.tenant.file;
    if (auth && lower(*auth) == "federated") {
      step.state = StepState{Reason::GraphFederated, "", file};
    } else if (auth && !managed) {
      step.state = StepState{Reason::GraphAuthUnknown, "", *auth, file};
    } else if (managed) {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::GraphManaged, "", file};
    } else if (!d.td && in_.tenant.source == TenantSource::GraphList) {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::AbsentFromGraph, "", file};
    } else {
      step.state = StepState{Reason::GraphNotShownAgain, "", file};
    }
    return id;
  }

  // Whether set-default-domain is in the plan, and which removal it precedes: the default
  // domain's, when the input marks one of the domains being removed as the default; when only
  // the last plan had the step, the first domain's, and every removal when the input names no
  // default at all (which domain was the default is then unknown).
  void planDefaultDomain() {
    const Tenant& t = in_.tenant;
    if (t.defaultDomain && tenantDomain_.count(*t.defaultDomain)) {
      defaultAnchor_ = *t.defaultDomain;
      return;
    }
    if (!in_.lastPlan.count(StepId(Action::SetDefaultDomain)) || doms_.empty()) return;
    defaultAnchor_ = doms_.front().input.name;
    defaultBeforeEveryRemoval_ = !t.defaultDomain;
  }

  // set-default-domain (SPEC §4), listed before `d`'s removal: open while the input marks a
  // domain being removed as the default; done by an ack, or an input marking a domain that stays
  // (the initial one, say) as the default.
  StepId setDefaultStep(const DomainCtx& d) {
    const Tenant& t = in_.tenant;
    PlanStep& step = add(Action::SetDefaultDomain, {Action::ConfirmAdminRole});
    const bool removed = t.defaultDomain && *t.defaultDomain == d.input.name;
    if (removed) step.context.defaultDomain = shown(d.input);
    if (step.status == StepStatus::Done) return step.id;  // acknowledged
    if (removed) {
      step.state = StepState{Reason::GraphIsDefault, "", shown(d.input), t.file};
    } else if (t.defaultDomain) {
      step.status = StepStatus::Done;
      step.state = StepState{Reason::GraphOtherDefault, "", t.defaultDomain->toStringNoDot(), t.file};
    } else {
      step.state = StepState{Reason::GraphNotShownAgain, "", t.file};
    }
    return step.id;
  }

  // remove-domain:D while Graph's state shows a force delete of D: scheduled or running, the
  // domain is still there; failed, it stays there. An ack counts only when it is newer than the
  // state's last action (an unknown time is never older than an ack).
  void forceDeleteStatus(PlanStep& step, const TenantDomain::ForceDelete& fd) {
    if (step.status == StepStatus::Done && step.ack && fd.lastAction && step.ack->at > *fd.lastAction) return;
    StepState st{lower(fd.status) == "failed" ? Reason::ForceDeleteFailed : Reason::ForceDeleteRunning, "", fd.status};
    st.at = fd.lastAction.value_or(0);
    st.flag = fd.lastAction.has_value();
    if (step.status == StepStatus::Done && step.ack) {
      st.who = step.ack->by;
      st.at2 = step.ack->at;
    }
    step.status = StepStatus::Open;
    step.state = std::move(st);
  }

  void cancelSteps() {
    std::vector<std::string> names;
    for (const auto& s : in_.tenant.subscriptions)
      if (s.cancel) names.push_back(s.name.empty() ? s.kind : s.name);
    // cancel-subscription follows every gating step that nothing else follows.
    std::set<StepId> followed;
    for (const auto& s : plan_.steps)
      for (const auto& a : s.after) followed.insert(a);
    std::vector<StepId> after;
    for (const auto& s : plan_.steps)
      if (!followed.count(s.id)) after.push_back(s.id);
    PlanStep& cancel = add(Action::CancelSubscription, after);
    cancel.context.subscriptions = std::move(names);
    cancel.gating = false;
    if (cancel.status != StepStatus::Done) cancel.state = StepState{Reason::UnlockedByGate};
    PlanStep& office = add(Action::UninstallOffice, {Action::CancelSubscription});
    office.gating = false;
    office.optional = true;
  }

  const PlanInput& in_;
  const StateIndex idx_;  // in_.state, read once
  std::map<DnsName, const TenantDomain*> tenantDomain_;
  std::set<StepId> stepIds_;  // the ids of plan_.steps
  Plan plan_;
  std::vector<DomainCtx> doms_;
  std::vector<PlanNote> outOfOrderNotes_;
  // set-default-domain: the domain whose removal it precedes (nullopt: not in the plan), whether
  // every removal comes after it, and its id once added.
  std::optional<DnsName> defaultAnchor_;
  bool defaultBeforeEveryRemoval_ = false;
  std::optional<StepId> setDefaultId_;
};

}  // namespace

std::string recordLine(const Record& r) {
  return r.name.toString() + " " + std::to_string(r.ttl) + " IN " + rrTypeName(r.type) + " " + r.data;
}

bool hostedByMicrosoftNow(const DomainReport& r) {
  for (const auto* set : {&r.delegation.parentNs, &r.delegation.childNs})
    for (const auto& n : *set)
      if (matchHost(Family::Ns, n)) return true;
  return false;
}

bool domainsMayStay(const Tenant& t) {
  return std::any_of(t.subscriptions.begin(), t.subscriptions.end(),
                     [](const Subscription& s) { return !s.cancel; });
}

std::vector<DomainInput> domainsToCheck(const Tenant& t, const StateSnapshot& s) {
  std::vector<DomainInput> out;
  if (domainsMayStay(t)) return out;
  std::set<DnsName> seen;
  for (const auto& d : t.domains)
    if (seen.insert(d.input.name).second) out.push_back(d.input);
  std::set<std::string> extra;
  for (const auto& row : s.observations) extra.insert(row.domain);
  for (const auto& name : extra) {
    std::string why;
    auto d = normalizeDomain(name, &why);
    if (!d || isInitialDomainName(d->name) || !seen.insert(d->name).second) continue;
    out.push_back(*d);
  }
  return out;
}

std::string encodeRequired(const std::vector<RequiredRecord>& rs) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& r : rs) {
    nlohmann::ordered_json o;
    o["name"] = r.record.name.toString();
    o["type"] = rrTypeName(r.record.type);
    o["ttl"] = r.record.ttl;
    o["data"] = r.record.data;
    if (r.record.type == RRType::TXT) o["strings"] = r.record.strings;
    // The structured fields as they are, so reading the list back parses no presentation text.
    if (!r.record.target.isEmpty()) o["target"] = r.record.target.toString();
    if (r.record.type == RRType::MX || r.record.type == RRType::SRV) o["preference"] = r.record.preference;
    if (r.record.type == RRType::SRV) {
      o["weight"] = r.record.weight;
      o["port"] = r.record.port;
    }
    if (!r.exact) o["any"] = r.note;
    a.push_back(std::move(o));
  }
  return a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::vector<RequiredRecord>> decodeRequired(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<RequiredRecord> out;
  for (const auto& o : j) {
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string() || !o.contains("type") ||
        !o["type"].is_string() || !o.contains("data") || !o["data"].is_string())
      return std::nullopt;
    RequiredRecord r;
    auto name = DnsName::parse(o["name"].get<std::string>());
    auto type = rrTypeFromName(o["type"].get<std::string>());
    if (!name || !type) return std::nullopt;
    r.record.name = *name;
    r.record.type = *type;
    // The state file is ours, but read it as untrusted: a wrong type is "unreadable", not a throw.
    if (o.contains("ttl") && o["ttl"].is_number_unsigned() && o["ttl"].get<std::uint64_t>() <= 0xFFFFFFFFu)
      r.record.ttl = static_cast<std::uint32_t>(o["ttl"].get<std::uint64_t>());
    r.record.data = o["data"].get<std::string>();
    if (o.contains("strings") && o["strings"].is_array())
      for (const auto& s : o["strings"])
        if (s.is_string()) r.record.strings.push_back(s.get<std::string>());
    auto u16 = [&](const char* key) -> std::optional<std::uint16_t> {
      if (!o.contains(key) || !o[key].is_number_unsigned() || o[key].get<std::uint64_t>() > 0xFFFFu) return std::nullopt;
      return static_cast<std::uint16_t>(o[key].get<std::uint64_t>());
    };
    if (o.contains("target")) {
      if (!o["target"].is_string()) return std::nullopt;
      auto t = DnsName::parse(o["target"].get<std::string>());
      if (!t) return std::nullopt;
      r.record.target = *t;
      r.record.preference = u16("preference").value_or(0);
      r.record.weight = u16("weight").value_or(0);
      r.record.port = u16("port").value_or(0);
    } else if (*type == RRType::MX || *type == RRType::CNAME || *type == RRType::NS) {
      // A list written before the structured fields were kept: "PREF HOST" or "HOST", the last
      // word is the target.
      std::string d = r.record.data;
      auto sp = d.rfind(' ');
      if (auto t = DnsName::parse(sp == std::string::npos ? d : d.substr(sp + 1))) r.record.target = *t;
      if (*type == RRType::MX && sp != std::string::npos) {
        try {
          r.record.preference = static_cast<std::uint16_t>(std::stoul(d.substr(0, sp)));
        } catch (...) {
          return std::nullopt;
        }
      }
    }
    if (o.contains("any") && o["any"].is_string()) {
      r.exact = false;
      r.note = o["any"].get<std::string>();
    }
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// requiredAtNewHost, given the "ZONE D." history (read only when Microsoft no longer hosts the
// zone) and the tenant file's Microsoft MX hosts for D.
std::vector<RequiredRecord> requiredFor(const Tenant& t, const DomainReport& report,
                                        const std::vector<Record>* zoneListing,
                                        const std::vector<const ObservationRow*>& zoneHistory,
                                        const std::vector<DnsName>& knownMx) {
  const DnsName& D = report.domain;
  if (!hostedByMicrosoftNow(report)) {
    // Switched already: what had to be recreated was captured while Microsoft hosted the zone.
    const auto& h = zoneHistory;
    if (!h.empty())
      if (auto rs = decodeRequired(h.back()->value)) return *rs;
  }
  const std::vector<Record>& source = zoneListing ? *zoneListing : report.records;
  std::vector<RequiredRecord> out;
  auto push = [&](RequiredRecord r) {
    for (const auto& x : out)
      if (x.exact == r.exact && sameRecord(x.record, r.record) && x.record.ttl == r.record.ttl) return;
    out.push_back(std::move(r));
  };
  bool microsoftMx = false, anyMx = false, anySpf = false;
  std::uint32_t mxTtl = 3600;
  for (const auto& r : source) {
    if (r.type == RRType::SOA || isDnssecType(r.type)) continue;
    if (r.type == RRType::NS && r.name == D) continue;  // the new host publishes its own
    if (r.type == RRType::DS && r.name == D) continue;  // the parent's (RFC 4035 §2.4), not the zone's
    if (r.type == RRType::MX && r.name == D) {
      anyMx = true;
      if (microsoftRecord(r, report, knownMx)) {
        if (!matchHost(Family::VerificationMx, r.target)) {
          microsoftMx = true;
          mxTtl = r.ttl;
        }
        continue;
      }
    }
    if (r.type == RRType::TXT && r.name == D && isSpfRecord(joinedTxt(r))) {
      anySpf = true;
      std::string text = joinedTxt(r);
      std::string rewritten = matchSpf(text) || t.newSpfInclude ? spfWithout(text, t.newSpfInclude) : text;
      push(RequiredRecord{makeTxt(D, r.ttl, rewritten), true, ""});
      continue;
    }
    if (microsoftRecord(r, report, knownMx)) continue;
    push(RequiredRecord{r, true, ""});
  }
  if (microsoftMx || !anyMx) {
    if (t.newMx.empty()) {
      Record r;
      r.name = D;
      r.type = RRType::MX;
      r.ttl = mxTtl;
      push(RequiredRecord{r, false, "the new mail provider's MX (give new_mail.mx or --new-mx)"});
    } else {
      for (const auto& m : t.newMx) push(RequiredRecord{makeMx(D, mxTtl, m), true, ""});
    }
  }
  if (!anySpf && t.newSpfInclude)
    push(RequiredRecord{makeTxt(D, 3600, "v=spf1 include:" + t.newSpfInclude->toStringNoDot() + " -all"), true, ""});
  return out;
}

}  // namespace

std::vector<RequiredRecord> requiredAtNewHost(const Tenant& t, const DomainReport& report,
                                              const std::vector<Record>* zoneListing,
                                              const StateSnapshot& s) {
  std::vector<DnsName> knownMx;
  for (const auto& td : t.domains)
    if (td.input.name == report.domain) knownMx = td.knownMicrosoftMx;
  const std::vector<const ObservationRow*> h =
      hostedByMicrosoftNow(report) ? std::vector<const ObservationRow*>{}
                                   : historyOf(s, report.domain, zoneSubjectKey(report.domain));
  return requiredFor(t, report, zoneListing, h, knownMx);
}

std::vector<RequiredRecord> requiredAtNewHost(const Tenant& t, const DomainReport& report,
                                              const std::vector<Record>* zoneListing, const StateIndex& s,
                                              const std::vector<DnsName>& knownMicrosoftMx) {
  static const std::vector<const ObservationRow*> kNone;
  return requiredFor(t, report, zoneListing,
                     hostedByMicrosoftNow(report) ? kNone : s.history(report.domain, zoneSubjectKey(report.domain)),
                     knownMicrosoftMx);
}

Plan buildPlan(const PlanInput& in) { return Builder(in).build(); }

}  // namespace offboard
