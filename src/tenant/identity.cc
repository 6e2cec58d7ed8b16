#include "tenant/identity.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace offboard {
namespace {

// The identity of domains given without a tenant name: the prefix, then the sorted A-labels.
std::string unnamedIdentity(const std::set<std::string>& domains) {
  std::string out(kUnnamedTenantPrefix);
  bool first = true;
  for (const auto& n : domains) {
    out += (first ? "" : ", ") + n;
    first = false;
  }
  return out;
}

std::set<std::string> unnamedDomains(const std::string& identity) {
  std::set<std::string> out;
  std::string rest = identity.substr(std::string_view(kUnnamedTenantPrefix).size());
  std::size_t at = 0;
  while (at <= rest.size()) {
    std::size_t comma = rest.find(", ", at);
    std::string d = rest.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!d.empty()) out.insert(d);
    if (comma == std::string::npos) break;
    at = comma + 2;
  }
  return out;
}

bool isUnnamed(const std::string& identity) { return identity.rfind(kUnnamedTenantPrefix, 0) == 0; }

}  // namespace

std::string tenantIdentity(const Tenant& t) {
  if (!t.name.empty()) {
    std::string n = t.name;
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
    return n;
  }
  std::set<std::string> names;
  for (const auto& d : t.domains) names.insert(d.input.name.toStringNoDot());
  return unnamedIdentity(names);
}

std::optional<std::string> sameTenant(const std::string& stored, const std::string& current) {
  if (!isUnnamed(stored) && !isUnnamed(current))
    return stored == current ? std::optional<std::string>(current) : std::nullopt;
  if (isUnnamed(stored) != isUnnamed(current)) return std::nullopt;
  // Domains given without a tenant name: the same tenant when they share a domain (a domain
  // belongs to one tenant at a time); the binding then holds every domain seen.
  std::set<std::string> a = unnamedDomains(stored), b = unnamedDomains(current);
  if (!std::any_of(b.begin(), b.end(), [&](const std::string& d) { return a.count(d) > 0; }))
    return std::nullopt;
  a.insert(b.begin(), b.end());
  return unnamedIdentity(a);
}

std::string describeIdentity(const std::string& identity) {
  return isUnnamed(identity) ? "the domains " + identity.substr(std::string_view(kUnnamedTenantPrefix).size()) +
                                   " (given without a tenant name)"
                             : "tenant " + identity;
}

}  // namespace offboard
