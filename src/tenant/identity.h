// A state's tenant identity (SPEC §4 "State"): which tenant a state file belongs to.
//
// What it is for: the first plan or gate binds a state to one tenant; every later run compares
// its tenant with the bound one, so acks, waivers and history are never mixed across tenants.
// The identity is the tenant's name (lower case) or, for domains given without one,
// kUnnamedTenantPrefix and the sorted A-labels.
// What it must not do: read or write the state (the store keeps the text; this decides
// nothing but sameness).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tenant/tenant.h"

namespace offboard {

inline constexpr std::string_view kUnnamedTenantPrefix = "domains: ";

std::string tenantIdentity(const Tenant& t);

// The identity to keep when `current` is the same tenant as the `stored` binding, else nullopt:
// two names must be equal; two unnamed domain lists must share a domain (the kept list is their
// union); a name and an unnamed list never match.
std::optional<std::string> sameTenant(const std::string& stored, const std::string& current);

// "tenant contoso", or "the domains a.example, b.example (given without a tenant name)".
std::string describeIdentity(const std::string& identity);

}  // namespace offboard
