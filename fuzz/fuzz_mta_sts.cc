// Fuzz target: MTA-STS record and policy parsing (checks/mta_sts.h), what a policy host or a
// `_mta-sts` TXT record on the Internet can hand offboard.
//
// Input: any bytes, as a policy body and as a TXT record's text.
// Invariants: no crash or sanitizer report; a refusal always says why, safely for a terminal; a
// valid policy has a mode, a max_age within RFC 8461's year, and mx patterns (unless mode none)
// that are lower-case host names or "*." and one; writing a valid policy back out and parsing it
// again gives the same policy, and so does the body with CRLF line ends made LF; a pattern a
// policy admits a host by is Microsoft's only when the catalogue says its host is; a valid
// record's id is 1 to 32 letters and digits and survives the state's summary form.
#include <cstdint>
#include <string>
#include <string_view>

#include "checks/mta_sts.h"
#include "fuzz/fuzz_support.h"

using namespace offboard;
using offboard::fuzz::terminalSafe;

namespace {

bool samePolicy(const StsPolicy& a, const StsPolicy& b) {
  return a.valid == b.valid && a.mode == b.mode && a.maxAge == b.maxAge && a.mx == b.mx;
}

std::string written(const StsPolicy& p) {
  std::string s = "version: STSv1\nmode: " + std::string(stsModeName(p.mode)) + "\n";
  for (const auto& m : p.mx) s += "mx: " + m + "\n";
  return s + "max_age: " + std::to_string(p.maxAge) + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  StsPolicy p = parseStsPolicy(text);
  if (!p.valid) {
    FUZZ_CHECK(!p.error.empty(), "an invalid policy without a reason");
    FUZZ_CHECK(terminalSafe(p.error), "a policy error unsafe for a terminal: " + p.error);
    FUZZ_CHECK(p.mx.empty(), "an invalid policy kept mx patterns");
  } else {
    FUZZ_CHECK(p.maxAge <= kMaxStsMaxAge, "max_age above a year accepted");
    FUZZ_CHECK(p.mode == StsMode::None || !p.mx.empty(), "enforce or testing without mx accepted");
    for (const auto& m : p.mx) {
      FUZZ_CHECK(!m.empty() && m.back() != '.', "an empty or absolute pattern accepted: " + m);
      for (char c : m) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "a pattern not lower-cased: " + m);
      FUZZ_CHECK(m.find('*', 1) == std::string::npos, "a wildcard past the first label: " + m);
    }
    StsPolicy again = parseStsPolicy(written(p));
    FUZZ_CHECK(samePolicy(p, again), "a valid policy written out parses differently");
    if (stsListsOnlyMicrosoft(p))
      for (const auto& m : p.mx) FUZZ_CHECK(stsPatternSignature(m) != nullptr, "only-Microsoft with a non-Microsoft pattern");
  }
  if (text.find('\r') != std::string_view::npos) {
    std::string lf;
    for (std::size_t i = 0; i < text.size(); ++i)
      if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) lf += text[i];
    if (lf.find('\r') == std::string::npos) {
      StsPolicy q = parseStsPolicy(lf);
      FUZZ_CHECK(samePolicy(p, q), "CRLF and LF line ends parse differently");
    }
  }

  StsRecord r = parseStsRecord(text);
  if (r.valid) {
    FUZZ_CHECK(isStsRecord(text), "a record without v=STSv1 accepted");
    FUZZ_CHECK(!r.id.empty() && r.id.size() <= 32, "an id of bad length accepted");
    for (char c : r.id)
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'),
                 "an id that is not letters and digits: " + r.id);
    FUZZ_CHECK(stsIdOfSummary(stsSummary(r.id, p)) == r.id, "the id does not survive the summary");
  } else {
    FUZZ_CHECK(!r.error.empty(), "a refused record without a reason");
    FUZZ_CHECK(terminalSafe(r.error), "a record error unsafe for a terminal: " + r.error);
  }
  return 0;
}
