// The policy seam: the only place where offboard reads something other than DNS about a domain,
// its MTA-STS policy (RFC 8461 §3.3).
//
// What it is for: two interchangeable sources of policy bodies behind one interface, so that
// the check engine is the same code whatever the source and tests can substitute a fake:
//  - HTTPS (libcurl): GET https://mta-sts.D/.well-known/mta-sts.txt, connecting to the addresses
//    offboard resolved for mta-sts.D through its own resolver (so every DNS answer still comes
//    from the resolver seam), with the certificate checked against the name mta-sts.D, no
//    redirects, no cache, a time and a size limit;
//  - a zone directory (--zones DIR): the file DIR/mta-sts.D.txt beside the zone files.
// What it must not do: parse or judge the policy (checks/mta_sts does), or turn a failure into
// an absent policy: every failure (no address, a refused connection, a certificate that does
// not verify, a redirect, a status other than 200, a media type other than text/plain, a body
// over the limit, a missing file) is a PolicyFetch with ok = false and the reason, which the
// checks report as lookup-failed (fail closed).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/types.h"

namespace offboard {

// PolicyRequest and PolicyFetch, the values this seam passes, are in core/types.h (the checks
// read a PolicyFetch).

// One fetcher serves one thread: fetch() is not to be called from two threads at once.
class PolicyFetcher {
 public:
  virtual ~PolicyFetcher() = default;
  // Fetches every request (concurrently where the source can) and returns one result per
  // request, in the order of `requests`. Never throws for a failed fetch.
  virtual std::vector<PolicyFetch> fetch(const std::vector<PolicyRequest>& requests) = 0;
  // "https" or "zone files in DIR": for reports.
  virtual std::string describe() const = 0;
};

struct HttpsOptions {
  // The CA certificates to verify against (PEM file). Empty: $SSL_CERT_FILE when set, else the
  // system's bundle (libcurl's default, /etc/ssl/certs/ca-certificates.crt on Debian).
  std::string caFile;
  // Whole-transfer limit per policy (connect, TLS, request, body).
  std::chrono::milliseconds timeout{10000};
  std::size_t maxBody = kMaxPolicyBody;
  // The TCP port of the policy host: 443 (RFC 8461). Another port only for tests against a
  // local server ($OFFBOARD_MTA_STS_PORT, read by the command layer).
  std::uint16_t port = 443;
  // Transfers in flight at once.
  int parallel = 32;
};

// The HTTPS source. libcurl is initialised at the first fetch that has requests; when it cannot
// be, every request of that fetch fails with the reason.
std::unique_ptr<PolicyFetcher> makeHttpsFetcher(HttpsOptions options = {});

// The zone-directory source: DIR/mta-sts.D.txt (D in A-label form, without the trailing dot),
// read whole up to `maxBody` octets (a larger file is a failure, as over HTTPS).
std::unique_ptr<PolicyFetcher> makeZoneDirFetcher(std::string dir,
                                                  std::size_t maxBody = kMaxPolicyBody);

}  // namespace offboard
