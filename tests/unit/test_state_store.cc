// The state store: round trips, first-seen times, refusal of files it did not write, concurrent
// writers, and atomicity under kill -9. Every test works in its own directory under /tmp.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commands/commands.h"
#include "state/state_store.h"

using offboard::AckRow;
using offboard::exitCodeOf;
using offboard::HistoryEvent;
using offboard::ObservationRow;
using offboard::OpenMode;
using offboard::StateSnapshot;
using offboard::StateStore;
using offboard::Status;
using offboard::WaiverRow;

namespace {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed with everything in it at scope exit.
struct TempDir {
  fs::path dir;
  TempDir() {
    std::string tmpl = "/tmp/offboard-state-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::unique_ptr<StateStore> openOk(const std::string& path,
                                   OpenMode mode = OpenMode::CreateIfMissing) {
  auto store = StateStore::open(path, mode);
  INFO(store.status().message());
  REQUIRE(store.isOk());
  return std::move(store).value();
}

// Why open() refused the file; a file it opened fails the test.
Status refusalOf(const std::string& path, OpenMode mode) {
  auto store = StateStore::open(path, mode);
  REQUIRE_FALSE(store.isOk());
  return store.status();
}

void requireOk(const Status& s) {
  INFO(s.message());
  REQUIRE(s.isOk());
}

// What the state holds, and its audit log; a failed read fails the test.
StateSnapshot snapshotOf(StateStore& store) {
  auto s = store.snapshot();
  INFO(s.status().message());
  REQUIRE(s.isOk());
  return std::move(s).value();
}

std::vector<HistoryEvent> historyOf(StateStore& store) {
  auto h = store.history();
  INFO(h.status().message());
  REQUIRE(h.isOk());
  return std::move(h).value();
}

// Runs SQL on a file with plain SQLite, as a foreign program or a tampering user would.
void rawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  INFO((msg != nullptr ? msg : ""));
  sqlite3_free(msg);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// Same, but leaves the changes in the WAL file (no checkpoint on close), as a process that
// crashed — or is still running — would.
void rawSqlKeepWal(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// First column of the first row of a query, as text, read with plain SQLite.
std::string rawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

ObservationRow obs(const std::string& domain, const std::string& subject, const std::string& value,
                   std::int64_t at, bool atM365 = false, bool evidence = true,
                   std::uint32_t ttl = 3600) {
  ObservationRow o;
  o.domain = domain;
  o.subject = subject;
  o.value = value;
  o.atM365 = atM365;
  o.evidence = evidence;
  o.ttl = ttl;
  o.at = at;
  return o;
}

// Forks a child that runs fn and _exits with its result (the child never returns into doctest).
template <typename Fn>
pid_t spawn(Fn fn) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int rc = 99;
    try {
      rc = fn();
    } catch (...) {
      rc = 98;
    }
    ::_exit(rc);
  }
  return pid;
}

// Exit status of a child, or 128+signal as a shell reports it.
int waitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

bool writeAll(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("a missing state file is created as an offboard state: marker, schema 2, WAL mode") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  { auto store = openOk(path); }
  REQUIRE(fs::exists(path));
  // Closing the last connection checkpoints the WAL into the file and removes it.
  CHECK_FALSE(fs::exists(path + "-wal"));
  CHECK(rawQuery(path, "PRAGMA application_id") == std::to_string(offboard::kStateApplicationId));
  CHECK(rawQuery(path, "PRAGMA user_version") == "2");
  CHECK(rawQuery(path, "PRAGMA journal_mode") == "wal");
  CHECK(rawQuery(path, "SELECT value FROM offboard_meta WHERE key = 'application'") == "offboard");
  CHECK(rawQuery(path, "SELECT value FROM offboard_meta WHERE key = 'schema'") == "2");
  // Reopening an existing state works in both modes.
  openOk(path, OpenMode::MustExist);
  openOk(path, OpenMode::CreateIfMissing);
}

TEST_CASE("MustExist refuses a missing, a 0-byte or a blank SQLite file as NotFound (exit 2) and changes nothing") {
  TempDir tmp;

  SUBCASE("missing") {
    const std::string path = tmp.file("missing.db");
    const Status refused = refusalOf(path, OpenMode::MustExist);
    CHECK(refused.code() == Status::Code::NotFound);
    CHECK(exitCodeOf(refused) == 2);
    CHECK(refused.message().find(path) != std::string::npos);
    CHECK(refused.message().find("does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(path));
  }
  SUBCASE("0 bytes") {
    const std::string path = tmp.file("empty.db");
    writeBytes(path, "");
    const Status refused = refusalOf(path, OpenMode::MustExist);
    CHECK(refused.code() == Status::Code::NotFound);
    CHECK(exitCodeOf(refused) == 2);
    CHECK(refused.message().find("empty") != std::string::npos);
    CHECK(fs::file_size(path) == 0);
  }
  SUBCASE("blank SQLite database") {
    const std::string path = tmp.file("blank.db");
    rawSql(path, "CREATE TABLE t (x); DROP TABLE t;");
    const std::string before = readBytes(path);
    REQUIRE(before.size() > 0);
    const Status refused = refusalOf(path, OpenMode::MustExist);
    CHECK(refused.code() == Status::Code::NotFound);
    CHECK(exitCodeOf(refused) == 2);
    CHECK(refused.message().find("no offboard state") != std::string::npos);
    CHECK(readBytes(path) == before);
  }
}

TEST_CASE("CreateIfMissing initialises a 0-byte file and a blank SQLite file (what a killed first run leaves)") {
  TempDir tmp;
  const std::string zero = tmp.file("zero.db");
  writeBytes(zero, "");
  const std::string blank = tmp.file("blank.db");
  rawSql(blank, "PRAGMA journal_mode = WAL; CREATE TABLE t (x); DROP TABLE t;");
  for (const std::string& path : {zero, blank}) {
    CAPTURE(path);
    {
      auto store = openOk(path);
      CHECK(store->addAck({"notify-users", "ana", "", 10}).isOk());
    }
    auto again = openOk(path, OpenMode::MustExist);
    CHECK(snapshotOf(*again).acks.size() == 1);
  }
}

TEST_CASE("acks, waivers and observations read back after reopening, in insertion order") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  {
    auto store = openOk(path);
    requireOk(store->addAck({"notify-users", "Ana Lima", "sent by e-mail on Monday", 1700000000}));
    requireOk(store->addAck({"backup-data", "bjørn", "", 1700000100}));
    requireOk(store->addWaiver({"remove-dkim:contoso.com", "ana", "zone deleted at cutover", 1700000200}));
    requireOk(store->recordObservations(
        {obs("contoso.com", "MX contoso.com.", "0 contoso-com.mail.protection.outlook.com.", 1700000300,
             true, true, 3600),
         obs("contoso.com", "NS(parent) contoso.com.", "timeout", 1700000301, false, false, 0),
         obs("xn--bcher-kva.example", "TXT xn--bcher-kva.example.", "\"v=spf1 -all\"", 1700000302,
             false, true, 4294967295u)}));
  }
  auto store = openOk(path, OpenMode::MustExist);
  const StateSnapshot s = snapshotOf(*store);
  REQUIRE(s.acks.size() == 2);
  CHECK(s.acks[0].step == "notify-users");
  CHECK(s.acks[0].by == "Ana Lima");
  CHECK(s.acks[0].note == "sent by e-mail on Monday");
  CHECK(s.acks[0].at == 1700000000);
  CHECK(s.acks[1].step == "backup-data");
  CHECK(s.acks[1].by == "bjørn");
  CHECK(s.acks[1].note.empty());
  REQUIRE(s.waivers.size() == 1);
  CHECK(s.waivers[0].step == "remove-dkim:contoso.com");
  CHECK(s.waivers[0].by == "ana");
  CHECK(s.waivers[0].reason == "zone deleted at cutover");
  CHECK(s.waivers[0].at == 1700000200);
  REQUIRE(s.observations.size() == 3);
  const ObservationRow& mx = s.observations[0];
  CHECK(mx.domain == "contoso.com");
  CHECK(mx.subject == "MX contoso.com.");
  CHECK(mx.value == "0 contoso-com.mail.protection.outlook.com.");
  CHECK(mx.atM365);
  CHECK(mx.evidence);
  CHECK(mx.ttl == 3600);
  CHECK(mx.at == 1700000300);
  CHECK(mx.lastSeen == 1700000300);
  CHECK(mx.seenCount == 1);
  CHECK(s.observations[1].value == "timeout");
  CHECK_FALSE(s.observations[1].evidence);
  CHECK_FALSE(s.observations[1].atM365);
  CHECK(s.observations[2].domain == "xn--bcher-kva.example");
  CHECK(s.observations[2].value == "\"v=spf1 -all\"");
  CHECK(s.observations[2].ttl == 4294967295u);  // the full uint32 range survives
}

TEST_CASE("a repeated identical observation keeps its first-seen time; any difference starts a new run") {
  TempDir tmp;
  auto store = openOk(tmp.file("offboard.db"));
  const std::string d = "contoso.com", mx = "MX contoso.com.";
  const std::string oldMx = "0 contoso-com.mail.protection.outlook.com.";
  const std::string newMx = "10 mx1.newmail.example.";
  auto record = [&](std::vector<ObservationRow> rows) { requireOk(store->recordObservations(rows)); };
  auto rowsFor = [&](const std::string& subject) {
    std::vector<ObservationRow> out;
    for (const auto& o : snapshotOf(*store).observations)
      if (o.domain == d && o.subject == subject) out.push_back(o);
    return out;
  };

  record({obs(d, mx, newMx, 100)});
  record({obs(d, mx, newMx, 200)});
  record({obs(d, mx, newMx, 300)});
  auto rows = rowsFor(mx);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].at == 100);
  CHECK(rows[0].lastSeen == 300);
  CHECK(rows[0].seenCount == 3);

  SUBCASE("an earlier timestamp moves neither first-seen nor last-seen backwards") {
    record({obs(d, mx, newMx, 50)});
    rows = rowsFor(mx);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].at == 100);
    CHECK(rows[0].lastSeen == 300);
    CHECK(rows[0].seenCount == 4);
  }
  SUBCASE("a changed value, then the old value again, are new runs with their own first-seen") {
    record({obs(d, mx, oldMx, 400, true)});
    record({obs(d, mx, newMx, 500)});
    rows = rowsFor(mx);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].at == 100);
    CHECK(rows[1].value == oldMx);
    CHECK(rows[1].at == 400);
    CHECK(rows[2].value == newMx);
    CHECK(rows[2].at == 500);
  }
  SUBCASE("a different TTL, evidence flag or Microsoft flag is a different observation") {
    record({obs(d, mx, newMx, 400, false, true, 300)});
    record({obs(d, mx, newMx, 500, false, false, 300)});
    record({obs(d, mx, newMx, 600, true, false, 300)});
    rows = rowsFor(mx);
    REQUIRE(rows.size() == 4);
    CHECK(rows[1].at == 400);
    CHECK(rows[1].ttl == 300);
    CHECK_FALSE(rows[2].evidence);
    CHECK(rows[3].atM365);
    CHECK(rows[3].at == 600);
  }
  SUBCASE("other subjects and domains are tracked separately, duplicates in one batch fold") {
    record({obs(d, "TXT contoso.com.", "\"v=spf1 -all\"", 700), obs("fabrikam.com", mx, newMx, 700),
            obs("fabrikam.com", mx, newMx, 710), obs(d, mx, newMx, 720)});
    rows = rowsFor(mx);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].at == 100);
    CHECK(rows[0].lastSeen == 720);
    REQUIRE(rowsFor("TXT contoso.com.").size() == 1);
    std::vector<ObservationRow> fab;
    for (const auto& o : snapshotOf(*store).observations)
      if (o.domain == "fabrikam.com") fab.push_back(o);
    REQUIRE(fab.size() == 1);
    CHECK(fab[0].at == 700);
    CHECK(fab[0].lastSeen == 710);
    CHECK(fab[0].seenCount == 2);
  }
}

TEST_CASE("every write appends to the history, oldest first; an empty batch writes nothing") {
  TempDir tmp;
  auto store = openOk(tmp.file("offboard.db"));
  requireOk(store->addAck({"notify-users", "ana", "told everyone", 10}));
  requireOk(store->addWaiver({"remove-teams-records:contoso.com", "bo", "never used Teams", 20}));
  requireOk(store->recordObservations({obs("contoso.com", "MX contoso.com.", "10 mx1.newmail.example.", 30),
                                       obs("fabrikam.com", "MX fabrikam.com.", "nodata", 31),
                                       obs("contoso.com", "TXT contoso.com.", "\"v=spf1 -all\"", 32)}));
  requireOk(store->recordObservations({obs("contoso.com", "MX contoso.com.", "10 mx1.newmail.example.", 40)}));
  requireOk(store->recordObservations({}));

  const std::vector<HistoryEvent> h = historyOf(*store);
  REQUIRE(h.size() == 5);
  for (std::size_t i = 1; i < h.size(); ++i) CHECK(h[i].id > h[i - 1].id);
  CHECK(h[0].kind == "ack");
  CHECK(h[0].target == "notify-users");
  CHECK(h[0].by == "ana");
  CHECK(h[0].text == "told everyone");
  CHECK(h[0].at == 10);
  CHECK(h[1].kind == "waiver");
  CHECK(h[1].target == "remove-teams-records:contoso.com");
  CHECK(h[1].text == "never used Teams");
  CHECK(h[2].kind == "observe");
  CHECK(h[2].target == "contoso.com");
  CHECK(h[2].by.empty());
  CHECK(h[2].at == 32);  // the latest time in the batch for that domain
  CHECK(h[2].text.find("2 observations") != std::string::npos);
  CHECK(h[2].text.find("MX contoso.com. = 10 mx1.newmail.example.") != std::string::npos);
  CHECK(h[3].target == "fabrikam.com");
  CHECK(h[3].text.find("nodata") != std::string::npos);
  CHECK(h[4].target == "contoso.com");
  CHECK(h[4].text.find("unchanged") != std::string::npos);
}

TEST_CASE("the audit log cannot be rewritten through SQLite: acks, waivers and events are append-only") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  {
    auto store = openOk(path);
    requireOk(store->addAck({"backup-data", "ana", "", 1}));
  }
  for (const char* sql : {"DELETE FROM acks", "UPDATE acks SET who = 'eve'", "DELETE FROM events",
                          "UPDATE events SET text = ''", "DELETE FROM waivers"}) {
    CAPTURE(sql);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    // DELETE FROM waivers on an empty table fires no trigger; the others must be refused.
    if (std::string(sql) != "DELETE FROM waivers") {
      CHECK(rc == SQLITE_CONSTRAINT);
      CHECK(msg.find("append-only") != std::string::npos);
    }
  }
  auto store = openOk(path);
  CHECK(snapshotOf(*store).acks.at(0).by == "ana");
}

namespace {

// A valid state with enough rows to span many pages, closed (WAL checkpointed and removed).
void makeValidState(const std::string& path) {
  auto store = openOk(path);
  std::vector<ObservationRow> rows;
  for (int i = 0; i < 400; ++i)
    rows.push_back(obs("d" + std::to_string(i) + ".example", "TXT d.example.",
                       std::string(120, static_cast<char>('a' + i % 26)), 1000 + i));
  requireOk(store->recordObservations(rows));
  requireOk(store->addAck({"backup-data", "ana", "", 5}));
}

void overwrite(const std::string& path, off_t offset, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), offset) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

}  // namespace

TEST_CASE("files that are not an intact offboard state of this version are refused with exit 2 and left byte-identical") {
  TempDir tmp;
  const std::string path = tmp.file("state.db");
  std::string expectMessage;
  // What the file is, as the status code says it: another program's file or a newer offboard's
  // (NotAState), or an offboard state that is damaged (Corrupt).
  Status::Code expectCode = Status::Code::NotAState;

  SUBCASE("a text file") {
    writeBytes(path, "domains:\n  - contoso.com\n");
    expectMessage = "not an SQLite database";
  }
  SUBCASE("a short binary file") {
    writeBytes(path, std::string("\x00\x01\x02", 3));
    expectMessage = "not an SQLite database";
  }
  SUBCASE("a foreign SQLite database") {
    rawSql(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); "
                 "INSERT INTO customers (name) VALUES ('contoso');");
    expectMessage = "not an offboard state file (application_id 0x00000000, tables: customers)";
  }
  SUBCASE("a foreign SQLite database that happens to have an offboard-like table") {
    rawSql(path, "CREATE TABLE offboard_meta (key TEXT, value TEXT); "
                 "INSERT INTO offboard_meta VALUES ('application', 'offboard');");
    expectMessage = "not an offboard state file";
  }
  SUBCASE("a state written by a newer offboard") {
    makeValidState(path);
    rawSql(path, "PRAGMA user_version = 7");
    expectMessage = "written by a newer offboard (schema 7 > 2)";
  }
  SUBCASE("a state written by a newer offboard whose last change is still in the WAL") {
    makeValidState(path);
    rawSqlKeepWal(path, "PRAGMA user_version = 3");
    REQUIRE(fs::file_size(path + "-wal") > 0);
    expectMessage = "written by a newer offboard (schema 3 > 2)";
  }
  SUBCASE("a state with a table added by hand") {
    makeValidState(path);
    rawSql(path, "CREATE TABLE notes (x TEXT)");
    expectMessage = "unexpected or altered table 'notes'";
  }
  SUBCASE("a state whose trigger was dropped by hand") {
    makeValidState(path);
    rawSql(path, "DROP TRIGGER acks_append_only_d");
    expectMessage = "missing trigger 'acks_append_only_d'";
  }
  SUBCASE("a state whose marker row was removed") {
    makeValidState(path);
    rawSql(path, "DELETE FROM offboard_meta WHERE key = 'application'");
    expectMessage = "no application marker";
  }
  SUBCASE("a state whose schema marker disagrees with its user_version") {
    makeValidState(path);
    rawSql(path, "UPDATE offboard_meta SET value = '1' WHERE key = 'schema'");
    expectMessage = "is inconsistent (offboard_meta says schema '1', user_version 2)";
    expectCode = Status::Code::Corrupt;
  }
  SUBCASE("a state whose table pages were overwritten") {
    expectCode = Status::Code::Corrupt;
    makeValidState(path);
    REQUIRE_FALSE(fs::exists(path + "-wal"));
    const auto size = fs::file_size(path);
    const std::string bytes = readBytes(path);
    const int pageSize = (static_cast<unsigned char>(bytes[16]) << 8) | static_cast<unsigned char>(bytes[17]);
    REQUIRE(pageSize >= 512);
    REQUIRE(size >= static_cast<std::uintmax_t>(pageSize) * 8);
    for (std::uintmax_t page = 2; page * pageSize < size; page += 2)
      overwrite(path, static_cast<off_t>((page - 1) * pageSize), std::string(16, '\xA5'));
    expectMessage = "corrupt";
  }
  SUBCASE("a state whose schema page was overwritten") {
    expectCode = Status::Code::Corrupt;
    makeValidState(path);
    REQUIRE_FALSE(fs::exists(path + "-wal"));
    overwrite(path, 100, std::string(40, '\x7F'));
    expectMessage = "corrupt";
  }
  SUBCASE("a state cut in half") {
    expectCode = Status::Code::Corrupt;
    makeValidState(path);
    REQUIRE_FALSE(fs::exists(path + "-wal"));
    fs::resize_file(path, fs::file_size(path) / 2);
    expectMessage = "corrupt";
  }

  const std::string before = readBytes(path);
  const std::string walBefore = readBytes(path + "-wal");
  REQUIRE(!before.empty());
  for (OpenMode mode : {OpenMode::MustExist, OpenMode::CreateIfMissing}) {
    CAPTURE(static_cast<int>(mode));
    auto store = StateStore::open(path, mode);
    CHECK_FALSE(store.isOk());
    const Status& refused = store.status();
    const std::string& err = refused.message();
    CAPTURE(err);
    CHECK(refused.code() == expectCode);
    CHECK(exitCodeOf(refused) == 2);
    CHECK(err.rfind("state file " + path + ": ", 0) == 0);
    CHECK(err.find(expectMessage) != std::string::npos);
    CHECK(readBytes(path) == before);
    CHECK(readBytes(path + "-wal") == walBefore);  // not checkpointed into the file either
  }
  if (expectMessage == "not an SQLite database") {  // SQLite never even opened it
    CHECK_FALSE(fs::exists(path + "-wal"));
    CHECK_FALSE(fs::exists(path + "-shm"));
  }
}

TEST_CASE("a directory (NotAState), or a path in a missing directory (NotFound), is refused with exit 2") {
  TempDir tmp;
  const std::pair<std::string, Status::Code> cases[] = {
      {tmp.dir.string(), Status::Code::NotAState},
      {tmp.file("no/such/dir/offboard.db"), Status::Code::NotFound},
  };
  for (const auto& [path, expectCode] : cases) {
    for (OpenMode mode : {OpenMode::MustExist, OpenMode::CreateIfMissing}) {
      CAPTURE(path);
      CAPTURE(static_cast<int>(mode));
      const Status refused = refusalOf(path, mode);
      CAPTURE(refused.message());
      CHECK(refused.code() == expectCode);
      CHECK(exitCodeOf(refused) == 2);
      CHECK(refused.message().find(path) != std::string::npos);
    }
  }
  CHECK_FALSE(fs::exists(tmp.file("no")));
}


TEST_CASE("two processes adding 200 acks each at the same time lose none of them") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");  // created by whichever child wins the race
  auto writer = [&](const std::string& who) {
    return [path, who]() {
      auto opened = StateStore::open(path, OpenMode::CreateIfMissing);
      if (!opened) {
        std::fprintf(stderr, "%s: open: %s\n", who.c_str(), opened.status().message().c_str());
        return 10 + exitCodeOf(opened.status());
      }
      auto store = std::move(opened).value();
      for (int i = 0; i < 200; ++i) {
        if (const Status added = store->addAck({who + "-" + std::to_string(i), who, "", i}); !added) {
          std::fprintf(stderr, "%s: ack %d: %s\n", who.c_str(), i, added.message().c_str());
          return 20;
        }
      }
      return 0;
    };
  };
  const pid_t a = spawn(writer("alpha"));
  const pid_t b = spawn(writer("beta"));
  CHECK(waitFor(a) == 0);
  CHECK(waitFor(b) == 0);

  auto store = openOk(path, OpenMode::MustExist);
  const StateSnapshot s = snapshotOf(*store);
  REQUIRE(s.acks.size() == 400);
  std::set<std::string> steps;
  for (const AckRow& ack : s.acks) steps.insert(ack.step);
  CHECK(steps.size() == 400);
  for (const std::string who : {"alpha", "beta"})
    for (int i = 0; i < 200; ++i) CHECK(steps.count(who + "-" + std::to_string(i)) == 1);
  CHECK(historyOf(*store).size() == 400);
}

TEST_CASE("first runs creating the same state at the same moment all succeed") {
  // Switching a blank file to WAL fails at once with "database is locked" while the other
  // process holds it (no busy handler there): it must wait and look again, not exit 4.
  for (int round = 0; round < 30; ++round) {
    CAPTURE(round);
    TempDir tmp;
    const std::string path = tmp.file("offboard.db");
    auto first = [path](const char* who) {
      return [path, who]() {
        auto store = StateStore::open(path, OpenMode::CreateIfMissing);
        if (!store) {
          std::fprintf(stderr, "%s: open: %s\n", who, store.status().message().c_str());
          return 10 + exitCodeOf(store.status());
        }
        return (*store)->addAck({std::string(who), who, "", 1}).isOk() ? 0 : 20;
      };
    };
    const char* const names[] = {"alpha", "beta", "gamma", "delta"};
    std::vector<pid_t> pids;
    for (const char* who : names) pids.push_back(spawn(first(who)));
    for (pid_t p : pids) CHECK(waitFor(p) == 0);
    CHECK(snapshotOf(*openOk(path, OpenMode::MustExist)).acks.size() == 4);
  }
}

TEST_CASE("two processes recording the same observation at the same time fold it into one run") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  { openOk(path); }
  auto writer = [path](int start) {
    return [path, start]() {
      auto store = StateStore::open(path, OpenMode::MustExist);
      if (!store) return 10;
      for (int i = 0; i < 100; ++i) {
        if (!(*store)->recordObservations({obs("contoso.com", "MX contoso.com.", "10 mx1.newmail.example.",
                                               start + i)}))
          return 20;
      }
      return 0;
    };
  };
  const pid_t a = spawn(writer(1000));
  const pid_t b = spawn(writer(2000));
  CHECK(waitFor(a) == 0);
  CHECK(waitFor(b) == 0);
  auto store = openOk(path);
  const auto rows = snapshotOf(*store).observations;
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].seenCount == 200);
  CHECK(rows[0].lastSeen == 2099);
  CHECK((rows[0].at == 1000 || rows[0].at == 2000));  // whichever process committed first
  CHECK(historyOf(*store).size() == 200);
}

TEST_CASE("a first run killed while creating the state leaves a file the next run can use") {
  TempDir tmp;
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> delayUs(0, 4000);
  for (int run = 0; run < 20; ++run) {
    const std::string path = tmp.file("first-" + std::to_string(run) + ".db");
    const int delay = delayUs(rng);
    CAPTURE(run);
    CAPTURE(delay);
    const pid_t pid = spawn([path]() {
      auto store = StateStore::open(path, OpenMode::CreateIfMissing);
      if (!store) return 10;
      for (int i = 0;; ++i)
        if (!(*store)->addAck({"step-" + std::to_string(i), "ana", "", i})) return 20;
    });
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
    ::kill(pid, SIGKILL);
    CHECK(waitFor(pid) == 128 + SIGKILL);
    auto store = openOk(path);
    const StateSnapshot s = snapshotOf(*store);
    for (std::size_t i = 0; i < s.acks.size(); ++i) CHECK(s.acks[i].step == "step-" + std::to_string(i));
  }
}

TEST_CASE("kill -9 in the middle of large observation batches: every batch is kept whole or not at all") {
  TempDir tmp;
  constexpr int kRuns = 50;
  constexpr int kRunsPerFile = 10;  // a fresh file now and then keeps reopening and checking fast
  constexpr int kBatchRows = 250;
  std::mt19937 rng(7919);
  std::uniform_int_distribution<int> delayUs(0, 30000);
  std::set<std::string> durable;  // batches known committed: must survive every later kill
  std::size_t committed = 0;
  int killedMidBatch = 0;

  for (int run = 0; run < kRuns; ++run) {
    const std::string path = tmp.file("offboard-" + std::to_string(run / kRunsPerFile) + ".db");
    if (run % kRunsPerFile == 0) {
      committed += durable.size();
      durable.clear();
      openOk(path);  // a killed first run is the previous test's subject
    }
    const int delay = delayUs(rng);
    CAPTURE(run);
    CAPTURE(delay);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = spawn([&, run]() {
      ::close(fds[0]);
      auto opened = StateStore::open(path, OpenMode::CreateIfMissing);
      if (!opened) return 10;
      auto store = std::move(opened).value();
      if (!writeAll(fds[1], "O open\n")) return 30;
      for (int k = 0;; ++k) {
        const std::string domain = "r" + std::to_string(run) + "-b" + std::to_string(k) + ".example";
        std::vector<ObservationRow> rows;
        rows.reserve(kBatchRows);
        for (int i = 0; i < kBatchRows; ++i)
          rows.push_back(obs(domain, "TXT s" + std::to_string(i) + "." + domain + ".",
                             "\"v=spf1 include:spf" + std::to_string(i) + ".example -all\"", 1000 + k));
        if (!writeAll(fds[1], "B " + domain + "\n")) return 30;
        if (!store->recordObservations(rows)) return 20;
        if (!writeAll(fds[1], "E " + domain + "\n")) return 30;
      }
    });
    ::close(fds[1]);
    // The random delay counts from the end of the child's first 1 to 3 batches, whatever the
    // speed of the machine (sanitizers, load): batches have committed, and the kill lands at a
    // random point of the batches after them.
    const int commitsFirst = 1 + run % 2;
    std::string log, line;
    for (int seen = 0; seen < commitsFirst;) {
      char c;
      if (::read(fds[0], &c, 1) != 1) break;
      log += c;
      line += c;
      if (c != '\n') continue;
      if (line.rfind("E ", 0) == 0) ++seen;
      line.clear();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
    ::kill(pid, SIGKILL);
    log += readAll(fds[0]);
    ::close(fds[0]);
    REQUIRE(waitFor(pid) == 128 + SIGKILL);

    // What the child said before it died.
    std::istringstream lines(log);
    std::string tag, domain, lastTag;
    std::set<std::string> begun, ended;
    while (lines >> tag >> domain) {
      if (tag == "O") continue;
      (tag == "B" ? begun : ended).insert(domain);
      lastTag = tag;
    }
    if (lastTag == "B") ++killedMidBatch;

    auto store = openOk(path, OpenMode::MustExist);  // reopens cleanly: quick_check passes
    const StateSnapshot s = snapshotOf(*store);
    std::map<std::string, int> rowsPerDomain;
    for (const ObservationRow& o : s.observations) ++rowsPerDomain[o.domain];
    std::map<std::string, int> eventsPerDomain;
    for (const HistoryEvent& e : historyOf(*store)) ++eventsPerDomain[e.target];
    for (const auto& [d, n] : rowsPerDomain) {
      CAPTURE(d);
      CHECK(n == kBatchRows);         // whole batch, never part of one
      CHECK(eventsPerDomain[d] == 1);  // with its audit event, in the same transaction
    }
    CHECK(eventsPerDomain.size() == rowsPerDomain.size());
    for (const std::string& d : ended) durable.insert(d);  // committed before the kill
    for (const std::string& d : durable) {
      CAPTURE(d);
      CHECK(rowsPerDomain.count(d) == 1);
    }
    for (const auto& [d, n] : rowsPerDomain) {
      CAPTURE(d);
      CHECK(begun.count(d) + durable.count(d) >= 1);  // nothing appears that was never written
      durable.insert(d);
    }
  }
  committed += durable.size();
  MESSAGE("batches committed: " << committed << ", kills inside a batch: " << killedMidBatch
                                << " of " << kRuns);
  CHECK(killedMidBatch >= kRuns / 5);  // the kills really landed inside transactions
  CHECK(committed >= static_cast<std::size_t>(kRuns));  // at least one commit per run
}

TEST_CASE("a full disk fails the write with a storage error and keeps the previous state") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  makeValidState(path);
  const StateSnapshot before = snapshotOf(*openOk(path));

  // The child can write at most a few KiB more to any file: the WAL cannot hold the batch.
  // SIGXFSZ is ignored so that write() fails with EFBIG instead of killing the process.
  const pid_t pid = spawn([path]() {
    ::signal(SIGXFSZ, SIG_IGN);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 10;
    const rlimit lim{static_cast<rlim_t>(8192), static_cast<rlim_t>(8192)};
    auto opened = StateStore::open(path, OpenMode::MustExist);
    if (!opened) return 11;
    auto store = std::move(opened).value();
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 12;
    std::vector<ObservationRow> rows;
    for (int i = 0; i < 2000; ++i)
      rows.push_back(obs("big.example", "TXT t" + std::to_string(i) + ".big.example.", std::string(200, 'x'), 9));
    const Status batch = store->recordObservations(rows);
    if (batch) return 13;  // must fail
    if (batch.message().find("storage error") == std::string::npos) return 14;
    if (batch.code() != Status::Code::IoError) return 18;
    const Status ack = store->addAck({"notify-users", "ana", std::string(100000, 'n'), 9});
    if (ack) return 15;
    if (ack.code() != Status::Code::IoError) return 19;
    // Creating a new state under the same limit fails with exit 4, not a usage error.
    auto fresh = StateStore::open(path + ".new", OpenMode::CreateIfMissing);
    if (fresh) return 16;
    if (exitCodeOf(fresh.status()) != 4) return 17;
    if (fresh.status().code() != Status::Code::IoError) return 20;
    return 0;
  });
  CHECK(waitFor(pid) == 0);

  auto store = openOk(path, OpenMode::MustExist);
  const StateSnapshot after = snapshotOf(*store);
  CHECK(after.acks.size() == before.acks.size());
  CHECK(after.observations.size() == before.observations.size());
  // The half-created new file holds nothing, so the next run may initialise it.
  openOk(path + ".new");
}

TEST_CASE("a schema-1 state is upgraded in place, keeping its acks, waivers, events and observations") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  {
    auto store = openOk(path);
    requireOk(store->addAck({"notify-users", "alice", "sent", 100}));
    requireOk(store->addWaiver({"remove-dkim:contoso.com", "bob", "kept", 200}));
    requireOk(store->recordObservations({obs("contoso.com", "MX contoso.com.", "0 x.", 300)}));
  }
  // Back to what a schema-1 offboard wrote: no revocations, events without 'revoke'.
  rawSql(path,
         "DROP TABLE revocations;"
         "ALTER TABLE events RENAME TO events_v2;"
         "CREATE TABLE events (\n  id     INTEGER PRIMARY KEY,\n  at     INTEGER NOT NULL,\n"
         "  kind   TEXT NOT NULL CHECK (kind IN ('ack', 'waiver', 'observe')),\n  target TEXT NOT NULL,\n"
         "  who    TEXT NOT NULL,\n  text   TEXT NOT NULL\n) STRICT;"
         "INSERT INTO events SELECT * FROM events_v2; DROP TABLE events_v2;"
         "CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events\n"
         "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
         "CREATE TRIGGER events_append_only_d BEFORE DELETE ON events\n"
         "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
         "UPDATE offboard_meta SET value = '1' WHERE key = 'schema'; PRAGMA user_version = 1;");
  REQUIRE(rawQuery(path, "PRAGMA user_version") == "1");
  auto store = openOk(path, OpenMode::MustExist);
  CHECK(rawQuery(path, "PRAGMA user_version") == "2");
  auto snap = snapshotOf(*store);
  REQUIRE(snap.acks.size() == 1);
  CHECK(snap.acks[0].note == "sent");
  REQUIRE(snap.waivers.size() == 1);
  CHECK(snap.waivers[0].seq > snap.acks[0].seq);
  CHECK(snap.observations.size() == 1);
  requireOk(store->addRevocation({"notify-users", "carol", "not sent after all", 50}));
  snap = snapshotOf(*store);
  REQUIRE(snap.revocations.size() == 1);
  // Recorded last, though stamped earliest: its order is the log's, not its clock's.
  CHECK(snap.revocations[0].seq > snap.waivers[0].seq);
  CHECK(historyOf(*store).back().kind == "revoke");
}

TEST_CASE("the tenant binding and the plan's step ids are kept in the state") {
  TempDir tmp;
  auto store = openOk(tmp.file("offboard.db"));
  using Kind = StateStore::Binding::Kind;
  auto same = [](const std::string& stored) -> std::optional<std::string> {
    return stored == "contoso" ? std::optional<std::string>(stored) : std::nullopt;
  };
  auto bind = [&](const std::string& identity, const auto& rule) {
    auto b = store->bindTenant(identity, rule);
    INFO(b.status().message());
    REQUIRE(b.isOk());
    return std::move(b).value();
  };
  auto boundNow = [&] {
    auto b = store->boundTenant();
    INFO(b.status().message());
    REQUIRE(b.isOk());
    return *b;
  };
  CHECK(boundNow() == "");
  const StateStore::Binding first = bind("contoso", same);
  CHECK(first.kind == Kind::Bound);
  CHECK(first.stored == "");
  const StateStore::Binding again = bind("contoso", same);
  CHECK(again.kind == Kind::Matches);
  CHECK(again.stored == "contoso");
  const StateStore::Binding other = bind("fabrikam", [](const std::string&) { return std::optional<std::string>(); });
  CHECK(other.kind == Kind::Mismatch);
  CHECK(other.stored == "contoso");
  CHECK(boundNow() == "contoso");
  auto steps = store->planSteps();
  REQUIRE(steps.isOk());
  CHECK(steps->empty());
  requireOk(store->setPlanSteps({"a", "b:c.example"}));
  steps = store->planSteps();
  REQUIRE(steps.isOk());
  CHECK(*steps == std::vector<std::string>{"a", "b:c.example"});
}

TEST_CASE("--state file:x.db is the file named file:x.db, never an SQLite URI") {
  TempDir tmp;
  const fs::path cwd = fs::current_path();
  fs::current_path(tmp.dir);
  {
    auto store = StateStore::open("file:x.db", OpenMode::CreateIfMissing);
    INFO(store.status().message());
    CHECK(store.isOk());
  }
  const bool plain = fs::exists(tmp.dir / "file:x.db");
  const bool other = fs::exists(tmp.dir / "x.db");
  fs::current_path(cwd);
  CHECK(plain);
  CHECK_FALSE(other);
}

TEST_CASE("no file descriptors left is a storage error (4), never a corrupt state (2)") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  makeValidState(path);
  rlimit old{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &old) == 0);
  // Use up every descriptor below a low limit.
  std::vector<int> fds;
  rlimit low = old;
  low.rlim_cur = 64;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  for (;;) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  auto store = StateStore::open(path, OpenMode::MustExist);
  for (int fd : fds) ::close(fd);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &old) == 0);
  CHECK_FALSE(store.isOk());
  CHECK(store.status().code() == Status::Code::IoError);
  CHECK(exitCodeOf(store.status()) == 4);
  const std::string& err = store.status().message();
  CHECK(err.find("corrupt") == std::string::npos);
  CHECK(err.find("Too many open files") != std::string::npos);
  // And the state is healthy: it opens once descriptors are free.
  CHECK(openOk(path, OpenMode::MustExist) != nullptr);
}

TEST_CASE("a state that is not ours to open is AccessDenied (exit 2), never NotFound or corrupt") {
  TempDir tmp;
  const std::string file = tmp.file("offboard.db");
  const std::string locked = tmp.file("locked");
  const std::string inLocked = locked + "/offboard.db";
  makeValidState(file);
  fs::create_directory(locked);
  makeValidState(inLocked);
  REQUIRE(::chmod(tmp.dir.c_str(), 0755) == 0);
  REQUIRE(::chmod(file.c_str(), 0) == 0);    // cannot be read
  REQUIRE(::chmod(locked.c_str(), 0) == 0);  // cannot even be looked at
  const pid_t pid = spawn([&]() {
    // Root reads every file: the child drops to nobody (its capabilities go with the uid).
    if (::geteuid() == 0 && ::setuid(65534) != 0) return 77;
    for (const std::string& path : {file, inLocked}) {
      for (OpenMode mode : {OpenMode::MustExist, OpenMode::CreateIfMissing}) {
        auto store = StateStore::open(path, mode);
        if (store) return 10;
        const Status& refused = store.status();
        const int wrong = refused.code() != Status::Code::AccessDenied                          ? 11
                          : exitCodeOf(refused) != 2                                            ? 12
                          : refused.message().find(path) == std::string::npos                   ? 13
                          : refused.message().find("Permission denied") == std::string::npos ? 14
                                                                                                : 0;
        if (wrong != 0) {
          std::fprintf(stderr, "%s: %s\n", offboard::statusCodeName(refused.code()).data(), refused.message().c_str());
          return wrong;
        }
      }
    }
    return 0;
  });
  const int rc = waitFor(pid);
  ::chmod(locked.c_str(), 0755);
  ::chmod(file.c_str(), 0600);
  if (rc == 77) {
    MESSAGE("skipped: running as root without the right to become nobody (setuid)");
    return;
  }
  CHECK(rc == 0);
}

TEST_CASE("a read that fails is no snapshot at all, never an empty one; reads and writes then fail as storage errors (exit 4)") {
  TempDir tmp;
  const std::string path = tmp.file("offboard.db");
  auto store = openOk(path);
  requireOk(store->addAck({"backup-data", "ana", "", 1}));
  requireOk(store->recordObservations({obs("contoso.com", "MX contoso.com.", "10 mx1.newmail.example.", 2)}));
  // Another program changes the open state beneath the store: snapshot() reads the acks, then
  // finds the observations gone. The acks it has read must not come back as the state.
  rawSql(path, "DROP TABLE observations");

  auto snap = store->snapshot();
  CHECK_FALSE(snap.isOk());
  CHECK(snap.status().code() == Status::Code::IoError);
  CHECK(exitCodeOf(snap.status()) == 4);
  CHECK(snap.status().message().rfind("state file " + path + ": storage error while reading: ", 0) == 0);
  CHECK(snap.status().message().find("observations") != std::string::npos);

  const Status write = store->recordObservations({obs("contoso.com", "MX contoso.com.", "0 x.", 3)});
  CHECK(write.code() == Status::Code::IoError);
  CHECK(exitCodeOf(write) == 4);
  CHECK(write.message().rfind("state file " + path + ": storage error: ", 0) == 0);
  // What the change left alone still reads: the audit log has the ack and the first batch.
  CHECK(historyOf(*store).size() == 2);
}
