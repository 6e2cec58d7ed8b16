#include "render/step_text.h"

#include "plan/planner.h"
#include "time/time_text.h"

namespace offboard {
namespace {

std::string waitBasisText(const RecordChange& c) {
  switch (c.basis) {
    case WaitBasis::TtlAtM365: return "its TTL at Microsoft 365 " + formatDuration(c.ttl);
    case WaitBasis::AssumedParentNs: return "the parent NS TTL was not observed: assumed " + formatDuration(c.ttl);
    case WaitBasis::FirstSight:
      return "first observed then, so when it changed is unknown: the TTL seen then " + formatDuration(c.ttl);
  }
  return "";
}

}  // namespace

std::string changeText(const RecordChange& c) {
  using Op = RecordChange::Op;
  const Record& r = c.record;
  switch (c.op) {
    case Op::Create: return "create: " + recordLine(r);
    case Op::CreateAny:
      if (c.any == RecordChange::Any::NewMailMx)
        return "create: " + r.name.toString() +
               " IN MX <the new mail provider's MX> (give new_mail.mx or --new-mx), or 0 . (null MX, "
               "RFC 7505) if the domain receives no mail";
      return "create: " + r.name.toString() + " IN " + rrTypeName(r.type) + " <" + c.value + ">";
    case Op::Delete:
      return "delete: " + r.name.toString() + (c.ttlKnown ? " " + std::to_string(r.ttl) : "") + " IN " +
             rrTypeName(r.type) + " " + r.data;
    case Op::Replace:
      return "replace: " + recordLine(r) + "  =>  " + (c.to ? recordLine(*c.to) : "") +
             (c.authorisesNothing ? "  (authorises no sender: add the new provider's include, "
                                    "new_mail.spf_include, unless the domain sends no mail)"
                                  : "");
    case Op::LastSeen: return "was: " + c.subject + " " + c.value + " (last seen " + formatRfc3339(c.at) + ")";
    case Op::RestOfZone:
      return "also: every other record of the zone (offboard sees only the names it queries; copy the "
             "rest from the admin center's DNS records page)";
    case Op::SetDelegation: {
      std::string target;
      for (const auto& n : c.targets) target += (target.empty() ? "" : " ") + n.toString();
      if (target.empty()) target = "the new DNS host's nameservers (give new_dns.nameservers or --new-ns)";
      return "at the registrar: set the NS records of " + r.name.toString() + " to " + target;
    }
    case Op::Wait:
      return c.subject + " as it is now since " + formatRfc3339(c.at) + "; " + waitBasisText(c) +
             " -> not before " + formatRfc3339(c.until);
    case Op::MoveObject: return "move: " + c.value;
  }
  return "";
}

std::string whyText(const PlanStep& s, const Plan& p) {
  const StepContext& c = s.context;
  const std::string where = c.atNewHost
                                ? " Make the change in the zone at the new DNS host (and in the "
                                  "Microsoft-hosted zone to match); it takes effect when NS is switched."
                                : " Make the change at the domain's current DNS host; it takes effect "
                                  "as soon as caches expire.";
  auto joined = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  switch (s.id.action) {
    case Action::ConfirmAdminRole:
      return "Cancelling a subscription needs a Global or Billing admin (Microsoft, \"Cancel your "
             "subscription\"); removing domains needs a Global admin or Domain Name Administrator.";
    case Action::ReduceLicenses:
      return "Online cancellation needs fewer than 25 assigned licenses; " + joined(c.subscriptions) +
             ". Remove licenses until fewer than 25 remain, or cancel through Microsoft support. "
             "(Microsoft's wording moved from \"fewer than 25\" (2020-2021) to \"25 or fewer\" "
             "(2022); offboard takes the stricter one.)";
    case Action::NotifyUsers:
      return "Users are told before the MX change (Microsoft, \"Remove a domain\"): mail moves the "
             "moment MX changes. Tell them the cut-over date" +
             std::string(c.cutover ? " (" + *c.cutover + ")" : "") +
             ", the new provider, and what happens to their Microsoft 365 apps.";
    case Action::PrepareNewDnsHost:
      return "Microsoft hosts this zone. Every record the domain needs (the new MX, SPF, and every "
             "non-Microsoft record of the hosted zone: website, DMARC, …) must exist at the new DNS "
             "host before NS is switched, or it disappears at the switch.";
    case Action::UpdateMx:
      return "Inbound mail goes where MX points: after cancellation Microsoft 365 bounces it. "
             "Point MX at the new mail provider, or publish a null MX (0 ., RFC 7505) if the "
             "domain will receive no mail." + where;
    case Action::UpdateSpf:
      return "SPF still authorises Microsoft 365's servers to send as this domain: remove that "
             "term (keep the rest) once users send through the new provider." + where;
    case Action::RemoveAutodiscover:
      return "Outlook and phones configure themselves from autodiscover; left at Microsoft 365 "
             "they keep looking for the old mailbox. Point it at the new provider or delete it." + where;
    case Action::RemoveDkim:
      return "DKIM selectors still delegate signing keys to Microsoft 365; replace them with the "
             "new provider's selectors or delete them." + where;
    case Action::RemoveMsoid:
      return "The msoid CNAME breaks Office activation outside 21Vianet (\"custom domain isn't in "
             "our system\"). Delete it." + where;
    case Action::RemoveTeamsRecords:
      return "Teams/Skype for Business discovery records route federation partners to Microsoft "
             "365. Delete them." + where;
    case Action::RemoveMdmRecords:
      return "Device registration/enrolment records send Windows devices to Entra/Intune. Delete "
             "them or point them at the new MDM." + where;
    case Action::SwitchNs:
      return "Microsoft hosts this zone (NS at Microsoft): changes elsewhere take effect only when "
             "the registrar's delegation names the new DNS host. Switch NS at the registrar once "
             "every record is at the new host.";
    case Action::WaitPropagation:
      return "Resolvers keep answering from cache until the old records' TTL runs out: mail can "
             "still reach Microsoft 365 until then (for a delegation switch, the parent's NS TTL, "
             "often 48 hours).";
    case Action::MoveUsersOffDomain:
      return "A domain can be removed only when no user, group, shared or resource mailbox, "
             "contact or alias uses it (Microsoft, \"Remove a domain\"). Keep a Global admin on "
             "another domain before moving your own account." +
             std::string(c.afterWaits ? " Move them after the wait, so mail still reaching "
                                        "Microsoft 365 is delivered."
                                      : "");
    case Action::BackupData:
      return "Customer data left behind might be deleted 90 days after cancellation and is deleted "
             "no later than 180 days after it. Save mailboxes, OneDrive and SharePoint" +
             std::string(c.afterWaits ? " once the waits are over, so the last mail that reached "
                                        "Microsoft 365 is included."
                                      : ".");
    case Action::RemoveDomain:
      return "\"If you added your own domain name to use with your subscription, you must remove "
             "the domain before you cancel your subscription\" (Microsoft). Settings > Domains > "
             "Remove domain, or Graph DELETE /domains/{id}.";
    case Action::RemoveVerificationRecords:
      return "Microsoft 365 domain-verification records (MS=ms… TXT, *.msv1.invalid MX) are "
             "harmless but stale: delete them once the domain has left the tenant.";
    case Action::CancelSubscription:
      return "Cancel " + (c.subscriptions.empty() ? std::string("the subscription") : joined(c.subscriptions)) +
             " in the admin center (" + p.adminCenter + ", Billing > Your products) once `offboard gate` passes.";
    case Action::UninstallOffice:
      return "Optional: after cancellation, Office apps fall back to reduced functionality; "
             "uninstall them from devices, or replace them.";
  }
  return "";
}

std::string verifyText(const PlanStep& s) {
  switch (s.id.action) {
    case Action::ConfirmAdminRole:
    case Action::NotifyUsers:
    case Action::BackupData:
      return "acknowledged with `offboard ack " + std::string(actionName(s.id.action)) + " --by NAME`";
    case Action::ReduceLicenses:
      return "acknowledged with `offboard ack reduce-licenses --by NAME`, or a tenant file showing "
             "fewer than 25 assigned licenses";
    case Action::PrepareNewDnsHost: return "querying the new host's servers directly for every record listed";
    case Action::UpdateMx:
      return "re-resolved: no MX at Microsoft 365, and an MX present (equal to new_mail.mx when "
             "given) or a null MX";
    case Action::UpdateSpf:
    case Action::RemoveAutodiscover:
    case Action::RemoveDkim:
    case Action::RemoveMsoid:
    case Action::RemoveTeamsRecords:
    case Action::RemoveMdmRecords:
    case Action::RemoveVerificationRecords: return "re-resolved: the matching finding is gone";
    case Action::SwitchNs:
      return "parent-side delegation (what the registrar publishes) no longer at Microsoft; the "
             "zone's own NS set when the parent side is not seen";
    case Action::WaitPropagation:
      return "every changed record seen in its new state for at least the TTL it had before, "
             "counted from offboard's first observation of the new value (never before the old "
             "value's last sighting); a record offboard first saw already changed waits the TTL it "
             "had then, from then";
    case Action::MoveUsersOffDomain: return "Graph domainNameReferences is empty, or acknowledged";
    case Action::RemoveDomain: return "the domain is absent from a newer Graph export, or acknowledged";
    case Action::CancelSubscription: return "the gate passes (this is the step the gate unlocks)";
    case Action::UninstallOffice: return "informational: never blocks";
  }
  return "";
}

namespace {

// "KEY<kv>VALUE<sep>KEY<kv>VALUE": a subject with an empty key is its value alone, one with an
// empty value its key alone.
std::string joinSeen(const StepState& st, const char* kv, const char* sep) {
  std::string out;
  for (const auto& [key, value] : st.seen) {
    if (!out.empty()) out += sep;
    out += key.empty() ? value : value.empty() ? key : key + kv + value;
  }
  return out;
}

// "10 mx1.example., 20 mx2.example.": the records' data as seen, or (`wanted`) preference and
// host as new_mail.mx gives them.
std::string mxList(const std::vector<Record>& rs, bool wanted) {
  std::string out;
  for (const auto& r : rs)
    out += (out.empty() ? "" : ", ") + (wanted ? std::to_string(r.preference) + " " + r.target.toString() : r.data);
  return out;
}

std::string reasonText(const StepState& st, const PlanStep& s) {
  const std::string step = st.step ? st.step->str() : "";
  switch (st.reason) {
    case Reason::None: return "";
    case Reason::Acknowledged:
      return "acknowledged by " + st.who + " at " + formatRfc3339(st.at) + (st.text.empty() ? "" : " (" + st.text + ")");
    case Reason::NotAcknowledged: return "not acknowledged yet";
    case Reason::AckFromFuture:
      return "acknowledged by " + st.who + " at " + formatRfc3339(st.at) + ", which is after now (" +
             formatRfc3339(st.at2) + "): a clock set back does not count an ack from its future";
    case Reason::AckOutOfOrder:
      return "acknowledged out of order by " + st.who + " at " + formatRfc3339(st.at) + ": " +
             (!st.flag ? step + " is not done yet" : step + " was done only at " + formatRfc3339(st.at2)) +
             "; acknowledge it again once it is really done after that (offboard ack " + s.id.str() + " --by NAME)";
    case Reason::WaitingFor: return "waiting for " + step;
    case Reason::UnlockedByGate: return "unlocked when `offboard gate` passes";
    case Reason::StillAtM365: return "still at Microsoft 365: " + joinSeen(st, " ", "; ");
    case Reason::NoEvidence: return "no evidence: " + joinSeen(st, ": ", "; ");
    case Reason::NotResolved:
      return "no evidence: " + (st.seen.empty() ? std::string() : st.seen.front().first + ": ") +
             "the domain was not resolved";
    case Reason::NoLongerAtM365: return "no longer at Microsoft 365";
    case Reason::DomainMissing:
      return "no evidence: " + (s.id.domain ? s.id.domain->toString() : std::string()) +
             " does not exist in DNS (a typo, or a lapsed registration); waive " + s.id.str() +
             " with the reason if it lapsed on purpose";
    case Reason::NoMxAtAll:
      return "no MX at all: mail would fall back to the address records (RFC 5321 §5.1). Publish the "
             "new provider's MX, or a null MX (0 .) if the domain receives no mail";
    case Reason::NullMx: return "null MX (RFC 7505): the domain receives no mail";
    case Reason::MxIs: return "MX is " + mxList(st.records, false);
    case Reason::MxNotExpected:
      return "MX is " + mxList(st.records, false) + "; the plan expects " + mxList(st.expected, true) + " (new_mail.mx)";
    case Reason::HostingUnknown:
      return "no evidence: whether Microsoft hosts the zone could not be established (the NS lookup failed)";
    case Reason::NewHostUnavailable: return "not verified yet: " + st.text;
    case Reason::NewHostNoAnswer: return "no evidence: the new DNS host did not answer: " + st.text;
    case Reason::NewHostMissing: {
      std::string missing;
      for (const auto& c : st.missing)
        missing += (missing.empty() ? "" : "; ") +
                   (c.op == RecordChange::Op::Create
                        ? recordLine(c.record)
                        : c.record.name.toString() + " " + rrTypeName(c.record.type) + " (" + c.value + ")");
      return "missing at " + st.text + ": " + missing;
    }
    case Reason::NewHostComplete: return "all " + std::to_string(st.count) + " records answered by " + st.text;
    case Reason::NewHostUnnamed:
      return "not verified yet: name the new DNS host's nameservers (new_dns.nameservers or --new-ns) "
             "so offboard can query them directly";
    case Reason::NewHostNotQueried: return "not verified yet: the new DNS host's servers were not queried";
    case Reason::ParentAtM365: return "the parent (registrar) still delegates to Microsoft: " + st.text;
    case Reason::ChildAtM365:
      return "the zone's own NS set still names Microsoft's nameservers: " + st.text +
             (st.flag ? " (the parent no longer does: remove them from the zone at the new host)" : "");
    case Reason::ParentSwitched: return "the parent-side delegation names " + st.text;
    case Reason::ChildOnlySwitched:
      return "verified by the zone's own NS set only (" + st.text +
             "): the source does not see the parent side; use --authoritative, or --zones with the "
             "parent zone, to check the registrar's delegation";
    case Reason::WaitChangePending: return "waiting for the change: still at Microsoft 365: " + joinSeen(st, "", ", ");
    case Reason::NothingToWait:
      return "no record of this domain was seen at Microsoft 365 by offboard: nothing to wait for";
    case Reason::WaitOver:
      return "every changed record has been stable for its old TTL (since " + formatRfc3339(st.at) + ")";
    case Reason::WaitUntil:
      return "caches may hold the old records until " + formatRfc3339(st.at) + " (" +
             formatDuration(st.at - st.at2) + " from now)";
    case Reason::GraphNoReferences: return "Graph domainNameReferences is empty in " + st.text;
    case Reason::GraphReferences:
    {
      // The first five: the changes list every one.
      std::string list;
      for (std::size_t i = 0; i < st.seen.size() && i < 5; ++i) list += (i ? ", " : "") + st.seen[i].first;
      if (st.seen.size() > 5) list += ", …";
      return "Graph domainNameReferences lists " + std::to_string(st.count) +
             " object(s) still using the domain: " + list;
    }
    case Reason::AbsentFromGraph: return "absent from the Graph export " + st.text;
  }
  return "";
}

}  // namespace

std::string stateText(const PlanStep& s) {
  std::string now = reasonText(s.state, s);
  if (s.status == StepStatus::Waived && s.waiver)
    return "waived by " + s.waiver->by + " at " + formatRfc3339(s.waiver->at) + ": " + s.waiver->reason +
           " (otherwise: " + now + ")";
  return now;
}

std::string noteText(const PlanNote& n) {
  using K = PlanNote::Kind;
  switch (n.kind) {
    case K::Skipped: return "Skipped " + n.text + ".";
    case K::DomainsMayStay:
      return "Another subscription stays active (" + n.text +
             "): the tenant keeps existing, so its domains may stay and their DNS may keep pointing "
             "at Microsoft 365. This plan covers only the cancellation; to leave Microsoft 365 "
             "entirely, mark every subscription \"cancel\": true.";
    case K::OutOfTimeOrder:
      return "Observations out of time order: " + n.text + " was recorded as " + n.value + " at " +
             formatRfc3339(n.at) + ", after a sighting at " + formatRfc3339(n.at2) +
             " (a clock set back, or --now in the past): the propagation clock counts from the latest "
             "sighting, never from that row.";
    case K::CloudMismatch:
      return "The tenant file says the cloud is " + std::string(cloudName(n.cloud)) + ", but " + n.text +
             "'s DNS points at " + std::string(cloudName(n.cloud2)) + " Microsoft 365 records.";
    case K::LegacyGermany:
      return "Microsoft Cloud Deutschland (Office 365 Germany) was closed in 2021 and its tenants were "
             "moved to the worldwide service: manage and cancel the tenant in the worldwide admin "
             "center. Leftover *.outlook.de records are legacy and go like any other.";
    case K::OnlyInHistory:
      return n.text +
             " is not in the input but the state history has it: it stays in the plan until it is "
             "removed from the tenant (" +
             (n.flag ? std::string("it is absent from this Graph export, so that is done")
                     : "ack remove-domain:" + (n.domain ? n.domain->toStringNoDot() : std::string())) +
             ") and its DNS no longer points at Microsoft 365.";
    case K::AdminManagedSwitched:
      return n.text +
             ": Graph says Microsoft 365 manages its DNS (isAdminManaged false), but its NS no longer "
             "point at Microsoft; the export may predate the switch. offboard did not observe the "
             "switch, so it cannot time its propagation.";
  }
  return "";
}

std::vector<std::string> noteTexts(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& n : p.notes) out.push_back(noteText(n));
  return out;
}

std::string cloudBasisText(const Plan& p) {
  switch (p.cloudBasis) {
    case CloudBasis::TenantFile: return "tenant file";
    case CloudBasis::Dns: return "DNS (" + p.cloudBasisDomain + ")";
    case CloudBasis::Assumed: return "assumed (no cloud in the input, no Microsoft record in DNS)";
  }
  return "";
}

std::vector<std::string> afterCancellationTexts(const Plan& p) {
  return {
      "After cancellation the subscription is Disabled, with reduced functionality: for most "
      "subscriptions, in most countries and regions, for 90 days. A Global or Billing admin can "
      "reactivate it while it is Disabled, not once it is deleted.",
      "Customer data left behind might be deleted after 90 days and is deleted no later than 180 "
      "days after cancellation.",
      "Deleting the subscription explicitly skips the Disabled stage: SharePoint Online data, "
      "including OneDrive, is deleted at once.",
      "Admin center for this tenant's cloud (" + std::string(cloudName(p.cloud)) + "): " + p.adminCenter +
          (p.cloud == Cloud::Germany ? " (the legacy German cloud closed in 2021; its tenants moved to "
                                       "the worldwide service)"
                                     : ""),
  };
}

std::string gateItemText(const GateItem& i, const Plan& p) {
  if (!i.step) return "the plan has no steps to verify";
  std::string why = stateText(*i.step);
  return why.empty() && i.step->status == StepStatus::Open ? whyText(*i.step, p) : why;
}

std::vector<std::string> changeTexts(const PlanStep& s) {
  std::vector<std::string> out;
  out.reserve(s.changes.size());
  for (const auto& c : s.changes) out.push_back(changeText(c));
  return out;
}

}  // namespace offboard
