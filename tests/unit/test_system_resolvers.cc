// readResolvConf: offboard reads the nameserver lines itself, so c-ares never opens the file.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "resolvers/stub_resolver.h"
#include "resolvers/system_resolvers.h"

using namespace offboard;

namespace {

// A scratch directory removed at the end of each test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/offboard-resolvconf-XXXXXX";
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

}  // namespace

TEST_CASE("a systemd-resolved stub file yields its one nameserver; search and options are ignored") {
  TempDir dir;
  auto p = dir.write("resolv.conf",
                     "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n"
                     "nameserver 127.0.0.53\n"
                     "options edns0 trust-ad\n"
                     "search corp.contoso.com contoso.com\n");
  std::string err;
  auto servers = readResolvConf(p, &err);
  REQUIRE(servers.size() == 1);
  CHECK(servers[0] == "127.0.0.53");
  CHECK(err.empty());
}

TEST_CASE("nameserver lines keep their order; comments, IPv6 and zone ids are handled") {
  std::string err;
  auto servers = parseResolvConf("nameserver 127.0.0.1 # first\n"
                                 "; nameserver 127.0.0.99\n"
                                 "#nameserver 127.0.0.98\n"
                                 "\tnameserver\t::1\r\n"
                                 "nameserver fe80::1%eth0\n"
                                 "nameserver 0:0:0:0:0:0:0:1\n"
                                 "nameserver 127.0.0.2;trailing comment\n",
                                 "test", &err);
  REQUIRE(servers.size() == 5);
  CHECK(servers[0] == "127.0.0.1");
  CHECK(servers[1] == "::1");
  CHECK(servers[2] == "fe80::1");
  CHECK(servers[3] == "::1");
  CHECK(servers[4] == "127.0.0.2");
  // Every entry is something the stub resolver accepts.
  for (const auto& s : servers) {
    CAPTURE(s);
    CHECK(StubResolver::parseServerAddress(s).has_value());
  }
}

TEST_CASE("nameserver values that are not IP addresses are skipped, not resolved") {
  std::string err;
  auto servers = parseResolvConf("nameserver dns.google\n"
                                 "nameserver 1.2.3\n"
                                 "nameserver 127.0.0.1%lo\n"
                                 "nameserver\n"
                                 "nameservers 127.0.0.3\n"
                                 "NAMESERVER 127.0.0.4\n"
                                 "nameserver 127.0.0.5\n",
                                 "test", &err);
  REQUIRE(servers.size() == 1);
  CHECK(servers[0] == "127.0.0.5");
}

TEST_CASE("a file that names no usable server is an error, never a default server") {
  std::string err;
  CHECK(parseResolvConf("# empty\nsearch contoso.com\noptions ndots:5\n", "resolv.conf", &err)
            .empty());
  CHECK(err.find("no usable nameserver") != std::string::npos);
  err.clear();
  CHECK(parseResolvConf("", "resolv.conf", &err).empty());
  CHECK_FALSE(err.empty());
}

TEST_CASE("an unreadable file is an error naming the path") {
  TempDir dir;
  std::string err;
  CHECK(readResolvConf(dir.path + "/missing.conf", &err).empty());
  CHECK(err.find(dir.path + "/missing.conf") != std::string::npos);
  err.clear();
  CHECK(readResolvConf(dir.path, &err).empty());  // a directory
  CHECK(err.find("cannot read") != std::string::npos);
}
