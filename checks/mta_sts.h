// MTA-STS (RFC 8461) as the checks read it: the `_mta-sts` TXT record, the policy body, and
// whether a policy's `mx:` patterns admit anything other than Microsoft 365's inbound hosts.
//
// What it is for: SPEC §3 `mta-sts-lists-m365`. A sender that cached an `enforce` policy
// refuses, for up to its `max_age`, every MX host the policy does not list (`testing` reports
// it): a policy listing only Microsoft's hosts turns the MX change into refused mail unless the
// policy changes first (under a new `id`) and the old `max_age` passes.
// What it must not do: fetch anything (fetch/ does), or be lenient: a body that does not follow
// §3.2 exactly (a required field missing or repeated, a bad value, a line that is not
// `key: value`) is invalid, and the checks then report the policy as unknown, never as harmless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/catalogue.h"
#include "core/dns_name.h"
#include "core/types.h"

namespace offboard {

// RFC 8461 §3.2: max_age is at most 31557600 s (about a year).
inline constexpr std::uint32_t kMaxStsMaxAge = 31557600;

// An `_mta-sts` TXT record (§3.1): `v=STSv1; id=…;` and any other fields, ";"-separated.
struct StsRecord {
  bool valid = false;  // v=STSv1 first, an id of 1 to 32 letters and digits, fields well formed
  std::string id;      // the id as written (when present, even if the record is invalid)
  std::string error;   // !valid: why
};
// True when the TXT value (strings concatenated) starts with "v=STSv1" (case-sensitive, as
// §3.1 writes it): the records §3.1 keeps before judging them.
bool isStsRecord(std::string_view txt);
StsRecord parseStsRecord(std::string_view txt);

std::string_view stsModeName(StsMode m);  // "enforce", "testing", "none"

struct StsPolicy {
  bool valid = false;
  std::string error;                // !valid: why, naming the line ("line 3: max_age …")
  StsMode mode = StsMode::None;
  std::uint32_t maxAge = 0;
  std::vector<std::string> mx;      // the patterns as written, lower-cased, in order
};
// §3.2: lines of `key: value` ended by LF or CRLF (the last line may lack one); `version:
// STSv1` first; `mode` and `max_age` exactly once; `mx` one or more times unless the mode is
// none; unknown fields ignored; each mx a host name or "*." and a host name.
StsPolicy parseStsPolicy(std::string_view body);

// The catalogue's MX row when `pattern` (an mx: value) admits a host Microsoft 365 receives mail
// on: a name that row matches, or "*.S" where a host one label below S would be (a wildcard
// matches exactly one leftmost label, §4.1); nullptr otherwise.
const Signature* stsPatternSignature(std::string_view pattern);
// True when the policy (valid, enforce or testing) admits Microsoft 365's hosts only: every
// pattern is Microsoft's. Then no other MX can receive the domain's mail from senders that hold
// it.
bool stsListsOnlyMicrosoft(const StsPolicy& p);
// Whether `host` matches one of the policy's patterns (§4.1): an exact name, or one label below
// a "*." pattern's name, case-insensitively.
bool stsAdmits(const StsPolicy& p, const DnsName& host);

// The policy a report's view holds (valid, mode, max_age, mx; no error).
StsPolicy policyOf(const MtaStsView& v);

// The canonical one-line form the state records ("id=20261201; mode=enforce; max_age=604800;
// mx=*.mail.protection.outlook.com, mx2.example"), and the id read back from it (empty when the
// text has none).
std::string stsSummary(const std::string& id, const StsPolicy& p);
std::string stsIdOfSummary(std::string_view summary);

}  // namespace offboard
