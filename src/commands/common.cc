#include <CLI/CLI.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <set>

#include "commands/commands.h"
#include "core/i18n.h"

namespace offboard {

int exitForVerdict(Verdict v) {
  switch (v) {
    case Verdict::Clear: return kExitOk;
    case Verdict::PointsAtM365: return kExitPointsAtM365;
    case Verdict::Indeterminate: return kExitIndeterminate;
  }
  return kExitInternal;
}

int exitCodeOf(const Status& s) {
  switch (s.code()) {
    case Status::Code::Ok: return kExitOk;
    case Status::Code::NotFound:
    case Status::Code::AccessDenied:
    case Status::Code::NotAState:
    case Status::Code::Corrupt:
    case Status::Code::TenantMismatch:
    case Status::Code::InvalidArgument: return kExitUsage;
    case Status::Code::IoError:
    case Status::Code::Busy: return kExitInternal;
  }
  return kExitInternal;
}

void addSourceOptions(CLI::App& cmd, SourceOptions& o) {
  const char* group = tr("Where answers come from");
  cmd.add_option("--resolver", o.resolvers,
                 tr("Recursive resolver IP[:PORT] to ask instead of /etc/resolv.conf's (repeatable)"))
      ->group(group);
  cmd.add_flag("--authoritative", o.authoritative,
               tr("Walk the delegation from the root and ask every authoritative server (RD=0)"))
      ->group(group);
  cmd.add_option("--root-hints", o.rootHints, tr("Root hints FILE (named.root format) for --authoritative"))
      ->group(group);
  cmd.add_option("--zones", o.zonesDir,
                 tr("Offline: answer from zone files DIR/NAME.zone (root.zone for the root)"))
      ->group(group);
  cmd.add_option("--timeout", o.timeoutMs,
                 tr("First try's timeout in milliseconds (default 2000); each further try waits twice "
                 "as long, so a silent server costs 2000+4000 ms with the defaults"))
      ->check(CLI::Range(1, 60000))
      ->group(group);
  cmd.add_option("--tries", o.tries, tr("Attempts per query and server (default 2)"))
      ->check(CLI::Range(1, 10))
      ->group(group);
  cmd.add_option("--resolv-conf", o.resolvConf, tr("Where to read the default resolvers"))
      ->group(group);
  cmd.add_option("--concurrency", o.maxInFlight, tr("Queries in flight at most (default 512)"))
      ->check(CLI::Range(1, 30000))
      ->group(group);
  cmd.add_option("--ca-file", o.caFile,
                 tr("CA certificates (PEM FILE) to verify MTA-STS policy hosts with, instead of $SSL_CERT_FILE "
                    "or the system's"))
      ->group(group);
  cmd.add_option("--fetch-timeout", o.fetchTimeoutMs,
                 tr("Time allowed for one MTA-STS policy fetch (connect, TLS, body) in milliseconds "
                    "(default 10000)"))
      ->check(CLI::Range(100, 120000))
      ->group(group);
}

bool parseDomainArgs(const std::vector<std::string>& args, std::vector<DomainInput>& out,
                     std::ostream& err) {
  std::set<DnsName> seen;
  for (const auto& a : args) {
    std::string why;
    auto d = normalizeDomain(a, &why);
    if (!d) {
      err << "offboard: argument " << quoteForMessage(a) << " " << why << "\n";
      return false;
    }
    if (seen.insert(d->name).second) out.push_back(std::move(*d));
  }
  return true;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

TextStyle textStyle(const std::string& colorOption, bool isTerminal, bool verbose) {
  TextStyle s;
  s.color = useColor(colorOption, isTerminal);
  s.verbose = verbose;
  if (!isTerminal) return s;
  if (const char* c = std::getenv("COLUMNS"); c && *c) {
    char* end = nullptr;
    long n = std::strtol(c, &end, 10);
    if (*end == '\0' && n > 0 && n < 10000) s.width = static_cast<std::size_t>(n);
  }
  if (s.width == 0) {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) s.width = ws.ws_col;
  }
  if (s.width == 0) s.width = 80;
  return s;
}

bool useColor(const std::string& colorOption, bool isTerminal) {
  if (colorOption == "always") return true;
  if (colorOption == "never") return false;
  // no-color.org: NO_COLOR present and not empty; a dumb terminal shows escapes as text.
  if (const char* v = std::getenv("NO_COLOR"); v && *v) return false;
  if (const char* t = std::getenv("TERM"); t && std::string_view(t) == "dumb") return false;
  return isTerminal;
}

}  // namespace offboard
