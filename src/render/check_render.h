// Renderers for `check`: DomainReports → text and Markdown (JSON: render/report_json.h).
//
// What it is for: output a person reads at a glance. Every string that came from the network is
// already escaped in DnsName/Record presentation form; the renderers escape again for their
// medium (Markdown code spans, no raw control octets).
// What it must not do: decide verdicts, resolve, or read the clock.
#pragma once

#include <string>
#include <vector>

#include "core/types.h"

namespace offboard {

struct TextStyle {
  bool color = false;     // ANSI colours (only when writing to a terminal, or --color always)
  std::size_t width = 0;  // wrap lines at this many columns; 0: whole lines (not a terminal)
  bool verbose = false;   // plan: each step's why, verification, state and records
};

// The top-level verdict over all domains (SPEC §3).
Verdict overallVerdict(const std::vector<DomainReport>& reports);

std::string renderCheckText(const std::vector<DomainReport>& reports, const TextStyle& style);
std::string renderCheckMarkdown(const std::vector<DomainReport>& reports);

// A domain name for display: "bücher.example (xn--bcher-kva.example)" or "contoso.com".
std::string displayDomain(const DomainReport& r);

}  // namespace offboard
