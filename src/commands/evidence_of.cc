// Naming where the source options' answers come from (SPEC §4 "evidence"), beside makeResolver
// (source.cc), which builds the resolver from the same options.
#include "commands/commands.h"
#include "plan/plan_types.h"
#include "resolvers/stub_resolver.h"
#include "resolvers/system_resolvers.h"

namespace offboard {

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
