// The state store: acknowledgements, waivers and DNS observation history in one SQLite file
// (SPEC §4 "State", `--state FILE`, default ./offboard.db), plus the audit log read by `history`.
//
// What it is for: durable, crash-atomic storage. Every write is one SQLite transaction taken
// with BEGIN IMMEDIATE, in WAL mode with synchronous=FULL, so a process killed at any point leaves
// the previous committed state, and two processes writing at once wait for each other
// (busy_timeout) instead of losing writes. Opening checks that the file really is an offboard
// state (SQLite magic, application_id, offboard_meta marker, known tables, schema version) and is
// intact (PRAGMA quick_check); a file that fails any check is refused and never written to.
// What it must not do: no clock (callers pass times in), no DNS, no policy: it does not decide what
// an ack or an observation means for the plan, and it never rewrites or deletes history.
// One StateStore belongs to one thread; never carry an open store across fork().
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "state/state_types.h"

struct sqlite3;

namespace offboard {

// Schema written by this build; a file with a larger PRAGMA user_version is refused.
// Version 1 files are upgraded in place when opened (version 2 added revocations).
inline constexpr int kStateSchemaVersion = 2;
// PRAGMA application_id of every offboard state file: "OFFB" in ASCII.
inline constexpr std::int32_t kStateApplicationId = 0x4F464642;

// How open() treats a path that holds no offboard state yet.
enum class OpenMode {
  // A missing file, a 0-byte file or an SQLite file with no schema at all (what a first run
  // killed before its first commit leaves) is initialised. Nothing is lost by that: such a file
  // holds no acks, waivers or observations, and an empty state only makes the gate stricter.
  CreateIfMissing,
  // The file must already be an initialised offboard state; missing, 0-byte and blank files are
  // refused (exit 2). For readers such as `status` and `history`.
  MustExist,
};

class StateStore {
 public:
  // Opens (or, per mode, creates) the state at path. On failure returns nullptr, sets *error to a
  // message naming the file, and *exitCode to 2 (not an offboard state, newer schema, corrupt,
  // missing, cannot be opened) or 4 (storage error: I/O error, disk full, lock timeout). A refused
  // file is left byte-identical. error and exitCode may be null.
  static std::unique_ptr<StateStore> open(const std::string& path, OpenMode mode,
                                          std::string* error, int* exitCode);

  // "SQLite 3.40.1": the library this process runs with.
  static std::string libraryVersion();

  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // The path given to open().
  const std::string& path() const { return path_; }

  // Appends an acknowledgement and its "ack" event, atomically. false (with *err set) only on a
  // storage error: the caller exits 4. Steps and names are stored as given (callers validate).
  bool addAck(const AckRow& ack, std::string* err);
  // Appends a waiver and its "waiver" event, atomically. false only on a storage error (exit 4).
  bool addWaiver(const WaiverRow& waiver, std::string* err);
  // Appends a revocation and its "revoke" event, atomically. false only on a storage error.
  bool addRevocation(const RevocationRow& revocation, std::string* err);

  // The tenant a state belongs to (SPEC §4): the first plan or gate binds it. Atomically: when
  // the state is unbound, records `identity` and returns Bound; otherwise asks
  // `sameTenant(stored)`: nullopt is Mismatch (nothing written), an identity is Matches and is
  // stored in place of the old one (an unnamed tenant's list of domains grows). *bound gets the
  // stored identity. Error (with *err) on a storage error. The store decides nothing: what
  // counts as the same tenant is the caller's rule.
  enum class Binding { Bound, Matches, Mismatch, Error };
  Binding bindTenant(const std::string& identity,
                     const std::function<std::optional<std::string>(const std::string& stored)>& sameTenant,
                     std::string* bound, std::string* err);
  // The stored identity, or "" when unbound; nullopt with *err on a storage error.
  std::optional<std::string> boundTenant(std::string* err);
  // The step ids of the latest plan made with this state (what ack, waive and revoke accept),
  // replaced by every plan and gate run. false only on a storage error.
  bool setPlanSteps(const std::vector<std::string>& ids, std::string* err);
  // nullopt with *err on a storage error; an empty list when no plan was made yet.
  std::optional<std::vector<std::string>> planSteps(std::string* err);

  // Records a batch of observations in ONE transaction: all of it or none of it is kept.
  // An observation equal to the latest stored one for its domain+subject (same value, atM365,
  // evidence and ttl) only advances that row's lastSeen and seenCount; its first-seen time `at`
  // is kept, because the propagation clock counts from it. Anything else becomes a new row.
  // Appends one "observe" event per domain in the batch. An empty batch writes nothing.
  // lastSeen and seenCount of the inputs are ignored. false only on a storage error (exit 4).
  bool recordObservations(const std::vector<ObservationRow>& rows, std::string* err);

  // Everything stored, read in one transaction (a consistent view), each list in insertion order.
  // Observations: one row per run of identical observations (see ObservationRow); the latest
  // row of a domain+subject is its current value. On a storage error returns an empty snapshot
  // and sets *err (non-empty *err means exit 4; callers must not treat that as "no state").
  StateSnapshot snapshot(std::string* err);
  // The audit log, oldest first. On a storage error returns {} and sets *err (exit 4).
  std::vector<HistoryEvent> history(std::string* err);

 private:
  StateStore(std::string path, sqlite3* db);

  std::string path_;
  sqlite3* db_;
};

}  // namespace offboard
