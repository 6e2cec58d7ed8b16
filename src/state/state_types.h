// Plain values stored in and read from the offboard state file (SPEC §4 "State").
//
// What it is for: the vocabulary shared by the state store (src/state/state_store.h) and the
// planner/gate, which reads acknowledgements, waivers and DNS observations from a snapshot.
// What it must not do: no SQLite, no I/O, no clock. Every time is unix seconds UTC, supplied by
// the caller, so that tests and the gate control the clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace offboard {

// An operator's acknowledgement of a plan step (`offboard ack STEP --by WHO`).
// `seq` orders acks, waivers and revocations among each other as they were recorded (the
// audit log's event id), whatever their `at` says: a revocation withdraws what was recorded
// before it, even when a clock or --now stamped it earlier.
struct AckRow {
  std::string step;
  std::string by;
  std::string note;
  std::int64_t at = 0;  // unix seconds UTC
  std::int64_t seq = 0;
};

// An operator's waiver of a plan step: the gate no longer requires it.
struct WaiverRow {
  std::string step;
  std::string by;
  std::string reason;
  std::int64_t at = 0;  // unix seconds UTC
  std::int64_t seq = 0;
};

// The withdrawal of every ack and waiver of `step` recorded before it (`offboard revoke`).
struct RevocationRow {
  std::string step;
  std::string by;
  std::string reason;
  std::int64_t at = 0;  // unix seconds UTC
  std::int64_t seq = 0;
};

// One observation of one DNS subject at one time, as the gate saw it.
// In a snapshot, one row stands for a run of identical consecutive observations of the same
// domain+subject: `at` is the FIRST time this run was seen (the propagation clock counts from it),
// `lastSeen` the latest, `seenCount` how many observations were folded into the row.
struct ObservationRow {
  std::string domain;    // A-label, no trailing dot ("contoso.com")
  std::string subject;   // what was looked at: "MX contoso.com.", "NS(parent) contoso.com.", …
  std::string value;     // canonical RRset text (data sorted, joined with " | ") or an outcome
                         // name for non-answers ("nxdomain", "nodata", "timeout")
  bool atM365 = false;   // did this value point at Microsoft 365?
  bool evidence = true;  // false when the lookup failed (timeout, servfail …)
  std::uint32_t ttl = 0; // TTL of the RRset (or negative TTL, RFC 2308)
  std::int64_t at = 0;   // unix seconds UTC; first time seen (see above)
  // Filled by StateStore::snapshot; ignored by recordObservations (which uses `at`).
  std::int64_t lastSeen = 0;       // unix seconds UTC; latest time this run was seen
  std::uint32_t seenCount = 1;     // observations folded into this row
};

// Everything the planner/gate needs from the state file, in insertion order (oldest first).
struct StateSnapshot {
  std::vector<AckRow> acks;
  std::vector<WaiverRow> waivers;
  std::vector<RevocationRow> revocations;
  std::vector<ObservationRow> observations;
};

// One line of the audit log read by `offboard history`. Appended by every write, never edited.
struct HistoryEvent {
  std::int64_t id = 0;   // increasing with insertion order
  std::int64_t at = 0;   // unix seconds UTC, as given by the writer
  std::string kind;      // "ack", "waiver", "revoke" or "observe"
  std::string target;    // step for ack/waiver; domain (or comma-joined domains) for observe
  std::string by;        // who (empty for observations)
  std::string text;      // note, reason, or a summary of the observation batch
};

}  // namespace offboard
