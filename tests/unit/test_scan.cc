#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <chrono>

#include "commands/commands.h"
#include "fake_resolver.h"

using namespace offboard;
using namespace offboard::testing;

namespace {
struct Run {
  int rc;
  std::vector<nlohmann::json> lines;
  std::string err;
};

Run scanStream(std::istream& in, FakeResolver& r) {
  std::ostringstream out, err;
  Io io{out, err};
  Run run;
  run.rc = runScan("domains.txt", in, r, 8, io);
  std::istringstream lines(out.str());
  std::string l;
  while (std::getline(lines, l)) run.lines.push_back(nlohmann::json::parse(l));
  run.err = err.str();
  return run;
}

Run scan(const std::string& input, FakeResolver& r) {
  std::istringstream in(input);
  return scanStream(in, r);
}

// Hands out `data`, then fails as a disk (EIO) or a directory (EISDIR) does.
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::system_error(EIO, std::generic_category()); }

 private:
  std::string data_;
};

// The octets of a line without end, made as they are read: never all in memory at once.
class EndlessBuf : public std::streambuf {
 public:
  EndlessBuf(char c, std::size_t total) : left_(total) { chunk_.fill(c); }

 protected:
  int_type underflow() override {
    if (left_ == 0) return traits_type::eof();
    std::size_t n = std::min(left_, chunk_.size());
    left_ -= n;
    setg(chunk_.data(), chunk_.data(), chunk_.data() + n);
    return traits_type::to_int_type(chunk_[0]);
  }

 private:
  std::array<char, 64 * 1024> chunk_{};
  std::size_t left_;
};

// This process's peak resident set in kB (Linux /proc); nullopt where there is none.
std::optional<long> peakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return std::nullopt;
}
}  // namespace

TEST_CASE("scan streams one JSON object per domain, skipping comments and blank lines") {
  FakeResolver r(Outcome::NoData);
  r.set(obs("b.example", RRType::MX, Outcome::Answer, {rec("b.example", RRType::MX, "b-example.mail.protection.outlook.com")}));
  auto run = scan("# tenant list\n\na.example\n  b.example   # still on M365\r\nc.example\n", r);
  REQUIRE(run.lines.size() == 3);
  int points = 0;
  for (const auto& j : run.lines) {
    CHECK(j.contains("domain"));
    CHECK(j.contains("findings"));
    if (j["verdict"] == "points-at-m365") {
      ++points;
      CHECK(j["domain"] == "b.example");
    }
  }
  CHECK(points == 1);
  CHECK(run.rc == kExitPointsAtM365);
  CHECK(run.err.empty());
}

TEST_CASE("a bad line is reported with its line number and skipped; the run goes on") {
  FakeResolver r(Outcome::NoData);
  r.set(obs("a.example", RRType::MX, Outcome::Answer, {rec("a.example", RRType::MX, "mx.a.example", 300, 10)}));
  r.set(obs("b.example", RRType::MX, Outcome::Answer, {rec("b.example", RRType::MX, "mx.b.example", 300, 10)}));
  auto run = scan("a.example\nbad..name\nb.example\n", r);
  CHECK(run.lines.size() == 2);
  CHECK(run.err.find("domains.txt:2:") != std::string::npos);
  CHECK(run.err.find("empty label") != std::string::npos);
  // Everything read was clear, but the input was not read whole: never exit 0.
  CHECK(run.rc == kExitUsage);
}

TEST_CASE("scan gives each domain the same verdict as check does") {
  FakeResolver r(Outcome::NoData);
  r.set(obs("t.example", RRType::MX, Outcome::Timeout));
  auto run = scan("t.example\n", r);
  REQUIRE(run.lines.size() == 1);
  CHECK(run.lines[0]["verdict"] == "indeterminate");
  CHECK(run.rc == kExitIndeterminate);
}

TEST_CASE("an input without domains is exit 2 naming it, not a clear scan of nothing") {
  FakeResolver r(Outcome::NoData);
  struct Case {
    std::string input;
    const char* why;
  };
  const Case cases[] = {
      {"", "domains.txt: no domains in the input (it is empty)"},
      {"# nothing yet\n\n   \n", "domains.txt: no domains in the input (3 lines of comments and blanks)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    auto run = scan(c.input, r);
    CHECK(run.rc == kExitUsage);
    CHECK(run.lines.empty());
    CHECK_MESSAGE(run.err.find(c.why) != std::string::npos, run.err);
  }
}

TEST_CASE("a line longer than any domain name is a bad line with its number, and the scan goes on") {
  FakeResolver r(Outcome::NoData);
  // 5 MB without a newline between two good lines (the reader keeps 1024 octets of it).
  auto run = scan("a.example\n" + std::string(5u << 20, '\0') + "\nb.example\n", r);
  CHECK(run.lines.size() == 2);
  CHECK_MESSAGE(run.err.find("domains.txt:2: ") != std::string::npos, run.err);
  CHECK(run.err.find("longer than any domain name can be") != std::string::npos);
  CHECK(run.err.size() < 600);  // the message shows the line cut short, not 5 MB of it
  CHECK(run.rc == kExitUsage);  // all clear, but a line was skipped
}

TEST_CASE("a read error ends the scan with exit 2 and says where, never a silent clear") {
  FakeResolver r(Outcome::NoData);
  FailingBuf buf("a.example\nb.example\n");
  std::istream in(&buf);
  auto run = scanStream(in, r);
  CHECK(run.lines.size() == 2);  // what was read before the error is scanned
  CHECK_MESSAGE(run.err.find("domains.txt:3: cannot read: ") != std::string::npos, run.err);
  CHECK(run.err.find(std::system_error(EIO, std::generic_category()).code().message()) !=
        std::string::npos);
  CHECK(run.err.find("no domains") == std::string::npos);
  CHECK(run.rc == kExitUsage);
  // At once: not "no domains", but the read error itself.
  FailingBuf none("");
  std::istream empty(&none);
  auto first = scanStream(empty, r);
  CHECK(first.rc == kExitUsage);
  CHECK(first.err.find("domains.txt:1: cannot read: ") != std::string::npos);
  CHECK(first.err.find("no domains") == std::string::npos);
}

TEST_CASE("scan holds no more of a line than a domain can be: 300 MB without a newline stay flat") {
  auto before = peakRssKb();
  if (!before) {
    MESSAGE("no /proc/self/status: peak RSS not measured");
    return;
  }
  FakeResolver r(Outcome::NoData);
  EndlessBuf nul('\0', 300u << 20);
  std::istream in(&nul);
  auto run = scanStream(in, r);
  auto after = peakRssKb();
  REQUIRE(after);
  CAPTURE(*before);
  CAPTURE(*after);
  CHECK(*after - *before < 64 * 1024);  // holding the line whole took 300 MB more
  CHECK(run.err.find("domains.txt:1: ") != std::string::npos);
  CHECK(run.rc == kExitUsage);
}

namespace {

// The sorted JSON lines and the stderr of a scan of `input` through `run`'s workers.
std::pair<std::vector<std::string>, std::string> scanWith(const std::string& input, ScanRun& run, int* rc) {
  std::istringstream in(input);
  std::ostringstream out, err;
  Io io{out, err};
  *rc = runScan("domains.txt", in, run, io);
  std::vector<std::string> lines;
  std::istringstream ls(out.str());
  for (std::string l; std::getline(ls, l);) lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  return {lines, err.str()};
}

// A fake that takes its time, as a network does, so that the workers of a scan overlap.
class SlowResolver : public FakeResolver {
 public:
  using FakeResolver::FakeResolver;
  void run() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    FakeResolver::run();
  }
};

// A SlowResolver whose first run() waits (up to 10 s) until every resolver sharing `arrived`
// has been run once: each worker of a scan then takes part however late its thread starts on
// a loaded machine (without it, the first worker could finish every domain alone). Workers
// that could not run at once would wait the 10 s and leave one resolver unasked.
class MeetingResolver : public SlowResolver {
 public:
  MeetingResolver(Outcome fallback, std::atomic<int>& arrived, int expected)
      : SlowResolver(fallback), arrived_(arrived), expected_(expected) {}
  void run() override {
    if (!met_) {
      met_ = true;
      arrived_.fetch_add(1);
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (arrived_.load() < expected_ && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    SlowResolver::run();
  }

 private:
  std::atomic<int>& arrived_;
  int expected_;
  bool met_ = false;
};

// A few domains of each kind: at Microsoft, clear, failing, and bad lines between them.
template <typename R>
std::string mixedInput(R* rs, std::size_t n) {
  std::string input;
  for (int i = 0; i < 30; ++i) {
    const std::string d = "m" + std::to_string(i) + ".example";
    for (std::size_t k = 0; k < n; ++k) {
      if (i % 3 == 0)
        rs[k].set(obs(d, RRType::MX, Outcome::Answer, {rec(d, RRType::MX, d + ".mail.protection.outlook.com", 3600, 0)}));
      if (i % 3 == 1) rs[k].set(obs(d, RRType::TXT, Outcome::Timeout));
    }
    input += d + "\n";
    if (i % 10 == 5) input += "bad..line" + std::to_string(i) + "\n";
  }
  return input;
}

}  // namespace

TEST_CASE("scan with several workers writes the same lines as with one, in some order") {
  std::atomic<int> arrived{0};
  SlowResolver first(Outcome::NoData);
  MeetingResolver second(Outcome::NoData, arrived, 2), third(Outcome::NoData, arrived, 2);
  SlowResolver* rs[3] = {&first, &second, &third};
  std::string input;
  for (SlowResolver* r : rs) input = mixedInput(r, 1);  // the same domains, answered alike by each
  ScanRun one;
  one.workers = {ScanWorker{rs[0], nullptr}};
  one.maxActiveDomains = 8;
  int rc1 = 0, rc2 = 0;
  auto [single, err1] = scanWith(input, one, &rc1);
  ScanRun two;
  two.workers = {ScanWorker{rs[1], nullptr}, ScanWorker{rs[2], nullptr}};
  two.maxActiveDomains = 8;
  auto [multi, err2] = scanWith(input, two, &rc2);
  CHECK(single.size() == 30);
  CHECK(multi == single);
  CHECK(rc1 == rc2);
  CHECK(rc1 == kExitPointsAtM365);
  CHECK(two.stats.domains == 30);
  // Both workers took part.
  CHECK_FALSE(rs[1]->asked.empty());
  CHECK_FALSE(rs[2]->asked.empty());
  CHECK(std::count(err2.begin(), err2.end(), '\n') == std::count(err1.begin(), err1.end(), '\n'));
}

namespace {

// A scratch regular file, removed at the end; fd open for reading and writing.
struct TempFile {
  std::string path = "/tmp/offboard-scan-out.XXXXXX";
  int fd = ::mkstemp(path.data());
  TempFile() { REQUIRE(fd >= 0); }
  ~TempFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
  std::string text() const {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
};

std::vector<std::string> sortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream ls(text);
  for (std::string l; std::getline(ls, l);) lines.push_back(l);
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

TEST_CASE("into a regular file, lines go out in batches, and each before the scan waits") {
  FakeResolver r(Outcome::NoData);
  const std::string input = mixedInput(&r, 1);
  // What the per-line path writes into a stream, for comparison.
  ScanRun streamed;
  streamed.workers = {ScanWorker{&r, nullptr}};
  streamed.maxActiveDomains = 1;
  int rc1 = 0;
  auto [expected, err1] = scanWith(input, streamed, &rc1);
  REQUIRE(expected.size() == 30);
  CHECK(r.hooksSet == 2);  // installed for the run and cleared after it
  CHECK_FALSE(r.hooked());

  // One domain at a time: each domain's first question is asked once the one before is done.
  // Right after the wait hook before its answer, the file holds every earlier domain's line.
  TempFile file;
  std::vector<std::pair<std::string, std::size_t>> seen;  // the name asked, whole lines in the file then
  r.afterWait = [&](const Question& q) {
    const std::string text = file.text();
    CHECK((text.empty() || text.back() == '\n'));  // only whole lines, ever
    seen.emplace_back(q.name.toStringNoDot(), static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  };
  std::istringstream in(input);
  std::ostringstream out, err;
  Io io{out, err};
  io.outFileFd = file.fd;
  ScanRun batched;
  batched.workers = {ScanWorker{&r, nullptr}};
  batched.maxActiveDomains = 1;
  const int rc2 = runScan("domains.txt", in, batched, io);
  r.afterWait = nullptr;
  CHECK(rc2 == rc1);
  CHECK(out.str().empty());  // past the stream, into the file
  CHECK(out.good());
  CHECK(sortedLines(file.text()) == expected);
  std::size_t checked = 0;
  for (std::size_t k = 0; k < 30; ++k) {
    const std::string apex = "m" + std::to_string(k) + ".example";
    auto first = std::find_if(seen.begin(), seen.end(), [&](const auto& s) {
      return s.first == apex || (s.first.size() > apex.size() && s.first.compare(s.first.size() - apex.size() - 1, std::string::npos, "." + apex) == 0);
    });
    if (first == seen.end()) continue;
    CHECK_MESSAGE(first->second == k, apex << "'s first question came with " << first->second << " lines in the file");
    ++checked;
  }
  CHECK(checked == 30);
}

TEST_CASE("into a file that cannot be written, the scan goes on and the stream says it failed (exit 4)") {
  FakeResolver r(Outcome::NoData);
  const std::string input = mixedInput(&r, 1);
  TempFile file;
  const int readOnly = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);  // write() fails: EBADF
  REQUIRE(readOnly >= 0);
  std::istringstream in(input);
  std::ostringstream out, err;
  Io io{out, err};
  io.outFileFd = readOnly;
  ScanRun run;
  run.workers = {ScanWorker{&r, nullptr}};
  const int rc = runScan("domains.txt", in, run, io);
  ::close(readOnly);
  CHECK(rc == kExitPointsAtM365);  // every domain was still checked
  CHECK(run.stats.domains == 30);
  CHECK_FALSE(out.good());  // finishOutput turns this into "cannot write the output", exit 4
  CHECK(file.text().empty());
}

TEST_CASE("several workers into a file write the same lines as one worker into a stream") {
  std::atomic<int> arrived{0};
  SlowResolver first(Outcome::NoData);
  MeetingResolver second(Outcome::NoData, arrived, 2), third(Outcome::NoData, arrived, 2);
  SlowResolver* rs[3] = {&first, &second, &third};
  std::string input;
  for (SlowResolver* r : rs) input = mixedInput(r, 1);
  ScanRun one;
  one.workers = {ScanWorker{rs[0], nullptr}};
  int rc1 = 0;
  auto [single, err1] = scanWith(input, one, &rc1);
  TempFile file;
  std::istringstream in(input);
  std::ostringstream out, err;
  Io io{out, err};
  io.outFileFd = file.fd;
  ScanRun two;
  two.workers = {ScanWorker{rs[1], nullptr}, ScanWorker{rs[2], nullptr}};
  two.maxActiveDomains = 4;
  CHECK(runScan("domains.txt", in, two, io) == rc1);
  CHECK(sortedLines(file.text()) == single);
  CHECK_FALSE(rs[1]->asked.empty());
  CHECK_FALSE(rs[2]->asked.empty());
}

TEST_CASE("shards K/N split the domain lines; together they are the whole scan") {
  FakeResolver rs[5] = {FakeResolver(Outcome::NoData), FakeResolver(Outcome::NoData), FakeResolver(Outcome::NoData),
                        FakeResolver(Outcome::NoData), FakeResolver(Outcome::NoData)};
  const std::string input = mixedInput(rs, 5);
  ScanRun whole;
  whole.workers = {ScanWorker{&rs[0], nullptr}};
  int rc = 0;
  auto [all, allErr] = scanWith(input, whole, &rc);
  std::vector<std::string> joined;
  std::size_t warnings = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    ScanRun part;
    part.workers = {ScanWorker{&rs[k + 1], nullptr}};
    part.shard = std::make_pair(k, std::size_t{4});
    int partRc = 0;
    auto [lines, err] = scanWith(input, part, &partRc);
    CAPTURE(k);
    CHECK(lines.size() >= 7);  // 33 domain lines (3 bad) over 4 shards
    CHECK(lines.size() <= 9);
    joined.insert(joined.end(), lines.begin(), lines.end());
    warnings += static_cast<std::size_t>(std::count(err.begin(), err.end(), '\n'));
  }
  std::sort(joined.begin(), joined.end());
  CHECK(joined == all);  // each domain in exactly one shard
  CHECK(warnings == 3);  // each bad line reported by exactly one shard
  CHECK(static_cast<std::size_t>(std::count(allErr.begin(), allErr.end(), '\n')) == 3);

  // More shards than domains: the empty ones say so and claim nothing.
  FakeResolver r(Outcome::NoData);
  ScanRun tiny;
  tiny.workers = {ScanWorker{&r, nullptr}};
  tiny.shard = std::make_pair(std::size_t{3}, std::size_t{5});
  auto [none, noneErr] = scanWith("a.example\nb.example\n", tiny, &rc);
  CHECK(none.empty());
  CHECK(rc == kExitOk);
  CHECK(noneErr.find("falls in shard 3/5") != std::string::npos);
  CHECK(r.asked.empty());
}
