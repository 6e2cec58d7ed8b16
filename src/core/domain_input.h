// Domain input: turning what a user typed (argument, tenant file, scan line) into a DnsName.
//
// What it is for: one strict gate for every domain that enters offboard. U-labels become
// A-labels (IDNA2008 with UTS #46 mapping, libidn2), host-name syntax is enforced (letters,
// digits, hyphens; RFC 1123 §2.1), special-use names that can never be a tenant's custom domain
// are refused (RFC 6761/6762/7686), and both forms are kept for display.
// It also reads domain lists (scan) line by line in bounded memory: a line is kept only up to
// what a domain name can be, however long it runs.
// What it must not do: resolve anything, or accept a name "mostly": any doubt is an error; hold
// more of an input line than kMaxDomainText octets.
#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "core/dns_name.h"

namespace offboard {

struct DomainInput {
  DnsName name;         // A-label form, lower-case
  std::string unicode;  // U-label form when it differs from the A-label form, else empty
};

// The most octets of domain text offboard looks at. A name is at most 253 octets in text
// (RFC 1035 §3.1: 255 on the wire), and U-labels make it longer (a character is up to 4 octets
// in UTF-8): 1024 leaves room for those and for blanks around them. Longer is never a domain.
inline constexpr std::size_t kMaxDomainText = 1024;

// Normalises one domain. On failure returns nullopt and sets *error to a sentence saying what is
// wrong (it does not repeat the input; callers name the argument with `quoteForMessage`).
std::optional<DomainInput> normalizeDomain(std::string_view text, std::string* error);

enum class LineRead {
  Line,     // *line holds the line's text before any '#', without the '\n'
  TooLong,  // the text before any '#' ran past kMaxDomainText octets: *line holds the first
            // kMaxDomainText of them (for the message), the rest of the line was read and dropped
  End,      // nothing left
  Failed,   // reading failed (the stream's buffer threw): *error says why
};

// Reads one line of a domain list (one domain per line, '#' starts a comment). The octets after
// a '#' and past kMaxDomainText are consumed without being kept, so a line without a newline
// (/dev/zero, 300 MB of NULs) costs no memory. A last line without a '\n' is a Line.
LineRead readDomainLine(std::istream& in, std::string* line, std::string* error);

// The input as it may appear in an error message: control and non-ASCII octets escaped, cut to
// 80 characters with "…" so a megabyte-long argument does not flood the terminal.
std::string quoteForMessage(std::string_view text);

}  // namespace offboard
