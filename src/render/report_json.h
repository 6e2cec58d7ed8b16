// The JSON of DomainReports (schema offboard.check/1): the one writer behind `check --format
// json` and the lines of `scan`.
//
// What it is for: writing each report straight into a string, in the layout nlohmann::json's
// dump() gives (compact for scan's lines, a two-space indent for check's document), without
// building an nlohmann tree first: the tree and its dump were a quarter of a scan's CPU. Strings
// are escaped as nlohmann escapes them (UTF-8 kept as is, invalid UTF-8 replaced by U+FFFD), so
// scan's line for a domain and check's object for it hold the same values, and a script reading
// either sees what the other prints.
// What it must not do: decide verdicts, resolve or read the clock; add, drop or reorder a field
// (the order is part of the format: the e2e goldens pin both layouts byte for byte).
#pragma once

#include <string>
#include <vector>

#include "core/types.h"

namespace offboard {

// Appends one domain's object on one line, without a newline: what `scan` writes per domain,
// and the object renderCheckJson puts in "domains", compact.
void appendDomainJson(std::string& out, const DomainReport& r);

// The whole `check` document, indented by two spaces and ending in a newline:
// {"schema": "offboard.check/1", "verdict": <the worst of all domains>, "domains": [...]}.
std::string renderCheckJson(const std::vector<DomainReport>& reports);

}  // namespace offboard
