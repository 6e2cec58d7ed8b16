// Observation subjects: what the gate records about each domain each run, so that the
// propagation clock can be read back from the state history.
//
// What it is for: turning a DomainReport into one value per *subject* (an RRset a plan step
// changes: "MX contoso.com.", "NS(parent) contoso.com.", "CNAME autodiscover.contoso.com.", …),
// with whether it points at Microsoft 365, whether it is evidence at all, and its TTL; and
// reading a subject's history back (when did its current value first appear, what TTL did it
// have while it pointed at Microsoft 365).
// What it must not do: I/O or clock access; treating a failed lookup as a value (a failure is
// recorded with evidence=false and never starts or continues a propagation clock).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ids.h"
#include "core/types.h"
#include "state/state_types.h"

namespace offboard {

// Which RRset, or which part of one, a subject is.
enum class SubjectKind {
  ParentNs,         // the parent side of the delegation (what the registrar publishes)
  Ns,               // the zone's own NS set
  Mx,               // the apex MX set, verification MX excluded
  Spf,              // the apex TXT records that are SPF
  Probe,            // one of the checks' probes (checks/checks.h probes())
  VerificationMx,   // the apex *.msv1.invalid MX
  VerificationTxt,  // the apex MS=ms… TXT
  MtaSts,           // the MTA-STS policy the `_mta-sts` TXT announces (its id, mode, mx, max_age)
};

// One subject of a domain, and the plan step whose work changes it.
struct Subject {
  SubjectKind kind = SubjectKind::Probe;
  std::string key;          // the ObservationRow.subject, as printed: "MX contoso.com."
  Action action;            // the step whose work changes it
  DnsName name;
  RRType type = RRType::A;
  bool propagates = true;   // its old value's TTL counts for wait-propagation
};

// Every subject of `domain`, in plan order.
std::vector<Subject> subjectsOf(const DnsName& domain);

// A subject's current state as the report shows it.
struct SubjectState {
  std::string value;        // canonical RRset text ("a | b"), "absent", or a failure's outcome
  bool atM365 = false;
  bool evidence = false;    // false: the lookup failed, or the domain does not exist
  std::uint32_t ttl = 0;     // MtaSts: the policy's max_age, how long senders may hold it
  std::string detail;       // for failures: the finding's message
  bool seen = true;         // false: the source cannot see this subject (parent side via stub)
};
SubjectState subjectState(const DomainReport& report, const Subject& s);

// The rows the gate records for one report at time `now` (subjects the source cannot see are
// left out). `zoneValue`, when given, is recorded as the "ZONE D." subject (the records to
// recreate at the new DNS host, captured while Microsoft still hosts the zone).
std::vector<ObservationRow> observationsOf(const DomainReport& report, std::int64_t now,
                                           const std::optional<std::string>& zoneValue = {});

// The subject key holding a Microsoft-hosted zone's records to recreate, and whether a stored
// subject key is one (it holds a record list, not an RRset's value).
std::string zoneSubjectKey(const DnsName& domain);
bool isZoneSubjectKey(std::string_view key);

// A subject's history, oldest first (rows of snapshot.observations for domain+subject).
std::vector<const ObservationRow*> historyOf(const StateSnapshot& s, const DnsName& domain,
                                             std::string_view key);

// A snapshot read once: every subject's history and every step's standing ack, waiver and
// revocation, so that a plan over N domains with H rows costs O(N + H) lookups instead of a
// scan of the whole snapshot per question. It points into the snapshot, which must outlive it
// and not change while it is used. Answers exactly what historyOf and the scans below would.
class StateIndex {
 public:
  explicit StateIndex(const StateSnapshot& s);

  // historyOf(s, domain, key): the subject's rows, oldest first (empty when none).
  const std::vector<const ObservationRow*>& history(const DnsName& domain, std::string_view key) const;

  // The recorded order (seq) of the last revocation of `step`, or nullopt. A revocation
  // withdraws every ack and waiver of the step recorded before it, whatever their times say.
  std::optional<std::int64_t> revokedUpTo(const StepId& step) const;

  // The latest ack (waiver) of `step` in recorded order that no revocation withdrew, or nullptr
  // (among rows with equal seq, the one later in the snapshot).
  const AckRow* latestAck(const StepId& step) const;
  const WaiverRow* latestWaiver(const StepId& step) const;

  const StateSnapshot& snapshot() const { return s_; }

 private:
  struct StepRows {
    std::optional<std::int64_t> revoked;
    const AckRow* ack = nullptr;
    const WaiverRow* waiver = nullptr;
  };
  const StepRows* step(const StepId& id) const;

  const StateSnapshot& s_;
  // Key: the row's domain and subject (historyKey in observe.cc).
  std::unordered_map<std::string, std::vector<const ObservationRow*>> history_;
  std::map<StepId, StepRows> steps_;
};

// Largest TTL seen while the subject pointed at Microsoft 365 (recursive resolvers count TTLs
// down, so the largest observation is the closest to the real one); nullopt when never seen
// at Microsoft 365.
std::optional<std::uint32_t> m365Ttl(const std::vector<const ObservationRow*>& h);

// When the subject's current value counts as changed (SPEC §4 wait-propagation): the later of
// the first sighting of the current value (the first row, in recorded order, of the trailing run
// of rows with the latest row's value, all of them evidence and not at Microsoft 365; TTL
// differences do not break a run, a failed lookup or any other value does) and the last
// sighting of any earlier value. So a run stamped earlier than the old value's last sighting
// (a clock set back, --now in the past) cannot start the clock early. nullopt when the latest
// row is at Microsoft 365, a failure, or there is no row.
std::optional<std::int64_t> changedSince(const std::vector<const ObservationRow*>& h);

// A row recorded after a sighting later than its own time (the clock went back between runs).
struct OutOfOrder {
  std::int64_t at = 0;         // the row's time
  std::int64_t afterSeen = 0;  // the latest sighting recorded before it
  std::string value;
};
// The first row of `h` that is out of time order, or nullopt: such rows are reported, and never
// make the propagation clock start earlier (changedSince).
std::optional<OutOfOrder> outOfOrder(const std::vector<const ObservationRow*>& h);

// The subject's first row that is evidence (its first real sighting), or nullptr.
const ObservationRow* firstEvidence(const std::vector<const ObservationRow*>& h);

}  // namespace offboard
