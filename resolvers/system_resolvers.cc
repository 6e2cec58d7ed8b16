#include "resolvers/system_resolvers.h"

#include <arpa/inet.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace offboard {
namespace {

// resolv.conf is a few hundred octets; anything this large is not one.
constexpr std::size_t kMaxFileOctets = 1 << 20;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Splits a line into whitespace-separated words.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && isSpace(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !isSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// An IPv4 or IPv6 address in canonical text, or "" when `value` is not one. The zone id of an
// IPv6 address is dropped (c-ares 1.18.1 cannot use it).
std::string addressOf(std::string_view value) {
  std::string text(value);
  auto pct = text.find('%');
  bool scoped = pct != std::string::npos;
  if (scoped) text.resize(pct);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN] = {};
  if (!scoped && inet_pton(AF_INET, text.c_str(), buf) == 1) {
    inet_ntop(AF_INET, buf, out, sizeof out);
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1) {
    inet_ntop(AF_INET6, buf, out, sizeof out);
    return out;
  }
  return {};
}

}  // namespace

std::vector<std::string> parseResolvConf(std::string_view text, const std::string& origin,
                                         std::string* error) {
  std::vector<std::string> servers;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto cut = line.find_first_of("#;");
    if (cut != std::string_view::npos) line = line.substr(0, cut);
    auto w = words(line);
    if (w.size() < 2 || w[0] != "nameserver") continue;
    std::string addr = addressOf(w[1]);
    if (!addr.empty()) servers.push_back(std::move(addr));
  }
  if (servers.empty() && error) *error = origin + " names no usable nameserver";
  return servers;
}

std::vector<std::string> readResolvConf(const std::string& path, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = "cannot read " + path + ": " + why;
    return std::vector<std::string>{};
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(std::strerror(errno));
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return fail(std::strerror(e));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxFileOctets) {
      ::close(fd);
      return fail("larger than " + std::to_string(kMaxFileOctets) + " octets");
    }
  }
  ::close(fd);
  return parseResolvConf(text, path, error);
}

}  // namespace offboard
