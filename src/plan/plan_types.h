// The plan: the ordered runbook `plan` prints and the gate judges (SPEC §4).
//
// What it is for: plain values shared by the planner (which builds a Plan), the gate (which
// decides on it) and the renderers (which print it): as data, codes and typed records, so
// that every format and every language says the same (render/step_text has the words).
// What it must not do: hold prose, compute anything beyond naming; no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "core/types.h"
#include "state/state_types.h"

namespace offboard {

// done: verified; open: still to do; waived: a recorded exception; indeterminate: the evidence
// needed to decide is missing (a lookup failed) — never treated as done (fail closed).
enum class StepStatus { Done, Open, Waived, Indeterminate };

inline std::string_view stepStatusName(StepStatus s) {
  switch (s) {
    case StepStatus::Done: return "done";
    case StepStatus::Open: return "open";
    case StepStatus::Waived: return "waived";
    case StepStatus::Indeterminate: return "indeterminate";
  }
  return "open";
}

// Why a wait lasts as long as it does.
enum class WaitBasis {
  TtlAtM365,        // the largest TTL the record was seen with at Microsoft 365
  AssumedParentNs,  // a delegation whose parent-side TTL was never seen: kAssumedParentNsTtl
  FirstSight,       // first observed already changed: the TTL seen then (SPEC §4 first-sight rule)
  MtaStsMaxAge,     // update-mx: the max_age of the MTA-STS policy that admitted only Microsoft's MX
};

// One line of a step's work, as data: the renderers say it in words (render/step_text).
struct RecordChange {
  enum class Op {
    Create,         // create `record`
    CreateAny,      // create a record of `record`'s name and type; `any` says what it may hold
    Delete,         // delete `record` (`ttlKnown` false: its TTL was not seen)
    Replace,        // replace `record` by `to`
    LastSeen,       // nothing left to change: `subject` was `value` at Microsoft 365 until `at`
    RestOfZone,     // every other record of the hosted zone (offboard cannot list it)
    SetDelegation,  // at the registrar: the NS of `record.name` become `targets` (empty: unknown)
    Wait,           // `subject` as it is now since `at`; `ttl` by `basis`; not before `until`
    MoveObject,     // an object (user, group, …) still using the domain: `value`
    PublishPolicy,  // serve `value` (an MTA-STS policy body) at `subject` (the policy URL)
  };
  // What a CreateAny record may hold.
  enum class Any {
    NewMailMx,        // the new provider's MX, or a null MX (update-mx without new_mail.mx)
    Described,        // `value` describes it (a required record's note, as the state keeps it)
  };
  Op op = Op::Create;
  Record record;
  std::optional<Record> to;
  bool ttlKnown = true;
  Any any = Any::Described;
  bool authorisesNothing = false;  // Replace of SPF: the result authorises no sender
  std::string subject;             // LastSeen, Wait: the subject key ("MX contoso.com.")
  std::string value;               // LastSeen: the value then; MoveObject: the object; Any::Described
  std::int64_t at = 0, until = 0;
  std::uint32_t ttl = 0;
  WaitBasis basis = WaitBasis::TtlAtM365;
  std::vector<DnsName> targets;
};

// Why a step has its status now: a code and the facts it names (render/step_text says it).
enum class Reason : std::uint8_t {
  None,
  // Manual steps and acknowledgements.
  Acknowledged,        // by `who` at `at` (`text`: the note)
  NotAcknowledged,
  AckFromFuture,       // acknowledged by `who` at `at`, after now (`at2`)
  AckOutOfOrder,       // by `who` at `at`, while `step` was open; or (`flag`) before `step` was done at `at2`
  WaitingFor,          // a wait whose change `step` is open again
  UnlockedByGate,      // cancel-subscription
  // DNS steps.
  StillAtM365,         // `seen`: the subjects and their values
  NoEvidence,          // `seen`: the subject (or none) and the failure's detail
  NotResolved,         // `seen`: the first subject; the domain was not resolved at all
  NoLongerAtM365,
  DomainMissing,       // the domain does not exist in DNS (`step` may be waived)
  NoMxAtAll,
  NullMx,
  MxIs,                // `records`: the MX set now
  MxNotExpected,       // `records`: the MX set now, `expected`: new_mail.mx
  // update-mta-sts; `text2`: the last policy seen admitting only Microsoft's MX (its summary).
  MtaStsRecordRemoved,   // the `_mta-sts` TXT is gone while senders may hold that policy
  MtaStsRecordInvalid,   // `text`: the `_mta-sts` TXT, which RFC 8461 §3.1 does not accept (or one of several)
  MtaStsSameId,          // `text`: the id, the same as while the policy admitted only Microsoft's MX
  MtaStsNewMxNotListed,  // `expected`: the new MX the policy does not admit
  // prepare-new-dns-host.
  HostingUnknown,      // whether Microsoft hosts the zone could not be read
  NewHostUnavailable,  // `text`: why the new host could not be asked
  NewHostNoAnswer,     // `text`: the first failure
  NewHostMissing,      // at `text` (the servers): `missing` (Create or CreateAny changes)
  NewHostComplete,     // all `count` records answered by `text`
  NewHostUnnamed,      // the new DNS host's nameservers are not named
  NewHostNotQueried,
  // switch-ns.
  ParentAtM365,        // `text`: the parent's NS set
  ChildAtM365,         // `text`: the zone's NS set; `flag`: the parent no longer delegates to Microsoft
  ParentSwitched,      // `text`: the parent's NS set
  ChildOnlySwitched,   // `text`: the zone's NS set; the source does not see the parent
  // switch-ns, DNSSEC (SPEC §3 dnssec-ds-mismatch); `flag`: the delegation names Microsoft no
  // longer (the DNS host it names serves the zone now).
  DsMismatch,          // `records`: the parent's DS records matching no key; `text`: who answered for the host
  DsUnverified,        // `seen`: ("", the message of the first DS/DNSKEY lookup or comparison without evidence)
  DsNewHostUnnamed,    // the parent publishes DS and the new DNS host is not named
  // wait-propagation.
  WaitChangePending,   // `seen`: the subjects still at Microsoft 365
  NothingToWait,
  WaitOver,            // stable since `at`
  WaitUntil,           // caches may hold the old records until `at` (now is `at2`)
  // Removal, from a Graph export.
  GraphNoReferences,   // in `text` (the file)
  GraphReferences,     // `count` objects, in `seen` (their names as keys)
  GraphReferencesOverLimit,  // as GraphReferences, `count` above forceDelete's limit (kForceDeleteObjectLimit)
  AbsentFromGraph,     // from `text` (the file)
  // A force delete (Graph state.operation ForceDelete) of the domain: `text` its status as
  // exported, `at` state.lastActionDateTime (`flag` false: unknown); `who` and `at2`: an ack set
  // aside because it is not newer than that (`who` empty: none).
  ForceDeleteRunning,  // Scheduled, InProgress (or a status Graph did not document)
  ForceDeleteFailed,
  // defederate-domain.
  GraphFederated,      // authenticationType Federated in `text` (the file)
  GraphAuthUnknown,    // authenticationType `text` (neither Managed nor Federated) in `text2` (the file)
  GraphManaged,        // authenticationType Managed in `text` (the file)
  // set-default-domain.
  GraphIsDefault,      // `text` (the domain shown), being removed, is the default in `text2` (the file)
  GraphOtherDefault,   // `text` (a domain that stays) is the default in `text2` (the file)
  // defederate-domain, set-default-domain: the state's last plan had the step, and the input
  // (`text`, the file; empty for domain arguments) does not show Graph's answer again.
  GraphNotShownAgain,
};

// The stable code of a reason (plan JSON "reason"): what a script matches on, beside the words.
inline std::string_view reasonName(Reason r) {
  switch (r) {
    case Reason::None: return "none";
    case Reason::Acknowledged: return "acknowledged";
    case Reason::NotAcknowledged: return "not-acknowledged";
    case Reason::AckFromFuture: return "ack-from-future";
    case Reason::AckOutOfOrder: return "ack-out-of-order";
    case Reason::WaitingFor: return "waiting-for";
    case Reason::UnlockedByGate: return "unlocked-by-gate";
    case Reason::StillAtM365: return "still-at-m365";
    case Reason::NoEvidence: return "no-evidence";
    case Reason::NotResolved: return "not-resolved";
    case Reason::NoLongerAtM365: return "no-longer-at-m365";
    case Reason::DomainMissing: return "domain-missing";
    case Reason::NoMxAtAll: return "no-mx-at-all";
    case Reason::NullMx: return "null-mx";
    case Reason::MxIs: return "mx-is";
    case Reason::MxNotExpected: return "mx-not-expected";
    case Reason::MtaStsRecordRemoved: return "mta-sts-record-removed";
    case Reason::MtaStsRecordInvalid: return "mta-sts-record-invalid";
    case Reason::MtaStsSameId: return "mta-sts-same-id";
    case Reason::MtaStsNewMxNotListed: return "mta-sts-new-mx-not-listed";
    case Reason::HostingUnknown: return "hosting-unknown";
    case Reason::NewHostUnavailable: return "new-host-unavailable";
    case Reason::NewHostNoAnswer: return "new-host-no-answer";
    case Reason::NewHostMissing: return "new-host-missing";
    case Reason::NewHostComplete: return "new-host-complete";
    case Reason::NewHostUnnamed: return "new-host-unnamed";
    case Reason::NewHostNotQueried: return "new-host-not-queried";
    case Reason::ParentAtM365: return "parent-at-m365";
    case Reason::ChildAtM365: return "child-at-m365";
    case Reason::ParentSwitched: return "parent-switched";
    case Reason::ChildOnlySwitched: return "child-only-switched";
    case Reason::DsMismatch: return "ds-mismatch";
    case Reason::DsUnverified: return "ds-unverified";
    case Reason::DsNewHostUnnamed: return "ds-new-host-unnamed";
    case Reason::WaitChangePending: return "wait-change-pending";
    case Reason::NothingToWait: return "nothing-to-wait";
    case Reason::WaitOver: return "wait-over";
    case Reason::WaitUntil: return "wait-until";
    case Reason::GraphNoReferences: return "graph-no-references";
    case Reason::GraphReferences: return "graph-references";
    case Reason::GraphReferencesOverLimit: return "graph-references-over-limit";
    case Reason::AbsentFromGraph: return "absent-from-graph";
    case Reason::ForceDeleteRunning: return "force-delete-running";
    case Reason::ForceDeleteFailed: return "force-delete-failed";
    case Reason::GraphFederated: return "graph-federated";
    case Reason::GraphAuthUnknown: return "graph-auth-unknown";
    case Reason::GraphManaged: return "graph-managed";
    case Reason::GraphIsDefault: return "graph-is-default";
    case Reason::GraphOtherDefault: return "graph-other-default";
    case Reason::GraphNotShownAgain: return "graph-not-shown-again";
  }
  return "none";
}

struct StepState {
  StepState() = default;
  explicit StepState(Reason r, std::string who_ = {}, std::string text_ = {}, std::string text2_ = {},
                     std::int64_t at_ = 0, std::int64_t at2_ = 0)
      : reason(r), who(std::move(who_)), text(std::move(text_)), text2(std::move(text2_)), at(at_), at2(at2_) {}

  Reason reason = Reason::None;
  std::string who, text, text2;
  std::int64_t at = 0, at2 = 0;
  std::size_t count = 0;
  bool flag = false;
  std::optional<StepId> step;
  // The subjects the state rests on: a subject key ("MX contoso.com.", or empty) and its value
  // as seen, or the failure's detail.
  std::vector<std::pair<std::string, std::string>> seen;
  std::vector<Record> records, expected;  // MX: as seen, as new_mail.mx gives them
  std::vector<RecordChange> missing;      // records the new DNS host does not serve yet
};

// What a step's words depend on beyond its action and state (render/step_text).
struct StepContext {
  bool atNewHost = false;   // DNS changes: made in the zone at the new DNS host (Microsoft hosts it)
  bool afterWaits = false;  // backup-data, move-users-off-domain: after the waits
  std::optional<std::string> cutover;      // notify-users: the tenant file's cut-over date
  std::vector<std::string> subscriptions;  // reduce-licenses: "NAME (N assigned)"; cancel: names
  std::string defaultDomain;  // set-default-domain: the default domain being removed (shown); empty: unknown
};

struct PlanStep {
  StepId id;                      // update-mx:contoso.com (its domain the A-label), backup-data
  std::string domainShown;        // "bücher.example (xn--bcher-kva.example)" or "contoso.com"
  StepKind kind = StepKind::Manual;
  StepStatus status = StepStatus::Open;
  std::vector<StepId> after;      // the steps that must be carried out first
  StepContext context;            // why it is in the plan, beyond its action
  StepState state;                // why it has its status now (evidence, ack, clock); a waiver is `waiver`
  std::vector<RecordChange> changes;  // exact records to create / change / delete, or details
  std::optional<std::int64_t> notBefore;   // time steps: earliest completion (unix seconds)
  std::optional<std::int64_t> clockStart;  // time steps: when the earliest clock started
  // When a done step became done (the ack, the change's sighting, the end of a wait); nullopt
  // when that time is unknown or not needed (done by a Graph export). An ack of a later step
  // made before this time does not count (SPEC §4: acks out of order).
  std::optional<std::int64_t> doneSince;
  bool ackOutOfOrder = false;  // an ack exists but was made while a step before it was open
  bool gating = true;     // false: never blocks the gate (cancel-subscription, uninstall-office)
  bool optional = false;  // uninstall-office
  std::optional<AckRow> ack;
  std::optional<WaiverRow> waiver;
};

// Where a run's DNS evidence came from (SPEC §4 "evidence"): every plan and gate output says it.
enum class EvidenceSource { SystemResolver, Resolver, Authoritative, Zones };

// "system-resolver", "resolver", "authoritative", "zones" (SPEC §4, stable).
inline std::string_view evidenceSourceName(EvidenceSource s) {
  switch (s) {
    case EvidenceSource::SystemResolver: return "system-resolver";
    case EvidenceSource::Resolver: return "resolver";
    case EvidenceSource::Authoritative: return "authoritative";
    case EvidenceSource::Zones: return "zones";
  }
  return "system-resolver";
}

struct EvidenceInfo {
  EvidenceSource source = EvidenceSource::SystemResolver;
  // Who was asked: resolver addresses ("127.0.0.53:53"), "built-in root hints" (or the root
  // hints file), or the zone directory for --zones.
  std::vector<std::string> servers;
  // false for zone files: nothing live was asked, so a passing gate is an offline rehearsal.
  bool live = true;
};

// Something the admin must know about the plan as a whole, as data (render/step_text says it).
struct PlanNote {
  enum class Kind {
    Skipped,               // the tenant import skipped `text` (its own reason)
    DomainsMayStay,        // another subscription stays active: `text` names them
    OutOfTimeOrder,        // `text` (a subject) recorded as `value` at `at`, after a sighting at `at2`
    CloudMismatch,         // the tenant file says `cloud`, `text`'s DNS points at `cloud2`
    LegacyGermany,         // the legacy German cloud closed in 2021
    OnlyInHistory,         // `text` (the domain shown) is known only from the state; `flag`: a Graph export
    AdminManagedSwitched,  // `text` (the domain shown): Graph says Microsoft manages its DNS, NS say not
  };
  Kind kind = Kind::Skipped;
  std::string text, value;
  std::int64_t at = 0, at2 = 0;
  Cloud cloud = Cloud::None, cloud2 = Cloud::None;
  bool flag = false;
  std::optional<DnsName> domain;  // OnlyInHistory: for the ack remove-domain command
};

// Where the plan's cloud came from.
enum class CloudBasis { TenantFile, Dns, Assumed };

struct Plan {
  EvidenceInfo evidence;          // where the DNS evidence came from
  std::string tenant;             // tenant name when known
  Cloud cloud = Cloud::Worldwide;
  CloudBasis cloudBasis = CloudBasis::Assumed;
  std::string cloudBasisDomain;   // CloudBasis::Dns: the domain whose records showed it
  std::int64_t now = 0;
  std::vector<PlanStep> steps;    // in the order to carry them out
  std::vector<PlanNote> notes;    // things the admin must know (skipped domains, assumptions)
  bool domainsMayStay = false;    // another subscription stays active
  std::string adminCenter;        // the admin center URL for the cloud
};

// The step with this id, or nullptr.
inline const PlanStep* findStep(const Plan& p, const StepId& id) {
  for (const auto& s : p.steps)
    if (s.id == id) return &s;
  return nullptr;
}

}  // namespace offboard
