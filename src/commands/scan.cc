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

#include <array>
#include <cstring>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <sys/stat.h>
#include <system_error>
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
      *error = "cannot open: " + std::string(std::strerror(errno));
      return nullptr;
    }
  }
  auto buf = std::make_unique<FdBuf>(fd, path != "-");
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    *error = "is a directory (scan reads a file with one domain per line)";
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
};

// What the transport under the resolver did, for --stats; nothing for a source that does not
// report it (zone files, the authoritative walk).
std::string statsLine(const Resolver& resolver) {
  std::optional<TransportStats> s = resolver.transportStats();
  if (!s) return "";
  return fmt::format(
      "offboard scan: queries sent {}, answered {}, retries {}, timed out {}, peak in flight {}, "
      "window {} (min {}, cuts {})\n",
      s->sent, s->answered, s->retries, s->timedOut, s->peakInFlight, s->window, s->minWindow,
      s->windowCuts);
}

}  // namespace

int runScan(const std::string& inputName, std::istream& in, Resolver& resolver,
            std::size_t maxActiveDomains, Io& io, std::optional<std::size_t> total, PolicyFetcher* policies) {
  Tally tally;
  Progress progress(io.err, io.errIsTerminal, total);
  std::size_t lineNo = 0, domains = 0;
  std::string line;
  bool readFailed = false;
  auto warn = [&](const std::string& message) {
    progress.clear();  // a message goes over the bar, which is drawn again after it
    io.err << "offboard scan: " << message << "\n";
  };
  JobSource next = [&]() -> std::optional<DomainJob> {
    while (!gInterrupted && !readFailed) {
      std::string readError;
      LineRead got = readDomainLine(in, &line, &readError);
      if (got == LineRead::End) break;
      ++lineNo;
      if (got == LineRead::Failed) {
        readFailed = true;
        warn(fmt::format("{}:{}: cannot read: {} (the rest of the input is not scanned)",
                         inputName, lineNo, readError));
        break;
      }
      if (got == LineRead::TooLong) {
        // Read to its end and dropped unkept: a line without a newline cannot fill memory.
        ++tally.skipped;
        warn(fmt::format("{}:{}: {} is longer than any domain name can be (over {} octets "
                         "before any '#') (skipped)",
                         inputName, lineNo, quoteForMessage(line), kMaxDomainText));
        continue;
      }
      std::string_view text = lineDomain(line);
      if (text.empty()) continue;
      std::string why;
      auto d = normalizeDomain(text, &why);
      if (!d) {
        ++tally.skipped;
        warn(fmt::format("{}:{}: {} {} (skipped)", inputName, lineNo, quoteForMessage(text), why));
        continue;
      }
      ++domains;
      return DomainJob{std::move(*d), {}};
    }
    return std::nullopt;
  };
  std::string lineBuf;
  // stdout and stderr on one terminal: a line never lands inside the progress bar.
  const bool sameTerminal = io.outIsTerminal && io.errIsTerminal;
  ReportSink sink = [&](std::size_t, DomainReport r) {
    if (sameTerminal) progress.clear();
    lineBuf.clear();
    appendDomainJson(lineBuf, r);
    lineBuf.push_back('\n');
    io.out.write(lineBuf.data(), static_cast<std::streamsize>(lineBuf.size()));
    // One line, one flush: a consumer sees each domain as soon as it is done, and a second
    // Ctrl-C (_exit) can never leave half a line behind.
    io.out.flush();
    ++tally.done;
    switch (r.verdict) {
      case Verdict::PointsAtM365: ++tally.points; break;
      case Verdict::Indeterminate: ++tally.indeterminate; break;
      case Verdict::Clear: ++tally.clear; break;
    }
    tally.worst = worse(tally.worst, r.verdict);
    progress.update(tally);
  };
  runChecks(resolver, next, sink, maxActiveDomains, policies);
  io.out.flush();
  progress.finish(tally);
  if (gInterrupted) return tally.points ? kExitPointsAtM365 : kExitIndeterminate;
  if (!readFailed && domains == 0 && tally.skipped == 0) {
    // An empty file, a closed stdin (main gives it /dev/null), only comments: nothing was
    // checked, which is not "clear".
    warn(fmt::format("{}: no domains in the input ({})", inputName,
                     lineNo == 0 ? "it is empty"
                                 : fmt::format("{} line{} of comments and blanks", lineNo,
                                               lineNo == 1 ? "" : "s")));
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
                "timeouts, window)"));
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
    SourceOptions source = o->source;
    source.ratePerSecond = o->rate;
    ResolverBuild rb = makeResolver(source);
    if (!rb.resolver) {
      io.err << "offboard scan: " << rb.error << "\n";
      return rb.exitCode;
    }
    std::istream* in = &input;
    std::signal(SIGINT, onInterrupt);
    // Enough domains active to keep the query window full (≈12 questions per domain).
    std::size_t active = std::max<std::size_t>(16, o->source.maxInFlight / 4);
    int rc = runScan(inputName, *in, *rb.resolver, active, io,
                     io.errIsTerminal ? countDomainLines(o->input) : std::nullopt, rb.policies.get());
    if (o->stats) io.err << statsLine(*rb.resolver);
    return rc;
  };
}

}  // namespace offboard
