// SQLite-backed state store. See state_store.h for the contract.
//
// Durability choices (SQLite documentation, "Write-Ahead Logging" and "PRAGMA synchronous"):
// journal_mode=WAL with synchronous=FULL, because with NORMAL a transaction committed in WAL mode
// may roll back after a power loss; every write opens with BEGIN IMMEDIATE so that the write
// lock is taken up front and the busy handler (busy_timeout) can wait for it — a deferred
// transaction that upgrades to a write in WAL mode fails with SQLITE_BUSY_SNAPSHOT without waiting.

#include "state/state_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

namespace offboard {
namespace {

constexpr int kBusyTimeoutMs = 10'000;

// The schema of version 1. The current schema is this followed by kMigrateToV2Sql, for a new
// file as for a version-1 file being upgraded, so both end with the same sqlite_schema text. A
// file is accepted only when its sqlite_schema is exactly what these statements produce
// (compared with an in-memory database built from them), so a foreign or hand-edited database is
// refused rather than half-understood.
// acks, waivers, revocations and events are append-only (the audit log must not be rewritten);
// observation rows are updated only to advance last_seen/seen_count; offboard_meta holds the
// markers, the tenant binding and the latest plan's step ids.
constexpr const char* kSchemaV1Sql = R"sql(
CREATE TABLE offboard_meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE acks (
  id   INTEGER PRIMARY KEY,
  step TEXT NOT NULL,
  who  TEXT NOT NULL,
  note TEXT NOT NULL,
  at   INTEGER NOT NULL
) STRICT;
CREATE TABLE waivers (
  id     INTEGER PRIMARY KEY,
  step   TEXT NOT NULL,
  who    TEXT NOT NULL,
  reason TEXT NOT NULL,
  at     INTEGER NOT NULL
) STRICT;
CREATE TABLE observations (
  id         INTEGER PRIMARY KEY,
  domain     TEXT NOT NULL,
  subject    TEXT NOT NULL,
  value      TEXT NOT NULL,
  at_m365    INTEGER NOT NULL CHECK (at_m365 IN (0, 1)),
  evidence   INTEGER NOT NULL CHECK (evidence IN (0, 1)),
  ttl        INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 4294967295),
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  seen_count INTEGER NOT NULL CHECK (seen_count >= 1)
) STRICT;
CREATE INDEX observations_by_subject ON observations (domain, subject, id);
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  at     INTEGER NOT NULL,
  kind   TEXT NOT NULL CHECK (kind IN ('ack', 'waiver', 'observe')),
  target TEXT NOT NULL,
  who    TEXT NOT NULL,
  text   TEXT NOT NULL
) STRICT;
CREATE TRIGGER acks_append_only_u BEFORE UPDATE ON acks
  BEGIN SELECT RAISE(ABORT, 'acks are append-only'); END;
CREATE TRIGGER acks_append_only_d BEFORE DELETE ON acks
  BEGIN SELECT RAISE(ABORT, 'acks are append-only'); END;
CREATE TRIGGER waivers_append_only_u BEFORE UPDATE ON waivers
  BEGIN SELECT RAISE(ABORT, 'waivers are append-only'); END;
CREATE TRIGGER waivers_append_only_d BEFORE DELETE ON waivers
  BEGIN SELECT RAISE(ABORT, 'waivers are append-only'); END;
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
)sql";

// Version 2: revocations (`offboard revoke`), and events that may say so. SQLite cannot change a
// CHECK constraint in place: the events table is rebuilt with its rows (a rename carries the old
// triggers along, and dropping the old table drops them).
constexpr const char* kMigrateToV2Sql = R"sql(
CREATE TABLE revocations (
  id     INTEGER PRIMARY KEY,
  step   TEXT NOT NULL,
  who    TEXT NOT NULL,
  reason TEXT NOT NULL,
  at     INTEGER NOT NULL
) STRICT;
CREATE TRIGGER revocations_append_only_u BEFORE UPDATE ON revocations
  BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
CREATE TRIGGER revocations_append_only_d BEFORE DELETE ON revocations
  BEGIN SELECT RAISE(ABORT, 'revocations are append-only'); END;
ALTER TABLE events RENAME TO events_v1;
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  at     INTEGER NOT NULL,
  kind   TEXT NOT NULL CHECK (kind IN ('ack', 'waiver', 'revoke', 'observe')),
  target TEXT NOT NULL,
  who    TEXT NOT NULL,
  text   TEXT NOT NULL
) STRICT;
INSERT INTO events (id, at, kind, target, who, text)
  SELECT id, at, kind, target, who, text FROM events_v1 ORDER BY id;
DROP TABLE events_v1;
CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_d BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
UPDATE offboard_meta SET value = '2' WHERE key = 'schema';
PRAGMA user_version = 2;
)sql";

constexpr const char* kMetaApplication = "offboard";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A failed SQLite call: the (extended) result code and the message to show.
struct SqlError {
  int code = SQLITE_OK;
  std::string message;
  explicit operator bool() const { return code != SQLITE_OK; }
};

SqlError lastError(sqlite3* db, int rc) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  SqlError e{rc, msg != nullptr ? msg : sqlite3_errstr(rc)};
  // SQLite says "disk I/O error" for a full disk; the system's reason is what the operator
  // can act on ("No space left on device", "Read-only file system").
  const int primary = rc & 0xff;
  const int sys = db != nullptr && (primary == SQLITE_IOERR || primary == SQLITE_FULL)
                      ? sqlite3_system_errno(db)
                      : 0;
  if (sys != 0) e.message += std::string(" (") + std::strerror(sys) + ")";
  // The first read of a WAL database creates and maps its shared-memory index beside it: on a
  // full disk that fails before a byte of the file itself is read. Say which file it was.
  switch (rc) {
    case SQLITE_IOERR_SHMOPEN:
    case SQLITE_IOERR_SHMSIZE:
    case SQLITE_IOERR_SHMMAP: {
      const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
      e.message += std::string(" on its WAL index ") +
                   (file != nullptr && *file != '\0' ? std::string(file) + "-shm" : "(-shm)");
      break;
    }
    default: break;
  }
  return e;
}

// One of Status's factories: the kind of a failure, chosen before its message is written.
using StatusOf = Status (*)(std::string);

// The storage's trouble rather than the file's: the messages say "storage error".
bool isStorage(StatusOf kind) { return kind == Status::ioError || kind == Status::busy; }

// Why open() refuses a file: its kind, and what to say after "state file PATH: ". None when
// kind is null.
struct Refusal {
  StatusOf kind = nullptr;
  std::string what;
  explicit operator bool() const { return kind != nullptr; }
};

// What an errno from opening or reading the file says: the path leads to no file (NotFound),
// the file is not ours to open (AccessDenied), it is a directory (NotAState), or the machine is
// in trouble — no file descriptors left, no memory, an I/O error — which says nothing about the
// file (IoError).
StatusOf errnoKind(int e) {
  switch (e) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG: return Status::notFound;
    case EACCES:
    case EPERM:
    case EROFS: return Status::accessDenied;
    case EISDIR: return Status::notAState;
    default: return Status::ioError;
  }
}

// What a failed SQLite call while opening says, given the errno SQLite saw (`sys`, 0 if none).
// Only SQLite's own verdict makes a file Corrupt; a file SQLite cannot open is judged by the
// errno, so that running out of file descriptors (SQLITE_CANTOPEN with EMFILE) is never taken
// for a bad file.
StatusOf openFailureKind(int rc, int sys) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::corrupt;
    case SQLITE_CANTOPEN: return sys != 0 ? errnoKind(sys) : Status::notFound;
    case SQLITE_PERM:
    case SQLITE_AUTH: return Status::accessDenied;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::busy;
    default: return Status::ioError;  // SQLITE_IOERR, SQLITE_FULL, SQLITE_NOMEM, SQLITE_TOOBIG …
  }
}

SqlError exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  SqlError e{sqlite3_extended_errcode(db), msg != nullptr ? msg : sqlite3_errstr(rc)};
  sqlite3_free(msg);
  return e;
}

// The one transaction wrapper. Read: BEGIN (deferred), so that several SELECTs see one
// consistent state, then rolled back, since nothing was written. Write: BEGIN IMMEDIATE, so
// that the write lock is taken up front and the busy handler can wait for it (see the top of
// this file), then committed. Either is rolled back when anything in it failed.
enum class Txn { Read, Write };

template <typename Body>
SqlError transaction(sqlite3* db, Txn kind, Body&& body) {
  if (auto e = exec(db, kind == Txn::Write ? "BEGIN IMMEDIATE" : "BEGIN")) return e;
  SqlError e = body();
  if (!e && kind == Txn::Write) e = exec(db, "COMMIT");
  if (sqlite3_get_autocommit(db) == 0) exec(db, "ROLLBACK");
  return e;
}

SqlError prepare(sqlite3* db, std::string_view sql, StmtPtr* out) {
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s, nullptr);
  // The error is read before *out's previous statement is finalized: sqlite3_finalize() sets
  // the connection's error code and message to that statement's (SQLITE_OK), which would turn
  // this failure into a success and the next step into a no-op on a null statement.
  SqlError e = rc == SQLITE_OK ? SqlError{} : lastError(db, sqlite3_extended_errcode(db));
  out->reset(s);
  return e;
}

std::string columnText(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  if (t == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<std::size_t>(sqlite3_column_bytes(s, col)));
}

void bindText(sqlite3_stmt* s, int idx, std::string_view v) {
  sqlite3_bind_text(s, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

// Runs a statement that returns one integer (a pragma); nullopt-like failure via SqlError.
SqlError queryInt(sqlite3* db, const char* sql, std::int64_t* out) {
  StmtPtr s;
  if (auto e = prepare(db, sql, &s)) return e;
  const int rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW) return lastError(db, sqlite3_extended_errcode(db));
  *out = sqlite3_column_int64(s.get(), 0);
  return {};
}

// One schema object, as sqlite_schema lists it.
struct SchemaObject {
  std::string type, name, table, sql;
  bool operator==(const SchemaObject&) const = default;
};

SqlError readSchema(sqlite3* db, std::vector<SchemaObject>* out) {
  StmtPtr s;
  // sqlite_autoindex_* entries (for PRIMARY KEY on text) have no sql and are implied by tables.
  if (auto e = prepare(db,
                       "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema "
                       "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name",
                       &s))
    return e;
  out->clear();
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    out->push_back({columnText(s.get(), 0), columnText(s.get(), 1), columnText(s.get(), 2),
                    columnText(s.get(), 3)});
  }
  if (rc != SQLITE_DONE) return lastError(db, sqlite3_extended_errcode(db));
  return {};
}

// The schema objects of `version` (1, or the current one), built in a private in-memory database.
SqlError expectedSchema(int version, std::vector<SchemaObject>* out) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE, nullptr);
  DbPtr mem(raw);
  if (rc != SQLITE_OK) return lastError(raw, rc);
  if (auto e = exec(mem.get(), kSchemaV1Sql)) return e;
  if (version >= 2)
    if (auto e = exec(mem.get(), kMigrateToV2Sql)) return e;
  return readSchema(mem.get(), out);
}

// What is in a file before we decide to use it.
struct Inspection {
  bool blank = false;  // no schema objects, application_id and user_version 0
  std::int64_t applicationId = 0;
  std::int64_t userVersion = 0;
  std::vector<SchemaObject> schema;
};

// Reads the inspection inside the caller's transaction.
SqlError readInspection(sqlite3* db, Inspection* out) {
  *out = Inspection{};
  if (auto e = queryInt(db, "PRAGMA application_id", &out->applicationId)) return e;
  if (auto e = queryInt(db, "PRAGMA user_version", &out->userVersion)) return e;
  if (auto e = readSchema(db, &out->schema)) return e;
  out->blank = out->schema.empty() && out->applicationId == 0 && out->userVersion == 0;
  return {};
}

SqlError inspect(sqlite3* db, Inspection* out) {
  return transaction(db, Txn::Read, [&] { return readInspection(db, out); });
}

// Why a non-blank file is not an acceptable offboard state of this version, or "" if it is.
// Checked in this order so that the message names the real problem: foreign file, newer
// offboard, then anything else.
std::string refusal(const Inspection& ins, const std::vector<SchemaObject>& expected,
                    std::int64_t expectedVersion) {
  if (ins.applicationId != kStateApplicationId) {
    std::string tables;
    for (const auto& o : ins.schema) {
      if (o.type != "table") continue;
      tables += (tables.empty() ? "" : ", ") + o.name;
    }
    char id[16];
    std::snprintf(id, sizeof id, "0x%08llx",
                  static_cast<unsigned long long>(static_cast<std::uint32_t>(ins.applicationId)));
    return "is an SQLite database but not an offboard state file (application_id " +
           std::string(id) + ", tables: " + (tables.empty() ? "none" : tables) + ")";
  }
  if (ins.userVersion > kStateSchemaVersion) {
    return "was written by a newer offboard (schema " + std::to_string(ins.userVersion) + " > " +
           std::to_string(kStateSchemaVersion) + "); use that version or newer";
  }
  if (ins.userVersion < 1) {
    return "is not a complete offboard state file (schema version " +
           std::to_string(ins.userVersion) + ")";
  }
  if (ins.schema != expected) {
    for (const auto& o : ins.schema) {
      if (std::find(expected.begin(), expected.end(), o) == expected.end())
        return "is not an offboard state file of schema " + std::to_string(expectedVersion) +
               ": unexpected or altered " + o.type + " '" + o.name + "'";
    }
    for (const auto& o : expected) {
      if (std::find(ins.schema.begin(), ins.schema.end(), o) == ins.schema.end())
        return "is not an offboard state file of schema " + std::to_string(expectedVersion) +
               ": missing " + o.type + " '" + o.name + "'";
    }
  }
  return {};
}

// Checks the offboard_meta marker rows: no *problem when they say offboard, schema = user_version.
SqlError checkMeta(sqlite3* db, std::int64_t userVersion, Refusal* problem) {
  StmtPtr s;
  if (auto e = prepare(db, "SELECT key, value FROM offboard_meta", &s)) return e;
  std::string application, schema;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    const std::string key = columnText(s.get(), 0);
    if (key == "application") application = columnText(s.get(), 1);
    if (key == "schema") schema = columnText(s.get(), 1);
  }
  if (rc != SQLITE_DONE) return lastError(db, sqlite3_extended_errcode(db));
  if (application != kMetaApplication) {
    *problem = {Status::notAState, "is not an offboard state file (offboard_meta has no application marker)"};
  } else if (schema != std::to_string(userVersion)) {
    // offboard's own markers disagree: an offboard state, damaged.
    *problem = {Status::corrupt, "is inconsistent (offboard_meta says schema '" + schema + "', user_version " +
                                     std::to_string(userVersion) + ")"};
  }
  return {};
}

// PRAGMA quick_check: "" when it reports ok, else its first complaint.
SqlError quickCheck(sqlite3* db, std::string* problem) {
  StmtPtr s;
  if (auto e = prepare(db, "PRAGMA quick_check", &s)) return e;
  int rc;
  std::vector<std::string> lines;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) lines.push_back(columnText(s.get(), 0));
  if (rc != SQLITE_DONE) return lastError(db, sqlite3_extended_errcode(db));
  if (lines.size() != 1 || lines[0] != "ok")
    *problem = "is corrupt (quick_check: " + (lines.empty() ? std::string("no result") : lines[0]) +
               ")";
  return {};
}

// Creates the schema on a blank file in one transaction. *raced is set when another process
// initialised the file first (the caller then inspects it again).
SqlError initialise(sqlite3* db, bool* raced) {
  *raced = false;
  return transaction(db, Txn::Write, [&]() -> SqlError {
    // Re-inspect under the write lock: between our first look and now another process may
    // have initialised the file. Then this transaction writes nothing and commits empty.
    std::int64_t appId = 0, uv = 0;
    std::vector<SchemaObject> schema;
    if (auto e = queryInt(db, "PRAGMA application_id", &appId)) return e;
    if (auto e = queryInt(db, "PRAGMA user_version", &uv)) return e;
    if (auto e = readSchema(db, &schema)) return e;
    if (appId != 0 || uv != 0 || !schema.empty()) {
      *raced = true;
      return {};
    }
    if (auto e = exec(db, kSchemaV1Sql)) return e;
    const std::string pragmas = "PRAGMA application_id = " + std::to_string(kStateApplicationId) +
                                "; PRAGMA user_version = 1;";
    if (auto e = exec(db, pragmas.c_str())) return e;
    StmtPtr s;
    if (auto e = prepare(db, "INSERT INTO offboard_meta (key, value) VALUES (?1, ?2)", &s)) return e;
    const std::pair<std::string, std::string> rows[] = {
        {"application", kMetaApplication},
        {"schema", "1"},
#ifdef OFFBOARD_VERSION
        {"created_by", std::string("offboard ") + OFFBOARD_VERSION},
#endif
    };
    for (const auto& [k, v] : rows) {
      sqlite3_reset(s.get());
      bindText(s.get(), 1, k);
      bindText(s.get(), 2, v);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return lastError(db, sqlite3_extended_errcode(db));
    }
    // The upgrade path and a new file share their last statements, so their schemas are equal.
    return exec(db, kMigrateToV2Sql);
  });
}

// Why a file inspected as `ins` is not an acceptable state of `version` against `expected`: its
// schema, then its integrity, then offboard's markers; no *problem when it is acceptable. A
// failed SQLite call is returned, with *doing naming the step.
SqlError checkAcceptable(sqlite3* db, const Inspection& ins, const std::vector<SchemaObject>& expected,
                         std::int64_t version, Refusal* problem, const char** doing) {
  if (std::string why = refusal(ins, expected, version); !why.empty()) {
    *problem = {Status::notAState, std::move(why)};
    return {};
  }
  std::string damage;
  *doing = "checking integrity";
  if (auto e = quickCheck(db, &damage)) return e;
  if (!damage.empty()) {
    *problem = {Status::corrupt, std::move(damage)};
    return {};
  }
  *doing = "reading offboard_meta";
  return checkMeta(db, ins.userVersion, problem);
}

// Upgrades an accepted version-1 state to the current schema in one write transaction: all of it
// or nothing (a process killed here leaves the version-1 file), kept only when its result is an
// acceptable current state (checkAcceptable; *accepted then). Otherwise *why says what is wrong
// and the transaction is rolled back, so that a file refused is left as it was. A file can pass
// every check of version 1 and still upgrade into something else: ALTER TABLE RENAME rewrites
// what refers to the table as the file's own schema and settings have it (fuzz_state found one
// whose events trigger came out altered). *after is the file as the transaction leaves it.
SqlError migrate(sqlite3* db, const std::vector<SchemaObject>& expected, Inspection* after,
                 bool* accepted, Refusal* why) {
  *accepted = false;
  return transaction(db, Txn::Write, [&]() -> SqlError {
    std::int64_t uv = 0;
    if (auto e = queryInt(db, "PRAGMA user_version", &uv)) return e;
    if (uv != 1) return readInspection(db, after);  // another process upgraded it: the caller checks it
    if (auto e = exec(db, kMigrateToV2Sql)) return e;
    if (auto e = readInspection(db, after)) return e;
    const char* doing = "";
    if (auto e = checkAcceptable(db, *after, expected, kStateSchemaVersion, why, &doing)) return e;
    if (*why) {
      why->what += " once upgraded from schema 1 (the file is left as it was)";
      return SqlError{SQLITE_ABORT, why->what};  // rolls the upgrade back
    }
    *accepted = true;
    return {};
  });
}

// Reads the file's first 16 bytes: *isSqlite when they are SQLite's magic. A refusal when the
// file cannot be read.
Refusal readHeaderMagic(const std::string& path, bool* isSqlite) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const StatusOf kind = errnoKind(err);
    if (isStorage(kind))
      return {kind, std::string("storage error: cannot be opened to read: ") + std::strerror(err) +
                        " (the file itself was not read, nothing is known to be wrong with it)"};
    return {kind, std::string("cannot be read: ") + std::strerror(err)};
  }
  char buf[16] = {};
  std::size_t got = 0;
  while (got < sizeof buf) {
    const ssize_t n = ::read(fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return {Status::ioError, std::string("storage error: cannot be read: ") + std::strerror(err)};
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  static constexpr char kMagic[16] = "SQLite format 3";  // 15 characters and a NUL (fileformat.html)
  *isSqlite = got == sizeof buf && std::memcmp(buf, kMagic, sizeof kMagic) == 0;
  return {};
}

}  // namespace

StateStore::StateStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

std::string StateStore::libraryVersion() { return std::string("SQLite ") + sqlite3_libversion(); }

StateStore::~StateStore() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& path, OpenMode mode) {
  auto fail = [&](StatusOf kind, const std::string& what) -> Result<std::unique_ptr<StateStore>> {
    return kind("state file " + path + ": " + what);
  };

  // 1. Look at the file ourselves before SQLite touches it: SQLite would happily treat an
  //    empty file as a new database and would report a text file only when first read.
  struct stat st {};
  bool exists = true;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err != ENOENT) return fail(errnoKind(err), std::string("cannot be accessed: ") + std::strerror(err));
    exists = false;
    if (mode == OpenMode::MustExist) return fail(Status::notFound, "does not exist");
  }
  if (exists) {
    if (S_ISDIR(st.st_mode)) return fail(Status::notAState, "is a directory");
    if (!S_ISREG(st.st_mode)) return fail(Status::notAState, "is not a regular file");
    if (st.st_size == 0) {
      if (mode == OpenMode::MustExist)
        return fail(Status::notFound, "is empty (0 bytes), not an offboard state file");
    } else {
      bool isSqlite = false;
      if (const Refusal r = readHeaderMagic(path, &isSqlite)) return fail(r.kind, r.what);
      if (!isSqlite)
        return fail(Status::notAState, "is not an SQLite database, so not an offboard state file; left untouched");
    }
  }

  // 2. Open. Until the file has been accepted, closing must not checkpoint a WAL into it.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE;
  if (mode == OpenMode::CreateIfMissing) flags |= SQLITE_OPEN_CREATE;
  //    The name is always a plain path: SQLite reads "file:…" as a URI where the library allows
  //    URIs (Debian's does), which would open another file than the one checked above. A
  //    relative path is given as "./path", which is never a URI.
  const std::string sqlPath = !path.empty() && path[0] == '/' ? path : "./" + path;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(sqlPath.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    const SqlError e = lastError(raw, rc);
    const int sys = raw != nullptr ? sqlite3_system_errno(raw) : 0;
    const StatusOf kind = openFailureKind(e.code, sys);
    return fail(kind, std::string(isStorage(kind) ? "storage error: " : "") + "cannot be opened: " + e.message +
                          (sys != 0 && e.message.find(std::strerror(sys)) == std::string::npos
                               ? std::string(" (") + std::strerror(sys) + ")"
                               : ""));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // A state file is data, not code: no side-effecting functions from its schema, and no
  // writable_schema tricks (SQLite "Defense Against The Dark Arts").
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);

  // A failed SQLite call while deciding what the file is (see openFailureKind).
  auto sqlFail = [&](const char* doing, const SqlError& e) {
    const int sys = sqlite3_system_errno(db.get());
    const StatusOf kind = openFailureKind(e.code, sys);
    const char* what = kind == Status::corrupt ? "is corrupt"
                       : isStorage(kind)        ? "storage error"
                                                : "cannot be read";
    std::string message = e.message;
    if (sys != 0 && message.find(std::strerror(sys)) == std::string::npos)
      message += std::string(" (") + std::strerror(sys) + ")";
    return fail(kind, std::string(what) + " while " + doing + ": " + message);
  };

  // 3. Decide what the file is. A blank file is initialised (CreateIfMissing) — possibly racing
  //    another process doing the same, hence the loop.
  std::vector<SchemaObject> expected, expectedV1;
  if (auto e = expectedSchema(kStateSchemaVersion, &expected))
    return fail(Status::ioError, "internal error: " + e.message);
  if (auto e = expectedSchema(1, &expectedV1)) return fail(Status::ioError, "internal error: " + e.message);
  Inspection ins;
  // Switching to WAL needs the file to itself, and SQLite does not wait for that through the
  // busy handler: a process initialising the same blank file at this moment makes it fail with
  // "database is locked" at once. Look again (the other process may be done) until the
  // busy timeout has passed.
  const auto busyUntil = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  bool walBusy = false;
  for (int attempt = 0;; ++attempt) {
    ins = Inspection{};
    if (auto e = inspect(db.get(), &ins)) return sqlFail("reading its header", e);
    if (!ins.blank) break;
    if (mode == OpenMode::MustExist)
      return fail(Status::notFound, "holds no offboard state (an SQLite database without tables)");
    if (attempt > 0 && !walBusy)
      return fail(Status::ioError, "initialisation by another process did not complete");
    // WAL must be chosen outside a transaction; it is persistent in the file header.
    if (auto e = exec(db.get(), "PRAGMA journal_mode = WAL")) {
      walBusy = (e.code & 0xff) == SQLITE_BUSY && std::chrono::steady_clock::now() < busyUntil;
      if (!walBusy) return sqlFail("switching to WAL mode", e);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    walBusy = false;
    bool raced = false;
    if (auto e = initialise(db.get(), &raced)) return sqlFail("creating the schema", e);
  }
  // A version-1 state is checked whole against version 1, then upgraded in place (and checked
  // inside the upgrade); any other file is checked against the current schema.
  Refusal problem;
  const char* doing = "";
  bool accepted = false;
  if (ins.userVersion == 1 && ins.applicationId == kStateApplicationId) {
    if (auto e = checkAcceptable(db.get(), ins, expectedV1, 1, &problem, &doing)) return sqlFail(doing, e);
    if (!problem) {
      if (auto e = migrate(db.get(), expected, &ins, &accepted, &problem); e && !problem)
        return sqlFail("upgrading it from schema 1", e);
    }
  }
  if (!problem && !accepted) {
    if (auto e = checkAcceptable(db.get(), ins, expected, kStateSchemaVersion, &problem, &doing))
      return sqlFail(doing, e);
  }
  if (problem) return fail(problem.kind, problem.what);

  // 4. Accepted: make sure of WAL mode (a no-op for files we created) and set the per-connection
  //    settings.
  {
    StmtPtr s;
    std::string journal;
    SqlError e = prepare(db.get(), "PRAGMA journal_mode = WAL", &s);
    if (!e) {
      if (sqlite3_step(s.get()) == SQLITE_ROW) {
        journal = columnText(s.get(), 0);
      } else {
        e = lastError(db.get(), sqlite3_extended_errcode(db.get()));
      }
    }
    if (e) return sqlFail("switching to WAL mode", e);
    if (journal != "wal") return fail(Status::ioError, "cannot use WAL journal mode (got '" + journal + "')");
  }
  if (auto e = exec(db.get(), "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"))
    return sqlFail("setting pragmas", e);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
  return std::unique_ptr<StateStore>(new StateStore(path, db.release()));
}

namespace {

// Runs body in a transaction on an accepted state; a failure is the Status state_store.h
// promises. The file passed its checks at open(), so whatever SQLite says now is the storage's
// doing: Busy when the lock was held past the busy timeout, IoError for everything else.
template <typename Body>
Status inTransaction(sqlite3* db, const std::string& path, Txn kind, Body&& body) {
  const SqlError e = transaction(db, kind, std::forward<Body>(body));
  if (!e) return Status::ok();
  std::string message = "state file " + path +
                        (kind == Txn::Write ? ": storage error: " : ": storage error while reading: ") + e.message;
  const int primary = e.code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::busy(std::move(message));
  return Status::ioError(std::move(message));
}

SqlError stepDone(sqlite3* db, sqlite3_stmt* s) {
  if (sqlite3_step(s) != SQLITE_DONE) return lastError(db, sqlite3_extended_errcode(db));
  return {};
}

SqlError insertEvent(sqlite3* db, std::int64_t at, const char* kind, std::string_view target,
                     std::string_view who, std::string_view text) {
  StmtPtr s;
  if (auto e = prepare(db, "INSERT INTO events (at, kind, target, who, text) VALUES (?1, ?2, ?3, ?4, ?5)",
                       &s))
    return e;
  sqlite3_bind_int64(s.get(), 1, at);
  bindText(s.get(), 2, kind);
  bindText(s.get(), 3, target);
  bindText(s.get(), 4, who);
  bindText(s.get(), 5, text);
  return stepDone(db, s.get());
}

// Inserts into acks or waivers (same shape) plus the matching event.
SqlError insertStepRow(sqlite3* db, const char* table, const char* textColumn, const char* kind,
                       std::string_view step, std::string_view who, std::string_view text,
                       std::int64_t at) {
  const std::string sql = std::string("INSERT INTO ") + table + " (step, who, " + textColumn +
                          ", at) VALUES (?1, ?2, ?3, ?4)";
  StmtPtr s;
  if (auto e = prepare(db, sql, &s)) return e;
  bindText(s.get(), 1, step);
  bindText(s.get(), 2, who);
  bindText(s.get(), 3, text);
  sqlite3_bind_int64(s.get(), 4, at);
  if (auto e = stepDone(db, s.get())) return e;
  return insertEvent(db, at, kind, step, who, text);
}

// Steps s to the end, calling onRow for each row.
template <typename OnRow>
SqlError eachRow(sqlite3* db, sqlite3_stmt* s, OnRow&& onRow) {
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) onRow(s);
  if (rc != SQLITE_DONE) return lastError(db, sqlite3_extended_errcode(db));
  return {};
}

}  // namespace

Status StateStore::addAck(const AckRow& ack) {
  return inTransaction(db_, path_, Txn::Write, [&] {
    return insertStepRow(db_, "acks", "note", "ack", ack.step, ack.by, ack.note, ack.at);
  });
}

Status StateStore::addWaiver(const WaiverRow& waiver) {
  return inTransaction(db_, path_, Txn::Write, [&] {
    return insertStepRow(db_, "waivers", "reason", "waiver", waiver.step, waiver.by,
                         waiver.reason, waiver.at);
  });
}

Status StateStore::addRevocation(const RevocationRow& r) {
  return inTransaction(db_, path_, Txn::Write, [&] {
    return insertStepRow(db_, "revocations", "reason", "revoke", r.step, r.by, r.reason, r.at);
  });
}

namespace {

constexpr const char* kMetaTenant = "tenant";
constexpr const char* kMetaPlanSteps = "plan_steps";

SqlError readMeta(sqlite3* db, const char* key, std::optional<std::string>* out) {
  StmtPtr s;
  if (auto e = prepare(db, "SELECT value FROM offboard_meta WHERE key = ?1", &s)) return e;
  bindText(s.get(), 1, key);
  out->reset();
  const int rc = sqlite3_step(s.get());
  if (rc == SQLITE_ROW) *out = columnText(s.get(), 0);
  else if (rc != SQLITE_DONE) return lastError(db, sqlite3_extended_errcode(db));
  return {};
}

SqlError writeMeta(sqlite3* db, const char* key, std::string_view value) {
  StmtPtr s;
  if (auto e = prepare(db, "INSERT OR REPLACE INTO offboard_meta (key, value) VALUES (?1, ?2)", &s))
    return e;
  bindText(s.get(), 1, key);
  bindText(s.get(), 2, value);
  return stepDone(db, s.get());
}

}  // namespace

Result<StateStore::Binding> StateStore::bindTenant(
    const std::string& identity,
    const std::function<std::optional<std::string>(const std::string&)>& sameTenant) {
  Binding result;
  const Status written = inTransaction(db_, path_, Txn::Write, [&]() -> SqlError {
    std::optional<std::string> stored;
    if (auto e = readMeta(db_, kMetaTenant, &stored)) return e;
    result.stored = stored.value_or("");
    if (!stored) {
      result.kind = Binding::Kind::Bound;
      return writeMeta(db_, kMetaTenant, identity);
    }
    const std::optional<std::string> merged = sameTenant(*stored);
    if (!merged) {
      result.kind = Binding::Kind::Mismatch;
      return {};
    }
    result.kind = Binding::Kind::Matches;
    return *stored == *merged ? SqlError{} : writeMeta(db_, kMetaTenant, *merged);
  });
  if (!written) return written;
  return result;
}

Result<std::string> StateStore::boundTenant() {
  std::optional<std::string> stored;
  const Status read = inTransaction(db_, path_, Txn::Read, [&] { return readMeta(db_, kMetaTenant, &stored); });
  if (!read) return read;
  return stored.value_or("");
}

Status StateStore::setPlanSteps(const std::vector<std::string>& ids) {
  std::string joined;
  for (const auto& id : ids) joined += (joined.empty() ? "" : "\n") + id;
  return inTransaction(db_, path_, Txn::Write, [&] { return writeMeta(db_, kMetaPlanSteps, joined); });
}

Result<std::vector<std::string>> StateStore::planSteps() {
  std::optional<std::string> stored;
  const Status read = inTransaction(db_, path_, Txn::Read, [&] { return readMeta(db_, kMetaPlanSteps, &stored); });
  if (!read) return read;
  std::vector<std::string> out;
  std::string cur;
  for (char c : stored.value_or("")) {
    if (c == '\n') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

Status StateStore::recordObservations(const std::vector<ObservationRow>& rows) {
  if (rows.empty()) return Status::ok();
  return inTransaction(db_, path_, Txn::Write, [&]() -> SqlError {
    StmtPtr latest, advance, insert;
    if (auto e = prepare(db_,
                         "SELECT id, value, at_m365, evidence, ttl FROM observations "
                         "WHERE domain = ?1 AND subject = ?2 ORDER BY id DESC LIMIT 1",
                         &latest))
      return e;
    // last_seen never moves backwards, and first_seen never changes: an observation stamped
    // earlier than the run's start (a skewed clock, a rehearsal with --now) must not make the
    // propagation clock older than it is.
    if (auto e = prepare(db_,
                         "UPDATE observations SET last_seen = max(last_seen, ?2), "
                         "seen_count = seen_count + 1 WHERE id = ?1",
                         &advance))
      return e;
    if (auto e = prepare(db_,
                         "INSERT INTO observations (domain, subject, value, at_m365, evidence, ttl, "
                         "first_seen, last_seen, seen_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1)",
                         &insert))
      return e;

    // Per domain, in order of first appearance: time of the event, count, what changed.
    struct DomainSummary {
      std::string domain;
      std::int64_t at = std::numeric_limits<std::int64_t>::min();
      std::size_t seen = 0;
      std::vector<std::string> changes;
    };
    std::vector<DomainSummary> summaries;
    std::unordered_map<std::string, std::size_t> summaryOf;  // domain -> index in summaries

    for (const ObservationRow& r : rows) {
      sqlite3_reset(latest.get());
      bindText(latest.get(), 1, r.domain);
      bindText(latest.get(), 2, r.subject);
      bool same = false;
      std::int64_t id = 0;
      std::optional<std::string> before;  // the subject's previous value, for the history
      const int rc = sqlite3_step(latest.get());
      if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(latest.get(), 0);
        before = columnText(latest.get(), 1);
        same = columnText(latest.get(), 1) == r.value &&
               (sqlite3_column_int64(latest.get(), 2) != 0) == r.atM365 &&
               (sqlite3_column_int64(latest.get(), 3) != 0) == r.evidence &&
               sqlite3_column_int64(latest.get(), 4) == static_cast<std::int64_t>(r.ttl);
      } else if (rc != SQLITE_DONE) {
        return lastError(db_, sqlite3_extended_errcode(db_));
      }
      sqlite3_reset(latest.get());

      if (same) {
        sqlite3_reset(advance.get());
        sqlite3_bind_int64(advance.get(), 1, id);
        sqlite3_bind_int64(advance.get(), 2, r.at);
        if (auto e = stepDone(db_, advance.get())) return e;
      } else {
        sqlite3_reset(insert.get());
        bindText(insert.get(), 1, r.domain);
        bindText(insert.get(), 2, r.subject);
        bindText(insert.get(), 3, r.value);
        sqlite3_bind_int(insert.get(), 4, r.atM365 ? 1 : 0);
        sqlite3_bind_int(insert.get(), 5, r.evidence ? 1 : 0);
        sqlite3_bind_int64(insert.get(), 6, static_cast<std::int64_t>(r.ttl));
        sqlite3_bind_int64(insert.get(), 7, r.at);
        if (auto e = stepDone(db_, insert.get())) return e;
      }

      // By index, not by a scan of the summaries: a batch over thousands of domains stays linear.
      auto [slot, fresh] = summaryOf.try_emplace(r.domain, summaries.size());
      if (fresh) summaries.push_back(DomainSummary{r.domain, r.at, 0, {}});
      auto it = summaries.begin() + static_cast<std::ptrdiff_t>(slot->second);
      it->at = std::max(it->at, r.at);
      ++it->seen;
      // "SUBJECT = NEW" the first time, "SUBJECT: OLD → NEW" after (the history shows changes).
      if (!same)
        it->changes.push_back(before && *before != r.value ? r.subject + ": " + *before + " → " + r.value
                                                           : r.subject + " = " + r.value);
    }

    for (const DomainSummary& d : summaries) {
      std::string text = std::to_string(d.seen) + (d.seen == 1 ? " observation" : " observations");
      if (d.changes.empty()) {
        text += ", unchanged";
      } else {
        text += ", " + std::to_string(d.changes.size()) + " new: ";
        for (std::size_t i = 0; i < d.changes.size(); ++i) text += (i ? "; " : "") + d.changes[i];
      }
      if (auto e = insertEvent(db_, d.at, "observe", d.domain, "", text)) return e;
    }
    return {};
  });
}


Result<StateSnapshot> StateStore::snapshot() {
  StateSnapshot out;
  const Status read = inTransaction(db_, path_, Txn::Read, [&]() -> SqlError {
    StmtPtr s;
    // Acks, waivers and revocations as the audit log has them: each is written with its event
    // in one transaction, and the event ids give the one order in which they were recorded.
    if (auto e = prepare(db_,
                         "SELECT id, kind, target, who, text, at FROM events "
                         "WHERE kind IN ('ack', 'waiver', 'revoke') ORDER BY id",
                         &s))
      return e;
    if (auto e = eachRow(db_, s.get(), [&](sqlite3_stmt* r) {
          const std::int64_t seq = sqlite3_column_int64(r, 0);
          const std::string kind = columnText(r, 1);
          std::string step = columnText(r, 2), who = columnText(r, 3), text = columnText(r, 4);
          const std::int64_t at = sqlite3_column_int64(r, 5);
          if (kind == "ack") out.acks.push_back(AckRow{std::move(step), std::move(who), std::move(text), at, seq});
          else if (kind == "waiver")
            out.waivers.push_back(WaiverRow{std::move(step), std::move(who), std::move(text), at, seq});
          else out.revocations.push_back(RevocationRow{std::move(step), std::move(who), std::move(text), at, seq});
        }))
      return e;
    if (auto e = prepare(db_,
                         "SELECT domain, subject, value, at_m365, evidence, ttl, first_seen, "
                         "last_seen, seen_count FROM observations ORDER BY id",
                         &s))
      return e;
    return eachRow(db_, s.get(), [&](sqlite3_stmt* r) {
      ObservationRow o;
      o.domain = columnText(r, 0);
      o.subject = columnText(r, 1);
      o.value = columnText(r, 2);
      o.atM365 = sqlite3_column_int64(r, 3) != 0;
      o.evidence = sqlite3_column_int64(r, 4) != 0;
      o.ttl = static_cast<std::uint32_t>(sqlite3_column_int64(r, 5));  // CHECKed in range
      o.at = sqlite3_column_int64(r, 6);
      o.lastSeen = sqlite3_column_int64(r, 7);
      const std::int64_t count = sqlite3_column_int64(r, 8);
      o.seenCount = static_cast<std::uint32_t>(
          std::min<std::int64_t>(count, std::numeric_limits<std::uint32_t>::max()));
      out.observations.push_back(std::move(o));
    });
  });
  if (!read) return read;  // never the rows read before the failure
  return out;
}

Result<std::vector<HistoryEvent>> StateStore::history() {
  std::vector<HistoryEvent> out;
  const Status read = inTransaction(db_, path_, Txn::Read, [&]() -> SqlError {
    StmtPtr s;
    if (auto e = prepare(db_, "SELECT id, at, kind, target, who, text FROM events ORDER BY id", &s))
      return e;
    return eachRow(db_, s.get(), [&](sqlite3_stmt* r) {
      out.push_back(HistoryEvent{sqlite3_column_int64(r, 0), sqlite3_column_int64(r, 1),
                                 columnText(r, 2), columnText(r, 3), columnText(r, 4),
                                 columnText(r, 5)});
    });
  });
  if (!read) return read;
  return out;
}

}  // namespace offboard
