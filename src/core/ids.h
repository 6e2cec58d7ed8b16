// The identities the contract names (SPEC §3 findings, SPEC §4 steps) as types, and the one
// table of step actions that checks, planner, state, gate and renderers all read.
//
// What it is for: a finding or a step is an enum inside offboard; its SPEC string exists only
// where it is parsed from or printed to JSON, the state, the command line or a report. The
// action table says, per action, its kind, whether it is per domain, its place in the plan,
// the findings it removes and the Graph service whose absence shows it was never needed.
// What it must not do: decide whether a step applies (the planner), or match records (checks).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/dns_name.h"

namespace offboard {

// SPEC §3, in SPEC order.
enum class FindingId : std::uint8_t {
  NsAtM365,
  MxAtM365,
  SpfIncludesM365,
  AutodiscoverAtM365,
  DkimAtM365,
  MsoidAtM365,
  TeamsAtM365,
  MdmAtM365,
  VerificationTxt,
  VerificationMx,
  LookupFailed,
  NsInconsistent,
  LameDelegation,
  NoMx,
  DomainNxdomain,
  MtaStsListsM365,
  DnssecDsMismatch,
  TargetMissingDot,
};

// Every finding id, in SPEC order.
std::span<const FindingId> findingIds();
// "mx-at-m365" …
std::string_view findingIdName(FindingId id);
// The inverse of findingIdName; nullopt for anything else (exact, lower case).
std::optional<FindingId> findingIdFromName(std::string_view name);

// SPEC §4 "kind": who or what completes a step.
enum class StepKind { Manual, Dns, Time };
std::string_view stepKindName(StepKind k);

// SPEC §4's steps, in plan order.
enum class Action : std::uint8_t {
  ConfirmAdminRole,
  ReduceLicenses,
  NotifyUsers,
  PrepareNewDnsHost,
  UpdateMtaSts,
  UpdateMx,
  UpdateSpf,
  RemoveAutodiscover,
  RemoveDkim,
  RemoveMsoid,
  RemoveTeamsRecords,
  RemoveMdmRecords,
  SwitchNs,
  WaitPropagation,
  MoveUsersOffDomain,
  BackupData,
  DefederateDomain,
  SetDefaultDomain,
  RemoveDomain,
  RemoveVerificationRecords,
  CancelSubscription,
  UninstallOffice,
};

struct ActionInfo {
  Action action;
  std::string_view name;     // "update-mx"
  bool perDomain;            // the step id is "name:DOMAIN"
  StepKind kind;
  std::string_view summary;  // one line for the list of valid steps
  // The findings the step's work removes (a DNS step is done when none is left).
  std::span<const FindingId> findings;
  // The Graph supportedServices entry (lower case) without which the domain never had the
  // records this step removes (SPEC §4 first-sight rule); empty when no service says so.
  std::string_view graphService;
};

// Every action, in plan order.
std::span<const ActionInfo> actions();
const ActionInfo& actionInfo(Action a);
inline std::string_view actionName(Action a) { return actionInfo(a).name; }
// The inverse of actionName; nullopt for anything else.
std::optional<Action> actionFromName(std::string_view name);

// A step's identity: its action, and its domain (A-label) for a per-domain action. Printed and
// parsed as SPEC §4's "update-mx:contoso.com" / "backup-data".
struct StepId {
  Action action = Action::ConfirmAdminRole;
  std::optional<DnsName> domain;

  StepId() = default;
  StepId(Action a) : action(a) {}  // NOLINT(google-explicit-constructor): tenant-wide steps
  StepId(Action a, DnsName d) : action(a), domain(std::move(d)) {}

  // "update-mx:contoso.com", "backup-data".
  std::string str() const;
  // The inverse of str() for text offboard wrote itself (the state's acks, waivers and plan
  // steps): an action of the table, ":" and a domain exactly when the action is per domain.
  // nullopt otherwise. What a user types goes through plan/steps' parseStepId instead, which
  // normalises IDNs and explains its refusals.
  static std::optional<StepId> parse(std::string_view text);
  friend bool operator==(const StepId& a, const StepId& b) = default;
  friend std::strong_ordering operator<=>(const StepId& a, const StepId& b);
};

}  // namespace offboard
