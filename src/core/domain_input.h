// Domain input: turning what a user typed (argument, tenant file, scan line) into a DnsName.
//
// What it is for: one strict gate for every domain that enters offboard. U-labels become
// A-labels (IDNA2008 with UTS #46 mapping, libidn2), host-name syntax is enforced (letters,
// digits, hyphens; RFC 1123 §2.1), special-use names that can never be a tenant's custom domain
// are refused (RFC 6761/6762/7686), and both forms are kept for display.
// What it must not do: resolve anything, or accept a name "mostly": any doubt is an error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/dns_name.h"

namespace offboard {

struct DomainInput {
  DnsName name;         // A-label form, lower-case
  std::string unicode;  // U-label form when it differs from the A-label form, else empty
};

// Normalises one domain. On failure returns nullopt and sets *error to a sentence saying what is
// wrong (it does not repeat the input; callers name the argument with `quoteForMessage`).
std::optional<DomainInput> normalizeDomain(std::string_view text, std::string* error);

// The input as it may appear in an error message: control and non-ASCII octets escaped, cut to
// 80 characters with "…" so a megabyte-long argument does not flood the terminal.
std::string quoteForMessage(std::string_view text);

}  // namespace offboard
