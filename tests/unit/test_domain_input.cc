#include <doctest/doctest.h>

#include "core/domain_input.h"

using namespace offboard;

TEST_CASE("U-labels become A-labels and both forms are kept") {
  std::string err;
  auto d = normalizeDomain("bücher.example", &err);
  REQUIRE_MESSAGE(d, err);
  CHECK(d->name.toString() == "xn--bcher-kva.example.");
  CHECK(d->unicode == "bücher.example");
  auto a = normalizeDomain("xn--bcher-kva.example", &err);
  REQUIRE(a);
  CHECK(a->name == d->name);
  CHECK(a->unicode == "bücher.example");
}

TEST_CASE("ASCII names are lower-cased, a trailing dot is optional, no unicode form") {
  auto d = normalizeDomain("Contoso.COM.", nullptr);
  REQUIRE(d);
  CHECK(d->name.toString() == "contoso.com.");
  CHECK(d->unicode.empty());
}

TEST_CASE("names that are not valid host names are rejected with a reason") {
  struct Row {
    std::string input;
    const char* reason;
  };
  const Row rows[] = {
      {"", "empty"},
      {".", "root"},
      {"a..b", "empty label"},
      {".contoso.com", "empty label"},
      {std::string(64, 'a') + ".com", "63"},
      {std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." + std::string(60, 'd') + ".co.example", "253"},
      {"con toso.com", "space"},
      {"contoso.com;rm", "';'"},
      {"$(reboot).com", "'$'"},
      {"-contoso.com", "hyphen"},
      {"contoso\\.com", "'\\'"},
      {std::string("conto\0so.com", 12), "NUL"},
      {"com", "single label"},
      {"localhost", "single label"},
      {"printer.local", "special-use"},
      {"x.onion", "special-use"},
      {"foo.localhost", "special-use"},
      {"192.0.2.1", "IP address"},
      {"::1", "IPv6"},
      {"xn--zz.example", "A-label"},
      {"a\x1b[31m.com", "control"},
      {std::string(1 << 20, 'a'), "longer"},
      {"bü cher.example", "space"},
  };
  for (const auto& row : rows) {
    CAPTURE(quoteForMessage(row.input));
    std::string err;
    CHECK_FALSE(normalizeDomain(row.input, &err));
    CHECK_MESSAGE(err.find(row.reason) != std::string::npos, err);
  }
}

TEST_CASE("messages quote input safely and briefly") {
  CHECK(quoteForMessage("a\x1b" "b") == "'a\\027b'");
  CHECK(quoteForMessage(std::string(200, 'x')).size() < 100);
}
