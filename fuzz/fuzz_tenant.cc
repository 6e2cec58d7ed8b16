// Fuzz target: tenant and Microsoft Graph JSON import (src/plan/tenant.h).
//
// Input: the bytes of a --tenant file (own tenant file, Graph or PowerShell export, a bare
// serviceConfigurationRecords or domainNameReferences collection).
// Invariants: no crash, exception or sanitizer report; a refusal names the file and says what
// is wrong, in terminal-safe text; an accepted tenant holds only valid, distinct, removable
// custom domains (never an initial *.onmicrosoft.com domain) and valid host names; the
// collection parsers either refuse with a reason or return valid names.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "tenant/tenant.h"

using namespace offboard;
using offboard::fuzz::terminalSafe;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string file = "fuzz-tenant.json";

  std::string err;
  auto t = parseTenant(bytes, file, &err);
  if (!t) {
    FUZZ_CHECK(err.rfind(file + ": ", 0) == 0, "a refusal that does not name the file: " + err);
    FUZZ_CHECK(err.size() > file.size() + 2, "a refusal without a reason");
    FUZZ_CHECK(terminalSafe(err), "a refusal unsafe for a terminal: " + err);
  } else {
    FUZZ_CHECK(t->file == file, "the tenant forgets where it came from");
    std::set<DnsName> seen;
    for (const auto& d : t->domains) {
      FUZZ_CHECK(!d.input.name.isEmpty() && d.input.name.labelCount() >= 2,
                 "an imported domain that is not a domain");
      FUZZ_CHECK(!isInitialDomainName(d.input.name),
                 "an initial domain is to be offboarded: " + d.input.name.toString());
      FUZZ_CHECK(seen.insert(d.input.name).second, "a domain imported twice");
      for (const auto& mx : d.knownMicrosoftMx) FUZZ_CHECK(!mx.isEmpty(), "an empty MX host");
    }
    for (const auto& m : t->newMx) FUZZ_CHECK(!m.host.isEmpty(), "an empty new MX host");
    for (const auto& n : t->newNameservers) FUZZ_CHECK(!n.isEmpty(), "an empty new nameserver");
    for (const auto& s : t->skipped) FUZZ_CHECK(terminalSafe(s), "a skip note unsafe for a terminal");
  }

  std::string mxErr;
  if (auto mx = parseServiceConfigurationMx(bytes, &mxErr)) {
    for (const auto& n : *mx) FUZZ_CHECK(!n.isEmpty(), "an empty MX host from a record collection");
  } else {
    FUZZ_CHECK(!mxErr.empty(), "a record collection refused without a reason");
  }
  std::string refErr;
  if (!parseDomainNameReferences(bytes, &refErr))
    FUZZ_CHECK(!refErr.empty(), "a reference collection refused without a reason");
  return 0;
}
