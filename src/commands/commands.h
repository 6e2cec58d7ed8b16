// Subcommands of the `offboard` binary: options, set-up on the CLI11 app, and run functions.
//
// What it is for: each subcommand is an options struct, a `setupX(CLI::App&)` that registers
// it and returns its runner, and a `runX(options, …, Io&) -> int` that tests call directly
// with a fake resolver and string streams. Exit codes are SPEC §5.
// What it must not do: hold state between commands, or print anywhere but through Io.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain_input.h"
#include "core/status.h"
#include "core/types.h"
#include "engine/check_engine.h"
#include "plan/plan_types.h"
#include "render/check_render.h"
#include "fetch/policy_fetcher.h"
#include "resolvers/resolver.h"

namespace CLI {
class App;
}

namespace offboard {

// SPEC §5.
enum ExitCode : int {
  kExitOk = 0,
  kExitPointsAtM365 = 1,  // also: gate blocked
  kExitUsage = 2,
  kExitIndeterminate = 3,
  kExitInternal = 4,
};
int exitForVerdict(Verdict v);
// The one mapping from a failure to an exit code (SPEC §5): what the user gave is wrong (a file
// that is not a state, missing, not ours to open, corrupt or of a newer schema; another tenant's
// state; a step that does not exist) is 2; the disk or a lock is 4.
int exitCodeOf(const Status& s);

struct Io {
  std::ostream& out;
  std::ostream& err;
  bool outIsTerminal = false;
  bool errIsTerminal = false;
  // stdout's descriptor when it is a regular file, -1 otherwise: scan writes its lines there in
  // batches (scan.cc, LineOut).
  int outFileFd = -1;
};

using Runner = std::function<int(Io&)>;

// Where answers come from (SPEC §2); shared by check, plan, gate and scan.
struct SourceOptions {
  std::vector<std::string> resolvers;  // --resolver IP[:PORT], repeatable
  bool authoritative = false;          // --authoritative
  std::string rootHints;               // --root-hints FILE
  std::string zonesDir;                // --zones DIR
  int timeoutMs = 2000;                // --timeout MS
  int tries = 2;                       // --tries N
  std::string resolvConf = "/etc/resolv.conf";  // --resolv-conf FILE (default servers)
  std::size_t maxInFlight = 512;       // queries in flight (scan --concurrency)
  double ratePerSecond = 0;            // queries per second, 0 = unlimited (scan --rate)
  std::string caFile;                  // --ca-file FILE: the CAs MTA-STS policy hosts are verified with
  int fetchTimeoutMs = 10000;          // --fetch-timeout MS: one MTA-STS policy fetch, whole
};
void addSourceOptions(CLI::App& cmd, SourceOptions& o);

struct ResolverBuild {
  std::unique_ptr<Resolver> resolver;
  // Where MTA-STS policies come from: the files beside the zones with --zones, else HTTPS
  // (port 443, or $OFFBOARD_MTA_STS_PORT for a test server). Set whenever `resolver` is.
  std::unique_ptr<PolicyFetcher> policies;
  std::string error;  // set when resolver is null
  int exitCode = kExitOk;
};
// Builds the resolver the options ask for; a bad option or unreadable input is exit 2.
ResolverBuild makeResolver(const SourceOptions& o);

// Where the answers of makeResolver(o) come from, for the plan and gate outputs (SPEC §4
// "evidence"), by the same precedence: --zones DIR is zones {DIR}, not live; --authoritative
// is authoritative {the --root-hints FILE, or "built-in root hints"}; --resolver is resolver
// {each address as "IP:PORT"}; otherwise system-resolver {the nameservers of o.resolvConf as
// "IP:PORT", or none when it cannot be read}. Validates nothing: makeResolver does.
EvidenceInfo evidenceOf(const SourceOptions& o);

// Normalises DOMAIN arguments (IDNA → A-labels), drops duplicates (first one wins), and on the
// first bad one writes "offboard: argument 'x' is …" to err and returns false.
bool parseDomainArgs(const std::vector<std::string>& args, std::vector<DomainInput>& out,
                     std::ostream& err);

// Levenshtein distance, for the nearest known names ("did you mean", unknown step ids).
std::size_t editDistance(std::string_view a, std::string_view b);

// --color: "always", "never", or (auto) a terminal unless NO_COLOR is set and not empty or
// TERM is dumb.
bool useColor(const std::string& colorOption, bool isTerminal);
// The text style for a command's output: colour as above, lines wrapped to the terminal's width
// ($COLUMNS, else the terminal's own) when standard output is a terminal.
TextStyle textStyle(const std::string& colorOption, bool isTerminal, bool verbose);

struct CheckOptions {
  std::vector<std::string> domains;
  SourceOptions source;
  std::string format = "text";  // text | json | markdown
  std::string color = "auto";   // auto | always | never
};
Runner setupCheck(CLI::App& app);
// Runs `check` for already-normalised domains against `resolver`.
int runCheck(const CheckOptions& o, const std::vector<DomainInput>& domains, Resolver& resolver,
             Io& io, PolicyFetcher* policies = nullptr);

// `catalogue` (SPEC §1): prints every catalogue row (family, cloud, pattern, confidence, source,
// last verified) as text or as JSON {"schema": "offboard.catalogue/1", "rows": [...]}; exit 0.
struct CatalogueOptions {
  std::string format = "text";  // text | json
};
Runner setupCatalogue(CLI::App& app);
int runCatalogue(const CatalogueOptions& o, Io& io);

// `scan` (SPEC §6): streams one JSON line per domain read from `in`.
Runner setupScan(CLI::App& app);
int runScan(const std::string& inputName, std::istream& in, Resolver& resolver,
            std::size_t maxActiveDomains, Io& io, std::optional<std::size_t> total = std::nullopt,
            PolicyFetcher* policies = nullptr);

// One worker of a scan: a resolver and a policy source of its own, used by one thread.
struct ScanWorker {
  Resolver* resolver = nullptr;
  PolicyFetcher* policies = nullptr;
};
struct ScanRun {
  std::vector<ScanWorker> workers;     // one thread each (the first on the caller's)
  std::size_t maxActiveDomains = 1024;  // over all workers
  std::optional<std::size_t> total;     // the input's domain lines, for the progress bar
  std::optional<std::pair<std::size_t, std::size_t>> shard;  // K, N: every N-th domain line from K
  std::size_t sharedAnswers = EngineOptions{}.sharedAnswers;
  EngineStats stats;                   // summed over the workers when the scan ends
};
// The same with workers: the input is read, and the lines written, by one worker at a time; the
// lines' content does not depend on the number of workers, their order does.
int runScan(const std::string& inputName, std::istream& in, ScanRun& run, Io& io);

}  // namespace offboard
