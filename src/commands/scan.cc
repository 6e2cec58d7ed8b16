// `offboard scan`: bulk diagnostics, streaming (SPEC §6).
//
// Reads domains lazily (one per line, `#` comments), keeps a bounded number in flight through
// the check engine, writes one JSON object per line as each domain completes, and shows a
// progress bar on stderr when stderr is a terminal. Memory does not grow with the input: not with
// its number of lines, nor with the length of one (readDomainLine keeps kMaxDomainText octets).
// An input that cannot be read (a directory, a read error) or holds no domain is exit 2 naming
// it, never a silent clear.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <mutex>
#include <sched.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

#include "commands/commands.h"
#include "core/i18n.h"
#include "engine/check_engine.h"
#include "render/report_json.h"

namespace offboard {
namespace {

volatile std::sig_atomic_t gInterrupted = 0;  // set by SIGINT: stop reading, finish in-flight

// The first Ctrl-C stops reading and lets the domains in flight finish (each line written is
// flushed whole, see the sink); a second one ends the process at once, without writing the
// domains still in flight: every line already out is complete.
extern "C" void onInterrupt(int) {
  if (gInterrupted) _exit(130);  // 128 + SIGINT, as a shell reports it
  gInterrupted = 1;
}

// A read-only stream buffer over a descriptor (stdin or an opened FILE). A failed read throws
// std::system_error out of underflow(), which readDomainLine reports with its errno: std::cin
// reports a read error (EIO, EISDIR) as the end of the input, so a scan of what could not be
// read looked like a scan of an empty list.
class FdBuf : public std::streambuf {
 public:
  FdBuf(int fd, bool owned) : fd_(fd), owned_(owned) {}
  FdBuf(const FdBuf&) = delete;
  FdBuf& operator=(const FdBuf&) = delete;
  ~FdBuf() override {
    if (owned_) ::close(fd_);
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    // Ctrl-C: stop reading, even inside a line that never ends (/dev/zero).
    if (gInterrupted) return traits_type::eof();
    ssize_t n;
    do {
      n = ::read(fd_, buf_.data(), buf_.size());
    } while (n < 0 && errno == EINTR && !gInterrupted);
    if (n < 0 && errno == EINTR) return traits_type::eof();  // Ctrl-C: stop reading
    if (n < 0) throw std::system_error(errno, std::generic_category());
    if (n == 0) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  int fd_;
  bool owned_;
  std::array<char, 64 * 1024> buf_{};
};

// Opens FILE ("-": stdin) for reading. nullptr with *error = "what" when it cannot be opened or
// is a directory (read() on one fails with EISDIR; say so before anything is set up).
std::unique_ptr<FdBuf> openInput(const std::string& path, std::string* error) {
  int fd = STDIN_FILENO;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = trf("cannot open: {reason}", fmt::arg("reason", std::strerror(errno)));
      return nullptr;
    }
  }
  auto buf = std::make_unique<FdBuf>(fd, path != "-");
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    *error = tr("is a directory (scan reads a file with one domain per line)");
    return nullptr;
  }
  return buf;
}

// Strips a `#` comment and surrounding blanks; returns the domain text (may be empty).
std::string_view lineDomain(std::string_view line) {
  auto hash = line.find('#');
  if (hash != std::string_view::npos) line = line.substr(0, hash);
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; };
  while (!line.empty() && blank(line.front())) line.remove_prefix(1);
  while (!line.empty() && blank(line.back())) line.remove_suffix(1);
  return line;
}

// Lines of a regular file, counted up front so the progress bar can show a total (read as scan
// reads it: no line is held whole).
std::optional<std::size_t> countDomainLines(const std::string& path) {
  struct stat st {};
  if (path == "-" || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string err;
  auto buf = openInput(path, &err);
  if (!buf) return std::nullopt;
  std::istream in(buf.get());
  std::string line;
  std::size_t n = 0;
  for (;;) {
    LineRead r = readDomainLine(in, &line, &err);
    if (r == LineRead::End || r == LineRead::Failed) break;
    if (r == LineRead::TooLong || !lineDomain(line).empty()) ++n;
  }
  return n;
}

// Where scan's lines go. Into a pipe, a terminal or a test's stream each line is written and
// flushed at once: a consumer sees each domain as soon as it is done, and a second Ctrl-C
// (_exit) never leaves half a line in a pipe (a line of up to PIPE_BUF octets is written in
// one piece). Into a regular file (Io::outFileFd) the lines are gathered and written with one
// write() per kBatch octets, and whenever the scan is about to wait, for the network or for
// more input (push): one system call for dozens of lines, not one or two for each, and still
// no line held back behind a slow server. A batch is written past the stream, in as few
// write() calls as the file takes (one, but on a full disk), because stdio would cut it at its
// buffer's edge, mid-line; a signal does not cut a write() to a file short. So a second Ctrl-C
// leaves only whole lines there too, and loses, with the domains in flight, the lines not yet
// written (under kBatch octets). A write that fails sets the stream's badbit, which the
// process reports as output it could not write (exit 4), and later lines are dropped.
class LineOut {
 public:
  static constexpr std::size_t kBatch = 64 * 1024;

  LineOut(std::ostream& out, int fileFd) : out_(out), fd_(fileFd) {
    if (fd_ >= 0) pending_.reserve(kBatch + 8 * 1024);
  }
  LineOut(const LineOut&) = delete;
  LineOut& operator=(const LineOut&) = delete;

  void add(const DomainReport& r) {
    if (fd_ < 0) pending_.clear();
    appendDomainJson(pending_, r);
    pending_.push_back('\n');
    if (fd_ < 0) {
      out_.write(pending_.data(), static_cast<std::streamsize>(pending_.size()));
      out_.flush();
    } else if (pending_.size() >= kBatch) {
      push();
    }
  }

  // Writes what is gathered (a regular file); nothing to do otherwise.
  void push() {
    if (fd_ < 0 || pending_.empty()) return;
    if (!failed_) {
      out_.flush();  // anything written through the stream before goes first
      const char* p = pending_.data();
      std::size_t left = pending_.size();
      while (left > 0) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          failed_ = true;
          out_.setstate(std::ios::badbit);
          break;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
      }
    }
    pending_.clear();
  }

 private:
  std::ostream& out_;
  int fd_;
  bool failed_ = false;
  std::string pending_;
};

struct Tally {
  std::size_t done = 0, points = 0, indeterminate = 0, clear = 0, skipped = 0;
  Verdict worst = Verdict::Clear;
};

class Progress {
 public:
  Progress(std::ostream& err, bool enabled, std::optional<std::size_t> total)
      : err_(err), enabled_(enabled), total_(total), start_(Clock::now()) {}

  // Before a JSON line goes to the same terminal: the bar is erased, and drawn again after it,
  // so a line never lands in the middle of the bar.
  void clear() {
    if (!enabled_ || !shown_) return;
    err_ << "\r\x1b[K";
    err_.flush();
    shown_ = false;
  }

  void update(const Tally& t, bool force = false) {
    if (!enabled_) return;
    force = force || !shown_;
    auto now = Clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? t.done / secs : 0;
    std::string bar;
    if (total_ && *total_ > 0) {
      double frac = std::min(1.0, static_cast<double>(t.done) / static_cast<double>(*total_));
      int filled = static_cast<int>(frac * 30);
      bar = "[" + std::string(filled, '#') + std::string(30 - filled, '.') + "] ";
      double left = rate > 0 ? (static_cast<double>(*total_) - t.done) / rate : 0;
      err_ << "\r" << bar
           << trf("{done}/{total} {rate}/s  failed {failed}  left {left}s ", fmt::arg("done", t.done),
                  fmt::arg("total", *total_), fmt::arg("rate", static_cast<long long>(rate)),
                  fmt::arg("failed", t.indeterminate), fmt::arg("left", static_cast<long long>(left)));
    } else {
      err_ << "\r"
           << trf("{done} done {rate}/s  failed {failed} ", fmt::arg("done", t.done),
                  fmt::arg("rate", static_cast<long long>(rate)), fmt::arg("failed", t.indeterminate));
    }
    err_.flush();
    shown_ = true;
  }

  void finish(const Tally& t) {
    if (!enabled_) return;
    update(t, true);
    double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    err_ << "\n"
         << trnf("{n} domain in {secs}s: {points} point at Microsoft 365, {indeterminate} indeterminate, {clear} clear",
                 "{n} domains in {secs}s: {points} point at Microsoft 365, {indeterminate} indeterminate, {clear} clear",
                 t.done, fmt::arg("n", t.done), fmt::arg("secs", fmt::format("{:.1f}", secs)),
                 fmt::arg("points", t.points), fmt::arg("indeterminate", t.indeterminate), fmt::arg("clear", t.clear));
    if (t.skipped)
      err_ << ", " << trnf("{n} bad line skipped", "{n} bad lines skipped", t.skipped, fmt::arg("n", t.skipped));
    if (gInterrupted) err_ << " " << tr("(interrupted)");
    err_ << "\n";
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& err_;
  bool enabled_;
  std::optional<std::size_t> total_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool shown_ = false;  // the bar is on the terminal now
};

struct ScanOptions {
  std::string input = "-";
  SourceOptions source;
  double rate = 0;  // queries per second; 0 = unlimited
  bool stats = false;
  int threads = 0;          // 0: the cores this process may run on (1 with --zones)
  std::string shard;        // "K/N", empty: every domain
  bool noShared = false;    // --no-shared-answers
};

// The cores this process may run on (its CPU affinity, which taskset and containers set).
int availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// What the transports under the workers' resolvers did, summed, for --stats; nothing for a
// source that does not report it (zone files, the authoritative walk).
std::string transportLine(const std::vector<ScanWorker>& workers) {
  std::optional<TransportStats> sum;
  for (const auto& w : workers) {
    std::optional<TransportStats> s = w.resolver->transportStats();
    if (!s) continue;
    if (!sum) {
      sum = s;
      continue;
    }
    sum->sent += s->sent;
    sum->answered += s->answered;
    sum->retries += s->retries;
    sum->timedOut += s->timedOut;
    sum->peakInFlight += s->peakInFlight;
    sum->window += s->window;
    sum->minWindow = std::min(sum->minWindow, s->minWindow);
    sum->windowCuts += s->windowCuts;
  }
  if (!sum) return "";
  return fmt::format(
      "offboard scan: queries sent {}, answered {}, retries {}, timed out {}, peak in flight {}, "
      "window {} (min {}, cuts {})\n",
      sum->sent, sum->answered, sum->retries, sum->timedOut, sum->peakInFlight, sum->window, sum->minWindow,
      sum->windowCuts);
}

// What the check engines did, summed: questions per domain, and how many follow-ups the shared
// answers saved (engine/answer_cache.h).
std::string engineLine(const EngineStats& e, std::size_t threads) {
  const double perDomain = e.domains ? static_cast<double>(e.asked) / static_cast<double>(e.domains) : 0.0;
  return fmt::format(
      "offboard scan: domains {}, questions asked {} ({:.2f} per domain), follow-ups from shared answers {}, "
      "joined in flight {}, threads {}\n",
      e.domains, e.asked, perDomain, e.fromCache, e.joined, threads);
}

// "K/N" with 0 <= K < N: this process checks the domains whose index in the input (counting
// every line that holds a domain, good or bad) is K modulo N.
std::optional<std::pair<std::size_t, std::size_t>> parseShard(const std::string& text, std::string* error) {
  auto slash = text.find('/');
  std::size_t k = 0, n = 0;
  auto num = [](std::string_view v, std::size_t& out) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return ec == std::errc{} && end == v.data() + v.size() && !v.empty();
  };
  if (slash == std::string::npos || !num(std::string_view(text).substr(0, slash), k) ||
      !num(std::string_view(text).substr(slash + 1), n) || n == 0 || k >= n) {
    *error = trf("--shard {value}: give K/N with 0 <= K < N (0/4, 1/4, 2/4, 3/4 for four shards)",
                 fmt::arg("value", quoteForMessage(text)));
    return std::nullopt;
  }
  return std::make_pair(k, n);
}

}  // namespace

int runScan(const std::string& inputName, std::istream& in, Resolver& resolver,
            std::size_t maxActiveDomains, Io& io, std::optional<std::size_t> total, PolicyFetcher* policies) {
  ScanRun run;
  run.workers = {ScanWorker{&resolver, policies}};
  run.maxActiveDomains = maxActiveDomains;
  run.total = total;
  return runScan(inputName, in, run, io);
}

int runScan(const std::string& inputName, std::istream& in, ScanRun& run, Io& io) {
  Tally tally;
  std::mutex lock;  // the input, the output, the tally and the progress bar: one worker at a time
  std::size_t inShard = 0, domainLines = 0;
  const std::optional<std::size_t> total = run.shard ? std::nullopt : run.total;
  Progress progress(io.err, io.errIsTerminal, total);
  std::size_t lineNo = 0, domains = 0;
  std::string line;
  bool readFailed = false;
  auto warn = [&](const std::string& message) {
    progress.clear();  // a message goes over the bar, which is drawn again after it
    io.err << "offboard scan: " << message << "\n";
  };
  LineOut output(io.out, io.outFileFd);
  JobSource next = [&]() -> std::optional<DomainJob> {
    std::lock_guard<std::mutex> hold(lock);
    while (!gInterrupted && !readFailed) {
      // The next read may wait for the input (a pipe that trickles): what is done goes first.
      if (in.rdbuf()->in_avail() <= 0) output.push();
      std::string readError;
      LineRead got = readDomainLine(in, &line, &readError);
      if (got == LineRead::End) break;
      ++lineNo;
      if (got == LineRead::Failed) {
        readFailed = true;
        warn(trf("{file}:{line}: cannot read: {reason} (the rest of the input is not scanned)",
                 fmt::arg("file", inputName), fmt::arg("line", lineNo), fmt::arg("reason", readError)));
        break;
      }
      // A shard takes every N-th line that holds a domain (good or bad), so the union of the
      // shards' outputs and warnings is the unsharded scan's.
      const bool holdsDomain = got == LineRead::TooLong || !lineDomain(line).empty();
      if (holdsDomain && run.shard && domainLines++ % run.shard->second != run.shard->first) continue;
      if (holdsDomain) ++inShard;
      if (got == LineRead::TooLong) {
        // Read to its end and dropped unkept: a line without a newline cannot fill memory.
        ++tally.skipped;
        warn(trf("{file}:{line}: {text} is longer than any domain name can be (over {max} octets "
                 "before any '#') (skipped)",
                 fmt::arg("file", inputName), fmt::arg("line", lineNo), fmt::arg("text", quoteForMessage(line)),
                 fmt::arg("max", kMaxDomainText)));
        continue;
      }
      std::string_view text = lineDomain(line);
      if (text.empty()) continue;
      std::string why;
      auto d = normalizeDomain(text, &why);
      if (!d) {
        ++tally.skipped;
        warn(trf("{file}:{line}: {text} {why} (skipped)", fmt::arg("file", inputName), fmt::arg("line", lineNo),
                 fmt::arg("text", quoteForMessage(text)), fmt::arg("why", why)));
        continue;
      }
      ++domains;
      return DomainJob{std::move(*d), {}};
    }
    return std::nullopt;
  };
  // stdout and stderr on one terminal: a line never lands inside the progress bar.
  const bool sameTerminal = io.outIsTerminal && io.errIsTerminal;
  ReportSink sink = [&](std::size_t, DomainReport r) {
    std::lock_guard<std::mutex> hold(lock);
    if (sameTerminal) progress.clear();
    output.add(r);
    ++tally.done;
    switch (r.verdict) {
      case Verdict::PointsAtM365: ++tally.points; break;
      case Verdict::Indeterminate: ++tally.indeterminate; break;
      case Verdict::Clear: ++tally.clear; break;
    }
    tally.worst = worse(tally.worst, r.verdict);
    progress.update(tally);
  };
  // One check engine per worker, each with its own resolver (its own sockets and caches) and
  // its share of the domains in flight; the first runs on this thread.
  const std::size_t n = run.workers.size();
  std::vector<EngineStats> stats(n);
  auto work = [&](std::size_t i) {
    EngineOptions o;
    o.maxActiveDomains = std::max<std::size_t>(1, run.maxActiveDomains / n);
    o.policies = run.workers[i].policies;
    o.sharedAnswers = run.sharedAnswers;
    o.stats = &stats[i];
    o.beforeWait = [&] {
      std::lock_guard<std::mutex> hold(lock);
      output.push();
    };
    runChecks(*run.workers[i].resolver, next, sink, o);
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < n; ++i) threads.emplace_back(work, i);
  work(0);
  for (auto& t : threads) t.join();
  for (const auto& e : stats) {
    run.stats.domains += e.domains;
    run.stats.asked += e.asked;
    run.stats.fromCache += e.fromCache;
    run.stats.joined += e.joined;
  }
  output.push();
  io.out.flush();
  progress.finish(tally);
  if (gInterrupted) return tally.points ? kExitPointsAtM365 : kExitIndeterminate;
  if (!readFailed && run.shard && inShard == 0 && domainLines > 0) {
    // The input has domains, none of them this shard's (fewer domains than shards): nothing to
    // say about them here; the other shards' outputs hold them.
    warn(trnf("{file}: none of its {n} domain line falls in shard {k}/{count}",
              "{file}: none of its {n} domain lines falls in shard {k}/{count}", domainLines,
              fmt::arg("file", inputName), fmt::arg("n", domainLines), fmt::arg("k", run.shard->first),
              fmt::arg("count", run.shard->second)));
    return kExitOk;
  }
  if (!readFailed && domains == 0 && tally.skipped == 0) {
    // An empty file, a closed stdin (main gives it /dev/null), only comments: nothing was
    // checked, which is not "clear".
    warn(trf("{file}: no domains in the input ({what})", fmt::arg("file", inputName),
             fmt::arg("what", lineNo == 0 ? tr("it is empty")
                                          : trnf("{n} line of comments and blanks",
                                                 "{n} lines of comments and blanks", lineNo,
                                                 fmt::arg("n", lineNo)))));
    return kExitUsage;
  }
  int rc = exitForVerdict(tally.worst);
  // Clear must never be claimed for an input that was not read whole.
  if (rc == kExitOk && (tally.skipped > 0 || readFailed)) return kExitUsage;
  return rc;
}

Runner setupScan(CLI::App& app) {
  auto o = std::make_shared<ScanOptions>();
  CLI::App* cmd = app.add_subcommand(
      "scan", tr("Bulk diagnostics: check many domains (one per line) and stream JSON lines"));
  cmd->footer(
      tr("Input: one domain per line; '#' starts a comment; blank lines are ignored; a bad line (or\n"
      "one over 1024 octets before any '#') is reported on stderr with its line number and\n"
      "skipped. An input without domains, a directory or a read error is exit 2.\n"
      "Output: one JSON object per domain (the per-domain object of `check --format json`),\n"
      "written as each domain completes, not in input order. Progress and a summary go to\n"
      "stderr when it is a terminal. Ctrl-C stops reading and finishes what is in flight; a\n"
      "second Ctrl-C stops at once (exit 130). Every line written is a complete JSON object.\n"
      "Exit: as `check` over all domains; 2 if lines were skipped and everything else is clear.\n"
      "Examples:\n"
      "  offboard scan domains.txt > results.jsonl\n"
      "  grep -v '^#' tenants.txt | offboard scan - --resolver 127.0.0.53 --concurrency 1000"));
  cmd->add_option("input", o->input, tr("FILE with one domain per line, or - for stdin (default)"));
  addSourceOptions(*cmd, o->source);
  cmd->add_option("--rate", o->rate, tr("Queries per second at most (default: unlimited)"))
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_flag("--stats", o->stats,
                tr("At the end, print query statistics to stderr (sent, answered, retries, "
                "timeouts, window; questions per domain, follow-ups shared)"));
  cmd->add_option("--threads", o->threads,
                  tr("Worker threads, each with its own resolver and a share of --concurrency and --rate "
                     "(default: the cores this process may use; 1 with --zones)"))
      ->check(CLI::Range(1, 256));
  cmd->add_option("--shard", o->shard,
                  tr("K/N: check only every N-th domain line from the K-th (0-based), to split a scan "
                     "across processes or hosts; the shards' outputs together are the whole scan's"));
  cmd->add_flag("--no-shared-answers", o->noShared,
                tr("Ask every domain's follow-up questions anew instead of sharing the answers of "
                   "questions domains have in common (for comparison)"));
  return [o, cmd](Io& io) -> int {
    if (!cmd->parsed()) return -1;
    const std::string inputName = o->input == "-" ? "stdin" : o->input;
    std::string openError;
    std::unique_ptr<FdBuf> inputBuf = openInput(o->input, &openError);
    if (!inputBuf) {
      io.err << "offboard scan: " << inputName << ": " << openError << "\n";
      return kExitUsage;
    }
    std::istream input(inputBuf.get());
    ScanRun run;
    if (!o->shard.empty()) {
      std::string err;
      run.shard = parseShard(o->shard, &err);
      if (!run.shard) {
        io.err << "offboard scan: " << err << "\n";
        return kExitUsage;
      }
    }
    const std::size_t threads =
        static_cast<std::size_t>(o->threads > 0 ? o->threads : o->source.zonesDir.empty() ? availableCores() : 1);
    // Each worker its own resolver, with its share of the window and of the rate.
    SourceOptions source = o->source;
    source.ratePerSecond = o->rate / static_cast<double>(threads);
    source.maxInFlight = std::max<std::size_t>(1, o->source.maxInFlight / threads);
    std::vector<ResolverBuild> builds;
    for (std::size_t i = 0; i < threads; ++i) {
      builds.push_back(makeResolver(source));
      if (!builds.back().resolver) {
        io.err << "offboard scan: " << builds.back().error << "\n";
        return builds.back().exitCode;
      }
      run.workers.push_back(ScanWorker{builds.back().resolver.get(), builds.back().policies.get()});
    }
    run.sharedAnswers = o->noShared ? 0 : EngineOptions{}.sharedAnswers;
    std::signal(SIGINT, onInterrupt);
    // Enough domains active to keep the query window full (≈12 questions per domain).
    run.maxActiveDomains = std::max<std::size_t>(16 * threads, o->source.maxInFlight / 4);
    run.total = io.errIsTerminal ? countDomainLines(o->input) : std::nullopt;
    int rc = runScan(inputName, input, run, io);
    if (o->stats) io.err << transportLine(run.workers) << engineLine(run.stats, threads);
    return rc;
  };
}

}  // namespace offboard
