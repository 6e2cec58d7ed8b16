// evidenceOf: the source options name where a plan's or gate's DNS evidence came from (SPEC §4).
#include <doctest/doctest.h>

#include <stdlib.h>

#include <fstream>
#include <string>

#include "commands/commands.h"
#include "plan/plan_types.h"

using namespace offboard;

namespace {

// A scratch directory removed at the end of each test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/offboard-evidence-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path + "'";
    (void)!system(cmd.c_str());
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
};

using Servers = std::vector<std::string>;

}  // namespace

TEST_CASE("--zones DIR is zone-file evidence: the directory, and not live") {
  SourceOptions o;
  o.zonesDir = "fixtures/zones";
  EvidenceInfo e = evidenceOf(o);
  CHECK(e.source == EvidenceSource::Zones);
  CHECK(evidenceSourceName(e.source) == "zones");
  CHECK(e.servers == Servers{"fixtures/zones"});
  CHECK_FALSE(e.live);
}

TEST_CASE("--authoritative names its root hints: the given file, else the built-in ones") {
  SourceOptions o;
  o.authoritative = true;
  EvidenceInfo e = evidenceOf(o);
  CHECK(e.source == EvidenceSource::Authoritative);
  CHECK(e.servers == Servers{"built-in root hints"});
  CHECK(e.live);
  o.rootHints = "fixtures/root.hints";
  e = evidenceOf(o);
  CHECK(e.servers == Servers{"fixtures/root.hints"});
  CHECK(e.live);
}

TEST_CASE("--resolver addresses are named as the stub resolver asks them, in the order given") {
  SourceOptions o;
  o.resolvers = {"127.0.0.1", "127.0.0.2:5353", "::1", "[::1]:54"};
  o.resolvConf = "/nonexistent/resolv.conf";  // never read when --resolver is given
  EvidenceInfo e = evidenceOf(o);
  CHECK(e.source == EvidenceSource::Resolver);
  CHECK(e.servers == Servers{"127.0.0.1:53", "127.0.0.2:5353", "[::1]:53", "[::1]:54"});
  CHECK(e.live);
  // The same list makeResolver hands the stub resolver (which describes itself by it).
  ResolverBuild b = makeResolver(o);
  REQUIRE(b.resolver);
  CHECK(b.resolver->describe() == "recursive 127.0.0.1:53, 127.0.0.2:5353, [::1]:53, [::1]:54");
}

TEST_CASE("without a source option the evidence is the system resolver of the resolv.conf file") {
  TempDir dir;
  SourceOptions o;
  o.resolvConf = dir.write("resolv.conf",
                           "nameserver 127.0.0.53\n"
                           "search contoso.com\n"
                           "nameserver ::1\n");
  EvidenceInfo e = evidenceOf(o);
  CHECK(e.source == EvidenceSource::SystemResolver);
  CHECK(evidenceSourceName(e.source) == "system-resolver");
  CHECK(e.servers == Servers{"127.0.0.53:53", "[::1]:53"});
  CHECK(e.live);
  ResolverBuild b = makeResolver(o);
  REQUIRE(b.resolver);
  CHECK(b.resolver->describe() == "recursive 127.0.0.53:53, [::1]:53");

  // An unreadable file names no server (makeResolver refuses it; evidenceOf does not judge).
  o.resolvConf = dir.path + "/missing";
  e = evidenceOf(o);
  CHECK(e.source == EvidenceSource::SystemResolver);
  CHECK(e.servers.empty());
}

TEST_CASE("--zones takes precedence the way makeResolver's checks order them") {
  // makeResolver refuses two sources; evidenceOf still answers, and never calls zones live.
  SourceOptions o;
  o.zonesDir = "z";
  o.resolvers = {"127.0.0.1"};
  EvidenceInfo e = evidenceOf(o);
  CHECK(e.source == EvidenceSource::Zones);
  CHECK_FALSE(e.live);
  CHECK(makeResolver(o).exitCode == kExitUsage);
}
