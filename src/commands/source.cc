// Building the Resolver that the source options ask for (SPEC §2).
#include "commands/commands.h"
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
    b.error = "--resolver, --authoritative and --zones are alternatives: give one";
    b.exitCode = kExitUsage;
    return b;
  }
  if (!o.rootHints.empty() && !o.authoritative) {
    b.error = "--root-hints only applies with --authoritative";
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
    return b;
  }
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

}  // namespace offboard
