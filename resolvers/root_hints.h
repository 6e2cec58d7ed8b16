// Root hints: where the authoritative walk starts (`offboard … --authoritative [--root-hints FILE]`).
//
// What it is for: the root's nameserver names and their addresses, either built in (IANA's
// a..m.root-servers.net) or read from a file in the format of IANA's `named.root` (RFC 1035
// master-file lines: NS records at the root, A/AAAA records for the names they give), parsed
// record by record with ldns.
// What it must not do: any I/O beyond reading the one file it is given, or accept a file it
// would have to guess about: every line that is not a comment must be an NS at the root or an
// address of a root server; anything else rejects the whole file with `FILE:LINE: reason`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns_name.h"

namespace offboard {

struct RootHints {
  // The root's NS names, in file order, without duplicates.
  std::vector<DnsName> servers;
  // Addresses per server name ("198.41.0.4", "2001:503:ba3e::2:30"), file order.
  std::map<DnsName, std::vector<std::string>> addresses;
  // TTL of the root NS records (what a resolver would cache the hints for).
  std::uint32_t ttl = 0;
};

// The IANA root servers a..m.root-servers.net with their IPv4 and IPv6 addresses (as in
// named.root of 2024; b.root moved to 170.247.170.2 in November 2023).
RootHints builtinRootHints();

// Parses named.root text. `fileName` only labels errors. Returns nullopt with *error set to
// "FILE:LINE: reason" for the first bad line, or "FILE: reason" when the file as a whole is
// unusable (no root NS, a server without an address, a BOM or NUL byte).
std::optional<RootHints> parseRootHints(std::string_view text, const std::string& fileName,
                                        std::string* error);

// Reads and parses FILE; an unreadable file is an error "FILE: reason" too.
std::optional<RootHints> loadRootHints(const std::string& path, std::string* error);

}  // namespace offboard
