// Renderers for `check` and `scan`: DomainReports → text, JSON (offboard.check/1), Markdown.
//
// What it is for: output a person reads at a glance and a script parses. Every string that came
// from the network is already escaped in DnsName/Record presentation form; the renderers escape
// again for their medium (JSON string escaping, Markdown code spans, no raw control octets).
// What it must not do: decide verdicts, resolve, or read the clock.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/types.h"

namespace offboard {

struct TextStyle {
  bool color = false;  // ANSI colours (only when writing to a terminal, or --color always)
};

// The top-level verdict over all domains (SPEC §3).
Verdict overallVerdict(const std::vector<DomainReport>& reports);

// One domain as the JSON object of SPEC §3 (the object `scan` streams, one per line).
nlohmann::ordered_json domainJson(const DomainReport& r);
// The whole `check` document: {"schema": "offboard.check/1", "verdict", "domains": [...]}.
std::string renderCheckJson(const std::vector<DomainReport>& reports);
std::string renderCheckText(const std::vector<DomainReport>& reports, const TextStyle& style);
std::string renderCheckMarkdown(const std::vector<DomainReport>& reports);

// A domain name for display: "bücher.example (xn--bcher-kva.example)" or "contoso.com".
std::string displayDomain(const DomainReport& r);

}  // namespace offboard
