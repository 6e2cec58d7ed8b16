// The state store: acknowledgements, waivers and DNS observation history in one SQLite file
// (SPEC §4 "State", `--state FILE`, default ./offboard.db), plus the audit log read by `history`.
//
// What it is for: durable, crash-atomic storage. Every write is one SQLite transaction taken
// with BEGIN IMMEDIATE, in WAL mode with synchronous=FULL, so a process killed at any point leaves
// the previous committed state, and two processes writing at once wait for each other
// (busy_timeout) instead of losing writes. Opening checks that the file really is an offboard
// state (SQLite magic, application_id, offboard_meta marker, known tables, schema version) and is
// intact (PRAGMA quick_check); a file that fails any check is refused and never written to.
// Every failure is a typed Status (core/status.h) whose message names the file.
// What it must not do: no clock (callers pass times in), no DNS, no policy: it does not decide what
// an ack or an observation means for the plan, and it never rewrites or deletes history. No exit
// codes either: the commands map a Status to one (commands/common.cc exitCodeOf).
// One StateStore belongs to one thread; never carry an open store across fork().
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
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
  // refused (NotFound). For readers such as `status` and `history`.
  MustExist,
};

class StateStore {
 public:
  // Opens (or, per mode, creates) the state at path. A refused file is left byte-identical, and
  // the Status message names it. NotFound: missing, or (MustExist) 0-byte or blank. NotAState:
  // not a regular file, not SQLite, another program's database, a newer schema, or tables that
  // are not offboard's. Corrupt: SQLite or quick_check finds it damaged, or its markers disagree.
  // AccessDenied: not ours to open. Busy: another process held the lock past the busy timeout.
  // IoError: the machine said no (I/O error, disk full, no file descriptors left).
  [[nodiscard]] static Result<std::unique_ptr<StateStore>> open(const std::string& path, OpenMode mode);

  // "SQLite 3.40.1": the library this process runs with.
  static std::string libraryVersion();

  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // The path given to open().
  const std::string& path() const { return path_; }

  // After open() the file has passed its checks, so every failure below is the storage's, as
  // SQLite reports it: Busy (the lock was held past the busy timeout) or IoError (anything
  // else: I/O error, disk full, file too large, a page found malformed since open).

  // Appends an acknowledgement and its "ack" event, atomically. Steps and names are stored as
  // given (callers validate).
  [[nodiscard]] Status addAck(const AckRow& ack);
  // Appends a waiver and its "waiver" event, atomically.
  [[nodiscard]] Status addWaiver(const WaiverRow& waiver);
  // Appends a revocation and its "revoke" event, atomically.
  [[nodiscard]] Status addRevocation(const RevocationRow& revocation);

  // What bindTenant found: the state was unbound and is now bound to the identity, it was bound
  // to the same tenant, or to another one (nothing written). `stored` is the identity the state
  // held before the call ("" when it was unbound).
  struct Binding {
    enum class Kind { Bound, Matches, Mismatch };
    Kind kind = Kind::Mismatch;  // until the store has looked: fail closed
    std::string stored;
  };
  // The tenant a state belongs to (SPEC §4): the first plan or gate binds it. Atomically: when
  // the state is unbound, records `identity` (Bound); otherwise asks `sameTenant(stored)`:
  // nullopt is Mismatch, an identity is Matches and is stored in place of the old one (an
  // unnamed tenant's list of domains grows). The store decides nothing: what counts as the same
  // tenant is the caller's rule.
  [[nodiscard]] Result<Binding> bindTenant(
      const std::string& identity,
      const std::function<std::optional<std::string>(const std::string& stored)>& sameTenant);
  // The stored identity, or "" when unbound.
  [[nodiscard]] Result<std::string> boundTenant();
  // The step ids of the latest plan made with this state (what ack, waive and revoke accept),
  // replaced by every plan and gate run.
  [[nodiscard]] Status setPlanSteps(const std::vector<std::string>& ids);
  // An empty list when no plan was made yet.
  [[nodiscard]] Result<std::vector<std::string>> planSteps();

  // Records a batch of observations in ONE transaction: all of it or none of it is kept.
  // An observation equal to the latest stored one for its domain+subject (same value, atM365,
  // evidence and ttl) only advances that row's lastSeen and seenCount; its first-seen time `at`
  // is kept, because the propagation clock counts from it. Anything else becomes a new row.
  // Appends one "observe" event per domain in the batch. An empty batch writes nothing.
  // lastSeen and seenCount of the inputs are ignored.
  [[nodiscard]] Status recordObservations(const std::vector<ObservationRow>& rows);

  // Everything stored, read in one transaction (a consistent view), each list in insertion order.
  // Observations: one row per run of identical observations (see ObservationRow); the latest
  // row of a domain+subject is its current value. A failed read has no snapshot at all, so it
  // can never pass for an empty state.
  [[nodiscard]] Result<StateSnapshot> snapshot();
  // The audit log, oldest first.
  [[nodiscard]] Result<std::vector<HistoryEvent>> history();

 private:
  StateStore(std::string path, sqlite3* db);

  std::string path_;
  sqlite3* db_;
};

}  // namespace offboard
