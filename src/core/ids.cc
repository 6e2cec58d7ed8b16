#include "core/ids.h"

#include "core/i18n.h"

#include <array>

namespace offboard {
namespace {

struct FindingName {
  FindingId id;
  std::string_view name;
};

constexpr std::array<FindingName, 18> kFindings{{
    {FindingId::NsAtM365, "ns-at-m365"},
    {FindingId::MxAtM365, "mx-at-m365"},
    {FindingId::SpfIncludesM365, "spf-includes-m365"},
    {FindingId::AutodiscoverAtM365, "autodiscover-at-m365"},
    {FindingId::DkimAtM365, "dkim-at-m365"},
    {FindingId::MsoidAtM365, "msoid-at-m365"},
    {FindingId::TeamsAtM365, "teams-at-m365"},
    {FindingId::MdmAtM365, "mdm-at-m365"},
    {FindingId::VerificationTxt, "verification-txt"},
    {FindingId::VerificationMx, "verification-mx"},
    {FindingId::LookupFailed, "lookup-failed"},
    {FindingId::NsInconsistent, "ns-inconsistent"},
    {FindingId::LameDelegation, "lame-delegation"},
    {FindingId::NoMx, "no-mx"},
    {FindingId::DomainNxdomain, "domain-nxdomain"},
    {FindingId::MtaStsListsM365, "mta-sts-lists-m365"},
    {FindingId::DnssecDsMismatch, "dnssec-ds-mismatch"},
    {FindingId::TargetMissingDot, "target-missing-dot"},
}};

constexpr std::array<FindingId, kFindings.size()> kFindingIds = [] {
  std::array<FindingId, kFindings.size()> out{};
  for (std::size_t i = 0; i < kFindings.size(); ++i) out[i] = kFindings[i].id;
  return out;
}();

constexpr FindingId kNone[] = {FindingId::NsAtM365};  // a placeholder; spans below use 0 of it
constexpr FindingId kMx[] = {FindingId::MxAtM365};
constexpr FindingId kMtaSts[] = {FindingId::MtaStsListsM365};
constexpr FindingId kSpf[] = {FindingId::SpfIncludesM365};
constexpr FindingId kAutodiscover[] = {FindingId::AutodiscoverAtM365};
constexpr FindingId kDkim[] = {FindingId::DkimAtM365};
constexpr FindingId kMsoid[] = {FindingId::MsoidAtM365};
constexpr FindingId kTeams[] = {FindingId::TeamsAtM365};
constexpr FindingId kMdm[] = {FindingId::MdmAtM365};
constexpr FindingId kNs[] = {FindingId::NsAtM365};
constexpr FindingId kVerification[] = {FindingId::VerificationMx, FindingId::VerificationTxt};

constexpr std::span<const FindingId> none{kNone, 0};

using A = Action;
using K = StepKind;
constexpr std::array<ActionInfo, 22> kActions{{
    {A::ConfirmAdminRole, "confirm-admin-role", false, K::Manual, N_("you are a Global or Billing admin (ack)"), none, ""},
    {A::ReduceLicenses, "reduce-licenses", false, K::Manual,
     N_("fewer than 25 licenses on each cancelled subscription (ack)"), none, ""},
    {A::NotifyUsers, "notify-users", false, K::Manual, N_("users told the date and the new provider (ack)"), none, ""},
    {A::PrepareNewDnsHost, "prepare-new-dns-host", true, K::Dns, N_("every record exists at the new DNS host"), none, ""},
    {A::UpdateMtaSts, "update-mta-sts", true, K::Dns,
     N_("the MTA-STS policy lists the new MX (or is none) under a new id"), kMtaSts, "email"},
    {A::UpdateMx, "update-mx", true, K::Dns, N_("MX points at the new mail provider (or a null MX)"), kMx, "email"},
    {A::UpdateSpf, "update-spf", true, K::Dns, N_("SPF no longer includes Microsoft 365"), kSpf, "email"},
    {A::RemoveAutodiscover, "remove-autodiscover", true, K::Dns, N_("autodiscover no longer at Microsoft 365"),
     kAutodiscover, "email"},
    {A::RemoveDkim, "remove-dkim", true, K::Dns, N_("selector1/2._domainkey no longer at Microsoft 365"), kDkim, "email"},
    {A::RemoveMsoid, "remove-msoid", true, K::Dns, N_("msoid CNAME removed"), kMsoid, ""},
    {A::RemoveTeamsRecords, "remove-teams-records", true, K::Dns, N_("sip/lyncdiscover/SRV no longer at Microsoft 365"),
     kTeams, "officecommunicationsonline"},
    {A::RemoveMdmRecords, "remove-mdm-records", true, K::Dns, N_("enterpriseregistration/enrollment removed"), kMdm,
     "intune"},
    {A::SwitchNs, "switch-ns", true, K::Dns, N_("the delegation no longer names Microsoft's nameservers"), kNs, ""},
    {A::WaitPropagation, "wait-propagation", true, K::Time, N_("old records expired from caches (their TTL)"), none, ""},
    {A::MoveUsersOffDomain, "move-users-off-domain", true, K::Manual, N_("nothing uses the domain (Graph or ack)"), none,
     ""},
    {A::BackupData, "backup-data", false, K::Manual, N_("mailboxes, OneDrive and SharePoint saved (ack)"), none, ""},
    {A::DefederateDomain, "defederate-domain", true, K::Manual,
     N_("the domain converted from Federated to Managed (Graph or ack)"), none, ""},
    {A::SetDefaultDomain, "set-default-domain", false, K::Manual,
     N_("another domain made the default before the default one is removed (Graph or ack)"), none, ""},
    {A::RemoveDomain, "remove-domain", true, K::Manual, N_("the domain removed from the tenant (Graph or ack)"), none, ""},
    {A::RemoveVerificationRecords, "remove-verification-records", true, K::Dns,
     N_("MS=ms… TXT and verification MX removed"), kVerification, ""},
    {A::CancelSubscription, "cancel-subscription", false, K::Manual, N_("the step the gate unlocks"), none, ""},
    {A::UninstallOffice, "uninstall-office", false, K::Manual, N_("optional, after cancellation"), none, ""},
}};

// The table is indexed by the enum: its order is the enum's (and the plan's).
constexpr bool tableInEnumOrder() {
  for (std::size_t i = 0; i < kActions.size(); ++i)
    if (static_cast<std::size_t>(kActions[i].action) != i) return false;
  for (std::size_t i = 0; i < kFindings.size(); ++i)
    if (static_cast<std::size_t>(kFindings[i].id) != i) return false;
  return true;
}
static_assert(tableInEnumOrder());

}  // namespace

std::span<const FindingId> findingIds() { return kFindingIds; }

std::string_view findingIdName(FindingId id) { return kFindings[static_cast<std::size_t>(id)].name; }

std::optional<FindingId> findingIdFromName(std::string_view name) {
  for (const auto& f : kFindings)
    if (f.name == name) return f.id;
  return std::nullopt;
}

std::string_view stepKindName(StepKind k) {
  switch (k) {
    case StepKind::Manual: return "manual";
    case StepKind::Dns: return "dns";
    case StepKind::Time: return "time";
  }
  return "manual";
}

std::span<const ActionInfo> actions() { return kActions; }

const ActionInfo& actionInfo(Action a) { return kActions[static_cast<std::size_t>(a)]; }

std::optional<Action> actionFromName(std::string_view name) {
  for (const auto& a : kActions)
    if (a.name == name) return a.action;
  return std::nullopt;
}

std::string StepId::str() const {
  std::string out(actionName(action));
  if (domain) out += ":" + domain->toStringNoDot();
  return out;
}

std::optional<StepId> StepId::parse(std::string_view text) {
  const auto colon = text.find(':');
  const auto action = actionFromName(text.substr(0, colon));
  if (!action) return std::nullopt;
  if (!actionInfo(*action).perDomain) {
    if (colon != std::string_view::npos) return std::nullopt;
    return StepId(*action);
  }
  if (colon == std::string_view::npos) return std::nullopt;
  auto domain = DnsName::parse(text.substr(colon + 1));
  if (!domain || domain->isRoot()) return std::nullopt;
  return StepId(*action, std::move(*domain));
}

std::strong_ordering operator<=>(const StepId& a, const StepId& b) {
  if (auto c = a.action <=> b.action; c != 0) return c;
  if (a.domain == b.domain) return std::strong_ordering::equal;
  if (!a.domain) return std::strong_ordering::less;
  if (!b.domain) return std::strong_ordering::greater;
  return *a.domain < *b.domain ? std::strong_ordering::less : std::strong_ordering::greater;
}

}  // namespace offboard
