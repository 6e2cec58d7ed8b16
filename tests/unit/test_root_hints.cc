// Root hints: the built-in IANA set, named.root parsing with ldns, and every way a hints file is
// rejected (with its file name and line).
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "resolvers/root_hints.h"

using namespace offboard;

namespace {

DnsName N(const std::string& s) { return *DnsName::parse(s); }

std::string parseError(const std::string& text) {
  std::string err;
  auto h = parseRootHints(text, "hints.txt", &err);
  CHECK_FALSE(h.has_value());
  return err;
}

}  // namespace

TEST_CASE("the built-in hints are IANA's thirteen root servers with IPv4 and IPv6 addresses") {
  RootHints h = builtinRootHints();
  REQUIRE(h.servers.size() == 13);
  CHECK(h.servers.front() == N("a.root-servers.net"));
  CHECK(h.servers.back() == N("m.root-servers.net"));
  for (const auto& s : h.servers) {
    CAPTURE(s.toString());
    REQUIRE(h.addresses.count(s) == 1);
    CHECK(h.addresses.at(s).size() == 2);
  }
  CHECK(h.addresses.at(N("a.root-servers.net")).front() == "198.41.0.4");
  // b.root was renumbered in November 2023.
  CHECK(h.addresses.at(N("b.root-servers.net")).front() == "170.247.170.2");
}

TEST_CASE("a named.root file gives the root's servers, their addresses and the NS TTL") {
  const std::string text =
      ";       This file holds the information on root name servers\n"
      ";\n"
      ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
      "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
      "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
      "; FORMERLY NS1.ISI.EDU\n"
      ".                        3600000      NS    B.ROOT-SERVERS.NET.\n"
      "B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2\n"
      "; End of file\n";
  std::string err;
  auto h = parseRootHints(text, "named.root", &err);
  REQUIRE_MESSAGE(h.has_value(), err);
  REQUIRE(h->servers.size() == 2);
  CHECK(h->servers[0] == N("a.root-servers.net"));  // case-insensitive names
  CHECK(h->addresses.at(N("a.root-servers.net")) ==
        std::vector<std::string>{"198.41.0.4", "2001:503:ba3e::2:30"});
  CHECK(h->addresses.at(N("b.root-servers.net")) == std::vector<std::string>{"170.247.170.2"});
  CHECK(h->ttl == 3600000);
}

TEST_CASE("the fixture hints (IN class written out or not, CRLF line ends) parse") {
  std::string err;
  auto h = loadRootHints(std::string(OFFBOARD_SOURCE_DIR) + "/fixtures/zones/root.hints", &err);
  REQUIRE_MESSAGE(h.has_value(), err);
  REQUIRE(h->servers.size() == 1);
  CHECK(h->servers[0] == N("a.root-servers.example"));
  CHECK(h->addresses.at(N("a.root-servers.example")) == std::vector<std::string>{"127.77.0.1"});

  auto crlf = parseRootHints(". 3600 IN NS a.root.test.\r\na.root.test. 3600 IN A 127.0.0.1\r\n",
                             "crlf", &err);
  REQUIRE_MESSAGE(crlf.has_value(), err);
  CHECK(crlf->addresses.at(N("a.root.test")).front() == "127.0.0.1");
}

TEST_CASE("a bad hints file is rejected naming the file and the line") {
  struct Row {
    const char* text;
    const char* error;
  };
  const Row rows[] = {
      {". 3600 NS a.root.test.\na.root.test. 3600 A 127.0.0.1\nthis is not a record\n",
       "hints.txt:3: cannot parse the record"},
      {". 3600 NS a.root.test.\na.root.test. 3600 A 300.0.0.1\n", "hints.txt:2: cannot parse"},
      {"com. 3600 NS a.root.test.\n", "hints.txt:1: NS record for com.: root hints only name"},
      {". 3600 NS a.root.test.\na.root.test. 3600 A 127.0.0.1\nb.root.test. 3600 A 127.0.0.2\n",
       "hints.txt:3: address for b.root.test., which no root NS record names"},
      {". 3600 NS a.root.test.\n. 3600 MX 10 a.root.test.\n", "hints.txt:2: MX record: root hints"},
      {"$ORIGIN .\n. 3600 NS a.root.test.\n", "hints.txt:1: directives are not allowed"},
      {". 3600 NS a.root.test.\n   3600 A 127.0.0.1\n", "hints.txt:2: every record needs its owner"},
      {". 3600 CH NS a.root.test.\n", "hints.txt:1: only class IN"},
      {". 3600 NS a.root.test.\n. 3600 NS b.root.test.\na.root.test. 3600 A 127.0.0.1\n",
       "hints.txt: no address for the root server b.root.test."},
      {"; nothing but a comment\n\n", "hints.txt: no NS record for the root"},
      {"\xEF\xBB\xBF. 3600 NS a.root.test.\na.root.test. 3600 A 127.0.0.1\n",
       "hints.txt: starts with a UTF-8 byte-order mark"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.text);
    std::string err = parseError(row.text);
    CHECK_MESSAGE(err.rfind(row.error, 0) == 0, err);
  }
  static const char nul[] = ". 3600 NS a.root.test.\na.root\0.test. 3600 A 127.0.0.1\n";
  std::string withNul(nul, sizeof nul - 1);
  CHECK(parseError(withNul) == "hints.txt: contains a NUL byte");
}

TEST_CASE("an unreadable hints file is an error naming it") {
  std::string err;
  CHECK_FALSE(loadRootHints("/nonexistent/offboard/named.root", &err));
  CHECK(err == "/nonexistent/offboard/named.root: not a readable file");
  CHECK_FALSE(loadRootHints(OFFBOARD_SOURCE_DIR, &err));
  CHECK(err == std::string(OFFBOARD_SOURCE_DIR) + ": not a readable file");
}
