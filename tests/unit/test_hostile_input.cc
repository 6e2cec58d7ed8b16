// Hostile input at the unit level: regressions for what the fuzz targets (fuzz/) found, and
// inputs the command-line tests cannot carry (NUL inside a line). Each refusal must be a clear
// error naming the input and the position — never a crash, an exception or an internal error.
#include <doctest/doctest.h>

#include <string>

#include "tenant/tenant.h"

using namespace offboard;

TEST_CASE("a tenant file with a number no double can hold is an input error naming the byte") {
  // Found by fuzz_tenant: nlohmann throws out_of_range (406), not parse_error, for 1e400; it
  // escaped parseTenant and would have ended as an internal error (exit 4) instead of exit 2.
  const std::string text =
      "{\"domains\": [\"contoso.com\"],\n \"subscriptions\": [{\"name\": \"E3\", "
      "\"assigned_licenses\": 1e400}]}";
  std::string err;
  std::optional<Tenant> t;
  CHECK_NOTHROW(t = parseTenant(text, "t.json", &err));
  CHECK_FALSE(t);
  const std::string at = std::to_string(text.find("1e400") + 1);
  CHECK_MESSAGE(err.rfind("t.json: not valid JSON at byte " + at + " (line 2, column 56)", 0) == 0,
                err);
  CHECK_MESSAGE(err.find("1e400") != std::string::npos, err);
  std::string mxErr, refErr;
  CHECK_NOTHROW(CHECK_FALSE(parseServiceConfigurationMx("[{\"preference\": -1e999}]", &mxErr)));
  CHECK_FALSE(mxErr.empty());
  CHECK_NOTHROW(CHECK_FALSE(parseDomainNameReferences("{\"value\": [1e309]}", &refErr)));
  CHECK_FALSE(refErr.empty());
}

TEST_CASE("control characters from a tenant file never reach an error message raw") {
  // Found by fuzz_tenant: an unknown key "\u001b[2J…" was echoed as raw ESC sequences, and
  // nlohmann's "last read" token carries DEL octets as they are.
  const std::string cases[] = {
      "{\"domains\": [\"contoso.com\"], \"\\u001b[2J\\u001b]0;pwned\\u0007\": 1}",
      "{\"domains\": [\"cont\x7f\xff",
      "{\"value\": [{\"id\": \"contoso.com\", \"\\u001b[31m\": {\"\\u0000\": 1}}], \"x\": [1e999]}",
      "[{\"recordType\": \"Mx\", \"label\": \"\\u001b[5m\", \"mailExchange\": 7}]",
  };
  for (const auto& text : cases) {
    CAPTURE(quoteForMessage(text));
    std::string errs[3];
    CHECK_FALSE(parseTenant(text, "t.json", &errs[0]));
    parseServiceConfigurationMx(text, &errs[1]);
    parseDomainNameReferences(text, &errs[2]);
    for (const auto& err : errs) {
      CAPTURE(err);
      for (unsigned char c : err) CHECK((c >= 0x20 && c != 0x7f));
    }
  }
  std::string err;
  CHECK_FALSE(parseTenant(cases[0], "t.json", &err));
  CHECK_MESSAGE(err.find("\\027[2J\\027]0;pwned\\007: unknown key") != std::string::npos, err);
}
