// The zone-directory policy source (policy_fetcher.h, --zones DIR): the policy of D is the file
// DIR/mta-sts.D.txt beside the zone files, for offline runs and the fixtures.
//
// What it is for: the same PolicyFetch as over HTTPS, from a file: its octets as they are, or
// why not ("no such file", a body over the limit, the system's reason for an unreadable file).
// What it must not do: read more than maxBody + 1 octets of a file (one more tells "larger"
// from "exactly the limit"), look at PolicyRequest::addresses, or judge the policy text.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fetch/policy_fetcher.h"

namespace offboard {
namespace {

class ZoneDirFetcher final : public PolicyFetcher {
 public:
  ZoneDirFetcher(std::string dir, std::size_t maxBody) : dir_(std::move(dir)), maxBody_(maxBody) {}

  std::vector<PolicyFetch> fetch(const std::vector<PolicyRequest>& requests) override {
    std::vector<PolicyFetch> out;
    out.reserve(requests.size());
    for (const auto& r : requests) out.push_back(readPolicy(r.domain));
    return out;
  }

  std::string describe() const override { return "zone files in " + dir_; }

 private:
  // DnsName::toStringNoDot escapes '/' (and every octet but letters, digits, '-' and '_'), so
  // the file name never leaves DIR.
  PolicyFetch readPolicy(const DnsName& domain) const {
    PolicyFetch f;
    f.source = dir_;
    if (!f.source.empty() && f.source.back() != '/') f.source += '/';
    f.source += "mta-sts." + domain.toStringNoDot() + ".txt";

    const int fd = ::open(f.source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      f.error = errno == ENOENT ? "no such file" : std::strerror(errno);
      return f;
    }
    std::string body;
    char buf[8192];
    int readErrno = 0;
    while (body.size() <= maxBody_) {
      const std::size_t room = maxBody_ - body.size();
      const std::size_t want = room < sizeof buf ? room + 1 : sizeof buf;
      const ssize_t n = ::read(fd, buf, want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        readErrno = errno;
        break;
      }
      if (n == 0) break;
      body.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (readErrno) {
      f.error = std::strerror(readErrno);
    } else if (body.size() > maxBody_) {
      f.error = "body larger than " + std::to_string(maxBody_) + " octets";
    } else {
      f.ok = true;
      f.body = std::move(body);
    }
    return f;
  }

  std::string dir_;
  std::size_t maxBody_;
};

}  // namespace

std::unique_ptr<PolicyFetcher> makeZoneDirFetcher(std::string dir, std::size_t maxBody) {
  return std::make_unique<ZoneDirFetcher>(std::move(dir), maxBody);
}

}  // namespace offboard
