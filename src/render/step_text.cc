#include "render/step_text.h"

#include <algorithm>

#include "core/i18n.h"
#include "plan/planner.h"
#include "tenant/tenant.h"
#include "time/time_text.h"

namespace offboard {
namespace {

std::string waitBasisText(const RecordChange& c) {
  const std::string ttl = formatDuration(c.ttl);
  switch (c.basis) {
    case WaitBasis::TtlAtM365: return trf("its TTL at Microsoft 365 {ttl}", fmt::arg("ttl", ttl));
    case WaitBasis::AssumedParentNs:
      return trf("the parent NS TTL was not observed: assumed {ttl}", fmt::arg("ttl", ttl));
    case WaitBasis::FirstSight:
      return trf("first observed then, so when it changed is unknown: the TTL seen then {ttl}", fmt::arg("ttl", ttl));
    case WaitBasis::MtaStsMaxAge:
      return trf("the old MTA-STS policy's max_age {ttl}: senders may hold it that long", fmt::arg("ttl", ttl));
  }
  return "";
}

}  // namespace

std::string changeText(const RecordChange& c) {
  using Op = RecordChange::Op;
  const Record& r = c.record;
  switch (c.op) {
    case Op::Create: return trf("create: {record}", fmt::arg("record", recordLine(r)));
    case Op::CreateAny:
      if (c.any == RecordChange::Any::NewMailMx)
        return trf("create: {name} IN MX <the new mail provider's MX> (give new_mail.mx or --new-mx), or 0 . "
                   "(null MX, RFC 7505) if the domain receives no mail",
                   fmt::arg("name", r.name.toString()));
      return trf("create: {name} IN {type} <{what}>", fmt::arg("name", r.name.toString()),
                 fmt::arg("type", rrTypeName(r.type)), fmt::arg("what", c.value));
    case Op::Delete:
      return trf("delete: {record}", fmt::arg("record", r.name.toString() + (c.ttlKnown ? " " + std::to_string(r.ttl) : "") +
                                                          " IN " + rrTypeName(r.type) + " " + r.data));
    case Op::Replace: {
      const std::string from = recordLine(r), to = c.to ? recordLine(*c.to) : "";
      if (c.authorisesNothing)
        return trf("replace: {from}  =>  {to}  (authorises no sender: add the new provider's include, "
                   "new_mail.spf_include, unless the domain sends no mail)",
                   fmt::arg("from", from), fmt::arg("to", to));
      return trf("replace: {from}  =>  {to}", fmt::arg("from", from), fmt::arg("to", to));
    }
    case Op::LastSeen:
      return trf("was: {subject} {value} (last seen {at})", fmt::arg("subject", c.subject), fmt::arg("value", c.value),
                 fmt::arg("at", formatRfc3339(c.at)));
    case Op::RestOfZone:
      return tr("also: every other record of the zone (offboard sees only the names it queries; copy the "
                "rest from the admin center's DNS records page)");
    case Op::SetDelegation: {
      std::string target;
      for (const auto& n : c.targets) target += (target.empty() ? "" : " ") + n.toString();
      if (target.empty()) target = tr("the new DNS host's nameservers (give new_dns.nameservers or --new-ns)");
      return trf("at the registrar: set the NS records of {domain} to {target}", fmt::arg("domain", r.name.toString()),
                 fmt::arg("target", target));
    }
    case Op::Wait:
      return trf("{subject} as it is now since {since}; {basis} -> not before {until}", fmt::arg("subject", c.subject),
                 fmt::arg("since", formatRfc3339(c.at)), fmt::arg("basis", waitBasisText(c)),
                 fmt::arg("until", formatRfc3339(c.until)));
    case Op::MoveObject: return trf("move: {object}", fmt::arg("object", c.value));
    case Op::PublishPolicy: {
      std::string body;
      for (std::size_t i = 0, j; i < c.value.size(); i = j + 1) {
        j = c.value.find('\n', i);
        if (j == std::string::npos) j = c.value.size();
        if (j > i) body += (body.empty() ? "" : " | ") + c.value.substr(i, j - i);
      }
      return trf("serve at {url}: {policy}", fmt::arg("url", c.subject), fmt::arg("policy", body));
    }
  }
  return "";
}

std::string whyText(const PlanStep& s, const Plan& p) {
  const StepContext& c = s.context;
  const std::string where =
      std::string(" ") + (c.atNewHost ? tr("Make the change in the zone at the new DNS host (and in the "
                                           "Microsoft-hosted zone to match); it takes effect when NS is switched.")
                                      : tr("Make the change at the domain's current DNS host; it takes effect "
                                           "as soon as caches expire."));
  auto joined = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  switch (s.id.action) {
    case Action::ConfirmAdminRole:
      return tr("Cancelling a subscription needs a Global or Billing admin (Microsoft, \"Cancel your "
                "subscription\"); removing domains needs a Global admin or Domain Name Administrator.");
    case Action::ReduceLicenses:
      return trf("Online cancellation needs fewer than 25 assigned licenses; {subscriptions}. Remove licenses "
                 "until fewer than 25 remain, or cancel through Microsoft support. (Microsoft's wording moved "
                 "from \"fewer than 25\" (2020-2021) to \"25 or fewer\" (2022); offboard takes the stricter one.)",
                 fmt::arg("subscriptions", joined(c.subscriptions)));
    case Action::NotifyUsers:
      if (c.cutover)
        return trf("Users are told before the MX change (Microsoft, \"Remove a domain\"): mail moves the "
                   "moment MX changes. Tell them the cut-over date ({date}), the new provider, and what "
                   "happens to their Microsoft 365 apps.",
                   fmt::arg("date", *c.cutover));
      return tr("Users are told before the MX change (Microsoft, \"Remove a domain\"): mail moves the "
                "moment MX changes. Tell them the cut-over date, the new provider, and what happens to "
                "their Microsoft 365 apps.");
    case Action::PrepareNewDnsHost:
      return tr("Microsoft hosts this zone. Every record the domain needs (the new MX, SPF, and every "
                "non-Microsoft record of the hosted zone: website, DMARC, …) must exist at the new DNS "
                "host before NS is switched, or it disappears at the switch.");
    case Action::UpdateMtaSts:
      return tr("The domain's MTA-STS policy (RFC 8461) admits only Microsoft 365's MX hosts: senders that "
                "cached it refuse (enforce) or report (testing) any other MX for up to its max_age, so the MX "
                "change would lose mail. Publish a policy that lists the new MX (or mode: none) at the policy "
                "host, then a new id in the _mta-sts TXT record; the MX change waits the old max_age after "
                "offboard sees it.");
    case Action::UpdateMx:
      return tr("Inbound mail goes where MX points: after cancellation Microsoft 365 bounces it. Point MX "
                "at the new mail provider, or publish a null MX (0 ., RFC 7505) if the domain will "
                "receive no mail.") +
             where;
    case Action::UpdateSpf:
      return tr("SPF still authorises Microsoft 365's servers to send as this domain: remove that term "
                "(keep the rest) once users send through the new provider.") +
             where;
    case Action::RemoveAutodiscover:
      return tr("Outlook and phones configure themselves from autodiscover; left at Microsoft 365 they "
                "keep looking for the old mailbox. Point it at the new provider or delete it.") +
             where;
    case Action::RemoveDkim:
      return tr("DKIM selectors still delegate signing keys to Microsoft 365; replace them with the new "
                "provider's selectors or delete them.") +
             where;
    case Action::RemoveMsoid:
      return tr("The msoid CNAME breaks Office activation outside 21Vianet (\"custom domain isn't in our "
                "system\"). Delete it.") +
             where;
    case Action::RemoveTeamsRecords:
      return tr("Teams/Skype for Business discovery records route federation partners to Microsoft 365. "
                "Delete them.") +
             where;
    case Action::RemoveMdmRecords:
      return tr("Device registration/enrolment records send Windows devices to Entra/Intune. Delete them "
                "or point them at the new MDM.") +
             where;
    case Action::SwitchNs: {
      const Reason r = s.state.reason;
      if ((r == Reason::DsMismatch || r == Reason::DsUnverified) && s.state.flag)
        return tr("The delegation names the new DNS host, and the parent's DS records must match a key that "
                  "host serves: otherwise validating resolvers reject every answer for the domain, mail "
                  "included.");
      return tr("Microsoft hosts this zone (NS at Microsoft): changes elsewhere take effect only when the "
                "registrar's delegation names the new DNS host. Switch NS at the registrar once every "
                "record is at the new host.");
    }
    case Action::WaitPropagation:
      return tr("Resolvers keep answering from cache until the old records' TTL runs out: mail can still "
                "reach Microsoft 365 until then (for a delegation switch, the parent's NS TTL, often 48 hours).");
    case Action::MoveUsersOffDomain:
      return std::string(tr("A domain can be removed only when no user, group, shared or resource mailbox, "
                            "contact or alias uses it (Microsoft, \"Remove a domain\"). Keep a Global admin "
                            "on another domain before moving your own account.")) +
             (c.afterWaits ? std::string(" ") + tr("Move them after the wait, so mail still reaching Microsoft "
                                                   "365 is delivered.")
                           : "");
    case Action::BackupData:
      return c.afterWaits ? tr("Customer data left behind might be deleted 90 days after cancellation and is "
                               "deleted no later than 180 days after it. Save mailboxes, OneDrive and "
                               "SharePoint once the waits are over, so the last mail that reached Microsoft "
                               "365 is included.")
                          : tr("Customer data left behind might be deleted 90 days after cancellation and is "
                               "deleted no later than 180 days after it. Save mailboxes, OneDrive and "
                               "SharePoint.");
    case Action::DefederateDomain:
      return trf("A federated domain (Graph authenticationType Federated: sign-in goes through AD FS, another "
                 "identity provider, or a reseller such as GoDaddy) cannot be removed from the tenant: convert it "
                 "to managed first. With AD FS or another provider: `Update-MgDomain -DomainId {domain} "
                 "-AuthenticationType Managed` (Microsoft Graph PowerShell, as a Global admin); whoever still "
                 "signs in with the domain then needs a Microsoft 365 password. For a tenant bought through "
                 "GoDaddy, GoDaddy holds the federation: follow GoDaddy's defederation procedure, or ask GoDaddy.",
                 fmt::arg("domain", s.id.domain ? s.id.domain->toStringNoDot() : std::string()));
    case Action::SetDefaultDomain: {
      // The initial domain, by its name when the tenant is named by it (it always stays).
      const auto initial = DnsName::parse(p.tenant);
      const bool named = initial && isInitialDomainName(*initial);
      const std::string other = named ? initial->toStringNoDot() : tr("the tenant's .onmicrosoft.com domain");
      const std::string id = named ? initial->toStringNoDot() : "DOMAIN";
      if (c.defaultDomain.empty())
        return trf("The default domain cannot be removed (Microsoft, \"Remove a domain\"). Before a domain "
                   "that was the default is removed, make another one the default, e.g. {other}: Settings > "
                   "Domains > select it > Set as default, or `Update-MgDomain -DomainId {id} -IsDefault`.",
                   fmt::arg("other", other), fmt::arg("id", id));
      return trf("{domain} is the tenant's default domain, and the default domain cannot be removed (Microsoft, "
                 "\"Remove a domain\"). Make another domain the default first, e.g. {other}: Settings > "
                 "Domains > select it > Set as default, or `Update-MgDomain -DomainId {id} -IsDefault`.",
                 fmt::arg("domain", c.defaultDomain), fmt::arg("other", other), fmt::arg("id", id));
    }
    case Action::RemoveDomain:
      return tr("\"If you added your own domain name to use with your subscription, you must remove the "
                "domain before you cancel your subscription\" (Microsoft). Settings > Domains > Remove "
                "domain, or Graph DELETE /domains/{id}.");
    case Action::RemoveVerificationRecords:
      return tr("Microsoft 365 domain-verification records (MS=ms… TXT, *.msv1.invalid MX) are harmless "
                "but stale: delete them once the domain has left the tenant.");
    case Action::CancelSubscription:
      if (c.subscriptions.empty())
        return trf("Cancel the subscription in the admin center ({url}, Billing > Your products) once "
                   "`offboard gate` passes.",
                   fmt::arg("url", p.adminCenter));
      return trf("Cancel {subscriptions} in the admin center ({url}, Billing > Your products) once "
                 "`offboard gate` passes.",
                 fmt::arg("subscriptions", joined(c.subscriptions)), fmt::arg("url", p.adminCenter));
    case Action::UninstallOffice:
      return tr("Optional: after cancellation, Office apps fall back to reduced functionality; uninstall "
                "them from devices, or replace them.");
  }
  return "";
}

std::string verifyText(const PlanStep& s) {
  switch (s.id.action) {
    case Action::ConfirmAdminRole:
    case Action::NotifyUsers:
    case Action::BackupData:
      return trf("acknowledged with `offboard ack {step} --by NAME`", fmt::arg("step", actionName(s.id.action)));
    case Action::ReduceLicenses:
      return tr("acknowledged with `offboard ack reduce-licenses --by NAME`, or a tenant file showing "
                "fewer than 25 assigned licenses");
    case Action::PrepareNewDnsHost: return tr("querying the new host's servers directly for every record listed");
    case Action::UpdateMtaSts:
      return tr("re-resolved and fetched: the policy no longer admits only Microsoft 365's MX, admits the new MX "
                "(new_mail.mx) or is mode none, and the _mta-sts TXT record carries an id not seen while it "
                "admitted only Microsoft's");
    case Action::UpdateMx:
      return tr("re-resolved: no MX at Microsoft 365, and an MX present (equal to new_mail.mx when given) "
                "or a null MX");
    case Action::UpdateSpf:
    case Action::RemoveAutodiscover:
    case Action::RemoveDkim:
    case Action::RemoveMsoid:
    case Action::RemoveTeamsRecords:
    case Action::RemoveMdmRecords:
    case Action::RemoveVerificationRecords: return tr("re-resolved: the matching finding is gone");
    case Action::SwitchNs:
      return tr("parent-side delegation (what the registrar publishes) no longer at Microsoft, the zone's own "
                "NS set when the parent side is not seen; and any DS record the parent publishes matches a "
                "DNSKEY the new DNS host serves (no dnssec-ds-mismatch)");
    case Action::WaitPropagation:
      return tr("every changed record seen in its new state for at least the TTL it had before, counted "
                "from offboard's first observation of the new value (never before the old value's last "
                "sighting); a record offboard first saw already changed waits the TTL it had then, from then");
    case Action::MoveUsersOffDomain: return tr("Graph domainNameReferences is empty, or acknowledged");
    case Action::DefederateDomain:
      return tr("a newer Graph export shows the domain's authenticationType Managed (or no longer lists it), or "
                "acknowledged");
    case Action::SetDefaultDomain:
      return tr("a newer Graph export marks a domain that stays (isDefault) as the default, or acknowledged");
    case Action::RemoveDomain: return tr("the domain is absent from a newer Graph export, or acknowledged");
    case Action::CancelSubscription: return tr("the gate passes (this is the step the gate unlocks)");
    case Action::UninstallOffice: return tr("informational: never blocks");
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
  // fmt::arg keeps a reference: the values live here.
  const std::string atText = formatRfc3339(st.at);
  const auto who = fmt::arg("who", st.who);
  const auto at = fmt::arg("at", atText);
  switch (st.reason) {
    case Reason::None: return "";
    case Reason::Acknowledged:
      if (st.text.empty()) return trf("acknowledged by {who} at {at}", who, at);
      return trf("acknowledged by {who} at {at} ({note})", who, at, fmt::arg("note", st.text));
    case Reason::NotAcknowledged: return tr("not acknowledged yet");
    case Reason::AckFromFuture:
      return trf("acknowledged by {who} at {at}, which is after now ({now}): a clock set back does not count "
                 "an ack from its future",
                 who, at, fmt::arg("now", formatRfc3339(st.at2)));
    case Reason::AckOutOfOrder:
      if (!st.flag)
        return trf("acknowledged out of order by {who} at {at}: {before} is not done yet; acknowledge it again "
                   "once it is really done after that (`offboard ack {step} --by NAME`)",
                   who, at, fmt::arg("before", step), fmt::arg("step", s.id.str()));
      return trf("acknowledged out of order by {who} at {at}: {before} was done only at {done}; acknowledge it "
                 "again once it is really done after that (`offboard ack {step} --by NAME`)",
                 who, at, fmt::arg("before", step), fmt::arg("done", formatRfc3339(st.at2)),
                 fmt::arg("step", s.id.str()));
    case Reason::WaitingFor: return trf("waiting for {step}", fmt::arg("step", step));
    case Reason::UnlockedByGate: return tr("unlocked when `offboard gate` passes");
    case Reason::StillAtM365: return trf("still at Microsoft 365: {seen}", fmt::arg("seen", joinSeen(st, " ", "; ")));
    case Reason::NoEvidence: return trf("no evidence: {seen}", fmt::arg("seen", joinSeen(st, ": ", "; ")));
    case Reason::NotResolved:
      if (st.seen.empty()) return tr("no evidence: the domain was not resolved");
      return trf("no evidence: {subject}: the domain was not resolved", fmt::arg("subject", st.seen.front().first));
    case Reason::NoLongerAtM365: return tr("no longer at Microsoft 365");
    case Reason::DomainMissing:
      return trf("no evidence: {domain} does not exist in DNS (a typo, or a lapsed registration); waive {step} "
                 "with the reason if it lapsed on purpose",
                 fmt::arg("domain", s.id.domain ? s.id.domain->toString() : std::string()),
                 fmt::arg("step", s.id.str()));
    case Reason::NoMxAtAll:
      return tr("no MX at all: mail would fall back to the address records (RFC 5321 §5.1). Publish the new "
                "provider's MX, or a null MX (0 .) if the domain receives no mail");
    case Reason::NullMx: return tr("null MX (RFC 7505): the domain receives no mail");
    case Reason::MxIs: return trf("MX is {mx}", fmt::arg("mx", mxList(st.records, false)));
    case Reason::MxNotExpected:
      return trf("MX is {mx}; the plan expects {expected} (new_mail.mx)", fmt::arg("mx", mxList(st.records, false)),
                 fmt::arg("expected", mxList(st.expected, true)));
    case Reason::MtaStsRecordRemoved:
      return trf("the _mta-sts TXT record is gone, but senders that fetched the policy ({policy}) keep it for up "
                 "to its max_age and may fetch it again from the policy host: publish the policy in mode none (or "
                 "listing the new MX) under a new id instead, and remove both only after the old max_age",
                 fmt::arg("policy", st.text2));
    case Reason::MtaStsRecordInvalid:
      return trf("the _mta-sts TXT record ({record}) is not one valid v=STSv1 record with an id (RFC 8461 §3.1): "
                 "senders then keep the policy they hold. Publish exactly one record with a new id",
                 fmt::arg("record", st.text));
    case Reason::MtaStsSameId:
      return trf("the policy changed but the _mta-sts TXT record still has id {id}, as when the policy admitted "
                 "only Microsoft 365's MX: senders fetch a policy again only when the id changes. Publish a new id",
                 fmt::arg("id", st.text));
    case Reason::MtaStsNewMxNotListed:
      return trf("the MTA-STS policy does not admit the new MX {expected}: senders holding it would refuse that MX. "
                 "Add it to the policy's mx lines and publish a new id",
                 fmt::arg("expected", mxList(st.expected, true)));
    case Reason::HostingUnknown:
      return tr("no evidence: whether Microsoft hosts the zone could not be established (the NS lookup failed)");
    // st.text: a fixed sentence of the pipeline's (translated when the catalogue has it) or a
    // resolver's error.
    case Reason::NewHostUnavailable: return trf("not verified yet: {why}", fmt::arg("why", tr(st.text.c_str())));
    case Reason::NewHostNoAnswer: return trf("no evidence: the new DNS host did not answer: {why}", fmt::arg("why", st.text));
    case Reason::NewHostMissing: {
      std::string missing;
      for (const auto& c : st.missing)
        missing += (missing.empty() ? "" : "; ") +
                   (c.op == RecordChange::Op::Create
                        ? recordLine(c.record)
                        : c.record.name.toString() + " " + rrTypeName(c.record.type) + " (" + c.value + ")");
      return trf("missing at {host}: {records}", fmt::arg("host", st.text), fmt::arg("records", missing));
    }
    case Reason::NewHostComplete:
      return trnf("the {count} record answered by {host}", "all {count} records answered by {host}", st.count,
                  fmt::arg("count", st.count), fmt::arg("host", st.text));
    case Reason::NewHostUnnamed:
      return tr("not verified yet: name the new DNS host's nameservers (new_dns.nameservers or --new-ns) so "
                "offboard can query them directly");
    case Reason::NewHostNotQueried: return tr("not verified yet: the new DNS host's servers were not queried");
    case Reason::ParentAtM365:
      return trf("the parent (registrar) still delegates to Microsoft: {ns}", fmt::arg("ns", st.text));
    case Reason::ChildAtM365:
      if (st.flag)
        return trf("the zone's own NS set still names Microsoft's nameservers: {ns} (the parent no longer does: "
                   "remove them from the zone at the new host)",
                   fmt::arg("ns", st.text));
      return trf("the zone's own NS set still names Microsoft's nameservers: {ns}", fmt::arg("ns", st.text));
    case Reason::ParentSwitched: return trf("the parent-side delegation names {ns}", fmt::arg("ns", st.text));
    case Reason::ChildOnlySwitched:
      return trf("verified by the zone's own NS set only ({ns}): the source does not see the parent side; use "
                 "--authoritative, or --zones with the parent zone, to check the registrar's delegation",
                 fmt::arg("ns", st.text));
    case Reason::DsMismatch: {
      std::string ds;
      std::uint32_t ttl = 0;
      for (const auto& r : st.records) {
        ds += (ds.empty() ? "" : "; ") + recordLine(r);
        ttl = std::max(ttl, r.ttl);
      }
      const std::string ttlText = formatDuration(ttl);
      if (st.flag)
        return trnf("blocked by DNSSEC: the parent publishes {ds}, which matches no DNSKEY served by the DNS host "
                    "the delegation names ({host}): validating resolvers treat the domain as bogus now. Remove "
                    "this DS record at the registrar (caches keep it for {ttl}), or publish the matching key at "
                    "that host; sign the zone and add a DS only once the switch's wait is over",
                    "blocked by DNSSEC: the parent publishes {ds}, none of which matches a DNSKEY served by the "
                    "DNS host the delegation names ({host}): validating resolvers treat the domain as bogus now. "
                    "Remove these DS records at the registrar (caches keep them for {ttl}), or publish a "
                    "matching key at that host; sign the zone and add a DS only once the switch's wait is over",
                    st.records.size(), fmt::arg("ds", ds), fmt::arg("host", st.text), fmt::arg("ttl", ttlText));
      return trnf("blocked by DNSSEC: the parent publishes {ds}, which matches no DNSKEY served by the new DNS "
                  "host ({host}): after the switch validating resolvers would treat the domain as bogus. Before "
                  "switching NS, remove this DS record at the registrar and wait its TTL ({ttl}), or publish the "
                  "matching key at the new DNS host; sign the zone and add a DS only after the switch and its wait",
                  "blocked by DNSSEC: the parent publishes {ds}, none of which matches a DNSKEY served by the new "
                  "DNS host ({host}): after the switch validating resolvers would treat the domain as bogus. "
                  "Before switching NS, remove these DS records at the registrar and wait their TTL ({ttl}), or "
                  "publish a matching key at the new DNS host; sign the zone and add a DS only after the switch "
                  "and its wait",
                  st.records.size(), fmt::arg("ds", ds), fmt::arg("host", st.text), fmt::arg("ttl", ttlText));
    }
    case Reason::DsUnverified:
      if (st.flag)
        return trf("no evidence: whether the parent's DS records match a DNSKEY served by the DNS host the "
                   "delegation names could not be established: {seen}",
                   fmt::arg("seen", joinSeen(st, ": ", "; ")));
      return trf("no evidence: whether the parent's DS records match a DNSKEY served by the new DNS host could not "
                 "be established: {seen}; check it before switching NS (--authoritative asks the new host's "
                 "servers directly)",
                 fmt::arg("seen", joinSeen(st, ": ", "; ")));
    case Reason::DsNewHostUnnamed:
      return tr("not verified yet: the parent publishes DS records for the domain; name the new DNS host's "
                "nameservers (new_dns.nameservers or --new-ns) so offboard can check, before the switch, that "
                "it serves a matching DNSKEY");
    case Reason::WaitChangePending:
      return trf("waiting for the change: still at Microsoft 365: {seen}", fmt::arg("seen", joinSeen(st, "", ", ")));
    case Reason::NothingToWait:
      return tr("no record of this domain was seen at Microsoft 365 by offboard: nothing to wait for");
    case Reason::WaitOver:
      return trf("every changed record has been stable for its old TTL (since {at})", at);
    case Reason::WaitUntil:
      return trf("caches may hold the old records until {at} ({left} from now)", at,
                 fmt::arg("left", formatDuration(st.at - st.at2)));
    case Reason::GraphNoReferences: return trf("Graph domainNameReferences is empty in {file}", fmt::arg("file", st.text));
    case Reason::GraphReferences: {
      // The first five: the changes list every one.
      std::string list;
      for (std::size_t i = 0; i < st.seen.size() && i < 5; ++i) list += (i ? ", " : "") + st.seen[i].first;
      if (st.seen.size() > 5) list += ", …";
      return trnf("Graph domainNameReferences lists {count} object still using the domain: {objects}",
                  "Graph domainNameReferences lists {count} objects still using the domain: {objects}", st.count,
                  fmt::arg("count", st.count), fmt::arg("objects", list));
    }
    case Reason::GraphReferencesOverLimit: {
      std::string list;
      for (std::size_t i = 0; i < st.seen.size() && i < 5; ++i) list += (i ? ", " : "") + st.seen[i].first;
      if (st.seen.size() > 5) list += ", …";
      return trf("Graph domainNameReferences lists {count} objects still using the domain: {objects}. Graph's "
                 "forceDelete refuses a domain when more than {limit} objects would need renaming: move them off "
                 "the domain (or delete them) before removing it",
                 fmt::arg("count", st.count), fmt::arg("objects", list), fmt::arg("limit", kForceDeleteObjectLimit));
    }
    case Reason::AbsentFromGraph: return trf("absent from the Graph export {file}", fmt::arg("file", st.text));
    case Reason::ForceDeleteRunning:
    case Reason::ForceDeleteFailed: {
      const std::string when = st.flag ? atText : std::string(tr("an unknown time"));
      std::string out =
          st.reason == Reason::ForceDeleteFailed
              ? trf("force delete failed (Graph state: ForceDelete {status}, last action at {when}): the domain is "
                    "still in the tenant. forceDelete fails when more than {limit} objects would need renaming, "
                    "when a multitenant app uses the domain, or while Exchange is still a provisioning service "
                    "for it: fix that, remove the domain again (Settings > Domains > Remove domain) and export "
                    "again",
                    fmt::arg("status", st.text), fmt::arg("when", when), fmt::arg("limit", kForceDeleteObjectLimit))
              : trf("force delete in progress (Graph state: ForceDelete {status}, last action at {when}): "
                    "Microsoft is renaming the objects that use the domain and then removes it; export again once "
                    "it has finished (the domain is then absent from the export)",
                    fmt::arg("status", st.text), fmt::arg("when", when));
      if (!st.who.empty())
        out += " " + trf("(The acknowledgement by {who} at {ackat} is not newer than that, so it does not count: "
                         "acknowledge again once the domain is really gone.)",
                         who, fmt::arg("ackat", formatRfc3339(st.at2)));
      return out;
    }
    case Reason::GraphFederated:
      return trf("Graph authenticationType is Federated in {file}: the domain cannot be removed while it is "
                 "federated",
                 fmt::arg("file", st.text));
    case Reason::GraphAuthUnknown:
      return trf("Graph authenticationType is {value} in {file}, neither Managed nor Federated: check the domain "
                 "in the admin center (Settings > Domains) and acknowledge once it is managed",
                 fmt::arg("value", quoteForMessage(st.text)), fmt::arg("file", st.text2));
    case Reason::GraphManaged:
      return trf("Graph authenticationType is Managed in {file}", fmt::arg("file", st.text));
    case Reason::GraphIsDefault:
      return trf("{domain} is the default domain in {file}", fmt::arg("domain", st.text), fmt::arg("file", st.text2));
    case Reason::GraphOtherDefault:
      return trf("{domain}, which stays, is the default domain in {file}", fmt::arg("domain", st.text),
                 fmt::arg("file", st.text2));
    case Reason::GraphNotShownAgain:
      if (s.id.action == Action::SetDefaultDomain)
        return tr("the last plan had this step, and this input does not say which domain is the default: export "
                  "the whole tenant again (`Get-MgDomain -All | ConvertTo-Json -Depth 5`), or acknowledge it");
      return tr("the last plan had this step, and this input does not give the domain's authenticationType: "
                "export the whole tenant again (`Get-MgDomain -All | ConvertTo-Json -Depth 5`), or acknowledge it");
  }
  return "";
}

}  // namespace

std::string stateText(const PlanStep& s) {
  std::string now = reasonText(s.state, s);
  if (s.status == StepStatus::Waived && s.waiver)
    return trf("waived by {who} at {at}: {reason} (otherwise: {otherwise})", fmt::arg("who", s.waiver->by),
               fmt::arg("at", formatRfc3339(s.waiver->at)), fmt::arg("reason", s.waiver->reason),
               fmt::arg("otherwise", now));
  return now;
}

std::string noteText(const PlanNote& n) {
  using K = PlanNote::Kind;
  switch (n.kind) {
    case K::Skipped: return trf("Skipped {what}.", fmt::arg("what", n.text));
    case K::DomainsMayStay:
      return trf("Another subscription stays active ({subscriptions}): the tenant keeps existing, so its domains "
                 "may stay and their DNS may keep pointing at Microsoft 365. This plan covers only the "
                 "cancellation; to leave Microsoft 365 entirely, mark every subscription \"cancel\": true.",
                 fmt::arg("subscriptions", n.text));
    case K::OutOfTimeOrder:
      return trf("Observations out of time order: {subject} was recorded as {value} at {at}, after a sighting at "
                 "{later} (a clock set back, or --now in the past): the propagation clock counts from the latest "
                 "sighting, never from that row.",
                 fmt::arg("subject", n.text), fmt::arg("value", n.value), fmt::arg("at", formatRfc3339(n.at)),
                 fmt::arg("later", formatRfc3339(n.at2)));
    case K::CloudMismatch:
      return trf("The tenant file says the cloud is {cloud}, but {domain}'s DNS points at {dnscloud} Microsoft "
                 "365 records.",
                 fmt::arg("cloud", cloudName(n.cloud)), fmt::arg("domain", n.text),
                 fmt::arg("dnscloud", cloudName(n.cloud2)));
    case K::LegacyGermany:
      return tr("Microsoft Cloud Deutschland (Office 365 Germany) was closed in 2021 and its tenants were moved "
                "to the worldwide service: manage and cancel the tenant in the worldwide admin center. Leftover "
                "*.outlook.de records are legacy and go like any other.");
    case K::OnlyInHistory:
      if (n.flag)
        return trf("{domain} is not in the input but the state history has it: it stays in the plan until it is "
                   "removed from the tenant (it is absent from this Graph export, so that is done) and its DNS "
                   "no longer points at Microsoft 365.",
                   fmt::arg("domain", n.text));
      return trf("{domain} is not in the input but the state history has it: it stays in the plan until it is "
                 "removed from the tenant (ack remove-domain:{name}) and its DNS no longer points at Microsoft 365.",
                 fmt::arg("domain", n.text),
                 fmt::arg("name", n.domain ? n.domain->toStringNoDot() : std::string()));
    case K::AdminManagedSwitched:
      return trf("{domain}: Graph says Microsoft 365 manages its DNS (isAdminManaged false), but its NS no longer "
                 "point at Microsoft; the export may predate the switch. offboard did not observe the switch, so "
                 "it cannot time its propagation.",
                 fmt::arg("domain", n.text));
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
    case CloudBasis::TenantFile: return tr("tenant file");
    case CloudBasis::Dns: return trf("DNS ({domain})", fmt::arg("domain", p.cloudBasisDomain));
    case CloudBasis::Assumed: return tr("assumed (no cloud in the input, no Microsoft record in DNS)");
  }
  return "";
}

std::vector<std::string> afterCancellationTexts(const Plan& p) {
  const std::string_view cloudText = cloudName(p.cloud);  // fmt::arg keeps a reference
  const auto cloud = fmt::arg("cloud", cloudText);
  const auto url = fmt::arg("url", p.adminCenter);
  return {
      tr("After cancellation the subscription is Disabled, with reduced functionality: for most subscriptions, "
         "in most countries and regions, for 90 days. A Global or Billing admin can reactivate it while it is "
         "Disabled, not once it is deleted."),
      tr("Customer data left behind might be deleted after 90 days and is deleted no later than 180 days after "
         "cancellation."),
      tr("Deleting the subscription explicitly skips the Disabled stage: SharePoint Online data, including "
         "OneDrive, is deleted at once."),
      p.cloud == Cloud::Germany
          ? trf("Admin center for this tenant's cloud ({cloud}): {url} (the legacy German cloud closed in 2021; "
                "its tenants moved to the worldwide service)",
                cloud, url)
          : trf("Admin center for this tenant's cloud ({cloud}): {url}", cloud, url),
  };
}

std::string gateItemText(const GateItem& i, const Plan& p) {
  if (!i.step) return tr("the plan has no steps to verify");
  std::string why = stateText(*i.step);
  return why.empty() && i.step->status == StepStatus::Open ? whyText(*i.step, p) : why;
}

bool canStartNow(const PlanStep& s, const Plan& p) {
  if (s.status != StepStatus::Open || s.kind == StepKind::Time) return false;
  if (s.notBefore && p.now < *s.notBefore) return false;  // update-mx after an MTA-STS change
  for (const auto& a : s.after) {
    const PlanStep* before = findStep(p, a);
    if (before && before->status != StepStatus::Done && before->status != StepStatus::Waived) return false;
  }
  return true;
}

PlanSummary summarize(const Plan& p) {
  PlanSummary out;
  out.gateCanPassNow = true;
  for (const auto& s : p.steps) {
    const bool notDone = s.status == StepStatus::Open || s.status == StepStatus::Indeterminate;
    if (notDone && s.gating) out.gateCanPassNow = false;
    if (!notDone) continue;
    if (s.kind == StepKind::Time) {
      if (s.notBefore) out.earliest = std::max(out.earliest.value_or(*s.notBefore), *s.notBefore);
      else out.waitsUnknown = true;
      continue;
    }
    if (s.kind == StepKind::Dns && s.id.domain) {
      auto it = std::find_if(out.pointing.begin(), out.pointing.end(),
                             [&](const auto& d) { return d.first == s.domainShown; });
      if (it == out.pointing.end()) out.pointing.push_back({s.domainShown, {}}), it = out.pointing.end() - 1;
      it->second.emplace_back(actionName(s.id.action));
    }
    if (s.gating && !s.optional && canStartNow(s, p)) out.now.push_back(&s);
  }
  return out;
}

std::string nextAction(const PlanStep& s) {
  if (s.kind == StepKind::Manual) return verifyText(s);
  std::string now = stateText(s);
  return now.empty() ? verifyText(s) : now;
}

std::string gatePassText(const Plan& p, const PlanSummary& s) {
  if (s.gateCanPassNow) return tr("The gate can pass now.");
  if (s.waitsUnknown)
    return tr("When the gate can pass is not known yet: the waits start when offboard sees the changed records.");
  if (s.earliest && *s.earliest > p.now)
    return trf("The gate can pass at the earliest at {at} ({left} from now), once every other step is done.",
               fmt::arg("at", formatRfc3339(*s.earliest)), fmt::arg("left", formatDuration(*s.earliest - p.now)));
  return tr("The gate can pass as soon as the open steps are done.");
}

std::vector<std::string> changeTexts(const PlanStep& s) {
  std::vector<std::string> out;
  out.reserve(s.changes.size());
  for (const auto& c : s.changes) out.push_back(changeText(c));
  return out;
}

}  // namespace offboard
