// The system's recursive servers, read by offboard itself.
//
// What it is for: the default server list of the stub resolver when --resolver is not given.
// c-ares must never read /etc/resolv.conf (CVE-2024-25629 lives in its config reader, and
// search/ndots/options lines would change what is asked), so offboard reads only the
// `nameserver` lines here and hands the addresses to StubResolver.
// What it must not do: honour search, domain, options or sortlist lines (offboard asks fully
// qualified names only), resolve host names, or fall back to any default server.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace offboard {

// The `nameserver` addresses of a resolv.conf-format file, in order, each in the form
// StubResolver accepts ("127.0.0.53", "::1"; a link-local zone id "%eth0" is stripped).
// Comments (# or ; to end of line) and other keywords are ignored; a nameserver line whose
// value is not an IP address is skipped. Returns an empty list with *error set when the file
// cannot be read or names no usable server.
std::vector<std::string> readResolvConf(const std::string& path, std::string* error = nullptr);

// The same, from the file's text (`origin` names it in errors).
std::vector<std::string> parseResolvConf(std::string_view text, const std::string& origin,
                                         std::string* error = nullptr);

}  // namespace offboard
