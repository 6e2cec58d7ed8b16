// Building the Resolver that the source options ask for (SPEC §2), and naming where its
// answers come from (SPEC §4 "evidence").
#include "commands/commands.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "core/i18n.h"
#include "resolvers/authoritative_resolver.h"
#include "resolvers/root_hints.h"
#include "resolvers/stub_resolver.h"
#include "resolvers/system_resolvers.h"
#include "resolvers/zone_resolver.h"

namespace offboard {

ResolverBuild makeResolver(const SourceOptions& o) {
  ResolverBuild b;
  int modes = (o.resolvers.empty() ? 0 : 1) + (o.authoritative ? 1 : 0) + (o.zonesDir.empty() ? 0 : 1);
  if (modes > 1) {
    b.error = tr("--resolver, --authoritative and --zones are alternatives: give one");
    b.exitCode = kExitUsage;
    return b;
  }
  if (!o.rootHints.empty() && !o.authoritative) {
    b.error = tr("--root-hints only applies with --authoritative");
    b.exitCode = kExitUsage;
    return b;
  }
  if (!o.zonesDir.empty()) {
    std::string err;
    auto z = ZoneResolver::load(o.zonesDir, &err);
    if (!z) {
      b.error = err;
      b.exitCode = kExitUsage;
      return b;
    }
    b.resolver = std::move(z);
    b.policies = makeZoneDirFetcher(o.zonesDir);
    return b;
  }
  // The policy hosts of MTA-STS: over HTTPS, verified with --ca-file, $SSL_CERT_FILE or the
  // system's CAs; on port 443 unless a test names its own server's port.
  HttpsOptions https;
  https.caFile = o.caFile;
  https.timeout = std::chrono::milliseconds(o.fetchTimeoutMs);
  if (const char* port = std::getenv("OFFBOARD_MTA_STS_PORT"); port && *port) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(port, port + std::strlen(port), v);
    if (ec != std::errc{} || *end != '\0' || v == 0 || v > 65535) {
      b.error = trf("OFFBOARD_MTA_STS_PORT {value} is not a port (1-65535)", fmt::arg("value", quoteForMessage(port)));
      b.exitCode = kExitUsage;
      return b;
    }
    https.port = static_cast<std::uint16_t>(v);
  }
  if (!o.caFile.empty() && ::access(o.caFile.c_str(), R_OK) != 0) {
    b.error = "--ca-file " + quoteForMessage(o.caFile) + ": " + std::strerror(errno);
    b.exitCode = kExitUsage;
    return b;
  }
  b.policies = makeHttpsFetcher(https);
  if (o.authoritative) {
    AuthoritativeOptions a;
    if (!o.rootHints.empty()) {
      std::string err;
      auto hints = loadRootHints(o.rootHints, &err);
      if (!hints) {
        b.error = "--root-hints " + err;
        b.exitCode = kExitUsage;
        return b;
      }
      a.rootHints = std::move(*hints);
    }
    a.transport.timeoutMs = o.timeoutMs;
    a.transport.tries = o.tries;
    a.transport.maxInFlight = o.maxInFlight;
    a.transport.ratePerSecond = o.ratePerSecond;
    b.resolver = std::make_unique<AuthoritativeResolver>(std::move(a));
    return b;
  }
  std::vector<std::string> servers;
  if (o.resolvers.empty()) {
    std::string err;
    auto fromFile = readResolvConf(o.resolvConf, &err);
    if (fromFile.empty()) {
      b.error = err.empty() ? o.resolvConf + ": no nameserver line" : err;
      b.exitCode = kExitUsage;
      return b;
    }
    for (const auto& s : fromFile) {
      auto canon = StubResolver::parseServerAddress(s, &err);
      if (canon) servers.push_back(*canon);
    }
  } else {
    for (const auto& s : o.resolvers) {
      std::string err;
      auto canon = StubResolver::parseServerAddress(s, &err);
      if (!canon) {
        b.error = "--resolver " + quoteForMessage(s) + ": " + err;
        b.exitCode = kExitUsage;
        return b;
      }
      servers.push_back(*canon);
    }
  }
  TransportOptions t;
  t.timeoutMs = o.timeoutMs;
  t.tries = o.tries;
  t.maxInFlight = o.maxInFlight;
  t.ratePerSecond = o.ratePerSecond;
  b.resolver = std::make_unique<StubResolver>(servers, t);
  return b;
}

EvidenceInfo evidenceOf(const SourceOptions& o) {
  EvidenceInfo e;
  // The servers as the stub resolver names them ("127.0.0.53:53"); an address it would refuse
  // is kept as given (makeResolver reports it, and then nothing is rendered anyway).
  auto canonical = [](const std::string& s) { return StubResolver::parseServerAddress(s).value_or(s); };
  if (!o.zonesDir.empty()) {
    e.source = EvidenceSource::Zones;
    e.servers = {o.zonesDir};
    e.live = false;  // nothing on the network was asked: a rehearsal
  } else if (o.authoritative) {
    e.source = EvidenceSource::Authoritative;
    e.servers = {o.rootHints.empty() ? std::string("built-in root hints") : o.rootHints};
  } else if (!o.resolvers.empty()) {
    e.source = EvidenceSource::Resolver;
    for (const auto& s : o.resolvers) e.servers.push_back(canonical(s));
  } else {
    e.source = EvidenceSource::SystemResolver;
    // The same file and parser makeResolver uses (a small file, read once more).
    std::string err;
    for (const auto& s : readResolvConf(o.resolvConf, &err)) e.servers.push_back(canonical(s));
  }
  return e;
}

}  // namespace offboard
